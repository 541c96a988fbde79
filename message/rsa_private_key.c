#include "message/rsa_private_key.h"

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <stdint.h>
#include <string.h>

/* RSAPrivateKey (RFC 8017 A.1.2): version 0, then these eight integers. */
static const char *const component_names[] = {
    OSSL_PKEY_PARAM_RSA_N,         OSSL_PKEY_PARAM_RSA_E,           OSSL_PKEY_PARAM_RSA_D,
    OSSL_PKEY_PARAM_RSA_FACTOR1,   OSSL_PKEY_PARAM_RSA_FACTOR2,     OSSL_PKEY_PARAM_RSA_EXPONENT1,
    OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1};
#define N_COMPONENTS (sizeof(component_names) / sizeof(component_names[0]))

/* Larger moduli than any RSA key in use; bounds the work of the key check. */
#define MAX_MODULUS_BITS 16384

/* One PEM block's DER in the secure heap. */
typedef struct {
    int pkcs8; /* "PRIVATE KEY"; else "RSA PRIVATE KEY" */
    unsigned char *der;
    size_t der_len, alloc;
} key_der;

static void key_der_free(key_der *k)
{
    OPENSSL_secure_clear_free(k->der, k->alloc);
    memset(k, 0, sizeof(*k));
}

/* The first occurrence of `s` in [from, end), or NULL. */
static const char *find(const char *from, const char *end, const char *s)
{
    size_t n = strlen(s);
    for (const char *p = from; p != NULL && (size_t)(end - p) >= n;
         p = memchr(p + 1, s[0], (size_t)(end - p - 1)))
        if (memcmp(p, s, n) == 0)
            return p;
    return NULL;
}

static int is_base64_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/' || c == '=';
}

/* Decodes the body [from, end) into k->der. The base64 text is gathered and
 * decoded in the secure heap by hand: PEM_read_bio_ex frees its decoding
 * context, which holds the last line, uncleansed. A ':' means PEM headers
 * (Proc-Type: an encrypted key), refused before any decoding. */
static esdk_status decode_body(const char *from, const char *end, key_der *k, char *detail,
                               size_t detail_len)
{
    if (memchr(from, ':', (size_t)(end - from)) != NULL)
        return esdk_fail(detail, detail_len, ESDK_ERR_INVALID_ARGUMENT,
                         "encrypted PEM keys are not supported");
    size_t cap = (size_t)(end - from) + 1, n = 0, pad = 0;
    char *text = OPENSSL_secure_malloc(cap);
    if (text == NULL)
        return ESDK_ERR_ALLOC;
    esdk_status st = ESDK_OK;
    for (const char *p = from; p < end && st == ESDK_OK; p++) {
        if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
            continue;
        if (!is_base64_char(*p) || (pad > 0 && *p != '='))
            st = esdk_fail(detail, detail_len, ESDK_ERR_INVALID_ARGUMENT, "bad base64 in the key");
        else {
            pad += *p == '=';
            text[n++] = *p;
        }
    }
    if (st == ESDK_OK && (n == 0 || n % 4 != 0 || pad > 2 || n / 4 * 3 > INT32_MAX))
        st = esdk_fail(detail, detail_len, ESDK_ERR_INVALID_ARGUMENT, "bad base64 in the key");
    k->alloc = n / 4 * 3;
    if (st == ESDK_OK && (k->der = OPENSSL_secure_malloc(k->alloc)) == NULL)
        st = ESDK_ERR_ALLOC;
    if (st == ESDK_OK &&
        EVP_DecodeBlock(k->der, (const unsigned char *)text, (int)n) != (int)k->alloc)
        st = esdk_fail(detail, detail_len, ESDK_ERR_INVALID_ARGUMENT, "bad base64 in the key");
    k->der_len = k->alloc - pad;
    OPENSSL_secure_clear_free(text, cap);
    return st;
}

static int starts_with(const char *at, const char *end, const char *s)
{
    size_t n = strlen(s);
    return (size_t)(end - at) >= n && memcmp(at, s, n) == 0;
}

/* The first "PRIVATE KEY" or "RSA PRIVATE KEY" block; other blocks before it
 * (a certificate, a public key) are skipped. */
