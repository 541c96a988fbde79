#ifndef DEKCACHE_PROVIDER_CIPHER_CTX_H
#define DEKCACHE_PROVIDER_CIPHER_CTX_H

#include <stdint.h>

#include "message/decrypt.h"
#include "message/encrypt.h"
#include "provider/provctx.h"

/* One EVP_CIPHER_CTX's state: the settings (kept across re-init with a NULL
 * key) and the message in progress. */
typedef struct {
    dekcache_provctx *prov;
    int initialized; /* an init call succeeded: a message may start */
    int encrypting;
    char *key_id; /* NULL: the configured key */
    esdk_enc_context ec;
    uint64_t plaintext_length; /* ESDK_LENGTH_UNKNOWN unless declared */
    uint16_t suite_id;
    uint32_t frame_len;
    esdk_encryptor *enc;
    esdk_decryptor *dec;
    int failed;   /* a call failed: the message is dead until re-init */
    int finished; /* final was called successfully */
} dekcache_cipher_ctx;

int dekcache_cipher_set_ctx_params(void *vctx, const OSSL_PARAM params[]);
int dekcache_cipher_get_ctx_params(void *vctx, OSSL_PARAM params[]);
const OSSL_PARAM *dekcache_cipher_settable_ctx_params(void *cctx, void *provctx);
const OSSL_PARAM *dekcache_cipher_gettable_ctx_params(void *cctx, void *provctx);
int dekcache_cipher_get_params(OSSL_PARAM params[]);
const OSSL_PARAM *dekcache_cipher_gettable_params(void *provctx);

/* 1 once a message is under way (settings can no longer change). */
int dekcache_cipher_started(const dekcache_cipher_ctx *ctx);

/* Starts the message now if it has not started (an encryption obtains its
 * data key and message ID here); 0 with an error raised on failure. */
int dekcache_cipher_ensure_started(dekcache_cipher_ctx *ctx);

#endif
