/* One client shared by 32 threads x 200 calls against dekcache-kms-local:
 * every call succeeds and the server sees far fewer connections than calls
 * (keep-alive reuse across calls and threads). Runs under ThreadSanitizer. */
#include "cunit_run.h"
#include "kms/client/backoff.h"
#include "kms_client_suite.h" /* server, client, suite setup and teardown */

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define THREADS          32
#define CALLS_PER_THREAD 200
#define TIME_LIMIT_MS    120000

static long long give_up_at;

typedef struct {
    int ok;
    int failed;
    char first_error[512];
} worker_result;

/* Alternates GenerateDataKey and a Decrypt of what it returned. */
static int one_round(worker_result *res)
{
    kms_client_result dk = {0}, pt = {0};
    char detail[512] = "";
    int ok = kms_client_generate_data_key(client, TEST_ALIAS, 32, NULL, &dk, detail,
                                          sizeof(detail)) == KMS_CLIENT_OK &&
             kms_client_decrypt(client, dk.key_arn, dk.ciphertext, dk.ciphertext_len, NULL, 32, &pt,
                                detail, sizeof(detail)) == KMS_CLIENT_OK &&
             memcmp(pt.plaintext, dk.plaintext, 32) == 0;
    if (!ok && res->first_error[0] == '\0') {
        snprintf(res->first_error, sizeof(res->first_error), "%s", detail);
    }
    kms_client_result_clear(&dk);
    kms_client_result_clear(&pt);
    return ok;
}

static void *worker(void *arg)
{
    worker_result *res = arg;
    for (int i = 0; i < CALLS_PER_THREAD / 2 && backoff_now_ms() < give_up_at; i++) {
        if (one_round(res)) {
            res->ok += 2;
        } else {
            res->failed++;
        }
    }
    return NULL;
}

static void test_threads_share_connections(void)
{
    pthread_t threads[THREADS];
    static worker_result results[THREADS];
    kms_fixture_stats stats;
    CU_ASSERT_EQUAL_FATAL(kms_fixture_reset(&server), 0);
    give_up_at = backoff_now_ms() + TIME_LIMIT_MS;
    for (int i = 0; i < THREADS; i++) {
        CU_ASSERT_EQUAL_FATAL(pthread_create(&threads[i], NULL, worker, &results[i]), 0);
    }
    int ok = 0, failed = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        ok += results[i].ok;
        failed += results[i].failed;
        if (results[i].first_error[0] != '\0') {
            fprintf(stderr, "\n  thread %d: %s\n", i, results[i].first_error);
        }
    }
    CU_ASSERT_EQUAL(failed, 0);
    CU_ASSERT_EQUAL(ok, THREADS * CALLS_PER_THREAD);
    CU_ASSERT_EQUAL_FATAL(kms_fixture_stats_get(&server, &stats), 0);
    CU_ASSERT_EQUAL(stats.requests, THREADS * CALLS_PER_THREAD);
    fprintf(stderr, "\n  %d calls over %ld connections\n", ok, stats.kms_connections);
    /* At most one connection per concurrent caller, plus a little slack. */
    CU_ASSERT_TRUE(stats.kms_connections > 0 && stats.kms_connections <= THREADS + 8);
}

/* Clients created, used and freed concurrently: global libcurl set-up runs
 * once however many threads race to it. */
static void *own_client(void *arg)
{
    int *ok = arg;
    kms_client *c = NULL;
    kms_client_key_info info;
    char detail[512] = "";
    kms_client_config config = test_client_config(&server);
    *ok = kms_client_new(&config, &c, detail, sizeof(detail)) == KMS_CLIENT_OK &&
          kms_client_describe_key(c, TEST_ALIAS, &info, detail, sizeof(detail)) == KMS_CLIENT_OK &&
          strcmp(info.key_arn, TEST_KEY_ARN) == 0;
    kms_client_free(c);
    return NULL;
}

static void test_clients_created_concurrently(void)
{
    pthread_t threads[8];
    int ok[8] = {0};
    for (int i = 0; i < 8; i++) {
        CU_ASSERT_EQUAL_FATAL(pthread_create(&threads[i], NULL, own_client, &ok[i]), 0);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(threads[i], NULL);
        CU_ASSERT_TRUE(ok[i]);
    }
}

/* Threads of one client whose credentials expire together: each renews (or
 * finds another thread renewed first) and every call succeeds; the expired
 * snapshot is freed only after the last thread signing with it let go. */
typedef struct {
    kms_client *client;
    int calls_ok;
} renewing_worker;

static void *renewing_calls(void *arg)
{
    renewing_worker *w = arg;
    kms_client_key_info info;
    char detail[512] = "";
    for (int i = 0; i < 20; i++) {
        w->calls_ok += kms_client_describe_key(w->client, TEST_ALIAS, &info, detail,
                                               sizeof(detail)) == KMS_CLIENT_OK;
    }
    return NULL;
}

static void test_threads_renew_expired_credentials(void)
{
    test_credentials_file file;
    CU_ASSERT_FATAL(test_credentials_file_use(&file, TEST_EXPIRED_KEY, TEST_EXPIRED_SECRET,
                                              TEST_EXPIRED_TOKEN) == 0);
    kms_client *c = NULL;
    char detail[512] = "";
    kms_client_config config = {.region = TEST_REGION, .endpoint = server.endpoint};
    CU_ASSERT_EQUAL_FATAL(kms_client_new(&config, &c, detail, sizeof(detail)), KMS_CLIENT_OK);
    /* The file changes after the client read it, before any call. */
    CU_ASSERT_FATAL(
        test_write_credentials_file(file.path, TEST_TOKEN_KEY, TEST_TOKEN_SECRET, TEST_TOKEN) == 0);
    pthread_t threads[8];
    renewing_worker workers[8];
    for (int i = 0; i < 8; i++) {
        workers[i] = (renewing_worker){c, 0};
        CU_ASSERT_EQUAL_FATAL(pthread_create(&threads[i], NULL, renewing_calls, &workers[i]), 0);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(threads[i], NULL);
        CU_ASSERT_EQUAL(workers[i].calls_ok, 20);
    }
    kms_client_free(c);
    test_credentials_file_remove(&file);
}

int main(void)
{
    static const dekcache_test_case tests[] = {
        {"32 threads x 200 calls reuse connections", test_threads_share_connections},
        {"clients created concurrently", test_clients_created_concurrently},
        {"threads renew expired credentials", test_threads_renew_expired_credentials},
        {NULL, NULL},
    };
    dekcache_add_suite("kms client threads", kms_client_suite_setup, kms_client_suite_teardown,
                       tests);
    return dekcache_run_tests();
}
