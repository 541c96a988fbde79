#include "message/raw_rsa_keyring.h"
#include "message/rsa_private_key.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <string.h>

#include "message/suite.h"

#define MAX_DATA_KEY 32

typedef struct {
    esdk_keyring base;
    const esdk_crypto *crypto;
    char *key_namespace;
    char *key_name;
    esdk_rsa_padding padding;
    EVP_PKEY *public_key;
    EVP_PKEY *private_key;
} raw_rsa_keyring;

static const char *oaep_digest(esdk_rsa_padding padding)
{
    switch (padding) {
    case ESDK_RSA_OAEP_SHA1:
        return "SHA1";
    case ESDK_RSA_OAEP_SHA256:
        return "SHA256";
    case ESDK_RSA_OAEP_SHA384:
        return "SHA384";
    case ESDK_RSA_OAEP_SHA512:
        return "SHA512";
    default:
        return NULL;
    }
}

/* A context for encrypt or decrypt with the keyring's padding (MGF1 hash = OAEP hash). */
static EVP_PKEY_CTX *rsa_ctx(const raw_rsa_keyring *k, int encrypt)
{
    EVP_PKEY *key = encrypt ? k->public_key : k->private_key;
    EVP_PKEY_CTX *ctx = key ? EVP_PKEY_CTX_new_from_pkey(esdk_crypto_libctx(k->crypto), key,
                                                         esdk_crypto_propq(k->crypto))
                            : NULL;
    if (ctx == NULL)
        return NULL;
    int ok = encrypt ? EVP_PKEY_encrypt_init(ctx) > 0 : EVP_PKEY_decrypt_init(ctx) > 0;
    const char *md = oaep_digest(k->padding);
    if (ok && md == NULL) {
        ok = EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0;
    } else if (ok) {
        ok = EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) > 0 &&
             EVP_PKEY_CTX_set_rsa_oaep_md_name(ctx, md, NULL) > 0 &&
             EVP_PKEY_CTX_set_rsa_mgf1_md_name(ctx, md, NULL) > 0;
    }
    if (!ok) {
        EVP_PKEY_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

static esdk_status rsa_wrap(esdk_keyring *keyring, esdk_enc_materials *mat, char *detail,
                            size_t detail_len)
{
    raw_rsa_keyring *k = (raw_rsa_keyring *)keyring;
    if (k->public_key == NULL)
        return esdk_fail(detail, detail_len, ESDK_ERR_KEYRING,
                         "raw RSA keyring %s has no public key", k->key_name);
    EVP_PKEY_CTX *ctx = rsa_ctx(k, 1);
    size_t ct_len = 0;
    uint8_t *ct = NULL;
    esdk_status st = ESDK_ERR_CRYPTO;
    if (ctx != NULL && EVP_PKEY_encrypt(ctx, NULL, &ct_len, mat->data_key, mat->data_key_len) > 0 &&
        (ct = OPENSSL_malloc(ct_len)) != NULL &&
        EVP_PKEY_encrypt(ctx, ct, &ct_len, mat->data_key, mat->data_key_len) > 0)
        st = esdk_edk_list_add(&mat->edks, k->key_namespace, strlen(k->key_namespace), k->key_name,
                               strlen(k->key_name), ct, ct_len);
    else
        esdk_fail(detail, detail_len, st, "raw RSA keyring %s: wrap failed", k->key_name);
    OPENSSL_free(ct);
    EVP_PKEY_CTX_free(ctx);
    return st;
}

static esdk_status raw_rsa_on_encrypt(esdk_keyring *keyring, esdk_enc_materials *mat, char *detail,
                                      size_t detail_len)
{
    raw_rsa_keyring *k = (raw_rsa_keyring *)keyring;
    return esdk_keyring_generate_and_wrap(k->crypto, keyring, mat, rsa_wrap, detail, detail_len);
}

static int edk_is_ours(const raw_rsa_keyring *k, const esdk_edk *edk)
{
    size_t ns_len = strlen(k->key_namespace), name_len = strlen(k->key_name);
    return edk->provider_id_len == ns_len &&
           memcmp(edk->provider_id, k->key_namespace, ns_len) == 0 &&
           edk->provider_info_len == name_len &&
           memcmp(edk->provider_info, k->key_name, name_len) == 0;
}

/* Unwraps one EDK into secure memory; 1 when it yields a key of the suite's length. */
static int unwrap(EVP_PKEY_CTX *ctx, const esdk_edk *edk, uint8_t *key, size_t cap, size_t key_len)
{
    size_t out_len = 0;
    if (EVP_PKEY_decrypt(ctx, NULL, &out_len, edk->ciphertext, edk->ciphertext_len) <= 0 ||
        out_len > cap)
        return 0;
    out_len = cap;
    return EVP_PKEY_decrypt(ctx, key, &out_len, edk->ciphertext, edk->ciphertext_len) > 0 &&
           out_len == key_len;
}

static esdk_status raw_rsa_on_decrypt(esdk_keyring *keyring, esdk_dec_materials *mat,
                                      const esdk_edk *edks, size_t edk_count, char *detail,
                                      size_t detail_len)
{
    raw_rsa_keyring *k = (raw_rsa_keyring *)keyring;
    const esdk_suite *suite = esdk_suite_by_id(mat->suite_id);
    if (suite == NULL)
        return ESDK_ERR_UNSUPPORTED_SUITE;
    EVP_PKEY_CTX *ctx = rsa_ctx(k, 0);
    size_t cap = k->private_key ? (size_t)EVP_PKEY_get_size(k->private_key) : 0;
    uint8_t *key = cap ? OPENSSL_secure_malloc(cap) : NULL;
    esdk_status st = ESDK_OK;
    for (size_t i = 0; ctx && key && st == ESDK_OK && i < edk_count && !mat->data_key; i++) {
        if (edk_is_ours(k, &edks[i]) && unwrap(ctx, &edks[i], key, cap, suite->key_len)) {
            st = esdk_dec_materials_set_data_key(mat, key, suite->key_len);
            mat->edk_index = (long)i;
        }
    }
    OPENSSL_secure_clear_free(key, cap);
    EVP_PKEY_CTX_free(ctx);
    if (st == ESDK_OK && mat->data_key == NULL)
        st = esdk_fail(detail, detail_len, ESDK_ERR_NO_KEYRING_DECRYPT,
                       "raw RSA keyring %s/%s: no EDK decrypted", k->key_namespace, k->key_name);
    return st;
}

static void raw_rsa_destroy(esdk_keyring *keyring)
{
    raw_rsa_keyring *k = (raw_rsa_keyring *)keyring;
    EVP_PKEY_free(k->public_key);
    EVP_PKEY_free(k->private_key);
    OPENSSL_free(k->key_namespace);
    OPENSSL_free(k->key_name);
    OPENSSL_free(k);
}

static const esdk_keyring_vtable raw_rsa_vtable = {"raw-rsa", raw_rsa_on_encrypt,
                                                   raw_rsa_on_decrypt, raw_rsa_destroy};

esdk_status esdk_raw_rsa_keyring_new(const esdk_crypto *crypto, const char *key_namespace,
                                     const char *key_name, esdk_rsa_padding padding,
                                     EVP_PKEY *public_key, EVP_PKEY *private_key,
                                     esdk_keyring **out)
{
    *out = NULL;
    if (key_namespace == NULL || key_name == NULL || (public_key == NULL && private_key == NULL) ||
        strncmp(key_namespace, "aws-kms", 7) == 0 || strlen(key_namespace) > 0xFFFF ||
        strlen(key_name) > 0xFFFF || padding > ESDK_RSA_OAEP_SHA512)
        return ESDK_ERR_INVALID_ARGUMENT;
    raw_rsa_keyring *k = OPENSSL_zalloc(sizeof(*k));
    if (k == NULL)
        return ESDK_ERR_ALLOC;
    esdk_keyring_init(&k->base, &raw_rsa_vtable);
    k->crypto = esdk_crypto_or_default(crypto);
    k->key_namespace = OPENSSL_strdup(key_namespace);
    k->key_name = OPENSSL_strdup(key_name);
    k->padding = padding;
    if (public_key != NULL && EVP_PKEY_up_ref(public_key))
        k->public_key = public_key;
    if (private_key != NULL && EVP_PKEY_up_ref(private_key))
        k->private_key = private_key;
    if (k->key_namespace == NULL || k->key_name == NULL || (public_key && !k->public_key) ||
        (private_key && !k->private_key)) {
        raw_rsa_destroy(&k->base);
        return ESDK_ERR_ALLOC;
    }
    *out = &k->base;
    return ESDK_OK;
}

esdk_status esdk_rsa_key_from_pem(const esdk_crypto *crypto, const char *pem, size_t pem_len,
                                  int is_private, EVP_PKEY **out)
{
    crypto = esdk_crypto_or_default(crypto);
    OSSL_LIB_CTX *libctx = esdk_crypto_libctx(crypto);
    const char *propq = esdk_crypto_propq(crypto);
    *out = NULL;
    if (pem_len > INT32_MAX)
        return ESDK_ERR_INVALID_ARGUMENT;
    if (is_private)
        return esdk_rsa_private_key_from_pem(crypto, pem, pem_len, out, NULL, 0);
    BIO *bio = BIO_new_mem_buf(pem, (int)pem_len);
    if (bio == NULL)
        return ESDK_ERR_ALLOC;
    *out = PEM_read_bio_PUBKEY_ex(bio, NULL, NULL, NULL, libctx, propq);
    BIO_free(bio);
    return *out ? ESDK_OK : ESDK_ERR_INVALID_ARGUMENT;
}
