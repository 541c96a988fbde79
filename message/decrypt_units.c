#include <openssl/crypto.h>
#include <string.h>

#include "message/aes_gcm.h"
#include "message/aes_gcm_frames.h"
#include "message/body.h"
#include "message/decrypt_internal.h"
#include "message/header_internal.h"
#include "message/kdf.h"
#include "message/signature.h"
#include "message/wire.h"

#define REGULAR_HEAD 16 /* u32 seq, IV */
#define FINAL_HEAD   24 /* marker, u32 seq, IV, u32 length */
#define SINGLE_HEAD  20 /* IV, u64 length */
#define MAX_SINGLE   ((1ull << 36) - 32)

static esdk_status frame_unit_len(esdk_decryptor *d, const uint8_t *in, size_t avail, size_t *len)
{
    if (avail < 4)
        return ESDK_ERR_TRUNCATED;
    if (esdk_get_u32(in) != ESDK_FINAL_MARKER) {
        *len = REGULAR_HEAD + (size_t)d->header.frame_len + ESDK_TAG_LEN;
        return ESDK_OK;
    }
    if (avail < FINAL_HEAD)
        return ESDK_ERR_TRUNCATED;
    uint32_t content = esdk_get_u32(in + 20);
    if (content > d->header.frame_len)
        return esdk_dec_fail(d, ESDK_ERR_BAD_FRAME,
                             "final frame of %u bytes exceeds frame length %u", content,
                             d->header.frame_len);
    *len = FINAL_HEAD + (size_t)content + ESDK_TAG_LEN;
    return ESDK_OK;
}

static esdk_status single_unit_len(esdk_decryptor *d, const uint8_t *in, size_t avail, size_t *len)
{
    if (avail < SINGLE_HEAD)
        return ESDK_ERR_TRUNCATED;
    uint64_t content = esdk_get_u64(in + 12);
    if (content > d->opt.max_body_len || content > MAX_SINGLE)
        return esdk_dec_fail(d, ESDK_ERR_BODY_TOO_LARGE,
                             "non-framed body of %llu bytes exceeds %llu",
                             (unsigned long long)content, (unsigned long long)d->opt.max_body_len);
    *len = SINGLE_HEAD + (size_t)content + ESDK_TAG_LEN;
    return ESDK_OK;
}

esdk_status esdk_dec_unit_len(esdk_decryptor *d, const uint8_t *in, size_t avail, size_t *len)
{
    switch (d->stage) {
    case STAGE_HEADER: {
        esdk_status st = esdk_header_measure(in, avail, &d->opt.header_limits, &d->header_resume,
                                             len, d->detail, sizeof(d->detail));
        if (st != ESDK_OK && st != ESDK_ERR_TRUNCATED)
            d->error = st;
        return st;
    }
    case STAGE_BODY:
        return d->header.content_type == ESDK_CONTENT_FRAMED ? frame_unit_len(d, in, avail, len)
                                                             : single_unit_len(d, in, avail, len);
    case STAGE_FOOTER:
        if (avail < 2)
            return ESDK_ERR_TRUNCATED;
        *len = 2 + (size_t)esdk_get_u16(in);
        return ESDK_OK;
    default:
        return ESDK_ERR_TRUNCATED;
    }
}

static esdk_status read_header(esdk_decryptor *d, const uint8_t *unit, size_t len)
{
    size_t consumed;
    esdk_status st = esdk_header_parse(unit, len, &d->opt.header_limits, &d->header, &consumed,
                                       d->detail, sizeof(d->detail));
    if (st != ESDK_OK)
        return d->error = st;
    d->header_bytes = OPENSSL_memdup(unit, len);
    if (d->header_bytes == NULL)
        return esdk_dec_fail(d, ESDK_ERR_ALLOC, "header copy");
    const esdk_suite *suite = d->header.suite;
    if (d->header.frame_len > d->opt.max_frame_len)
        return esdk_dec_fail(d, ESDK_ERR_FRAME_TOO_LARGE, "frame length %u exceeds %u",
                             d->header.frame_len, d->opt.max_frame_len);
    if (!esdk_policy_allows_decrypt(d->opt.policy, suite))
        return esdk_dec_fail(d, ESDK_ERR_POLICY,
                             "commitment policy forbids decrypting suite 0x%04x", suite->id);
    if (esdk_suite_is_signed(suite)) {
        d->sig_hash = esdk_sig_hash_new(d->opt.crypto, suite);
        if (d->sig_hash == NULL || !EVP_DigestUpdate(d->sig_hash, unit, len))
            return esdk_dec_fail(d, ESDK_ERR_CRYPTO, "signature hash");
    }
    d->stage = STAGE_AWAIT_CMM;
    return ESDK_OK;
}

