/* KMS client throughput and latency against dekcache-kms-local on loopback,
 * with keep-alive connection reuse and (baseline, same run) with a fresh
 * connection for every call. Usage: kms_client_bench [threads] [calls/thread] */
#include "kms/client/backoff.h"
#include "kms/client/kms_client.h"
#include "kms_fixture.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    kms_client *client;
    int calls;
    double *latencies_us; /* this thread's slice */
    int failed;
} worker;

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void *run_worker(void *arg)
{
    worker *w = arg;
    char detail[512];
    for (int i = 0; i < w->calls; i++) {
        kms_client_result r = {0};
        double start = now_us();
        if (kms_client_generate_data_key(w->client, KMS_LOCAL_DEFAULT_ALIAS, 32, NULL, &r, detail,
                                         sizeof(detail)) != KMS_CLIENT_OK) {
            if (w->failed++ == 0) {
                fprintf(stderr, "call failed: %s\n", detail);
            }
        }
        w->latencies_us[i] = now_us() - start;
        kms_client_result_clear(&r);
    }
    return NULL;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct {
    double calls_per_s;
    double p50_us;
    double p99_us;
    long connections;
    int failed;
} figures;

static int measure(const kms_fixture_server *srv, int reuse, int threads, int calls, figures *out)
{
    kms_client_config config = {
        .region = KMS_LOCAL_DEFAULT_REGION,
        .endpoint = srv->endpoint,
        .access_key_id = KMS_LOCAL_DEFAULT_ACCESS_KEY_ID,
        .secret_access_key = KMS_LOCAL_DEFAULT_SECRET_KEY,
        .disable_connection_reuse = !reuse,
    };
    kms_client *client = NULL;
    char detail[512];
    kms_fixture_stats stats;
    if (kms_client_new(&config, &client, detail, sizeof(detail)) != KMS_CLIENT_OK) {
        fprintf(stderr, "%s\n", detail);
        return -1;
    }
    size_t total = (size_t)threads * (size_t)calls;
    double *lat = calloc(total, sizeof(double));
    worker *w = calloc((size_t)threads, sizeof(worker));
    pthread_t *tid = calloc((size_t)threads, sizeof(pthread_t));
    kms_fixture_reset(srv);
    double start = now_us();
    for (int i = 0; i < threads; i++) {
        w[i] = (worker){client, calls, lat + (size_t)i * (size_t)calls, 0};
        pthread_create(&tid[i], NULL, run_worker, &w[i]);
    }
    memset(out, 0, sizeof(*out));
    for (int i = 0; i < threads; i++) {
        pthread_join(tid[i], NULL);
        out->failed += w[i].failed;
    }
    double elapsed_s = (now_us() - start) / 1e6;
    qsort(lat, total, sizeof(double), by_value);
    out->calls_per_s = (double)total / elapsed_s;
    out->p50_us = lat[total / 2];
    out->p99_us = lat[total * 99 / 100];
    out->connections = kms_fixture_stats_get(srv, &stats) == 0 ? stats.kms_connections : -1;
    free(lat);
    free(w);
    free(tid);
    kms_client_free(client);
    return 0;
}

static void print_row(const char *name, const figures *f, const figures *base)
{
    printf("%-22s %10.0f %9.0f %9.0f %12ld %8.2fx\n", name, f->calls_per_s, f->p50_us, f->p99_us,
           f->connections, f->calls_per_s / base->calls_per_s);
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 4;
    int calls = argc > 2 ? atoi(argv[2]) : 1000;
    kms_fixture_server srv;
    figures reuse, fresh;
    if (threads <= 0 || calls <= 0 || kms_fixture_start(NULL, &srv) != 0) {
        fprintf(stderr, "usage: %s [threads] [calls per thread]; server must start\n", argv[0]);
        return 1;
    }
    /* A short warm-up, then the baseline, then the measured configuration. */
    int rc = measure(&srv, 1, threads, calls / 10 + 1, &reuse);
    rc = rc != 0 ? rc : measure(&srv, 0, threads, calls, &fresh);
    rc = rc != 0 ? rc : measure(&srv, 1, threads, calls, &reuse);
    kms_fixture_stop(&srv);
    if (rc != 0 || reuse.failed != 0 || fresh.failed != 0) {
        fprintf(stderr, "benchmark failed (%d + %d failed calls)\n", reuse.failed, fresh.failed);
        return 1;
    }
    printf("GenerateDataKey via kms_client, %d threads x %d calls, dekcache-kms-local on "
           "127.0.0.1\n",
           threads, calls);
    printf("%-22s %10s %9s %9s %12s %9s\n", "mode", "calls/s", "p50 us", "p99 us", "connections",
           "vs base");
    print_row("new connection (base)", &fresh, &fresh);
    print_row("keep-alive reuse", &reuse, &fresh);
    return 0;
}
