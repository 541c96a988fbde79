/* Concurrency: the seed scenarios with exact upstream call counts, decrypt
 * singleflight, failure semantics, wait bound, cancelled and stale leaders.
 * Threads start together at a start gate and the counting upstream holds each
 * flight until the other callers are really waiting on it (and, where flights
 * must overlap, until every expected flight has reached the upstream). Every
 * thread is checked at creation; every wait is bounded (cache_test_support.h). */
#include "cache/dek_cache.h"
#include "cache_test_support.h"
#include "cunit_run.h"
#include "sanitizer.h"
#include "start_gate.h"

#include <CUnit/CUnit.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define SECOND 1000000000ull

/* ThreadSanitizer ignores the lock taken by a cancellation cleanup handler that
 * runs inside its own nanosleep interceptor, and reports a false race; the
 * cancellation test runs in the plain and ASan builds (UNDER_TSAN). */
#define MAX_WORKER 128

typedef struct {
    dek_cache *cache;
    counting_upstream *up;
    dek_cache_id id;
    int decrypt;
    uint64_t max_messages;
    start_gate *start; /* NULL: runs at once */
    dek_cache_status status;
    int serial;
    dek_cache_result result;
    uint64_t size;      /* encrypt: the message size; 0 = 100 */
    uint64_t max_bytes; /* encrypt: 0 = 1 MiB */
    size_t out_cap;     /* 0 = 64 */
} worker;

/* A caller of test_id(id) with this message limit, encrypting, with every
 * other setting at its default; tests set the rest by field name. */
static worker make_worker(dek_cache *cache, counting_upstream *up, unsigned id,
                          uint64_t max_messages)
{
    return (worker){.cache = cache, .up = up, .id = test_id(id), .max_messages = max_messages};
}

static void *run_one(void *arg)
{
    worker *w = arg;
    if (w->start != NULL && !start_gate_wait(w->start)) {
        w->serial = -1;
        return NULL;
    }
    unsigned char out[64];
    size_t len = 0;
    size_t out_cap = w->out_cap != 0 ? w->out_cap : sizeof(out);
    if (w->decrypt) {
        w->status = dek_cache_get_decryption(w->cache, &w->id, 10 * SECOND, counting_upstream_fn,
                                             w->up, out, out_cap, &len, &w->result);
    } else {
        dek_cache_enc_request req = {
            w->size != 0 ? w->size : 100,
            {10 * SECOND, w->max_messages, w->max_bytes != 0 ? w->max_bytes : 1u << 20}};
        w->status = dek_cache_get_encryption(w->cache, &w->id, &req, counting_upstream_fn, w->up,
                                             out, out_cap, &len, &w->result);
    }
    w->serial = w->status == DEK_CACHE_OK ? blob_serial(out, len) : -1;
    return NULL;
}

static worker workers[MAX_WORKER];

/* Starts a thread running run_one for each of ws[0..n), stopping at the first
 * that cannot be created; returns how many started. */
static int start_workers(pthread_t *threads, worker *ws, int n)
{
    int started = 0;
    while (started < n && start_thread(&threads[started], run_one, &ws[started], "a worker")) {
        started++;
    }
    return started;
}

static void join_workers(const pthread_t *threads, int n)
{
    for (int i = 0; i < n; i++) {
        join_thread(threads[i], "a worker");
    }
}

/* Runs n callers of one ID at once; results land in workers[]. When a thread
 * cannot be created, the gate is called off, the others are joined and the
 * cache is freed before the test fails. */
static void run_parallel_sized(dek_cache *cache, counting_upstream *up, int n, int decrypt,
                               uint64_t max_messages, uint64_t size, uint64_t max_bytes)
{
    pthread_t threads[MAX_WORKER];
    start_gate start;
    start_gate_init(&start);
    for (int i = 0; i < n; i++) {
        workers[i] = (worker){cache, up, test_id(42), decrypt, max_messages, &start,
                              0,     0,  {0},         size,    max_bytes,    0};
    }
    int started = start_workers(threads, workers, n);
    start_gate_release(&start, started, n);
    join_workers(threads, started);
    start_gate_destroy(&start);
    if (started != n) {
        dek_cache_free(cache);
    }
    CU_ASSERT_EQUAL_FATAL(started, n);
}

static void run_parallel(dek_cache *cache, counting_upstream *up, int n, int decrypt,
                         uint64_t max_messages)
{
    run_parallel_sized(cache, up, n, decrypt, max_messages, 0, 0);
}

