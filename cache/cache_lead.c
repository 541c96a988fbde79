/* The upstream paths: leading a flight (and its cancellation), bypassing. */
#include "cache/cache_call.h"
#include "cache/cache_flight.h"
#include "cache/cache_value.h"

static dek_cache_status call_upstream(get_call *c, dek_cache_value *value)
{
    c->result->detail[0] = '\0';
    int rc = c->upstream(c->upstream_arg, value, c->result->detail, sizeof(c->result->detail));
    c->result->detail[sizeof(c->result->detail) - 1] = '\0';
    if (rc == DEK_CACHE_UPSTREAM_UNCACHEABLE) {
        return DEK_CACHE_ERR_UNCACHEABLE;
    }
    if (rc != 0) {
        c->result->upstream_error = rc;
        if (c->result->detail[0] == '\0') {
            set_detail(c->result, "upstream failed without detail");
        }
        return DEK_CACHE_ERR_UPSTREAM;
    }
    if (value->blob == NULL) {
        set_detail(c->result, "upstream reported success without setting a value");
        return DEK_CACHE_ERR_UPSTREAM;
    }
    return DEK_CACHE_OK;
}

dek_cache_status cache_call_bypass(get_call *c)
{
    pthread_mutex_lock(&c->stripe->lock);
    stat_bump_locked(c->stripe, STAT_BYPASSES, 1);
    stat_bump_locked(c->stripe, STAT_UPSTREAM_CALLS, 1);
    finish_locked(c); /* entries the lookup retired are cleansed before the slow call */

    dek_cache_value value;
    cache_value_init(&value, &c->cache->allocator);
    dek_cache_status status = call_upstream(c, &value);
    if (status == DEK_CACHE_ERR_UNCACHEABLE) {
        c->result->source = DEK_CACHE_SOURCE_BYPASS;
    } else if (status != DEK_CACHE_OK) {
        pthread_mutex_lock(&c->stripe->lock);
        stat_bump_locked(c->stripe, STAT_UPSTREAM_FAILURES, 1);
        pthread_mutex_unlock(&c->stripe->lock);
    } else if (value.blob_len > c->out_cap) {
        *c->out_len = value.blob_len;
        status = DEK_CACHE_ERR_BUFFER_TOO_SMALL;
    } else {
        memcpy(c->out, value.blob, value.blob_len);
        *c->out_len = value.blob_len;
        c->result->source = DEK_CACHE_SOURCE_BYPASS;
    }
    cache_value_release(&value);
    return status;
}

/* What a cancelled leader leaves behind: its flight fails, waiters wake. */
typedef struct {
    get_call *call;
    cache_flight *flight;
    dek_cache_value *value;
} leader_frame;

static void fail_flight_locked(get_call *c, cache_flight *f, dek_cache_status status)
{
    if (status != DEK_CACHE_ERR_UNCACHEABLE) {
        stat_bump_locked(c->stripe, STAT_UPSTREAM_FAILURES, 1);
    }
    f->error = status;
    f->upstream_error = c->result->upstream_error;
    memcpy(f->detail, c->result->detail, sizeof(f->detail));
    cache_flight_finish(c->stripe, f, FLIGHT_FAILED);
    cache_flight_release(c->stripe, f, &c->graveyard);
}

static void leader_cancelled(void *arg)
{
    leader_frame *frame = arg;
    get_call *c = frame->call;
    set_detail(c->result, "the leader thread was cancelled while calling the upstream");
    pthread_mutex_lock(&c->stripe->lock);
    fail_flight_locked(c, frame->flight, DEK_CACHE_ERR_LEADER_GONE);
    finish_locked(c);
    cache_value_release(frame->value);
}

static dek_cache_status call_upstream_as_leader(get_call *c, cache_flight *f,
                                                dek_cache_value *value)
{
    leader_frame frame = {c, f, value};
    dek_cache_status status;
    pthread_cleanup_push(leader_cancelled, &frame);
    status = call_upstream(c, value);
    pthread_cleanup_pop(0);
    return status;
}

/* Stores an encrypt flight's key unless its callers spent it, or an entry of
 * the same ID (stored by a flight that ran beside this one) is live with at
 * least as much room left; a key not stored is retired as exhausted, and a
 * replaced entry as expired or exhausted. */
