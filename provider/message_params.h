#ifndef DEKCACHE_PROVIDER_MESSAGE_PARAMS_H
#define DEKCACHE_PROVIDER_MESSAGE_PARAMS_H

/* Message settings passed as OSSL_PARAMs, parsed the same way for the
 * cipher (cipher_params.c) and the asymmetric cipher (asym_cipher.c). Each
 * parser stores the value and returns 1, or raises
 * DEKCACHE_R_INVALID_PARAMETER naming the parameter and returns 0, leaving
 * the destination unchanged. */

#include <openssl/core.h>
#include <stdint.h>

#include "message/materials.h"

/* Raises DEKCACHE_R_INVALID_PARAMETER as "<p->key>: <why>"; returns 0. */
int dekcache_param_refuse(const OSSL_CORE_HANDLE *handle, const OSSL_PARAM *p, const char *why);

/* params' parameter called name: 1 with *out set (NULL when absent), or 0
 * after refusing one without data. Every parameter is looked up through
 * this: OpenSSL 3.0's OSSL_PARAM_get_* read through p->data unchecked. */
int dekcache_param_find(const OSSL_CORE_HANDLE *handle, const OSSL_PARAM params[], const char *name,
                        const OSSL_PARAM **out);

/* A UTF-8 string parameter's text, never NULL: a pointer parameter may hold
 * NULL, which OSSL_PARAM_get_utf8_string_ptr hands back. */
int dekcache_param_text(const OSSL_CORE_HANDLE *handle, const OSSL_PARAM *p, const char **text);

/* "encryption-context" (context_param.h's encoding): replaces *ec. */
int dekcache_param_context(const OSSL_CORE_HANDLE *handle, const OSSL_PARAM *p,
                           esdk_enc_context *ec);

/* "algorithm-suite": 0x0478 or 0x0578. */
int dekcache_param_suite(const OSSL_CORE_HANDLE *handle, const OSSL_PARAM *p, uint16_t *suite_id);

/* "frame-length", min to max: the cipher can carry 512 to 4096 within the
 * output each EVP call allows (DEKCACHE_CIPHER_FRAME_*); pkeyutl takes up to
 * the largest frame our own decryption accepts (ESDK_DEFAULT_MAX_FRAME_LEN),
 * so that we never write a message we would refuse to read. */
#define DEKCACHE_CIPHER_FRAME_MIN 512
#define DEKCACHE_CIPHER_FRAME_MAX 4096
int dekcache_param_frame_length(const OSSL_CORE_HANDLE *handle, const OSSL_PARAM *p, uint32_t min,
                                uint32_t max, uint32_t *frame_len);

#endif
