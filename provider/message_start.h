#ifndef DEKCACHE_PROVIDER_MESSAGE_START_H
#define DEKCACHE_PROVIDER_MESSAGE_START_H

/* Starting a message, shared by the cipher and the asymmetric cipher. */

#include <stdint.h>

#include "message/decrypt.h"
#include "message/encrypt.h"
#include "provider/provctx.h"

/* What the application chose for one message. */
typedef struct {
    const char *key_id; /* NULL or "": the default (dekcache_resolve_key_id) */
    uint16_t suite_id;
    uint32_t frame_len;
    const esdk_enc_context *ec;
    uint64_t plaintext_length; /* ESDK_LENGTH_UNKNOWN when not declared */
} dekcache_message_settings;

/* A new encryptor (materials already obtained through the cache), or NULL
 * after raising an error. */
esdk_encryptor *dekcache_start_encryption(dekcache_provctx *prov,
                                          const dekcache_message_settings *settings);

/* A new decryptor; `reproduced` (may be NULL or empty) must match the
 * message's context. NULL after raising an error. */
esdk_decryptor *dekcache_start_decryption(dekcache_provctx *prov,
                                          const esdk_enc_context *reproduced);

/* Options for one-shot decryption with the instance's decryption CMM; the
 * caller frees options->cmm with esdk_cmm_free. 0 after raising an error. */
int dekcache_decrypt_options(dekcache_provctx *prov, const esdk_enc_context *reproduced,
                             uint64_t max_body_len, esdk_decrypt_options *options);

#endif
