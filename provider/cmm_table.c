#include "provider/cmm_table.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "provider/errors.h"
#include "provider/materials_setup.h"

/* A CMM one thread is building without ctx->lock. It is listed in
 * ctx->builds until it finishes, so that only threads arriving during the
 * build wait for it (later ones find the published CMM, or build again after
 * a failure). The fields are guarded by ctx->lock, except the error, which
 * the builder writes before `done` and waiters read after it; the build is
 * freed by whoever drops the last reference. */
struct dekcache_build {
    struct dekcache_build *next;
    char *key_id; /* NULL: the decryption CMM */
    int done;
    esdk_cmm *cmm; /* on success: a reference held for the waiters */
    char *key_arn; /* what the builder resolved key_id to, until published */
    int reason;    /* on failure: what the builder raised */
    char error[512];
    unsigned refs; /* the builder and each waiter */
    pthread_cond_t finished;
};

typedef esdk_cmm *(*cmm_builder)(dekcache_provctx *ctx, const char *key_id, char **key_arn);
typedef void (*cmm_publisher)(dekcache_provctx *ctx, dekcache_build *b, esdk_cmm *cmm);

/* Every message asks for its CMM, so lookups take no lock: entries are
 * appended under ctx->lock, filled before the count that publishes them,
 * and never change until teardown. */
static const dekcache_key_cmm *find_key_entry(dekcache_provctx *ctx, const char *key_id)
{
    size_t published = __atomic_load_n(&ctx->n_key_cmms, __ATOMIC_ACQUIRE);
    for (size_t i = 0; i < published; i++) {
        if (strcmp(ctx->key_cmms[i].key_id, key_id) == 0)
            return &ctx->key_cmms[i];
    }
    return NULL;
}

static esdk_cmm *find_key_cmm(dekcache_provctx *ctx, const char *key_id)
{
    const dekcache_key_cmm *entry = find_key_entry(ctx, key_id);
    return entry != NULL ? entry->cmm : NULL;
}

static int same_target(const char *a, const char *b)
{
    return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

/* In a forked child, builds inherited from the parent have no thread to
 * finish them: waiting on one would never end, and each would hold a table
 * slot. The list is stamped with the process that last looked at it, so a
 * child's first look drops them all; they are deliberately never freed
 * (destroying a condition variable the parent's threads were waiting on may
 * block). */
static void drop_inherited_builds_locked(dekcache_provctx *ctx)
{
    pid_t self = getpid();
    if (ctx->builds_pid != self) {
        ctx->builds = NULL;
        ctx->builds_pid = self;
    }
}

static dekcache_build *find_build_locked(dekcache_provctx *ctx, const char *key_id)
{
    drop_inherited_builds_locked(ctx);
    for (dekcache_build *b = ctx->builds; b != NULL; b = b->next) {
        if (same_target(b->key_id, key_id))
            return b;
    }
    return NULL;
}

/* Key builds in progress count against the table, so a published key always
 * finds its slot. */
static size_t keys_reserved_locked(dekcache_provctx *ctx)
{
    size_t n = ctx->n_key_cmms;
    for (dekcache_build *b = ctx->builds; b != NULL; b = b->next)
        n += b->key_id != NULL;
    return n;
}

static void unlink_build_locked(dekcache_provctx *ctx, dekcache_build *b)
{
    dekcache_build **link = &ctx->builds;
    while (*link != b)
        link = &(*link)->next;
    *link = b->next;
}

static void release_build_locked(dekcache_build *b)
{
    if (--b->refs > 0)
        return;
    esdk_cmm_free(b->cmm);
    OPENSSL_free(b->key_id);
    OPENSSL_free(b->key_arn);
    pthread_cond_destroy(&b->finished);
    OPENSSL_free(b);
}

static dekcache_build *start_build_locked(dekcache_provctx *ctx, const char *key_id)
{
    dekcache_build *b = OPENSSL_zalloc(sizeof(*b));
    if (b != NULL && key_id != NULL && (b->key_id = OPENSSL_strdup(key_id)) == NULL) {
        OPENSSL_free(b);
        b = NULL;
    }
    if (b == NULL) {
        DEKCACHE_RAISE(ctx->handle, DEKCACHE_R_MALLOC_FAILURE, "starting a key's setup");
        return NULL;
    }
    pthread_cond_init(&b->finished, NULL);
    b->refs = 1;
    b->next = ctx->builds;
    ctx->builds = b;
    return b;
}

/* What the builder raised (the last error on its queue), for the waiters. */
static void remember_error(dekcache_build *b)
{
    const char *data = NULL;
    int flags = 0;
    unsigned long code = ERR_peek_last_error_data(&data, &flags);
    b->reason = code != 0 ? ERR_GET_REASON(code) : DEKCACHE_R_INTERNAL_ERROR;
    snprintf(b->error, sizeof(b->error), "%s",
             code != 0 && data != NULL && (flags & ERR_TXT_STRING) ? data : "setup failed");
}

/* Waits (ctx->lock held) for another thread's build in this process; bounded
 * by that thread's KMS deadline, or ended by its cancellation (build_cancelled). */
static esdk_cmm *wait_for_build_locked(dekcache_provctx *ctx, dekcache_build *b)
{
    int cancel_state;
    b->refs++;
    /* Cancelled inside pthread_cond_wait, a thread would exit holding ctx->lock. */
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel_state);
    while (!b->done)
        pthread_cond_wait(&b->finished, &ctx->lock);
    pthread_setcancelstate(cancel_state, NULL);
    esdk_cmm *cmm = b->cmm != NULL ? esdk_cmm_up_ref(b->cmm) : NULL;
    if (cmm == NULL)
        DEKCACHE_RAISE(ctx->handle, b->reason, "%s (set up by another thread)", b->error);
    release_build_locked(b);
    return cmm;
}

