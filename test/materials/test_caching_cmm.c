/* The caching CMM over a real default CMM and raw AES keyring: which requests
 * the cache answers, which it keeps apart, and that the bypasses it decides
 * itself show in the cache's statistics. The upstream is wrapped only to
 * count its calls. */
#include <CUnit/CUnit.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "cunit_run.h"
#include "materials/caching_cmm.h"
#include "message/raw_aes_keyring.h"
#include "test/support/sleep_ms.h"

#define HOUR_NS (UINT64_C(3600) * 1000000000)

typedef struct {
    esdk_cmm base;
    esdk_cmm *inner;
    _Atomic int encrypt_calls;
    _Atomic int decrypt_calls;
    _Atomic int delay_next_ms; /* the next encryption call sleeps this long */
} counting_cmm;

static esdk_status count_encrypt(esdk_cmm *base, const esdk_enc_request *request,
                                 esdk_enc_materials **out, char *detail, size_t detail_len)
{
    counting_cmm *c = (counting_cmm *)base;
    c->encrypt_calls++;
    int delay = atomic_exchange(&c->delay_next_ms, 0);
    if (delay > 0)
        sleep_ms(delay);
    return esdk_cmm_get_encryption_materials(c->inner, request, out, detail, detail_len);
}

static esdk_status count_decrypt(esdk_cmm *base, const esdk_dec_request *request,
                                 esdk_dec_materials **out, char *detail, size_t detail_len)
{
    counting_cmm *c = (counting_cmm *)base;
    c->decrypt_calls++;
    return esdk_cmm_decrypt_materials(c->inner, request, out, detail, detail_len);
}

static void count_destroy(esdk_cmm *base)
{
    esdk_cmm_free(((counting_cmm *)base)->inner);
}

static const esdk_cmm_vtable counting_vtable = {"counting", count_encrypt, count_decrypt,
                                                count_destroy};

typedef struct {
    counting_cmm upstream;
    dek_cache *cache;
    dek_cache_partition partition;
    esdk_cmm *caching;
} fixture;

