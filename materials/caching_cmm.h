#ifndef DEKCACHE_MATERIALS_CACHING_CMM_H
#define DEKCACHE_MATERIALS_CACHING_CMM_H

/* The caching materials manager: an esdk_cmm that answers from the DEK cache
 * and asks the upstream CMM (a keyring behind the default CMM) only on a miss.
 *
 * Encrypt: cache ID = partition + requested suite + encryption context. The
 * cache charges every caller one message of its declared plaintext length
 * under the entry's limits (singleflight coalesces concurrent misses, each
 * caller reserving its message on a fetch in progress; a caller no fetch has
 * room for starts another at once), so a data key never
 * serves more than max_messages messages or max_bytes bytes. Bypassed, as in
 * the ESDK: unknown plaintext length, a length at or above max_bytes, and the
 * identity-KDF suites.
 * Decrypt: cache ID = partition + suite + the sorted EDKs + encryption context;
 * concurrent misses for one ID make one upstream call. Reproduced context
 * pairs the header does not store (required pairs) are part of the ID; a
 * request whose reproduced context contradicts the stored one goes to the
 * upstream, which refuses it. Bypasses made here are counted in the cache's
 * statistics like the cache's own.
 * Materials larger than CACHING_CMM_MAX_BLOB bytes serialised are not cached:
 * the caller that fetched them uses them, and callers waiting on that fetch
 * fetch their own (DEK_CACHE_UPSTREAM_UNCACHEABLE). */

#include <stdint.h>

#include "cache/dek_cache.h"
#include "cache/dek_cache_id.h"
#include "message/cmm.h"

#define CACHING_CMM_MAX_BLOB 16384

typedef struct {
    esdk_cmm *upstream;                   /* required; the CMM takes a reference */
    dek_cache *cache;                     /* required; shared, must outlive the CMM */
    const dek_cache_partition *partition; /* copied; its libctx also decodes cached keys */
    uint64_t max_age_ns;                  /* > 0 */
    uint64_t max_messages;                /* 1 .. 2^32 */
    uint64_t max_bytes;                   /* 1 .. 2^63-1 */
} caching_cmm_config;

esdk_status caching_cmm_new(const caching_cmm_config *config, esdk_cmm **out);

#endif
