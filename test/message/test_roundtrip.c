/* Encrypt/decrypt round trips: sizes around the frame length and 10 MiB, random
 * chunkings and output budgets, both suites; the OpenSSL provider budget. */
#include <CUnit/CUnit.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <string.h>

#include "cunit_run.h"
#include "message/header.h"
#include "message_test_util.h"

static const uint16_t suites[] = {0x0478, 0x0578};

static uint8_t *random_plaintext(size_t len)
{
    uint8_t *p = OPENSSL_malloc(len + 1);
    if (p != NULL && len > 0)
        RAND_bytes(p, (int)len);
    return p;
}

/* Exact message size: H + floor(n/F)*(F+32) + (n mod F) + 40 + T. */
static size_t expected_size(size_t header_len, size_t n, size_t f, int is_signed)
{
    return header_len + n / f * (f + ESDK_FRAME_OVERHEAD) + n % f + ESDK_FINAL_OVERHEAD +
           (is_signed ? ESDK_FOOTER_MAX_LEN : 0);
}

static size_t header_len_of(const uint8_t *msg, size_t len)
{
    esdk_header h;
    size_t consumed = 0;
    if (esdk_header_parse(msg, len, NULL, &h, &consumed, NULL, 0) != ESDK_OK)
        return 0;
    esdk_header_clear(&h);
    return consumed;
}

static void round_trip(uint16_t suite, uint32_t frame_len, size_t n, size_t max_chunk)
{
    esdk_cmm *cmm = test_aes_cmm("round-trip");
    esdk_enc_context ec = {0};
    CU_ASSERT_FATAL(esdk_ec_set_str(&ec, "purpose", "round trip") == ESDK_OK);
    esdk_encrypt_options eo = {.cmm = cmm, .suite_id = suite, .frame_len = frame_len, .ec = &ec};
    uint8_t *pt = random_plaintext(n), *ct = NULL, *back = NULL;
    size_t ct_len = 0, back_len = 0;
    CU_ASSERT_FATAL(test_encrypt_chunked(&eo, pt, n, &ct, &ct_len) == ESDK_OK);
    size_t f = frame_len ? frame_len : ESDK_DEFAULT_FRAME_LEN;
    CU_ASSERT(ct_len == expected_size(header_len_of(ct, ct_len), n, f, suite == 0x0578));
    esdk_decrypt_options dopt = {.cmm = cmm, .reproduced_ec = &ec};
    esdk_status st = test_decrypt_chunked(&dopt, ct, ct_len, max_chunk, &back, &back_len);
    CU_ASSERT(st == ESDK_OK);
    CU_ASSERT(back_len == n && memcmp(back, pt, n) == 0);
    OPENSSL_free(pt);
    OPENSSL_free(ct);
    OPENSSL_free(back);
    esdk_ec_clear(&ec);
    esdk_cmm_free(cmm);
}

static void test_sizes_around_frame(void)
{
    const uint32_t frames[] = {0, 1, 100};
    for (size_t s = 0; s < 2; s++) {
        for (size_t fi = 0; fi < 3; fi++) {
            size_t f = frames[fi] ? frames[fi] : ESDK_DEFAULT_FRAME_LEN;
            const size_t sizes[] = {0, 1, f - 1, f, f + 1, 3 * f};
            for (size_t i = 0; i < 6; i++)
                round_trip(suites[s], frames[fi], sizes[i], 5000);
        }
    }
}

static void test_ten_mebibytes(void)
{
    for (size_t s = 0; s < 2; s++)
        round_trip(suites[s], 0, 10 * 1024 * 1024, 100000);
}

/* The provider's pattern: updates of 0..4096 bytes, budget 4384 each, and a
 * single finish of 4384 bytes must end the message (encrypt.h's claim). */
static void provider_pattern(uint16_t suite, size_t n, size_t ec_value_len)
{
    esdk_cmm *cmm = test_aes_cmm("provider");
    esdk_enc_context ec = {0};
    char *value = OPENSSL_malloc(ec_value_len + 1);
    memset(value, 'x', ec_value_len);
    value[ec_value_len] = 0;
    esdk_ec_set_str(&ec, "padding", value);
    OPENSSL_free(value);
    esdk_encrypt_options eo = {.cmm = cmm, .suite_id = suite, .ec = &ec};
    esdk_encryptor *e = NULL;
    uint8_t *pt = random_plaintext(n);
    uint8_t *ct = OPENSSL_malloc(n + n / 8 + 20000);
    size_t total = 0, out = 0;
    CU_ASSERT_FATAL(esdk_encrypt_new(&eo, &e, NULL, 0) == ESDK_OK);
    CU_ASSERT(esdk_encrypt_header_len(e) <= 4384);
    esdk_ec_clear(&ec);
    for (size_t off = 0; off < n;) {
        size_t chunk = test_rand_range(0, n - off < 4096 ? n - off : 4096);
        CU_ASSERT_FATAL(esdk_encrypt_update(e, pt + off, chunk, ct + total, 4384, &out) == ESDK_OK);
        CU_ASSERT(out <= 4384);
        total += out;
        off += chunk;
    }
    CU_ASSERT_FATAL(esdk_encrypt_finish(e, ct + total, 4384, &out) == ESDK_OK);
    total += out;
    CU_ASSERT(esdk_encrypt_pending(e) == 0);
    esdk_encrypt_free(e);
    /* Decrypt the same way: pieces of 0..4096 bytes, 4384-byte budgets. */
    uint8_t *back = OPENSSL_malloc(n + 4384);
    size_t back_len = 0;
    esdk_decrypt_options dopt = {.cmm = cmm};
    esdk_decryptor *d = NULL;
    CU_ASSERT_FATAL(esdk_decrypt_new(&dopt, &d) == ESDK_OK);
    for (size_t off = 0; off < total;) {
        size_t chunk = test_rand_range(0, total - off < 4096 ? total - off : 4096);
        CU_ASSERT_FATAL(esdk_decrypt_update(d, ct + off, chunk, back + back_len, 4384, &out) ==
                        ESDK_OK);
        back_len += out;
        off += chunk;
    }
    CU_ASSERT_FATAL(esdk_decrypt_finish(d, back + back_len, 4384, &out) == ESDK_OK);
    back_len += out;
    CU_ASSERT(esdk_decrypt_pending(d) == 0);
    esdk_decrypt_free(d);
    CU_ASSERT(back_len == n && memcmp(back, pt, n) == 0);
    OPENSSL_free(back);
    OPENSSL_free(pt);
    OPENSSL_free(ct);
    esdk_cmm_free(cmm);
}

