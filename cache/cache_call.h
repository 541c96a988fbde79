#ifndef DEKCACHE_CACHE_CACHE_CALL_H
#define DEKCACHE_CACHE_CACHE_CALL_H

/* One lookup call as it moves between the hit path (cache_get.c) and the
 * upstream paths (cache_lead.c): its state and the steps both need. */

#include "cache/cache_stripe.h"

#include <stdio.h>
#include <string.h>

/* One caller's request, carried through the lookup and upstream paths. */
typedef struct {
    dek_cache *cache;
    cache_stripe *stripe;
    entry_kind kind;
    const dek_cache_id *id;
    uint64_t plaintext_size; /* encrypt only */
    dek_cache_limits limits; /* max_age_ns only, for decrypt */
    dek_cache_upstream_fn upstream;
    void *upstream_arg;
    unsigned char *out;
    size_t out_cap;
    size_t *out_len;
    dek_cache_result *result;
    cache_entry *graveyard;
} get_call;

typedef enum { USE_OK, USE_EXHAUSTED, USE_TOO_SMALL } use_outcome;

static inline void set_detail(dek_cache_result *result, const char *text)
{
    snprintf(result->detail, sizeof(result->detail), "%s", text);
}

static inline void finish_locked(get_call *c)
{
    pthread_mutex_unlock(&c->stripe->lock);
    cache_graveyard_free(c->graveyard);
    c->graveyard = NULL;
}

/* Copies e's value out, or says how large a buffer it needs. */
static inline use_outcome copy_value(get_call *c, const cache_entry *e)
{
    if (e->value.blob_len > c->out_cap) {
        *c->out_len = e->value.blob_len;
        return USE_TOO_SMALL;
    }
    memcpy(c->out, e->value.blob, e->value.blob_len);
    *c->out_len = e->value.blob_len;
    return USE_OK;
}

/* Records the entry's usage including this caller's message as its result. */
static inline void report_usage(get_call *c, uint64_t messages, uint64_t bytes)
{
    c->result->messages_used = messages;
    c->result->bytes_used = bytes;
}

/* Charge-then-check and copy out, all under the stripe lock: two callers can
 * never both pass the last unit. */
static inline use_outcome use_entry(get_call *c, cache_entry *e)
{
    /* A buffer too small charges nothing: checked before the charge. */
    if (c->kind == ENTRY_ENCRYPT && e->value.blob_len <= c->out_cap) {
        if (!charge_message(&e->messages, &e->bytes, c->plaintext_size, c->limits.max_messages,
                            c->limits.max_bytes)) {
            return USE_EXHAUSTED;
        }
        report_usage(c, e->messages, e->bytes);
    }
    return copy_value(c, e);
}

/* `now` may predate the entry: a caller reads the clock before it waits for
 * the stripe lock, while a leader inserts with a later clock. Such an entry
 * is fresh, not (by unsigned wrap-around) ancient. */
static inline int entry_expired(const get_call *c, const cache_entry *e, uint64_t now)
{
    if (now < e->created_at) {
        return 0;
    }
    return now >= e->expires_at || now - e->created_at >= c->limits.max_age_ns;
}

/* After a use: the message that reaches the message limit retires the key. */
static inline void retire_if_spent(get_call *c, cache_entry *e)
{
    if (c->kind == ENTRY_ENCRYPT && e->messages >= c->limits.max_messages) {
        cache_stripe_remove(c->stripe, e, STAT_EVICTED_EXHAUSTED, &c->graveyard);
    }
}

/* Calls the upstream directly and stores nothing. Called without the lock. */
dek_cache_status cache_call_bypass(get_call *c);

/* Starts a flight and calls the upstream. Called with the lock held; releases it. */
dek_cache_status cache_call_lead(get_call *c);

#endif
