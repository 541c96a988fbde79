#include "materials/materials_blob.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>
#include <string.h>

#define BLOB_VERSION 2

/* A bounded writer: counts what would be written even past the end, so one
 * pass tells both success and the size needed. */
typedef struct {
    uint8_t *out;
    size_t cap;
    size_t len;
    int bad; /* a part could not be written */
} blob_writer;

static void put(blob_writer *w, const void *data, size_t n)
{
    if (w->len + n <= w->cap && n > 0)
        memcpy(w->out + w->len, data, n);
    w->len += n;
}

static void put_u32(blob_writer *w, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    put(w, b, sizeof(b));
}

static void put_field(blob_writer *w, const void *data, size_t n)
{
    put_u32(w, (uint32_t)n);
    put(w, data, n);
}

typedef struct {
    const uint8_t *in;
    size_t len;
    size_t pos;
    int bad;
    OSSL_LIB_CTX *libctx; /* where keys are decoded */
} blob_reader;

static const uint8_t *take(blob_reader *r, size_t n)
{
    if (r->bad || r->len - r->pos < n) {
        r->bad = 1;
        return NULL;
    }
    const uint8_t *p = r->in + r->pos;
    r->pos += n;
    return p;
}

static uint32_t take_u32(blob_reader *r)
{
    const uint8_t *b = take(r, 4);
    return b == NULL ? 0 : (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* A length-prefixed field; *n receives its length. */
static const uint8_t *take_field(blob_reader *r, size_t *n)
{
    *n = take_u32(r);
    return take(r, *n);
}

/* Encryption contexts in the header's own serialisation (message/). */
static void put_ec(blob_writer *w, const esdk_enc_context *ec)
{
    size_t n = esdk_ec_serialized_size(ec);
    put_u32(w, (uint32_t)n);
    /* Beyond the cap only the size is counted; within it the context (whose
     * serialisation is then at most the cap) is written in place. */
    if (w->len + n <= w->cap && n > 0 && esdk_ec_serialize(ec, w->out + w->len, n) != ESDK_OK)
        w->bad = 1;
    w->len += n;
}

static esdk_status take_ec(blob_reader *r, esdk_enc_context *ec)
{
    size_t n;
    const uint8_t *p = take_field(r, &n);
    if (r->bad)
        return ESDK_ERR_BAD_MATERIALS;
    esdk_ec_clear(ec);
    return esdk_ec_parse(ec, p, n, NULL, 0) == ESDK_OK ? ESDK_OK : ESDK_ERR_BAD_MATERIALS;
}

/* Signing and verification keys (EC) travel as their group name, public
 * point and (signing keys) private scalar, and come back through
 * EVP_PKEY_fromdata: tens of microseconds where decoding DER took hundreds,
 * on every cache hit of a signed suite. An absent key is an empty group. */
#define MAX_GROUP_NAME 64
#define MAX_EC_POINT   133 /* uncompressed P-521 */
#define MAX_EC_SCALAR  66

static void put_key(blob_writer *w, EVP_PKEY *key, int private_key)
{
    char group[MAX_GROUP_NAME] = "";
    uint8_t point[MAX_EC_POINT], scalar[MAX_EC_SCALAR];
    size_t group_len = 0, point_len = 0, scalar_len = 0;
    BIGNUM *priv = NULL;
    int ok = key == NULL ||
             (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                             &group_len) &&
              EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point),
                                              &point_len) &&
              (!private_key || (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &priv) &&
                                (scalar_len = (size_t)BN_num_bytes(priv)) <= sizeof(scalar) &&
                                BN_bn2bin(priv, scalar) == (int)scalar_len)));
    BN_clear_free(priv);
    if (!ok) {
        w->bad = 1; /* a blob without the key must not be stored */
        return;
    }
    put_field(w, group, group_len);
    put_field(w, point, point_len);
    put_field(w, scalar, scalar_len);
    OPENSSL_cleanse(scalar, sizeof(scalar));
}

static EVP_PKEY *take_key(blob_reader *r, int private_key, int *failed)
{
    size_t group_len, point_len, scalar_len;
    const uint8_t *group = take_field(r, &group_len);
    const uint8_t *point = take_field(r, &point_len);
    const uint8_t *scalar = take_field(r, &scalar_len);
    if (r->bad || group_len == 0)
        return NULL;
    char name[MAX_GROUP_NAME];
    EVP_PKEY *key = NULL;
    if (group_len < sizeof(name) && (scalar_len > 0) == private_key) {
        memcpy(name, group, group_len);
        name[group_len] = '\0';
        esdk_ec_key_from_parts(r->libctx, NULL, name, point, point_len, scalar, scalar_len, &key);
    }
    if (key == NULL)
        *failed = 1;
    return key;
}

static esdk_status finish_writer(const blob_writer *w, size_t *len)
{
    *len = w->len;
    if (w->bad)
        return ESDK_ERR_BAD_MATERIALS;
    return w->len <= w->cap ? ESDK_OK : ESDK_ERR_INVALID_ARGUMENT;
}

/* Both kinds start with the version, the suite and the data key ... */
static void put_head(blob_writer *w, uint16_t suite_id, const uint8_t *key, size_t key_len)
{
    put_u32(w, BLOB_VERSION);
    put_u32(w, suite_id);
    put_field(w, key, key_len);
}

