#include "kms_fixture_load.h"

#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_CLIENTS 256

typedef struct {
    const kms_fixture_server *srv;
    const kms_load_options *opts;
    int index;
    double start_s;
    long requests, failures;
    double *latencies_ms; /* one per request */
    long n_latencies, cap_latencies;
} load_worker;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void record(load_worker *w, double ms)
{
    if (w->n_latencies == w->cap_latencies) {
        long cap = w->cap_latencies ? w->cap_latencies * 2 : 1024;
        double *grown = realloc(w->latencies_ms, (size_t)cap * sizeof(double));
        if (grown == NULL)
            return;
        w->latencies_ms = grown;
        w->cap_latencies = cap;
    }
    w->latencies_ms[w->n_latencies++] = ms;
}

/* One timed call; returns the parsed 200 response or NULL. */
static json_object *timed_call(load_worker *w, kms_fixture_client *c, const char *op,
                               const char *body)
{
    kms_fixture_response r = {0, NULL};
    double t0 = now_s();
    int rc = kms_fixture_client_call(c, w->opts->creds, op, body, &r);
    record(w, (now_s() - t0) * 1000.0);
    json_object *o = rc == 0 && r.status == 200 && r.body ? json_tokener_parse(r.body) : NULL;
    kms_fixture_response_free(&r);
    w->requests += o != NULL;
    return o;
}

static const char *field(json_object *o, const char *name)
{
    json_object *v;
    return o && json_object_object_get_ex(o, name, &v) ? json_object_get_string(v) : "";
}

/* GenerateDataKey then Decrypt under a context naming this pair; returns 1 when
 * both answered and the decrypted key is the generated one. */
static int one_pair(load_worker *w, kms_fixture_client *c, long seq)
{
    char body[8192], context[96];
    snprintf(context, sizeof(context), "{\"client\":\"%d\",\"seq\":\"%ld\"}", w->index, seq);
    snprintf(body, sizeof(body),
             "{\"KeyId\":\"%s\",\"KeySpec\":\"AES_256\",\"EncryptionContext\":%s}", w->opts->key_id,
             context);
    json_object *g = timed_call(w, c, "GenerateDataKey", body);
    if (g == NULL)
        return 0;
    snprintf(body, sizeof(body), "{\"CiphertextBlob\":\"%s\",\"EncryptionContext\":%s}",
             field(g, "CiphertextBlob"), context);
    json_object *d = timed_call(w, c, "Decrypt", body);
    int ok = d != NULL && strlen(field(g, "Plaintext")) == 44 &&
             strcmp(field(g, "Plaintext"), field(d, "Plaintext")) == 0 &&
             strcmp(field(g, "KeyId"), field(d, "KeyId")) == 0;
    json_object_put(g);
    json_object_put(d);
    return ok;
}

static void *run_worker(void *arg)
{
    load_worker *w = arg;
    kms_fixture_client *c = kms_fixture_client_new(w->srv);
    if (c == NULL) {
        w->failures++;
        return NULL;
    }
    double deadline = w->start_s + (double)w->opts->duration_ms / 1000.0;
    for (long seq = 0; seq < w->opts->max_pairs_per_client && now_s() < deadline; seq++)
        if (!one_pair(w, c, seq))
            w->failures++;
    kms_fixture_client_free(c);
    return NULL;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void summarize(load_worker *workers, int n, double elapsed, kms_load_result *out)
{
    long total = 0;
    memset(out, 0, sizeof(*out));
    for (int i = 0; i < n; i++) {
        out->requests += workers[i].requests;
        out->failures += workers[i].failures;
        total += workers[i].n_latencies;
    }
    double *all = malloc((size_t)(total ? total : 1) * sizeof(double));
    long k = 0;
    for (int i = 0; all && i < n; i++)
        for (long j = 0; j < workers[i].n_latencies; j++)
            all[k++] = workers[i].latencies_ms[j];
    if (all && k > 0) {
        qsort(all, (size_t)k, sizeof(double), compare_doubles);
        out->p50_ms = all[k / 2];
        out->p99_ms = all[(k * 99) / 100];
    }
    free(all);
    out->elapsed_s = elapsed;
    out->requests_per_s = elapsed > 0 ? (double)out->requests / elapsed : 0;
}

int kms_load_run(const kms_fixture_server *srv, const kms_load_options *opts, kms_load_result *out)
{
    pthread_t threads[MAX_CLIENTS];
    int n = opts->clients;
    if (n < 1 || n > MAX_CLIENTS)
        return -1;
    load_worker *workers = calloc((size_t)n, sizeof(*workers));
    if (workers == NULL)
        return -1;
    int started = 0;
    double t0 = now_s();
    for (; started < n; started++) {
        workers[started] = (load_worker){.srv = srv, .opts = opts, .index = started, .start_s = t0};
        if (pthread_create(&threads[started], NULL, run_worker, &workers[started]) != 0)
            break;
    }
    for (int i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    summarize(workers, started, now_s() - t0, out);
    if (started < n)
        out->failures += n - started;
    for (int i = 0; i < n; i++)
        free(workers[i].latencies_ms);
    free(workers);
    return 0;
}