static int run_single(dek_cache *cache, counting_upstream *up, uint64_t max_messages)
{
    worker w = make_worker(cache, up, 42, max_messages);
    run_one(&w);
    return w.serial;
}

/* Asserts every worker succeeded and DEK serial s (1-based) served uses[s-1]. */
static void assert_uses(int n, const int *uses, int serials)
{
    int counted[MAX_WORKER + 1] = {0};
    for (int i = 0; i < n; i++) {
        CU_ASSERT_EQUAL(workers[i].status, DEK_CACHE_OK);
        if (workers[i].serial >= 1 && workers[i].serial <= MAX_WORKER) {
            counted[workers[i].serial]++;
        }
    }
    for (int s = 1; s <= serials; s++) {
        CU_ASSERT_EQUAL(counted[s], uses[s - 1]);
    }
}

static int count_source(int n, dek_cache_source source)
{
    int count = 0;
    for (int i = 0; i < n; i++) {
        count += workers[i].result.source == source;
    }
    return count;
}

static dek_cache_stats stats_of(dek_cache *cache)
{
    dek_cache_stats s;
    dek_cache_get_stats(cache, &s);
    return s;
}

/* Starts lw's call in a thread on its held upstream and waits until it is
 * in that upstream, leading the flight. 1 on success; otherwise nothing is
 * left running (the upstream released, the thread joined) and the cache is
 * freed, for the caller to fail the test. */
static int start_held_leader(dek_cache *cache, pthread_t *leader, worker *lw)
{
    if (start_thread(leader, run_one, lw, "the leader")) {
        if (wait_for_calls(lw->up, 1)) {
            return 1;
        }
        fprintf(stderr, "\n  the leader did not reach the upstream\n");
        atomic_store(&lw->up->hold, 0);
        join_thread(*leader, "the leader");
    }
    dek_cache_free(cache);
    return 0;
}

/* Starts the waiter's call in a thread. 1 on success; otherwise the leader
 * is released and joined and the cache freed, for the caller to fail. */
static int start_waiter(dek_cache *cache, pthread_t leader, worker *lw, pthread_t *waiter,
                        worker *ww)
{
    if (start_thread(waiter, run_one, ww, "the waiter")) {
        return 1;
    }
    atomic_store(&lw->up->hold, 0);
    join_thread(leader, "the leader");
    dek_cache_free(cache);
    return 0;
}

/* Each flight holds its upstream call until every caller has joined one, so
 * the second flight must start while the first is still running: callers
 * beyond the first key's five reserve on a second flight at once rather than
 * queue behind the first. */
static void test_seed_10_parallel_max_5_cold(void)
{
    dek_cache *cache = make_cache(100, 0, NULL, NULL, 0);
    counting_upstream up = {.gate_cache = cache, .gate_waiters = 8, .gate_calls = 2};
    run_parallel(cache, &up, 10, 0, 5);
    CU_ASSERT_EQUAL(atomic_load(&up.calls), 2);
    CU_ASSERT_EQUAL(atomic_load(&up.max_running), 2);
    assert_uses(10, (const int[]){5, 5}, 2);
    CU_ASSERT_EQUAL(count_source(10, DEK_CACHE_SOURCE_LEADER), 2);
    CU_ASSERT_EQUAL(count_source(10, DEK_CACHE_SOURCE_COALESCED), 8);
    CU_ASSERT_EQUAL(stats_of(cache).coalesced_waits, 8);
    CU_ASSERT_EQUAL(stats_of(cache).entries, 0); /* both keys were spent in flight */
    CU_ASSERT_EQUAL(stats_of(cache).evicted_exhausted, 2);
    /* Each key's five callers report the positions 1..5, once each. */
    unsigned positions[3] = {0};
    for (int i = 0; i < 10; i++) {
        int serial = workers[i].serial;
        uint64_t used = workers[i].result.messages_used;
        if (serial >= 1 && serial <= 2 && used >= 1 && used <= 5) {
            positions[serial] |= 1u << used;
        }
    }
    CU_ASSERT_EQUAL(positions[1], 0x3Eu);
    CU_ASSERT_EQUAL(positions[2], 0x3Eu);
    dek_cache_free(cache);
}

