#ifndef DEKCACHE_MESSAGE_ENCRYPT_INTERNAL_H
#define DEKCACHE_MESSAGE_ENCRYPT_INTERNAL_H

/* Internal: the encryptor's state, shared by encrypt.c (streaming) and
 * encrypt_new.c (setup). */

#include <openssl/evp.h>

#include "message/aes_gcm_frames.h"
#include "message/byte_queue.h"
#include "message/encrypt.h"

struct esdk_encryptor {
    const esdk_crypto *crypto; /* never NULL */
    esdk_enc_materials *mat;
    const esdk_suite *suite;
    uint32_t frame_len;
    uint8_t message_id[32];
    EVP_CIPHER_CTX *gcm;  /* keyed with the derived key */
    EVP_MD_CTX *sig_hash; /* signed suites: hash of everything before the footer */
    uint8_t *header;      /* header body followed by its tag */
    size_t header_len;
    int header_queued;
    uint8_t *frame; /* plaintext of the frame being filled */
    size_t buffered;
    size_t frame_dirty; /* bytes of `frame` ever written: what free must cleanse */
    uint32_t next_seq;
    esdk_gcm_frames frames; /* how gcm steps from frame to frame */
    uint64_t plaintext_seen;
    uint64_t declared_len;
    esdk_byte_queue queue;
    int finished;
    esdk_status error;
    char detail[256];
};

#endif
