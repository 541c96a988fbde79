/* A stripe: chained hash table plus intrusive LRU list. */
#include "cache/cache_stripe.h"

#include "cache/cache_alloc.h"
#include "cache/cache_value.h"

#include <openssl/crypto.h>
#include <string.h>

/* Expired entries looked at per insert, from the LRU tail (as the C ESDK does). */
#define PRUNE_PER_INSERT 8
#define MIN_BUCKETS      8

int cache_stripe_lock_init(cache_stripe *stripe)
{
    /* Adaptive: spins briefly before sleeping. Critical sections here are tens
     * of ns, far shorter than a futex round trip. */
    pthread_mutexattr_t attr;
    if (pthread_mutexattr_init(&attr) != 0) {
        return 0;
    }
#ifdef PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP /* glibc */
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP);
#endif
    int ok = pthread_mutex_init(&stripe->lock, &attr) == 0;
    pthread_mutexattr_destroy(&attr);
    return ok;
}

int cache_stripe_init(cache_stripe *stripe, size_t capacity)
{
    size_t buckets = MIN_BUCKETS;
    while (buckets < capacity && buckets <= SIZE_MAX / 4) {
        buckets <<= 1;
    }
    stripe->buckets = OPENSSL_zalloc(buckets * sizeof(*stripe->buckets));
    if (stripe->buckets == NULL) {
        return 0;
    }
    if (!cache_stripe_lock_init(stripe)) {
        OPENSSL_free(stripe->buckets);
        return 0;
    }
    stripe->bucket_mask = buckets - 1;
    stripe->lru.lru_next = &stripe->lru;
    stripe->lru.lru_prev = &stripe->lru;
    stripe->capacity = capacity;
    return 1;
}

void cache_stripe_destroy(cache_stripe *stripe, stat_index cause, cache_entry **graveyard)
{
    while (stripe->lru.lru_prev != &stripe->lru) {
        cache_stripe_remove(stripe, stripe->lru.lru_prev, cause, graveyard);
    }
    OPENSSL_free(stripe->buckets);
    stripe->buckets = NULL;
}

static cache_entry **bucket_of(cache_stripe *stripe, const dek_cache_id *id)
{
    return &stripe->buckets[id_word(id, 1) & stripe->bucket_mask];
}

cache_entry *cache_stripe_lookup(cache_stripe *stripe, entry_kind kind, const dek_cache_id *id)
{
    uint64_t tag = id_word(id, 1);
    for (cache_entry *e = stripe->buckets[tag & stripe->bucket_mask]; e != NULL; e = e->hash_next) {
        if (e->tag == tag && e->kind == kind &&
            memcmp(e->id.bytes, id->bytes, sizeof(id->bytes)) == 0) {
            return e;
        }
    }
    return NULL;
}

static void lru_unlink(cache_entry *e)
{
    e->lru_prev->lru_next = e->lru_next;
    e->lru_next->lru_prev = e->lru_prev;
}

static void lru_push_front(cache_stripe *stripe, cache_entry *e)
{
    e->lru_prev = &stripe->lru;
    e->lru_next = stripe->lru.lru_next;
    stripe->lru.lru_next->lru_prev = e;
    stripe->lru.lru_next = e;
}

/* Second chance: the tail's referenced entries move to the front with their
 * bit cleared; the first unreferenced one goes. Each pass clears a bit, so this
 * ends within count + 1 steps. */
static void evict_least_recently_used(cache_stripe *stripe, cache_entry **graveyard)
{
    for (;;) {
        cache_entry *oldest = stripe->lru.lru_prev;
        if (!oldest->referenced) {
            cache_stripe_remove(stripe, oldest, STAT_EVICTED_LRU, graveyard);
            return;
        }
        oldest->referenced = false;
        lru_unlink(oldest);
        lru_push_front(stripe, oldest);
    }
}

void cache_entry_unref(cache_entry *e, cache_entry **graveyard)
{
    /* Cleansed before the count drops: no moment where a fork could catch
     * an entry that nothing reaches with its key still in it. */
    if (e->refs == 1) {
        cache_secret_cleanse(e->value.blob, e->value.blob_len);
    }
    if (--e->refs == 0) {
        e->hash_next = *graveyard;
        *graveyard = e;
    }
}

static void purge_collect(cache_entry *e, cache_entry **found)
{
    if (!e->purge_seen) {
        e->purge_seen = true;
        e->purge_next = *found;
        *found = e;
    }
}

/* A fork in the middle of an insert, a removal or a second-chance move may
 * leave an entry on a bucket chain but not on the LRU list, or on the list
 * in one direction only; each of these walks still ends, and together they
 * reach every entry. */
