/*
 * cache_bench: hit-path operations per second of dek_cache_get_encryption,
 * for one hot key shared by all threads, for one key per thread (distinct keys
 * on distinct stripes) and for many keys drawn at random, with one stripe and
 * with the default stripe count, at each requested thread count. Every figure is printed with
 * its ratio to a baseline measured in the same run: one pthread mutex around an
 * open-addressing hash lookup of the same 64-byte IDs plus a usage counter.
 *
 *   cache_bench [-t 1,2,4,8,16] [-d seconds] [-r repeats] [-k keys] [-b blob_bytes]
 *
 * Each figure is the best of `repeats` runs of `seconds` each: on a shared
 * machine the best run is the one least disturbed by other processes.
 */
#include "cache/dek_cache.h"
#include "cache/dek_cache_id.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 256
#define BATCH       1024
#define SECOND      1000000000ull

typedef struct {
    unsigned threads[32];
    unsigned thread_counts;
    double seconds;
    unsigned repeats;
    unsigned keys;
    size_t blob_len;
} options;

/* ---- the baseline: bare mutex + hash lookup + counter ---- */

typedef struct {
    dek_cache_id id;
    uint64_t uses;
    int used;
} baseline_slot;

typedef struct {
    pthread_mutex_t lock;
    baseline_slot *slots;
    size_t mask;
} baseline_table;

static uint64_t id_hash(const dek_cache_id *id)
{
    uint64_t h;
    memcpy(&h, id->bytes, sizeof(h));
    return h;
}

static baseline_slot *baseline_find(baseline_table *t, const dek_cache_id *id, int insert)
{
    for (size_t i = id_hash(id) & t->mask;; i = (i + 1) & t->mask) {
        baseline_slot *s = &t->slots[i];
        if (!s->used) {
            if (!insert) {
                return NULL;
            }
            s->used = 1;
            s->id = *id;
            return s;
        }
        if (memcmp(s->id.bytes, id->bytes, sizeof(id->bytes)) == 0) {
            return s;
        }
    }
}

/* ---- workload ---- */

/* A key set: every thread draws from all keys, or thread i uses key i only. */
typedef struct {
    const char *name;
    const dek_cache_id *ids;
    unsigned key_count;
    int per_thread;
} key_set;

typedef enum { RUN_BASELINE, RUN_CACHE } run_kind;

typedef struct {
    run_kind kind;
    baseline_table *baseline;
    dek_cache *cache;
    const dek_cache_id *ids;
    unsigned key_count;
    size_t blob_len;
    pthread_barrier_t *start;
    _Atomic int *stop;
    uint64_t seed;
    uint64_t ops;
    uint64_t failures;
    double cpu_seconds;
} worker;

static int bench_upstream(void *arg, dek_cache_value *out, char *detail, size_t detail_cap)
{
    (void)detail;
    (void)detail_cap;
    size_t len = *(const size_t *)arg;
    unsigned char *blob = dek_cache_value_reserve(out, len);
    if (blob == NULL) {
        return 1;
    }
    memset(blob, 0x5A, len);
    return 0;
}

static unsigned next_key(worker *w)
{
    w->seed ^= w->seed << 13;
    w->seed ^= w->seed >> 7;
    w->seed ^= w->seed << 17;
    return (unsigned)(w->seed % w->key_count);
}

static void baseline_batch(worker *w)
{
    for (int i = 0; i < BATCH; i++) {
        const dek_cache_id *id = &w->ids[next_key(w)];
        pthread_mutex_lock(&w->baseline->lock);
        baseline_slot *s = baseline_find(w->baseline, id, 0);
        if (s != NULL) {
            s->uses++;
        } else {
            w->failures++;
        }
        pthread_mutex_unlock(&w->baseline->lock);
    }
}

