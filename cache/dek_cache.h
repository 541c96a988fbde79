#ifndef DEKCACHE_CACHE_DEK_CACHE_H
#define DEKCACHE_CACHE_DEK_CACHE_H

/*
 * dek_cache: a lock-striped, thread-safe cache of data-key materials with
 * limit-aware singleflight.
 *
 * Values are opaque byte blobs (the caller serialises its materials: DEK, EDKs,
 * encryption context, signing key) plus a list of non-secret wrapping-key tags
 * used for invalidation on rotation. Blobs are copied on store and on read; a
 * read copies into a caller-supplied buffer, so the hit path allocates nothing.
 *
 * STRUCTURE. The cache has S stripes (a power of two). An ID's stripe is fixed
 * by its first bytes; each stripe has its own mutex, hash table, LRU list and
 * in-flight table. Every operation on one ID takes exactly one stripe lock;
 * only clear, invalidate_wrapping_key, stats and free visit every stripe (one
 * at a time, never two locks at once).
 *
 * CAPACITY. `capacity` entries in total, split exactly over the stripes (the
 * first capacity % S stripes hold one more). A stripe evicts its own LRU entry
 * when full, so per-stripe LRU is an approximation of global LRU; within a stripe
 * recency is a second-chance (CLOCK) bit, so a hit never relinks the list. An
 * ID's stripe is fixed, so an uneven spread of IDs fills some stripes before
 * the total capacity is reached: give capacity some headroom. To avoid early
 * eviction when capacity is small, the stripe count is halved until every stripe
 * holds at least DEK_CACHE_MIN_ENTRIES_PER_STRIPE entries (down to 1 stripe):
 * a capacity below 32 is a single stripe, whose recency spans the whole cache.
 *
 * LIMITS (encryption entries). Each request carries its limits. Charge-then-
 * check happens atomically under the stripe lock: a caller whose message would
 * push the entry past max_messages or max_bytes does not use it; the entry is
 * retired and the caller joins or starts a flight. The message that reaches
 * max_messages exactly uses the key and retires it; reaching max_bytes exactly
 * keeps the entry (a zero-byte message may still use it). Counters saturate.
 * Bypass (upstream called directly, nothing stored): plaintext size unknown or
 * >= max_bytes. Identity-KDF suites must be bypassed by the caller (see
 * dek_cache_suite_is_cacheable in cache/dek_cache_id.h).
 *
 * SINGLEFLIGHT. On a miss the first caller (leader) calls the upstream outside
 * every lock; later callers for the same ID join its flight and wait on a
 * condition variable, then copy the flight's value (even if it was evicted
 * meanwhile). Decrypt: one flight per ID, so N concurrent misses make exactly
 * one upstream call. Encrypt: joining a flight reserves one message of the
 * caller's size on it, charge-then-check as for an entry; a caller that no
 * running flight has room for starts another at once, in parallel. The entry is
 * stored with the flight's reservations as its usage (and not at all when they
 * reach max_messages). So N concurrent callers with limit M make ceil(N/M)
 * upstream calls side by side and wait one upstream round trip, not N/M of
 * them. A flight binds its callers by the tightest limits among them: a
 * caller joins only if its message fits its own limits and theirs. A
 * waiter's reservation stays charged if it gives up (wait timeout, buffer too
 * small; a leader with too small a buffer hands its own back): a key may
 * serve fewer messages than its limit, never more. When flights of one ID
 * both finish with room left (split by byte limits), the stored entry stays if
 * it is live and has used no more messages and no more bytes than the newer
 * key; otherwise the newer key replaces it. The key left out is retired as
 * exhausted (an expired one as TTL). A finished flight whose waiters
 * have not copied its value yet stays listed in its stripe, so a forked child
 * cleanses that value too.
 *
 * FAILURE SEMANTICS. Errors are never cached: a failed flight is removed, the
 * next caller starts a new one. Every waiter of a failed flight receives that
 * flight's error (DEK_CACHE_ERR_UPSTREAM with the upstream's code and detail);
 * none of them retries on its own. A waiter gives up after wait_timeout_ms with
 * DEK_CACHE_ERR_WAIT_TIMEOUT. A flight older than wait_timeout_ms is abandoned:
 * the next caller replaces it as leader, its waiters wake and join (reserving
 * anew) the flights running then, and the old leader's late result is handed
 * to that leader alone and never stored. A leader thread cancelled inside the
 * upstream fails its flight with DEK_CACHE_ERR_LEADER_GONE (cleanup handler);
 * a waiter is not cancelled while it waits (the wait is bounded), so it never
 * leaves the stripe locked. A flight overlapped by an invalidation (by ID, by
 * wrapping key, clear) is stale: its result goes to its leader only, and its
 * waiters wake at once and retry. A flight whose upstream kept uncacheable
 * materials to itself (DEK_CACHE_UPSTREAM_UNCACHEABLE) sends its waiters to
 * their own upstreams.
 *
 * KEY MATERIAL. Blobs live in memory from the allocator hooks (default: the
 * OpenSSL secure heap when initialised, else OPENSSL_malloc). The cache cleanses
 * every blob (OPENSSL_cleanse) before handing it to the free hook, on every
 * path: TTL expiry, LRU eviction, exhaustion, invalidation, clear, fork, free.
 *
 * FORK. A child process never uses an entry cached by its parent (they would
 * share one usage budget). Detection needs no pthread_atfork: a MADV_WIPEONFORK
 * page reads zero in the child (pthread_atfork is a fallback where the kernel
 * lacks it). The first call in the child re-creates the stripe locks, cleanses
 * and frees every inherited entry and drops inherited flights, then proceeds as
 * on a cold cache. A fork while another thread was changing a stripe leaves
 * it torn in the child; the purge finds every entry through the bucket chains,
 * both directions of the LRU list and the flights, and a removed entry's key is cleansed
 * under the stripe lock, before its memory is freed outside it, so no key
 * escapes the purge either way. As with any fork of a threaded process, fork while another
 * thread is inside the secure heap leaves that heap's lock held in the child.
 *
 * SIGNED SUITES. The cache never looks inside a blob: the caller stores the
 * encryption context (already carrying the public key) and the signing key in
 * it, so a hit returns that cached context together with its signing key.
 *
 * THREAD SAFETY. Every function taking a dek_cache * is safe to call from any
 * number of threads at once, except dek_cache_free, which must not race with
 * any other call on the same cache. Upstream callbacks run on the calling
 * thread with no cache lock held; they may call the cache for other IDs (for
 * their own ID they would wait on their own flight until the wait bound). The
 * clock may be called with a stripe lock held and must not call the cache.
 *
 * HIT PATH. One clock read, one fork-generation check (two loads), one stripe
 * lock, a chained-hash lookup (8-byte tag, then the 64-byte ID), charge, a copy
 * of the blob and a second-chance bit: no allocation and no write outside the
 * entry and the stripe. See docs/benchmarks.md for figures.
 */

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DEK_CACHE_ID_LEN                 64
#define DEK_CACHE_SIZE_UNKNOWN           UINT64_MAX
#define DEK_CACHE_MAX_MESSAGES_LIMIT     (UINT64_C(1) << 32)
#define DEK_CACHE_MAX_BYTES_LIMIT        ((UINT64_C(1) << 63) - 1)
#define DEK_CACHE_MIN_ENTRIES_PER_STRIPE 16
#define DEK_CACHE_MAX_STRIPES            1024