static void test_seed_10_sequential_max_5(void)
{
    dek_cache *cache = make_cache(100, 0, NULL, NULL, 0);
    counting_upstream up = {0};
    for (int i = 0; i < 10; i++) {
        CU_ASSERT_EQUAL(run_single(cache, &up, 5), i / 5 + 1);
    }
    CU_ASSERT_EQUAL(atomic_load(&up.calls), 2);
    dek_cache_free(cache);
}

static void test_seed_warm_then_10_parallel(void)
{
    dek_cache *cache = make_cache(100, 0, NULL, NULL, 0);
    counting_upstream up = {0};
    CU_ASSERT_EQUAL(run_single(cache, &up, 5), 1);
    /* 4 callers finish DEK 1; of the other 6, five share the next flight and
     * the last starts a third at once. Which of the two finishes first, and so
     * is numbered 2, is up to the scheduler. */
    up.gate_cache = cache;
    up.gate_waiters = 4;
    up.gate_calls = 3; /* the warm-up's and both flights' */
    run_parallel(cache, &up, 10, 0, 5);
    CU_ASSERT_EQUAL(atomic_load(&up.calls), 3);
    CU_ASSERT_EQUAL(atomic_load(&up.max_running), 2);
    int five_then_one[] = {4, 5, 1}, one_then_five[] = {4, 1, 5};
    int counted[4] = {0};
    for (int i = 0; i < 10; i++) {
        CU_ASSERT_EQUAL(workers[i].status, DEK_CACHE_OK);
        counted[workers[i].serial >= 1 && workers[i].serial <= 3 ? workers[i].serial : 0]++;
    }
    CU_ASSERT(memcmp(counted + 1, five_then_one, sizeof(five_then_one)) == 0 ||
              memcmp(counted + 1, one_then_five, sizeof(one_then_five)) == 0);
    /* The key of the one-caller flight is stored with its use counted. */
    CU_ASSERT_EQUAL(stats_of(cache).entries, 1);
    CU_ASSERT_EQUAL(run_single(cache, &up, 5), counted[2] == 1 ? 2 : 3);
    CU_ASSERT_EQUAL(atomic_load(&up.calls), 3);
    dek_cache_free(cache);
}

static void test_seed_100_parallel_max_10(void)
{
    dek_cache *cache = make_cache(100, 0, NULL, NULL, 0);
    counting_upstream up = {.gate_cache = cache, .gate_waiters = 90, .gate_calls = 10};
    run_parallel(cache, &up, 100, 0, 10);
    CU_ASSERT_EQUAL(atomic_load(&up.calls), 10);
    CU_ASSERT_EQUAL(atomic_load(&up.max_running), 10);
    assert_uses(100, (const int[]){10, 10, 10, 10, 10, 10, 10, 10, 10, 10}, 10);
    dek_cache_free(cache);
}

/* A flight takes a message only within the byte limit too: of three 400-byte
 * messages under a 1000-byte limit, two share one key and the third starts a
 * second flight while the first runs. */
static void test_byte_limit_splits_flights(void)
{
    dek_cache *cache = make_cache(100, 0, NULL, NULL, 0);
    counting_upstream up = {.gate_cache = cache, .gate_waiters = 1, .gate_calls = 2};
    run_parallel_sized(cache, &up, 3, 0, 10, 400, 1000);
    CU_ASSERT_EQUAL(atomic_load(&up.calls), 2);
    CU_ASSERT_EQUAL(atomic_load(&up.max_running), 2);
    int counted[3] = {0};
    for (int i = 0; i < 3; i++) {
        CU_ASSERT_EQUAL(workers[i].status, DEK_CACHE_OK);
        counted[workers[i].serial == 1 || workers[i].serial == 2 ? workers[i].serial : 0]++;
        CU_ASSERT(workers[i].result.bytes_used <= 1000);
    }
    CU_ASSERT_EQUAL(counted[0], 0);
    CU_ASSERT(counted[1] * 400 <= 1000 && counted[2] * 400 <= 1000);
    /* Both keys have room left; whichever flight finishes last, the one with
     * more room (one message, 400 bytes) is kept, and nothing was invalidated. */
    dek_cache_stats st = stats_of(cache);
    CU_ASSERT_EQUAL(st.entries, 1);
    CU_ASSERT_EQUAL(st.evicted_exhausted, 1);
    CU_ASSERT_EQUAL(st.evicted_invalidated, 0);
    worker next = make_worker(cache, &up, 42, 10);
    next.size = 400;
    next.max_bytes = 1000;
    run_one(&next);
    CU_ASSERT_EQUAL(next.status, DEK_CACHE_OK);
    CU_ASSERT_EQUAL(next.serial, counted[1] == 1 ? 1 : 2);
    CU_ASSERT_EQUAL(next.result.messages_used, 2);
    CU_ASSERT_EQUAL(next.result.bytes_used, 800);
    CU_ASSERT_EQUAL(atomic_load(&up.calls), 2);
    dek_cache_free(cache);
}

