#include "message/library.h"

#include <pthread.h>

#include "message/library_internal.h"

static pthread_mutex_t users_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned users;

void esdk_library_retain(void)
{
    pthread_mutex_lock(&users_lock);
    users++;
    pthread_mutex_unlock(&users_lock);
}

void esdk_library_release(void)
{
    pthread_mutex_lock(&users_lock);
    if (users > 0 && --users == 0) {
        esdk_crypto_free_default();
    }
    pthread_mutex_unlock(&users_lock);
}
