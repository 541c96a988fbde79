#include "message/decrypt.h"

#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "message/decrypt_internal.h"

esdk_status esdk_dec_fail(esdk_decryptor *d, esdk_status st, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    vsnprintf(d->detail, sizeof(d->detail), fmt, args);
    va_end(args);
    d->error = st;
    return st;
}

esdk_status esdk_decrypt_new(const esdk_decrypt_options *options, esdk_decryptor **out)
{
    *out = NULL;
    esdk_decryptor *d = OPENSSL_zalloc(sizeof(*d));
    if (d == NULL)
        return ESDK_ERR_ALLOC;
    d->input.ciphertext_only = 1;
    if (options != NULL)
        d->opt = *options;
    d->opt.reproduced_ec = NULL;
    d->opt.crypto = esdk_crypto_or_default(d->opt.crypto);
    if (d->opt.max_frame_len == 0)
        d->opt.max_frame_len = ESDK_DEFAULT_MAX_FRAME_LEN;
    if (d->opt.max_frames == 0 || d->opt.max_frames > 0xFFFFFFFFu)
        d->opt.max_frames = 0xFFFFFFFFu;
    if (d->opt.max_body_len == 0)
        d->opt.max_body_len = ESDK_DEFAULT_MAX_BODY_LEN;
    d->next_seq = 1;
    esdk_status st = ESDK_OK;
    if (options != NULL && options->reproduced_ec != NULL) {
        st = esdk_ec_copy(&d->reproduced, options->reproduced_ec);
        d->opt.reproduced_ec = &d->reproduced;
    }
    if (st != ESDK_OK) {
        esdk_decrypt_free(d);
        return st;
    }
    d->cmm = d->opt.cmm ? esdk_cmm_up_ref(d->opt.cmm) : NULL;
    *out = d;
    return ESDK_OK;
}

esdk_status esdk_decrypt_set_cmm(esdk_decryptor *d, esdk_cmm *cmm)
{
    if (cmm == NULL || d->cmm != NULL)
        return ESDK_ERR_STATE;
    d->cmm = esdk_cmm_up_ref(cmm);
    return ESDK_OK;
}

static void drain(esdk_decryptor *d, dec_window *w)
{
    if (w->len < w->cap && esdk_queue_len(&d->output) > 0) /* mostly empty: skip the call */
        w->len += esdk_queue_pop(&d->output, w->buf + w->len, w->cap - w->len);
}

/* Handles every complete unit; keeps the bytes of an incomplete one. Units are
 * read in place from the caller's input when nothing is buffered. */
static esdk_status process(esdk_decryptor *d, dec_window *w, const uint8_t *in, size_t len)
{
    for (;;) {
        if (d->stage == STAGE_AWAIT_CMM && d->cmm != NULL) {
            esdk_status st = esdk_dec_authenticate_header(d);
            if (st != ESDK_OK)
                return st;
        }
        int buffered = esdk_queue_len(&d->input) > 0;
        const uint8_t *view = buffered ? esdk_queue_data(&d->input) : in;
        size_t avail = buffered ? esdk_queue_len(&d->input) : len;
        if (avail == 0)
            return ESDK_OK;
        if (d->stage == STAGE_DONE)
            return esdk_dec_fail(d, ESDK_ERR_TRAILING_BYTES, "%zu bytes after the message",
                                 avail + (buffered ? len : 0));
        size_t unit = 0;
        esdk_status st = d->stage == STAGE_AWAIT_CMM ? ESDK_ERR_TRUNCATED
                                                     : esdk_dec_unit_len(d, view, avail, &unit);
        if (st != ESDK_OK && st != ESDK_ERR_TRUNCATED)
            return st;
        if (st == ESDK_ERR_TRUNCATED || unit > avail) {
            /* Incomplete: buffer only what completes it when its length is
             * known, so the rest of the input is still read in place. */
            size_t take = len;
            if (buffered && st == ESDK_OK)
                take = unit - avail < len ? unit - avail : len;
            else if (buffered && d->stage >= STAGE_BODY && len > 32)
                take = 32; /* enough to learn a frame's or the footer's length */
            if (take == 0)
                return ESDK_OK;
            if (!esdk_queue_push(&d->input, in, take))
                return esdk_dec_fail(d, ESDK_ERR_ALLOC, "input buffer");
            in += take;
            len -= take;
            if (!buffered)
                return ESDK_OK;
            continue;
        }
        st = esdk_dec_unit(d, w, view, unit);
        if (st != ESDK_OK)
            return st;
        if (buffered) {
            esdk_queue_consume(&d->input, unit);
        } else {
            in += unit;
            len -= unit;
        }
        drain(d, w);
    }
}

/* A failed call hands out nothing: verified plaintext not yet handed out is
 * dropped, including what this call wrote into the caller's buffer. */