static esdk_status get_materials(esdk_decryptor *d)
{
    esdk_dec_request req = {d->header.suite->id, d->header.edks.items, d->header.edks.count,
                            &d->header.ec,       d->opt.reproduced_ec, d->opt.policy};
    esdk_status st =
        esdk_cmm_decrypt_materials(d->cmm, &req, &d->mat, d->detail, sizeof(d->detail));
    return st == ESDK_OK ? ESDK_OK : (d->error = st);
}

/* The header tag's AAD: the header body as received plus the required EC. */
static esdk_status check_header_tag(esdk_decryptor *d)
{
    const esdk_header *h = &d->header;
    size_t req_len = esdk_ec_serialized_size(&d->mat->required_ec);
    uint8_t *aad = OPENSSL_malloc(h->body_len + req_len + 1);
    if (aad == NULL)
        return esdk_dec_fail(d, ESDK_ERR_ALLOC, "header AAD");
    memcpy(aad, d->header_bytes, h->body_len);
    esdk_status st = esdk_ec_serialize(&d->mat->required_ec, aad + h->body_len, req_len);
    uint8_t none[1];
    if (st == ESDK_OK && !esdk_gcm_open(d->gcm, h->header_iv, aad, h->body_len + req_len, NULL, 0,
                                        none, h->auth_tag))
        st = esdk_dec_fail(d, ESDK_ERR_HEADER_AUTH, "header authentication tag does not verify");
    OPENSSL_free(aad);
    return st;
}

esdk_status esdk_dec_authenticate_header(esdk_decryptor *d)
{
    esdk_status st = get_materials(d);
    if (st != ESDK_OK)
        return st;
    const esdk_suite *suite = d->header.suite;
    uint8_t enc_key[32], commit_key[32];
    st = esdk_derive_keys(d->opt.crypto, suite, d->mat->data_key, d->header.message_id, enc_key,
                          commit_key);
    if (st != ESDK_OK) {
        st = esdk_dec_fail(d, st, "key derivation");
    } else if (suite->committing &&
               CRYPTO_memcmp(commit_key, d->header.commit_key, ESDK_COMMIT_KEY_LEN) != 0) {
        st = esdk_dec_fail(d, ESDK_ERR_COMMITMENT, "commit key does not match the data key");
    } else if ((d->gcm = esdk_gcm_new(d->opt.crypto, enc_key, suite->key_len, 0)) == NULL) {
        st = esdk_dec_fail(d, ESDK_ERR_CRYPTO, "cipher setup");
    }
    OPENSSL_cleanse(enc_key, sizeof(enc_key));
    OPENSSL_cleanse(commit_key, sizeof(commit_key));
    if (st == ESDK_OK)
        st = check_header_tag(d);
    if (st != ESDK_OK)
        return st;
    d->header_authenticated = 1;
    d->stage = STAGE_BODY;
    return ESDK_OK;
}

/* Where verified plaintext of n bytes goes: held back (signed suites, last
 * part), the caller's buffer (nothing queued, room) or the output queue. */
static uint8_t *plaintext_slot(esdk_decryptor *d, dec_window *w, size_t n, int hold, int *direct)
{
    *direct = 0;
    if (hold) {
        d->held = OPENSSL_malloc(n + 1);
        d->held_len = d->held ? n : 0;
        return d->held;
    }
    if (w->buf != NULL && esdk_queue_len(&d->output) == 0 && w->cap - w->len >= n) {
        *direct = 1;
        return w->buf + w->len;
    }
    return esdk_queue_reserve(&d->output, n);
}

/* Appends verified plaintext after everything released before it. */
static esdk_status emit(esdk_decryptor *d, dec_window *w, const uint8_t *p, size_t n)
{
    if (n == 0)
        return ESDK_OK;
    if (w->buf != NULL && esdk_queue_len(&d->output) == 0 && w->cap - w->len >= n) {
        memcpy(w->buf + w->len, p, n);
        w->len += n;
        return ESDK_OK;
    }
    return esdk_queue_push(&d->output, p, n) ? ESDK_OK
                                             : esdk_dec_fail(d, ESDK_ERR_ALLOC, "output queue");
}

/* Releases the previous unit's withheld tail (see decrypt_internal.h). */
esdk_status esdk_dec_release_tail(esdk_decryptor *d, dec_window *w)
{
    /* Not cleansed here: the next tail overwrites it, and free cleanses it. */
    esdk_status st = emit(d, w, d->tail, d->tail_len);
    d->tail_len = 0;
    return st;
}

/* Shows n just-verified bytes at pt, in the caller's buffer (direct) or the
 * output queue, but their last ones, kept back (see tail). */
static void show_but_tail(esdk_decryptor *d, dec_window *w, uint8_t *pt, size_t n, int direct)
{
    size_t t = n < ESDK_DECRYPT_TAIL ? n : ESDK_DECRYPT_TAIL;
    memcpy(d->tail, pt + n - t, t);
    d->tail_len = t;
    if (direct) {
        /* The copy at pt would stay past the length reported, and outlive a
         * later failure of the message: cleansed. The output queue's spare
         * room is cleansed when the queue is freed. */
        OPENSSL_cleanse(pt + n - t, t);
        w->len += n - t;
    } else {
        esdk_queue_commit(&d->output, n - t);
    }
}

