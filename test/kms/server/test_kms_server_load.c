/* 32 concurrent keep-alive clients for a bounded time: every answer must be
 * the one for its own request (the 10 s figure run lives in bench/). */
#include "cunit_run.h"
#include "kms_fixture.h"
#include "kms_fixture_load.h"
#include "kms_test_calls.h"

#include <pthread.h>
#include <stdio.h>

#define CLIENTS 32

static kms_fixture_server srv;

static int start_server(void)
{
    return kms_fixture_start(NULL, &srv);
}

static int stop_server(void)
{
    return kms_fixture_stop(&srv) == 0 ? 0 : -1;
}

static void test_32_clients_no_lost_or_mixed_responses(void)
{
    kms_load_options o = {CLIENTS, 2000, 50, KMS_LOCAL_DEFAULT_ALIAS,
                          kms_fixture_default_credentials()};
    kms_load_result r;
    kms_fixture_stats s;
    CU_ASSERT_EQUAL_FATAL(kms_fixture_reset(&srv), 0);
    CU_ASSERT_EQUAL_FATAL(kms_load_run(&srv, &o, &r), 0);
    printf("\n  %ld requests in %.2f s (%.0f/s), p50 %.2f ms, p99 %.2f ms, %ld failures\n",
           r.requests, r.elapsed_s, r.requests_per_s, r.p50_ms, r.p99_ms, r.failures);
    CU_ASSERT_EQUAL(r.failures, 0);
    CU_ASSERT(r.requests >= 2 * CLIENTS);
    CU_ASSERT_EQUAL_FATAL(kms_fixture_stats_get(&srv, &s), 0);
    CU_ASSERT_EQUAL(s.requests, r.requests);
    CU_ASSERT_EQUAL(s.errors, 0);
    CU_ASSERT_EQUAL(s.in_flight, 0);
    /* Each client kept its one connection. */
    CU_ASSERT_EQUAL(s.kms_connections, CLIENTS);
}

static void *slow_describe(void *arg)
{
    long st;
    json_object_put(kms_test_call(&srv, kms_fixture_default_credentials(), &st, "DescribeKey",
                                  "{\"KeyId\":\"" KMS_LOCAL_DEFAULT_ALIAS "\"}"));
    *(long *)arg = st;
    return NULL;
}

static void test_in_flight_gauges(void)
{
    pthread_t t[8];
    long status[8];
    kms_fixture_fault slow = {"DescribeKey", "none", NULL, 500, 1.0, 0};
    kms_fixture_stats s;
    CU_ASSERT_EQUAL_FATAL(kms_fixture_reset(&srv), 0);
    CU_ASSERT_EQUAL_FATAL(kms_fixture_add_fault(&srv, &slow), 0);
    for (int i = 0; i < 8; i++)
        CU_ASSERT_EQUAL_FATAL(pthread_create(&t[i], NULL, slow_describe, &status[i]), 0);
    for (int i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        CU_ASSERT_EQUAL(status[i], 200);
    }
    CU_ASSERT_EQUAL_FATAL(kms_fixture_stats_get(&srv, &s), 0);
    printf("\n  max in flight with 8 slow clients: %ld\n", s.max_in_flight);
    CU_ASSERT(s.max_in_flight >= 2 && s.max_in_flight <= 8);
    CU_ASSERT_EQUAL(s.in_flight, 0);
    CU_ASSERT_EQUAL(kms_fixture_stats_op(&s, "DescribeKey")->calls, 8);
}

int main(void)
{
    static const dekcache_test_case tests[] = {
        {"32_clients_no_lost_or_mixed_responses", test_32_clients_no_lost_or_mixed_responses},
        {"in_flight_gauges", test_in_flight_gauges},
        {NULL, NULL}};
    dekcache_add_suite("kms_server_load", start_server, stop_server, tests);
    return dekcache_run_tests();
}
