#ifndef DEKCACHE_MESSAGE_BODY_H
#define DEKCACHE_MESSAGE_BODY_H

/* Internal: body AAD and IV layout (esdk-format.md section 6). */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "message/wire.h"

#define ESDK_LABEL_FRAME        "AWSKMSEncryptionClient Frame"
#define ESDK_LABEL_FINAL_FRAME  "AWSKMSEncryptionClient Final Frame"
#define ESDK_LABEL_SINGLE_BLOCK "AWSKMSEncryptionClient Single Block"
#define ESDK_FINAL_MARKER       0xFFFFFFFFu
#define ESDK_BODY_AAD_MAX       (32 + sizeof(ESDK_LABEL_SINGLE_BLOCK) + 12)

/* messageId || label || u32 seq || u64 length; returns the AAD length. */
static inline size_t esdk_body_aad(uint8_t *aad, const uint8_t *message_id, size_t id_len,
                                   const char *label, uint32_t seq, uint64_t len)
{
    size_t label_len = strlen(label);
    memcpy(aad, message_id, id_len);
    memcpy(aad + id_len, label, label_len);
    esdk_put_u32(aad + id_len + label_len, seq);
    esdk_put_u64(aad + id_len + label_len + 4, len);
    return id_len + label_len + 12;
}

/* The deterministic IV: eight zero bytes and the big-endian sequence number. */
static inline void esdk_frame_iv(uint8_t iv[12], uint32_t seq)
{
    memset(iv, 0, 8);
    esdk_put_u32(iv + 8, seq);
}

#endif
