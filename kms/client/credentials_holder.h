#ifndef DEKCACHE_KMS_CLIENT_CREDENTIALS_HOLDER_H
#define DEKCACHE_KMS_CLIENT_CREDENTIALS_HOLDER_H

#include "kms/client/credentials.h"

#include <pthread.h>
#include <stdatomic.h>

/* A client's current credentials, replaceable while other threads sign with
 * them: each attempt signs with a counted reference to one snapshot, so a
 * renewal never frees credentials a concurrent call is still using. */
typedef struct {
    atomic_int refs;
    credentials creds;
} credentials_snapshot;

typedef struct {
    pthread_mutex_t lock; /* held only to take a reference, or to compare or swap current */
    credentials_snapshot *current;
    /* One renewal at a time, so threads whose credentials expired together
     * read the source once: the others wait, then find current replaced. */
    pthread_mutex_t renew_lock;
} credentials_holder;

/* Takes over initial's strings (initial is left empty). 0 when out of memory
 * (initial is cleared). */
int credentials_holder_init(credentials_holder *h, credentials *initial);
/* Also safe on a zeroed holder that was never initialised. */
void credentials_holder_clear(credentials_holder *h);

/* The current snapshot, counted; give it back with credentials_snapshot_release. */
credentials_snapshot *credentials_holder_acquire(credentials_holder *h);
void credentials_snapshot_release(credentials_snapshot *s);

/* Reads the credentials' source again into *fresh; 0 when that fails. */
typedef int (*credentials_reader)(void *arg, credentials *fresh);

/* After a call signed with `used` (a snapshot the caller still holds) was told
 * its credentials expired: unless another thread already replaced used, reads
 * the source with read(arg, ...) and installs what it gives unless that
 * equals used's. Returns 1 when the current credentials now differ from
 * used's, so a retry is worth it. */
int credentials_holder_renew(credentials_holder *h, const credentials_snapshot *used,
                             credentials_reader read, void *arg);

#endif