#define DEK_CACHE_DETAIL_LEN 512

/* 1 when stripes is a stripe count dek_cache_new takes: 0 (sized to the
 * machine) or a power of two up to DEK_CACHE_MAX_STRIPES. */
int dek_cache_stripes_ok(uint64_t stripes);

typedef enum {
    DEK_CACHE_OK = 0,
    DEK_CACHE_ERR_ARGUMENT,         /* NULL pointer, bad limits or bad config */
    DEK_CACHE_ERR_NO_MEMORY,        /* allocation failed (nothing was stored) */
    DEK_CACHE_ERR_BUFFER_TOO_SMALL, /* out_cap < blob length; *out_len says how much */
    DEK_CACHE_ERR_UPSTREAM,         /* the upstream failed (own call or the flight waited on) */
    DEK_CACHE_ERR_WAIT_TIMEOUT,     /* the flight waited on did not finish within the bound */
    DEK_CACHE_ERR_LEADER_GONE,      /* the leader thread was cancelled inside the upstream */
    DEK_CACHE_ERR_CRYPTO,           /* libcrypto failed (hashing an ID) */
    DEK_CACHE_ERR_UNCACHEABLE       /* the upstream kept its materials for its own caller */
} dek_cache_status;

const char *dek_cache_status_string(dek_cache_status status);

