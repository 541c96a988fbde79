/* Cache lifetime, invalidation, statistics and fork handling. */
#include "cache/cache_alloc.h"
#include "cache/cache_flight.h"
#include "cache/cache_stripe.h"
#include "cache/cache_value.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_WAIT_TIMEOUT_MS 10000u
#define STRIPES_PER_CPU         8u
#define MIN_DEFAULT_STRIPES     16u

static uint64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t cache_monotonic_ns(void)
{
    return clock_ns(CLOCK_MONOTONIC);
}

/* The coarse clock costs a few ns instead of ~25 ns on the hit path; its
 * resolution (a scheduler tick) is far below any sensible DEK max age. */
static uint64_t default_clock(void *arg)
{
    (void)arg;
    return clock_ns(CLOCK_MONOTONIC_COARSE);
}

dek_cache_limits dek_cache_limits_default(uint64_t max_age_ns)
{
    dek_cache_limits limits = {max_age_ns, DEK_CACHE_MAX_MESSAGES_LIMIT, DEK_CACHE_MAX_BYTES_LIMIT};
    return limits;
}

static unsigned default_stripe_count(void)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned wanted = cpus > 0 ? (unsigned)cpus * STRIPES_PER_CPU : MIN_DEFAULT_STRIPES;
    unsigned stripes = MIN_DEFAULT_STRIPES;
    while (stripes < wanted && stripes < DEK_CACHE_MAX_STRIPES) {
        stripes <<= 1;
    }
    return stripes;
}

/* Fewer stripes when capacity is small, so no stripe evicts early. */
static unsigned stripe_count_for(size_t capacity, unsigned requested)
{
    unsigned stripes = requested != 0 ? requested : default_stripe_count();
    while (stripes > 1 && capacity / stripes < DEK_CACHE_MIN_ENTRIES_PER_STRIPE) {
        stripes >>= 1;
    }
    return stripes;
}

int dek_cache_stripes_ok(uint64_t stripes)
{
    return stripes <= DEK_CACHE_MAX_STRIPES && (stripes & (stripes - 1)) == 0;
}

static const char *config_problem(const dek_cache_config *cfg)
{
    if (cfg->capacity == 0) {
        return "capacity must be at least 1";
    }
    if (!dek_cache_stripes_ok(cfg->stripes)) {
        return "stripes must be 0 or a power of two up to 1024";
    }
    const dek_cache_allocator *a = cfg->allocator;
    if (a != NULL && (a->alloc == NULL || a->free == NULL)) {
        return "allocator needs both alloc and free";
    }
    return NULL;
}

static dek_cache_status fail_new(dek_cache *cache, unsigned initialised, dek_cache_status status,
                                 const char *why, char *detail, size_t detail_cap)
{
    if (detail != NULL && detail_cap != 0) {
        snprintf(detail, detail_cap, "dek_cache_new: %s", why);
    }
    if (cache != NULL) {
        for (unsigned i = 0; i < initialised; i++) {
            pthread_mutex_destroy(&cache->stripes[i].lock);
            OPENSSL_free(cache->stripes[i].buckets);
        }
        free(cache->stripes);
        OPENSSL_free(cache);
    }
    return status;
}

static int init_stripes(dek_cache *cache, size_t capacity, unsigned stripes, unsigned *initialised)
{
    size_t bytes = (size_t)stripes * sizeof(cache_stripe);
    cache->stripes = aligned_alloc(CACHE_LINE, bytes);
    if (cache->stripes == NULL) {
        return 0;
    }
    memset(cache->stripes, 0, bytes);
    cache->stripe_mask = stripes - 1;
    for (*initialised = 0; *initialised < stripes; (*initialised)++) {
        /* Exact split: the first capacity % stripes stripes hold one more. */
        size_t share = capacity / stripes + (*initialised < capacity % stripes ? 1 : 0);
        if (!cache_stripe_init(&cache->stripes[*initialised], share)) {
            return 0;
        }
    }
    return 1;
}

