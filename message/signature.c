#include "message/signature.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>

#define MAX_SIGN_ATTEMPTS 256

EVP_MD_CTX *esdk_sig_hash_new(const esdk_crypto *crypto, const esdk_suite *suite)
{
    const EVP_MD *md = esdk_crypto_md(esdk_crypto_or_default(crypto), suite->sig_hash);
    EVP_MD_CTX *ctx = md ? EVP_MD_CTX_new() : NULL;
    if (ctx != NULL && !EVP_DigestInit_ex(ctx, md, NULL)) {
        EVP_MD_CTX_free(ctx);
        ctx = NULL;
    }
    return ctx;
}

static EVP_PKEY_CTX *pkey_ctx(const esdk_crypto *crypto, EVP_PKEY *key, int sign)
{
    crypto = esdk_crypto_or_default(crypto);
    EVP_PKEY_CTX *ctx =
        EVP_PKEY_CTX_new_from_pkey(esdk_crypto_libctx(crypto), key, esdk_crypto_propq(crypto));
    if (ctx != NULL && (sign ? EVP_PKEY_sign_init(ctx) : EVP_PKEY_verify_init(ctx)) > 0)
        return ctx;
    EVP_PKEY_CTX_free(ctx);
    return NULL;
}

/* Rewrites a DER signature with s replaced by n - s when s > n/2. */
static int normalize_low_s(const BIGNUM *order, uint8_t *sig, size_t *sig_len)
{
    const unsigned char *p = sig;
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)*sig_len);
    BIGNUM *half = BN_new(), *s2 = BN_new();
    int ok = es && half && s2 && BN_rshift1(half, order);
    if (ok && BN_cmp(ECDSA_SIG_get0_s(es), half) > 0) {
        BIGNUM *r = BN_dup(ECDSA_SIG_get0_r(es));
        ok = r && BN_sub(s2, order, ECDSA_SIG_get0_s(es)) && ECDSA_SIG_set0(es, r, s2);
        if (ok)
            s2 = NULL;
        else
            BN_free(r);
    }
    if (ok) {
        unsigned char *out = sig;
        int n = i2d_ECDSA_SIG(es, &out);
        ok = n > 0;
        *sig_len = (size_t)n;
    }
    BN_free(half);
    BN_free(s2);
    ECDSA_SIG_free(es);
    return ok;
}

esdk_status esdk_sig_sign(const esdk_crypto *crypto, EVP_MD_CTX *hash, EVP_PKEY *key,
                          const esdk_suite *suite, uint8_t *sig, size_t *sig_len)
{
    uint8_t digest[EVP_MAX_MD_SIZE];
    unsigned digest_len = 0;
    const esdk_crypto *c = esdk_crypto_or_default(crypto);
    EC_GROUP *group =
        EC_GROUP_new_by_curve_name_ex(esdk_crypto_libctx(c), esdk_crypto_propq(c), suite->sig_nid);
    EVP_PKEY_CTX *ctx = pkey_ctx(c, key, 1);
    esdk_status st = ESDK_ERR_CRYPTO;
    if (group == NULL || ctx == NULL || !EVP_DigestFinal_ex(hash, digest, &digest_len))
        goto done;
    for (int i = 0; i < MAX_SIGN_ATTEMPTS; i++) {
        *sig_len = ESDK_SIG_MAX_LEN;
        if (EVP_PKEY_sign(ctx, sig, sig_len, digest, digest_len) <= 0 ||
            !normalize_low_s(EC_GROUP_get0_order(group), sig, sig_len))
            goto done;
        if (*sig_len == suite->sig_max_len) {
            st = ESDK_OK;
            break;
        }
    }
done:
    EVP_PKEY_CTX_free(ctx);
    EC_GROUP_free(group);
    return st;
}

esdk_status esdk_sig_verify(const esdk_crypto *crypto, EVP_MD_CTX *hash, EVP_PKEY *key,
                            const uint8_t *sig, size_t sig_len)
{
    uint8_t digest[EVP_MAX_MD_SIZE];
    unsigned digest_len = 0;
    EVP_PKEY_CTX *ctx = pkey_ctx(crypto, key, 0);
    int ok = ctx != NULL && EVP_DigestFinal_ex(hash, digest, &digest_len) &&
             EVP_PKEY_verify(ctx, sig, sig_len, digest, digest_len) == 1;
    EVP_PKEY_CTX_free(ctx);
    return ok ? ESDK_OK : ESDK_ERR_SIGNATURE;
}
