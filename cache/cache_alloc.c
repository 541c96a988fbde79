/* Secret blob memory through the allocator hooks. */
#include "cache/cache_alloc.h"

#include <openssl/crypto.h>

static void *default_alloc(size_t size, void *arg)
{
    (void)arg;
    /* Decided per call: the application may initialise the secure heap late. */
    return CRYPTO_secure_malloc_initialized() ? OPENSSL_secure_malloc(size) : OPENSSL_malloc(size);
}

static void default_free(void *ptr, size_t size, void *arg)
{
    (void)arg;
    /* CRYPTO_secure_allocated tells which heap a block came from. */
    if (CRYPTO_secure_allocated(ptr)) {
        OPENSSL_secure_clear_free(ptr, size);
    } else {
        OPENSSL_clear_free(ptr, size);
    }
}

static const dek_cache_allocator default_allocator = {default_alloc, default_free, NULL};

const dek_cache_allocator *cache_default_allocator(void)
{
    return &default_allocator;
}

void *cache_secret_alloc(const dek_cache_allocator *allocator, size_t size)
{
    /* A zero-length blob still gets a unique pointer. */
    return allocator->alloc(size != 0 ? size : 1, allocator->arg);
}

void cache_secret_free(const dek_cache_allocator *allocator, void *ptr, size_t size)
{
    if (ptr == NULL) {
        return;
    }
    size_t allocated = size != 0 ? size : 1;
    OPENSSL_cleanse(ptr, allocated);
    allocator->free(ptr, allocated, allocator->arg);
}
