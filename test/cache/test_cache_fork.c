/* Fork safety: a child never uses its parent's entries or waits on its
 * parent's flights, and cleanses the inherited copies; detected both with
 * fork() (pthread_atfork) and with a raw clone() that skips atfork handlers. */
#include "cache/dek_cache.h"
#include "cache_test_support.h"
#include "cunit_run.h"

#include <CUnit/CUnit.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define SECOND         1000000000ull
#define CHILD_LIMIT_MS 15000 /* a child still running then is killed */

static checking_allocator alloc_state;
static dek_cache_allocator hooks;
static counting_upstream up;

static dek_cache_status encrypt(dek_cache *cache, dek_cache_result *r, int *serial)
{
    dek_cache_id id = test_id(7);
    dek_cache_enc_request req = {10, {10 * SECOND, 100, 100000}};
    unsigned char out[64];
    size_t len = 0;
    dek_cache_status status = dek_cache_get_encryption(cache, &id, &req, counting_upstream_fn, &up,
                                                       out, sizeof(out), &len, r);
    *serial = status == DEK_CACHE_OK ? blob_serial(out, len) : -1;
    return status;
}

/* The child's checks, as bits of its exit status (0 = all held). */
static int child_checks(dek_cache *cache)
{
    long frees_before = atomic_load(&alloc_state.frees);
    dek_cache_result r;
    int serial = 0;
    int failed = 0;
    if (encrypt(cache, &r, &serial) != DEK_CACHE_OK) {
        failed |= 1;
    }
    if (r.source != DEK_CACHE_SOURCE_LEADER || serial == 1 || r.messages_used != 1) {
        failed |= 2; /* must not reuse the parent's DEK or its counters */
    }
    dek_cache_stats s;
    dek_cache_get_stats(cache, &s);
    if (s.evicted_fork != 1 || s.entries != 1) {
        failed |= 4;
    }
    if (atomic_load(&alloc_state.frees) != frees_before + 1 ||
        atomic_load(&alloc_state.dirty_frees) != 0) {
        failed |= 8; /* the inherited copy must be cleansed and freed */
    }
    return failed;
}

static dek_cache *warm_cache(void)
{
    checking_allocator_init(&alloc_state, &hooks);
    memset(&up, 0, sizeof(up));
    dek_cache *cache = make_cache(100, 0, NULL, &hooks, 2000);
    dek_cache_result r;
    int serial;
    CU_ASSERT_EQUAL(encrypt(cache, &r, &serial), DEK_CACHE_OK);
    CU_ASSERT_EQUAL(serial, 1);
    return cache;
}

/* waitpid, bounded: a child still running after CHILD_LIMIT_MS is killed
 * (and reaped), and 0 returned; 1 when it exited with status 0. */
static int child_exited_ok(pid_t pid)
{
    int status = 0;
    wait_bound bound = wait_bound_start(CHILD_LIMIT_MS);
    do {
        pid_t got = waitpid(pid, &status, WNOHANG);
        if (got == pid) {
            return WIFEXITED(status) && WEXITSTATUS(status) == 0;
        }
        if (got < 0) {
            perror("\n  waitpid");
            return 0;
        }
    } while (wait_bound_poll(&bound));
    fprintf(stderr, "\n  child %d still running after %d ms: killed\n", (int)pid, CHILD_LIMIT_MS);
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return 0;
}

static void expect_child_ok(pid_t pid)
{
    CU_ASSERT_FATAL(pid > 0);
    CU_ASSERT_TRUE(child_exited_ok(pid));
}

/* The parent's own entry and budget are untouched by the child. */
static void expect_parent_intact(dek_cache *cache)
{
    dek_cache_result r;
    int serial;
    CU_ASSERT_EQUAL(encrypt(cache, &r, &serial), DEK_CACHE_OK);
    CU_ASSERT_EQUAL(serial, 1);
    CU_ASSERT_EQUAL(r.source, DEK_CACHE_SOURCE_HIT);
    CU_ASSERT_EQUAL(r.messages_used, 2);
    dek_cache_free(cache);
    CU_ASSERT_EQUAL(atomic_load(&alloc_state.live), 0);
}

static void test_fork_child_starts_cold(void)
{
    dek_cache *cache = warm_cache();
    pid_t pid = fork();
    if (pid == 0) {
        _exit(child_checks(cache));
    }
    expect_child_ok(pid);
    expect_parent_intact(cache);
}

static void test_raw_clone_detected_without_atfork(void)
{
    dek_cache *cache = warm_cache();
    /* clone() without CLONE_VM and without a new stack behaves like fork(),
     * but glibc runs no pthread_atfork handlers: only the wipe-on-fork page
     * can tell the child apart. */
    long pid = syscall(SYS_clone, SIGCHLD, NULL, NULL, NULL, NULL);
    if (pid == 0) {
        syscall(SYS_exit_group, child_checks(cache));
    }
    expect_child_ok((pid_t)pid);
    expect_parent_intact(cache);
}

