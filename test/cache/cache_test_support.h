#ifndef DEKCACHE_TEST_CACHE_SUPPORT_H
#define DEKCACHE_TEST_CACHE_SUPPORT_H

/* Shared fixtures for the cache tests: a settable clock, an allocator that
 * proves every secret buffer is zero when freed, and a counting upstream that
 * can hold its callers until enough other callers are waiting. */

#include "cache/dek_cache.h"
#include "sleep_ms.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

/* A clock the test moves by hand (nanoseconds). */
typedef struct {
    _Atomic uint64_t now;
} test_clock;
uint64_t test_clock_read(void *arg);

/* Allocator hook: counts blocks and checks each is all-zero when freed. */
typedef struct {
    _Atomic long live;
    _Atomic long allocs;
    _Atomic long frees;
    _Atomic long dirty_frees; /* freed while holding a non-zero byte */
} checking_allocator;
void checking_allocator_init(checking_allocator *state, dek_cache_allocator *hooks);

/* The counting upstream. Each successful call produces a blob
 * "DEK-<serial>" padded to blob_len with the serial's bytes. */
typedef struct {
    _Atomic int calls;
    _Atomic int serial;
    _Atomic int running;      /* calls in progress now */
    _Atomic int max_running;  /* the most calls that were in progress at once */
    int fail_with;            /* non-zero: calls fail with this code ... */
    int failing_calls;        /* ... the first n of them; 0 = every one */
    int uncacheable_calls;    /* the first n calls keep their materials to themselves */
    dek_cache *gate_cache;    /* if set: hold the call until gate_waiters ... */
    int gate_waiters;         /* ... callers wait on flights (coalesced_waits) */
    int gate_calls;           /* if set: hold the call until this many calls began */
    _Atomic int hold;         /* non-zero: block until cleared (a bounded wait) */
    size_t blob_len;          /* 0 = 32 */
    const char *wrapping_key; /* tag added to every value, if set */
} counting_upstream;
int counting_upstream_fn(void *arg, dek_cache_value *out, char *detail, size_t detail_cap);

/* The serial encoded in a blob made by counting_upstream_fn. */
int blob_serial(const unsigned char *blob, size_t len);

dek_cache *make_cache(size_t capacity, unsigned stripes, test_clock *clock,
                      const dek_cache_allocator *allocator, uint32_t wait_timeout_ms);

/* An ID whose bytes are all derived from n (distinct n, distinct IDs). */
dek_cache_id test_id(unsigned n);

/* A bounded wait: at most limit_ms polls, one a millisecond, and at most
 * limit_ms by the monotonic clock. */
typedef struct {
    unsigned polls, limit_ms;
    uint64_t deadline_ns;
} wait_bound;
wait_bound wait_bound_start(unsigned limit_ms);
/* Sleeps a millisecond and returns 1, or returns 0 once the bound is spent. */
int wait_bound_poll(wait_bound *bound);

/* The bounds of the waits of the cache tests. Each guards a step that takes
 * milliseconds (a thread reaching a point, a thread or a child process
 * finishing once released), so they leave ample room for a loaded machine
 * and a sanitizer build (ThreadSanitizer: about 10x slower), yet a test's
 * worst case, its bounded waits one after another, stays well inside its
 * CTest TIMEOUT (test/cache/CMakeLists.txt), so that a stuck test fails with
 * its reason rather than being killed by CTest. When changing a bound, or
 * adding waits to a test, check that sum again. */
#define WAIT_LIMIT_MS 5000

/* Wait, within WAIT_LIMIT_MS, until the upstream has been called `calls` times
 * / until `waiters` callers have waited on flights (coalesced_waits).
 * 1 when that happened. */
int wait_for_calls(counting_upstream *up, int calls);
int wait_for_waiters(dek_cache *cache, uint64_t waiters);

/* pthread_create for a test: 1 when the thread runs, else 0 with the reason
 * on stderr (`what` names the thread). */
int start_thread(pthread_t *thread, void *(*fn)(void *), void *arg, const char *what);

/* Joins a test thread, waiting at most JOIN_LIMIT_MS. A thread still running
 * then is stuck in the code under test and still uses the test's stack and
 * cache, so the test cannot go on: the program exits, failing, with the
 * reason on stderr, rather than hang until the CTest timeout. */
#define JOIN_LIMIT_MS 15000
void join_thread(pthread_t thread, const char *what);

#endif
