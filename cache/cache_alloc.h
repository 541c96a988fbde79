#ifndef DEKCACHE_CACHE_CACHE_ALLOC_H
#define DEKCACHE_CACHE_CACHE_ALLOC_H

/* Secret blob memory: the allocator hooks, with cleansing before every free. */

#include "cache/dek_cache.h"

/* The default hooks: OpenSSL's secure heap when initialised, else OPENSSL_malloc. */
const dek_cache_allocator *cache_default_allocator(void);

void *cache_secret_alloc(const dek_cache_allocator *allocator, size_t size);

/* Cleanses a blob of size bytes where it lies (a zero-length blob has one byte). */
void cache_secret_cleanse(void *ptr, size_t size);

/* Cleanses size bytes at ptr, then hands them to the free hook. NULL is a no-op. */
void cache_secret_free(const dek_cache_allocator *allocator, void *ptr, size_t size);

/* The same for a blob cache_secret_cleanse has already cleansed. */
void cache_secret_free_cleansed(const dek_cache_allocator *allocator, void *ptr, size_t size);

#endif
