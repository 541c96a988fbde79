/* White-box: what a forked child finds in a stripe when the parent forked
 * while one of its threads was half-way through changing it (the child
 * re-creates the lock; that thread does not exist there). The purge must
 * reach every entry however the table was torn, and no removed entry may
 * wait for its cleanse outside the lock. Torn states are built by hand: the
 * few instructions of each window cannot be held open through the API. */
#include "cache/cache_flight.h"
#include "cache/cache_stripe.h"
#include "cache/cache_value.h"
#include "cache_test_support.h"
#include "cunit_run.h"

#include <CUnit/CUnit.h>
#include <string.h>

#define N_ENTRIES 4

static checking_allocator alloc_state;
static dek_cache_allocator hooks;

static cache_entry *new_entry(int n)
{
    dek_cache_id id = test_id(n);
    dek_cache_value value;
    cache_value_init(&value, &hooks);
    CU_ASSERT_EQUAL_FATAL(dek_cache_value_set(&value, "0123456789abcdef", 16), DEK_CACHE_OK);
    cache_entry *e = cache_entry_new(ENTRY_DECRYPT, &id, &value);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    e->expires_at = UINT64_MAX; /* as serving it would set, so insertion keeps it */
    return e;
}

static void fill_stripe(cache_stripe *stripe, cache_entry **entries)
{
    checking_allocator_init(&alloc_state, &hooks);
    memset(stripe, 0, sizeof(*stripe));
    CU_ASSERT_TRUE_FATAL(cache_stripe_init(stripe, 16));
    cache_entry *graveyard = NULL;
    for (int i = 0; i < N_ENTRIES; i++) {
        entries[i] = new_entry(i + 1);
        cache_stripe_insert(stripe, entries[i], 0, STAT_EVICTED_INVALIDATED, &graveyard);
    }
    CU_ASSERT_PTR_NULL(graveyard);
}

static void unlink_from_chain(cache_stripe *stripe, cache_entry *e)
{
    for (size_t b = 0; b <= stripe->bucket_mask; b++) {
        for (cache_entry **link = &stripe->buckets[b]; *link != NULL; link = &(*link)->hash_next) {
            if (*link == e) {
                *link = e->hash_next;
                return;
            }
        }
    }
}

/* What the child does, the table then the flights, and what must follow:
 * every key cleansed and freed, the table empty, nothing left to find.
 * fork_evictions: the entries the table's purge reached. */
static void expect_child_purge(cache_stripe *stripe, uint64_t fork_evictions)
{
    cache_entry *graveyard = NULL;
    cache_stripe_purge_inherited(stripe, &graveyard);
    cache_flight_drop_inherited(stripe, &graveyard);
    cache_graveyard_free(graveyard);
    CU_ASSERT_EQUAL(atomic_load(&alloc_state.live), 0);
    CU_ASSERT_EQUAL(atomic_load(&alloc_state.dirty_frees), 0);
    CU_ASSERT_PTR_NULL(stripe->finished);
    CU_ASSERT_EQUAL(stripe->count, 0);
    CU_ASSERT_PTR_EQUAL(stripe->lru.lru_next, &stripe->lru);
    CU_ASSERT_EQUAL(atomic_load(&stripe->stats[STAT_EVICTED_FORK]), fork_evictions);
    CU_ASSERT_EQUAL(atomic_load(&stripe->stats[STAT_ENTRIES]), 0);
    for (int i = 0; i < N_ENTRIES; i++) {
        dek_cache_id id = test_id(i + 1);
        CU_ASSERT_PTR_NULL(cache_stripe_lookup(stripe, ENTRY_DECRYPT, &id));
    }
    cache_stripe_destroy(stripe, STAT_EVICTED_INVALIDATED, &graveyard);
    pthread_mutex_destroy(&stripe->lock);
}

/* Forked between linking an entry into its bucket and onto the LRU list
 * (cache_stripe_insert): the entry is on a chain only. Purging from the LRU
 * list alone left it behind, and the child's first lookup served the
 * parent's key. */
static void test_entry_on_chain_only(void)
{
    cache_stripe stripe;
    cache_entry *entries[N_ENTRIES];
    fill_stripe(&stripe, entries);
    cache_entry *torn = entries[2];
    torn->lru_prev->lru_next = torn->lru_next;
    torn->lru_next->lru_prev = torn->lru_prev;
    expect_child_purge(&stripe, N_ENTRIES);
}