/* Ends a build: its waiters wake to its CMM, or to its error when cmm is NULL. */
static void finish_build_locked(dekcache_provctx *ctx, dekcache_build *b)
{
    unlink_build_locked(ctx, b);
    b->done = 1;
    pthread_cond_broadcast(&b->finished);
    release_build_locked(b);
}

typedef struct {
    dekcache_provctx *ctx;
    dekcache_build *build;
} build_in_progress;

/* The builder was cancelled inside the KMS call (libcurl's poll is a
 * cancellation point): its waiters, who cannot be cancelled while they wait,
 * would otherwise wait forever. The thread exits, so the lock is let go. */
static void build_cancelled(void *arg)
{
    build_in_progress *p = arg;
    pthread_mutex_lock(&p->ctx->lock);
    p->build->reason = DEKCACHE_R_INTERNAL_ERROR;
    snprintf(p->build->error, sizeof(p->build->error),
             "the thread setting up this key was cancelled");
    finish_build_locked(p->ctx, p->build);
    pthread_mutex_unlock(&p->ctx->lock);
}

/* Builds the CMM for key_id (NULL: decryption) with ctx->lock released
 * around build, publishes it, and wakes the waiters. Called and returns with
 * ctx->lock held; returns a new reference or NULL after raising an error. */
static esdk_cmm *build_locked(dekcache_provctx *ctx, const char *key_id, cmm_builder build,
                              cmm_publisher publish_locked)
{
    dekcache_build *b = start_build_locked(ctx, key_id);
    if (b == NULL)
        return NULL;
    build_in_progress progress = {ctx, b};
    esdk_cmm *cmm = NULL;
    pthread_mutex_unlock(&ctx->lock);
    pthread_cleanup_push(build_cancelled, &progress);
    cmm = build(ctx, b->key_id, &b->key_arn);
    pthread_cleanup_pop(0);
    if (cmm == NULL)
        remember_error(b);
    pthread_mutex_lock(&ctx->lock);
    if (cmm != NULL) {
        publish_locked(ctx, b, cmm);
        b->cmm = esdk_cmm_up_ref(cmm);
    }
    finish_build_locked(ctx, b);
    return cmm;
}

/* The table takes its own reference, and the build's key ID and ARN (the
 * build is unlinked under the same lock, so nobody reads them there again);
 * the slot was reserved by the build. */
