#ifndef DEKCACHE_CACHE_CACHE_INTERNAL_H
#define DEKCACHE_CACHE_CACHE_INTERNAL_H

/* Internal types shared by the cache's translation units; not a public API. */

#include "cache/cache_fork.h"
#include "cache/dek_cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

#define CACHE_LINE 64

typedef enum { ENTRY_ENCRYPT = 1, ENTRY_DECRYPT = 2 } entry_kind;

struct dek_cache_value {
    const dek_cache_allocator *allocator;
    unsigned char *blob; /* secret: from the allocator hooks */
    size_t blob_len;
    unsigned char *tags; /* not secret: records of u32 length + bytes */
    size_t tags_len;
};

typedef struct cache_entry {
    /* Read on every hit first: chain walk, then use and charge. */
    struct cache_entry *hash_next; /* bucket chain; graveyard link once removed */
    uint64_t tag;                  /* id_word(id, 1): cheap pre-check before memcmp */
    entry_kind kind;
    bool in_table;
    bool referenced; /* second-chance bit, set on use */
    bool purge_seen; /* collected by a forked child's purge */
    unsigned refs;   /* the table's and flights' references */
    uint64_t messages;
    uint64_t bytes;
    uint64_t created_at; /* injected clock */
    uint64_t expires_at; /* created_at + the inserting caller's max age */
    dek_cache_id id;
    struct cache_entry *lru_prev;
    struct cache_entry *lru_next;
    dek_cache_value value;
    struct cache_entry *purge_next; /* a forked child's purge list */
} cache_entry;

typedef enum { FLIGHT_RUNNING, FLIGHT_SUCCEEDED, FLIGHT_FAILED } flight_state;

typedef struct cache_flight {
    struct cache_flight *next;
    dek_cache_id id;
    entry_kind kind;
    flight_state state;
    bool stale;          /* overlapped by an invalidation, or abandoned: never stored */
    unsigned refs;       /* the leader and each waiter */
    uint64_t started_ns; /* monotonic, for abandonment */
    /* Encrypt: the messages and bytes the leader and the callers that joined
     * reserved on this flight's key; the entry starts with these counts. */
    uint64_t reserved_messages;
    uint64_t reserved_bytes;
    /* Encrypt: the tightest limits among those callers, which bind them all. */
    uint64_t limit_messages;
    uint64_t limit_bytes;
    /* Encrypt: the leader's message, handed back when its buffer was too small. */
    uint64_t returned_messages;
    uint64_t returned_bytes;
    pthread_cond_t done;
    cache_entry *entry; /* on success: the value waiters copy, referenced */
    dek_cache_status error;
    int upstream_error;
    char detail[DEK_CACHE_DETAIL_LEN];
} cache_flight;

typedef enum {
    STAT_HITS,
    STAT_MISSES,
    STAT_COALESCED,
    STAT_UPSTREAM_CALLS,
    STAT_UPSTREAM_FAILURES,
    STAT_BYPASSES,
    STAT_WAIT_TIMEOUTS,
    STAT_EVICTED_LRU,
    STAT_EVICTED_TTL,
    STAT_EVICTED_EXHAUSTED,
    STAT_EVICTED_INVALIDATED,
    STAT_EVICTED_FORK,
    STAT_ENTRIES,
    STAT_COUNT
} stat_index;

typedef struct {
    _Alignas(CACHE_LINE) pthread_mutex_t lock;
    cache_entry **buckets;
    size_t bucket_mask;
    cache_entry lru; /* sentinel: lru.lru_next is the most recently used */
    size_t count;
    size_t capacity;
    cache_flight *flights;
    /* Finished flights whose waiters have not all copied the value yet, so a
     * forked child can cleanse entries held only by them. */
    cache_flight *finished;
    _Atomic uint64_t stats[STAT_COUNT];
} cache_stripe;

struct dek_cache {
    cache_stripe *stripes;
    unsigned stripe_mask;
    uint64_t wait_timeout_ns;
    dek_cache_clock_fn clock;
    void *clock_arg;
    dek_cache_allocator allocator;
    _Atomic uint64_t fork_generation; /* the process generation the entries belong to */
    /* Bypasses callers decided before asking (dek_cache_count_bypass): not
     * tied to a stripe, so counted here with plain atomic adds. */
    _Atomic uint64_t caller_bypasses;
    _Atomic uint64_t caller_bypass_failures;
    _Atomic uint64_t fork_purging; /* the fork generation being purged; 0: none */
};

/* Hash bits of an ID (a SHA-512 output, so any 8 bytes are uniform): the
 * stripe uses word 0, buckets word 1. Host byte order: one load. */
static inline uint64_t id_word(const dek_cache_id *id, unsigned index)
{
    uint64_t w;
    memcpy(&w, id->bytes + index * 8, sizeof(w));
    return w;
}

static inline cache_stripe *stripe_for(const dek_cache *cache, const dek_cache_id *id)
{
    return &cache->stripes[id_word(id, 0) & cache->stripe_mask];
}

/* Counters bumped only under the stripe lock: a plain add, no locked instruction. */
static inline void stat_bump_locked(cache_stripe *stripe, stat_index index, int64_t delta)
{
    uint64_t v = atomic_load_explicit(&stripe->stats[index], memory_order_relaxed);
    atomic_store_explicit(&stripe->stats[index], v + (uint64_t)delta, memory_order_relaxed);
}

uint64_t cache_monotonic_ns(void);

/* Usage counters saturate rather than wrap. */
static inline uint64_t saturating_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* Charge-then-check of one message of `size` bytes against the limits, for an
 * entry or a flight: 1 and the counters charged, or 0 and nothing changed. */
static inline int charge_message(uint64_t *messages, uint64_t *bytes, uint64_t size,
                                 uint64_t max_messages, uint64_t max_bytes)
{
    uint64_t m = saturating_add(*messages, 1);
    uint64_t b = saturating_add(*bytes, size);
    if (m > max_messages || b > max_bytes) {
        return 0;
    }
    *messages = m;
    *bytes = b;
    return 1;
}

/* The injected clock (TTL time). */
static inline uint64_t cache_now(const dek_cache *cache)
{
    return cache->clock(cache->clock_arg);
}

/* Purges entries inherited from a parent process; see cache_fork_check. */
void cache_after_fork(dek_cache *cache, uint64_t generation);

/* Called first by every operation: a child never sees its parent's entries. */
static inline void cache_fork_check(dek_cache *cache)
{
    uint64_t generation = cache_fork_generation();
    if (generation != atomic_load_explicit(&cache->fork_generation, memory_order_acquire)) {
        cache_after_fork(cache, generation);
    }
}

#endif
