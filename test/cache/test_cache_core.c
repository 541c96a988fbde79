/* Single-threaded behaviour of the cache: hits, limits, TTL, LRU, invalidation,
 * bypass, cleansing on every eviction path. */
#include "cache/dek_cache.h"
#include "cache_test_support.h"
#include "cunit_run.h"

#include <CUnit/CUnit.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#define SECOND 1000000000ull

static test_clock clock_state;
static checking_allocator alloc_state;
static dek_cache_allocator hooks;
static counting_upstream up;
static dek_cache *cache;

static void setup(size_t capacity, unsigned stripes)
{
    atomic_store(&clock_state.now, 1000 * SECOND);
    checking_allocator_init(&alloc_state, &hooks);
    memset(&up, 0, sizeof(up));
    cache = make_cache(capacity, stripes, &clock_state, &hooks, 0);
}

/* Frees the cache and checks every secret buffer was zero when freed. */
static void teardown(void)
{
    dek_cache_free(cache);
    cache = NULL;
    CU_ASSERT_EQUAL(atomic_load(&alloc_state.live), 0);
    CU_ASSERT_EQUAL(atomic_load(&alloc_state.dirty_frees), 0);
    CU_ASSERT_EQUAL(atomic_load(&alloc_state.allocs), atomic_load(&alloc_state.frees));
}

static dek_cache_stats stats(void)
{
    dek_cache_stats s;
    dek_cache_get_stats(cache, &s);
    return s;
}

/* One encryption; returns the DEK serial used, or -status on failure. */
static int encrypt(unsigned key, uint64_t size, uint64_t max_messages, uint64_t max_bytes,
                   dek_cache_result *result)
{
    dek_cache_id id = test_id(key);
    dek_cache_enc_request req = {size, {10 * SECOND, max_messages, max_bytes}};
    unsigned char out[64];
    size_t len = 0;
    dek_cache_status status = dek_cache_get_encryption(cache, &id, &req, counting_upstream_fn, &up,
                                                       out, sizeof(out), &len, result);
    return status == DEK_CACHE_OK ? blob_serial(out, len) : -(int)status;
}

static int decrypt(unsigned key, uint64_t max_age)
{
    dek_cache_id id = test_id(key);
    unsigned char out[64];
    size_t len = 0;
    dek_cache_result result;
    dek_cache_status status = dek_cache_get_decryption(cache, &id, max_age, counting_upstream_fn,
                                                       &up, out, sizeof(out), &len, &result);
    return status == DEK_CACHE_OK ? blob_serial(out, len) : -(int)status;
}

static void test_hit_after_miss_copies_out(void)
{
    setup(10, 1);
    dek_cache_result r;
    CU_ASSERT_EQUAL(encrypt(1, 10, 100, 1000, &r), 1);
    CU_ASSERT_EQUAL(r.source, DEK_CACHE_SOURCE_LEADER);
    CU_ASSERT_EQUAL(r.messages_used, 1);
    CU_ASSERT_EQUAL(encrypt(1, 10, 100, 1000, &r), 1);
    CU_ASSERT_EQUAL(r.source, DEK_CACHE_SOURCE_HIT);
    CU_ASSERT_EQUAL(r.messages_used, 2);
    CU_ASSERT_EQUAL(r.bytes_used, 20);
    CU_ASSERT_EQUAL(encrypt(2, 10, 100, 1000, &r), 2);
    CU_ASSERT_EQUAL(atomic_load(&up.calls), 2);
    dek_cache_stats s = stats();
    CU_ASSERT_EQUAL(s.hits, 1);
    CU_ASSERT_EQUAL(s.misses, 2);
    CU_ASSERT_EQUAL(s.upstream_calls, 2);
    CU_ASSERT_EQUAL(s.entries, 2);
    teardown();
}

static void test_message_limit_reached_uses_then_retires(void)
{
    setup(10, 1);
    dek_cache_result r;
    for (int i = 1; i <= 3; i++) {
        CU_ASSERT_EQUAL(encrypt(1, 1, 3, 1000, &r), 1);
        CU_ASSERT_EQUAL(r.messages_used, (uint64_t)i);
    }
    CU_ASSERT_EQUAL(stats().evicted_exhausted, 1);
    CU_ASSERT_EQUAL(stats().entries, 0);
    CU_ASSERT_EQUAL(encrypt(1, 1, 3, 1000, &r), 2);
    CU_ASSERT_EQUAL(r.source, DEK_CACHE_SOURCE_LEADER);
    CU_ASSERT_EQUAL(atomic_load(&up.calls), 2);
    teardown();
}

