/*
 * provider_evp_bench: 1 KiB messages through the DEKCACHE cipher with EVP, all
 * layers included (provider, materials, cache, message format), wrapping keys
 * from dekcache-kms-local over real HTTP on 127.0.0.1.
 *
 *   provider_evp_bench [-d seconds] [-r repeats] [-t threads] [-s size]
 *                      [-p messages | -q messages]
 *
 * Prints, each beside a baseline measured in the same run:
 *  - encryptions/s on a warm cache for 1, 2 and -t threads (default 2), against
 *    bare AES-256-GCM encryptions of the same size with EVP (a key and a random
 *    IV set per message, tag read back) on as many threads;
 *  - decryptions/s of messages whose data keys are cached, likewise;
 *  - KMS calls per 10,000 messages at the default cache limits (a fresh
 *    provider instance each, counted by the server's /_control/stats).
 * Each figure is the best of `repeats` runs of `seconds`.
 *
 * -p N (-q N): encrypt (decrypt) N messages on one thread on a warm cache and
 * nothing else; the loop is `profile_hit_path`, for
 * valgrind --tool=callgrind '--toggle-collect=profile_hit_path*'.
 */
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "include/dekcache.h"
#include "kms_fixture.h"
#include "provider_fixture.h"

#define MAX_THREADS 64
#define OUT_CAP     (64 * 1024)
#define RING        256 /* ciphertexts decrypted in turn */

typedef struct {
    double seconds;
    unsigned repeats;
    unsigned threads;
    size_t size;
    unsigned long profile_messages;
    int profile_decrypt;
} options;

static kms_fixture_server server;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    char err[2048];
    fprintf(stderr, "provider_evp_bench: %s failed: %s\n", what,
            fixture_last_error(err, sizeof(err)));
    if (server.pid > 0)
        kms_fixture_stop(&server);
    exit(1);
}

/* ---- the operations timed ---- */

typedef struct {
    const provider_fixture *fx;
    const unsigned char *plain;
    size_t size;
    unsigned char **ring; /* ciphertexts decrypted in turn */
    size_t *ring_len;
    unsigned long ring_size;
    unsigned long next;
    EVP_CIPHER *gcm;
    unsigned char bare_iv[12], bare_tag[16];
    unsigned char out[OUT_CAP], bare_ct[OUT_CAP];
} worker;

/* One whole message as an application sends it: a new context, init with
 * the declared length (which lets the cache serve it), update, final. */
static int dekcache_encrypt(worker *w, unsigned char *out, size_t *out_len)
{
    uint64_t declared = w->size;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_uint64(DEKCACHE_PARAM_PLAINTEXT_LENGTH, &declared),
                           OSSL_PARAM_construct_end()};
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0, fin = 0;
    int ok = ctx != NULL &&
             EVP_EncryptInit_ex2(ctx, w->fx->cipher, (const unsigned char *)"", NULL, params) &&
             EVP_EncryptUpdate(ctx, out, &n, w->plain, (int)w->size) &&
             EVP_EncryptFinal_ex(ctx, out + n, &fin);
    EVP_CIPHER_CTX_free(ctx);
    *out_len = (size_t)n + (size_t)fin;
    return ok;
}

static int step_encrypt(worker *w)
{
    size_t len;
    return dekcache_encrypt(w, w->out, &len);
}

static int step_decrypt(worker *w)
{
    unsigned long i = w->next++ % w->ring_size;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0, fin = 0;
    int ok = ctx != NULL &&
             EVP_DecryptInit_ex2(ctx, w->fx->cipher, (const unsigned char *)"", NULL, NULL) &&
             EVP_DecryptUpdate(ctx, w->out, &n, w->ring[i], (int)w->ring_len[i]) &&
             EVP_DecryptFinal_ex(ctx, w->out + n, &fin) && (size_t)(n + fin) == w->size;
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}

/* The bare primitive: one AES-256-GCM encryption with its own context, key
 * schedule, random IV and tag. */
static const unsigned char bare_key[32] = {1};

static int step_bare_encrypt(worker *w)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0, fin = 0;
    int ok = ctx != NULL && RAND_bytes(w->bare_iv, sizeof(w->bare_iv)) == 1 &&
             EVP_EncryptInit_ex2(ctx, w->gcm, bare_key, w->bare_iv, NULL) &&
             EVP_EncryptUpdate(ctx, w->bare_ct, &n, w->plain, (int)w->size) &&
             EVP_EncryptFinal_ex(ctx, w->bare_ct + n, &fin) &&
             EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, w->bare_tag);
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}

/* Decrypts what the worker's last bare encryption produced, tag checked. */
static int step_bare_decrypt(worker *w)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0, fin = 0;
    int ok = ctx != NULL && EVP_DecryptInit_ex2(ctx, w->gcm, bare_key, w->bare_iv, NULL) &&
             EVP_DecryptUpdate(ctx, w->out, &n, w->bare_ct, (int)w->size) &&
             EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, 16, w->bare_tag) &&
             EVP_DecryptFinal_ex(ctx, w->out + n, &fin);
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}