static void cache_batch(worker *w, unsigned char *out, size_t out_cap)
{
    dek_cache_enc_request req = {1024, dek_cache_limits_default(3600 * SECOND)};
    dek_cache_result result;
    size_t len;
    for (int i = 0; i < BATCH; i++) {
        const dek_cache_id *id = &w->ids[next_key(w)];
        if (dek_cache_get_encryption(w->cache, id, &req, bench_upstream, &w->blob_len, out, out_cap,
                                     &len, &result) != DEK_CACHE_OK ||
            result.source != DEK_CACHE_SOURCE_HIT) {
            w->failures++;
        }
    }
}

static double thread_cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    unsigned char out[4096];
    pthread_barrier_wait(w->start);
    double cpu0 = thread_cpu_seconds();
    while (!atomic_load_explicit(w->stop, memory_order_relaxed)) {
        if (w->kind == RUN_BASELINE) {
            baseline_batch(w);
        } else {
            cache_batch(w, out, sizeof(out));
        }
        w->ops += BATCH;
    }
    w->cpu_seconds = thread_cpu_seconds() - cpu0;
    return NULL;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Operations per wall-clock second, and per CPU-second the workers got: on a
 * shared machine the second is the per-core figure, whatever else runs. */
typedef struct {
    double wall;
    double per_cpu;
} rate;

/* Runs one configuration once; rates are 0 on failure. */
static rate measure_once(run_kind kind, baseline_table *baseline, dek_cache *cache,
                         const key_set *set, unsigned threads, const options *opt)
{
    pthread_t tids[MAX_THREADS];
    worker workers[MAX_THREADS];
    pthread_barrier_t start;
    _Atomic int stop = 0;
    pthread_barrier_init(&start, NULL, threads + 1);
    for (unsigned i = 0; i < threads; i++) {
        workers[i] = (worker){.kind = kind,
                              .baseline = baseline,
                              .cache = cache,
                              .ids = set->per_thread ? &set->ids[i] : set->ids,
                              .key_count = set->per_thread ? 1 : set->key_count,
                              .blob_len = opt->blob_len,
                              .start = &start,
                              .stop = &stop,
                              .seed = 0x9E3779B97F4A7C15ull * (i + 1)};
        pthread_create(&tids[i], NULL, worker_main, &workers[i]);
    }
    pthread_barrier_wait(&start);
    double t0 = now_seconds();
    struct timespec nap = {(time_t)opt->seconds,
                           (long)((opt->seconds - (double)(time_t)opt->seconds) * 1e9)};
    nanosleep(&nap, NULL);
    atomic_store(&stop, 1);
    uint64_t ops = 0, failures = 0;
    double cpu = 0;
    for (unsigned i = 0; i < threads; i++) {
        pthread_join(tids[i], NULL);
        ops += workers[i].ops;
        failures += workers[i].failures;
        cpu += workers[i].cpu_seconds;
    }
    double elapsed = now_seconds() - t0;
    pthread_barrier_destroy(&start);
    if (failures != 0) {
        fprintf(stderr, "cache_bench: %llu operations missed the hit path\n",
                (unsigned long long)failures);
        return (rate){0, 0};
    }
    return (rate){(double)ops / elapsed, cpu > 0 ? (double)ops / cpu : 0};
}

static rate measure(run_kind kind, baseline_table *baseline, dek_cache *cache, const key_set *set,
                    unsigned threads, const options *opt)
{
    rate best = {0, 0};
    for (unsigned r = 0; r < opt->repeats; r++) {
        rate once = measure_once(kind, baseline, cache, set, threads, opt);
        if (once.wall == 0) {
            return once;
        }
        best.wall = once.wall > best.wall ? once.wall : best.wall;
        best.per_cpu = once.per_cpu > best.per_cpu ? once.per_cpu : best.per_cpu;
    }
    return best;
}

