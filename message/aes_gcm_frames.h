#ifndef DEKCACHE_MESSAGE_AES_GCM_FRAMES_H
#define DEKCACHE_MESSAGE_AES_GCM_FRAMES_H

/* Internal: AES-GCM for the body of one message, on a context from
 * esdk_gcm_new. A body IV is 8 zero bytes and the 4-byte sequence number, so
 * instead of a full re-initialisation per frame (an EVP_CipherInit_ex, which
 * also reads the IV length back with a parameter lookup) the context is put
 * in OpenSSL's IV-generation mode once (EVP_CTRL_GCM_SET_IV_FIXED with the
 * whole IV, as OpenSSH does): sealing steps the IV with the same parameter
 * call that returns the tag, and opening sets the sequence number with the
 * same call that sets the tag. A cipher that does not behave like
 * OpenSSL's is detected and then given explicit IVs instead. */

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

/* What the context holds besides its key; zero-initialise it, and zero it
 * again whenever the context is used by esdk_gcm_seal or esdk_gcm_open. */
typedef struct {
    uint32_t next;    /* sealing: the frame whose IV the context has ready; 0: none */
    int armed;        /* opening: the context is in IV-generation mode */
    int explicit_ivs; /* the cipher does not generate IVs like OpenSSL's */
} esdk_gcm_frames;

/* Frame `seq`: ct may equal pt. Returns 1 on success. */
int esdk_gcm_seal_frame(EVP_CIPHER_CTX *ctx, esdk_gcm_frames *f, uint32_t seq, const uint8_t *aad,
                        size_t aad_len, const uint8_t *pt, size_t len, uint8_t *ct,
                        uint8_t tag[16]);

/* Frame `seq`: pt must not overlap ct (a failed attempt is retried from ct).
 * Returns 1 only if the tag verifies; on failure pt is cleansed. */
int esdk_gcm_open_frame(EVP_CIPHER_CTX *ctx, esdk_gcm_frames *f, uint32_t seq, const uint8_t *aad,
                        size_t aad_len, const uint8_t *ct, size_t len, uint8_t *pt,
                        const uint8_t tag[16]);

#endif
