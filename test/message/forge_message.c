#include "forge_message.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <string.h>

#include "message/aes_gcm.h"
#include "message/body.h"
#include "message/header.h"
#include "message/kdf.h"
#include "message/signature.h"
#include "message/wire.h"

/* The message so far; a failed append leaves ok = 0 and later ones do nothing. */
typedef struct {
    uint8_t *p;
    size_t len, cap;
    int ok;
} buf;

/* Room for n more bytes at the end, or NULL. */
static uint8_t *extend(buf *b, size_t n)
{
    if (b->ok && b->len + n > b->cap) {
        size_t cap = (b->len + n) * 2;
        uint8_t *p = OPENSSL_realloc(b->p, cap);
        b->ok = p != NULL;
        b->p = p ? p : b->p;
        b->cap = p ? cap : b->cap;
    }
    if (!b->ok)
        return NULL;
    b->len += n;
    return b->p + b->len - n;
}

static void put(buf *b, const void *bytes, size_t n)
{
    uint8_t *p = extend(b, n);
    if (p != NULL && n > 0)
        memcpy(p, bytes, n);
}

static void put_u8(buf *b, uint8_t v)
{
    put(b, &v, 1);
}

static void put_u16(buf *b, uint16_t v)
{
    uint8_t *p = extend(b, 2);
    if (p != NULL)
        esdk_put_u16(p, v);
}

static void put_u32(buf *b, uint32_t v)
{
    uint8_t *p = extend(b, 4);
    if (p != NULL)
        esdk_put_u32(p, v);
}

static void put_u64(buf *b, uint64_t v)
{
    uint8_t *p = extend(b, 8);
    if (p != NULL)
        esdk_put_u64(p, v);
}

/* The header body (esdk-format.md sections 2 and 3), through the frame length
 * (v1) or the commit key (v2). */
static void put_header_body(buf *b, const esdk_suite *suite, const esdk_enc_materials *mat,
                            const uint8_t *id, uint32_t frame_len, const uint8_t *commit)
{
    size_t ec_len = esdk_ec_serialized_size(&mat->ec);
    put_u8(b, suite->format_version);
    if (suite->format_version == 1)
        put_u8(b, 0x80); /* message type */
    put_u16(b, suite->id);
    put(b, id, suite->message_id_len);
    put_u16(b, (uint16_t)ec_len);
    uint8_t *ec = extend(b, ec_len);
    if (ec != NULL && esdk_ec_serialize(&mat->ec, ec, ec_len) != ESDK_OK)
        b->ok = 0;
    put_u16(b, (uint16_t)mat->edks.count);
    for (size_t i = 0; i < mat->edks.count; i++) {
        uint8_t *edk = extend(b, esdk_edk_serialized_size(&mat->edks.items[i]));
        if (edk != NULL)
            esdk_edk_serialize(edk, &mat->edks.items[i]);
    }
    put_u8(b, frame_len ? ESDK_CONTENT_FRAMED : ESDK_CONTENT_NON_FRAMED);
    if (suite->format_version == 1) {
        put_u32(b, 0);          /* reserved */
        put_u8(b, ESDK_IV_LEN); /* IV length */
        put_u32(b, frame_len);
    } else {
        put_u32(b, frame_len);
        put(b, commit, ESDK_COMMIT_KEY_LEN);
    }
}

/* The header tag over the body so far (zero IV, stored for v1). */
static void put_header_auth(buf *b, EVP_CIPHER_CTX *gcm, int version)
{
    static const uint8_t zero_iv[ESDK_IV_LEN] = {0};
    uint8_t tag[ESDK_TAG_LEN], none[1];
    if (b->ok && !esdk_gcm_seal(gcm, zero_iv, b->p, b->len, NULL, 0, none, tag))
        b->ok = 0;
    if (version == 1)
        put(b, zero_iv, ESDK_IV_LEN);
    put(b, tag, ESDK_TAG_LEN);
}

/* Ciphertext and tag of one frame or single block, at the end of b. */
static void put_sealed(buf *b, EVP_CIPHER_CTX *gcm, const uint8_t *id, size_t id_len,
                       const char *label, uint32_t seq, const uint8_t *pt, size_t n)
{
    uint8_t aad[ESDK_BODY_AAD_MAX], iv[ESDK_IV_LEN];
    size_t aad_len = esdk_body_aad(aad, id, id_len, label, seq, n);
    esdk_frame_iv(iv, seq);
    uint8_t *ct = extend(b, n + ESDK_TAG_LEN);
    if (ct != NULL && !esdk_gcm_seal(gcm, iv, aad, aad_len, pt, n, ct, ct + n))
        b->ok = 0;
}