static dek_cache *warm_cache(unsigned stripes, const dek_cache_id *ids, unsigned key_count,
                             const options *opt)
{
    /* The same capacity for every key set, so "default stripes" means the same
     * count; twice the keys keeps every stripe free of eviction. */
    dek_cache_config cfg = {.capacity = (size_t)opt->keys * 2, .stripes = stripes};
    dek_cache *cache = NULL;
    char detail[128];
    if (dek_cache_new(&cfg, &cache, detail, sizeof(detail)) != DEK_CACHE_OK) {
        fprintf(stderr, "cache_bench: %s\n", detail);
        exit(1);
    }
    dek_cache_enc_request req = {1024, dek_cache_limits_default(3600 * SECOND)};
    unsigned char out[4096];
    size_t len;
    dek_cache_result result;
    for (unsigned k = 0; k < key_count; k++) {
        dek_cache_get_encryption(cache, &ids[k], &req, bench_upstream, (void *)&opt->blob_len, out,
                                 sizeof(out), &len, &result);
    }
    return cache;
}

static baseline_table *baseline_new(const dek_cache_id *ids, unsigned key_count)
{
    baseline_table *t = calloc(1, sizeof(*t));
    size_t size = 16;
    while (size < (size_t)key_count * 2) {
        size <<= 1;
    }
    t->slots = calloc(size, sizeof(*t->slots));
    t->mask = size - 1;
    pthread_mutex_init(&t->lock, NULL);
    for (unsigned k = 0; k < key_count; k++) {
        baseline_find(t, &ids[k], 1);
    }
    return t;
}

static void baseline_free(baseline_table *t)
{
    pthread_mutex_destroy(&t->lock);
    free(t->slots);
    free(t);
}

static void random_ids(dek_cache_id *ids, unsigned count)
{
    uint64_t x = 0x243F6A8885A308D3ull;
    for (unsigned k = 0; k < count; k++) {
        for (size_t i = 0; i < sizeof(ids[k].bytes); i++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            ids[k].bytes[i] = (unsigned char)(x >> 56);
        }
    }
}

static double single_thread_ref[3][3]; /* [key set][baseline, 1 stripe, default] */

static void run_key_set(int set_index, const key_set *set, const options *opt)
{
    baseline_table *baseline = baseline_new(set->ids, set->key_count);
    dek_cache *one = warm_cache(1, set->ids, set->key_count, opt);
    dek_cache *striped = warm_cache(0, set->ids, set->key_count, opt);
    static const char *names[3] = {"baseline mutex+hash+counter", "dek_cache 1 stripe",
                                   "dek_cache default stripes"};
    for (unsigned t = 0; t < opt->thread_counts; t++) {
        unsigned threads = opt->threads[t];
        rate rates[3] = {measure(RUN_BASELINE, baseline, NULL, set, threads, opt),
                         measure(RUN_CACHE, NULL, one, set, threads, opt),
                         measure(RUN_CACHE, NULL, striped, set, threads, opt)};
        for (int r = 0; r < 3; r++) {
            if (threads == 1) {
                single_thread_ref[set_index][r] = rates[r].wall;
            }
            double ref = single_thread_ref[set_index][r];
            printf(
                "%-10s %3u  %-28s %8.2f M/s x%5.2f base x%5.2f 1-thr | %7.2f M/cpu-s x%5.2f base\n",
                set->name, threads, names[r], rates[r].wall / 1e6, rates[r].wall / rates[0].wall,
                ref > 0 ? rates[r].wall / ref : 0.0, rates[r].per_cpu / 1e6,
                rates[r].per_cpu / rates[0].per_cpu);
        }
    }
    printf("           (default stripes = %u)\n", dek_cache_stripe_count(striped));
    dek_cache_free(one);
    dek_cache_free(striped);
    baseline_free(baseline);
}

