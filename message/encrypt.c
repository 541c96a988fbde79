#include "message/encrypt.h"

#include <openssl/crypto.h>
#include <string.h>

#include "message/aes_gcm_frames.h"
#include "message/body.h"
#include "message/byte_queue.h"
#include "message/encrypt_internal.h"
#include "message/header_internal.h"
#include "message/kdf.h"
#include "message/signature.h"

/* The caller's output buffer for one call. */
typedef struct {
    uint8_t *buf;
    size_t cap;
    size_t len;
} out_window;

static esdk_status fail(esdk_encryptor *e, esdk_status st, const char *what)
{
    e->error = st;
    esdk_fail(e->detail, sizeof(e->detail), st, "encrypt: %s", what);
    return st;
}

/* Where the next n output bytes go: straight into the caller's buffer while
 * nothing is queued and they fit, else the queue (order is preserved). */
static uint8_t *reserve(esdk_encryptor *e, out_window *w, size_t n, int *direct)
{
    *direct = w->buf != NULL && esdk_queue_len(&e->queue) == 0 && w->cap - w->len >= n;
    return *direct ? w->buf + w->len : esdk_queue_reserve(&e->queue, n);
}

static int commit(esdk_encryptor *e, out_window *w, const uint8_t *p, size_t n, int direct,
                  int hashed)
{
    if (hashed && e->sig_hash != NULL && !EVP_DigestUpdate(e->sig_hash, p, n))
        return 0;
    if (direct)
        w->len += n;
    else
        esdk_queue_commit(&e->queue, n);
    return 1;
}

static void drain(esdk_encryptor *e, out_window *w)
{
    if (w->len < w->cap && esdk_queue_len(&e->queue) > 0) /* mostly empty: skip the call */
        w->len += esdk_queue_pop(&e->queue, w->buf + w->len, w->cap - w->len);
}

static esdk_status emit_bytes(esdk_encryptor *e, out_window *w, const uint8_t *bytes, size_t n,
                              int hashed)
{
    int direct;
    uint8_t *p = reserve(e, w, n, &direct);
    if (p == NULL)
        return fail(e, ESDK_ERR_ALLOC, "output queue");
    memcpy(p, bytes, n);
    return commit(e, w, p, n, direct, hashed) ? ESDK_OK : fail(e, ESDK_ERR_CRYPTO, "hash");
}

static esdk_status emit_header(esdk_encryptor *e, out_window *w)
{
    if (e->header_queued)
        return ESDK_OK;
    e->header_queued = 1;
    return emit_bytes(e, w, e->header, e->header_len, 1);
}

/* A regular frame (final = 0) or the final frame, encrypted into the output. */
static esdk_status emit_frame(esdk_encryptor *e, out_window *w, const uint8_t *pt, size_t len,
                              int final)
{
    if (!final && e->next_seq == ESDK_FINAL_MARKER)
        return fail(e, ESDK_ERR_TOO_MANY_FRAMES, "2^32-1 frames");
    size_t head = final ? 24 : 16;
    int direct;
    uint8_t *p = reserve(e, w, head + len + 16, &direct);
    if (p == NULL)
        return fail(e, ESDK_ERR_ALLOC, "output queue");
    uint8_t aad[ESDK_BODY_AAD_MAX];
    size_t aad_len =
        esdk_body_aad(aad, e->message_id, 32, final ? ESDK_LABEL_FINAL_FRAME : ESDK_LABEL_FRAME,
                      e->next_seq, len);
    uint8_t *q = p;
    if (final) {
        esdk_put_u32(q, ESDK_FINAL_MARKER);
        q += 4;
    }
    esdk_put_u32(q, e->next_seq);
    esdk_frame_iv(q + 4, e->next_seq);
    if (final)
        esdk_put_u32(q + 16, (uint32_t)len);
    uint8_t *ct = p + head;
    if (!esdk_gcm_seal_frame(e->gcm, &e->frames, e->next_seq, aad, aad_len, pt, len, ct,
                             ct + len) ||
        !commit(e, w, p, head + len + 16, direct, 1))
        return fail(e, ESDK_ERR_CRYPTO, "frame encryption");
    e->next_seq++;
    return ESDK_OK;
}

static esdk_status check_length(esdk_encryptor *e, size_t more)
{
    e->plaintext_seen += more;
    if (e->declared_len != ESDK_LENGTH_UNKNOWN && e->plaintext_seen > e->declared_len)
        return fail(e, ESDK_ERR_PLAINTEXT_LENGTH, "more plaintext than declared");
    return ESDK_OK;
}

