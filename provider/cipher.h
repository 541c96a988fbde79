#ifndef DEKCACHE_PROVIDER_CIPHER_H
#define DEKCACHE_PROVIDER_CIPHER_H

#include <openssl/core.h>

/* The DEKCACHE cipher: an envelope (ESDK message) encryption driven through
 * EVP's cipher API. Key and IV lengths are 0; the wrapping key comes from the
 * configuration or the "key-id" parameter, the data key from the cache.
 *
 * Output budget: BLOCK_SIZE is 4384, the buffer BIO_f_cipher really has, and
 * each call writes at most what OpenSSL's callers can hold (see
 * docs/provider.md). Keep each EVP_*Update to at most 512 KiB: beyond that
 * the final call may not fit and fails cleanly. */
#define DEKCACHE_BLOCK_SIZE 4384
#define DEKCACHE_BIO_CHUNK  4096

extern const OSSL_DISPATCH dekcache_cipher_functions[];

#endif
