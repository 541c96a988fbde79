/* White-box: a finished flight whose waiters have not copied its value yet is
 * still reachable from its stripe, so a forked child, where those waiters do
 * not exist, cleanses the key it holds; and once the last waiter is done the
 * flight leaves the stripe. Drives cache/cache_flight.h directly: the window
 * between a flight's end and its waiters' wake-up cannot be held open through
 * the public API. */
#include "cache/cache_flight.h"
#include "cache/cache_stripe.h"
#include "cache/cache_value.h"
#include "cache_test_support.h"
#include "cunit_run.h"

#include <CUnit/CUnit.h>
#include <string.h>

#define SECOND 1000000000ull

static checking_allocator alloc_state;
static dek_cache_allocator hooks;

/* A succeeded flight with one waiter left, holding a key that no table
 * holds (spent in flight): the state serve_leader leaves behind. */
static cache_flight *finished_flight_with_waiter(cache_stripe *stripe, cache_entry **graveyard)
{
    dek_cache_id id = test_id(7);
    dek_cache_limits limits = {SECOND, 2, 1000};
    cache_flight *f = cache_flight_start(stripe, ENTRY_ENCRYPT, &id, 10, &limits);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_PTR_NOT_NULL_FATAL(
        cache_flight_join(stripe, ENTRY_ENCRYPT, &id, 10, &limits, SECOND));
    f->refs++; /* the waiter's, as wait_for_flight takes it */
    dek_cache_value value;
    cache_value_init(&value, &hooks);
    CU_ASSERT_EQUAL_FATAL(dek_cache_value_set(&value, "0123456789abcdef", 16), DEK_CACHE_OK);
    cache_entry *e = cache_entry_new(ENTRY_ENCRYPT, &id, &value);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    e->refs++; /* the flight's */
    f->entry = e;
    cache_flight_finish(stripe, f, FLIGHT_SUCCEEDED);
    cache_flight_release(stripe, f, graveyard); /* the leader's */
    cache_entry_unref(e, graveyard);            /* the leader's own */
    return f;
}

static void setup_stripe(cache_stripe *stripe)
{
    checking_allocator_init(&alloc_state, &hooks);
    memset(stripe, 0, sizeof(*stripe));
    CU_ASSERT_TRUE_FATAL(cache_stripe_init(stripe, 16));
}

static void teardown_stripe(cache_stripe *stripe)
{
    cache_entry *graveyard = NULL;
    cache_stripe_destroy(stripe, STAT_EVICTED_INVALIDATED, &graveyard);
    cache_graveyard_free(graveyard);
    pthread_mutex_destroy(&stripe->lock);
}

static void test_child_cleanses_key_of_finished_flight(void)
{
    cache_stripe stripe;
    setup_stripe(&stripe);
    cache_entry *graveyard = NULL;
    finished_flight_with_waiter(&stripe, &graveyard);
    CU_ASSERT_PTR_NULL(graveyard);
    CU_ASSERT_PTR_NOT_NULL(stripe.finished);
    CU_ASSERT_EQUAL(atomic_load(&alloc_state.live), 1);

    cache_flight_drop_inherited(&stripe, &graveyard); /* what a child does */
    cache_graveyard_free(graveyard);
    CU_ASSERT_PTR_NULL(stripe.finished);
    CU_ASSERT_EQUAL(atomic_load(&alloc_state.live), 0);
    CU_ASSERT_EQUAL(atomic_load(&alloc_state.dirty_frees), 0);
    teardown_stripe(&stripe);
}

static void test_last_waiter_unlinks_finished_flight(void)
{
    cache_stripe stripe;
    setup_stripe(&stripe);
    cache_entry *graveyard = NULL;
    cache_flight *f = finished_flight_with_waiter(&stripe, &graveyard);
    cache_flight_release(&stripe, f, &graveyard); /* the waiter copied and left */
    CU_ASSERT_PTR_NULL(stripe.finished);
    CU_ASSERT_PTR_NOT_NULL(graveyard);
    cache_graveyard_free(graveyard);
    CU_ASSERT_EQUAL(atomic_load(&alloc_state.live), 0);
    CU_ASSERT_EQUAL(atomic_load(&alloc_state.dirty_frees), 0);
    teardown_stripe(&stripe);
}

/* The join rule itself: a full flight, and a flight whose callers' limits
 * are tighter than the newcomer's, take no one; a decrypt flight takes all. */
static void test_join_respects_every_callers_limits(void)
{
    cache_stripe stripe;
    setup_stripe(&stripe);
    dek_cache_id id = test_id(8);
    dek_cache_limits tight = {SECOND, 2, 1000}, loose = {SECOND, 100, 100000};
    cache_flight *f = cache_flight_start(&stripe, ENTRY_ENCRYPT, &id, 10, &tight);
    CU_ASSERT_PTR_EQUAL(cache_flight_join(&stripe, ENTRY_ENCRYPT, &id, 10, &loose, SECOND), f);
    CU_ASSERT_PTR_NULL(cache_flight_join(&stripe, ENTRY_ENCRYPT, &id, 10, &loose, SECOND));
    CU_ASSERT_EQUAL(f->reserved_messages, 2);
    CU_ASSERT_EQUAL(f->reserved_bytes, 20);
    /* A newcomer's own tighter limits keep it off a flight with room. */
    cache_flight *g = cache_flight_start(&stripe, ENTRY_ENCRYPT, &id, 10, &loose);
    CU_ASSERT_PTR_EQUAL(cache_flight_join(&stripe, ENTRY_ENCRYPT, &id, 10, &loose, SECOND), g);
    CU_ASSERT_PTR_EQUAL(cache_flight_join(&stripe, ENTRY_ENCRYPT, &id, 10, &loose, SECOND), g);
    CU_ASSERT_PTR_NULL(cache_flight_join(&stripe, ENTRY_ENCRYPT, &id, 10, &tight, SECOND));
    dek_cache_limits few_bytes = {SECOND, 100, 35};
    CU_ASSERT_PTR_NULL(cache_flight_join(&stripe, ENTRY_ENCRYPT, &id, 10, &few_bytes, SECOND));
    CU_ASSERT_EQUAL(g->reserved_messages, 3);
    CU_ASSERT_EQUAL(g->reserved_bytes, 30);
    cache_flight *d = cache_flight_start(&stripe, ENTRY_DECRYPT, &id, 0, &tight);
    for (int i = 0; i < 5; i++) {
        CU_ASSERT_PTR_EQUAL(cache_flight_join(&stripe, ENTRY_DECRYPT, &id, 0, &tight, SECOND), d);
    }
    cache_entry *graveyard = NULL;
    cache_flight_finish(&stripe, f, FLIGHT_FAILED);
    cache_flight_release(&stripe, f, &graveyard);
    cache_flight_finish(&stripe, g, FLIGHT_FAILED);
    cache_flight_release(&stripe, g, &graveyard);
    cache_flight_finish(&stripe, d, FLIGHT_FAILED);
    cache_flight_release(&stripe, d, &graveyard);
    CU_ASSERT_PTR_NULL(stripe.flights);
    teardown_stripe(&stripe);
}

int main(void)
{
    static const dekcache_test_case tests[] = {
        {"a child cleanses the key of a finished flight",
         test_child_cleanses_key_of_finished_flight},
        {"the last waiter unlinks a finished flight", test_last_waiter_unlinks_finished_flight},
        {"joining respects every caller's limits", test_join_respects_every_callers_limits},
        {NULL, NULL}};
    dekcache_add_suite("cache flight bookkeeping", NULL, NULL, tests);
    return dekcache_run_tests();
}
