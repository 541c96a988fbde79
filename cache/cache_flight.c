/* Flights: singleflight bookkeeping for one stripe. */
#include "cache/cache_flight.h"

#include "cache/cache_stripe.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <string.h>
#include <time.h>

static int flight_matches(const cache_flight *f, entry_kind kind, const dek_cache_id *id)
{
    return f->kind == kind && memcmp(f->id.bytes, id->bytes, sizeof(id->bytes)) == 0;
}

/* Unlinks f from a stripe list (running or finished) it may be on. */
static void unlink_from(cache_flight **list, cache_flight *f)
{
    for (cache_flight **link = list; *link != NULL; link = &(*link)->next) {
        if (*link == f) {
            *link = f->next;
            f->next = NULL;
            return;
        }
    }
}

/* f, already unlinked, goes stale. Its waiters wake at once: its value will
 * not be shared, so they fetch anew (or join the flight that replaced it)
 * instead of sleeping on. */
static void mark_stale(cache_flight *f)
{
    f->stale = true;
    f->next = NULL;
    pthread_cond_broadcast(&f->done);
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

/* Charge-then-check, as for an entry: reserves the message if it fits both
 * the caller's limits and those of every caller already on the flight. */
static int flight_reserve(cache_flight *f, uint64_t size, const dek_cache_limits *limits)
{
    if (f->kind == ENTRY_DECRYPT) {
        return 1;
    }
    uint64_t limit_messages = min_u64(f->limit_messages, limits->max_messages);
    uint64_t limit_bytes = min_u64(f->limit_bytes, limits->max_bytes);
    if (!charge_message(&f->reserved_messages, &f->reserved_bytes, size, limit_messages,
                        limit_bytes)) {
        return 0;
    }
    f->limit_messages = limit_messages;
    f->limit_bytes = limit_bytes;
    return 1;
}

cache_flight *cache_flight_join(cache_stripe *stripe, entry_kind kind, const dek_cache_id *id,
                                uint64_t size, const dek_cache_limits *limits, uint64_t abandon_ns)
{
    uint64_t now = 0; /* read at the first flight of this ID: most misses have none */
    cache_flight **link = &stripe->flights;
    while (*link != NULL) {
        cache_flight *f = *link;
        if (!flight_matches(f, kind, id)) {
            link = &f->next;
            continue;
        }
        if (now == 0) {
            now = cache_monotonic_ns();
        }
        if (now - f->started_ns >= abandon_ns) {
            *link = f->next;
            mark_stale(f);
        } else if (flight_reserve(f, size, limits)) {
            return f;
        } else {
            link = &f->next;
        }
    }
    return NULL;
}

cache_flight *cache_flight_start(cache_stripe *stripe, entry_kind kind, const dek_cache_id *id,
                                 uint64_t size, const dek_cache_limits *limits)
{
    cache_flight *f = OPENSSL_zalloc(sizeof(*f));
    if (f == NULL) {
        return NULL;
    }
    pthread_condattr_t attr;
    int ok = pthread_condattr_init(&attr) == 0;
    /* Waits are bounded in monotonic time, immune to wall-clock steps. */
    ok = ok && pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0 &&
         pthread_cond_init(&f->done, &attr) == 0;
    pthread_condattr_destroy(&attr);
    if (!ok) {
        OPENSSL_free(f);
        return NULL;
    }
    f->kind = kind;
    f->id = *id;
    f->state = FLIGHT_RUNNING;
    f->refs = 1;
    f->reserved_messages = 1;
    f->reserved_bytes = size;
    f->limit_messages = limits->max_messages;
    f->limit_bytes = limits->max_bytes;
    f->started_ns = cache_monotonic_ns();
    f->next = stripe->flights;
    stripe->flights = f;
    return f;
}

void cache_flight_make_all_stale(cache_stripe *stripe, const dek_cache_id *id)
{
    cache_flight **link = &stripe->flights;
    while (*link != NULL) {
        cache_flight *f = *link;
        if (id == NULL || memcmp(f->id.bytes, id->bytes, sizeof(id->bytes)) == 0) {
            *link = f->next;
            mark_stale(f);
        } else {
            link = &f->next;
        }
    }
}

void cache_flight_finish(cache_stripe *stripe, cache_flight *f, flight_state state)
{
    f->state = state;
    if (!f->stale) {
        unlink_from(&stripe->flights, f);
    }
    if (f->entry != NULL) {
        f->next = stripe->finished;
        stripe->finished = f;
    }
    pthread_cond_broadcast(&f->done);
}

int cache_flight_wait(cache_stripe *stripe, cache_flight *f, uint64_t deadline_ns)
{
    struct timespec deadline = {.tv_sec = (time_t)(deadline_ns / 1000000000u),
                                .tv_nsec = (long)(deadline_ns % 1000000000u)};
    int cancel_state, rc = 0;
    /* pthread_cond_timedwait is a cancellation point: a waiter cancelled in it
     * would exit holding the stripe lock and its flight reference. The wait is
     * bounded, so cancellation waits until it is over. */
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel_state);
    while (f->state == FLIGHT_RUNNING && !f->stale && rc != ETIMEDOUT) {
        rc = pthread_cond_timedwait(&f->done, &stripe->lock, &deadline);
    }
    pthread_setcancelstate(cancel_state, NULL);
    return f->state != FLIGHT_RUNNING || f->stale;
}

static void flight_free(cache_flight *f, cache_entry **graveyard)
{
    if (f->entry != NULL) {
        cache_entry_unref(f->entry, graveyard);
    }
    OPENSSL_free(f);
}

void cache_flight_release(cache_stripe *stripe, cache_flight *f, cache_entry **graveyard)
{
    if (--f->refs == 0) {
        if (f->entry != NULL) {
            unlink_from(&stripe->finished, f); /* cache_flight_finish listed it */
        }
        pthread_cond_destroy(&f->done);
        flight_free(f, graveyard);
    }
}

/* No pthread_cond_destroy: its inherited waiter count names threads that do
 * not exist here, and glibc would wait for them forever. */
static void drop_list(cache_flight **list, cache_entry **graveyard)
{
    while (*list != NULL) {
        cache_flight *f = *list;
        *list = f->next;
        if (f->entry != NULL && f->entry->purge_seen) {
            f->entry = NULL; /* the table's purge took it, and its key */
        } else if (f->entry != NULL) {
            /* Held by this flight alone now, even one whose removal from the
             * table was cut short by the fork: the references of threads
             * that are not here are gone. */
            f->entry->refs = 1;
        }
        flight_free(f, graveyard);
    }
}

void cache_flight_drop_inherited(cache_stripe *stripe, cache_entry **graveyard)
{
    drop_list(&stripe->flights, graveyard);
    drop_list(&stripe->finished, graveyard);
}
