#include "vector_keyrings.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "message/raw_aes_keyring.h"
#include "message/raw_rsa_keyring.h"

uint8_t *read_whole_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    uint8_t *buf = NULL;
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0)
        buf = OPENSSL_malloc((size_t)size + 1);
    if (buf != NULL && fread(buf, 1, (size_t)size, f) != (size_t)size) {
        OPENSSL_free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf != NULL) {
        buf[size] = 0;
        *len = (size_t)size;
    }
    return buf;
}

static const char *str_field(json_object *obj, const char *name)
{
    json_object *v;
    return json_object_object_get_ex(obj, name, &v) ? json_object_get_string(v) : NULL;
}

static esdk_keyring *aes_keyring(const char *ns, const char *key_name, const char *b64)
{
    uint8_t key[64];
    size_t b64_len = strlen(b64);
    if (b64_len > 80)
        return NULL;
    int n = EVP_DecodeBlock(key, (const unsigned char *)b64, (int)b64_len);
    if (n < 0)
        return NULL;
    n -= (b64[b64_len - 1] == '=') + (b64[b64_len - 2] == '=');
    esdk_keyring *kr = NULL;
    esdk_raw_aes_keyring_new(NULL, ns, key_name, key, (size_t)n, &kr);
    OPENSSL_cleanse(key, sizeof(key));
    return kr;
}

static int padding_of(json_object *mk, esdk_rsa_padding *padding)
{
    const char *alg = str_field(mk, "padding-algorithm");
    const char *hash = str_field(mk, "padding-hash");
    if (alg != NULL && strcmp(alg, "pkcs1") == 0) {
        *padding = ESDK_RSA_PKCS1;
        return 1;
    }
    if (alg == NULL || strcmp(alg, "oaep-mgf1") != 0 || hash == NULL)
        return 0;
    static const struct {
        const char *name;
        esdk_rsa_padding padding;
    } table[] = {{"sha1", ESDK_RSA_OAEP_SHA1},
                 {"sha256", ESDK_RSA_OAEP_SHA256},
                 {"sha384", ESDK_RSA_OAEP_SHA384},
                 {"sha512", ESDK_RSA_OAEP_SHA512}};
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        if (strcmp(hash, table[i].name) == 0) {
            *padding = table[i].padding;
            return 1;
        }
    }
    return 0;
}

static esdk_keyring *rsa_keyring(const char *ns, const char *key_name, json_object *mk,
                                 json_object *key)
{
    esdk_rsa_padding padding;
    const char *pem = str_field(key, "material");
    const char *type = str_field(key, "type");
    if (pem == NULL || type == NULL || !padding_of(mk, &padding))
        return NULL;
    int is_private = strcmp(type, "private") == 0;
    EVP_PKEY *pkey = NULL;
    if (esdk_rsa_key_from_pem(NULL, pem, strlen(pem), is_private, &pkey) != ESDK_OK)
        return NULL;
    esdk_keyring *kr = NULL;
    esdk_raw_rsa_keyring_new(NULL, ns, key_name, padding, is_private ? NULL : pkey,
                             is_private ? pkey : NULL, &kr);
    EVP_PKEY_free(pkey);
    return kr;
}

static esdk_keyring *one_keyring(json_object *mk, json_object *keys, const char **why)
{
    json_object *key, *decrypt;
    const char *name = str_field(mk, "key");
    const char *ns = str_field(mk, "provider-id");
    const char *alg = str_field(mk, "encryption-algorithm");
    if (name == NULL || ns == NULL || alg == NULL || !json_object_object_get_ex(keys, name, &key)) {
        *why = "master key not in the keys manifest";
        return NULL;
    }
    if (json_object_object_get_ex(key, "decrypt", &decrypt) && !json_object_get_boolean(decrypt))
        return NULL; /* a public key: never used to decrypt */
    const char *key_id = str_field(key, "key-id");
    if (strcmp(alg, "aes") == 0)
        return aes_keyring(ns, key_id, str_field(key, "material"));
    if (strcmp(alg, "rsa") == 0)
        return rsa_keyring(ns, key_id, mk, key);
    *why = "unknown master key algorithm";
    return NULL;
}

esdk_cmm *vector_cmm(json_object *master_keys, json_object *keys, const char **why)
{
    size_t n = json_object_array_length(master_keys), count = 0;
    esdk_keyring *rings[16];
    *why = "no usable master key";
    for (size_t i = 0; i < n && count < 16; i++) {
        esdk_keyring *kr = one_keyring(json_object_array_get_idx(master_keys, i), keys, why);
        if (kr != NULL)
            rings[count++] = kr;
    }
    if (count == 0)
        return NULL;
    esdk_keyring *multi = NULL;
    esdk_cmm *cmm = NULL;
    if (esdk_multi_keyring_new(rings[0], rings + 1, count - 1, &multi) == ESDK_OK)
        esdk_default_cmm_new(NULL, multi, &cmm);
    esdk_keyring_free(multi);
    for (size_t i = 0; i < count; i++)
        esdk_keyring_free(rings[i]);
    return cmm;
}
