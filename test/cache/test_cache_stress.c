/* Randomised stress: 64 threads, random message sizes and per-key limits, a
 * tiny capacity so eviction interferes, random upstream failures, decrypts and
 * invalidations mixed in. Afterwards: no DEK served beyond its message or byte
 * limit, every call got a DEK or an error, every copy was intact, nothing
 * leaked and every freed secret was zero. Bounded in time and iterations. */
#include "cache/dek_cache.h"
#include "cache_test_support.h"
#include "cunit_run.h"

#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define THREADS        64
#define MAX_ITERATIONS 3000
#define RUN_MS         800 /* per configuration */
#define ENC_KEYS       8
#define DEC_KEYS       4
#define MAX_SERIALS    (THREADS * MAX_ITERATIONS + 1)
#define SECOND         1000000000ull

typedef struct {
    dek_cache *cache;
    uint64_t max_messages[ENC_KEYS];
    uint64_t max_bytes[ENC_KEYS];
    _Atomic int serial;
    _Atomic int calls;
    _Atomic int serial_key[MAX_SERIALS]; /* encrypt key of each DEK, -1 otherwise */
    _Atomic uint64_t messages[MAX_SERIALS];
    _Atomic uint64_t bytes[MAX_SERIALS];
    _Atomic long ok, upstream_errors, other_errors, corrupt, issued;
    uint64_t stop_at_ns;
} stress_state;

typedef struct {
    stress_state *state;
    int key; /* encrypt key index, or -1 for decrypt */
    unsigned *seed;
} upstream_call;

static uint64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * SECOND + (uint64_t)ts.tv_nsec;
}

static void fill_blob(unsigned char *blob, size_t len, int serial)
{
    memset(blob, serial & 0xFF, len);
    snprintf((char *)blob, len, "DEK-%d", serial);
}

static int blob_intact(const unsigned char *blob, size_t len)
{
    int serial = blob_serial(blob, len);
    if (serial <= 0 || len < 16) {
        return 0;
    }
    unsigned char expected[256];
    fill_blob(expected, len, serial);
    return memcmp(blob, expected, len) == 0;
}

static int stress_upstream(void *arg, dek_cache_value *out, char *detail, size_t detail_cap)
{
    upstream_call *call = arg;
    stress_state *st = call->state;
    atomic_fetch_add(&st->calls, 1);
    int r = rand_r(call->seed) % 100;
    if (r < 20) {
        sleep_ms(0); /* yields: lets waiters pile up */
        struct timespec ts = {0, (rand_r(call->seed) % 200) * 1000L};
        nanosleep(&ts, NULL);
    }
    if (r >= 90) {
        snprintf(detail, detail_cap, "stress: injected failure");
        return 42;
    }
    int serial = atomic_fetch_add(&st->serial, 1) + 1;
    size_t len = 16 + (size_t)(rand_r(call->seed) % 200);
    unsigned char *blob = dek_cache_value_reserve(out, len);
    if (blob == NULL || serial >= MAX_SERIALS) {
        snprintf(detail, detail_cap, "stress: cannot produce a value");
        return 43;
    }
    fill_blob(blob, len, serial);
    atomic_store(&st->serial_key[serial], call->key);
    const char *tag = (serial % 2) ? "wk-odd" : "wk-even";
    dek_cache_value_add_wrapping_key(out, tag, strlen(tag));
    return 0;
}

static void record(stress_state *st, dek_cache_status status, const dek_cache_result *r,
                   const unsigned char *out, size_t len, uint64_t size)
{
    atomic_fetch_add(&st->issued, 1);
    if (status == DEK_CACHE_ERR_UPSTREAM) {
        atomic_fetch_add(&st->upstream_errors, 1);
        return;
    }
    if (status != DEK_CACHE_OK) {
        atomic_fetch_add(&st->other_errors, 1);
        return;
    }
    atomic_fetch_add(&st->ok, 1);
    if (!blob_intact(out, len)) {
        atomic_fetch_add(&st->corrupt, 1);
        return;
    }
    int serial = blob_serial(out, len);
    if (r->source != DEK_CACHE_SOURCE_BYPASS && size != DEK_CACHE_SIZE_UNKNOWN) {
        atomic_fetch_add(&st->messages[serial], 1);
        atomic_fetch_add(&st->bytes[serial], size);
    }
}

static void one_encrypt(stress_state *st, unsigned *seed)
{
    int key = rand_r(seed) % ENC_KEYS;
    dek_cache_id id = test_id((unsigned)key);
    uint64_t size = (uint64_t)(rand_r(seed) % 700);
    if (rand_r(seed) % 50 == 0) {
        size = DEK_CACHE_SIZE_UNKNOWN;
    }
    dek_cache_enc_request req = {size, {SECOND, st->max_messages[key], st->max_bytes[key]}};
    upstream_call call = {st, key, seed};
    unsigned char out[256];
    size_t len = 0;
    dek_cache_result r;
    dek_cache_status status = dek_cache_get_encryption(st->cache, &id, &req, stress_upstream, &call,
                                                       out, sizeof(out), &len, &r);
    record(st, status, &r, out, len, size);
}

static void one_decrypt(stress_state *st, unsigned *seed)
{
    dek_cache_id id = test_id(100 + (unsigned)(rand_r(seed) % DEC_KEYS));
    upstream_call call = {st, -1, seed};
    unsigned char out[256];
    size_t len = 0;
    dek_cache_result r;
    dek_cache_status status = dek_cache_get_decryption(st->cache, &id, SECOND, stress_upstream,
                                                       &call, out, sizeof(out), &len, &r);
    record(st, status, &r, out, len, DEK_CACHE_SIZE_UNKNOWN);
}

