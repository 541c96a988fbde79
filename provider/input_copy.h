#ifndef DEKCACHE_PROVIDER_INPUT_COPY_H
#define DEKCACHE_PROVIDER_INPUT_COPY_H

#include <stddef.h>

/* EVP lets a caller encrypt or decrypt in place (out == in). A message is
 * longer than its plaintext and starts with a header, and decryption writes
 * queued plaintext before it reads, so writing to out would overwrite input
 * not read yet. When [out, out + out_len) overlaps [in, in + in_len), *copy
 * gets a private copy of the input to read instead; otherwise *copy is NULL.
 * Returns 0 only when that copy cannot be allocated. */
int dekcache_input_copy_if_aliased(const unsigned char *in, size_t in_len, const unsigned char *out,
                                   size_t out_len, unsigned char **copy);

/* Cleanses and frees a copy (plaintext or ciphertext of the caller's). */
void dekcache_input_copy_free(unsigned char *copy, size_t in_len);

#endif
