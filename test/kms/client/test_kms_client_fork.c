/* fork() with a warm connection pool, against the real dekcache-kms-local:
 * the parent's keep-alive connection must stay the parent's. The child makes
 * its calls on a connection of its own, and the parent then reuses its old
 * one, so the server accepts exactly one new KMS connection after the fork.
 * (Sharing the socket would interleave the two processes' HTTP, and for TLS
 * their records: desynchronised state and nonce reuse.) */
#include "cunit_run.h"
#include "kms_client_suite.h" /* server, client, suite setup and teardown */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHILD_WAIT_MS 30000
#define CHILD_OK      0
#define CHILD_FAILED  3

static int describe(const char *who)
{
    kms_client_key_info info;
    char detail[512] = "";
    if (kms_client_describe_key(client, TEST_ALIAS, &info, detail, sizeof(detail)) !=
            KMS_CLIENT_OK ||
        strcmp(info.key_arn, TEST_KEY_ARN) != 0) {
        fprintf(stderr, "\n  %s: DescribeKey failed: %s\n", who, detail);
        return 0;
    }
    return 1;
}

/* Two calls (the second on the child's own pooled connection), then the
 * inherited client is freed in the child too. No CUnit here: the verdict is
 * the exit status, and _exit skips the parent's atexit handlers and buffers. */
static void child_main(void)
{
    int ok = describe("child") && describe("child, second call");
    kms_client_free(client);
    _exit(ok ? CHILD_OK : CHILD_FAILED);
}

/* waitpid, bounded: a child stuck on a shared socket is killed, not waited for. */
static int wait_child(pid_t pid, int *status)
{
    const struct timespec tick = {0, 10 * 1000 * 1000};
    for (int waited = 0; waited < CHILD_WAIT_MS; waited += 10) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid) {
            return 0;
        }
        if (r < 0 && errno != EINTR) {
            return -1;
        }
        nanosleep(&tick, NULL);
    }
    fprintf(stderr, "\n  child %d still running after %d ms: killed\n", (int)pid, CHILD_WAIT_MS);
    kill(pid, SIGKILL);
    waitpid(pid, status, 0);
    return -1;
}

static void test_child_uses_its_own_connection(void)
{
    kms_fixture_stats stats;
    int status = 0;
    CU_ASSERT_TRUE_FATAL(describe("parent, before fork")); /* the pool holds a connection */
    CU_ASSERT_EQUAL_FATAL(kms_fixture_reset(&server), 0);
    pid_t pid = fork();
    CU_ASSERT_TRUE_FATAL(pid >= 0);
    if (pid == 0) {
        child_main();
    }
    CU_ASSERT_EQUAL_FATAL(wait_child(pid, &status), 0);
    CU_ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == CHILD_OK);
    CU_ASSERT_TRUE(describe("parent, after fork"));
    CU_ASSERT_EQUAL_FATAL(kms_fixture_stats_get(&server, &stats), 0);
    const kms_fixture_op_stats *describes = kms_fixture_stats_op(&stats, "DescribeKey");
    CU_ASSERT_EQUAL(describes->calls, 3); /* two in the child, one here */
    /* The stats request itself came on a fresh connection: that is the 1. */
    long kms_accepted = stats.connections_accepted - 1;
    fprintf(stderr, "\n  after fork: %ld new KMS connection(s), %ld carrying KMS calls\n",
            kms_accepted, stats.kms_connections);
    CU_ASSERT_EQUAL(kms_accepted, 1);          /* the child's, and only the child's */
    CU_ASSERT_EQUAL(stats.kms_connections, 2); /* the child's new one, the parent's old one */
}

int main(void)
{
    static const dekcache_test_case tests[] = {
        {"child of a fork does not reuse the parent's connection",
         test_child_uses_its_own_connection},
        {NULL, NULL},
    };
    dekcache_add_suite("kms client fork", kms_client_suite_setup, kms_client_suite_teardown, tests);
    return dekcache_run_tests();
}
