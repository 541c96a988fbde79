/* The credentials holder's renewal, with a counting source in place of the
 * environment and shared files: threads whose credentials expired together
 * read the source once, a thread that finds them already renewed reads
 * nothing, and a source that fails or still gives the expired credentials
 * leaves the holder as it was. Runs under ThreadSanitizer. */
#include "cunit_run.h"
#include "kms/client/credentials_holder.h"
#include "sanitizer.h"
#include "sleep_ms.h"
#include "start_gate.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#define THREADS 8

static char *secure_copy(const char *text)
{
    char *copy = OPENSSL_secure_malloc(strlen(text) + 1);
    if (copy != NULL)
        strcpy(copy, text);
    return copy;
}

static void set_credentials(credentials *c, const char *key_id)
{
    memset(c, 0, sizeof(*c));
    c->access_key_id = secure_copy(key_id);
    c->secret_access_key = secure_copy("test-secret");
}

/* The source a renewal reads: counts the reads and gives key_id (NULL: fails). */
typedef struct {
    atomic_int reads;
    const char *key_id;
} counting_source;

static int read_counting_source(void *arg, credentials *fresh)
{
    counting_source *src = arg;
    atomic_fetch_add(&src->reads, 1);
    /* A slow read (a file, say): any other thread that would read the
     * source too has had the time to reach it. */
    sleep_ms(5);
    if (src->key_id == NULL)
        return 0;
    set_credentials(fresh, src->key_id);
    return fresh->access_key_id != NULL && fresh->secret_access_key != NULL;
}

static void holder_with(credentials_holder *h, const char *key_id)
{
    credentials initial;
    set_credentials(&initial, key_id);
    CU_ASSERT_FATAL(credentials_holder_init(h, &initial));
}

static void assert_current(credentials_holder *h, const char *key_id)
{
    credentials_snapshot *now = credentials_holder_acquire(h);
    CU_ASSERT_STRING_EQUAL(now->creds.access_key_id, key_id);
    credentials_snapshot_release(now);
}

typedef struct {
    credentials_holder *holder;
    credentials_snapshot *used;
    counting_source *source;
    start_gate *gate;
    int renewed;
} renewer;

static void *renew_after_gate(void *arg)
{
    renewer *r = arg;
    if (start_gate_wait(r->gate))
        r->renewed = credentials_holder_renew(r->holder, r->used, read_counting_source, r->source);
    return NULL;
}

static void test_threads_expired_together_read_once(void)
{
    credentials_holder h;
    counting_source src = {0, "AKID-RENEWED"};
    start_gate gate;
    pthread_t threads[THREADS];
    renewer renewers[THREADS];
    int started = 0;
    holder_with(&h, "AKID-EXPIRED");
    start_gate_init(&gate);
    /* Every thread signed with the same snapshot and was told it expired. */
    for (int i = 0; i < THREADS; i++) {
        renewers[i] = (renewer){&h, credentials_holder_acquire(&h), &src, &gate, 0};
        started += pthread_create(&threads[i], NULL, renew_after_gate, &renewers[i]) == 0;
    }
    CU_ASSERT_FATAL(start_gate_release(&gate, started, THREADS));
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        CU_ASSERT_EQUAL(renewers[i].renewed, 1);
        credentials_snapshot_release(renewers[i].used);
    }
    CU_ASSERT_EQUAL(atomic_load(&src.reads), 1);
    assert_current(&h, "AKID-RENEWED");
    start_gate_destroy(&gate);
    credentials_holder_clear(&h);
}

static void test_renewed_already_reads_nothing(void)
{
    credentials_holder h;
    counting_source src = {0, "AKID-RENEWED"};
    holder_with(&h, "AKID-EXPIRED");
    credentials_snapshot *first = credentials_holder_acquire(&h);
    credentials_snapshot *second = credentials_holder_acquire(&h);
    CU_ASSERT_EQUAL(credentials_holder_renew(&h, first, read_counting_source, &src), 1);
    /* A call that signed with the expired snapshot learns only now. */
    CU_ASSERT_EQUAL(credentials_holder_renew(&h, second, read_counting_source, &src), 1);
    CU_ASSERT_EQUAL(atomic_load(&src.reads), 1);
    assert_current(&h, "AKID-RENEWED");
    credentials_snapshot_release(first);
    credentials_snapshot_release(second);
    credentials_holder_clear(&h);
}