/* Buffers input; each full frame is encrypted (from the input when possible). */
static esdk_status consume_input(esdk_encryptor *e, out_window *w, const uint8_t *in, size_t len)
{
    size_t f = e->frame_len;
    while (len > 0) {
        esdk_status st;
        if (e->buffered == 0 && len >= f) {
            st = emit_frame(e, w, in, f, 0);
            in += f;
            len -= f;
        } else {
            size_t take = f - e->buffered < len ? f - e->buffered : len;
            memcpy(e->frame + e->buffered, in, take);
            e->buffered += take;
            if (e->buffered > e->frame_dirty)
                e->frame_dirty = e->buffered;
            in += take;
            len -= take;
            st = ESDK_OK;
            if (e->buffered == f) {
                st = emit_frame(e, w, e->frame, f, 0);
                e->buffered = 0;
            }
        }
        if (st != ESDK_OK)
            return st;
        drain(e, w);
    }
    return ESDK_OK;
}

esdk_status esdk_encrypt_update(esdk_encryptor *e, const uint8_t *in, size_t in_len, uint8_t *out,
                                size_t out_cap, size_t *out_len)
{
    out_window w = {out, out ? out_cap : 0, 0};
    *out_len = 0;
    if (e->error != ESDK_OK)
        return e->error;
    if (e->finished)
        return fail(e, ESDK_ERR_STATE, "update after finish");
    drain(e, &w);
    esdk_status st = check_length(e, in_len);
    if (st == ESDK_OK)
        st = emit_header(e, &w);
    drain(e, &w);
    if (st == ESDK_OK)
        st = consume_input(e, &w, in, in_len);
    *out_len = st == ESDK_OK ? w.len : 0;
    return st;
}

static esdk_status emit_footer(esdk_encryptor *e, out_window *w)
{
    uint8_t footer[2 + ESDK_SIG_MAX_LEN];
    size_t sig_len = 0;
    if (esdk_sig_sign(e->crypto, e->sig_hash, e->mat->signing_key, e->suite, footer + 2,
                      &sig_len) != ESDK_OK)
        return fail(e, ESDK_ERR_CRYPTO, "signing");
    esdk_put_u16(footer, (uint16_t)sig_len);
    return emit_bytes(e, w, footer, 2 + sig_len, 0);
}

static esdk_status end_message(esdk_encryptor *e, out_window *w)
{
    if (e->declared_len != ESDK_LENGTH_UNKNOWN && e->plaintext_seen != e->declared_len)
        return fail(e, ESDK_ERR_PLAINTEXT_LENGTH, "less plaintext than declared");
    esdk_status st = emit_header(e, w);
    if (st == ESDK_OK)
        st = emit_frame(e, w, e->frame, e->buffered, 1);
    if (st == ESDK_OK && e->sig_hash != NULL)
        st = emit_footer(e, w);
    OPENSSL_cleanse(e->frame, e->buffered);
    e->buffered = 0;
    e->finished = 1;
    return st;
}

esdk_status esdk_encrypt_finish(esdk_encryptor *e, uint8_t *out, size_t out_cap, size_t *out_len)
{
    out_window w = {out, out ? out_cap : 0, 0};
    *out_len = 0;
    if (e->error != ESDK_OK)
        return e->error;
    drain(e, &w);
    esdk_status st = e->finished ? ESDK_OK : end_message(e, &w);
    drain(e, &w);
    *out_len = st == ESDK_OK ? w.len : 0;
    return st;
}

size_t esdk_encrypt_pending(const esdk_encryptor *e)
{
    size_t n = esdk_queue_len(&e->queue);
    return e->header_queued ? n : n + e->header_len;
}

size_t esdk_encrypt_header_len(const esdk_encryptor *e)
{
    return e->header_len;
}

const esdk_enc_materials *esdk_encrypt_materials(const esdk_encryptor *e)
{
    return e->mat;
}

const uint8_t *esdk_encrypt_message_id(const esdk_encryptor *e, size_t *len)
{
    *len = sizeof(e->message_id);
    return e->message_id;
}

const char *esdk_encrypt_error_detail(const esdk_encryptor *e)
{
    return e->detail;
}

void esdk_encrypt_free(esdk_encryptor *e)
{
    if (e == NULL)
        return;
    esdk_enc_materials_free(e->mat);
    EVP_CIPHER_CTX_free(e->gcm);
    EVP_MD_CTX_free(e->sig_hash);
    OPENSSL_free(e->header);
    if (e->frame != NULL)
        OPENSSL_cleanse(e->frame, e->frame_dirty);
    OPENSSL_free(e->frame);
    esdk_queue_free(&e->queue);
    OPENSSL_free(e);
}