/* A flight takes a caller only within the limits of every caller already on
 * it: a key fetched for a one-message caller is never shared. */
static void test_flight_keeps_its_callers_limits(void)
{
    dek_cache *cache = make_cache(100, 0, NULL, NULL, 0);
    counting_upstream up = {0};
    atomic_store(&up.hold, 1);
    pthread_t leader;
    worker lw = make_worker(cache, &up, 42, 1);
    CU_ASSERT_TRUE_FATAL(start_held_leader(cache, &leader, &lw));
    pthread_t other;
    worker ow = make_worker(cache, &up, 42, 5);
    CU_ASSERT_TRUE_FATAL(start_waiter(cache, leader, &lw, &other, &ow));
    CU_ASSERT_TRUE(wait_for_calls(&up, 2)); /* it started its own flight */
    atomic_store(&up.hold, 0);
    join_thread(leader, "the leader");
    join_thread(other, "the other caller");
    CU_ASSERT_EQUAL(lw.status, DEK_CACHE_OK);
    CU_ASSERT_EQUAL(ow.status, DEK_CACHE_OK);
    CU_ASSERT_NOT_EQUAL(lw.serial, ow.serial);
    CU_ASSERT_EQUAL(stats_of(cache).coalesced_waits, 0);
    dek_cache_free(cache);
}

/* Two flights of one ID side by side, the first to reach the upstream fails:
 * its error reaches its own callers only, and the other flight's callers get
 * their key. */
static void test_failed_flight_spares_its_sibling(void)
{
    dek_cache *cache = make_cache(100, 0, NULL, NULL, 0);
    counting_upstream up = {.gate_cache = cache,
                            .gate_waiters = 8,
                            .gate_calls = 2,
                            .fail_with = 13,
                            .failing_calls = 1};
    run_parallel(cache, &up, 10, 0, 5);
    CU_ASSERT_EQUAL(atomic_load(&up.calls), 2);
    int failed = 0, served = 0;
    for (int i = 0; i < 10; i++) {
        failed +=
            workers[i].status == DEK_CACHE_ERR_UPSTREAM && workers[i].result.upstream_error == 13;
        served += workers[i].status == DEK_CACHE_OK && workers[i].serial >= 1;
    }
    CU_ASSERT_EQUAL(failed, 5);
    CU_ASSERT_EQUAL(served, 5);
    dek_cache_free(cache);
}

/* A leader whose buffer is too small hands its message back: its waiter is
 * the key's first use, and the stored entry counts only the waiter's. A waiter
 * that gave up on its wait stays charged. */
static void test_reservations_of_callers_not_served(void)
{
    /* The wait bound is also the age at which a flight counts as abandoned:
     * 2 s leaves the waiter ample time to join the held flight first. */
    dek_cache *cache = make_cache(100, 0, NULL, NULL, 2000);
    counting_upstream up = {0};
    atomic_store(&up.hold, 1);
    pthread_t leader, waiter;
    worker lw = make_worker(cache, &up, 42, 5);
    lw.out_cap = 8;
    worker ww = make_worker(cache, &up, 42, 5);
    CU_ASSERT_TRUE_FATAL(start_held_leader(cache, &leader, &lw));
    CU_ASSERT_TRUE_FATAL(start_waiter(cache, leader, &lw, &waiter, &ww));
    CU_ASSERT_TRUE(wait_for_waiters(cache, 1));
    atomic_store(&up.hold, 0);
    join_thread(leader, "the leader");
    join_thread(waiter, "the waiter");
    CU_ASSERT_EQUAL(lw.status, DEK_CACHE_ERR_BUFFER_TOO_SMALL);
    CU_ASSERT_EQUAL(ww.status, DEK_CACHE_OK);
    CU_ASSERT_EQUAL(ww.result.messages_used, 1);
    CU_ASSERT_EQUAL(ww.result.bytes_used, 100);
    worker next = ww;
    run_one(&next);
    CU_ASSERT_EQUAL(next.serial, ww.serial);
    CU_ASSERT_EQUAL(next.result.messages_used, 2);

    /* Now a waiter that times out: the key's count includes its message. */
    dek_cache_invalidate_id(cache, &lw.id);
    counting_upstream held = {0};
    atomic_store(&held.hold, 1);
    lw.up = ww.up = next.up = &held;
    lw.out_cap = 0;
    CU_ASSERT_TRUE_FATAL(start_held_leader(cache, &leader, &lw));
    run_one(&ww); /* waits 2 s on the held flight, then gives up */
    CU_ASSERT_EQUAL(ww.status, DEK_CACHE_ERR_WAIT_TIMEOUT);
    atomic_store(&held.hold, 0);
    join_thread(leader, "the leader");
    CU_ASSERT_EQUAL(lw.status, DEK_CACHE_OK);
    run_one(&next);
    CU_ASSERT_EQUAL(next.serial, lw.serial);
    CU_ASSERT_EQUAL(next.result.messages_used, 3);
    CU_ASSERT_EQUAL(atomic_load(&held.calls), 1);
    dek_cache_free(cache);
}