static void test_unrenewable_source_keeps_holder(void)
{
    credentials_holder h;
    counting_source same = {0, "AKID-EXPIRED"}, failing = {0, NULL};
    holder_with(&h, "AKID-EXPIRED");
    credentials_snapshot *used = credentials_holder_acquire(&h);
    CU_ASSERT_EQUAL(credentials_holder_renew(&h, used, read_counting_source, &same), 0);
    CU_ASSERT_EQUAL(credentials_holder_renew(&h, used, read_counting_source, &failing), 0);
    /* Each expiry reads again: the file may have been rewritten meanwhile. */
    CU_ASSERT_EQUAL(credentials_holder_renew(&h, used, read_counting_source, &same), 0);
    CU_ASSERT_EQUAL(atomic_load(&same.reads), 2);
    CU_ASSERT_EQUAL(atomic_load(&failing.reads), 1);
    credentials_snapshot *now = credentials_holder_acquire(&h);
    CU_ASSERT_PTR_EQUAL(now, used);
    credentials_snapshot_release(now);
    credentials_snapshot_release(used);
    credentials_holder_clear(&h);
}

/* A source whose read blocks on a pipe until the test writes to it. */
typedef struct {
    int fds[2];
    atomic_int reading;
} pipe_source;

static int read_pipe_source(void *arg, credentials *fresh)
{
    pipe_source *src = arg;
    char byte;
    atomic_store(&src->reading, 1);
    if (read(src->fds[0], &byte, 1) != 1) /* a cancellation point */
        return 0;
    set_credentials(fresh, "AKID-FROM-PIPE");
    return fresh->access_key_id != NULL && fresh->secret_access_key != NULL;
}

typedef struct {
    credentials_holder *holder;
    credentials_snapshot *used;
    credentials_reader read;
    void *source;
    atomic_int done;
} renew_job;

static void *run_renew(void *arg)
{
    renew_job *job = arg;
    credentials_holder_renew(job->holder, job->used, job->read, job->source);
    atomic_store(&job->done, 1);
    return NULL;
}

static int wait_for_flag(atomic_int *flag, int bound_ms)
{
    for (int waited = 0; waited < bound_ms && !atomic_load(flag); waited += 10)
        sleep_ms(10);
    return atomic_load(flag);
}

/* A thread cancelled while it reads the source must not leave the renewal
 * lock held: the next thread's renewal would block forever. ThreadSanitizer
 * skips it (it does not follow cancellation inside its interceptors). */
static void test_cancelled_renewal_releases_lock(void)
{
    if (UNDER_TSAN)
        return;
    credentials_holder h;
    pipe_source src = {.reading = 0};
    counting_source other = {0, "AKID-OTHER"};
    CU_ASSERT_FATAL(pipe(src.fds) == 0);
    holder_with(&h, "AKID-EXPIRED");
    renew_job first = {&h, credentials_holder_acquire(&h), read_pipe_source, &src, 0};
    renew_job second = {&h, credentials_holder_acquire(&h), read_counting_source, &other, 0};
    pthread_t t1, t2;
    CU_ASSERT_FATAL(pthread_create(&t1, NULL, run_renew, &first) == 0);
    CU_ASSERT_FATAL(wait_for_flag(&src.reading, 5000));
    pthread_cancel(t1);
    sleep_ms(50);
    CU_ASSERT_EQUAL(write(src.fds[1], "x", 1), 1);
    pthread_join(t1, NULL);
    CU_ASSERT_FATAL(pthread_create(&t2, NULL, run_renew, &second) == 0);
    if (!wait_for_flag(&second.done, 5000)) {
        /* The old code: the lock stays held; leave the thread and the holder. */
        CU_FAIL("a renewal still blocks 5 s after another was cancelled");
        return;
    }
    pthread_join(t2, NULL);
    credentials_snapshot_release(first.used);
    credentials_snapshot_release(second.used);
    close(src.fds[0]);
    close(src.fds[1]);
    credentials_holder_clear(&h);
}

int main(void)
{
    static const dekcache_test_case tests[] = {
        {"threads whose credentials expired together read the source once",
         test_threads_expired_together_read_once},
        {"credentials renewed already: the source is not read", test_renewed_already_reads_nothing},
        {"a source that fails or gives the same credentials keeps the holder",
         test_unrenewable_source_keeps_holder},
        {"a renewal cancelled while reading releases the lock",
         test_cancelled_renewal_releases_lock},
        {NULL, NULL},
    };
    dekcache_add_suite("kms client credentials renewal", NULL, NULL, tests);
    return dekcache_run_tests();
}
