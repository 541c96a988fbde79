/* Setting up a key's materials under concurrency, against the local KMS
 * server: the DescribeKey that resolves an alias runs without the instance
 * lock, so a slow one holds up no other key, while threads that start on the
 * same cold key share one DescribeKey, and its failure. */
#include <CUnit/CUnit.h>
#include <openssl/crypto.h>
#include <openssl/params.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cunit_run.h"
#include "include/dekcache.h"
#include "kms_fixture.h"
#include "provider_fixture.h"
#include "test/support/sanitizer.h"
#include "test/support/sleep_ms.h"

#define ALIAS     KMS_LOCAL_DEFAULT_ALIAS
#define KEY_ARN   "arn:aws:kms:us-east-1:" KMS_LOCAL_DEFAULT_ACCOUNT ":key/" KMS_LOCAL_DEFAULT_KEY_ID
#define N_THREADS 8

static kms_fixture_server server;

static int suite_init(void)
{
    kms_fixture_use_credentials(KMS_LOCAL_DEFAULT_ACCESS_KEY_ID, KMS_LOCAL_DEFAULT_SECRET_KEY,
                                KMS_LOCAL_DEFAULT_REGION);
    unsetenv("DEKCACHE_KEY_ID");
    kms_fixture_options opts = {0};
    return kms_fixture_start(&opts, &server) == 0 ? 0 : 1;
}

static int suite_cleanup(void)
{
    return kms_fixture_stop(&server) == 0 ? 0 : 1;
}

typedef struct {
    provider_fixture *fx;
    const char *key_id;
    int ok;
    int finished; /* read and written atomically */
    char error[1024];
} encrypt_job;

static void *encrypt_worker(void *arg)
{
    encrypt_job *job = arg;
    char key[256];
    snprintf(key, sizeof(key), "%s", job->key_id);
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(DEKCACHE_PARAM_KEY_ID, key, 0),
                           OSSL_PARAM_construct_end()};
    unsigned char plain[64] = {7}, *ct = NULL;
    size_t ct_len = 0;
    job->ok = fixture_cipher(job->fx, 1, params, plain, sizeof(plain), NULL, 0, &ct, &ct_len);
    if (!job->ok)
        fixture_last_error(job->error, sizeof(job->error));
    OPENSSL_free(ct);
    __atomic_store_n(&job->finished, 1, __ATOMIC_RELEASE);
    return NULL;
}

static int start_provider(provider_fixture *fx)
{
    char lines[256];
    snprintf(lines, sizeof(lines), "kms_endpoint = %s\n", server.endpoint);
    return provider_fixture_start(fx, lines);
}

/* Starts N_THREADS encryptions under the alias; 0 if a thread cannot start
 * (those that did are joined by join_all). */
static int start_all(pthread_t *threads, encrypt_job *jobs, provider_fixture *fx, int *started)
{
    for (*started = 0; *started < N_THREADS; (*started)++) {
        jobs[*started] = (encrypt_job){.fx = fx, .key_id = ALIAS};
        if (pthread_create(&threads[*started], NULL, encrypt_worker, &jobs[*started]) != 0)
            return 0;
    }
    return 1;
}