dek_cache_status dek_cache_new(const dek_cache_config *cfg, dek_cache **out, char *detail,
                               size_t detail_cap)
{
    if (cfg == NULL || out == NULL) {
        return fail_new(NULL, 0, DEK_CACHE_ERR_ARGUMENT, "NULL argument", detail, detail_cap);
    }
    *out = NULL;
    const char *problem = config_problem(cfg);
    if (problem != NULL) {
        return fail_new(NULL, 0, DEK_CACHE_ERR_ARGUMENT, problem, detail, detail_cap);
    }
    if (!cache_fork_guard_init()) {
        return fail_new(NULL, 0, DEK_CACHE_ERR_NO_MEMORY, "cannot set up fork detection", detail,
                        detail_cap);
    }
    dek_cache *cache = OPENSSL_zalloc(sizeof(*cache));
    unsigned initialised = 0;
    if (cache == NULL ||
        !init_stripes(cache, cfg->capacity, stripe_count_for(cfg->capacity, cfg->stripes),
                      &initialised)) {
        return fail_new(cache, initialised, DEK_CACHE_ERR_NO_MEMORY, "out of memory", detail,
                        detail_cap);
    }
    uint32_t wait_ms = cfg->wait_timeout_ms != 0 ? cfg->wait_timeout_ms : DEFAULT_WAIT_TIMEOUT_MS;
    cache->wait_timeout_ns = (uint64_t)wait_ms * 1000000u;
    cache->clock = cfg->clock != NULL ? cfg->clock : default_clock;
    cache->clock_arg = cfg->clock_arg;
    cache->allocator = cfg->allocator != NULL ? *cfg->allocator : *cache_default_allocator();
    atomic_init(&cache->fork_generation, cache_fork_generation());
    atomic_init(&cache->fork_purging, 0);
    *out = cache;
    return DEK_CACHE_OK;
}

void dek_cache_free(dek_cache *cache)
{
    if (cache == NULL) {
        return;
    }
    cache_fork_check(cache);
    for (unsigned i = 0; i <= cache->stripe_mask; i++) {
        cache_stripe *stripe = &cache->stripes[i];
        cache_entry *graveyard = NULL;
        /* No caller may be inside: flights left would be a caller bug. */
        cache_flight_drop_inherited(stripe, &graveyard);
        cache_stripe_destroy(stripe, STAT_EVICTED_INVALIDATED, &graveyard);
        pthread_mutex_destroy(&stripe->lock);
        cache_graveyard_free(graveyard);
    }
    free(cache->stripes);
    OPENSSL_free(cache);
}

/* Applies fn to every stripe in turn, under that stripe's lock only. */
static size_t for_each_stripe(dek_cache *cache,
                              size_t (*fn)(cache_stripe *stripe, const void *arg,
                                           cache_entry **graveyard),
                              const void *arg)
{
    size_t total = 0;
    for (unsigned i = 0; i <= cache->stripe_mask; i++) {
        cache_stripe *stripe = &cache->stripes[i];
        cache_entry *graveyard = NULL;
        pthread_mutex_lock(&stripe->lock);
        total += fn(stripe, arg, &graveyard);
        pthread_mutex_unlock(&stripe->lock);
        cache_graveyard_free(graveyard);
    }
    return total;
}

static int match_any(const cache_entry *e, const void *arg)
{
    (void)e;
    (void)arg;
    return 1;
}

static size_t clear_stripe(cache_stripe *stripe, const void *arg, cache_entry **graveyard)
{
    (void)arg;
    cache_flight_make_all_stale(stripe, NULL);
    return cache_stripe_remove_matching(stripe, match_any, NULL, STAT_EVICTED_INVALIDATED,
                                        graveyard);
}

void dek_cache_clear(dek_cache *cache)
{
    if (cache == NULL) {
        return;
    }
    cache_fork_check(cache);
    for_each_stripe(cache, clear_stripe, NULL);
}

void dek_cache_invalidate_id(dek_cache *cache, const dek_cache_id *id)
{
    if (cache == NULL || id == NULL) {
        return;
    }
    cache_fork_check(cache);
    cache_stripe *stripe = stripe_for(cache, id);
    cache_entry *graveyard = NULL;
    pthread_mutex_lock(&stripe->lock);
    const entry_kind kinds[] = {ENTRY_ENCRYPT, ENTRY_DECRYPT};
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        cache_entry *e = cache_stripe_lookup(stripe, kinds[i], id);
        if (e != NULL) {
            cache_stripe_remove(stripe, e, STAT_EVICTED_INVALIDATED, &graveyard);
        }
    }
    cache_flight_make_all_stale(stripe, id);
    pthread_mutex_unlock(&stripe->lock);
    cache_graveyard_free(graveyard);
}

typedef struct {
    const void *tag;
    size_t len;
} tag_ref;

static int match_tag(const cache_entry *e, const void *arg)
{
    const tag_ref *tag = arg;
    return cache_value_has_wrapping_key(&e->value, tag->tag, tag->len);
}

static size_t drop_tag_in_stripe(cache_stripe *stripe, const void *arg, cache_entry **graveyard)
{
    return cache_stripe_remove_matching(stripe, match_tag, arg, STAT_EVICTED_INVALIDATED,
                                        graveyard);
}

static size_t invalidate_tag_in_stripe(cache_stripe *stripe, const void *arg,
                                       cache_entry **graveyard)
{
    /* A flight's tags are unknown until it lands: every one is suspect. */
    cache_flight_make_all_stale(stripe, NULL);
    return drop_tag_in_stripe(stripe, arg, graveyard);
}

