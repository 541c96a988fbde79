/* Strict standard base64 (with padding) over EVP_EncodeBlock/EVP_DecodeBlock. */
#ifndef DEKCACHE_KMS_SERVER_BASE64_H
#define DEKCACHE_KMS_SERVER_BASE64_H

#include <stddef.h>

/* Characters of the padded encoding of len bytes (without the NUL). */
size_t kms_base64_encoded_len(size_t len);

/* malloc'd NUL-terminated text, NULL on allocation failure. */
char *kms_base64_encode(const unsigned char *in, size_t len);
/* Decodes into a malloc'd buffer (OPENSSL_secure_malloc when secure != 0;
 * free with OPENSSL_secure_clear_free / OPENSSL_clear_free). Rejects bad
 * characters, bad padding and lengths not a multiple of 4. Returns 0 or -1. */
int kms_base64_decode(const char *in, int secure, unsigned char **out, size_t *out_len);

#endif
