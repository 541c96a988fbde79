#ifndef DEKCACHE_CACHE_CACHE_FLIGHT_H
#define DEKCACHE_CACHE_CACHE_FLIGHT_H

/*
 * Flights: upstream calls in progress, which later callers for the same
 * (kind, ID) join and wait on. A decrypt flight takes any number of callers,
 * so one runs per ID. An encrypt flight takes as many messages as its key may
 * encrypt: each caller that joins reserves one message and its bytes on it, and
 * a caller that no running flight has room for starts another one at once, so
 * N callers with limit M run ceil(N/M) upstream calls side by side rather than
 * one after another. Every function expects the stripe lock held.
 */

#include "cache/cache_internal.h"

/* A running flight for kind/id that takes this caller, or NULL. An encrypt
 * flight takes a message of `size` bytes only while its reservations stay
 * within `limits`, and reserves it. Flights running for abandon_ns or longer
 * are made stale on the way: their leaders are stuck. */
cache_flight *cache_flight_join(cache_stripe *stripe, entry_kind kind, const dek_cache_id *id,
                                uint64_t size, const dek_cache_limits *limits, uint64_t abandon_ns);

/* A new running flight, linked into the stripe, referenced by its leader, who
 * holds the first reservation (one message of `size` bytes under `limits`). */
cache_flight *cache_flight_start(cache_stripe *stripe, entry_kind kind, const dek_cache_id *id,
                                 uint64_t size, const dek_cache_limits *limits);

/* Marks every flight of the stripe (or only those for kind/id when id != NULL)
 * stale, waking their waiters. */
void cache_flight_make_all_stale(cache_stripe *stripe, const dek_cache_id *id);

/* Records the outcome, unlinks f and wakes its waiters. A flight with a value
 * and waiters moves to the stripe's finished list until its last release. */
void cache_flight_finish(cache_stripe *stripe, cache_flight *f, flight_state state);

/* Waits until f finishes or goes stale, or the monotonic deadline passes; 1
 * unless the deadline passed first. Not a cancellation point. */
int cache_flight_wait(cache_stripe *stripe, cache_flight *f, uint64_t deadline_ns);

/* Drops one reference; the last one frees f and its entry reference. */
void cache_flight_release(cache_stripe *stripe, cache_flight *f, cache_entry **graveyard);

/* Frees every flight of the stripe, running or finished, without waking or
 * destroying anything: used only in a forked child, where no thread waits on
 * them, after cache_stripe_purge_inherited. An entry the purge did not take
 * goes to the graveyard, cleansed, whatever its count said. */
void cache_flight_drop_inherited(cache_stripe *stripe, cache_entry **graveyard);

#endif
