#include "message/raw_aes_keyring.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <string.h>

#include "message/aes_gcm.h"
#include "message/suite.h"
#include "message/wire.h"

#define INFO_SUFFIX_LEN (4 + 4 + 12) /* tag bits, IV length, IV */
#define MAX_DATA_KEY    32

typedef struct {
    esdk_keyring base;
    const esdk_crypto *crypto;
    char *key_namespace;
    char *key_name;
    uint8_t *wrapping_key; /* secure memory */
    size_t wrapping_key_len;
} raw_aes_keyring;

/* The raw-AES wrap AAD: the serialised EC without its u16 total length. */
static esdk_status serialize_ec(const esdk_enc_context *ec, uint8_t **out, size_t *len)
{
    *len = esdk_ec_serialized_size(ec);
    *out = OPENSSL_malloc(*len + 1);
    if (*out == NULL)
        return ESDK_ERR_ALLOC;
    esdk_status st = esdk_ec_serialize(ec, *out, *len);
    if (st != ESDK_OK) {
        OPENSSL_free(*out);
        *out = NULL;
    }
    return st;
}

static esdk_status wrap(esdk_keyring *keyring, esdk_enc_materials *mat, char *detail,
                        size_t detail_len)
{
    raw_aes_keyring *k = (raw_aes_keyring *)keyring;
    size_t name_len = strlen(k->key_name);
    size_t info_len = name_len + INFO_SUFFIX_LEN;
    uint8_t *info = OPENSSL_malloc(info_len);
    uint8_t ct[MAX_DATA_KEY + 16];
    uint8_t *aad = NULL;
    size_t aad_len = 0;
    EVP_CIPHER_CTX *ctx = NULL;
    esdk_status st = info ? serialize_ec(&mat->ec, &aad, &aad_len) : ESDK_ERR_ALLOC;
    if (st == ESDK_OK) {
        memcpy(info, k->key_name, name_len);
        esdk_put_u32(info + name_len, 128);
        esdk_put_u32(info + name_len + 4, 12);
        ctx = esdk_gcm_new(k->crypto, k->wrapping_key, k->wrapping_key_len, 1);
        if (ctx == NULL ||
            RAND_bytes_ex(esdk_crypto_libctx(k->crypto), info + name_len + 8, 12, 0) != 1 ||
            !esdk_gcm_seal(ctx, info + name_len + 8, aad, aad_len, mat->data_key, mat->data_key_len,
                           ct, ct + mat->data_key_len))
            st = esdk_fail(detail, detail_len, ESDK_ERR_CRYPTO, "raw AES keyring %s: wrap failed",
                           k->key_name);
    }
    if (st == ESDK_OK)
        st = esdk_edk_list_add(&mat->edks, k->key_namespace, strlen(k->key_namespace), info,
                               info_len, ct, mat->data_key_len + 16);
    EVP_CIPHER_CTX_free(ctx);
    OPENSSL_free(aad);
    OPENSSL_free(info);
    return st;
}

static esdk_status raw_aes_on_encrypt(esdk_keyring *keyring, esdk_enc_materials *mat, char *detail,
                                      size_t detail_len)
{
    raw_aes_keyring *k = (raw_aes_keyring *)keyring;
    return esdk_keyring_generate_and_wrap(k->crypto, keyring, mat, wrap, detail, detail_len);
}

/* Whether this EDK was written by this keyring (namespace, name, tag and IV lengths). */
static int edk_is_ours(const raw_aes_keyring *k, const esdk_edk *edk, size_t key_len)
{
    size_t ns_len = strlen(k->key_namespace), name_len = strlen(k->key_name);
    return edk->provider_id_len == ns_len &&
           memcmp(edk->provider_id, k->key_namespace, ns_len) == 0 &&
           edk->provider_info_len == name_len + INFO_SUFFIX_LEN &&
           memcmp(edk->provider_info, k->key_name, name_len) == 0 &&
           esdk_get_u32(edk->provider_info + name_len) == 128 &&
           esdk_get_u32(edk->provider_info + name_len + 4) == 12 &&
           edk->ciphertext_len == key_len + 16;
}

