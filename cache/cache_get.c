/* The lookup paths: hit, singleflight miss, bypass. */
#include "cache/cache_flight.h"
#include "cache/cache_stripe.h"
#include "cache/cache_value.h"

#include <stdio.h>
#include <string.h>

/* One caller's request, carried through the paths below. */
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

static uint64_t saturating_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static void set_detail(dek_cache_result *result, const char *text)
{
    snprintf(result->detail, sizeof(result->detail), "%s", text);
}

static void finish_locked(get_call *c)
{
    pthread_mutex_unlock(&c->stripe->lock);
    cache_graveyard_free(c->graveyard);
    c->graveyard = NULL;
}

/* `now` may predate the entry: a caller reads the clock before it waits for
 * the stripe lock, while a leader inserts with a later clock. Such an entry
 * is fresh, not (by unsigned wrap-around) ancient. */
static int entry_expired(const get_call *c, const cache_entry *e, uint64_t now)
{
    if (now < e->created_at) {
        return 0;
    }
    return now >= e->expires_at || now - e->created_at >= c->limits.max_age_ns;
}

/* Charge-then-check and copy out, all under the stripe lock: two callers can
 * never both pass the last unit. */
static use_outcome use_entry(get_call *c, cache_entry *e)
{
    if (e->value.blob_len > c->out_cap) {
        *c->out_len = e->value.blob_len;
        return USE_TOO_SMALL;
    }
    if (c->kind == ENTRY_ENCRYPT) {
        uint64_t messages = saturating_add(e->messages, 1);
        uint64_t bytes = saturating_add(e->bytes, c->plaintext_size);
        if (messages > c->limits.max_messages || bytes > c->limits.max_bytes) {
            return USE_EXHAUSTED;
        }
        e->messages = messages;
        e->bytes = bytes;
        c->result->messages_used = messages;
        c->result->bytes_used = bytes;
    }
    memcpy(c->out, e->value.blob, e->value.blob_len);
    *c->out_len = e->value.blob_len;
    return USE_OK;
}

/* After a use: the message that reaches the message limit retires the key. */
static void retire_if_spent(get_call *c, cache_entry *e)
{
    if (c->kind == ENTRY_ENCRYPT && e->messages >= c->limits.max_messages) {
        cache_stripe_remove(c->stripe, e, STAT_EVICTED_EXHAUSTED, &c->graveyard);
    }
}

static dek_cache_status copy_flight_error(get_call *c, const cache_flight *f)
{
    c->result->upstream_error = f->upstream_error;
    memcpy(c->result->detail, f->detail, sizeof(c->result->detail));
    return f->error;
}

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

