#ifndef DEKCACHE_CACHE_DEK_CACHE_ID_H
#define DEKCACHE_CACHE_DEK_CACHE_ID_H

/*
 * ESDK caching-CMM cache IDs (the SHA-512 scheme of the C, Python and Java
 * ESDKs), computed from primitives so the cache stays ignorant of message types:
 *
 *   enc, no suite : SHA512( P || 00 || SHA512(ser(EC)) )
 *   enc, suite    : SHA512( P || 01 || suiteId(2) || SHA512(ser(EC)) )
 *   dec           : SHA512( P || suiteId(2) || sorted(SHA512(serEDK_i))... || 00*64
 *                           || SHA512(ser(EC)) )
 *
 * where P = SHA512(partition name) or 64 random bytes, ser(EC) is the header's
 * encryption-context serialisation (zero bytes when empty) and serEDK the
 * header's EDK entry. An ID costs two or more SHA-512s (about 2 us): compute it
 * once per key and context, not once per message, where possible.
 * Both ID functions remember, per thread, their last inputs and ID, so a thread
 * handling message after message under one context (and one EDK list) pays a
 * memcmp of the inputs instead (inputs up to about 4 KiB).
 * All functions are thread-safe (the memo is thread-local).
 */

#include "cache/dek_cache.h"

#include <openssl/types.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DEK_CACHE_SUITE_NONE (-1)

/* The partition also names the library context its IDs are hashed in (NULL:
 * the default one); it must outlive every use of the partition. */
typedef struct {
    unsigned char hash[DEK_CACHE_ID_LEN];
    OSSL_LIB_CTX *libctx;
} dek_cache_partition;

typedef struct {
    const void *data;
    size_t len;
} dek_cache_bytes;

/* P = SHA512(name). */
dek_cache_status dek_cache_partition_from_name(OSSL_LIB_CTX *libctx, const void *name, size_t len,
                                               dek_cache_partition *out);
/* P = 64 bytes from RAND_bytes_ex: a partition no other cache user can share. */
dek_cache_status dek_cache_partition_random(OSSL_LIB_CTX *libctx, dek_cache_partition *out);

/* suite_id: 0..0xFFFF, or DEK_CACHE_SUITE_NONE when the caller requested none. */
dek_cache_status dek_cache_encryption_id(const dek_cache_partition *partition, int32_t suite_id,
                                         const void *serialized_ec, size_t ec_len,
                                         dek_cache_id *out);

dek_cache_status dek_cache_decryption_id(const dek_cache_partition *partition, uint16_t suite_id,
                                         const dek_cache_bytes *serialized_edks, size_t edk_count,
                                         const void *serialized_ec, size_t ec_len,
                                         dek_cache_id *out);

/* 0 for the identity-KDF suites (00 14, 00 46, 00 78), which must never be
 * cached because they encrypt with the raw data key; 1 otherwise. */
int dek_cache_suite_is_cacheable(uint16_t suite_id);

#ifdef __cplusplus
}
#endif

#endif