static esdk_status raw_aes_on_decrypt(esdk_keyring *keyring, esdk_dec_materials *mat,
                                      const esdk_edk *edks, size_t edk_count, char *detail,
                                      size_t detail_len)
{
    raw_aes_keyring *k = (raw_aes_keyring *)keyring;
    const esdk_suite *suite = esdk_suite_by_id(mat->suite_id);
    if (suite == NULL)
        return ESDK_ERR_UNSUPPORTED_SUITE;
    uint8_t *aad = NULL;
    size_t aad_len = 0;
    esdk_status st = serialize_ec(&mat->ec, &aad, &aad_len);
    EVP_CIPHER_CTX *ctx =
        st == ESDK_OK ? esdk_gcm_new(k->crypto, k->wrapping_key, k->wrapping_key_len, 0) : NULL;
    if (st == ESDK_OK && ctx == NULL)
        st = ESDK_ERR_CRYPTO;
    size_t name_len = strlen(k->key_name);
    uint8_t key[MAX_DATA_KEY];
    for (size_t i = 0; st == ESDK_OK && i < edk_count && mat->data_key == NULL; i++) {
        if (!edk_is_ours(k, &edks[i], suite->key_len))
            continue;
        const uint8_t *iv = edks[i].provider_info + name_len + 8;
        /* A failing tag is an expected outcome here: keep the error queue clean. */
        ERR_set_mark();
        int opened = esdk_gcm_open(ctx, iv, aad, aad_len, edks[i].ciphertext, suite->key_len, key,
                                   edks[i].ciphertext + suite->key_len);
        ERR_pop_to_mark();
        if (opened) {
            st = esdk_dec_materials_set_data_key(mat, key, suite->key_len);
            mat->edk_index = (long)i;
        }
    }
    OPENSSL_cleanse(key, sizeof(key));
    EVP_CIPHER_CTX_free(ctx);
    OPENSSL_free(aad);
    if (st == ESDK_OK && mat->data_key == NULL)
        st = esdk_fail(detail, detail_len, ESDK_ERR_NO_KEYRING_DECRYPT,
                       "raw AES keyring %s/%s: no EDK decrypted", k->key_namespace, k->key_name);
    return st;
}

static void raw_aes_destroy(esdk_keyring *keyring)
{
    raw_aes_keyring *k = (raw_aes_keyring *)keyring;
    OPENSSL_secure_clear_free(k->wrapping_key, k->wrapping_key_len);
    OPENSSL_free(k->key_namespace);
    OPENSSL_free(k->key_name);
    OPENSSL_free(k);
}

static const esdk_keyring_vtable raw_aes_vtable = {"raw-aes", raw_aes_on_encrypt,
                                                   raw_aes_on_decrypt, raw_aes_destroy};

esdk_status esdk_raw_aes_keyring_new(const esdk_crypto *crypto, const char *key_namespace,
                                     const char *key_name, const uint8_t *wrapping_key,
                                     size_t wrapping_key_len, esdk_keyring **out)
{
    *out = NULL;
    if (key_namespace == NULL || key_name == NULL || wrapping_key == NULL ||
        strncmp(key_namespace, "aws-kms", 7) == 0 || strlen(key_namespace) > 0xFFFF ||
        strlen(key_name) + INFO_SUFFIX_LEN > 0xFFFF ||
        (wrapping_key_len != 16 && wrapping_key_len != 24 && wrapping_key_len != 32))
        return ESDK_ERR_INVALID_ARGUMENT;
    raw_aes_keyring *k = OPENSSL_zalloc(sizeof(*k));
    if (k == NULL)
        return ESDK_ERR_ALLOC;
    k->crypto = esdk_crypto_or_default(crypto);
    k->key_namespace = OPENSSL_strdup(key_namespace);
    k->key_name = OPENSSL_strdup(key_name);
    k->wrapping_key = OPENSSL_secure_malloc(wrapping_key_len);
    esdk_keyring_init(&k->base, &raw_aes_vtable);
    if (k->key_namespace == NULL || k->key_name == NULL || k->wrapping_key == NULL) {
        raw_aes_destroy(&k->base);
        return ESDK_ERR_ALLOC;
    }
    memcpy(k->wrapping_key, wrapping_key, wrapping_key_len);
    k->wrapping_key_len = wrapping_key_len;
    *out = &k->base;
    return ESDK_OK;
}