static cache_entry *purge_collect_all(cache_stripe *stripe)
{
    cache_entry *found = NULL;
    size_t bound = stripe->capacity + 2; /* at most one entry in flux beyond capacity */
    for (size_t b = 0; b <= stripe->bucket_mask; b++) {
        size_t steps = 0;
        for (cache_entry *e = stripe->buckets[b]; e != NULL && steps++ <= bound; e = e->hash_next)
            purge_collect(e, &found);
    }
    size_t steps = 0;
    for (cache_entry *e = stripe->lru.lru_next; e != &stripe->lru && steps++ <= bound;
         e = e->lru_next)
        purge_collect(e, &found);
    steps = 0;
    for (cache_entry *e = stripe->lru.lru_prev; e != &stripe->lru && steps++ <= bound;
         e = e->lru_prev)
        purge_collect(e, &found);
    return found;
}

void cache_stripe_purge_inherited(cache_stripe *stripe, cache_entry **graveyard)
{
    cache_entry *found = purge_collect_all(stripe);
    memset(stripe->buckets, 0, (stripe->bucket_mask + 1) * sizeof(*stripe->buckets));
    stripe->lru.lru_next = &stripe->lru;
    stripe->lru.lru_prev = &stripe->lru;
    stripe->count = 0;
    atomic_store_explicit(&stripe->stats[STAT_ENTRIES], 0, memory_order_relaxed);
    while (found != NULL) {
        cache_entry *e = found;
        found = e->purge_next;
        e->in_table = false;
        e->refs = 1; /* flights' references are dropped next, without counting */
        stat_bump_locked(stripe, STAT_EVICTED_FORK, 1);
        cache_entry_unref(e, graveyard);
    }
}

void cache_stripe_remove(cache_stripe *stripe, cache_entry *e, stat_index cause,
                         cache_entry **graveyard)
{
    cache_entry **link = bucket_of(stripe, &e->id);
    while (*link != e) {
        link = &(*link)->hash_next;
    }
    *link = e->hash_next;
    lru_unlink(e);
    e->in_table = false;
    stripe->count--;
    stat_bump_locked(stripe, STAT_ENTRIES, -1);
    stat_bump_locked(stripe, cause, 1);
    cache_entry_unref(e, graveyard);
}

static void prune_expired_tail(cache_stripe *stripe, uint64_t now, cache_entry **graveyard)
{
    for (int i = 0; i < PRUNE_PER_INSERT && stripe->lru.lru_prev != &stripe->lru; i++) {
        cache_entry *oldest = stripe->lru.lru_prev;
        if (now < oldest->expires_at) {
            return;
        }
        cache_stripe_remove(stripe, oldest, STAT_EVICTED_TTL, graveyard);
    }
}

void cache_stripe_insert(cache_stripe *stripe, cache_entry *e, uint64_t now,
                         stat_index replaced_cause, cache_entry **graveyard)
{
    cache_entry *same = cache_stripe_lookup(stripe, e->kind, &e->id);
    if (same != NULL) {
        cache_stripe_remove(stripe, same, replaced_cause, graveyard);
    }
    prune_expired_tail(stripe, now, graveyard);
    while (stripe->count >= stripe->capacity) {
        evict_least_recently_used(stripe, graveyard);
    }
    cache_entry **bucket = bucket_of(stripe, &e->id);
    e->hash_next = *bucket;
    *bucket = e;
    lru_push_front(stripe, e);
    e->in_table = true;
    stripe->count++;
    stat_bump_locked(stripe, STAT_ENTRIES, 1);
}

size_t cache_stripe_remove_matching(cache_stripe *stripe,
                                    int (*match)(const cache_entry *e, const void *arg),
                                    const void *arg, stat_index cause, cache_entry **graveyard)
{
    size_t removed = 0;
    cache_entry *e = stripe->lru.lru_next;
    while (e != &stripe->lru) {
        cache_entry *next = e->lru_next;
        if (match(e, arg)) {
            cache_stripe_remove(stripe, e, cause, graveyard);
            removed++;
        }
        e = next;
    }
    return removed;
}

cache_entry *cache_entry_new(entry_kind kind, const dek_cache_id *id, dek_cache_value *value)
{
    cache_entry *e = OPENSSL_zalloc(sizeof(*e));
    if (e == NULL) {
        return NULL;
    }
    e->kind = kind;
    e->id = *id;
    e->tag = id_word(id, 1);
    e->refs = 1;
    e->value = *value;
    cache_value_init(value, value->allocator);
    return e;
}

void cache_graveyard_free(cache_entry *graveyard)
{
    while (graveyard != NULL) {
        cache_entry *next = graveyard->hash_next;
        cache_value_release_cleansed(&graveyard->value); /* cleansed by the last unref */
        OPENSSL_free(graveyard);
        graveyard = next;
    }
}