static esdk_status fail_call(esdk_decryptor *d, dec_window *w, esdk_status st)
{
    d->error = st;
    esdk_queue_free(&d->output);
    if (w->len > 0)
        OPENSSL_cleanse(w->buf, w->len);
    return st;
}

esdk_status esdk_decrypt_update(esdk_decryptor *d, const uint8_t *in, size_t in_len, uint8_t *out,
                                size_t out_cap, size_t *out_len)
{
    dec_window w = {out, out ? out_cap : 0, 0};
    *out_len = 0;
    if (d->error != ESDK_OK)
        return d->error;
    if (d->finished)
        return esdk_dec_fail(d, ESDK_ERR_STATE, "update after finish");
    drain(d, &w);
    esdk_status st = process(d, &w, in, in_len);
    if (st != ESDK_OK)
        return fail_call(d, &w, st);
    *out_len = w.len;
    return ESDK_OK;
}

static esdk_status end_message(esdk_decryptor *d)
{
    if (d->stage != STAGE_DONE)
        return esdk_dec_fail(d, ESDK_ERR_TRUNCATED, "message ends early (%zu bytes buffered)",
                             esdk_queue_len(&d->input));
    dec_window none = {NULL, 0, 0};
    esdk_status st = esdk_dec_release_tail(d, &none);
    if (st != ESDK_OK)
        return st;
    if (d->held_len > 0 && !esdk_queue_push(&d->output, d->held, d->held_len))
        return esdk_dec_fail(d, ESDK_ERR_ALLOC, "output queue");
    OPENSSL_clear_free(d->held, d->held_len);
    d->held = NULL;
    d->held_len = 0;
    d->finished = 1;
    return ESDK_OK;
}

esdk_status esdk_decrypt_finish(esdk_decryptor *d, uint8_t *out, size_t out_cap, size_t *out_len)
{
    dec_window w = {out, out ? out_cap : 0, 0};
    *out_len = 0;
    if (d->error != ESDK_OK)
        return d->error;
    esdk_status st = ESDK_OK;
    if (!d->finished) {
        drain(d, &w);
        /* Units still buffered, e.g. when the CMM came after header inspection. */
        st = process(d, &w, NULL, 0);
        if (st == ESDK_OK)
            st = end_message(d);
    }
    if (st != ESDK_OK)
        return fail_call(d, &w, st);
    drain(d, &w);
    *out_len = w.len;
    return ESDK_OK;
}

size_t esdk_decrypt_pending(const esdk_decryptor *d)
{
    return esdk_queue_len(&d->output);
}

const esdk_header *esdk_decrypt_header(const esdk_decryptor *d)
{
    return d->header_bytes ? &d->header : NULL;
}

int esdk_decrypt_header_authenticated(const esdk_decryptor *d)
{
    return d->header_authenticated;
}

const esdk_dec_materials *esdk_decrypt_materials(const esdk_decryptor *d)
{
    return d->mat;
}

const char *esdk_decrypt_error_detail(const esdk_decryptor *d)
{
    return d->detail;
}

void esdk_decrypt_free(esdk_decryptor *d)
{
    if (d == NULL)
        return;
    esdk_ec_clear(&d->reproduced);
    esdk_cmm_free(d->cmm);
    esdk_queue_free(&d->input);
    esdk_queue_free(&d->output);
    esdk_header_clear(&d->header);
    OPENSSL_free(d->header_bytes);
    esdk_dec_materials_free(d->mat);
    EVP_CIPHER_CTX_free(d->gcm);
    EVP_MD_CTX_free(d->sig_hash);
    OPENSSL_clear_free(d->held, d->held_len);
    OPENSSL_cleanse(d->tail, sizeof(d->tail));
    OPENSSL_free(d);
}

esdk_status esdk_decrypt_oneshot(const esdk_decrypt_options *options, const uint8_t *in,
                                 size_t in_len, uint8_t **out, size_t *out_len, char *detail,
                                 size_t detail_len)
{
    esdk_decryptor *d = NULL;
    *out = NULL;
    *out_len = 0;
    esdk_status st = esdk_decrypt_new(options, &d);
    if (st != ESDK_OK)
        return st;
    /* Plaintext is never longer than the ciphertext. */
    uint8_t *buf = OPENSSL_malloc(in_len + 1);
    size_t n1 = 0, n2 = 0;
    st = buf ? esdk_decrypt_update(d, in, in_len, buf, in_len, &n1) : ESDK_ERR_ALLOC;
    if (st == ESDK_OK)
        st = esdk_decrypt_finish(d, buf + n1, in_len - n1, &n2);
    if (st == ESDK_OK && esdk_decrypt_pending(d) != 0)
        st = esdk_dec_fail(d, ESDK_ERR_STATE, "output left over");
    if (st != ESDK_OK) {
        esdk_fail(detail, detail_len, st, "%s", d->detail);
        OPENSSL_clear_free(buf, in_len + 1);
    } else {
        *out = buf;
        *out_len = n1 + n2;
    }
    esdk_decrypt_free(d);
    return st;
}
