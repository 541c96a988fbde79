#ifndef DEKCACHE_TEST_FORGE_MESSAGE_H
#define DEKCACHE_TEST_FORGE_MESSAGE_H

/* Hand-built ESDK messages of the kinds our encrypt never writes: format v1
 * (every v1 suite) and non-framed bodies (v1 or v2). They are assembled from
 * the library's own KDF, AES-GCM and signature code, so they test the
 * decryptor's paths for them (and seed its fuzzer) without outside tools. */

#include <stddef.h>
#include <stdint.h>

#include "message/cmm.h"

typedef struct {
    esdk_cmm *cmm;              /* supplies EDKs, data key, EC and signing key */
    uint16_t suite_id;          /* any suite, v1 or v2 */
    uint32_t frame_len;         /* 0 = non-framed */
    const esdk_enc_context *ec; /* NULL = empty */
} forge_spec;

/* The whole message in *out (OPENSSL_malloc). Frames: full ones while at
 * least frame_len bytes remain, then the final frame (possibly empty). */
esdk_status forge_message(const forge_spec *spec, const uint8_t *pt, size_t pt_len, uint8_t **out,
                          size_t *out_len);

#endif