static void test_max_messages_one_never_reuses(void)
{
    setup(10, 1);
    dek_cache_result r;
    CU_ASSERT_EQUAL(encrypt(1, 1, 1, 1000, &r), 1);
    CU_ASSERT_EQUAL(encrypt(1, 1, 1, 1000, &r), 2);
    CU_ASSERT_EQUAL(stats().entries, 0);
    teardown();
}

static void test_byte_limit_reached_exactly_keeps_entry(void)
{
    setup(10, 1);
    dek_cache_result r;
    CU_ASSERT_EQUAL(encrypt(1, 60, 100, 100, &r), 1);
    CU_ASSERT_EQUAL(encrypt(1, 40, 100, 100, &r), 1);
    CU_ASSERT_EQUAL(r.bytes_used, 100);
    /* Exactly at the byte limit: a zero-byte message may still use the key. */
    CU_ASSERT_EQUAL(encrypt(1, 0, 100, 100, &r), 1);
    CU_ASSERT_EQUAL(r.messages_used, 3);
    /* One more byte would exceed it: the entry retires, a new DEK serves. */
    CU_ASSERT_EQUAL(encrypt(1, 1, 100, 100, &r), 2);
    CU_ASSERT_EQUAL(r.bytes_used, 1);
    CU_ASSERT_EQUAL(stats().evicted_exhausted, 1);
    teardown();
}

static void test_zero_byte_messages_count_messages(void)
{
    setup(10, 1);
    dek_cache_result r;
    for (int i = 0; i < 4; i++) {
        CU_ASSERT_EQUAL(encrypt(1, 0, 4, 10, &r), 1);
    }
    CU_ASSERT_EQUAL(r.bytes_used, 0);
    CU_ASSERT_EQUAL(r.messages_used, 4);
    CU_ASSERT_EQUAL(encrypt(1, 0, 4, 10, &r), 2);
    teardown();
}

/* Bypasses the caller decides before asking the cache count with its own. */
static void test_caller_counted_bypass(void)
{
    setup(16, 4);
    dek_cache_count_bypass(cache, 0);
    dek_cache_count_bypass(cache, 1);
    dek_cache_count_bypass(NULL, 1);
    CU_ASSERT_EQUAL(stats().bypasses, 2);
    CU_ASSERT_EQUAL(stats().upstream_calls, 2);
    CU_ASSERT_EQUAL(stats().upstream_failures, 1);
    CU_ASSERT_EQUAL(stats().misses + stats().hits + stats().entries, 0);
    teardown();
}

static void test_bypass_unknown_or_large_size(void)
{
    setup(10, 1);
    dek_cache_result r;
    CU_ASSERT_EQUAL(encrypt(1, DEK_CACHE_SIZE_UNKNOWN, 100, 1000, &r), 1);
    CU_ASSERT_EQUAL(r.source, DEK_CACHE_SOURCE_BYPASS);
    CU_ASSERT_EQUAL(encrypt(1, 1000, 100, 1000, &r), 2); /* size == max bytes */
    CU_ASSERT_EQUAL(r.source, DEK_CACHE_SOURCE_BYPASS);
    CU_ASSERT_EQUAL(encrypt(1, 0, 100, 0, &r), 3); /* max bytes 0: every size bypasses */
    CU_ASSERT_EQUAL(stats().entries, 0);
    CU_ASSERT_EQUAL(stats().bypasses, 3);
    CU_ASSERT_EQUAL(stats().upstream_calls, 3);
    CU_ASSERT_EQUAL(encrypt(1, 999, 100, 1000, &r), 4);
    CU_ASSERT_EQUAL(r.source, DEK_CACHE_SOURCE_LEADER);
    teardown();
}

