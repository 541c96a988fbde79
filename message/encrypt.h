#ifndef DEKCACHE_MESSAGE_ENCRYPT_H
#define DEKCACHE_MESSAGE_ENCRYPT_H

#include <stddef.h>
#include <stdint.h>

#include "message/cmm.h"
#include "message/materials.h"
#include "message/status.h"
#include "message/suite.h"

/* Streaming ESDK encryption (format v2, framed).
 *
 * Output model: every call takes an explicit output budget `out_cap` and writes
 * at most that many bytes; whatever does not fit stays in an internal queue,
 * reported by esdk_encrypt_pending() and emitted first by the next call. The
 * header is produced lazily by the first update/finish.
 *
 * Sizes (F = frame length, H = esdk_encrypt_header_len(), T = footer):
 *   regular frame: F + 32 bytes  (u32 seq, 12 IV, F ciphertext, 16 tag)
 *   final frame:   r + 40 bytes  (FFFFFFFF, u32 seq, 12 IV, u32 len, r, 16 tag),
 *                  0 <= r <= F-1: full frames are emitted as soon as F bytes are
 *                  buffered, so an exact multiple of F ends with an empty final frame
 *   footer T:      0 (0x0478) or 2 + 103 = 105 bytes (0x0578: the signature is
 *                  always re-drawn to the 103-byte maximum DER length, as the ESDKs do)
 *   message:       H + floor(n/F)*(F+32) + (n mod F) + 40 + T
 *
 * An update with n input bytes queues at most floor((b + n)/F) frames (b < F
 * bytes already buffered), i.e. at most ONE frame when n <= F.
 *
 * OpenSSL provider budget (BLOCK_SIZE 4384, F = 4096, every update n <= 4096
 * and out_cap = 4384, finish out_cap = 4384): if H <= 4384 then every update
 * leaves pending <= max(0, H - 256), pending is non-zero only while the
 * buffered remainder is 0, and the first finish needs at most
 * max(H - 216, 4135) + T <= 4384 bytes, so ONE finish call drains the message
 * (T <= 249 would still fit). Larger updates (n > F) may leave more pending;
 * then finish must be called again until esdk_encrypt_pending() == 0. */
typedef struct esdk_encryptor esdk_encryptor;

#define ESDK_DEFAULT_FRAME_LEN 4096
#define ESDK_MAX_FRAME_LEN     0x7FFFFFFFu
#define ESDK_FRAME_OVERHEAD    32  /* regular frame bytes beyond the plaintext */
#define ESDK_FINAL_OVERHEAD    40  /* final frame bytes beyond the plaintext */
#define ESDK_FOOTER_MAX_LEN    105 /* u16 length + 103-byte P-384 signature */

typedef struct {
    esdk_cmm *cmm;                 /* required; borrowed for the duration of esdk_encrypt_new */
    uint16_t suite_id;             /* 0 = ESDK_DEFAULT_SUITE (0x0478); 0x0578 adds a signature */
    uint32_t frame_len;            /* 0 = ESDK_DEFAULT_FRAME_LEN; 1..ESDK_MAX_FRAME_LEN */
    const esdk_enc_context *ec;    /* NULL = empty; keys "aws-crypto-*" are refused */
    uint64_t plaintext_len;        /* the exact length, enforced, when plaintext_len_known */
    int plaintext_len_known;       /* 0 (default): unknown, the CMM sees ESDK_LENGTH_UNKNOWN */
    esdk_commitment_policy policy; /* default REQUIRE_ENCRYPT_REQUIRE_DECRYPT */
    size_t max_edks;               /* 0 = no cap; else more EDKs from the CMM fail */
    const esdk_crypto *crypto;     /* NULL = the default library context */
} esdk_encrypt_options;

/* Obtains materials from the CMM, draws the message ID (RAND_bytes_ex), derives
 * the keys and prepares the header. Nothing is output yet. */
esdk_status esdk_encrypt_new(const esdk_encrypt_options *options, esdk_encryptor **out,
                             char *detail, size_t detail_len);

/* Consumes all `in_len` bytes (always: what does not become output is buffered)
 * and writes at most out_cap bytes; *out_len = bytes written. in and out must
 * not overlap: the header and queued output are written before the input is read. */
esdk_status esdk_encrypt_update(esdk_encryptor *enc, const uint8_t *in, size_t in_len, uint8_t *out,
                                size_t out_cap, size_t *out_len);

/* First call: ends the plaintext (final frame, footer); every call writes at most
 * out_cap bytes. Call again while esdk_encrypt_pending() > 0. No update after. */
esdk_status esdk_encrypt_finish(esdk_encryptor *enc, uint8_t *out, size_t out_cap, size_t *out_len);

/* Bytes of the message not yet written out (the header counts until the first
 * call writes it; plaintext still buffered for an incomplete frame does not). */
size_t esdk_encrypt_pending(const esdk_encryptor *enc);
/* Length of the serialised header (known after esdk_encrypt_new). */
size_t esdk_encrypt_header_len(const esdk_encryptor *enc);
/* The materials used: suite_id, edks (provider id/info, e.g. a KMS key ARN), the
 * full EC. Valid until esdk_encrypt_free. */
const esdk_enc_materials *esdk_encrypt_materials(const esdk_encryptor *enc);
const uint8_t *esdk_encrypt_message_id(const esdk_encryptor *enc, size_t *len);
/* Detail message of the last failure ("" if none). */
const char *esdk_encrypt_error_detail(const esdk_encryptor *enc);
/* Cleanses every key and buffer. NULL is ignored. */
void esdk_encrypt_free(esdk_encryptor *enc);

/* One shot: *out (OPENSSL_malloc, caller frees) receives the whole message. */
esdk_status esdk_encrypt_oneshot(const esdk_encrypt_options *options, const uint8_t *in,
                                 size_t in_len, uint8_t **out, size_t *out_len, char *detail,
                                 size_t detail_len);

#endif