static void store_encrypt_entry(get_call *c, cache_flight *f, cache_entry *e, uint64_t now)
{
    cache_entry *same = cache_stripe_lookup(c->stripe, ENTRY_ENCRYPT, c->id);
    int same_expired = same != NULL && entry_expired(c, same, now);
    if (e->messages >= f->limit_messages ||
        (same != NULL && !same_expired && same->messages <= e->messages &&
         same->bytes <= e->bytes)) {
        stat_bump_locked(c->stripe, STAT_EVICTED_EXHAUSTED, 1);
        return;
    }
    cache_stripe_insert(c->stripe, e, now, same_expired ? STAT_EVICTED_TTL : STAT_EVICTED_EXHAUSTED,
                        &c->graveyard);
    e->refs++; /* the table's */
}

/* The leader and every caller that joined were charged on the flight; a
 * leader whose buffer is too small hands its message back. */
static void charge_flight_usage(get_call *c, cache_flight *f, cache_entry *e)
{
    if (e->value.blob_len > c->out_cap) {
        f->returned_messages = 1;
        f->returned_bytes = c->plaintext_size;
    }
    e->messages = f->reserved_messages - f->returned_messages;
    e->bytes = f->reserved_bytes - f->returned_bytes;
}

/* Stores the leader's entry unless its flight went stale, and serves the
 * leader from it. Called with the lock held; releases it. */
static dek_cache_status serve_leader(get_call *c, cache_flight *f, cache_entry *e, uint64_t now)
{
    e->created_at = now;
    e->expires_at = saturating_add(now, c->limits.max_age_ns);
    if (!f->stale) {
        if (c->kind == ENTRY_ENCRYPT) {
            charge_flight_usage(c, f, e);
            store_encrypt_entry(c, f, e, now);
        } else {
            cache_stripe_insert(c->stripe, e, now, STAT_EVICTED_INVALIDATED, &c->graveyard);
            e->refs++; /* the table's */
        }
        e->refs++; /* the flight's, for its waiters to copy */
        f->entry = e;
    }
    cache_flight_finish(c->stripe, f, FLIGHT_SUCCEEDED);
    cache_flight_release(c->stripe, f, &c->graveyard);

    use_outcome outcome = copy_value(c, e);
    cache_entry_unref(e, &c->graveyard); /* the leader's own */
    finish_locked(c);
    if (outcome == USE_TOO_SMALL) {
        return DEK_CACHE_ERR_BUFFER_TOO_SMALL;
    }
    if (c->kind == ENTRY_ENCRYPT) {
        report_usage(c, 1, c->plaintext_size);
    }
    c->result->source = DEK_CACHE_SOURCE_LEADER;
    return DEK_CACHE_OK;
}

dek_cache_status cache_call_lead(get_call *c)
{
    cache_flight *f = cache_flight_start(c->stripe, c->kind, c->id, c->plaintext_size, &c->limits);
    if (f == NULL) {
        finish_locked(c);
        set_detail(c->result, "out of memory starting an upstream call");
        return DEK_CACHE_ERR_NO_MEMORY;
    }
    stat_bump_locked(c->stripe, STAT_UPSTREAM_CALLS, 1);
    finish_locked(c); /* entries the lookup retired are cleansed before the slow call */

    dek_cache_value value;
    cache_value_init(&value, &c->cache->allocator);
    dek_cache_status status = call_upstream_as_leader(c, f, &value);
    cache_entry *e = NULL;
    if (status == DEK_CACHE_OK) {
        e = cache_entry_new(c->kind, c->id, &value);
        if (e == NULL) {
            set_detail(c->result, "out of memory storing the upstream's value");
            status = DEK_CACHE_ERR_NO_MEMORY;
        }
    }
    cache_value_release(&value);
    uint64_t now = cache_now(c->cache);

    pthread_mutex_lock(&c->stripe->lock);
    if (status != DEK_CACHE_OK) {
        fail_flight_locked(c, f, status);
        finish_locked(c);
        if (status == DEK_CACHE_ERR_UNCACHEABLE) {
            c->result->source = DEK_CACHE_SOURCE_LEADER;
        }
        return status;
    }
    return serve_leader(c, f, e, now);
}