typedef int (*step_fn)(worker *w);

/* ---- timing: `threads` workers run `step` for `seconds`; best of repeats ---- */

typedef struct {
    worker *w;
    step_fn step;
    double seconds;
    unsigned long count;
    int failed;
} run_arg;

static void *run_thread(void *p)
{
    run_arg *a = p;
    double start = now();
    do {
        for (int i = 0; i < 32; i++) {
            if (!a->step(a->w)) {
                a->failed = 1;
                return NULL;
            }
        }
        a->count += 32;
    } while (now() - start < a->seconds);
    return NULL;
}

static double rate(const options *o, worker *workers, unsigned threads, step_fn step)
{
    double best = 0;
    for (unsigned r = 0; r < o->repeats; r++) {
        pthread_t tids[MAX_THREADS];
        run_arg args[MAX_THREADS];
        double start = now();
        for (unsigned t = 0; t < threads; t++) {
            args[t] = (run_arg){&workers[t], step, o->seconds, 0, 0};
            if (pthread_create(&tids[t], NULL, run_thread, &args[t]) != 0)
                die("pthread_create");
        }
        unsigned long total = 0;
        for (unsigned t = 0; t < threads; t++) {
            pthread_join(tids[t], NULL);
            if (args[t].failed)
                die("a timed operation");
            total += args[t].count;
        }
        double per_s = (double)total / (now() - start);
        if (per_s > best)
            best = per_s;
    }
    return best;
}

/* ---- KMS calls of a fresh provider instance over `messages` messages ---- */

static long op_calls(const char *op)
{
    kms_fixture_stats stats;
    if (kms_fixture_stats_get(&server, &stats) != 0)
        die("reading /_control/stats");
    const kms_fixture_op_stats *s = kms_fixture_stats_op(&stats, op);
    return s == NULL ? -1 : s->calls;
}

static int start_provider(provider_fixture *fx)
{
    char lines[512];
    snprintf(lines, sizeof(lines), "kms_endpoint = %s\nregion = %s\nkey_id = %s\n", server.endpoint,
             KMS_LOCAL_DEFAULT_REGION, KMS_LOCAL_DEFAULT_ALIAS);
    return provider_fixture_start(fx, lines);
}

/* Encrypts `messages` messages on a fresh provider instance (cold cache),
 * then decrypts them all on another; counts the KMS calls of each half. */
static void count_kms_calls(const worker *proto, unsigned long messages)
{
    provider_fixture fx;
    worker *w = calloc(1, sizeof(*w));
    unsigned char **cts = calloc(messages, sizeof(*cts));
    size_t *lens = calloc(messages, sizeof(*lens));
    if (w == NULL || cts == NULL || lens == NULL || !start_provider(&fx) ||
        kms_fixture_reset(&server) != 0)
        die("count setup");
    *w = *proto;
    w->fx = &fx;
    for (unsigned long i = 0; i < messages; i++) {
        if (!dekcache_encrypt(w, w->out, &lens[i]) || (cts[i] = malloc(lens[i])) == NULL)
            die("encrypting for the KMS count");
        memcpy(cts[i], w->out, lens[i]);
    }
    long generate = op_calls("GenerateDataKey"), encrypt_ops = op_calls("Encrypt");
    provider_fixture_stop(&fx);

    if (!start_provider(&fx) || kms_fixture_reset(&server) != 0)
        die("loading a fresh provider");
    w->ring = cts;
    w->ring_len = lens;
    w->ring_size = messages;
    w->next = 0;
    for (unsigned long i = 0; i < messages; i++) {
        if (!step_decrypt(w))
            die("decrypting for the KMS count");
    }
    long decrypt = op_calls("Decrypt");
    provider_fixture_stop(&fx);
    printf("KMS calls per %lu messages, default limits (cache_max_messages 1000, "
           "cache_max_age 300 s), cold cache:\n"
           "  encrypt: GenerateDataKey %ld, Encrypt %ld (%.0f messages per call)\n"
           "  decrypt of those messages: Decrypt %ld\n",
           messages, generate, encrypt_ops, (double)messages / (double)(generate + encrypt_ops),
           decrypt);
    for (unsigned long i = 0; i < messages; i++)
        free(cts[i]);
    free(cts);
    free(lens);
    free(w);
}

/* ---- setup ---- */

static void parse(int argc, char **argv, options *o)
{
    *o = (options){0.5, 3, 2, 1024, 0, 0};
    int c;
    while ((c = getopt(argc, argv, "d:r:t:s:p:q:")) != -1) {
        switch (c) {
        case 'd':
            o->seconds = atof(optarg);
            break;
        case 'r':
            o->repeats = (unsigned)atoi(optarg);
            break;
        case 't':
            o->threads = (unsigned)atoi(optarg);
            break;
        case 's':
            o->size = (size_t)atol(optarg);
            break;
        case 'q':
            o->profile_decrypt = 1; /* fall through */
        case 'p':
            o->profile_messages = strtoul(optarg, NULL, 10);
            break;
        default:
            fprintf(stderr,
                    "usage: %s [-d seconds] [-r repeats] [-t threads] [-s size] "
                    "[-p messages | -q messages]\n",
                    argv[0]);
            exit(2);
        }
    }
    if (o->seconds <= 0 || o->repeats < 1 || o->threads < 1 || o->threads > MAX_THREADS ||
        o->size < 1 || o->size > 16384) {
        fprintf(stderr, "provider_evp_bench: bad option value\n");
        exit(2);
    }
}

