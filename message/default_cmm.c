#include <openssl/crypto.h>
#include <string.h>

#include "message/cmm.h"

typedef struct {
    esdk_cmm base;
    esdk_keyring *keyring;
    const esdk_crypto *crypto;
} default_cmm;

/* Signed suites: a fresh ECDSA key, its public half in the EC (never caller-set). */
static esdk_status add_signing_key(const esdk_crypto *crypto, esdk_enc_materials *mat, char *detail,
                                   size_t detail_len)
{
    if (esdk_ec_get(&mat->ec, ESDK_EC_PUBLIC_KEY, strlen(ESDK_EC_PUBLIC_KEY)) != NULL)
        return esdk_fail(detail, detail_len, ESDK_ERR_RESERVED_CONTEXT,
                         "encryption context already sets %s", ESDK_EC_PUBLIC_KEY);
    esdk_status st = esdk_signing_key_generate(crypto, mat->suite_id, &mat->signing_key);
    char *b64 = NULL;
    size_t b64_len = 0;
    if (st == ESDK_OK)
        st = esdk_public_key_encode(mat->signing_key, &b64, &b64_len);
    if (st == ESDK_OK)
        st = esdk_ec_set(&mat->ec, ESDK_EC_PUBLIC_KEY, strlen(ESDK_EC_PUBLIC_KEY), b64, b64_len);
    OPENSSL_free(b64);
    return st;
}

static esdk_status default_get_encryption_materials(esdk_cmm *cmm, const esdk_enc_request *req,
                                                    esdk_enc_materials **out, char *detail,
                                                    size_t detail_len)
{
    default_cmm *d = (default_cmm *)cmm;
    uint16_t suite_id = req->suite_id ? req->suite_id : ESDK_DEFAULT_SUITE;
    const esdk_suite *suite = esdk_suite_by_id(suite_id);
    if (suite == NULL)
        return esdk_fail(detail, detail_len, ESDK_ERR_UNSUPPORTED_SUITE, "unknown suite 0x%04x",
                         suite_id);
    if (!esdk_policy_allows_encrypt(req->policy, suite))
        return esdk_fail(detail, detail_len, ESDK_ERR_POLICY,
                         "commitment policy forbids encrypting with suite 0x%04x", suite_id);
    if (req->ec != NULL && esdk_ec_has_reserved_key(req->ec))
        return esdk_fail(detail, detail_len, ESDK_ERR_RESERVED_CONTEXT,
                         "encryption context keys starting with aws-crypto- are reserved");
    esdk_enc_materials *mat = esdk_enc_materials_new(suite_id);
    esdk_status st = mat ? ESDK_OK : ESDK_ERR_ALLOC;
    if (st == ESDK_OK && req->ec != NULL)
        st = esdk_ec_copy(&mat->ec, req->ec);
    if (st == ESDK_OK && esdk_suite_is_signed(suite))
        st = add_signing_key(d->crypto, mat, detail, detail_len);
    if (st == ESDK_OK)
        st = esdk_keyring_on_encrypt(d->keyring, mat, detail, detail_len);
    if (st != ESDK_OK) {
        esdk_enc_materials_free(mat);
        mat = NULL;
    }
    *out = mat;
    return st;
}

/* Stored pairs must agree with the reproduced EC; reproduced-only pairs are
 * required EC: authenticated in the header tag and shown to the keyrings. */
static esdk_status merge_reproduced(esdk_dec_materials *mat, const esdk_enc_context *reproduced,
                                    char *detail, size_t detail_len)
{
    const esdk_ec_pair *conflict = NULL;
    size_t n = reproduced != NULL ? reproduced->count : 0;
    esdk_ec_pair *pairs = n > 0 ? OPENSSL_malloc(n * sizeof(*pairs)) : NULL;
    if (n > 0 && pairs == NULL)
        return ESDK_ERR_ALLOC;
    esdk_enc_context required;
    esdk_status st = esdk_ec_required_view(&mat->ec, reproduced, pairs, &required, &conflict);
    if (st == ESDK_ERR_CONTEXT_MISMATCH)
        esdk_fail(detail, detail_len, st, "encryption context key \"%s\" differs from the message",
                  (const char *)conflict->key);
    /* The view's pairs are reproduced's, so adding them to mat->ec is safe. */
    for (size_t i = 0; st == ESDK_OK && i < required.count; i++) {
        const esdk_ec_pair *r = &required.pairs[i];
        st = esdk_ec_set(&mat->required_ec, r->key, r->key_len, r->value, r->value_len);
        if (st == ESDK_OK)
            st = esdk_ec_set(&mat->ec, r->key, r->key_len, r->value, r->value_len);
    }
    OPENSSL_free(pairs);
    return st;
}