/* Forked inside a removal (cache_stripe_remove): unlinked from its chain and
 * from the list in one direction only. Removing it again walked the chain
 * off its end. */
static void test_entry_half_removed(void)
{
    cache_stripe stripe;
    cache_entry *entries[N_ENTRIES];
    fill_stripe(&stripe, entries);
    cache_entry *torn = entries[1];
    unlink_from_chain(&stripe, torn);
    torn->lru_prev->lru_next = torn->lru_next; /* the backward link still reaches it */
    expect_child_purge(&stripe, N_ENTRIES);
}

/* A finished flight whose waiter (a thread the child lacks) has not copied
 * its entry yet: the entry holds the flight's reference too. */
static void hold_by_finished_flight(cache_stripe *stripe, cache_entry *e)
{
    dek_cache_limits limits = {1000000000ull, 10, 1000};
    cache_flight *f = cache_flight_start(stripe, ENTRY_DECRYPT, &e->id, 0, &limits);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    f->refs++; /* the waiter's */
    e->refs++; /* the flight's */
    f->entry = e;
    cache_flight_finish(stripe, f, FLIGHT_SUCCEEDED);
    cache_entry *graveyard = NULL;
    cache_flight_release(stripe, f, &graveyard); /* the leader's */
    CU_ASSERT_PTR_NULL(graveyard);
}

/* An entry both in the table and held by a flight is freed once. */
static void test_entry_in_table_and_flight_freed_once(void)
{
    cache_stripe stripe;
    cache_entry *entries[N_ENTRIES];
    fill_stripe(&stripe, entries);
    hold_by_finished_flight(&stripe, entries[3]);
    expect_child_purge(&stripe, N_ENTRIES);
    CU_ASSERT_EQUAL(atomic_load(&alloc_state.frees), N_ENTRIES);
}

/* Forked inside cache_stripe_remove after both unlinks, before the table's
 * reference was dropped, while a flight also held the entry: only the
 * flight reaches it, and its count still names the table. Dropping the
 * flight's reference alone left the key in memory, uncleansed. */
static void test_entry_cut_from_table_held_by_flight(void)
{
    cache_stripe stripe;
    cache_entry *entries[N_ENTRIES];
    fill_stripe(&stripe, entries);
    cache_entry *torn = entries[0];
    hold_by_finished_flight(&stripe, torn);
    unlink_from_chain(&stripe, torn);
    torn->lru_prev->lru_next = torn->lru_next;
    torn->lru_next->lru_prev = torn->lru_prev;
    expect_child_purge(&stripe, N_ENTRIES - 1); /* the flight frees the torn one */
}

/* The last reference dropped under the lock cleanses the key at once: the
 * graveyard is freed after the lock is let go, and a fork in between would
 * hand the child a key that nothing it can see points to. */
static void test_key_cleansed_before_graveyard_is_freed(void)
{
    cache_stripe stripe;
    cache_entry *entries[N_ENTRIES];
    fill_stripe(&stripe, entries);
    cache_entry *graveyard = NULL;
    cache_stripe_remove(&stripe, entries[0], STAT_EVICTED_INVALIDATED, &graveyard);
    CU_ASSERT_PTR_EQUAL_FATAL(graveyard, entries[0]);
    static const unsigned char zeros[16] = {0};
    CU_ASSERT_EQUAL(memcmp(graveyard->value.blob, zeros, sizeof(zeros)), 0);
    cache_graveyard_free(graveyard);
    graveyard = NULL;
    cache_stripe_destroy(&stripe, STAT_EVICTED_INVALIDATED, &graveyard);
    cache_graveyard_free(graveyard);
    pthread_mutex_destroy(&stripe.lock);
    CU_ASSERT_EQUAL(atomic_load(&alloc_state.live), 0);
}

int main(void)
{
    static const dekcache_test_case tests[] = {
        {"a child purges an entry on a bucket chain only", test_entry_on_chain_only},
        {"a child purges a half-removed entry", test_entry_half_removed},
        {"an entry in the table and a flight is freed once",
         test_entry_in_table_and_flight_freed_once},
        {"an entry cut from the table but held by a flight is purged",
         test_entry_cut_from_table_held_by_flight},
        {"a removed entry's key is cleansed before its graveyard is freed",
         test_key_cleansed_before_graveyard_is_freed},
        {NULL, NULL}};
    dekcache_add_suite("cache purge after a fork mid-update", NULL, NULL, tests);
    return dekcache_run_tests();
}