static void test_ttl_expiry_with_injected_clock(void)
{
    setup(10, 1);
    dek_cache_result r;
    CU_ASSERT_EQUAL(encrypt(1, 1, 100, 1000, &r), 1);
    atomic_fetch_add(&clock_state.now, 10 * SECOND - 1);
    CU_ASSERT_EQUAL(encrypt(1, 1, 100, 1000, &r), 1);
    atomic_fetch_add(&clock_state.now, 1);
    CU_ASSERT_EQUAL(encrypt(1, 1, 100, 1000, &r), 2);
    CU_ASSERT_EQUAL(stats().evicted_ttl, 1);
    /* Decrypt entries: the caller's own max age applies too. */
    CU_ASSERT_EQUAL(decrypt(2, 5 * SECOND), 3);
    atomic_fetch_add(&clock_state.now, 2 * SECOND);
    CU_ASSERT_EQUAL(decrypt(2, 5 * SECOND), 3);
    CU_ASSERT_EQUAL(decrypt(2, 1 * SECOND), 4);
    CU_ASSERT_EQUAL(atomic_load(&up.calls), 4);
    teardown();
}

/* A caller reads the clock before it waits for the stripe lock, so its `now`
 * can predate an entry a leader inserted meanwhile: that entry is fresh. */
static void test_clock_read_before_entry_creation_is_not_expiry(void)
{
    setup(10, 1);
    dek_cache_result r;
    CU_ASSERT_EQUAL(encrypt(1, 1, 100, 1000, &r), 1); /* created at t */
    atomic_fetch_sub(&clock_state.now, SECOND);       /* a read from before t */
    CU_ASSERT_EQUAL(encrypt(1, 1, 100, 1000, &r), 1);
    CU_ASSERT_EQUAL(r.source, DEK_CACHE_SOURCE_HIT);
    CU_ASSERT_EQUAL(stats().evicted_ttl, 0);
    teardown();
}

static void test_lru_order_with_single_stripe(void)
{
    setup(3, 0);
    CU_ASSERT_EQUAL(dek_cache_stripe_count(cache), 1);
    dek_cache_result r;
    CU_ASSERT_EQUAL(encrypt(1, 1, 100, 1000, &r), 1);
    CU_ASSERT_EQUAL(encrypt(2, 1, 100, 1000, &r), 2);
    CU_ASSERT_EQUAL(encrypt(3, 1, 100, 1000, &r), 3);
    CU_ASSERT_EQUAL(encrypt(1, 1, 100, 1000, &r), 1); /* 1 is now most recent */
    CU_ASSERT_EQUAL(encrypt(4, 1, 100, 1000, &r), 4); /* evicts 2, the LRU */
    CU_ASSERT_EQUAL(stats().evicted_lru, 1);
    CU_ASSERT_EQUAL(encrypt(1, 1, 100, 1000, &r), 1);
    CU_ASSERT_EQUAL(encrypt(3, 1, 100, 1000, &r), 3);
    CU_ASSERT_EQUAL(encrypt(2, 1, 100, 1000, &r), 5);
    CU_ASSERT_EQUAL(stats().entries, 3);
    teardown();
}

static void test_expired_tail_pruned_before_lru(void)
{
    setup(3, 1);
    dek_cache_result r;
    encrypt(1, 1, 100, 1000, &r);
    encrypt(2, 1, 100, 1000, &r);
    atomic_fetch_add(&clock_state.now, 11 * SECOND);
    encrypt(3, 1, 100, 1000, &r); /* 1 and 2 expired: pruned, not LRU-evicted */
    CU_ASSERT_EQUAL(stats().evicted_ttl, 2);
    CU_ASSERT_EQUAL(stats().evicted_lru, 0);
    CU_ASSERT_EQUAL(stats().entries, 1);
    teardown();
}

static void test_stripes_shrink_for_small_capacity(void)
{
    setup(100, 64);
    CU_ASSERT_EQUAL(dek_cache_stripe_count(cache), 4);
    teardown();
    setup(16, 0);
    CU_ASSERT_EQUAL(dek_cache_stripe_count(cache), 1);
    teardown();
    setup(100000, 8);
    CU_ASSERT_EQUAL(dek_cache_stripe_count(cache), 8);
    /* Large capacity keeps the requested stripes; 50 keys fit without eviction. */
    dek_cache_result r;
    for (unsigned k = 0; k < 50; k++) {
        encrypt(k, 1, 100, 1000, &r);
    }
    CU_ASSERT_EQUAL(stats().entries, 50);
    CU_ASSERT_EQUAL(stats().evicted_lru, 0);
    teardown();
}