/* A cache ID: see cache/dek_cache_id.h for the ESDK caching-CMM IDs. */
typedef struct {
    unsigned char bytes[DEK_CACHE_ID_LEN];
} dek_cache_id;

/* Secret blob storage. free receives buffers already cleansed. */
typedef struct {
    void *(*alloc)(size_t size, void *arg);
    void (*free)(void *ptr, size_t size, void *arg);
    void *arg;
} dek_cache_allocator;

/* Nanoseconds from any fixed origin; must not go backwards. */
typedef uint64_t (*dek_cache_clock_fn)(void *arg);

typedef struct {
    size_t capacity;          /* total entries, >= 1 */
    unsigned stripes;         /* power of two <= DEK_CACHE_MAX_STRIPES; 0 = sized to the machine */
    uint32_t wait_timeout_ms; /* bound on waiting for a flight; 0 = 10000 */
    dek_cache_clock_fn clock; /* NULL = CLOCK_MONOTONIC; used for TTL only */
    void *clock_arg;
    const dek_cache_allocator *allocator; /* NULL = secure heap / OPENSSL_malloc; copied */
} dek_cache_config;

/* Per-entry limits; max_age_ns is mandatory (> 0). */
typedef struct {
    uint64_t max_age_ns;
    uint64_t max_messages; /* 1 .. DEK_CACHE_MAX_MESSAGES_LIMIT (encrypt only) */
    uint64_t max_bytes;    /* 0 .. DEK_CACHE_MAX_BYTES_LIMIT (encrypt only) */
} dek_cache_limits;

/* The ESDK defaults: 2^32 messages, 2^63-1 bytes, the given TTL. */
dek_cache_limits dek_cache_limits_default(uint64_t max_age_ns);

typedef struct {
    uint64_t plaintext_size; /* DEK_CACHE_SIZE_UNKNOWN bypasses the cache */
    dek_cache_limits limits;
} dek_cache_enc_request;

/* How a call was served. */
typedef enum {
    DEK_CACHE_SOURCE_NONE = 0,  /* the call failed */
    DEK_CACHE_SOURCE_HIT,       /* from an entry, without waiting */
    DEK_CACHE_SOURCE_LEADER,    /* this caller called the upstream for a flight */
    DEK_CACHE_SOURCE_COALESCED, /* after waiting on another caller's flight */
    DEK_CACHE_SOURCE_BYPASS     /* upstream called directly, nothing stored */
} dek_cache_source;

typedef struct {
    dek_cache_source source;
    uint64_t messages_used; /* encrypt: the entry's message count including this one */
    uint64_t bytes_used;    /* encrypt: the entry's byte count including this one */
    int upstream_error;     /* the upstream's non-zero return, with DEK_CACHE_ERR_UPSTREAM */
    char detail[DEK_CACHE_DETAIL_LEN]; /* human-readable error detail, "" on success */
} dek_cache_result;

/*
 * The upstream fills a value with dek_cache_value_set (or _reserve) and
 * optionally tags it with wrapping keys, then returns 0. A non-zero return is an
 * error code the cache passes on in dek_cache_result.upstream_error, together
 * with what the upstream wrote into detail (NUL-terminated, never key bytes).
 * It runs with no cache lock held.
 *
 * DEK_CACHE_UPSTREAM_UNCACHEABLE is not an error: the upstream produced
 * materials that must not be cached or shared (too large, say) and kept them
 * for its own caller (through its arg). That call returns
 * DEK_CACHE_ERR_UNCACHEABLE; the waiters of its flight then call their own
 * upstreams directly, as a bypass, instead of failing.
 */
#define DEK_CACHE_UPSTREAM_UNCACHEABLE INT_MIN

typedef struct dek_cache_value dek_cache_value;
typedef int (*dek_cache_upstream_fn)(void *arg, dek_cache_value *out, char *detail,
                                     size_t detail_cap);

