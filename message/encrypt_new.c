#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <string.h>

#include "message/aes_gcm.h"
#include "message/encrypt_internal.h"
#include "message/header_internal.h"
#include "message/kdf.h"
#include "message/signature.h"

static esdk_status check_options(const esdk_encrypt_options *o, char *detail, size_t detail_len)
{
    if (o == NULL || o->cmm == NULL)
        return esdk_fail(detail, detail_len, ESDK_ERR_INVALID_ARGUMENT, "encrypt: no CMM");
    if (o->frame_len > ESDK_MAX_FRAME_LEN)
        return esdk_fail(detail, detail_len, ESDK_ERR_FRAME_TOO_LARGE,
                         "encrypt: frame length %u above %u", o->frame_len, ESDK_MAX_FRAME_LEN);
    if (o->ec != NULL && esdk_ec_has_reserved_key(o->ec))
        return esdk_fail(detail, detail_len, ESDK_ERR_RESERVED_CONTEXT,
                         "encrypt: encryption context keys starting with aws-crypto- are reserved");
    return ESDK_OK;
}

static esdk_status get_materials(esdk_encryptor *e, const esdk_encrypt_options *o, char *detail,
                                 size_t detail_len)
{
    uint64_t len = o->plaintext_len_known ? o->plaintext_len : ESDK_LENGTH_UNKNOWN;
    esdk_enc_request req = {o->suite_id, o->ec, len, o->policy};
    esdk_status st = esdk_cmm_get_encryption_materials(o->cmm, &req, &e->mat, detail, detail_len);
    if (st != ESDK_OK)
        return st;
    e->suite = esdk_suite_by_id(e->mat->suite_id);
    if (e->suite->format_version != 2)
        return esdk_fail(detail, detail_len, ESDK_ERR_UNSUPPORTED_SUITE,
                         "encrypt writes format v2 only, not suite 0x%04x", e->suite->id);
    if (o->max_edks != 0 && e->mat->edks.count > o->max_edks)
        return esdk_fail(detail, detail_len, ESDK_ERR_TOO_MANY_EDKS,
                         "encrypt: %zu EDKs exceed the limit of %zu", e->mat->edks.count,
                         o->max_edks);
    return ESDK_OK;
}

/* The header tag: AES-GCM over an empty plaintext, IV zero, AAD = header body
 * followed by the serialised required EC. */
static esdk_status seal_header(esdk_encryptor *e, size_t body_len)
{
    size_t req_len = esdk_ec_serialized_size(&e->mat->required_ec);
    uint8_t *aad = OPENSSL_malloc(body_len + req_len + 1);
    if (aad == NULL)
        return ESDK_ERR_ALLOC;
    memcpy(aad, e->header, body_len);
    esdk_status st = esdk_ec_serialize(&e->mat->required_ec, aad + body_len, req_len);
    static const uint8_t zero_iv[12];
    if (st == ESDK_OK && !esdk_gcm_seal(e->gcm, zero_iv, aad, body_len + req_len, NULL, 0, NULL,
                                        e->header + body_len))
        st = ESDK_ERR_CRYPTO;
    OPENSSL_free(aad);
    e->header_len = body_len + 16;
    return st;
}

/* Message ID, derived keys, header and (signed suites) the running hash. */
static esdk_status prepare(esdk_encryptor *e, char *detail, size_t detail_len)
{
    uint8_t enc_key[32], commit_key[32];
    size_t body_len = 0;
    esdk_status st =
        RAND_bytes_ex(esdk_crypto_libctx(e->crypto), e->message_id, sizeof(e->message_id), 0) == 1
            ? ESDK_OK
            : ESDK_ERR_CRYPTO;
    if (st == ESDK_OK)
        st = esdk_derive_keys(e->crypto, e->suite, e->mat->data_key, e->message_id, enc_key,
                              commit_key);
    if (st == ESDK_OK && (e->gcm = esdk_gcm_new(e->crypto, enc_key, e->suite->key_len, 1)) == NULL)
        st = ESDK_ERR_CRYPTO;
    if (st == ESDK_OK)
        st = esdk_header_write_v2(e->mat, e->message_id, e->frame_len, commit_key, &e->header,
                                  &body_len, detail, detail_len);
    OPENSSL_cleanse(enc_key, sizeof(enc_key));
    OPENSSL_cleanse(commit_key, sizeof(commit_key));
    if (st == ESDK_OK)
        st = seal_header(e, body_len);
    if (st == ESDK_OK && esdk_suite_is_signed(e->suite) &&
        (e->sig_hash = esdk_sig_hash_new(e->crypto, e->suite)) == NULL)
        st = ESDK_ERR_CRYPTO;
    if (st == ESDK_OK && (e->frame = OPENSSL_malloc(e->frame_len)) == NULL)
        st = ESDK_ERR_ALLOC;
    return st;
}

esdk_status esdk_encrypt_new(const esdk_encrypt_options *options, esdk_encryptor **out,
                             char *detail, size_t detail_len)
{
    *out = NULL;
    esdk_status st = check_options(options, detail, detail_len);
    if (st != ESDK_OK)
        return st;
    esdk_encryptor *e = OPENSSL_zalloc(sizeof(*e));
    if (e == NULL)
        return ESDK_ERR_ALLOC;
    e->crypto = esdk_crypto_or_default(options->crypto);
    e->queue.ciphertext_only = 1; /* frames are sealed from `frame` into it */
    e->frame_len = options->frame_len ? options->frame_len : ESDK_DEFAULT_FRAME_LEN;
    e->declared_len = options->plaintext_len_known ? options->plaintext_len : ESDK_LENGTH_UNKNOWN;
    e->next_seq = 1;
    st = get_materials(e, options, detail, detail_len);
    if (st == ESDK_OK)
        st = prepare(e, detail, detail_len);
    if (st != ESDK_OK) {
        esdk_encrypt_free(e);
        return st;
    }
    *out = e;
    return ESDK_OK;
}

esdk_status esdk_encrypt_oneshot(const esdk_encrypt_options *options, const uint8_t *in,
                                 size_t in_len, uint8_t **out, size_t *out_len, char *detail,
                                 size_t detail_len)
{
    esdk_encryptor *e = NULL;
    *out = NULL;
    *out_len = 0;
    esdk_status st = esdk_encrypt_new(options, &e, detail, detail_len);
    if (st != ESDK_OK)
        return st;
    size_t f = e->frame_len;
    size_t frames = in_len / f + 1;
    size_t cap = e->header_len + in_len + frames * ESDK_FINAL_OVERHEAD + ESDK_FOOTER_MAX_LEN;
    uint8_t *buf = OPENSSL_malloc(cap);
    size_t n1 = 0, n2 = 0;
    st = buf ? esdk_encrypt_update(e, in, in_len, buf, cap, &n1) : ESDK_ERR_ALLOC;
    if (st == ESDK_OK)
        st = esdk_encrypt_finish(e, buf + n1, cap - n1, &n2);
    if (st == ESDK_OK && esdk_encrypt_pending(e) != 0)
        st = ESDK_ERR_STATE;
    if (st != ESDK_OK) {
        esdk_fail(detail, detail_len, st, "%s", esdk_encrypt_error_detail(e));
        OPENSSL_free(buf);
    } else {
        *out = buf;
        *out_len = n1 + n2;
    }
    esdk_encrypt_free(e);
    return st;
}