static void test_decrypt_10_parallel_one_call(void)
{
    dek_cache *cache = make_cache(100, 0, NULL, NULL, 0);
    counting_upstream up = {.gate_cache = cache, .gate_waiters = 9};
    run_parallel(cache, &up, 10, 1, 0);
    CU_ASSERT_EQUAL(atomic_load(&up.calls), 1);
    assert_uses(10, (const int[]){10}, 1);
    CU_ASSERT_EQUAL(count_source(10, DEK_CACHE_SOURCE_LEADER), 1);
    CU_ASSERT_EQUAL(count_source(10, DEK_CACHE_SOURCE_COALESCED), 9);
    dek_cache_free(cache);
}

static void test_failed_flight_error_reaches_every_waiter(void)
{
    checking_allocator alloc;
    dek_cache_allocator hooks;
    checking_allocator_init(&alloc, &hooks);
    dek_cache *cache = make_cache(100, 0, NULL, &hooks, 0);
    counting_upstream up = {.gate_cache = cache, .gate_waiters = 9, .fail_with = 13};
    run_parallel(cache, &up, 10, 0, 10);
    CU_ASSERT_EQUAL(atomic_load(&up.calls), 1);
    for (int i = 0; i < 10; i++) {
        CU_ASSERT_EQUAL(workers[i].status, DEK_CACHE_ERR_UPSTREAM);
        CU_ASSERT_EQUAL(workers[i].result.upstream_error, 13);
        CU_ASSERT_PTR_NOT_NULL(strstr(workers[i].result.detail, "KMS said no"));
    }
    up.fail_with = 0;
    up.gate_cache = NULL;
    CU_ASSERT_EQUAL(run_single(cache, &up, 5), 2); /* the error was not cached */
    CU_ASSERT_EQUAL(atomic_load(&up.calls), 2);
    dek_cache_free(cache);
    CU_ASSERT_EQUAL(atomic_load(&alloc.live), 0);
    CU_ASSERT_EQUAL(atomic_load(&alloc.dirty_frees), 0);
}

/* The leader's materials were uncacheable: each waiter fetches its own, in
 * parallel, rather than failing or queueing behind new flights. */
static void test_uncacheable_flight_sends_waiters_upstream(void)
{
    dek_cache *cache = make_cache(100, 0, NULL, NULL, 0);
    counting_upstream up = {.gate_cache = cache, .gate_waiters = 9, .uncacheable_calls = 1};
    run_parallel(cache, &up, 10, 0, 10);
    CU_ASSERT_EQUAL(atomic_load(&up.calls), 10);
    int leaders = 0, bypassed = 0;
    for (int i = 0; i < 10; i++) {
        if (workers[i].status == DEK_CACHE_ERR_UNCACHEABLE) {
            leaders += workers[i].result.source == DEK_CACHE_SOURCE_LEADER;
        } else {
            CU_ASSERT_EQUAL(workers[i].status, DEK_CACHE_OK);
            bypassed += workers[i].result.source == DEK_CACHE_SOURCE_BYPASS;
        }
    }
    CU_ASSERT_EQUAL(leaders, 1);
    CU_ASSERT_EQUAL(bypassed, 9);
    CU_ASSERT_EQUAL(stats_of(cache).entries, 0);
    CU_ASSERT_EQUAL(stats_of(cache).bypasses, 9);
    dek_cache_free(cache);
}

