/* Secret blob memory through the allocator hooks. */
#include "cache/cache_alloc.h"

#include <openssl/crypto.h>

/* OpenSSL's secure heap when the application initialised it (decided per
 * call: it may do so late), else the ordinary heap; the free side tells the
 * two apart. Blobs arrive here already cleansed (cache_secret_free). */
static void *default_alloc(size_t size, void *arg)
{
    (void)arg;
    return OPENSSL_secure_malloc(size);
}

static void default_free(void *ptr, size_t size, void *arg)
{
    (void)size;
    (void)arg;
    OPENSSL_secure_free(ptr);
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

static size_t allocated_size(size_t size)
{
    return size != 0 ? size : 1; /* as cache_secret_alloc asked for */
}

void cache_secret_cleanse(void *ptr, size_t size)
{
    if (ptr != NULL) {
        OPENSSL_cleanse(ptr, allocated_size(size));
    }
}

void cache_secret_free_cleansed(const dek_cache_allocator *allocator, void *ptr, size_t size)
{
    if (ptr != NULL) {
        allocator->free(ptr, allocated_size(size), allocator->arg);
    }
}

void cache_secret_free(const dek_cache_allocator *allocator, void *ptr, size_t size)
{
    cache_secret_cleanse(ptr, size);
    cache_secret_free_cleansed(allocator, ptr, size);
}