static void publish_key_cmm_locked(dekcache_provctx *ctx, dekcache_build *b, esdk_cmm *cmm)
{
    size_t n = ctx->n_key_cmms;
    ctx->key_cmms[n].key_id = b->key_id;
    ctx->key_cmms[n].cmm = esdk_cmm_up_ref(cmm);
    ctx->key_cmms[n].key_arn = b->key_arn;
    b->key_id = NULL;
    b->key_arn = NULL;
    __atomic_store_n(&ctx->n_key_cmms, n + 1, __ATOMIC_RELEASE);
}

/* A new reference to key_id's CMM: published, being built, or built here.
 * The table is bounded: a new key beyond it is refused rather than given a
 * keyring (and a DescribeKey) for every message. */
static esdk_cmm *key_cmm_locked(dekcache_provctx *ctx, const char *key_id)
{
    esdk_cmm *cmm = find_key_cmm(ctx, key_id);
    if (cmm != NULL)
        return esdk_cmm_up_ref(cmm);
    dekcache_build *pending = find_build_locked(ctx, key_id);
    if (pending != NULL)
        return wait_for_build_locked(ctx, pending);
    if (keys_reserved_locked(ctx) >= DEKCACHE_MAX_KEY_CMMS) {
        DEKCACHE_RAISE(ctx->handle, DEKCACHE_R_UNSUPPORTED,
                       "more than %d distinct key ids in one provider instance (refused: %s)",
                       DEKCACHE_MAX_KEY_CMMS, key_id);
        return NULL;
    }
    return build_locked(ctx, key_id, dekcache_new_encrypt_cmm, publish_key_cmm_locked);
}

esdk_cmm *dekcache_encrypt_cmm(dekcache_provctx *ctx, const char *requested)
{
    const char *key_id = dekcache_resolve_key_id(ctx, requested);
    esdk_cmm *cmm = find_key_cmm(ctx, key_id);
    if (cmm != NULL)
        return esdk_cmm_up_ref(cmm);
    pthread_mutex_lock(&ctx->lock);
    cmm = dekcache_materials_prepare_locked(ctx) ? key_cmm_locked(ctx, key_id) : NULL;
    pthread_mutex_unlock(&ctx->lock);
    return cmm;
}

static esdk_cmm *new_decrypt_cmm(dekcache_provctx *ctx, const char *unused, char **no_arn)
{
    (void)unused;
    (void)no_arn;
    return dekcache_new_decrypt_cmm(ctx);
}

/* Published once, never replaced until teardown: readers need no lock. */
static void publish_decrypt_cmm_locked(dekcache_provctx *ctx, dekcache_build *unused, esdk_cmm *cmm)
{
    (void)unused;
    __atomic_store_n(&ctx->decrypt_cmm, esdk_cmm_up_ref(cmm), __ATOMIC_RELEASE);
}

static esdk_cmm *decrypt_cmm_locked(dekcache_provctx *ctx)
{
    if (ctx->decrypt_cmm != NULL)
        return esdk_cmm_up_ref(ctx->decrypt_cmm);
    dekcache_build *pending = find_build_locked(ctx, NULL);
    if (pending != NULL)
        return wait_for_build_locked(ctx, pending);
    return build_locked(ctx, NULL, new_decrypt_cmm, publish_decrypt_cmm_locked);
}

esdk_cmm *dekcache_decrypt_cmm(dekcache_provctx *ctx)
{
    esdk_cmm *ready = __atomic_load_n(&ctx->decrypt_cmm, __ATOMIC_ACQUIRE);
    if (ready != NULL)
        return esdk_cmm_up_ref(ready);
    pthread_mutex_lock(&ctx->lock);
    esdk_cmm *cmm = dekcache_materials_prepare_locked(ctx) ? decrypt_cmm_locked(ctx) : NULL;
    pthread_mutex_unlock(&ctx->lock);
    return cmm;
}

int dekcache_encrypt_key_arn(dekcache_provctx *ctx, const char *key_id, char *arn, size_t arn_len)
{
    const dekcache_key_cmm *entry = find_key_entry(ctx, key_id);
    return entry != NULL && entry->key_arn != NULL &&
           (size_t)snprintf(arn, arn_len, "%s", entry->key_arn) < arn_len;
}