static void test_capacity_is_exact_across_stripes(void)
{
    setup(70, 4); /* 18 + 18 + 17 + 17 */
    dek_cache_result r;
    for (unsigned k = 0; k < 1000; k++) {
        encrypt(k, 1, 100, 1000, &r);
    }
    CU_ASSERT_EQUAL(stats().entries, 70); /* every stripe full, none over */
    teardown();
}

static void test_invalidate_by_id_tag_and_clear(void)
{
    setup(10, 1);
    dek_cache_result r;
    up.wrapping_key = "arn:aws:kms:eu-west-1:1:key/a";
    encrypt(1, 1, 100, 1000, &r);
    encrypt(2, 1, 100, 1000, &r);
    CU_ASSERT_EQUAL(decrypt(3, 10 * SECOND), 3);
    up.wrapping_key = "arn:aws:kms:eu-west-1:1:key/b";
    encrypt(4, 1, 100, 1000, &r);
    CU_ASSERT_EQUAL(stats().entries, 4);

    dek_cache_id id1 = test_id(1);
    dek_cache_invalidate_id(cache, &id1);
    CU_ASSERT_EQUAL(stats().entries, 3);
    CU_ASSERT_EQUAL(encrypt(1, 1, 100, 1000, &r), 5); /* fetched anew, tagged b */

    const char *a = "arn:aws:kms:eu-west-1:1:key/a";
    CU_ASSERT_EQUAL(dek_cache_invalidate_wrapping_key(cache, a, strlen(a)), 2); /* 2 and 3 */
    CU_ASSERT_EQUAL(dek_cache_invalidate_wrapping_key(cache, a, strlen(a) - 1), 0);
    CU_ASSERT_EQUAL(stats().entries, 2);
    CU_ASSERT_EQUAL(encrypt(4, 1, 100, 1000, &r), 4); /* untouched */
    dek_cache_clear(cache);
    CU_ASSERT_EQUAL(stats().entries, 0);
    CU_ASSERT_EQUAL(stats().evicted_invalidated, 5);
    CU_ASSERT_EQUAL(encrypt(4, 1, 100, 1000, &r), 6);
    teardown();
}

static void test_encrypt_and_decrypt_entries_are_separate(void)
{
    setup(10, 1);
    dek_cache_result r;
    CU_ASSERT_EQUAL(encrypt(1, 1, 100, 1000, &r), 1);
    CU_ASSERT_EQUAL(decrypt(1, 10 * SECOND), 2);
    CU_ASSERT_EQUAL(encrypt(1, 1, 100, 1000, &r), 1);
    CU_ASSERT_EQUAL(decrypt(1, 10 * SECOND), 2);
    teardown();
}

static void test_buffer_too_small_charges_nothing(void)
{
    setup(10, 1);
    dek_cache_id id = test_id(1);
    dek_cache_enc_request req = {10, {10 * SECOND, 2, 1000}};
    unsigned char small[8], big[64];
    size_t len = 0;
    dek_cache_result r;
    CU_ASSERT_EQUAL(dek_cache_get_encryption(cache, &id, &req, counting_upstream_fn, &up, small,
                                             sizeof(small), &len, &r),
                    DEK_CACHE_ERR_BUFFER_TOO_SMALL);
    CU_ASSERT_EQUAL(len, 32);
    CU_ASSERT_EQUAL(stats().entries, 1); /* the leader's value is stored all the same */
    CU_ASSERT_EQUAL(dek_cache_get_encryption(cache, &id, &req, counting_upstream_fn, &up, small,
                                             sizeof(small), &len, &r),
                    DEK_CACHE_ERR_BUFFER_TOO_SMALL);
    CU_ASSERT_EQUAL(dek_cache_get_encryption(cache, &id, &req, counting_upstream_fn, &up, big,
                                             sizeof(big), &len, &r),
                    DEK_CACHE_OK);
    CU_ASSERT_EQUAL(r.messages_used, 1);
    CU_ASSERT_EQUAL(atomic_load(&up.calls), 1);
    teardown();
}

