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

int credentials_holder_renew(credentials_holder *h, const credentials_snapshot *used,
                             credentials *fresh)
{
    credentials_snapshot *replacement = NULL, *old = NULL;
    int renewed;
    if (!same_credentials(fresh, &used->creds) && (replacement = snapshot_new(fresh)) == NULL) {
        return 0;
    }
    credentials_clear(fresh);
    pthread_mutex_lock(&h->lock);
    if (h->current != used) {
        renewed = 1; /* another thread renewed them first: retry with its */
    } else if (replacement != NULL) {
        old = h->current;
        h->current = replacement;
        replacement = NULL;
        renewed = 1;
    } else {
        renewed = 0; /* the source still gives the expired credentials */
    }
    pthread_mutex_unlock(&h->lock);
    credentials_snapshot_release(replacement);
    credentials_snapshot_release(old);
    return renewed;
}