static void one_invalidation(stress_state *st, unsigned *seed)
{
    int r = rand_r(seed) % 20;
    if (r == 0) {
        dek_cache_clear(st->cache);
    } else if (r < 4) {
        dek_cache_invalidate_wrapping_key(st->cache, "wk-odd", 6);
    } else {
        dek_cache_id id = test_id((unsigned)(rand_r(seed) % ENC_KEYS));
        dek_cache_invalidate_id(st->cache, &id);
    }
}

typedef struct {
    stress_state *state;
    unsigned seed;
} thread_arg;

static void *stress_thread(void *arg)
{
    thread_arg *t = arg;
    for (int i = 0; i < MAX_ITERATIONS && monotonic_ns() < t->state->stop_at_ns; i++) {
        int op = rand_r(&t->seed) % 100;
        if (op < 80) {
            one_encrypt(t->state, &t->seed);
        } else if (op < 97) {
            one_decrypt(t->state, &t->seed);
        } else {
            one_invalidation(t->state, &t->seed);
        }
    }
    return NULL;
}

static void check_limits(stress_state *st)
{
    int checked = 0, over = 0;
    for (int s = 1; s < MAX_SERIALS && s <= atomic_load(&st->serial); s++) {
        int key = atomic_load(&st->serial_key[s]);
        if (key < 0) {
            continue;
        }
        checked++;
        if (atomic_load(&st->messages[s]) > st->max_messages[key] ||
            atomic_load(&st->bytes[s]) > st->max_bytes[key]) {
            over++;
            fprintf(stderr, "DEK %d (key %d) used %llu msgs/%llu bytes, limits %llu/%llu\n", s, key,
                    (unsigned long long)atomic_load(&st->messages[s]),
                    (unsigned long long)atomic_load(&st->bytes[s]),
                    (unsigned long long)st->max_messages[key],
                    (unsigned long long)st->max_bytes[key]);
        }
    }
    CU_ASSERT(checked > 0);
    CU_ASSERT_EQUAL(over, 0);
}

static void run_stress(size_t capacity, unsigned expected_stripes)
{
    static stress_state st; /* large: keep it off the stack */
    memset(&st, 0, sizeof(st));
    for (int s = 0; s < MAX_SERIALS; s++) {
        atomic_store(&st.serial_key[s], -1);
    }
    unsigned seed = (unsigned)time(NULL);
    printf("\n  stress seed %u\n", seed);
    for (int k = 0; k < ENC_KEYS; k++) {
        st.max_messages[k] = 1 + (uint64_t)(rand_r(&seed) % 20);
        st.max_bytes[k] = 200 + (uint64_t)(rand_r(&seed) % 5000);
    }
    checking_allocator alloc;
    dek_cache_allocator hooks;
    checking_allocator_init(&alloc, &hooks);
    st.cache = make_cache(capacity, 0, NULL, &hooks, 10000);
    CU_ASSERT_EQUAL(dek_cache_stripe_count(st.cache), expected_stripes);
    st.stop_at_ns = monotonic_ns() + RUN_MS * 1000000ull;

    pthread_t threads[THREADS];
    thread_arg args[THREADS];
    for (int i = 0; i < THREADS; i++) {
        args[i] = (thread_arg){&st, seed + (unsigned)i * 7919u};
        CU_ASSERT_EQUAL_FATAL(pthread_create(&threads[i], NULL, stress_thread, &args[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
    }
    dek_cache_stats stats;
    dek_cache_get_stats(st.cache, &stats);
    printf("  %ld calls: %ld ok, %ld upstream errors; %d upstream calls; evicted lru %llu "
           "exhausted %llu; coalesced %llu\n",
           atomic_load(&st.issued), atomic_load(&st.ok), atomic_load(&st.upstream_errors),
           atomic_load(&st.calls), (unsigned long long)stats.evicted_lru,
           (unsigned long long)stats.evicted_exhausted, (unsigned long long)stats.coalesced_waits);
    dek_cache_free(st.cache);

    CU_ASSERT(atomic_load(&st.issued) > THREADS);
    CU_ASSERT_EQUAL(atomic_load(&st.ok) + atomic_load(&st.upstream_errors),
                    atomic_load(&st.issued));
    CU_ASSERT_EQUAL(atomic_load(&st.other_errors), 0);
    CU_ASSERT_EQUAL(atomic_load(&st.corrupt), 0);
    if (capacity < ENC_KEYS + DEC_KEYS) {
        CU_ASSERT(stats.evicted_lru > 0); /* eviction really interfered */
    }
    CU_ASSERT_EQUAL(stats.upstream_calls, (uint64_t)atomic_load(&st.calls));
    check_limits(&st);
    CU_ASSERT_EQUAL(atomic_load(&alloc.live), 0);
    CU_ASSERT_EQUAL(atomic_load(&alloc.dirty_frees), 0);
}

static void test_stress_one_stripe(void)
{
    run_stress(4, 1);
}

/* Several stripes: invalidation and clear walk them while lookups run. */
static void test_stress_four_stripes(void)
{
    run_stress(64, 4);
}

int main(void)
{
    static const dekcache_test_case tests[] = {
        {"64 threads, capacity 4 (1 stripe)", test_stress_one_stripe},
        {"64 threads, capacity 64 (4 stripes)", test_stress_four_stripes},
        {NULL, NULL}};
    dekcache_add_suite("cache stress", NULL, NULL, tests);
    return dekcache_run_tests();
}
