#ifndef DEKCACHE_CACHE_CACHE_STRIPE_H
#define DEKCACHE_CACHE_CACHE_STRIPE_H

/*
 * One stripe's hash table and LRU list. Every function here except
 * cache_graveyard_free expects the stripe lock held. Removed entries are
 * cleansed when their last reference goes and wait on a caller-held graveyard
 * list, freed after the lock is released, so the lock is never held across
 * the (secure) heap.
 */

#include "cache/cache_internal.h"

int cache_stripe_init(cache_stripe *stripe, size_t capacity);

/* (Re-)creates the stripe lock; also used in a forked child. */
int cache_stripe_lock_init(cache_stripe *stripe);

/* Moves every entry to the graveyard (counting each under cause) and frees the
 * bucket array; the stripe must have no flights left. */
void cache_stripe_destroy(cache_stripe *stripe, stat_index cause, cache_entry **graveyard);

cache_entry *cache_stripe_lookup(cache_stripe *stripe, entry_kind kind, const dek_cache_id *id);

/* Marks e recently used: recency is a second-chance bit, so a hit writes only
 * to its own entry and never to its LRU neighbours (eviction approximates LRU:
 * an entry used since it last reached the tail is kept and moved to the front). */
static inline void cache_stripe_touch(cache_entry *e)
{
    if (!e->referenced) {
        e->referenced = true;
    }
}

/* In a forked child: moves every entry the stripe holds to the graveyard
 * (counted as fork evictions) without trusting the table to be consistent,
 * since the parent may have forked while a thread was half-way through
 * changing it. Run before cache_flight_drop_inherited, which leaves the
 * entries taken here (marked purge_seen) alone. */
void cache_stripe_purge_inherited(cache_stripe *stripe, cache_entry **graveyard);

/* Unlinks e from the table (counted under cause) and drops the table's reference. */
void cache_stripe_remove(cache_stripe *stripe, cache_entry *e, stat_index cause,
                         cache_entry **graveyard);

/* Links e (holding one reference for the table) as most recently used, after
 * removing a same-ID entry (counted under replaced_cause), expired entries at
 * the LRU tail and, while the stripe is full, the least recently used entries. */
void cache_stripe_insert(cache_stripe *stripe, cache_entry *e, uint64_t now,
                         stat_index replaced_cause, cache_entry **graveyard);

/* Removes every entry for which match returns 1; returns how many. */
size_t cache_stripe_remove_matching(cache_stripe *stripe,
                                    int (*match)(const cache_entry *e, const void *arg),
                                    const void *arg, stat_index cause, cache_entry **graveyard);

/* Drops one reference; an unreferenced entry goes to the graveyard, its key
 * already cleansed (under the stripe lock, so a fork before the graveyard is
 * freed hands the child no key it cannot reach). */
void cache_entry_unref(cache_entry *e, cache_entry **graveyard);

/* A new entry owning *value (left empty), holding one reference; its expiry
 * is set when it is served. NULL on ENOMEM. */
cache_entry *cache_entry_new(entry_kind kind, const dek_cache_id *id, dek_cache_value *value);

/* Frees every entry of a graveyard list (each cleansed already). Call with no
 * lock held. */
void cache_graveyard_free(cache_entry *graveyard);

#endif
