#ifndef DEKCACHE_MESSAGE_DECRYPT_H
#define DEKCACHE_MESSAGE_DECRYPT_H

#include <stddef.h>
#include <stdint.h>

#include "message/cmm.h"
#include "message/header.h"
#include "message/materials.h"
#include "message/status.h"
#include "message/suite.h"

/* Streaming ESDK decryption (v1 and v2, framed and non-framed, all suites).
 *
 * Order of checks: header parsed (limits, fixed values) -> policy -> CMM
 * decrypt_materials -> commit key compared in constant time (v2) -> header tag
 * -> each frame's tag -> signature (signed suites) -> no trailing bytes.
 *
 * Release rule: plaintext of a frame is queued for output only after that
 * frame's tag verified, and its last ESDK_DECRYPT_TAIL (256) bytes only after
 * the next frame verified too (or at finish): a message cut at a frame
 * boundary, even just before an empty final frame, never yields the whole
 * plaintext. For signed suites the final frame's plaintext (and a non-framed
 * body) is held back until finish has verified the signature, and so is the
 * previous frame's tail when the final frame is empty.
 *
 * Output model: like esdk_encrypt_*: an explicit budget per call, an internal
 * queue, esdk_decrypt_pending(). Worst cases (F = frame length, n = input bytes
 * of one update, b < F + 32 bytes of an incomplete frame left from before):
 *   update: releases the plaintext of the frames it completes, at most
 *           floor((b + n) / (F + 32)) regular frames of F bytes, plus (unsigned
 *           suites) the final frame, fewer than n - 40 bytes; what exceeds
 *           out_cap stays queued. With n <= F that is ONE regular frame.
 *   finish: releases what is still queued plus, for signed suites, the final
 *           frame (<= F bytes), held back until the signature verified.
 *   non-framed bodies are released whole (after the tag; signed: at finish), so
 *           their output can exceed any small budget: drain with repeated finish.
 * OpenSSL provider pattern (F = 4096, the frame length encrypt writes; n <= 4096;
 * out_cap = 4384 for every update and for the single finish): an update
 * releases <= 4096 bytes before the final frame (so the queue is empty after
 * it) and <= 4096 + 4055 bytes when it also completes an unsigned final frame,
 * leaving <= 3767 queued (the withheld tail only shifts up to 256 bytes from
 * one call to the next); finish therefore needs <= 4096 bytes (signed: the
 * held final frame, or the last tail when it is empty; unsigned: the rest of
 * the queue and the last tail, <= 3767 + 256) and one call drains the
 * message. Tested with random pieces (test/message/test_roundtrip.c) and on
 * every framed official vector with F <= 4096 (F = 512 and 4096).
 *
 * Header inspection: with options.cmm == NULL, update stops after parsing the
 * header (buffering further input and returning ESDK_OK with no output);
 * esdk_decrypt_header() then returns the parsed header (EDKs, provider info,
 * suite, EC) and the caller supplies a CMM with esdk_decrypt_set_cmm(). */
typedef struct esdk_decryptor esdk_decryptor;

#define ESDK_DEFAULT_MAX_FRAME_LEN (16u * 1024 * 1024)
#define ESDK_DEFAULT_MAX_BODY_LEN  (64ull * 1024 * 1024)

typedef struct {
    esdk_cmm *cmm;                         /* NULL: header inspection first (see above) */
    esdk_commitment_policy policy;         /* default REQUIRE_ENCRYPT_REQUIRE_DECRYPT */
    const esdk_enc_context *reproduced_ec; /* NULL = none (copied) */
    esdk_header_limits header_limits;      /* max EDKs, header size, EC size */
    uint32_t max_frame_len;                /* 0 = ESDK_DEFAULT_MAX_FRAME_LEN */
    uint64_t max_frames;                   /* 0 = 2^32 - 1 (the format's limit) */
    uint64_t max_body_len;     /* non-framed ciphertext; 0 = ESDK_DEFAULT_MAX_BODY_LEN */
    const esdk_crypto *crypto; /* NULL = the default library context */
} esdk_decrypt_options;

esdk_status esdk_decrypt_new(const esdk_decrypt_options *options, esdk_decryptor **out);

/* Supplies the CMM after header inspection (takes a reference). */
esdk_status esdk_decrypt_set_cmm(esdk_decryptor *dec, esdk_cmm *cmm);

/* Consumes all in_len bytes; writes at most out_cap verified plaintext bytes.
 * in and out must not overlap: queued plaintext is written before in is read. */
esdk_status esdk_decrypt_update(esdk_decryptor *dec, const uint8_t *in, size_t in_len, uint8_t *out,
                                size_t out_cap, size_t *out_len);

/* First call: the input is complete. Processes whatever is still buffered
 * (e.g. the whole message after header inspection and esdk_decrypt_set_cmm),
 * fails with ESDK_ERR_TRUNCATED if the message is not complete, then releases
 * the plaintext held back for the signature. Call again while
 * esdk_decrypt_pending() > 0. */
esdk_status esdk_decrypt_finish(esdk_decryptor *dec, uint8_t *out, size_t out_cap, size_t *out_len);

size_t esdk_decrypt_pending(const esdk_decryptor *dec);
/* The parsed header once enough input arrived, else NULL. Authenticated only
 * once esdk_decrypt_header_authenticated() returns 1. */
const esdk_header *esdk_decrypt_header(const esdk_decryptor *dec);
int esdk_decrypt_header_authenticated(const esdk_decryptor *dec);
/* Decryption materials once obtained (full EC, edk_index of the EDK used), else NULL. */
const esdk_dec_materials *esdk_decrypt_materials(const esdk_decryptor *dec);
const char *esdk_decrypt_error_detail(const esdk_decryptor *dec);
void esdk_decrypt_free(esdk_decryptor *dec);

/* One shot: decrypts a whole message into *out (OPENSSL_malloc; NULL/0 on
 * failure: no plaintext of a failed message is returned). */
esdk_status esdk_decrypt_oneshot(const esdk_decrypt_options *options, const uint8_t *in,
                                 size_t in_len, uint8_t **out, size_t *out_len, char *detail,
                                 size_t detail_len);

#endif
