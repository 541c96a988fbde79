#include "kms/client/credentials_holder.h"

#include <openssl/crypto.h>
#include <string.h>

static credentials_snapshot *snapshot_new(credentials *from)
{
    credentials_snapshot *s = OPENSSL_zalloc(sizeof(*s));
    if (s == NULL) {
        credentials_clear(from);
        return NULL;
    }
    atomic_init(&s->refs, 1);
    s->creds = *from;
    memset(from, 0, sizeof(*from));
    return s;
}

int credentials_holder_init(credentials_holder *h, credentials *initial)
{
    h->current = snapshot_new(initial);
    if (h->current == NULL) {
        return 0;
    }
    pthread_mutex_init(&h->lock, NULL);
    pthread_mutex_init(&h->renew_lock, NULL);
    return 1;
}

void credentials_snapshot_release(credentials_snapshot *s)
{
    if (s != NULL && atomic_fetch_sub(&s->refs, 1) == 1) {
        credentials_clear(&s->creds);
        OPENSSL_free(s);
    }
}

void credentials_holder_clear(credentials_holder *h)
{
    if (h->current == NULL) {
        return; /* never initialised (init sets current and the lock together) */
    }
    credentials_snapshot_release(h->current);
    h->current = NULL;
    pthread_mutex_destroy(&h->lock);
    pthread_mutex_destroy(&h->renew_lock);
}

credentials_snapshot *credentials_holder_acquire(credentials_holder *h)
{
    pthread_mutex_lock(&h->lock);
    credentials_snapshot *s = h->current;
    atomic_fetch_add(&s->refs, 1);
    pthread_mutex_unlock(&h->lock);
    return s;
}

static int same_text(const char *a, const char *b)
{
    if (a == NULL || b == NULL) {
        return a == b;
    }
    size_t len = strlen(a);
    return len == strlen(b) && CRYPTO_memcmp(a, b, len) == 0;
}

static int same_credentials(const credentials *a, const credentials *b)
{
    return same_text(a->access_key_id, b->access_key_id) &&
           same_text(a->secret_access_key, b->secret_access_key) &&
           same_text(a->session_token, b->session_token);
}

/* used is held by the caller, so its address cannot be reused by a newer
 * snapshot while we compare. */
static int still_current(credentials_holder *h, const credentials_snapshot *used)
{
    pthread_mutex_lock(&h->lock);
    int same = h->current == used;
    pthread_mutex_unlock(&h->lock);
    return same;
}

/* Called with renew_lock held, so current is still used throughout. */
static int install_from_source(credentials_holder *h, const credentials_snapshot *used,
                               credentials_reader read, void *arg)
{
    credentials fresh;
    credentials_snapshot *replacement = NULL, *old;
    memset(&fresh, 0, sizeof(fresh));
    if (!read(arg, &fresh)) {
        credentials_clear(&fresh);
        return 0;
    }
    if (same_credentials(&fresh, &used->creds)) {
        credentials_clear(&fresh);
        return 0; /* the source still gives the expired credentials */
    }
    if ((replacement = snapshot_new(&fresh)) == NULL) {
        return 0;
    }
    pthread_mutex_lock(&h->lock);
    old = h->current;
    h->current = replacement;
    pthread_mutex_unlock(&h->lock);
    credentials_snapshot_release(old);
    return 1;
}

int credentials_holder_renew(credentials_holder *h, const credentials_snapshot *used,
                             credentials_reader read, void *arg)
{
    /* Reading the source (fopen, read) holds renew_lock across cancellation
     * points: a thread cancelled there would exit with it held and block
     * every later renewal. Cancellation waits until the read is over. */
    int cancel_state;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel_state);
    pthread_mutex_lock(&h->renew_lock);
    /* Another thread renewed them first: retry with its, without reading. */
    int renewed = !still_current(h, used) || install_from_source(h, used, read, arg);
    pthread_mutex_unlock(&h->renew_lock);
    pthread_setcancelstate(cancel_state, NULL);
    return renewed;
}