static esdk_status read_key_der(const char *pem, size_t pem_len, key_der *k, char *detail,
                                size_t detail_len)
{
    static const struct {
        const char *begin, *end;
        int pkcs8;
    } forms[] = {{"-----BEGIN PRIVATE KEY-----", "-----END PRIVATE KEY-----", 1},
                 {"-----BEGIN RSA PRIVATE KEY-----", "-----END RSA PRIVATE KEY-----", 0}};
    const char *end = pem + pem_len;
    memset(k, 0, sizeof(*k));
    for (const char *at = find(pem, end, "-----BEGIN "); at != NULL;
         at = find(at + 1, end, "-----BEGIN ")) {
        if (starts_with(at, end, "-----BEGIN ENCRYPTED PRIVATE KEY-----"))
            return esdk_fail(detail, detail_len, ESDK_ERR_INVALID_ARGUMENT,
                             "encrypted PEM keys are not supported");
        for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
            if (!starts_with(at, end, forms[i].begin))
                continue;
            const char *body = at + strlen(forms[i].begin);
            const char *stop = find(body, end, forms[i].end);
            if (stop == NULL)
                return esdk_fail(detail, detail_len, ESDK_ERR_INVALID_ARGUMENT,
                                 "the private key block has no end line");
            k->pkcs8 = forms[i].pkcs8;
            esdk_status st = decode_body(body, stop, k, detail, detail_len);
            if (st != ESDK_OK)
                key_der_free(k);
            return st;
        }
    }
    return esdk_fail(detail, detail_len, ESDK_ERR_INVALID_ARGUMENT,
                     "no PRIVATE KEY or RSA PRIVATE KEY block");
}

/* Cleanses everything of a decoded sequence that can hold key bytes (its
 * integers, and the raw encoding of anything else, e.g. the extra primes of
 * a multi-prime key), then frees it. */
static void free_sequence(ASN1_SEQUENCE_ANY *seq)
{
    for (int i = 0; i < sk_ASN1_TYPE_num(seq); i++) {
        ASN1_TYPE *t = sk_ASN1_TYPE_value(seq, i);
        if (t->type != V_ASN1_BOOLEAN && t->type != V_ASN1_NULL && t->type != V_ASN1_OBJECT &&
            t->value.asn1_string != NULL)
            OPENSSL_cleanse((void *)ASN1_STRING_get0_data(t->value.asn1_string),
                            (size_t)ASN1_STRING_length(t->value.asn1_string));
    }
    sk_ASN1_TYPE_pop_free(seq, ASN1_TYPE_free);
}

static BIGNUM *secure_bn(const ASN1_INTEGER *ai)
{
    BIGNUM *bn = BN_secure_new();
    if (bn != NULL && ASN1_INTEGER_to_BN(ai, bn) == NULL) {
        BN_clear_free(bn);
        bn = NULL;
    }
    return bn;
}

/* The eight components of a version-0 (two-prime) RSAPrivateKey. */
static esdk_status read_components(const unsigned char *der, long len, BIGNUM *bn[N_COMPONENTS],
                                   char *detail, size_t detail_len)
{
    const unsigned char *p = der;
    ASN1_SEQUENCE_ANY *seq = d2i_ASN1_SEQUENCE_ANY(NULL, &p, len);
    int ok = seq != NULL && p == der + len && sk_ASN1_TYPE_num(seq) == (int)N_COMPONENTS + 1;
    for (int i = 0; ok && i <= (int)N_COMPONENTS; i++) {
        const ASN1_TYPE *t = sk_ASN1_TYPE_value(seq, i);
        ok = t->type == V_ASN1_INTEGER;
        if (ok && i == 0)
            ok = ASN1_INTEGER_get(t->value.integer) == 0;
        else if (ok)
            ok = (bn[i - 1] = secure_bn(t->value.integer)) != NULL;
    }
    if (seq != NULL)
        free_sequence(seq);
    return ok ? ESDK_OK
              : esdk_fail(detail, detail_len, ESDK_ERR_INVALID_ARGUMENT,
                          "not a two-prime RSA private key (RSAPrivateKey version 0)");
}

/* The key from its components, refused unless its parts agree (pairwise
 * check: n = p q, d e = 1 mod lcm(p-1, q-1), the CRT values). */