static uint64_t elapsed_ms(const struct timespec *since)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)(now.tv_sec - since->tv_sec) * 1000 +
           (uint64_t)((now.tv_nsec - since->tv_nsec) / 1000000);
}

static void test_wait_bound_then_abandoned_flight_replaced(void)
{
    dek_cache *cache = make_cache(100, 0, NULL, NULL, 200);
    counting_upstream stuck = {0};
    atomic_store(&stuck.hold, 1);
    pthread_t leader;
    worker lw = make_worker(cache, &stuck, 42, 5);
    CU_ASSERT_TRUE_FATAL(start_held_leader(cache, &leader, &lw));
    counting_upstream fresh = {0};
    atomic_store(&fresh.serial, 100);
    worker waiter = make_worker(cache, &fresh, 42, 5);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    run_one(&waiter);
    uint64_t waited = elapsed_ms(&t0);
    CU_ASSERT_EQUAL(waiter.status, DEK_CACHE_ERR_WAIT_TIMEOUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(waiter.result.detail, "timed out"));
    CU_ASSERT(waited >= 150 && waited < 3000);
    CU_ASSERT_EQUAL(stats_of(cache).wait_timeouts, 1);

    /* The flight is now older than the bound: the next caller replaces it. */
    run_one(&waiter);
    CU_ASSERT_EQUAL(waiter.status, DEK_CACHE_OK);
    CU_ASSERT_EQUAL(waiter.serial, 101);
    CU_ASSERT_EQUAL(waiter.result.source, DEK_CACHE_SOURCE_LEADER);
    atomic_store(&stuck.hold, 0);
    join_thread(leader, "the leader");
    CU_ASSERT_EQUAL(lw.status, DEK_CACHE_OK); /* the late leader keeps its own value... */
    CU_ASSERT_EQUAL(lw.serial, 1);
    run_one(&waiter); /* ...which was never stored */
    CU_ASSERT_EQUAL(waiter.serial, 101);
    CU_ASSERT_EQUAL(waiter.result.source, DEK_CACHE_SOURCE_HIT);
    CU_ASSERT_EQUAL(waiter.result.messages_used, 2);
    dek_cache_free(cache);
}

/* When a new caller abandons a stuck flight, the flight's waiter is woken
 * and takes the replacement's value at once; it used to sleep on to its own
 * bound and fail although the value had been stored. */
static void test_abandoned_flight_wakes_its_waiters(void)
{
    dek_cache *cache = make_cache(100, 0, NULL, NULL, 2000);
    counting_upstream stuck = {0}, other = {0}, fresh = {0};
    atomic_store(&stuck.hold, 1);
    atomic_store(&other.serial, 200);
    atomic_store(&fresh.serial, 100);
    pthread_t leader, waiter_thread;
    worker lw = make_worker(cache, &stuck, 42, 5);
    worker ww = make_worker(cache, &other, 42, 5);
    worker cw = make_worker(cache, &fresh, 42, 5);
    CU_ASSERT_TRUE_FATAL(start_held_leader(cache, &leader, &lw));
    sleep_ms(1000); /* the waiter's own bound then ends a second after the flight's */
    CU_ASSERT_TRUE_FATAL(start_waiter(cache, leader, &lw, &waiter_thread, &ww));
    CU_ASSERT_TRUE(wait_for_waiters(cache, 1));
    sleep_ms(1200); /* the flight is past its bound, the waiter is not */
    run_one(&cw);
    CU_ASSERT_EQUAL(cw.status, DEK_CACHE_OK);
    CU_ASSERT_EQUAL(cw.serial, 101);
    join_thread(waiter_thread, "the waiter");
    CU_ASSERT_EQUAL(ww.status, DEK_CACHE_OK);
    CU_ASSERT_EQUAL(ww.serial, 101);
    CU_ASSERT_EQUAL(atomic_load(&other.calls), 0);
    atomic_store(&stuck.hold, 0);
    join_thread(leader, "the leader");
    dek_cache_free(cache);
}

/* A waiter cancelled while it waits must not leave the stripe locked: the
 * leader could not finish and every later call on the stripe would hang. */
