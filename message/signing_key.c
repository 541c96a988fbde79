#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <string.h>

#include "message/materials.h"
#include "message/suite.h"

#define MAX_POINT_LEN 97 /* uncompressed P-384: 04 || X(48) || Y(48) */

esdk_status esdk_signing_key_generate(const esdk_crypto *crypto, uint16_t suite_id, EVP_PKEY **out)
{
    const esdk_suite *suite = esdk_suite_by_id(suite_id);
    *out = NULL;
    if (suite == NULL || suite->sig_curve == NULL)
        return ESDK_ERR_UNSUPPORTED_SUITE;
    crypto = esdk_crypto_or_default(crypto);
    *out = EVP_PKEY_Q_keygen(esdk_crypto_libctx(crypto), esdk_crypto_propq(crypto), "EC",
                             suite->sig_curve);
    return *out ? ESDK_OK : ESDK_ERR_CRYPTO;
}

esdk_status esdk_public_key_encode(const EVP_PKEY *key, char **out_b64, size_t *out_len)
{
    uint8_t point[MAX_POINT_LEN];
    size_t point_len = 0;
    *out_b64 = NULL;
    if (!EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point),
                                         &point_len))
        return ESDK_ERR_CRYPTO;
    /* SEC1 compression: 02/03 by the parity of Y, then X. */
    if (point[0] == 0x04) {
        size_t coord = (point_len - 1) / 2;
        point[0] = (uint8_t)(0x02 | (point[point_len - 1] & 1));
        point_len = 1 + coord;
    }
    char *b64 = OPENSSL_malloc(4 * ((point_len + 2) / 3) + 1);
    if (b64 == NULL)
        return ESDK_ERR_ALLOC;
    int n = EVP_EncodeBlock((unsigned char *)b64, point, (int)point_len);
    *out_b64 = b64;
    *out_len = (size_t)n;
    return ESDK_OK;
}

/* Strict base64 decode: the input must be the canonical encoding of the output. */
static int decode_base64(const uint8_t *b64, size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
    if (len == 0 || len % 4 != 0 || len / 4 * 3 > cap)
        return 0;
    int n = EVP_DecodeBlock(out, b64, (int)len);
    if (n < 0)
        return 0;
    size_t pad = (b64[len - 1] == '=') + (b64[len - 2] == '=');
    *out_len = (size_t)n - pad;
    unsigned char check[4 * ((MAX_POINT_LEN + 2) / 3) + 1];
    if (*out_len > MAX_POINT_LEN)
        return 0;
    int m = EVP_EncodeBlock(check, out, (int)*out_len);
    return (size_t)m == len && memcmp(check, b64, len) == 0;
}

esdk_status esdk_ec_key_from_parts(OSSL_LIB_CTX *libctx, const char *propq, const char *curve,
                                   const uint8_t *point, size_t point_len, const uint8_t *scalar,
                                   size_t scalar_len, EVP_PKEY **out)
{
    BIGNUM *priv = scalar_len > 0 ? BN_secure_new() : NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(libctx, "EC", propq);
    *out = NULL;
    if (bld != NULL && ctx != NULL && (scalar_len == 0 || priv != NULL) &&
        (scalar_len == 0 || BN_bin2bn(scalar, (int)scalar_len, priv) != NULL) &&
        OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, curve, 0) &&
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, point_len) &&
        (priv == NULL || OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv)) &&
        (params = OSSL_PARAM_BLD_to_param(bld)) != NULL && EVP_PKEY_fromdata_init(ctx) > 0 &&
        EVP_PKEY_fromdata(ctx, out, priv != NULL ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                          params) <= 0)
        *out = NULL;
    OSSL_PARAM_free(params); /* the secure block holding the scalar is cleansed */
    OSSL_PARAM_BLD_free(bld);
    EVP_PKEY_CTX_free(ctx);
    BN_clear_free(priv);
    return *out != NULL ? ESDK_OK : ESDK_ERR_PUBLIC_KEY;
}

/* Length of the SEC1 compressed point (02 or 03, then X) on the suite's curve. */
static size_t compressed_point_len(const esdk_suite *suite)
{
    return strcmp(suite->sig_curve, "P-256") == 0 ? 1 + 32 : 1 + 48;
}

esdk_status esdk_public_key_decode(const esdk_crypto *crypto, uint16_t suite_id, const uint8_t *b64,
                                   size_t b64_len, EVP_PKEY **out)
{
    const esdk_suite *suite = esdk_suite_by_id(suite_id);
    uint8_t point[MAX_POINT_LEN + 3];
    size_t point_len;
    *out = NULL;
    if (suite == NULL || suite->sig_curve == NULL)
        return ESDK_ERR_UNSUPPORTED_SUITE;
    if (!decode_base64(b64, b64_len, point, sizeof(point), &point_len))
        return ESDK_ERR_PUBLIC_KEY;
    /* Only the compressed form the format names: OpenSSL would also take an
     * uncompressed (04) or hybrid (06, 07) point, which the other ESDKs refuse,
     * so such a message must not decrypt here either. */
    if (point_len != compressed_point_len(suite) || (point[0] != 0x02 && point[0] != 0x03))
        return ESDK_ERR_PUBLIC_KEY;
    crypto = esdk_crypto_or_default(crypto);
    return esdk_ec_key_from_parts(esdk_crypto_libctx(crypto), esdk_crypto_propq(crypto),
                                  suite->sig_curve, point, point_len, NULL, 0, out);
}
