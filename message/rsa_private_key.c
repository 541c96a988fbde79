#include "message/rsa_private_key.h"

#include <limits.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <string.h>

/* RSAPrivateKey (RFC 8017 A.1.2): version 0, then these eight integers. */
static const char *const component_names[] = {
    OSSL_PKEY_PARAM_RSA_N,         OSSL_PKEY_PARAM_RSA_E,           OSSL_PKEY_PARAM_RSA_D,
    OSSL_PKEY_PARAM_RSA_FACTOR1,   OSSL_PKEY_PARAM_RSA_FACTOR2,     OSSL_PKEY_PARAM_RSA_EXPONENT1,
    OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1};
#define N_COMPONENTS (sizeof(component_names) / sizeof(component_names[0]))

typedef struct {
    char *name;
    char *header;
    unsigned char *der;
    long der_len;
} pem_block;

/* PEM_FLAG_SECURE: the block and PEM's line buffers live in the secure heap
 * and are cleansed when freed. */
static void pem_block_free(pem_block *b)
{
    OPENSSL_secure_free(b->name);
    OPENSSL_secure_free(b->header);
    OPENSSL_secure_clear_free(b->der, b->der_len > 0 ? (size_t)b->der_len : 0);
    memset(b, 0, sizeof(*b));
}

static int is_private_key_block(const pem_block *b)
{
    return strcmp(b->name, PEM_STRING_PKCS8INF) == 0 || strcmp(b->name, PEM_STRING_RSA) == 0;
}

/* The first private key block; 0 when the text has none. */
static int read_key_block(const char *pem, size_t pem_len, pem_block *out)
{
    memset(out, 0, sizeof(*out));
    BIO *bio = pem_len <= INT_MAX ? BIO_new_mem_buf(pem, (int)pem_len) : NULL;
    int found = 0;
    while (bio != NULL && !found &&
           PEM_read_bio_ex(bio, &out->name, &out->header, &out->der, &out->der_len,
                           PEM_FLAG_SECURE | PEM_FLAG_EAY_COMPATIBLE) > 0) {
        found = is_private_key_block(out);
        if (!found)
            pem_block_free(out);
    }
    BIO_free(bio);
    return found;
}

/* Cleanses the integers of an RSAPrivateKey sequence, then frees it. */
static void free_sequence(ASN1_SEQUENCE_ANY *seq)
{
    for (int i = 0; i < sk_ASN1_TYPE_num(seq); i++) {
        ASN1_TYPE *t = sk_ASN1_TYPE_value(seq, i);
        if (t->type == V_ASN1_INTEGER || t->type == V_ASN1_NEG_INTEGER)
            OPENSSL_cleanse((void *)ASN1_STRING_get0_data(t->value.integer),
                            (size_t)ASN1_STRING_length(t->value.integer));
    }
    sk_ASN1_TYPE_pop_free(seq, ASN1_TYPE_free);
}

/* The eight components of an RSAPrivateKey as secure BIGNUMs; 0 when the
 * DER is not a version-0 (two-prime) RSAPrivateKey. */
static int read_components(const unsigned char *der, long len, BIGNUM *bn[N_COMPONENTS])
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
            ok = (bn[i - 1] = ASN1_INTEGER_to_BN(t->value.integer, BN_secure_new())) != NULL;
    }
    if (seq != NULL)
        free_sequence(seq);
    return ok;
}

static EVP_PKEY *key_from_components(const esdk_crypto *crypto, BIGNUM *const bn[N_COMPONENTS])
{
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY *key = NULL;
    int ok = bld != NULL;
    for (size_t i = 0; ok && i < N_COMPONENTS; i++)
        ok = OSSL_PARAM_BLD_push_BN(bld, component_names[i], bn[i]);
    EVP_PKEY_CTX *ctx = ok ? EVP_PKEY_CTX_new_from_name(esdk_crypto_libctx(crypto), "RSA",
                                                        esdk_crypto_propq(crypto))
                           : NULL;
    /* Secure BIGNUMs go to the block's secure half, which OSSL_PARAM_free cleanses. */
    if (ctx != NULL && (params = OSSL_PARAM_BLD_to_param(bld)) != NULL &&
        EVP_PKEY_fromdata_init(ctx) > 0 &&
        EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_KEYPAIR, params) <= 0)
        key = NULL;
    OSSL_PARAM_free(params);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_BLD_free(bld);
    return key;
}

/* The RSAPrivateKey inside PKCS#8 (rsaEncryption), or the DER itself. */
static EVP_PKEY *key_from_block(const esdk_crypto *crypto, const pem_block *block)
{
    BIGNUM *bn[N_COMPONENTS] = {0};
    const unsigned char *der = block->der, *inner = NULL;
    int inner_len = 0;
    PKCS8_PRIV_KEY_INFO *p8 = NULL;
    const ASN1_OBJECT *algorithm = NULL;
    if (strcmp(block->name, PEM_STRING_PKCS8INF) == 0) {
        p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &der, block->der_len);
        if (p8 == NULL || der != block->der + block->der_len ||
            !PKCS8_pkey_get0(&algorithm, &inner, &inner_len, NULL, p8) ||
            OBJ_obj2nid(algorithm) != NID_rsaEncryption)
            inner = NULL;
    } else {
        inner = block->der;
        inner_len = (int)block->der_len;
    }
    EVP_PKEY *key = NULL;
    if (inner != NULL && read_components(inner, inner_len, bn))
        key = key_from_components(crypto, bn);
    for (size_t i = 0; i < N_COMPONENTS; i++)
        BN_clear_free(bn[i]);
    PKCS8_PRIV_KEY_INFO_free(p8); /* cleanses its key octet string */
    return key;
}

esdk_status esdk_rsa_private_key_from_pem(const esdk_crypto *crypto, const char *pem,
                                          size_t pem_len, EVP_PKEY **out)
{
    crypto = esdk_crypto_or_default(crypto);
    *out = NULL;
    pem_block block;
    ERR_set_mark(); /* PEM's "no start line" after the last block is expected */
    int found = read_key_block(pem, pem_len, &block);
    ERR_pop_to_mark();
    /* An encrypted key (Proc-Type header) would need a passphrase: refused. */
    if (found && block.header[0] == '\0')
        *out = key_from_block(crypto, &block);
    if (found)
        pem_block_free(&block);
    return *out != NULL ? ESDK_OK : ESDK_ERR_INVALID_ARGUMENT;
}