static void test_provider_budget(void)
{
    /* 7969 and 8191: final frames of 3873 and 4095 bytes, the largest a signed
     * message must release at finish (with nothing withheld before them). */
    const size_t sizes[] = {0, 1, 4095, 4096, 4097, 7969, 8191, 8192, 8193, 12289, 100000};
    for (size_t s = 0; s < 2; s++) {
        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
            for (int rep = 0; rep < 5; rep++)
                provider_pattern(suites[s], sizes[i], 10);
            /* The encrypt.h bound holds up to a 4384-byte header. */
            provider_pattern(suites[s], sizes[i], 4384 - 400 - (suites[s] == 0x0578 ? 100 : 0));
        }
    }
}

static void test_oneshot_and_metadata(void)
{
    esdk_cmm *cmm = test_aes_cmm("meta");
    esdk_encrypt_options eo = {.cmm = cmm, .suite_id = 0x0578, .frame_len = 64};
    esdk_encryptor *e = NULL;
    CU_ASSERT_FATAL(esdk_encrypt_new(&eo, &e, NULL, 0) == ESDK_OK);
    const esdk_enc_materials *mat = esdk_encrypt_materials(e);
    CU_ASSERT(mat->suite_id == 0x0578 && mat->edks.count == 1);
    CU_ASSERT(memcmp(mat->edks.items[0].provider_id, "test-ns", 7) == 0);
    const esdk_ec_pair *pk = esdk_ec_get(&mat->ec, ESDK_EC_PUBLIC_KEY, strlen(ESDK_EC_PUBLIC_KEY));
    CU_ASSERT_FATAL(pk != NULL);
    CU_ASSERT(pk->value_len == 68); /* base64 of a 49-byte compressed P-384 point */
    size_t id_len = 0;
    const uint8_t *id = esdk_encrypt_message_id(e, &id_len);
    CU_ASSERT(id_len == 32);
    uint8_t buf[4096];
    size_t n1 = 0, n2 = 0;
    CU_ASSERT(esdk_encrypt_update(e, (const uint8_t *)"hello", 5, buf, sizeof(buf), &n1) ==
              ESDK_OK);
    CU_ASSERT(esdk_encrypt_finish(e, buf + n1, sizeof(buf) - n1, &n2) == ESDK_OK);
    size_t len = n1 + n2;
    CU_ASSERT(buf[len - 105] == 0 && buf[len - 104] == 103); /* footer: u16 103 */
    esdk_header h;
    size_t consumed;
    CU_ASSERT_FATAL(esdk_header_parse(buf, len, NULL, &h, &consumed, NULL, 0) == ESDK_OK);
    CU_ASSERT(h.version == 2 && h.suite->id == 0x0578 && h.frame_len == 64);
    CU_ASSERT(memcmp(h.message_id, id, 32) == 0);
    esdk_header_clear(&h);
    esdk_encrypt_free(e);
    uint8_t *out = NULL;
    size_t out_len = 0;
    esdk_decrypt_options dopt = {.cmm = cmm};
    CU_ASSERT(esdk_decrypt_oneshot(&dopt, buf, len, &out, &out_len, NULL, 0) == ESDK_OK);
    CU_ASSERT(out_len == 5 && memcmp(out, "hello", 5) == 0);
    OPENSSL_free(out);
    esdk_cmm_free(cmm);
}

int main(void)
{
    test_rand_seed_from_env();
    static const dekcache_test_case tests[] = {
        {"sizes 0, 1, F-1, F, F+1, 3F; F = 4096, 1, 100; both suites", test_sizes_around_frame},
        {"10 MiB, random chunks and budgets, both suites", test_ten_mebibytes},
        {"OpenSSL budget: updates <= 4096 and single 4384-byte finish", test_provider_budget},
        {"one-shot, materials, message ID, footer length", test_oneshot_and_metadata},
        {NULL, NULL}};
    dekcache_add_suite("message round trips", NULL, NULL, tests);
    return dekcache_run_tests();
}
