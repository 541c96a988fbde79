#include "parallel_encrypt.h"

#include <openssl/crypto.h>
#include <openssl/params.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "include/dekcache.h"
#include "message/header.h"
#include "test/support/start_gate.h"

#define EDK_PREFIX 64

typedef struct {
    const provider_fixture *fx;
    int per_thread;
    start_gate start;
    pthread_mutex_t lock;
    unsigned char (*edks)[EDK_PREFIX];
    size_t count;
    int failures;
} run_state;

/* The first EDK's ciphertext (its first 64 bytes), or 0 if the header does not parse. */
static int first_edk(const unsigned char *ct, size_t ct_len, unsigned char out[EDK_PREFIX])
{
    esdk_header header;
    size_t consumed;
    if (esdk_header_parse(ct, ct_len, NULL, &header, &consumed, NULL, 0) != ESDK_OK)
        return 0;
    int ok = header.edks.count == 1;
    if (ok) {
        const esdk_edk *edk = &header.edks.items[0];
        memset(out, 0, EDK_PREFIX);
        memcpy(out, edk->ciphertext,
               edk->ciphertext_len < EDK_PREFIX ? edk->ciphertext_len : EDK_PREFIX);
    }
    esdk_header_clear(&header);
    return ok;
}

static void *worker(void *arg)
{
    run_state *run = arg;
    unsigned char plain[1024] = {7};
    uint64_t declared = sizeof(plain);
    OSSL_PARAM params[] = {OSSL_PARAM_construct_uint64(DEKCACHE_PARAM_PLAINTEXT_LENGTH, &declared),
                           OSSL_PARAM_construct_end()};
    if (!start_gate_wait(&run->start))
        return NULL;
    for (int i = 0; i < run->per_thread; i++) {
        unsigned char *ct = NULL, edk[EDK_PREFIX];
        size_t ct_len = 0;
        int ok = fixture_cipher(run->fx, 1, params, plain, sizeof(plain), NULL, 0, &ct, &ct_len) &&
                 first_edk(ct, ct_len, edk);
        OPENSSL_free(ct);
        pthread_mutex_lock(&run->lock);
        if (ok)
            memcpy(run->edks[run->count++], edk, EDK_PREFIX);
        else
            run->failures++;
        pthread_mutex_unlock(&run->lock);
    }
    return NULL;
}

static int compare_edk(const void *a, const void *b)
{
    return memcmp(a, b, EDK_PREFIX);
}

static void summarise(run_state *run, key_usage *out)
{
    qsort(run->edks, run->count, EDK_PREFIX, compare_edk);
    size_t streak = 0;
    for (size_t i = 0; i < run->count; i++) {
        int same = i > 0 && memcmp(run->edks[i], run->edks[i - 1], EDK_PREFIX) == 0;
        streak = same ? streak + 1 : 1;
        out->distinct_keys += !same;
        if (streak > out->busiest_key)
            out->busiest_key = streak;
    }
    out->messages = run->count;
    out->failures = run->failures;
}

/* Returns how many of the threads started; the reason for the first that did
 * not is on stderr. */
static int start_workers(run_state *run, pthread_t *ids, int threads)
{
    for (int i = 0; i < threads; i++) {
        int rc = pthread_create(&ids[i], NULL, worker, run);
        if (rc != 0) {
            fprintf(stderr, "parallel_encrypt: cannot create thread %d of %d: %s\n", i + 1, threads,
                    strerror(rc));
            return i;
        }
    }
    return threads;
}

void parallel_encrypt(const provider_fixture *fx, int threads, int per_thread, key_usage *out)
{
    memset(out, 0, sizeof(*out));
    run_state run = {.fx = fx, .per_thread = per_thread};
    run.edks = calloc((size_t)threads * (size_t)per_thread, EDK_PREFIX);
    pthread_t *ids = calloc((size_t)threads, sizeof(*ids));
    int started = 0;
    start_gate_init(&run.start);
    pthread_mutex_init(&run.lock, NULL);
    if (run.edks != NULL && ids != NULL)
        started = start_workers(&run, ids, threads);
    start_gate_release(&run.start, started, threads);
    for (int i = 0; i < started; i++)
        pthread_join(ids[i], NULL);
    if (started == threads)
        summarise(&run, out);
    else /* the gate was called off: no message was made */
        out->failures = threads * per_thread;
    pthread_mutex_destroy(&run.lock);
    start_gate_destroy(&run.start);
    free(ids);
    free(run.edks);
}