static void test_upstream_error_not_cached_and_cleansed(void)
{
    setup(10, 1);
    dek_cache_result r;
    up.fail_with = 7;
    CU_ASSERT_EQUAL(encrypt(1, 1, 100, 1000, &r), -DEK_CACHE_ERR_UPSTREAM);
    CU_ASSERT_EQUAL(r.upstream_error, 7);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.detail, "KMS said no"));
    CU_ASSERT_EQUAL(encrypt(1, 1, 100, 1000, &r), -DEK_CACHE_ERR_UPSTREAM);
    CU_ASSERT_EQUAL(atomic_load(&up.calls), 2);
    CU_ASSERT_EQUAL(stats().upstream_failures, 2);
    CU_ASSERT_EQUAL(stats().entries, 0);
    up.fail_with = 0;
    CU_ASSERT_EQUAL(encrypt(1, 1, 100, 1000, &r), 3);
    teardown();
}

static int empty_upstream(void *arg, dek_cache_value *out, char *detail, size_t detail_cap)
{
    (void)arg;
    (void)out;
    (void)detail;
    (void)detail_cap;
    return 0;
}

static void test_uncacheable_upstream_is_not_stored(void)
{
    setup(10, 1);
    dek_cache_result r;
    up.uncacheable_calls = 1;
    CU_ASSERT_EQUAL(encrypt(1, 1, 100, 1000, &r), -DEK_CACHE_ERR_UNCACHEABLE);
    CU_ASSERT_EQUAL(r.source, DEK_CACHE_SOURCE_LEADER);
    CU_ASSERT_EQUAL(stats().entries, 0);
    CU_ASSERT_EQUAL(stats().upstream_failures, 0);
    CU_ASSERT_EQUAL(encrypt(1, 1, 100, 1000, &r), 2); /* the next call fetches and stores */
    CU_ASSERT_EQUAL(r.source, DEK_CACHE_SOURCE_LEADER);
    CU_ASSERT_EQUAL(stats().entries, 1);
    teardown();
}

static void test_upstream_without_value_is_an_error(void)
{
    setup(10, 1);
    dek_cache_id id = test_id(1);
    unsigned char out[64];
    size_t len;
    dek_cache_result r;
    CU_ASSERT_EQUAL(dek_cache_get_decryption(cache, &id, SECOND, empty_upstream, NULL, out,
                                             sizeof(out), &len, &r),
                    DEK_CACHE_ERR_UPSTREAM);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.detail, "without setting a value"));
    teardown();
}

static void test_rejects_bad_config_and_limits(void)
{
    dek_cache *c = NULL;
    char detail[128];
    dek_cache_config cfg = {.capacity = 0};
    CU_ASSERT_EQUAL(dek_cache_new(&cfg, &c, detail, sizeof(detail)), DEK_CACHE_ERR_ARGUMENT);
    CU_ASSERT_PTR_NOT_NULL(strstr(detail, "capacity"));
    cfg.capacity = 10;
    cfg.stripes = 3;
    CU_ASSERT_EQUAL(dek_cache_new(&cfg, &c, detail, sizeof(detail)), DEK_CACHE_ERR_ARGUMENT);
    CU_ASSERT_PTR_NOT_NULL(strstr(detail, "power of two"));
    CU_ASSERT_PTR_NULL(c);

    setup(10, 1);
    dek_cache_result r;
    CU_ASSERT_EQUAL(encrypt(1, 1, 0, 1000, &r), -DEK_CACHE_ERR_ARGUMENT);
    CU_ASSERT_EQUAL(encrypt(1, 1, DEK_CACHE_MAX_MESSAGES_LIMIT + 1, 1000, &r),
                    -DEK_CACHE_ERR_ARGUMENT);
    CU_ASSERT_EQUAL(encrypt(1, 1, 10, DEK_CACHE_MAX_BYTES_LIMIT + 1, &r), -DEK_CACHE_ERR_ARGUMENT);
    CU_ASSERT_EQUAL(encrypt(1, 1, DEK_CACHE_MAX_MESSAGES_LIMIT, DEK_CACHE_MAX_BYTES_LIMIT, &r), 1);
    CU_ASSERT_EQUAL(decrypt(1, 0), -DEK_CACHE_ERR_ARGUMENT);
    CU_ASSERT_EQUAL(atomic_load(&up.calls), 1);
    teardown();
    CU_ASSERT_STRING_EQUAL(dek_cache_status_string(DEK_CACHE_OK), "ok");
    CU_ASSERT_PTR_NOT_NULL(
        strstr(dek_cache_status_string(DEK_CACHE_ERR_WAIT_TIMEOUT), "timed out"));
}