/* Copies blob into cache-owned (secure) memory. Replaces an earlier blob. */
dek_cache_status dek_cache_value_set(dek_cache_value *value, const void *blob, size_t len);
/* Allocates len bytes of cache-owned memory for the upstream to fill in place. */
unsigned char *dek_cache_value_reserve(dek_cache_value *value, size_t len);
/* Records a non-secret wrapping-key tag (e.g. a KMS key ARN) for invalidation. */
dek_cache_status dek_cache_value_add_wrapping_key(dek_cache_value *value, const void *tag,
                                                  size_t len);

typedef struct dek_cache dek_cache;

/* Validates cfg and creates a cache. Not thread-safe with respect to cfg only. */
dek_cache_status dek_cache_new(const dek_cache_config *cfg, dek_cache **out, char *detail,
                               size_t detail_cap);

/* Cleanses and frees everything. Must not race with any other call. NULL is a no-op. */
void dek_cache_free(dek_cache *cache);

/*
 * Encryption materials for id, charged one message of req->plaintext_size bytes.
 * On DEK_CACHE_OK the blob is in out[0..*out_len). Thread-safe.
 * Blocks at most wait_timeout_ms waiting for another caller's flight (plus the
 * time of this caller's own upstream call, if it becomes a leader).
 */
dek_cache_status dek_cache_get_encryption(dek_cache *cache, const dek_cache_id *id,
                                          const dek_cache_enc_request *req,
                                          dek_cache_upstream_fn upstream, void *upstream_arg,
                                          unsigned char *out, size_t out_cap, size_t *out_len,
                                          dek_cache_result *result);

/* Decryption materials for id; entries expire after max_age_ns. Thread-safe. */
dek_cache_status dek_cache_get_decryption(dek_cache *cache, const dek_cache_id *id,
                                          uint64_t max_age_ns, dek_cache_upstream_fn upstream,
                                          void *upstream_arg, unsigned char *out, size_t out_cap,
                                          size_t *out_len, dek_cache_result *result);

/* Counts a bypass decided by the caller before it asked the cache (to spare
 * computing an ID for a request the cache would bypass anyway): one bypass,
 * one upstream call and, when upstream_failed, one upstream failure, so the
 * statistics cover every upstream call. Thread-safe; NULL is a no-op. */
void dek_cache_count_bypass(dek_cache *cache, int upstream_failed);

/* Removes the encryption and decryption entries with this ID and makes a flight
 * for it stale. Thread-safe. */
void dek_cache_invalidate_id(dek_cache *cache, const dek_cache_id *id);

/* Removes every entry tagged with this wrapping key and makes every flight in
 * progress stale. Returns the number of entries removed. Thread-safe. */
size_t dek_cache_invalidate_wrapping_key(dek_cache *cache, const void *tag, size_t len);

/* Removes every entry tagged with this wrapping key but leaves flights in
 * progress alone: for a caller that learnt the key is unusable from one of
 * those flights, where staling every flight of every key would make their
 * waiters fetch again. Returns the number removed. Thread-safe. */
size_t dek_cache_drop_wrapping_key(dek_cache *cache, const void *tag, size_t len);

/* Removes every entry and makes every flight stale. Thread-safe. */
void dek_cache_clear(dek_cache *cache);

typedef struct {
    uint64_t hits;              /* served from an entry without waiting */
    uint64_t misses;            /* lookups that found no usable entry */
    uint64_t coalesced_waits;   /* waits on another caller's flight */
    uint64_t upstream_calls;    /* leaders and bypasses */
    uint64_t upstream_failures; /* upstream calls that returned an error */
    uint64_t bypasses;
    uint64_t wait_timeouts;
    uint64_t evicted_lru;
    uint64_t evicted_ttl;
    uint64_t evicted_exhausted;   /* usage limit reached or would be exceeded (also a key
                                     spent in flight, or kept out for a same-ID key with
                                     more room left) */
    uint64_t evicted_invalidated; /* invalidate_id, _wrapping_key, drop_wrapping_key, clear */
    uint64_t evicted_fork;        /* inherited entries dropped in a child process */
    uint64_t entries;             /* current */
} dek_cache_stats;

/* Sums per-stripe counters without taking any lock: each counter is exact, the
 * set is not one atomic snapshot while calls run. Thread-safe. */
void dek_cache_get_stats(const dek_cache *cache, dek_cache_stats *out);

/* The stripe count actually used (after sizing to capacity). Thread-safe. */
unsigned dek_cache_stripe_count(const dek_cache *cache);

#ifdef __cplusplus
}
#endif

#endif