static void *blocked_leader(void *arg)
{
    dek_cache *cache = arg;
    dek_cache_id id = test_id(8);
    unsigned char out[64];
    size_t len;
    dek_cache_result r;
    dek_cache_get_decryption(cache, &id, 10 * SECOND, counting_upstream_fn, &up, out, sizeof(out),
                             &len, &r);
    return NULL;
}

static void test_child_does_not_wait_on_parent_flight(void)
{
    dek_cache *cache = warm_cache();
    atomic_store(&up.hold, 1);
    pthread_t leader;
    if (!start_thread(&leader, blocked_leader, cache, "the leader")) {
        dek_cache_free(cache);
        CU_FAIL_FATAL("cannot create the leader");
    }
    CU_ASSERT_TRUE(wait_for_calls(&up, 2)); /* the leader is in its flight */
    pid_t pid = fork();
    if (pid == 0) {
        atomic_store(&up.hold, 0);
        dek_cache_id id = test_id(8);
        unsigned char out[64];
        size_t len;
        dek_cache_result r;
        dek_cache_status status = dek_cache_get_decryption(
            cache, &id, 10 * SECOND, counting_upstream_fn, &up, out, sizeof(out), &len, &r);
        _exit(status == DEK_CACHE_OK && r.source == DEK_CACHE_SOURCE_LEADER ? 0 : 1);
    }
    int child_ok = pid > 0 && child_exited_ok(pid);
    atomic_store(&up.hold, 0);
    join_thread(leader, "the leader");
    dek_cache_free(cache);
    CU_ASSERT_FATAL(pid > 0);
    CU_ASSERT_TRUE(child_ok);
}

/* While one thread of a child purges the inherited entries, another thread
 * forks: the grandchild inherits the purge marker but not the purger, and
 * must take the purge over instead of waiting for it forever. The purge is
 * slowed down in the allocator's free so that the fork lands inside it. */
static _Atomic int slow_frees;
static dek_cache_allocator checking_hooks;

static void slow_free(void *ptr, size_t size, void *arg)
{
    if (atomic_load(&slow_frees)) {
        sleep_ms(300);
    }
    checking_hooks.free(ptr, size, arg);
}

static void *encrypt_in_thread(void *arg)
{
    dek_cache_result r;
    int serial;
    encrypt(arg, &r, &serial);
    return NULL;
}

static int grandchild_during_purge(dek_cache *cache)
{
    atomic_store(&slow_frees, 1);
    pthread_t purger;
    if (!start_thread(&purger, encrypt_in_thread, cache, "the purger")) {
        return 2;
    }
    sleep_ms(100); /* the purger now sleeps in the free of the inherited entry */
    pid_t pid = fork();
    if (pid == 0) {
        /* Its own bound: if it hung, the parent's bound would kill its parent
         * first and leave it running. */
        alarm(5);
        atomic_store(&slow_frees, 0);
        dek_cache_result r;
        int serial;
        _exit(encrypt(cache, &r, &serial) == DEK_CACHE_OK && r.source == DEK_CACHE_SOURCE_LEADER
                  ? 0
                  : 1);
    }
    int ok = pid > 0 && child_exited_ok(pid);
    join_thread(purger, "the purger");
    return ok ? 0 : 3;
}

static void test_fork_during_child_purge(void)
{
    checking_allocator_init(&alloc_state, &checking_hooks);
    dek_cache_allocator slow = checking_hooks;
    slow.free = slow_free;
    memset(&up, 0, sizeof(up));
    dek_cache *cache = make_cache(100, 0, NULL, &slow, 2000);
    dek_cache_result r;
    int serial;
    CU_ASSERT_EQUAL(encrypt(cache, &r, &serial), DEK_CACHE_OK);
    pid_t pid = fork();
    if (pid == 0) {
        _exit(grandchild_during_purge(cache));
    }
    expect_child_ok(pid);
    dek_cache_free(cache);
}

int main(void)
{
    static const dekcache_test_case tests[] = {
        {"fork: child starts cold, parent intact", test_fork_child_starts_cold},
        {"raw clone detected without atfork", test_raw_clone_detected_without_atfork},
        {"child does not wait on parent's flight", test_child_does_not_wait_on_parent_flight},
        {"a fork during a child's purge: the grandchild purges", test_fork_during_child_purge},
        {NULL, NULL}};
    dekcache_add_suite("cache fork", NULL, NULL, tests);
    return dekcache_run_tests();
}