static void test_limits_default_matches_esdk(void)
{
    dek_cache_limits l = dek_cache_limits_default(5);
    CU_ASSERT_EQUAL(l.max_age_ns, 5);
    CU_ASSERT_EQUAL(l.max_messages, UINT64_C(4294967296));
    CU_ASSERT_EQUAL(l.max_bytes, UINT64_C(9223372036854775807));
}

static void test_saturating_byte_counter(void)
{
    setup(10, 1);
    dek_cache_result r;
    uint64_t big = DEK_CACHE_MAX_BYTES_LIMIT - 1;
    CU_ASSERT_EQUAL(encrypt(1, big, 100, DEK_CACHE_MAX_BYTES_LIMIT, &r), 1);
    CU_ASSERT_EQUAL(encrypt(1, big, 100, DEK_CACHE_MAX_BYTES_LIMIT, &r), 2);
    CU_ASSERT_EQUAL(r.bytes_used, big);
    teardown();
}

/* Frees since the last call; every one must have been all-zero. */
static long frees_since(long *mark)
{
    long now = atomic_load(&alloc_state.frees);
    long delta = now - *mark;
    *mark = now;
    CU_ASSERT_EQUAL(atomic_load(&alloc_state.dirty_frees), 0);
    return delta;
}

static void test_cleansed_on_every_eviction_path(void)
{
    setup(2, 1);
    dek_cache_result r;
    long mark = 0;
    up.wrapping_key = "k";
    encrypt(1, 1, 2, 1000, &r);
    CU_ASSERT_EQUAL(frees_since(&mark), 0);
    encrypt(1, 1, 2, 1000, &r); /* exhaustion */
    CU_ASSERT_EQUAL(frees_since(&mark), 1);
    encrypt(1, 1, 100, 1000, &r);
    atomic_fetch_add(&clock_state.now, 11 * SECOND);
    encrypt(1, 1, 100, 1000, &r); /* TTL expiry on lookup */
    CU_ASSERT_EQUAL(frees_since(&mark), 1);
    encrypt(2, 1, 100, 1000, &r);
    encrypt(3, 1, 100, 1000, &r); /* LRU eviction of 1 */
    CU_ASSERT_EQUAL(frees_since(&mark), 1);
    dek_cache_id id2 = test_id(2);
    dek_cache_invalidate_id(cache, &id2); /* by ID */
    CU_ASSERT_EQUAL(frees_since(&mark), 1);
    CU_ASSERT_EQUAL(dek_cache_invalidate_wrapping_key(cache, "k", 1), 1); /* by wrapping key */
    CU_ASSERT_EQUAL(frees_since(&mark), 1);
    encrypt(4, 1, 100, 1000, &r);
    dek_cache_clear(cache); /* clear */
    CU_ASSERT_EQUAL(frees_since(&mark), 1);
    encrypt(5, DEK_CACHE_SIZE_UNKNOWN, 100, 1000, &r); /* bypass copy */
    CU_ASSERT_EQUAL(frees_since(&mark), 1);
    up.fail_with = 3; /* a failing upstream that had set a value */
    encrypt(6, 1, 100, 1000, &r);
    CU_ASSERT_EQUAL(frees_since(&mark), 1);
    up.fail_with = 0;
    encrypt(7, 1, 100, 1000, &r);
    dek_cache_free(cache); /* destroy */
    cache = NULL;
    CU_ASSERT_EQUAL(frees_since(&mark), 1);
    CU_ASSERT_EQUAL(atomic_load(&alloc_state.live), 0);
}

static void test_default_allocator_roundtrip(void)
{
    dek_cache_config cfg = {.capacity = 4};
    dek_cache *c = NULL;
    CU_ASSERT_EQUAL_FATAL(dek_cache_new(&cfg, &c, NULL, 0), DEK_CACHE_OK);
    memset(&up, 0, sizeof(up));
    dek_cache_id id = test_id(9);
    unsigned char out[64];
    size_t len;
    dek_cache_result r;
    CU_ASSERT_EQUAL(
        dek_cache_get_decryption(c, &id, SECOND, counting_upstream_fn, &up, out, 64, &len, &r),
        DEK_CACHE_OK);
    CU_ASSERT_EQUAL(blob_serial(out, len), 1);
    dek_cache_free(c);
}