static void join_all(pthread_t *threads, int started)
{
    for (int i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
}

static int jobs_finished(const encrypt_job *jobs)
{
    int n = 0;
    for (int i = 0; i < N_THREADS; i++)
        n += __atomic_load_n(&jobs[i].finished, __ATOMIC_ACQUIRE);
    return n;
}

static void test_slow_key_holds_up_no_other(void)
{
    provider_fixture fx;
    CU_ASSERT_FATAL(start_provider(&fx));
    CU_ASSERT_FATAL(kms_fixture_reset(&server) == 0);
    kms_fixture_fault slow = {
        .operation = "DescribeKey", .action = "none", .latency_ms = 1500, .count = 1};
    CU_ASSERT_FATAL(kms_fixture_add_fault(&server, &slow) == 0);

    pthread_t threads[N_THREADS];
    encrypt_job jobs[N_THREADS];
    int started = 0;
    CU_ASSERT(start_all(threads, jobs, &fx, &started));
    sleep_ms(200); /* the alias's DescribeKey is under way */
    /* A key ARN needs no DescribeKey: it must not wait for the alias's. */
    encrypt_job other = {.fx = &fx, .key_id = KEY_ARN};
    encrypt_worker(&other);
    int alias_done_before = jobs_finished(jobs);
    join_all(threads, started);

    CU_ASSERT(other.ok);
    CU_ASSERT_EQUAL(alias_done_before, 0);
    for (int i = 0; i < started; i++)
        CU_ASSERT(jobs[i].ok);
    CU_ASSERT_EQUAL(kms_fixture_op_calls(&server, "DescribeKey"), 1);
    provider_fixture_stop(&fx);
}

static void test_failed_setup_is_shared(void)
{
    provider_fixture fx;
    CU_ASSERT_FATAL(start_provider(&fx));
    CU_ASSERT_FATAL(kms_fixture_reset(&server) == 0);
    kms_fixture_fault failing = {.operation = "DescribeKey",
                                 .action = "error",
                                 .error_type = "KMSInvalidStateException",
                                 .latency_ms = 1500};
    CU_ASSERT_FATAL(kms_fixture_add_fault(&server, &failing) == 0);

    pthread_t threads[N_THREADS];
    encrypt_job jobs[N_THREADS];
    int started = 0;
    CU_ASSERT(start_all(threads, jobs, &fx, &started));
    join_all(threads, started);
    for (int i = 0; i < started; i++) {
        CU_ASSERT_FALSE(jobs[i].ok);
        CU_ASSERT_PTR_NOT_NULL(strstr(jobs[i].error, "cannot resolve '" ALIAS "'"));
    }
    /* All arrived during the one call and got its answer. */
    CU_ASSERT_EQUAL(kms_fixture_op_calls(&server, "DescribeKey"), 1);

    /* A failure is not kept: the next message sets the key up again. */
    CU_ASSERT_FATAL(kms_fixture_clear_faults(&server) == 0);
    encrypt_job retry = {.fx = &fx, .key_id = ALIAS};
    encrypt_worker(&retry);
    CU_ASSERT(retry.ok);
    provider_fixture_stop(&fx);
}

/* The thread setting a key up is cancelled inside its DescribeKey: a thread
 * waiting for that setup gets an error at once instead of waiting forever
 * (it cannot be cancelled while it waits), and the next message sets the key
 * up again. Sanitizer builds skip it: the cancelled thread leaves its libcurl
 * handle behind, which LeakSanitizer reports, and ThreadSanitizer does not
 * follow cancellation inside its interceptors. */
static void test_cancelled_setup_releases_waiters(void)
{
    if (UNDER_SANITIZER)
        return;
    provider_fixture fx;
    CU_ASSERT_FATAL(start_provider(&fx));
    CU_ASSERT_FATAL(kms_fixture_reset(&server) == 0);
    kms_fixture_fault slow = {
        .operation = "DescribeKey", .action = "none", .latency_ms = 3000, .count = 1};
    CU_ASSERT_FATAL(kms_fixture_add_fault(&server, &slow) == 0);
    pthread_t builder, waiter;
    encrypt_job building = {.fx = &fx, .key_id = ALIAS}, waiting = building;
    CU_ASSERT_FATAL(pthread_create(&builder, NULL, encrypt_worker, &building) == 0);
    sleep_ms(300); /* the builder is in its DescribeKey */
    if (pthread_create(&waiter, NULL, encrypt_worker, &waiting) != 0) {
        pthread_cancel(builder);
        pthread_join(builder, NULL);
        CU_FAIL_FATAL("cannot create the waiter");
    }
    sleep_ms(200); /* the waiter waits for the builder's setup */
    pthread_cancel(builder);
    pthread_join(builder, NULL);
    for (int i = 0; i < 100 && !__atomic_load_n(&waiting.finished, __ATOMIC_ACQUIRE); i++)
        sleep_ms(50);
    if (!__atomic_load_n(&waiting.finished, __ATOMIC_ACQUIRE)) {
        /* The old code: the waiter waits forever; leave it and the instance. */
        CU_FAIL("the waiter still waits 5 s after the builder was cancelled");
        return;
    }
    pthread_join(waiter, NULL);
    CU_ASSERT_FALSE(waiting.ok);
    CU_ASSERT_PTR_NOT_NULL(strstr(waiting.error, "cancelled"));
    CU_ASSERT_FATAL(kms_fixture_clear_faults(&server) == 0);
    encrypt_job retry = {.fx = &fx, .key_id = ALIAS};
    encrypt_worker(&retry);
    CU_ASSERT(retry.ok);
    provider_fixture_stop(&fx);
}

/* The child's result: 0 encrypted, 1 failed, 2 still waiting after the bound. */
static int child_exit_code(pid_t child, int bound_ms)
{
    int status = 0;
    for (int waited = 0; waited < bound_ms; waited += 50) {
        if (waitpid(child, &status, WNOHANG) == child)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
        sleep_ms(50);
    }
    kill(child, SIGKILL);
    waitpid(child, &status, 0);
    return 2;
}

/* fork() while another thread sets a key up: the child has no such thread,
 * so it must set the key up itself rather than wait forever for a setup
 * that only the parent will finish. ThreadSanitizer skips it (it does not
 * support a multi-threaded fork whose child goes on to do real work). */
static void test_fork_during_setup(void)
{
    if (UNDER_TSAN)
        return;
    provider_fixture fx;
    CU_ASSERT_FATAL(start_provider(&fx));
    CU_ASSERT_FATAL(kms_fixture_reset(&server) == 0);
    kms_fixture_fault slow = {
        .operation = "DescribeKey", .action = "none", .latency_ms = 2000, .count = 1};
    CU_ASSERT_FATAL(kms_fixture_add_fault(&server, &slow) == 0);
    pthread_t builder;
    encrypt_job building = {.fx = &fx, .key_id = ALIAS};
    CU_ASSERT_FATAL(pthread_create(&builder, NULL, encrypt_worker, &building) == 0);
    sleep_ms(300); /* the builder is in its DescribeKey */
    pid_t child = fork();
    if (child == 0) {
        encrypt_job own = {.fx = &fx, .key_id = ALIAS};
        encrypt_worker(&own);
        _exit(own.ok ? 0 : 1);
    }
    CU_ASSERT(child > 0);
    if (child > 0)
        CU_ASSERT_EQUAL(child_exit_code(child, 10000), 0);
    pthread_join(builder, NULL);
    CU_ASSERT(building.ok);
    provider_fixture_stop(&fx);
}

int main(void)
{
    static const dekcache_test_case tests[] = {
        {"a slow DescribeKey holds up no other key; one per cold alias",
         test_slow_key_holds_up_no_other},
        {"a failed key setup is shared by the threads waiting on it", test_failed_setup_is_shared},
        {"a cancelled key setup releases its waiters", test_cancelled_setup_releases_waiters},
        {"a child forked during a key's setup sets the key up itself", test_fork_during_setup},
        {NULL, NULL},
    };
    dekcache_add_suite("key setup under concurrency", suite_init, suite_cleanup, tests);
    return dekcache_run_tests();
}