static dek_cache_status bypass(get_call *c)
{
    pthread_mutex_lock(&c->stripe->lock);
    stat_bump_locked(c->stripe, STAT_BYPASSES, 1);
    stat_bump_locked(c->stripe, STAT_UPSTREAM_CALLS, 1);
    pthread_mutex_unlock(&c->stripe->lock);

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
    cache_flight_release(f, &c->graveyard);
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

/* Stores the leader's entry (unless its flight went stale) and serves the
 * leader from it. Called with the lock held; releases it. */
static dek_cache_status serve_leader(get_call *c, cache_flight *f, cache_entry *e, uint64_t now)
{
    e->created_at = now;
    e->expires_at = saturating_add(now, c->limits.max_age_ns);
    if (!f->stale) {
        cache_stripe_insert(c->stripe, e, now, &c->graveyard);
        e->refs++; /* the leader's own, dropped below */
        if (c->kind == ENTRY_DECRYPT) {
            e->refs++;
            f->entry = e;
        }
    }
    cache_flight_finish(c->stripe, f, FLIGHT_SUCCEEDED);
    cache_flight_release(f, &c->graveyard);

    use_outcome outcome = use_entry(c, e);
    if (outcome == USE_OK && e->in_table) {
        retire_if_spent(c, e);
    }
    cache_entry_unref(e, &c->graveyard);
    finish_locked(c);
    if (outcome == USE_TOO_SMALL) {
        return DEK_CACHE_ERR_BUFFER_TOO_SMALL;
    }
    c->result->source = DEK_CACHE_SOURCE_LEADER;
    return DEK_CACHE_OK;
}

/* Starts a flight and calls the upstream. Called with the lock held; releases it. */
static dek_cache_status lead_flight(get_call *c)
{
    cache_flight *f = cache_flight_start(c->stripe, c->kind, c->id);
    if (f == NULL) {
        finish_locked(c);
        set_detail(c->result, "out of memory starting an upstream call");
        return DEK_CACHE_ERR_NO_MEMORY;
    }
    stat_bump_locked(c->stripe, STAT_UPSTREAM_CALLS, 1);
    pthread_mutex_unlock(&c->stripe->lock);

    dek_cache_value value;
    cache_value_init(&value, &c->cache->allocator);
    dek_cache_status status = call_upstream_as_leader(c, f, &value);
    cache_entry *e = NULL;
    if (status == DEK_CACHE_OK) {
        e = cache_entry_new(c->kind, c->id, &value, 0);
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

typedef enum { WAIT_RETRY, WAIT_BYPASS, WAIT_DONE } wait_outcome;

/* Waits on another caller's flight. WAIT_DONE: *status is final, lock released.
 * WAIT_BYPASS: the flight's materials were not shareable, lock released. */
static wait_outcome wait_for_flight(get_call *c, cache_flight *f, uint64_t deadline,
                                    dek_cache_status *status)
{
    f->refs++;
    stat_bump_locked(c->stripe, STAT_COALESCED, 1);
    if (!cache_flight_wait(c->stripe, f, deadline)) {
        stat_bump_locked(c->stripe, STAT_WAIT_TIMEOUTS, 1);
        cache_flight_release(f, &c->graveyard);
        finish_locked(c);
        set_detail(c->result, "timed out waiting for another caller's upstream call");
        *status = DEK_CACHE_ERR_WAIT_TIMEOUT;
        return WAIT_DONE;
    }
    wait_outcome outcome = WAIT_RETRY;
    if (f->stale) {
        outcome = WAIT_RETRY; /* its value predates an invalidation: fetch anew */
    } else if (f->state == FLIGHT_FAILED && f->error == DEK_CACHE_ERR_UNCACHEABLE) {
        outcome = WAIT_BYPASS; /* nothing to share: fetch for ourselves */
    } else if (f->state == FLIGHT_FAILED) {
        *status = copy_flight_error(c, f);
        outcome = WAIT_DONE;
    } else if (c->kind == ENTRY_DECRYPT) {
        /* Decrypt waiters take the flight's value even if it was evicted since. */
        *status = use_entry(c, f->entry) == USE_OK ? DEK_CACHE_OK : DEK_CACHE_ERR_BUFFER_TOO_SMALL;
        c->result->source = DEK_CACHE_SOURCE_COALESCED;
        outcome = WAIT_DONE;
    }
    cache_flight_release(f, &c->graveyard);
    if (outcome != WAIT_RETRY) {
        finish_locked(c);
    }
    return outcome;
}

/* Serves c from a live entry if it can. 1: served (lock released), *status final. */
static int try_entry(get_call *c, uint64_t now, int waited, dek_cache_status *status)
{
    cache_entry *e = cache_stripe_lookup(c->stripe, c->kind, c->id);
    if (e == NULL) {
        return 0;
    }
    if (entry_expired(c, e, now)) {
        cache_stripe_remove(c->stripe, e, STAT_EVICTED_TTL, &c->graveyard);
        return 0;
    }
    use_outcome outcome = use_entry(c, e);
    if (outcome == USE_EXHAUSTED) {
        cache_stripe_remove(c->stripe, e, STAT_EVICTED_EXHAUSTED, &c->graveyard);
        return 0;
    }
    *status = DEK_CACHE_ERR_BUFFER_TOO_SMALL;
    if (outcome == USE_OK) {
        *status = DEK_CACHE_OK;
        cache_stripe_touch(e);
        retire_if_spent(c, e);
        if (!waited) {
            stat_bump_locked(c->stripe, STAT_HITS, 1);
        }
        c->result->source = waited ? DEK_CACHE_SOURCE_COALESCED : DEK_CACHE_SOURCE_HIT;
    }
    finish_locked(c);
    return 1;
}

static dek_cache_status cached_get(get_call *c)
{
    uint64_t now = cache_now(c->cache);
    uint64_t deadline = 0;
    int waited = 0;
    dek_cache_status status = DEK_CACHE_OK;
    pthread_mutex_lock(&c->stripe->lock);
    for (;;) {
        if (try_entry(c, now, waited, &status)) {
            return status;
        }
        if (!waited) {
            stat_bump_locked(c->stripe, STAT_MISSES, 1);
            deadline = cache_monotonic_ns() + c->cache->wait_timeout_ns;
        }
        cache_flight *f = cache_flight_find(c->stripe, c->kind, c->id);
        if (f != NULL && cache_monotonic_ns() - f->started_ns >= c->cache->wait_timeout_ns) {
            cache_flight_make_stale(c->stripe, f); /* abandoned: its leader is stuck */
            f = NULL;
        }
        if (f == NULL) {
            return lead_flight(c);
        }
        wait_outcome outcome = wait_for_flight(c, f, deadline, &status);
        if (outcome == WAIT_DONE) {
            return status;
        }
        if (outcome == WAIT_BYPASS) {
            return bypass(c);
        }
        waited = 1;
        now = cache_now(c->cache);
    }
}

static int limits_valid(const dek_cache_limits *limits)
{
    return limits->max_age_ns > 0 && limits->max_messages >= 1 &&
           limits->max_messages <= DEK_CACHE_MAX_MESSAGES_LIMIT &&
           limits->max_bytes <= DEK_CACHE_MAX_BYTES_LIMIT;
}

/* Fills every field of c except the kind-specific ones (no blanket zeroing:
 * this is the hit path). */
static dek_cache_status start_call(get_call *c, dek_cache *cache, const dek_cache_id *id,
                                   dek_cache_upstream_fn upstream, void *upstream_arg,
                                   unsigned char *out, size_t out_cap, size_t *out_len,
                                   dek_cache_result *result)
{
    if (result == NULL) {
        return DEK_CACHE_ERR_ARGUMENT;
    }
    result->source = DEK_CACHE_SOURCE_NONE;
    result->messages_used = 0;
    result->bytes_used = 0;
    result->upstream_error = 0;
    result->detail[0] = '\0';
    if (cache == NULL || id == NULL || upstream == NULL || out_len == NULL ||
        (out == NULL && out_cap != 0)) {
        set_detail(result, "NULL argument");
        return DEK_CACHE_ERR_ARGUMENT;
    }
    cache_fork_check(cache);
    c->cache = cache;
    c->stripe = stripe_for(cache, id);
    c->id = id;
    c->upstream = upstream;
    c->upstream_arg = upstream_arg;
    c->out = out;
    c->out_cap = out_cap;
    c->out_len = out_len;
    c->result = result;
    c->graveyard = NULL;
    *out_len = 0;
    return DEK_CACHE_OK;
}

dek_cache_status dek_cache_get_encryption(dek_cache *cache, const dek_cache_id *id,
                                          const dek_cache_enc_request *req,
                                          dek_cache_upstream_fn upstream, void *upstream_arg,
                                          unsigned char *out, size_t out_cap, size_t *out_len,
                                          dek_cache_result *result)
{
    get_call c;
    dek_cache_status status =
        start_call(&c, cache, id, upstream, upstream_arg, out, out_cap, out_len, result);
    if (status != DEK_CACHE_OK) {
        return status;
    }
    if (req == NULL || !limits_valid(&req->limits)) {
        set_detail(result, "encryption request without valid limits (max age > 0, "
                           "1 <= max messages <= 2^32, max bytes <= 2^63-1)");
        return DEK_CACHE_ERR_ARGUMENT;
    }
    c.kind = ENTRY_ENCRYPT;
    c.plaintext_size = req->plaintext_size;
    c.limits = req->limits;
    /* The ESDK rule: unknown or too-large messages never touch the cache. */
    if (req->plaintext_size == DEK_CACHE_SIZE_UNKNOWN ||
        req->plaintext_size >= req->limits.max_bytes) {
        return bypass(&c);
    }
    return cached_get(&c);
}

dek_cache_status dek_cache_get_decryption(dek_cache *cache, const dek_cache_id *id,
                                          uint64_t max_age_ns, dek_cache_upstream_fn upstream,
                                          void *upstream_arg, unsigned char *out, size_t out_cap,
                                          size_t *out_len, dek_cache_result *result)
{
    get_call c;
    dek_cache_status status =
        start_call(&c, cache, id, upstream, upstream_arg, out, out_cap, out_len, result);
    if (status != DEK_CACHE_OK) {
        return status;
    }
    if (max_age_ns == 0) {
        set_detail(result, "decryption request without a max age");
        return DEK_CACHE_ERR_ARGUMENT;
    }
    c.kind = ENTRY_DECRYPT;
    c.plaintext_size = 0;
    c.limits = (dek_cache_limits){max_age_ns, DEK_CACHE_MAX_MESSAGES_LIMIT, 0};
    return cached_get(&c);
}