/* aws-crypto-public-key: required (and decoded) for signed suites, forbidden otherwise. */
static esdk_status load_verification_key(const esdk_crypto *crypto, esdk_dec_materials *mat,
                                         const esdk_suite *suite, const esdk_enc_context *stored,
                                         char *detail, size_t detail_len)
{
    const esdk_ec_pair *pk = esdk_ec_get(stored, ESDK_EC_PUBLIC_KEY, strlen(ESDK_EC_PUBLIC_KEY));
    if (!esdk_suite_is_signed(suite)) {
        if (pk != NULL)
            return esdk_fail(detail, detail_len, ESDK_ERR_PUBLIC_KEY,
                             "unsigned suite 0x%04x carries %s", suite->id, ESDK_EC_PUBLIC_KEY);
        return ESDK_OK;
    }
    if (pk == NULL)
        return esdk_fail(detail, detail_len, ESDK_ERR_PUBLIC_KEY, "signed suite 0x%04x lacks %s",
                         suite->id, ESDK_EC_PUBLIC_KEY);
    esdk_status st =
        esdk_public_key_decode(crypto, suite->id, pk->value, pk->value_len, &mat->verification_key);
    if (st != ESDK_OK)
        return esdk_fail(detail, detail_len, ESDK_ERR_PUBLIC_KEY,
                         "%s is not the base64 of a compressed %s point", ESDK_EC_PUBLIC_KEY,
                         suite->sig_curve);
    return ESDK_OK;
}

static esdk_status default_decrypt_materials(esdk_cmm *cmm, const esdk_dec_request *req,
                                             esdk_dec_materials **out, char *detail,
                                             size_t detail_len)
{
    default_cmm *d = (default_cmm *)cmm;
    const esdk_suite *suite = esdk_suite_by_id(req->suite_id);
    *out = NULL;
    if (suite == NULL)
        return esdk_fail(detail, detail_len, ESDK_ERR_UNSUPPORTED_SUITE, "unknown suite 0x%04x",
                         req->suite_id);
    if (!esdk_policy_allows_decrypt(req->policy, suite))
        return esdk_fail(detail, detail_len, ESDK_ERR_POLICY,
                         "commitment policy forbids decrypting suite 0x%04x", req->suite_id);
    esdk_dec_materials *mat = esdk_dec_materials_new(req->suite_id);
    esdk_status st = mat ? esdk_ec_copy(&mat->ec, req->ec) : ESDK_ERR_ALLOC;
    if (st == ESDK_OK)
        st = load_verification_key(d->crypto, mat, suite, req->ec, detail, detail_len);
    if (st == ESDK_OK)
        st = merge_reproduced(mat, req->reproduced_ec, detail, detail_len);
    if (st == ESDK_OK)
        st =
            esdk_keyring_on_decrypt(d->keyring, mat, req->edks, req->edk_count, detail, detail_len);
    if (st != ESDK_OK) {
        esdk_dec_materials_free(mat);
        mat = NULL;
    }
    *out = mat;
    return st;
}

static void default_destroy(esdk_cmm *cmm)
{
    default_cmm *d = (default_cmm *)cmm;
    esdk_keyring_free(d->keyring);
    OPENSSL_free(d);
}

static const esdk_cmm_vtable default_vtable = {"default", default_get_encryption_materials,
                                               default_decrypt_materials, default_destroy};

esdk_status esdk_default_cmm_new(const esdk_crypto *crypto, esdk_keyring *keyring, esdk_cmm **out)
{
    *out = NULL;
    if (keyring == NULL)
        return ESDK_ERR_INVALID_ARGUMENT;
    default_cmm *d = OPENSSL_zalloc(sizeof(*d));
    if (d == NULL)
        return ESDK_ERR_ALLOC;
    esdk_cmm_init(&d->base, &default_vtable);
    d->keyring = esdk_keyring_up_ref(keyring);
    d->crypto = esdk_crypto_or_default(crypto);
    *out = &d->base;
    return ESDK_OK;
}