static int secure_blob_upstream(void *arg, dek_cache_value *out, char *detail, size_t detail_cap)
{
    int *in_secure_heap = arg;
    unsigned char *blob = dek_cache_value_reserve(out, 48);
    if (blob == NULL) {
        snprintf(detail, detail_cap, "no memory");
        return 1;
    }
    memset(blob, 0xA5, 48);
    *in_secure_heap = CRYPTO_secure_allocated(blob);
    return 0;
}

/* With the secure heap initialised, the default hooks keep blobs in it and
 * give every byte back. */
static void test_default_allocator_uses_secure_heap(void)
{
    if (CRYPTO_secure_malloc_init(1 << 16, 16) == 0) {
        CU_FAIL("cannot initialise the OpenSSL secure heap");
        return;
    }
    dek_cache_config cfg = {.capacity = 4};
    dek_cache *c = NULL;
    CU_ASSERT_EQUAL_FATAL(dek_cache_new(&cfg, &c, NULL, 0), DEK_CACHE_OK);
    dek_cache_id id = test_id(3);
    unsigned char out[64];
    size_t len;
    dek_cache_result r;
    int in_secure_heap = 0;
    CU_ASSERT_EQUAL(dek_cache_get_decryption(c, &id, SECOND, secure_blob_upstream, &in_secure_heap,
                                             out, sizeof(out), &len, &r),
                    DEK_CACHE_OK);
    CU_ASSERT_EQUAL(in_secure_heap, 1);
    CU_ASSERT(CRYPTO_secure_used() > 0);
    dek_cache_free(c);
    CU_ASSERT_EQUAL(CRYPTO_secure_used(), 0);
    CRYPTO_secure_malloc_done();
}

int main(void)
{
    static const dekcache_test_case tests[] = {
        {"hit after miss copies out", test_hit_after_miss_copies_out},
        {"message limit reached: use then retire", test_message_limit_reached_uses_then_retires},
        {"max messages 1 never reuses", test_max_messages_one_never_reuses},
        {"byte limit reached exactly keeps entry", test_byte_limit_reached_exactly_keeps_entry},
        {"zero-byte messages count messages", test_zero_byte_messages_count_messages},
        {"bypass unknown or large size", test_bypass_unknown_or_large_size},
        {"bypasses the caller decided are counted", test_caller_counted_bypass},
        {"TTL expiry with injected clock", test_ttl_expiry_with_injected_clock},
        {"clock read before entry creation", test_clock_read_before_entry_creation_is_not_expiry},
        {"LRU order with single stripe", test_lru_order_with_single_stripe},
        {"expired tail pruned before LRU", test_expired_tail_pruned_before_lru},
        {"stripes shrink for small capacity", test_stripes_shrink_for_small_capacity},
        {"capacity exact across stripes", test_capacity_is_exact_across_stripes},
        {"invalidate by id, tag and clear", test_invalidate_by_id_tag_and_clear},
        {"encrypt and decrypt entries separate", test_encrypt_and_decrypt_entries_are_separate},
        {"buffer too small charges nothing", test_buffer_too_small_charges_nothing},
        {"upstream error not cached, cleansed", test_upstream_error_not_cached_and_cleansed},
        {"upstream without value is an error", test_upstream_without_value_is_an_error},
        {"uncacheable upstream is not stored", test_uncacheable_upstream_is_not_stored},
        {"rejects bad config and limits", test_rejects_bad_config_and_limits},
        {"limits default matches ESDK", test_limits_default_matches_esdk},
        {"saturating byte counter", test_saturating_byte_counter},
        {"cleansed on every eviction path", test_cleansed_on_every_eviction_path},
        {"default allocator roundtrip", test_default_allocator_roundtrip},
        {"default allocator uses secure heap", test_default_allocator_uses_secure_heap},
        {NULL, NULL}};
    dekcache_add_suite("cache core", NULL, NULL, tests);
    return dekcache_run_tests();
}
