#ifndef DEKCACHE_TEST_MESSAGE_UTIL_H
#define DEKCACHE_TEST_MESSAGE_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "message/cmm.h"
#include "message/decrypt.h"
#include "message/encrypt.h"

/* A reproducible pseudo-random stream (xorshift64*); the seed is printed. */
uint64_t test_rand(void);
/* Uniform in [lo, hi]. */
size_t test_rand_range(size_t lo, size_t hi);
void test_rand_seed_from_env(void);

/* A default CMM over a raw AES keyring with a fixed 256-bit key
 * (namespace "test-ns", the given key name). */
esdk_cmm *test_aes_cmm(const char *key_name);

/* Encrypts in random chunks under random budgets; *out is OPENSSL_malloc'd. */
esdk_status test_encrypt_chunked(const esdk_encrypt_options *opt, const uint8_t *pt, size_t len,
                                 uint8_t **out, size_t *out_len);

/* Decrypts in random chunks under random budgets. *released receives every
 * byte the decryptor handed out before it failed or finished (OPENSSL_malloc). */
esdk_status test_decrypt_chunked(const esdk_decrypt_options *opt, const uint8_t *ct, size_t len,
                                 size_t max_chunk, uint8_t **released, size_t *released_len);

#endif
