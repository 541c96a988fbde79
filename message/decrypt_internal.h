#ifndef DEKCACHE_MESSAGE_DECRYPT_INTERNAL_H
#define DEKCACHE_MESSAGE_DECRYPT_INTERNAL_H

/* Internal: the decryptor's state, shared by decrypt.c (input framing and
 * output) and decrypt_units.c (what each unit of the message means). */

#include <openssl/evp.h>

#include "message/aes_gcm_frames.h"
#include "message/byte_queue.h"
#include "message/decrypt.h"
#include "message/header_internal.h"

typedef enum {
    STAGE_HEADER,    /* reading the header */
    STAGE_AWAIT_CMM, /* header parsed; no CMM yet (header inspection) */
    STAGE_BODY,      /* frames or the non-framed body */
    STAGE_FOOTER,    /* signed suites: the signature */
    STAGE_DONE       /* the whole message was read and authenticated */
} dec_stage;

/* The caller's output buffer for one call. */
typedef struct {
    uint8_t *buf;
    size_t cap;
    size_t len;
} dec_window;

/* Bytes withheld at the end of each verified unit. Small enough that, in
 * the OpenSSL provider pattern (decrypt.h), the previous frame's tail plus a
 * whole 4096-byte frame fit one call's 4384 bytes, so a frame decrypts
 * straight into the caller's buffer instead of through the output queue
 * (with 512 every frame took two extra copies and a cleanse: decrypt went
 * from 226 to 193 ms of CPU per 256 MiB); and 3767 left for finish plus the
 * tail still fits 4384. */
#define ESDK_DECRYPT_TAIL 256

struct esdk_decryptor {
    esdk_decrypt_options opt;
    esdk_enc_context reproduced; /* own copy of opt.reproduced_ec */
    esdk_cmm *cmm;
    dec_stage stage;
    esdk_byte_queue input;            /* received bytes of an incomplete unit */
    esdk_byte_queue output;           /* verified plaintext not yet handed out */
    esdk_header_resume header_resume; /* where measuring the EDK list goes on */
    esdk_header header;
    uint8_t *header_bytes; /* the header as received (authenticated verbatim) */
    int header_authenticated;
    esdk_dec_materials *mat;
    EVP_CIPHER_CTX *gcm;
    esdk_gcm_frames frames; /* how gcm steps from frame to frame */
    EVP_MD_CTX *sig_hash;
    uint32_t next_seq;
    uint8_t *held; /* signed suites: plaintext released only after the signature */
    size_t held_len;
    /* The last bytes of the latest verified unit, released only when the next
     * unit verified or the message is complete: so a message cut at a frame
     * boundary (even right before an empty final frame) never decrypts to
     * output identical to the whole plaintext. */
    uint8_t tail[ESDK_DECRYPT_TAIL];
    size_t tail_len;
    int finished;
    esdk_status error;
    char detail[256];
};

esdk_status esdk_dec_fail(esdk_decryptor *d, esdk_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Length of the next unit starting at `in` (ESDK_ERR_TRUNCATED: not known yet
 * or more bytes needed), or a hostile-input error. */
esdk_status esdk_dec_unit_len(esdk_decryptor *d, const uint8_t *in, size_t avail, size_t *len);

/* Handles one complete unit of `len` bytes. */
esdk_status esdk_dec_unit(esdk_decryptor *d, dec_window *w, const uint8_t *unit, size_t len);

/* Releases the withheld tail of the latest unit into w (or the queue). */
esdk_status esdk_dec_release_tail(esdk_decryptor *d, dec_window *w);

/* Obtains materials and authenticates the parsed header. */
esdk_status esdk_dec_authenticate_header(esdk_decryptor *d);

#endif
