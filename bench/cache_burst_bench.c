/*
 * cache_burst_bench: how long a burst of concurrent encryptions on a cold
 * cache waits for its data keys, when the burst is larger than the per-key
 * message limit. The upstream sleeps for a simulated KMS round trip. Each
 * burst's wall time is printed in round trips, against a baseline measured in
 * the same run: one caller on a cold cache (exactly one round trip). A cache
 * that queued callers beyond the limit behind the first call would take
 * ceil(N/M) round trips; one that fans out takes about one.
 *
 *   cache_burst_bench [-l round_trip_ms] [-r repeats]
 *
 * Each figure is the best of `repeats` bursts, each on a fresh cache.
 */
#include "cache/dek_cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_CALLERS 256
#define SECOND      1000000000ull

typedef struct {
    unsigned round_trip_ms;
    _Atomic int calls;
} upstream_state;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * SECOND + (uint64_t)ts.tv_nsec;
}

static int slow_upstream(void *arg, dek_cache_value *out, char *detail, size_t detail_cap)
{
    upstream_state *up = arg;
    atomic_fetch_add(&up->calls, 1);
    struct timespec pause = {(time_t)(up->round_trip_ms / 1000),
                             (long)(up->round_trip_ms % 1000) * 1000000L};
    nanosleep(&pause, NULL);
    static const unsigned char not_a_key[32];
    if (dek_cache_value_set(out, not_a_key, sizeof(not_a_key)) != DEK_CACHE_OK) {
        snprintf(detail, detail_cap, "out of memory");
        return 1;
    }
    return 0;
}

typedef struct {
    dek_cache *cache;
    upstream_state *up;
    uint64_t max_messages;
    pthread_barrier_t *start;
    int ok;
} caller;

static void *encrypt_once(void *arg)
{
    caller *c = arg;
    dek_cache_id id;
    memset(id.bytes, 7, sizeof(id.bytes));
    dek_cache_enc_request req = {1024, {60 * SECOND, c->max_messages, UINT64_C(1) << 40}};
    unsigned char out[64];
    size_t len = 0;
    dek_cache_result result;
    pthread_barrier_wait(c->start);
    c->ok = dek_cache_get_encryption(c->cache, &id, &req, slow_upstream, c->up, out, sizeof(out),
                                     &len, &result) == DEK_CACHE_OK;
    return NULL;
}

/* One burst of n callers with limit m on a fresh cache: its wall time in ns,
 * or 0 on failure; *calls gets the upstream call count. */
static uint64_t burst_ns(unsigned n, uint64_t m, unsigned round_trip_ms, int *calls)
{
    dek_cache_config cfg = {.capacity = 1000};
    dek_cache *cache = NULL;
    char detail[256];
    if (dek_cache_new(&cfg, &cache, detail, sizeof(detail)) != DEK_CACHE_OK) {
        fprintf(stderr, "dek_cache_new: %s\n", detail);
        return 0;
    }
    upstream_state up = {round_trip_ms, 0};
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, n + 1);
    caller callers[MAX_CALLERS];
    pthread_t threads[MAX_CALLERS];
    unsigned started = 0;
    for (; started < n; started++) {
        callers[started] = (caller){cache, &up, m, &start, 0};
        if (pthread_create(&threads[started], NULL, encrypt_once, &callers[started]) != 0) {
            fprintf(stderr, "pthread_create failed after %u threads\n", started);
            exit(EXIT_FAILURE); /* the barrier would never open */
        }
    }
    pthread_barrier_wait(&start);
    uint64_t t0 = now_ns();
    int ok = 1;
    for (unsigned i = 0; i < started; i++) {
        pthread_join(threads[i], NULL);
        ok &= callers[i].ok;
    }
    uint64_t elapsed = now_ns() - t0;
    pthread_barrier_destroy(&start);
    dek_cache_free(cache);
    *calls = atomic_load(&up.calls);
    return ok ? elapsed : 0;
}

static uint64_t best_burst_ns(unsigned n, uint64_t m, unsigned round_trip_ms, unsigned repeats,
                              int *calls)
{
    uint64_t best = 0;
    for (unsigned r = 0; r < repeats; r++) {
        int these_calls = 0;
        uint64_t t = burst_ns(n, m, round_trip_ms, &these_calls);
        if (t == 0) {
            return 0;
        }
        if (best == 0 || t < best) {
            best = t;
            *calls = these_calls; /* the best burst's own count */
        }
    }
    return best;
}

int main(int argc, char **argv)
{
    unsigned round_trip_ms = 20, repeats = 5;
    int opt;
    while ((opt = getopt(argc, argv, "l:r:")) != -1) {
        if (opt == 'l') {
            round_trip_ms = (unsigned)strtoul(optarg, NULL, 10);
        } else if (opt == 'r') {
            repeats = (unsigned)strtoul(optarg, NULL, 10);
        } else {
            fprintf(stderr, "usage: %s [-l round_trip_ms] [-r repeats]\n", argv[0]);
            return 2;
        }
    }
    if (round_trip_ms == 0 || round_trip_ms > 10000 || repeats == 0 || repeats > 100) {
        fprintf(stderr, "round trip 1..10000 ms, repeats 1..100\n");
        return 2;
    }
    int calls = 0;
    uint64_t one = best_burst_ns(1, 10, round_trip_ms, repeats, &calls);
    if (one == 0) {
        return 1;
    }
    printf("baseline: 1 caller, cold cache: %.1f ms (1 upstream call)\n", one / 1e6);
    static const struct {
        unsigned callers;
        uint64_t limit;
    } cases[] = {{10, 5}, {16, 10}, {64, 10}, {100, 10}, {256, 16}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned n = cases[i].callers;
        uint64_t m = cases[i].limit;
        uint64_t t = best_burst_ns(n, m, round_trip_ms, repeats, &calls);
        if (t == 0) {
            fprintf(stderr, "a burst of %u failed\n", n);
            return 1;
        }
        printf("%3u callers, limit %2llu: %6.1f ms  %4.2f round trips  upstream calls %3d "
               "(ceil(N/M) = %llu)\n",
               n, (unsigned long long)m, t / 1e6, (double)t / (double)one, calls,
               (unsigned long long)((n + m - 1) / m));
    }
    return 0;
}
