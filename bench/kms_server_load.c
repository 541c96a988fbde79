/* dekcache-kms-local throughput and latency: 32 concurrent keep-alive clients
 * (GenerateDataKey + Decrypt pairs, every answer checked) for 10 s, against a
 * single client as the baseline measured in the same run.
 * Usage: kms_server_load [seconds-under-load] [clients] */
#include "kms_fixture.h"
#include "kms_fixture_load.h"

#include <stdio.h>
#include <stdlib.h>

static int run(const kms_fixture_server *srv, int clients, long ms, kms_load_result *r)
{
    kms_load_options o = {clients, ms, 1L << 40, KMS_LOCAL_DEFAULT_ALIAS,
                          kms_fixture_default_credentials()};
    if (kms_load_run(srv, &o, r) != 0)
        return -1;
    printf("%3d client(s): %8ld requests in %5.2f s = %8.0f req/s, p50 %7.3f ms, p99 %7.3f ms, "
           "%ld failures\n",
           clients, r->requests, r->elapsed_s, r->requests_per_s, r->p50_ms, r->p99_ms,
           r->failures);
    return r->failures == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    long seconds = argc > 1 ? atol(argv[1]) : 10;
    int clients = argc > 2 ? atoi(argv[2]) : 32;
    kms_fixture_server srv;
    kms_load_result base, load;
    if (seconds < 1 || clients < 1 || kms_fixture_start(NULL, &srv) != 0)
        return 1;
    int rc = run(&srv, 1, seconds * 500, &base);
    if (rc == 0)
        rc = run(&srv, clients, seconds * 1000, &load);
    kms_fixture_stats s;
    if (rc == 0 && kms_fixture_stats_get(&srv, &s) == 0)
        printf("server: %ld requests, %ld errors, max in flight %ld, %ld keep-alive connections\n",
               s.requests, s.errors, s.max_in_flight, s.kms_connections);
    if (rc == 0 && base.requests_per_s > 0 && base.p50_ms > 0)
        printf("ratio %d clients / 1 client: throughput x%.2f, p50 latency x%.2f\n", clients,
               load.requests_per_s / base.requests_per_s, load.p50_ms / base.p50_ms);
    if (kms_fixture_stop(&srv) != 0)
        rc = -1;
    return rc == 0 ? 0 : 1;
}