static int parse_options(int argc, char **argv, options *opt)
{
    *opt = (options){{1, 2}, 2, 0.5, 3, 10000, 256};
    int c;
    while ((c = getopt(argc, argv, "t:d:r:k:b:")) != -1) {
        char *list, *tok, *save = NULL;
        switch (c) {
        case 't':
            opt->thread_counts = 0;
            list = optarg;
            for (tok = strtok_r(list, ",", &save); tok != NULL && opt->thread_counts < 32;
                 tok = strtok_r(NULL, ",", &save)) {
                unsigned n = (unsigned)strtoul(tok, NULL, 10);
                if (n == 0 || n > MAX_THREADS) {
                    return 0;
                }
                opt->threads[opt->thread_counts++] = n;
            }
            break;
        case 'd':
            opt->seconds = strtod(optarg, NULL);
            break;
        case 'r':
            opt->repeats = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 'k':
            opt->keys = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 'b':
            opt->blob_len = strtoul(optarg, NULL, 10);
            break;
        default:
            return 0;
        }
    }
    return opt->thread_counts > 0 && opt->seconds > 0 && opt->seconds < 600 && opt->repeats > 0 &&
           opt->repeats <= 100 && opt->keys > 0 && opt->blob_len > 0 && opt->blob_len <= 4096;
}

/* Cost of an encryption cache ID per message: two SHA-512s when the context
 * changes from one message to the next, the per-thread memo when it repeats. */
static double id_ns_per_op(int alternate, double seconds)
{
    dek_cache_partition partition;
    dek_cache_partition_from_name(NULL, "bench", 5, &partition);
    unsigned char ecs[2][128];
    memset(ecs[0], 'a', sizeof(ecs[0]));
    memset(ecs[1], 'b', sizeof(ecs[1]));
    dek_cache_id id;
    uint64_t ops = 0;
    double t0 = now_seconds(), elapsed = 0;
    while (elapsed < seconds) {
        for (int i = 0; i < 256; i++) {
            dek_cache_encryption_id(&partition, 0x0578, ecs[alternate ? i & 1 : 0], sizeof(ecs[0]),
                                    &id);
        }
        ops += 256;
        elapsed = now_seconds() - t0;
    }
    return elapsed * 1e9 / (double)ops;
}

static void report_id_cost(const options *opt)
{
    double fresh = id_ns_per_op(1, opt->seconds), repeated = id_ns_per_op(0, opt->seconds);
    printf("cache ID (128-byte context): %.0f ns when the context changes, %.0f ns when it "
           "repeats (per-thread memo), x%.1f\n",
           fresh, repeated, fresh / repeated);
}

static unsigned max_threads(const options *opt)
{
    unsigned most = 1;
    for (unsigned t = 0; t < opt->thread_counts; t++) {
        most = opt->threads[t] > most ? opt->threads[t] : most;
    }
    return most;
}

int main(int argc, char **argv)
{
    options opt;
    if (!parse_options(argc, argv, &opt)) {
        fprintf(stderr,
                "usage: %s [-t 1,2,4] [-d seconds] [-r repeats] [-k keys] [-b blob_bytes]\n",
                argv[0]);
        return 2;
    }
    printf("cache_bench: hit path of dek_cache_get_encryption, %zu-byte blobs, best of %u x %.2f s "
           "per figure, %ld CPUs online\n",
           opt.blob_len, opt.repeats, opt.seconds, sysconf(_SC_NPROCESSORS_ONLN));
    printf("columns: keys, threads, variant, ops/s (wall) with ratios to the baseline and to the "
           "same variant on 1 thread | ops per CPU-second the threads got, ratio to baseline\n");
    dek_cache_id *ids = calloc(opt.keys, sizeof(*ids));
    dek_cache_id own[MAX_THREADS];
    random_ids(ids, opt.keys);
    random_ids(own, MAX_THREADS);
    for (unsigned t = 0; t < MAX_THREADS; t++) {
        own[t].bytes[0] = (unsigned char)t; /* spreads threads over stripes */
    }
    char many[32];
    snprintf(many, sizeof(many), "%u keys", opt.keys);
    const key_set sets[3] = {
        {"1 hot key", ids, 1, 0}, {"own key", own, max_threads(&opt), 1}, {many, ids, opt.keys, 0}};
    for (int s = 0; s < 3; s++) {
        run_key_set(s, &sets[s], &opt);
    }
    report_id_cost(&opt);
    free(ids);
    return 0;
}
