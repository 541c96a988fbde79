/* Status strings for dek_cache_status. */
#include "cache/dek_cache.h"

const char *dek_cache_status_string(dek_cache_status status)
{
    switch (status) {
    case DEK_CACHE_OK:
        return "ok";
    case DEK_CACHE_ERR_ARGUMENT:
        return "invalid argument";
    case DEK_CACHE_ERR_NO_MEMORY:
        return "out of memory";
    case DEK_CACHE_ERR_BUFFER_TOO_SMALL:
        return "output buffer too small";
    case DEK_CACHE_ERR_UPSTREAM:
        return "upstream materials call failed";
    case DEK_CACHE_ERR_WAIT_TIMEOUT:
        return "timed out waiting for a concurrent upstream call";
    case DEK_CACHE_ERR_LEADER_GONE:
        return "the thread fetching these materials was cancelled";
    case DEK_CACHE_ERR_CRYPTO:
        return "libcrypto failure computing a cache ID";
    case DEK_CACHE_ERR_UNCACHEABLE:
        return "materials kept by the upstream for its own caller, not cached";
    }
    return "unknown dek_cache status";
}