static void test_cancelled_waiter_leaves_stripe_usable(void)
{
    dek_cache *cache = make_cache(100, 0, NULL, NULL, 10000);
    counting_upstream stuck = {0};
    atomic_store(&stuck.hold, 1);
    pthread_t leader, waiter_thread;
    worker lw = make_worker(cache, &stuck, 42, 5);
    worker ww = lw;
    CU_ASSERT_TRUE_FATAL(start_held_leader(cache, &leader, &lw));
    CU_ASSERT_TRUE_FATAL(start_waiter(cache, leader, &lw, &waiter_thread, &ww));
    CU_ASSERT_TRUE(wait_for_waiters(cache, 1));
    CU_ASSERT_EQUAL(pthread_cancel(waiter_thread), 0);
    sleep_ms(50);
    atomic_store(&stuck.hold, 0);
    join_thread(leader, "the leader"); /* the old code hung here on the stripe lock */
    join_thread(waiter_thread, "the waiter");
    CU_ASSERT_EQUAL(lw.status, DEK_CACHE_OK);
    worker again = lw;
    run_one(&again);
    CU_ASSERT_EQUAL(again.status, DEK_CACHE_OK);
    CU_ASSERT_EQUAL(again.serial, 1);
    dek_cache_free(cache);
}

static void test_cancelled_leader_fails_waiters_promptly(void)
{
    if (UNDER_TSAN) {
        return;
    }
    dek_cache *cache = make_cache(100, 0, NULL, NULL, 10000);
    counting_upstream stuck = {0};
    atomic_store(&stuck.hold, 1);
    pthread_t leader, waiter_thread;
    worker lw = make_worker(cache, &stuck, 42, 0);
    lw.decrypt = 1;
    worker ww = lw;
    CU_ASSERT_TRUE_FATAL(start_held_leader(cache, &leader, &lw));
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CU_ASSERT_TRUE_FATAL(start_waiter(cache, leader, &lw, &waiter_thread, &ww));
    CU_ASSERT_TRUE(wait_for_waiters(cache, 1));
    pthread_cancel(leader);
    join_thread(leader, "the leader");
    join_thread(waiter_thread, "the waiter");
    CU_ASSERT_EQUAL(ww.status, DEK_CACHE_ERR_LEADER_GONE);
    CU_ASSERT_PTR_NOT_NULL(strstr(ww.result.detail, "cancelled"));
    CU_ASSERT(elapsed_ms(&t0) < 5000);
    atomic_store(&stuck.hold, 0);
    run_one(&ww);
    CU_ASSERT_EQUAL(ww.status, DEK_CACHE_OK);
    CU_ASSERT_EQUAL(ww.result.source, DEK_CACHE_SOURCE_LEADER);
    dek_cache_free(cache);
}

static void test_invalidation_makes_flight_stale(void)
{
    dek_cache *cache = make_cache(100, 0, NULL, NULL, 10000);
    counting_upstream up = {0};
    atomic_store(&up.hold, 1);
    pthread_t leader, waiter_thread;
    worker lw = make_worker(cache, &up, 42, 5);
    worker ww = lw;
    CU_ASSERT_TRUE_FATAL(start_held_leader(cache, &leader, &lw));
    CU_ASSERT_TRUE_FATAL(start_waiter(cache, leader, &lw, &waiter_thread, &ww));
    CU_ASSERT_TRUE(wait_for_waiters(cache, 1));
    dek_cache_id id = test_id(42);
    dek_cache_invalidate_id(cache, &id);
    /* The waiter is woken and fetches anew while the stale leader still waits. */
    CU_ASSERT_TRUE(wait_for_calls(&up, 2));
    CU_ASSERT_EQUAL(atomic_load(&up.calls), 2);
    atomic_store(&up.hold, 0);
    join_thread(leader, "the leader");
    join_thread(waiter_thread, "the waiter");
    /* The leader keeps its pre-invalidation DEK; the waiter's is the one stored. */
    CU_ASSERT(lw.serial != ww.serial && lw.serial >= 1 && lw.serial <= 2 && ww.serial >= 1 &&
              ww.serial <= 2);
    CU_ASSERT_EQUAL(lw.result.source, DEK_CACHE_SOURCE_LEADER);
    CU_ASSERT_EQUAL(ww.result.source, DEK_CACHE_SOURCE_LEADER);
    CU_ASSERT_EQUAL(run_single(cache, &up, 5), ww.serial);
    CU_ASSERT_EQUAL(stats_of(cache).entries, 1);
    dek_cache_free(cache);
}

/* Dropping a wrapping key's entries leaves a flight alone: the leader's
 * value (and what its waiter shares) is kept; only stored entries go. */
