#ifndef DEKCACHE_CACHE_CACHE_FLIGHT_H
#define DEKCACHE_CACHE_CACHE_FLIGHT_H

/*
 * Flights: one upstream call in progress per (kind, ID) and stripe, which later
 * callers wait on. Every function expects the stripe lock held.
 */

#include "cache/cache_internal.h"

cache_flight *cache_flight_find(cache_stripe *stripe, entry_kind kind, const dek_cache_id *id);

/* A new running flight, linked into the stripe, referenced by its leader. */
cache_flight *cache_flight_start(cache_stripe *stripe, entry_kind kind, const dek_cache_id *id);

/* Unlinks f so that later callers start a new flight; its result is never
 * stored, and its waiters are woken to fetch anew. */
void cache_flight_make_stale(cache_stripe *stripe, cache_flight *f);

/* Marks every flight of the stripe (or only those for kind/id when id != NULL)
 * stale, waking their waiters. */
void cache_flight_make_all_stale(cache_stripe *stripe, const dek_cache_id *id);

/* Records the outcome, unlinks f and wakes its waiters. */
void cache_flight_finish(cache_stripe *stripe, cache_flight *f, flight_state state);

/* Waits until f finishes or goes stale, or the monotonic deadline passes; 1
 * unless the deadline passed first. Not a cancellation point. */
int cache_flight_wait(cache_stripe *stripe, cache_flight *f, uint64_t deadline_ns);

/* Drops one reference; the last one frees f and its entry reference. */
void cache_flight_release(cache_flight *f, cache_entry **graveyard);

/* Frees every flight of the stripe without waking or destroying anything:
 * used only in a forked child, where no thread waits on them. */
void cache_flight_drop_inherited(cache_stripe *stripe, cache_entry **graveyard);

#endif