static int fixture_start_waiting(fixture *f, uint32_t wait_timeout_ms)
{
    static const uint8_t wrapping_key[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    memset(f, 0, sizeof(*f));
    esdk_keyring *keyring = NULL;
    char detail[256];
    if (esdk_raw_aes_keyring_new(NULL, "test-ns", "test-key", wrapping_key, sizeof(wrapping_key),
                                 &keyring) != ESDK_OK)
        return 0;
    esdk_status st = esdk_default_cmm_new(NULL, keyring, &f->upstream.inner);
    esdk_keyring_free(keyring);
    dek_cache_config config = {.capacity = 64, .wait_timeout_ms = wait_timeout_ms};
    if (st != ESDK_OK ||
        dek_cache_new(&config, &f->cache, detail, sizeof(detail)) != DEK_CACHE_OK ||
        dek_cache_partition_from_name(NULL, "caching-cmm-test", 16, &f->partition) != DEK_CACHE_OK)
        return 0;
    esdk_cmm_init(&f->upstream.base, &counting_vtable);
    caching_cmm_config cc = {&f->upstream.base, f->cache, &f->partition, HOUR_NS, 100, 1 << 20};
    return caching_cmm_new(&cc, &f->caching) == ESDK_OK;
}

static int fixture_start(fixture *f)
{
    return fixture_start_waiting(f, 0);
}

static void fixture_stop(fixture *f)
{
    esdk_cmm_free(f->caching);
    esdk_cmm_free(&f->upstream.base); /* the last reference: releases the inner CMM */
    dek_cache_free(f->cache);
}

static dek_cache_stats stats_of(const fixture *f)
{
    dek_cache_stats s;
    dek_cache_get_stats(f->cache, &s);
    return s;
}

/* Encryption materials straight from the upstream CMM for this context. */
static esdk_enc_materials *encryption_materials(fixture *f, const esdk_enc_context *ec)
{
    esdk_enc_request request = {.ec = ec, .plaintext_len = 100};
    esdk_enc_materials *mat = NULL;
    char detail[256];
    CU_ASSERT_EQUAL(esdk_cmm_get_encryption_materials(f->upstream.inner, &request, &mat, detail,
                                                      sizeof(detail)),
                    ESDK_OK);
    return mat;
}

/* Decrypts the materials' EDKs through the caching CMM with a stored and a
 * reproduced context; returns the status and, on success, the number of
 * required pairs in the result. */
static esdk_status decrypt_through_cache(fixture *f, const esdk_enc_materials *enc,
                                         const esdk_enc_context *stored,
                                         const esdk_enc_context *reproduced, size_t *required)
{
    esdk_dec_request request = {enc->suite_id,   enc->edks.items,
                                enc->edks.count, stored,
                                reproduced,      ESDK_POLICY_REQUIRE_ENCRYPT_REQUIRE_DECRYPT};
    esdk_dec_materials *mat = NULL;
    char detail[256] = "";
    esdk_status st = esdk_cmm_decrypt_materials(f->caching, &request, &mat, detail, sizeof(detail));
    if (st == ESDK_OK) {
        CU_ASSERT_EQUAL(mat->data_key_len, enc->data_key_len);
        CU_ASSERT(CRYPTO_memcmp(mat->data_key, enc->data_key, enc->data_key_len) == 0);
        *required = mat->required_ec.count;
    }
    esdk_dec_materials_free(mat);
    return st;
}

static void test_reproduced_context_is_cached(void)
{
    fixture f;
    CU_ASSERT_FATAL(fixture_start(&f));
    esdk_enc_context ec = {0};
    CU_ASSERT_FATAL(esdk_ec_set_str(&ec, "tenant", "a") == ESDK_OK);
    esdk_enc_materials *enc = encryption_materials(&f, &ec);
    CU_ASSERT_FATAL(enc != NULL);
    size_t required = 99;
    for (int i = 0; i < 3; i++) {
        CU_ASSERT_EQUAL(decrypt_through_cache(&f, enc, &ec, &ec, &required), ESDK_OK);
        CU_ASSERT_EQUAL(required, 0);
    }
    CU_ASSERT_EQUAL(f.upstream.decrypt_calls, 1);
    dek_cache_stats s = stats_of(&f);
    CU_ASSERT_EQUAL(s.hits, 2);
    CU_ASSERT_EQUAL(s.bypasses, 0);

    /* Warm or not, a contradicting reproduced pair is refused, not served. */
    esdk_enc_context other = {0};
    CU_ASSERT_FATAL(esdk_ec_set_str(&other, "tenant", "b") == ESDK_OK);
    CU_ASSERT_EQUAL(decrypt_through_cache(&f, enc, &ec, &other, &required),
                    ESDK_ERR_CONTEXT_MISMATCH);
    s = stats_of(&f);
    CU_ASSERT_EQUAL(s.bypasses, 1);
    CU_ASSERT_EQUAL(s.upstream_failures, 1);
    CU_ASSERT_EQUAL(s.upstream_calls, 2);
    esdk_ec_clear(&other);
    esdk_ec_clear(&ec);
    esdk_enc_materials_free(enc);
    fixture_stop(&f);
}

/* {tenant=a} stored and {tenant=a} required (reproduced, not stored) unwrap
 * the same EDK but are different materials: two entries, each served its own. */
static void test_required_pairs_kept_apart(void)
{
    fixture f;
    CU_ASSERT_FATAL(fixture_start(&f));
    esdk_enc_context ec = {0}, empty = {0};
    CU_ASSERT_FATAL(esdk_ec_set_str(&ec, "tenant", "a") == ESDK_OK);
    esdk_enc_materials *enc = encryption_materials(&f, &ec);
    CU_ASSERT_FATAL(enc != NULL);
    for (int i = 0; i < 2; i++) {
        size_t required = 99;
        CU_ASSERT_EQUAL(decrypt_through_cache(&f, enc, &ec, NULL, &required), ESDK_OK);
        CU_ASSERT_EQUAL(required, 0);
        CU_ASSERT_EQUAL(decrypt_through_cache(&f, enc, &empty, &ec, &required), ESDK_OK);
        CU_ASSERT_EQUAL(required, 1);
    }
    CU_ASSERT_EQUAL(f.upstream.decrypt_calls, 2);
    dek_cache_stats s = stats_of(&f);
    CU_ASSERT_EQUAL(s.entries, 2);
    CU_ASSERT_EQUAL(s.hits, 2);
    esdk_ec_clear(&ec);
    esdk_enc_materials_free(enc);
    fixture_stop(&f);
}

/* One encryption through the cache, without asserting (threads call it). */
static esdk_status encrypt_once(fixture *f, const esdk_enc_request *request)
{
    esdk_enc_materials *mat = NULL;
    char detail[256] = "";
    esdk_status st =
        esdk_cmm_get_encryption_materials(f->caching, request, &mat, detail, sizeof(detail));
    esdk_enc_materials_free(mat);
    return st;
}

static void encrypt_through_cache(fixture *f, const esdk_enc_request *request, int times)
{
    for (int i = 0; i < times; i++)
        CU_ASSERT_EQUAL(encrypt_once(f, request), ESDK_OK);
}

static void test_unknown_length_counted_as_bypass(void)
{
    fixture f;
    CU_ASSERT_FATAL(fixture_start(&f));
    esdk_enc_request request = {.plaintext_len = ESDK_LENGTH_UNKNOWN};
    encrypt_through_cache(&f, &request, 3);
    CU_ASSERT_EQUAL(f.upstream.encrypt_calls, 3);
    dek_cache_stats s = stats_of(&f);
    CU_ASSERT_EQUAL(s.bypasses, 3);
    CU_ASSERT_EQUAL(s.upstream_calls, 3);
    CU_ASSERT_EQUAL(s.misses + s.hits, 0);
    CU_ASSERT_EQUAL(s.entries, 0);

    /* A known length is cached: one more upstream call, then hits. */
    request.plaintext_len = 10;
    encrypt_through_cache(&f, &request, 3);
    CU_ASSERT_EQUAL(f.upstream.encrypt_calls, 4);
    s = stats_of(&f);
    CU_ASSERT_EQUAL(s.bypasses, 3);
    CU_ASSERT_EQUAL(s.hits, 2);
    fixture_stop(&f);
}

/* Materials over CACHING_CMM_MAX_BLOB serialised are used but not stored,
 * both ways: every request asks the upstream, and each gets working ones. */
static void test_oversized_materials_not_stored(void)
{
    fixture f;
    CU_ASSERT_FATAL(fixture_start(&f));
    static char big[CACHING_CMM_MAX_BLOB + 1];
    memset(big, 'v', sizeof(big) - 1);
    esdk_enc_context ec = {0};
    CU_ASSERT_FATAL(esdk_ec_set_str(&ec, "big", big) == ESDK_OK);
    esdk_enc_request request = {.ec = &ec, .plaintext_len = 100};
    esdk_enc_materials *enc = NULL;
    char detail[256];
    for (int i = 0; i < 2; i++) {
        esdk_enc_materials_free(enc);
        enc = NULL;
        CU_ASSERT_EQUAL_FATAL(
            esdk_cmm_get_encryption_materials(f.caching, &request, &enc, detail, sizeof(detail)),
            ESDK_OK);
    }
    CU_ASSERT_EQUAL(f.upstream.encrypt_calls, 2);
    size_t required = 99;
    for (int i = 0; i < 2; i++)
        CU_ASSERT_EQUAL(decrypt_through_cache(&f, enc, &enc->ec, NULL, &required), ESDK_OK);
    CU_ASSERT_EQUAL(f.upstream.decrypt_calls, 2);
    CU_ASSERT_EQUAL(stats_of(&f).entries, 0);
    esdk_enc_materials_free(enc);
    esdk_ec_clear(&ec);
    fixture_stop(&f);
}

/* The used EDK's index on a hit: the entry is shared by messages listing the
 * same EDKs in any order, so the index must point into this request's list
 * (it reports the key ARN used). A decoy EDK of another keyring comes first
 * for the miss, last for the hit. */
/* Decrypts a list of `decoys` EDKs of another keyring plus the real one,
 * first with the real one last, then (a hit) with it first; returns the
 * index reported each time. */
static void used_edk_index_both_orders(size_t decoys, long index[2])
{
    fixture f;
    CU_ASSERT_FATAL(fixture_start(&f));
    esdk_enc_context ec = {0};
    esdk_enc_materials *enc = encryption_materials(&f, &ec);
    CU_ASSERT_FATAL(enc != NULL && enc->edks.count == 1);
    esdk_edk list[21];
    CU_ASSERT_FATAL(decoys + 1 <= sizeof(list) / sizeof(list[0]));
    for (size_t i = 0; i < decoys; i++) {
        char info[16];
        int n = snprintf(info, sizeof(info), "other-key-%zu", i);
        CU_ASSERT_FATAL(esdk_edk_init(&list[i], "other-ns", 8, info, (size_t)n, "decoy", 5) ==
                        ESDK_OK);
    }
    list[decoys] = enc->edks.items[0];
    for (int round = 0; round < 2; round++) {
        if (round == 1) { /* the real EDK first */
            esdk_edk t = list[0];
            list[0] = list[decoys];
            list[decoys] = t;
        }
        esdk_dec_request request = {enc->suite_id, list,
                                    decoys + 1,    &ec,
                                    NULL,          ESDK_POLICY_REQUIRE_ENCRYPT_REQUIRE_DECRYPT};
        esdk_dec_materials *mat = NULL;
        char detail[256] = "";
        index[round] = -9;
        CU_ASSERT_EQUAL(
            esdk_cmm_decrypt_materials(f.caching, &request, &mat, detail, sizeof(detail)), ESDK_OK);
        if (mat != NULL)
            index[round] = mat->edk_index;
        esdk_dec_materials_free(mat);
    }
    CU_ASSERT_EQUAL(f.upstream.decrypt_calls, 1);
    for (size_t i = 1; i <= decoys; i++)
        esdk_edk_clear(&list[i]); /* the decoys; the real one (now first) belongs to enc */
    esdk_enc_materials_free(enc);
    esdk_ec_clear(&ec);
    fixture_stop(&f);
}

static void test_used_edk_found_in_each_order(void)
{
    long index[2];
    used_edk_index_both_orders(1, index);
    CU_ASSERT_EQUAL(index[0], 1);
    CU_ASSERT_EQUAL(index[1], 0);          /* a hit: the old code reported 1, the decoy */
    used_edk_index_both_orders(20, index); /* more EDKs than the lookup keeps on its stack */
    CU_ASSERT_EQUAL(index[0], 20);
    CU_ASSERT_EQUAL(index[1], 0);
}

typedef struct {
    fixture *f;
    const esdk_enc_context *ec;
    esdk_status status;
} encrypt_job;

static void *encrypt_job_run(void *arg)
{
    encrypt_job *job = arg;
    esdk_enc_request request = {.ec = job->ec, .plaintext_len = 100};
    job->status = encrypt_once(job->f, &request);
    return NULL;
}

/* Callers that waited their bound for a stuck upstream call go back to the
 * cache once: the first replaces the stuck flight, the others join it, so
 * four timed-out waiters cost one more upstream call, not four. */
static void test_wait_timeout_costs_one_more_call(void)
{
    fixture f;
    CU_ASSERT_FATAL(fixture_start_waiting(&f, 200));
    esdk_enc_context ec = {0};
    atomic_store(&f.upstream.delay_next_ms, 1500);
    encrypt_job slow = {&f, &ec, ESDK_ERR_STATE}, waiters[4];
    pthread_t leader, threads[4];
    CU_ASSERT_FATAL(pthread_create(&leader, NULL, encrypt_job_run, &slow) == 0);
    sleep_ms(100); /* the leader sleeps in its upstream call */
    int started = 0;
    for (; started < 4; started++) {
        waiters[started] = (encrypt_job){&f, &ec, ESDK_ERR_STATE};
        if (pthread_create(&threads[started], NULL, encrypt_job_run, &waiters[started]) != 0)
            break;
    }
    CU_ASSERT_EQUAL(started, 4);
    for (int i = 0; i < started; i++) {
        pthread_join(threads[i], NULL);
        CU_ASSERT_EQUAL(waiters[i].status, ESDK_OK);
    }
    CU_ASSERT_EQUAL(atomic_load(&f.upstream.encrypt_calls), 2);
    dek_cache_stats s = stats_of(&f);
    /* The first to time out replaces the flight; those still waiting on it
     * are woken by that and join the replacement without timing out. */
    CU_ASSERT(s.wait_timeouts >= 1 && s.wait_timeouts <= (uint64_t)started);
    CU_ASSERT_EQUAL(s.bypasses, 0);
    pthread_join(leader, NULL);
    CU_ASSERT_EQUAL(slow.status, ESDK_OK);
    fixture_stop(&f);
}

int main(void)
{
    static const dekcache_test_case tests[] = {
        {"reproduced context: cached, and a contradiction refused",
         test_reproduced_context_is_cached},
        {"stored and required pairs are different entries", test_required_pairs_kept_apart},
        {"unknown-length encryptions count as bypasses", test_unknown_length_counted_as_bypass},
        {"oversized materials are used but not stored", test_oversized_materials_not_stored},
        {"the used EDK is found in each request's order", test_used_edk_found_in_each_order},
        {"timed-out waiters cost one more upstream call, not one each",
         test_wait_timeout_costs_one_more_call},
        {NULL, NULL},
    };
    dekcache_add_suite("caching CMM", NULL, NULL, tests);
    return dekcache_run_tests();
}
