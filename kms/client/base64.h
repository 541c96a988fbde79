#ifndef DEKCACHE_KMS_CLIENT_BASE64_H
#define DEKCACHE_KMS_CLIENT_BASE64_H

#include <stddef.h>

/* Standard base64 with padding, via libcrypto. */

/* Characters base64_encode writes for len bytes, plus the terminating NUL. */
size_t base64_encoded_size(size_t len);

/* Writes the encoding and a NUL into out (base64_encoded_size(len) bytes). */
void base64_encode(const unsigned char *in, size_t len, char *out);

/* Largest decoded size of text_len characters. */
size_t base64_decoded_max(size_t text_len);

/* Strict decode: canonical alphabet, length a multiple of 4, padding only at
 * the end, no whitespace. Returns 1 and the decoded length, or 0. out must
 * hold base64_decoded_max(text_len) bytes. */
int base64_decode(const char *text, size_t text_len, unsigned char *out, size_t *out_len);

#endif
