/* A load generator against dekcache-kms-local: N concurrent keep-alive
 * clients, each looping GenerateDataKey then Decrypt under a context unique
 * to (client, iteration), checking every answer belongs to its request. */
#ifndef DEKCACHE_TEST_KMS_FIXTURE_LOAD_H
#define DEKCACHE_TEST_KMS_FIXTURE_LOAD_H

#include "kms_fixture.h"

typedef struct {
    int clients;
    long duration_ms;          /* stop after this long ... */
    long max_pairs_per_client; /* ... or this many GenerateDataKey+Decrypt pairs */
    const char *key_id;
    const sigv4_credentials *creds;
} kms_load_options;

typedef struct {
    long requests; /* HTTP requests answered 200 */
    long failures; /* transport errors, non-200, or wrong/mixed-up answers */
    double elapsed_s;
    double requests_per_s;
    double p50_ms, p99_ms; /* per-request latency */
} kms_load_result;

/* Runs the load; returns 0 when it ran (check out->failures), -1 on setup failure. */
int kms_load_run(const kms_fixture_server *srv, const kms_load_options *opts, kms_load_result *out);

#endif