static size_t remove_tagged(dek_cache *cache, const void *tag, size_t len,
                            size_t (*in_stripe)(cache_stripe *, const void *, cache_entry **))
{
    if (cache == NULL || (tag == NULL && len != 0)) {
        return 0;
    }
    cache_fork_check(cache);
    tag_ref ref = {tag, len};
    return for_each_stripe(cache, in_stripe, &ref);
}

size_t dek_cache_invalidate_wrapping_key(dek_cache *cache, const void *tag, size_t len)
{
    return remove_tagged(cache, tag, len, invalidate_tag_in_stripe);
}

size_t dek_cache_drop_wrapping_key(dek_cache *cache, const void *tag, size_t len)
{
    return remove_tagged(cache, tag, len, drop_tag_in_stripe);
}

void dek_cache_count_bypass(dek_cache *cache, int upstream_failed)
{
    if (cache == NULL) {
        return;
    }
    atomic_fetch_add_explicit(&cache->caller_bypasses, 1, memory_order_relaxed);
    if (upstream_failed) {
        atomic_fetch_add_explicit(&cache->caller_bypass_failures, 1, memory_order_relaxed);
    }
}

void dek_cache_get_stats(const dek_cache *cache, dek_cache_stats *out)
{
    uint64_t sums[STAT_COUNT] = {0};
    for (unsigned i = 0; cache != NULL && i <= cache->stripe_mask; i++) {
        for (int s = 0; s < STAT_COUNT; s++) {
            sums[s] += atomic_load_explicit(&cache->stripes[i].stats[s], memory_order_relaxed);
        }
    }
    if (cache != NULL) {
        uint64_t bypasses = atomic_load_explicit(&cache->caller_bypasses, memory_order_relaxed);
        sums[STAT_BYPASSES] += bypasses;
        sums[STAT_UPSTREAM_CALLS] += bypasses;
        sums[STAT_UPSTREAM_FAILURES] +=
            atomic_load_explicit(&cache->caller_bypass_failures, memory_order_relaxed);
    }
    *out = (dek_cache_stats){.hits = sums[STAT_HITS],
                             .misses = sums[STAT_MISSES],
                             .coalesced_waits = sums[STAT_COALESCED],
                             .upstream_calls = sums[STAT_UPSTREAM_CALLS],
                             .upstream_failures = sums[STAT_UPSTREAM_FAILURES],
                             .bypasses = sums[STAT_BYPASSES],
                             .wait_timeouts = sums[STAT_WAIT_TIMEOUTS],
                             .evicted_lru = sums[STAT_EVICTED_LRU],
                             .evicted_ttl = sums[STAT_EVICTED_TTL],
                             .evicted_exhausted = sums[STAT_EVICTED_EXHAUSTED],
                             .evicted_invalidated = sums[STAT_EVICTED_INVALIDATED],
                             .evicted_fork = sums[STAT_EVICTED_FORK],
                             .entries = sums[STAT_ENTRIES]};
}

unsigned dek_cache_stripe_count(const dek_cache *cache)
{
    return cache != NULL ? cache->stripe_mask + 1 : 0;
}

/* In a child: the stripe locks may have been held by threads that no longer
 * exist, so they are re-created rather than taken. */
static void purge_inherited(dek_cache *cache)
{
    for (unsigned i = 0; i <= cache->stripe_mask; i++) {
        cache_stripe *stripe = &cache->stripes[i];
        cache_entry *graveyard = NULL;
        cache_stripe_lock_init(stripe);
        cache_stripe_purge_inherited(stripe, &graveyard);
        cache_flight_drop_inherited(stripe, &graveyard);
        cache_graveyard_free(graveyard);
    }
}

/* One thread of the child purges; the others wait for it. The marker holds
 * the generation being purged, not a plain flag: a fork taken while a thread
 * purges hands the grandchild a marker of an older generation whose purger
 * does not exist there, and the grandchild takes the purge over instead of
 * waiting for it forever. */
void cache_after_fork(dek_cache *cache, uint64_t generation)
{
    for (;;) {
        if (atomic_load(&cache->fork_generation) == generation) {
            return;
        }
        uint64_t marker = atomic_load(&cache->fork_purging);
        if (marker != generation &&
            atomic_compare_exchange_strong(&cache->fork_purging, &marker, generation)) {
            if (atomic_load(&cache->fork_generation) != generation) {
                purge_inherited(cache);
                atomic_store(&cache->fork_generation, generation);
            }
            atomic_store(&cache->fork_purging, 0);
            return;
        }
        sched_yield(); /* another thread of this process is purging */
    }
}