/* ... and end with the full and required contexts and the signing (private)
 * or verification (public) key, with nothing after it. */
static void put_tail(blob_writer *w, const esdk_enc_context *ec, const esdk_enc_context *required,
                     EVP_PKEY *key, int private_key)
{
    put_ec(w, ec);
    put_ec(w, required);
    put_key(w, key, private_key);
}

/* The version check and the suite; the data key is left to the caller's
 * setter (encryption or decryption materials). */
static int take_head(blob_reader *r, uint16_t *suite_id, const uint8_t **key, size_t *key_len)
{
    if (take_u32(r) != BLOB_VERSION)
        return 0;
    *suite_id = (uint16_t)take_u32(r);
    *key = take_field(r, key_len);
    return !r->bad;
}

static esdk_status take_tail(blob_reader *r, esdk_enc_context *ec, esdk_enc_context *required,
                             EVP_PKEY **key, int private_key)
{
    esdk_status status = take_ec(r, ec);
    if (status == ESDK_OK)
        status = take_ec(r, required);
    int failed = 0;
    if (status == ESDK_OK)
        *key = take_key(r, private_key, &failed);
    if (status == ESDK_OK && (r->bad || failed || r->pos != r->len))
        status = ESDK_ERR_BAD_MATERIALS;
    return status;
}

esdk_status materials_enc_to_blob(const esdk_enc_materials *mat, uint8_t *out, size_t cap,
                                  size_t *len)
{
    blob_writer w = {out, cap, 0, 0};
    put_head(&w, mat->suite_id, mat->data_key, mat->data_key_len);
    put_u32(&w, (uint32_t)mat->edks.count);
    for (size_t i = 0; i < mat->edks.count; i++) {
        const esdk_edk *edk = &mat->edks.items[i];
        put_field(&w, edk->provider_id, edk->provider_id_len);
        put_field(&w, edk->provider_info, edk->provider_info_len);
        put_field(&w, edk->ciphertext, edk->ciphertext_len);
    }
    put_tail(&w, &mat->ec, &mat->required_ec, mat->signing_key, 1);
    return finish_writer(&w, len);
}

static esdk_status read_edks(blob_reader *r, esdk_edk_list *edks)
{
    uint32_t count = take_u32(r);
    for (uint32_t i = 0; i < count && !r->bad; i++) {
        size_t id_len, info_len, ct_len;
        const uint8_t *id = take_field(r, &id_len);
        const uint8_t *info = take_field(r, &info_len);
        const uint8_t *ct = take_field(r, &ct_len);
        if (r->bad)
            break;
        esdk_status status = esdk_edk_list_add(edks, id, id_len, info, info_len, ct, ct_len);
        if (status != ESDK_OK)
            return status;
    }
    return r->bad ? ESDK_ERR_BAD_MATERIALS : ESDK_OK;
}

esdk_status materials_enc_from_blob(OSSL_LIB_CTX *libctx, const uint8_t *blob, size_t len,
                                    esdk_enc_materials **out)
{
    blob_reader r = {blob, len, 0, 0, libctx};
    uint16_t suite_id;
    const uint8_t *key;
    size_t key_len;
    if (!take_head(&r, &suite_id, &key, &key_len))
        return ESDK_ERR_BAD_MATERIALS;
    esdk_enc_materials *mat = esdk_enc_materials_new(suite_id);
    if (mat == NULL)
        return ESDK_ERR_ALLOC;
    esdk_status status = esdk_enc_materials_set_data_key(mat, key, key_len);
    if (status == ESDK_OK)
        status = read_edks(&r, &mat->edks);
    if (status == ESDK_OK)
        status = take_tail(&r, &mat->ec, &mat->required_ec, &mat->signing_key, 1);
    if (status != ESDK_OK) {
        esdk_enc_materials_free(mat);
        return status;
    }
    *out = mat;
    return ESDK_OK;
}

esdk_status materials_dec_to_blob(const esdk_dec_materials *mat, uint8_t *out, size_t cap,
                                  size_t *len)
{
    blob_writer w = {out, cap, 0, 0};
    put_head(&w, mat->suite_id, mat->data_key, mat->data_key_len);
    put_u32(&w, (uint32_t)(mat->edk_index + 1));
    put_tail(&w, &mat->ec, &mat->required_ec, mat->verification_key, 0);
    return finish_writer(&w, len);
}

esdk_status materials_dec_from_blob(OSSL_LIB_CTX *libctx, const uint8_t *blob, size_t len,
                                    esdk_dec_materials **out)
{
    blob_reader r = {blob, len, 0, 0, libctx};
    uint16_t suite_id;
    const uint8_t *key;
    size_t key_len;
    if (!take_head(&r, &suite_id, &key, &key_len))
        return ESDK_ERR_BAD_MATERIALS;
    esdk_dec_materials *mat = esdk_dec_materials_new(suite_id);
    if (mat == NULL)
        return ESDK_ERR_ALLOC;
    esdk_status status = esdk_dec_materials_set_data_key(mat, key, key_len);
    mat->edk_index = (long)take_u32(&r) - 1;
    if (status == ESDK_OK)
        status = take_tail(&r, &mat->ec, &mat->required_ec, &mat->verification_key, 0);
    if (status != ESDK_OK) {
        esdk_dec_materials_free(mat);
        return status;
    }
    *out = mat;
    return ESDK_OK;
}
