#ifndef DEKCACHE_MESSAGE_AES_GCM_H
#define DEKCACHE_MESSAGE_AES_GCM_H

/* Internal: AES-GCM (12-byte IV, 16-byte tag) on a context keyed once and
 * re-IVed per operation, with the EVP_CIPHER fetched once per library
 * context (message/crypto.h). */

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

#include "message/crypto.h"

/* A new context keyed for encryption (encrypt = 1) or decryption; NULL on failure. */
EVP_CIPHER_CTX *esdk_gcm_new(const esdk_crypto *crypto, const uint8_t *key, size_t key_len,
                             int encrypt);

/* AAD, then the data, then GCM's final step (which checks the tag when
 * decrypting), once the IV and, for decryption, the tag are set. 1 on success. */
int esdk_gcm_run(EVP_CIPHER_CTX *ctx, const uint8_t *aad, size_t aad_len, const uint8_t *in,
                 size_t len, uint8_t *out);

/* ct may equal pt. Returns 1 on success. */
int esdk_gcm_seal(EVP_CIPHER_CTX *ctx, const uint8_t iv[12], const uint8_t *aad, size_t aad_len,
                  const uint8_t *pt, size_t len, uint8_t *ct, uint8_t tag[16]);

/* Returns 1 only if the tag verifies; on failure pt is cleansed. */
int esdk_gcm_open(EVP_CIPHER_CTX *ctx, const uint8_t iv[12], const uint8_t *aad, size_t aad_len,
                  const uint8_t *ct, size_t len, uint8_t *pt, const uint8_t tag[16]);

#endif