static void start_server(void)
{
    setenv("AWS_ACCESS_KEY_ID", KMS_LOCAL_DEFAULT_ACCESS_KEY_ID, 1);
    setenv("AWS_SECRET_ACCESS_KEY", KMS_LOCAL_DEFAULT_SECRET_KEY, 1);
    setenv("AWS_REGION", KMS_LOCAL_DEFAULT_REGION, 1);
    unsetenv("AWS_SESSION_TOKEN");
    setenv("DEKCACHE_MODULE_DIR", DEKCACHE_BENCH_MODULE_DIR, 0);
    kms_fixture_options opts = {0};
    if (kms_fixture_start(&opts, &server) != 0)
        die("starting dekcache-kms-local");
}

/* Encrypts the ciphertexts the decryption runs go through (warm: their data
 * keys are cached by the encryptions, then by the first decryptions). */
static void make_ring(worker *proto, unsigned char **ring, size_t *ring_len)
{
    for (unsigned i = 0; i < RING; i++) {
        ring[i] = malloc(OUT_CAP);
        if (ring[i] == NULL || !dekcache_encrypt(proto, ring[i], &ring_len[i]))
            die("encrypting the decryption set");
    }
    proto->ring = ring;
    proto->ring_len = ring_len;
    proto->ring_size = RING;
    for (unsigned i = 0; i < RING; i++) {
        if (!step_decrypt(proto))
            die("warming the decryption cache");
    }
}

/* The loop callgrind collects with --toggle-collect=profile_hit_path. */
__attribute__((noinline)) static void profile_hit_path(worker *w, step_fn step,
                                                       unsigned long messages)
{
    for (unsigned long i = 0; i < messages; i++) {
        if (!step(w))
            die("profiled encryption");
    }
}

static void print_pair(const char *what, unsigned threads, double ours, double bare)
{
    printf("%-8s %2u thread%s  dekcache %10.0f/s (%8.0f/s per thread)  bare AES-256-GCM "
           "%10.0f/s  ratio %.4f\n",
           what, threads, threads == 1 ? " " : "s", ours, ours / threads, bare, ours / bare);
}

int main(int argc, char **argv)
{
    options o;
    parse(argc, argv, &o);
    start_server();
    provider_fixture fx;
    if (!start_provider(&fx))
        die("loading the provider");
    static worker workers[MAX_THREADS];
    unsigned char *plain = malloc(o.size);
    EVP_CIPHER *gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
    if (plain == NULL || gcm == NULL || RAND_bytes(plain, (int)o.size) != 1)
        die("setup");
    static unsigned char *ring[RING];
    static size_t ring_len[RING];
    workers[0] = (worker){.fx = &fx, .plain = plain, .size = o.size, .gcm = gcm};
    make_ring(&workers[0], ring, ring_len); /* also warms the encryption cache */
    if (!step_bare_encrypt(&workers[0]))
        die("bare AES-256-GCM");
    for (unsigned t = 1; t < MAX_THREADS; t++) {
        workers[t] = workers[0];
        workers[t].next = t * 17;
    }

    if (o.profile_messages > 0) {
        profile_hit_path(&workers[0], o.profile_decrypt ? step_decrypt : step_encrypt,
                         o.profile_messages);
    } else {
        printf("provider_evp_bench: %zu-byte messages, suite 0x0478, KMS %s, %ld cores, "
               "best of %u x %.2f s\n",
               o.size, server.endpoint, sysconf(_SC_NPROCESSORS_ONLN), o.repeats, o.seconds);
        unsigned counts[3] = {1, 2, o.threads};
        unsigned n_counts = o.threads > 2 ? 3 : 2;
        for (unsigned i = 0; i < n_counts; i++)
            print_pair("encrypt", counts[i], rate(&o, workers, counts[i], step_encrypt),
                       rate(&o, workers, counts[i], step_bare_encrypt));
        for (unsigned i = 0; i < n_counts; i++)
            print_pair("decrypt", counts[i], rate(&o, workers, counts[i], step_decrypt),
                       rate(&o, workers, counts[i], step_bare_decrypt));
        count_kms_calls(&workers[0], 10000);
    }

    for (unsigned i = 0; i < RING; i++)
        free(ring[i]);
    EVP_CIPHER_free(gcm);
    free(plain);
    provider_fixture_stop(&fx);
    return kms_fixture_stop(&server) == 0 ? 0 : 1;
}