static void test_drop_wrapping_key_spares_flights(void)
{
    dek_cache *cache = make_cache(100, 0, NULL, NULL, 10000);
    counting_upstream up = {.wrapping_key = "arn:k"};
    CU_ASSERT_EQUAL(run_single(cache, &up, 5), 1); /* id 42, stored, tagged */
    counting_upstream held = {.wrapping_key = "arn:k"};
    atomic_store(&held.serial, 10);
    atomic_store(&held.hold, 1);
    pthread_t leader, waiter_thread;
    worker lw = make_worker(cache, &held, 43, 5);
    worker ww = lw;
    CU_ASSERT_TRUE_FATAL(start_held_leader(cache, &leader, &lw));
    CU_ASSERT_TRUE_FATAL(start_waiter(cache, leader, &lw, &waiter_thread, &ww));
    CU_ASSERT_TRUE(wait_for_waiters(cache, 1));
    CU_ASSERT_EQUAL(dek_cache_drop_wrapping_key(cache, "arn:k", 5), 1);
    atomic_store(&held.hold, 0);
    join_thread(leader, "the leader");
    join_thread(waiter_thread, "the waiter");
    CU_ASSERT_EQUAL(lw.serial, 11);
    CU_ASSERT_EQUAL(ww.serial, 11); /* shared, not fetched again */
    CU_ASSERT_EQUAL(ww.result.source, DEK_CACHE_SOURCE_COALESCED);
    CU_ASSERT_EQUAL(atomic_load(&held.calls), 1);
    CU_ASSERT_EQUAL(stats_of(cache).entries, 1); /* the flight's, stored */
    CU_ASSERT_EQUAL(stats_of(cache).evicted_invalidated, 1);
    dek_cache_free(cache);
}

static void test_distinct_ids_do_not_coalesce(void)
{
    dek_cache *cache = make_cache(100, 0, NULL, NULL, 0);
    counting_upstream up = {0};
    pthread_t threads[8];
    worker ws[8];
    for (int i = 0; i < 8; i++) {
        ws[i] = make_worker(cache, &up, (unsigned)i, 5);
    }
    int started = start_workers(threads, ws, 8);
    join_workers(threads, started);
    if (started != 8) {
        dek_cache_free(cache);
    }
    CU_ASSERT_EQUAL_FATAL(started, 8);
    for (int i = 0; i < 8; i++) {
        CU_ASSERT_EQUAL(ws[i].result.source, DEK_CACHE_SOURCE_LEADER);
    }
    CU_ASSERT_EQUAL(atomic_load(&up.calls), 8);
    dek_cache_free(cache);
}

int main(void)
{
    static const dekcache_test_case tests[] = {
        {"seed: 10 parallel, max 5, cold -> 2 calls", test_seed_10_parallel_max_5_cold},
        {"seed: 10 one by one, max 5 -> 2 calls", test_seed_10_sequential_max_5},
        {"seed: 1 warm + 10 parallel -> 3 calls", test_seed_warm_then_10_parallel},
        {"seed: 100 parallel, max 10 -> 10 calls", test_seed_100_parallel_max_10},
        {"byte limit splits flights", test_byte_limit_splits_flights},
        {"a flight keeps its callers' limits", test_flight_keeps_its_callers_limits},
        {"failed flight spares its sibling", test_failed_flight_spares_its_sibling},
        {"reservations of callers not served", test_reservations_of_callers_not_served},
        {"decrypt: 10 parallel -> 1 call", test_decrypt_10_parallel_one_call},
        {"failed flight error reaches every waiter", test_failed_flight_error_reaches_every_waiter},
        {"uncacheable flight sends waiters upstream",
         test_uncacheable_flight_sends_waiters_upstream},
        {"wait bound, abandoned flight replaced", test_wait_bound_then_abandoned_flight_replaced},
        {"abandoned flight wakes its waiters", test_abandoned_flight_wakes_its_waiters},
        {"cancelled leader fails waiters promptly", test_cancelled_leader_fails_waiters_promptly},
        {"cancelled waiter leaves the stripe usable", test_cancelled_waiter_leaves_stripe_usable},
        {"invalidation makes flight stale", test_invalidation_makes_flight_stale},
        {"dropping a wrapping key spares flights", test_drop_wrapping_key_spares_flights},
        {"distinct IDs do not coalesce", test_distinct_ids_do_not_coalesce},
        {NULL, NULL}};
    dekcache_add_suite("cache singleflight", NULL, NULL, tests);
    return dekcache_run_tests();
}
