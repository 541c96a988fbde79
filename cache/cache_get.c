/* The lookup paths: hit, waiting on a flight, and the public entry points. */
#include "cache/cache_call.h"
#include "cache/cache_flight.h"

static dek_cache_status copy_flight_error(get_call *c, const cache_flight *f)
{
    c->result->upstream_error = f->upstream_error;
    memcpy(c->result->detail, f->detail, sizeof(c->result->detail));
    return f->error;
}

typedef enum { WAIT_RETRY, WAIT_BYPASS, WAIT_DONE } wait_outcome;

/* Waits on another caller's flight. WAIT_DONE: *status is final, lock released.
 * WAIT_BYPASS: the flight's materials were not shareable, lock released. */
static wait_outcome wait_for_flight(get_call *c, cache_flight *f, uint64_t deadline,
                                    dek_cache_status *status)
{
    f->refs++;
    /* Encrypt: this caller's place on the flight, just reserved. */
    uint64_t reserved_messages = f->reserved_messages, reserved_bytes = f->reserved_bytes;
    stat_bump_locked(c->stripe, STAT_COALESCED, 1);
    if (!cache_flight_wait(c->stripe, f, deadline)) {
        stat_bump_locked(c->stripe, STAT_WAIT_TIMEOUTS, 1);
        cache_flight_release(c->stripe, f, &c->graveyard);
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
    } else {
        /* Waiters take the flight's value even if it was evicted since; an
         * encrypt waiter's message was charged when it joined. */
        *status = DEK_CACHE_ERR_BUFFER_TOO_SMALL;
        if (copy_value(c, f->entry) == USE_OK) {
            *status = DEK_CACHE_OK;
            c->result->source = DEK_CACHE_SOURCE_COALESCED;
            if (c->kind == ENTRY_ENCRYPT) {
                report_usage(c, reserved_messages - f->returned_messages,
                             reserved_bytes - f->returned_bytes);
            }
        }
        outcome = WAIT_DONE;
    }
    cache_flight_release(c->stripe, f, &c->graveyard);
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
        cache_flight *f = cache_flight_join(c->stripe, c->kind, c->id, c->plaintext_size,
                                            &c->limits, c->cache->wait_timeout_ns);
        if (f == NULL) {
            return cache_call_lead(c);
        }
        wait_outcome outcome = wait_for_flight(c, f, deadline, &status);
        if (outcome == WAIT_DONE) {
            return status;
        }
        if (outcome == WAIT_BYPASS) {
            return cache_call_bypass(c);
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
        return cache_call_bypass(&c);
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