static esdk_status key_from_components(const esdk_crypto *crypto, BIGNUM *const bn[N_COMPONENTS],
                                       EVP_PKEY **out, char *detail, size_t detail_len)
{
    if (BN_num_bits(bn[0]) > MAX_MODULUS_BITS || BN_is_negative(bn[0]) || BN_is_zero(bn[0]))
        return esdk_fail(detail, detail_len, ESDK_ERR_INVALID_ARGUMENT,
                         "RSA modulus of %d bits (at most %d)", BN_num_bits(bn[0]),
                         MAX_MODULUS_BITS);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL, *check = NULL;
    int ok = bld != NULL;
    for (size_t i = 0; ok && i < N_COMPONENTS; i++)
        ok = OSSL_PARAM_BLD_push_BN(bld, component_names[i], bn[i]);
    /* Secure BIGNUMs go to the block's secure half, which OSSL_PARAM_free cleanses. */
    ok = ok && (params = OSSL_PARAM_BLD_to_param(bld)) != NULL &&
         (ctx = EVP_PKEY_CTX_new_from_name(esdk_crypto_libctx(crypto), "RSA",
                                           esdk_crypto_propq(crypto))) != NULL &&
         EVP_PKEY_fromdata_init(ctx) > 0 &&
         EVP_PKEY_fromdata(ctx, out, EVP_PKEY_KEYPAIR, params) > 0;
    ok = ok &&
         (check = EVP_PKEY_CTX_new_from_pkey(esdk_crypto_libctx(crypto), *out,
                                             esdk_crypto_propq(crypto))) != NULL &&
         EVP_PKEY_pairwise_check(check) > 0;
    EVP_PKEY_CTX_free(check);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    if (ok)
        return ESDK_OK;
    EVP_PKEY_free(*out);
    *out = NULL;
    return esdk_fail(detail, detail_len, ESDK_ERR_INVALID_ARGUMENT,
                     "the RSA key's parts do not agree (key check failed)");
}

/* The RSAPrivateKey inside PKCS#8 (rsaEncryption only), or the DER itself. */
static esdk_status key_from_der(const esdk_crypto *crypto, const key_der *k, EVP_PKEY **out,
                                char *detail, size_t detail_len)
{
    BIGNUM *bn[N_COMPONENTS] = {0};
    const unsigned char *der = k->der, *inner = k->der;
    int inner_len = (int)k->der_len;
    PKCS8_PRIV_KEY_INFO *p8 = NULL;
    const ASN1_OBJECT *algorithm = NULL;
    esdk_status st = ESDK_OK;
    if (k->pkcs8) {
        p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &der, (long)k->der_len);
        if (p8 == NULL || der != k->der + k->der_len ||
            !PKCS8_pkey_get0(&algorithm, &inner, &inner_len, NULL, p8))
            st = esdk_fail(detail, detail_len, ESDK_ERR_INVALID_ARGUMENT,
                           "not a PKCS#8 private key");
        else if (OBJ_obj2nid(algorithm) != NID_rsaEncryption)
            st = esdk_fail(detail, detail_len, ESDK_ERR_INVALID_ARGUMENT,
                           "a PKCS#8 key of another algorithm than rsaEncryption");
    }
    if (st == ESDK_OK)
        st = read_components(inner, inner_len, bn, detail, detail_len);
    if (st == ESDK_OK)
        st = key_from_components(crypto, bn, out, detail, detail_len);
    for (size_t i = 0; i < N_COMPONENTS; i++)
        BN_clear_free(bn[i]);
    PKCS8_PRIV_KEY_INFO_free(p8); /* cleanses its key octet string */
    return st;
}

esdk_status esdk_rsa_private_key_from_pem(const esdk_crypto *crypto, const char *pem,
                                          size_t pem_len, EVP_PKEY **out, char *detail,
                                          size_t detail_len)
{
    crypto = esdk_crypto_or_default(crypto);
    *out = NULL;
    key_der k;
    esdk_status st = read_key_der(pem, pem_len, &k, detail, detail_len);
    if (st == ESDK_OK)
        st = key_from_der(crypto, &k, out, detail, detail_len);
    key_der_free(&k);
    return st;
}