/* Decrypts and verifies one frame or single block; its plaintext becomes
 * visible only once its tag has verified, and its last bytes only once the
 * next unit verified too (or the message is complete). */
static esdk_status open_content(esdk_decryptor *d, dec_window *w, const uint8_t *iv,
                                const char *label, uint32_t seq, const uint8_t *ct, size_t len,
                                int hold)
{
    uint8_t aad[ESDK_BODY_AAD_MAX], expected_iv[ESDK_IV_LEN];
    esdk_frame_iv(expected_iv, seq);
    if (memcmp(iv, expected_iv, ESDK_IV_LEN) != 0)
        return esdk_dec_fail(d, ESDK_ERR_BAD_FRAME, "frame %u: IV is not the sequence number", seq);
    size_t aad_len =
        esdk_body_aad(aad, d->header.message_id, d->header.message_id_len, label, seq, len);
    /* The previous unit's tail goes first, to keep the order (should this unit
     * fail, the caller discards everything of this call anyway). A unit held
     * for the signature is itself withheld plaintext, so the tail may go —
     * unless that unit is empty: then the tail is all that is withheld. */
    esdk_status st = hold && len == 0 ? ESDK_OK : esdk_dec_release_tail(d, w);
    if (st != ESDK_OK)
        return st;
    int direct;
    uint8_t *pt = plaintext_slot(d, w, len, hold, &direct);
    if (pt == NULL)
        return esdk_dec_fail(d, ESDK_ERR_ALLOC, "plaintext buffer");
    if (!esdk_gcm_open_frame(d->gcm, &d->frames, seq, aad, aad_len, ct, len, pt, ct + len))
        return esdk_dec_fail(d, ESDK_ERR_FRAME_AUTH, "frame %u: authentication tag does not verify",
                             seq);
    if (!hold)
        show_but_tail(d, w, pt, len, direct);
    return ESDK_OK;
}

static esdk_status read_frame(esdk_decryptor *d, dec_window *w, const uint8_t *unit, size_t len)
{
    int final = esdk_get_u32(unit) == ESDK_FINAL_MARKER;
    const uint8_t *p = final ? unit + 4 : unit;
    uint32_t seq = esdk_get_u32(p);
    if (seq != d->next_seq)
        return esdk_dec_fail(d, ESDK_ERR_BAD_FRAME, "frame %u where %u was expected", seq,
                             d->next_seq);
    if (seq > d->opt.max_frames)
        return esdk_dec_fail(d, ESDK_ERR_TOO_MANY_FRAMES, "frame %u exceeds the limit of %llu", seq,
                             (unsigned long long)d->opt.max_frames);
    size_t head = final ? FINAL_HEAD : REGULAR_HEAD;
    int hold = final && d->sig_hash != NULL;
    esdk_status st = open_content(d, w, p + 4, final ? ESDK_LABEL_FINAL_FRAME : ESDK_LABEL_FRAME,
                                  seq, unit + head, len - head - ESDK_TAG_LEN, hold);
    if (st != ESDK_OK)
        return st;
    d->next_seq++;
    if (final)
        d->stage = d->sig_hash ? STAGE_FOOTER : STAGE_DONE;
    return ESDK_OK;
}

static esdk_status read_single_block(esdk_decryptor *d, dec_window *w, const uint8_t *unit,
                                     size_t len)
{
    esdk_status st = open_content(d, w, unit, ESDK_LABEL_SINGLE_BLOCK, 1, unit + SINGLE_HEAD,
                                  len - SINGLE_HEAD - ESDK_TAG_LEN, d->sig_hash != NULL);
    if (st == ESDK_OK)
        d->stage = d->sig_hash ? STAGE_FOOTER : STAGE_DONE;
    return st;
}

static esdk_status read_footer(esdk_decryptor *d, const uint8_t *unit, size_t len)
{
    if (esdk_sig_verify(d->opt.crypto, d->sig_hash, d->mat->verification_key, unit + 2, len - 2) !=
        ESDK_OK)
        return esdk_dec_fail(d, ESDK_ERR_SIGNATURE, "footer signature does not verify");
    d->stage = STAGE_DONE;
    return ESDK_OK;
}

esdk_status esdk_dec_unit(esdk_decryptor *d, dec_window *w, const uint8_t *unit, size_t len)
{
    if (d->stage == STAGE_HEADER)
        return read_header(d, unit, len);
    if (d->stage == STAGE_FOOTER)
        return read_footer(d, unit, len);
    if (d->sig_hash != NULL && !EVP_DigestUpdate(d->sig_hash, unit, len))
        return esdk_dec_fail(d, ESDK_ERR_CRYPTO, "signature hash");
    if (d->header.content_type == ESDK_CONTENT_FRAMED)
        return read_frame(d, w, unit, len);
    return read_single_block(d, w, unit, len);
}
