#include "cache_test_support.h"

#include <CUnit/CUnit.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

uint64_t test_clock_read(void *arg)
{
    return atomic_load(&((test_clock *)arg)->now);
}

static void *checking_alloc(size_t size, void *arg)
{
    checking_allocator *state = arg;
    atomic_fetch_add(&state->live, 1);
    atomic_fetch_add(&state->allocs, 1);
    return OPENSSL_malloc(size);
}

static void checking_free(void *ptr, size_t size, void *arg)
{
    checking_allocator *state = arg;
    const unsigned char *bytes = ptr;
    for (size_t i = 0; i < size; i++) {
        if (bytes[i] != 0) {
            atomic_fetch_add(&state->dirty_frees, 1);
            break;
        }
    }
    atomic_fetch_sub(&state->live, 1);
    atomic_fetch_add(&state->frees, 1);
    OPENSSL_free(ptr);
}

void checking_allocator_init(checking_allocator *state, dek_cache_allocator *hooks)
{
    atomic_init(&state->live, 0);
    atomic_init(&state->allocs, 0);
    atomic_init(&state->frees, 0);
    atomic_init(&state->dirty_frees, 0);
    hooks->alloc = checking_alloc;
    hooks->free = checking_free;
    hooks->arg = state;
}

static uint64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

wait_bound wait_bound_start(unsigned limit_ms)
{
    return (wait_bound){0, limit_ms, monotonic_ns() + (uint64_t)limit_ms * 1000000u};
}

int wait_bound_poll(wait_bound *bound)
{
    if (bound->polls >= bound->limit_ms || monotonic_ns() >= bound->deadline_ns) {
        return 0;
    }
    bound->polls++;
    sleep_ms(1); /* nanosleep: a cancellation point */
    return 1;
}

int wait_for_calls(counting_upstream *up, int calls)
{
    wait_bound bound = wait_bound_start(WAIT_LIMIT_MS);
    while (atomic_load(&up->calls) < calls) {
        if (!wait_bound_poll(&bound)) {
            return 0;
        }
    }
    return 1;
}

int wait_for_waiters(dek_cache *cache, uint64_t waiters)
{
    wait_bound bound = wait_bound_start(WAIT_LIMIT_MS);
    for (;;) {
        dek_cache_stats stats;
        dek_cache_get_stats(cache, &stats);
        if (stats.coalesced_waits >= waiters) {
            return 1;
        }
        if (!wait_bound_poll(&bound)) {
            return 0;
        }
    }
}

int start_thread(pthread_t *thread, void *(*fn)(void *), void *arg, const char *what)
{
    int rc = pthread_create(thread, NULL, fn, arg);
    if (rc != 0) {
        fprintf(stderr, "\n  cannot create %s: %s\n", what, strerror(rc));
    }
    return rc == 0;
}

void join_thread(pthread_t thread, const char *what)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += JOIN_LIMIT_MS / 1000;
    int rc = pthread_timedjoin_np(thread, NULL, &deadline);
    if (rc != 0) {
        fprintf(stderr, "\n  %s not joined within %d ms (%s): giving up the test program\n", what,
                JOIN_LIMIT_MS, strerror(rc));
        fflush(NULL);
        _exit(EXIT_FAILURE);
    }
}

static void note_running(counting_upstream *up)
{
    int running = atomic_fetch_add(&up->running, 1) + 1;
    int most = atomic_load(&up->max_running);
    while (running > most && !atomic_compare_exchange_weak(&up->max_running, &most, running)) {
    }
}

static int counted_call(counting_upstream *up, int call, dek_cache_value *out, char *detail,
                        size_t detail_cap)
{
    if (up->gate_cache != NULL) {
        /* Holds the caller until enough others wait on flights, or the bound. */
        wait_for_waiters(up->gate_cache, (uint64_t)up->gate_waiters);
    }
    if (up->gate_calls != 0) {
        wait_for_calls(up, up->gate_calls);
    }
    wait_bound bound = wait_bound_start(WAIT_LIMIT_MS);
    while (atomic_load(&up->hold) && wait_bound_poll(&bound)) {
        /* held: each poll sleeps in nanosleep, a cancellation point */
    }
    int serial = atomic_fetch_add(&up->serial, 1) + 1;
    size_t len = up->blob_len != 0 ? up->blob_len : 32;
    unsigned char *blob = dek_cache_value_reserve(out, len);
    if (blob == NULL) {
        snprintf(detail, detail_cap, "test upstream: out of memory");
        return 99;
    }
    memset(blob, serial & 0xFF, len);
    char head[16];
    int n = snprintf(head, sizeof(head), "DEK-%d", serial);
    memcpy(blob, head, (size_t)n < len ? (size_t)n + 1 : len);
    if (up->wrapping_key != NULL) {
        dek_cache_value_add_wrapping_key(out, up->wrapping_key, strlen(up->wrapping_key));
    }
    if (call <= up->uncacheable_calls) {
        return DEK_CACHE_UPSTREAM_UNCACHEABLE; /* the blob set above must be cleansed */
    }
    if (up->fail_with != 0 && (up->failing_calls == 0 || call <= up->failing_calls)) {
        /* The blob set above must still be cleansed by the cache. */
        snprintf(detail, detail_cap, "test upstream: KMS said no (call %d)", serial);
        return up->fail_with;
    }
    return 0;
}

int counting_upstream_fn(void *arg, dek_cache_value *out, char *detail, size_t detail_cap)
{
    counting_upstream *up = arg;
    int call = atomic_fetch_add(&up->calls, 1) + 1;
    note_running(up);
    int rc = counted_call(up, call, out, detail, detail_cap);
    atomic_fetch_sub(&up->running, 1);
    return rc;
}

int blob_serial(const unsigned char *blob, size_t len)
{
    int serial = -1;
    if (len >= 5 && memcmp(blob, "DEK-", 4) == 0) {
        sscanf((const char *)blob + 4, "%d", &serial);
    }
    return serial;
}

dek_cache *make_cache(size_t capacity, unsigned stripes, test_clock *clock,
                      const dek_cache_allocator *allocator, uint32_t wait_timeout_ms)
{
    dek_cache_config cfg = {.capacity = capacity,
                            .stripes = stripes,
                            .wait_timeout_ms = wait_timeout_ms,
                            .clock = clock != NULL ? test_clock_read : NULL,
                            .clock_arg = clock,
                            .allocator = allocator};
    dek_cache *cache = NULL;
    char detail[128];
    dek_cache_status status = dek_cache_new(&cfg, &cache, detail, sizeof(detail));
    CU_ASSERT_EQUAL_FATAL(status, DEK_CACHE_OK);
    return cache;
}

dek_cache_id test_id(unsigned n)
{
    dek_cache_id id;
    for (size_t i = 0; i < sizeof(id.bytes); i++) {
        id.bytes[i] = (unsigned char)((n * 2654435761u) >> ((i % 4) * 8)) ^ (unsigned char)i;
    }
    return id;
}