static void put_body(buf *b, EVP_CIPHER_CTX *gcm, const uint8_t *id, size_t id_len,
                     uint32_t frame_len, const uint8_t *pt, size_t n)
{
    uint8_t iv[ESDK_IV_LEN];
    uint32_t seq = 1;
    if (frame_len == 0) {
        esdk_frame_iv(iv, 1);
        put(b, iv, ESDK_IV_LEN);
        put_u64(b, n);
        put_sealed(b, gcm, id, id_len, ESDK_LABEL_SINGLE_BLOCK, 1, pt, n);
        return;
    }
    for (; n >= frame_len; seq++, pt += frame_len, n -= frame_len) {
        esdk_frame_iv(iv, seq);
        put_u32(b, seq);
        put(b, iv, ESDK_IV_LEN);
        put_sealed(b, gcm, id, id_len, ESDK_LABEL_FRAME, seq, pt, frame_len);
    }
    esdk_frame_iv(iv, seq);
    put_u32(b, ESDK_FINAL_MARKER);
    put_u32(b, seq);
    put(b, iv, ESDK_IV_LEN);
    put_u32(b, (uint32_t)n);
    put_sealed(b, gcm, id, id_len, ESDK_LABEL_FINAL_FRAME, seq, pt, n);
}

/* Signed suites: the footer over everything before it. */
static void put_footer(buf *b, const esdk_suite *suite, EVP_PKEY *key)
{
    uint8_t sig[128];
    size_t sig_len = 0;
    EVP_MD_CTX *hash = esdk_sig_hash_new(NULL, suite);
    if (b->ok && (hash == NULL || !EVP_DigestUpdate(hash, b->p, b->len) ||
                  esdk_sig_sign(NULL, hash, key, suite, sig, &sig_len) != ESDK_OK))
        b->ok = 0;
    EVP_MD_CTX_free(hash);
    if (b->ok) {
        put_u16(b, (uint16_t)sig_len);
        put(b, sig, sig_len);
    }
}

/* Header, body and footer under keys derived from the materials. */
static esdk_status assemble(const forge_spec *spec, const esdk_suite *suite,
                            const esdk_enc_materials *mat, const uint8_t *pt, size_t n, buf *b)
{
    uint8_t id[ESDK_MESSAGE_ID_MAX], enc_key[32], commit[ESDK_COMMIT_KEY_LEN];
    if (RAND_bytes(id, (int)suite->message_id_len) != 1 ||
        esdk_derive_keys(NULL, suite, mat->data_key, id, enc_key, commit) != ESDK_OK)
        return ESDK_ERR_CRYPTO;
    EVP_CIPHER_CTX *gcm = esdk_gcm_new(NULL, enc_key, suite->key_len, 1);
    OPENSSL_cleanse(enc_key, sizeof(enc_key));
    b->ok = gcm != NULL;
    put_header_body(b, suite, mat, id, spec->frame_len, commit);
    put_header_auth(b, gcm, suite->format_version);
    put_body(b, gcm, id, suite->message_id_len, spec->frame_len, pt, n);
    if (esdk_suite_is_signed(suite))
        put_footer(b, suite, mat->signing_key);
    EVP_CIPHER_CTX_free(gcm);
    return b->ok ? ESDK_OK : ESDK_ERR_CRYPTO;
}

esdk_status forge_message(const forge_spec *spec, const uint8_t *pt, size_t pt_len, uint8_t **out,
                          size_t *out_len)
{
    const esdk_suite *suite = esdk_suite_by_id(spec->suite_id);
    *out = NULL;
    *out_len = 0;
    if (suite == NULL)
        return ESDK_ERR_UNSUPPORTED_SUITE;
    esdk_enc_request req = {spec->suite_id, spec->ec, pt_len,
                            ESDK_POLICY_FORBID_ENCRYPT_ALLOW_DECRYPT};
    if (suite->committing)
        req.policy = ESDK_POLICY_REQUIRE_ENCRYPT_ALLOW_DECRYPT;
    esdk_enc_materials *mat = NULL;
    esdk_status st = esdk_cmm_get_encryption_materials(spec->cmm, &req, &mat, NULL, 0);
    buf b = {NULL, 0, 0, 1};
    if (st == ESDK_OK)
        st = assemble(spec, suite, mat, pt, pt_len, &b);
    esdk_enc_materials_free(mat);
    if (st != ESDK_OK) {
        OPENSSL_free(b.p);
        return st;
    }
    *out = b.p;
    *out_len = b.len;
    return ESDK_OK;
}
