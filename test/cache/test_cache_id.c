/* Cache IDs against the vectors of the Python ESDK (test/unit/caches/test_caches.py),
 * which uses the same SHA-512 scheme as the C and Java ESDKs. */
#include "cache/dek_cache_id.h"
#include "cunit_run.h"

#include <CUnit/CUnit.h>
#include <openssl/evp.h>
#include <string.h>

#define PARTITION "c15b9079-6d0e-42b6-8784-5e804b025692"

static void expect_b64(const unsigned char *got, const char *b64)
{
    unsigned char want[72];
    CU_ASSERT_EQUAL_FATAL(EVP_DecodeBlock(want, (const unsigned char *)b64, (int)strlen(b64)), 66);
    CU_ASSERT_EQUAL(memcmp(got, want, DEK_CACHE_ID_LEN), 0);
}

static size_t put_u16_field(unsigned char *at, const char *text, size_t len)
{
    at[0] = (unsigned char)(len >> 8);
    at[1] = (unsigned char)len;
    memcpy(at + 2, text, len);
    return 2 + len;
}

/* ser({"this": "is", "a": "non-empty", "encryption": "context"}), sorted by key. */
static size_t full_ec(unsigned char *out)
{
    static const char *pairs[][2] = {{"a", "non-empty"}, {"encryption", "context"}, {"this", "is"}};
    size_t n = 0;
    out[n++] = 0;
    out[n++] = 3;
    for (size_t i = 0; i < 3; i++) {
        n += put_u16_field(out + n, pairs[i][0], strlen(pairs[i][0]));
        n += put_u16_field(out + n, pairs[i][1], strlen(pairs[i][1]));
    }
    return n;
}

static size_t edk(unsigned char *out, const char *provider, const char *info, const char *key)
{
    size_t n = put_u16_field(out, provider, strlen(provider));
    n += put_u16_field(out + n, info, strlen(info));
    return n + put_u16_field(out + n, key, strlen(key));
}

static dek_cache_partition partition(void)
{
    dek_cache_partition p;
    CU_ASSERT_EQUAL(dek_cache_partition_from_name(NULL, PARTITION, strlen(PARTITION), &p),
                    DEK_CACHE_OK);
    return p;
}

static void test_encryption_ids(void)
{
    dek_cache_partition p = partition();
    unsigned char ec[128];
    size_t ec_len = full_ec(ec);
    dek_cache_id id;
    CU_ASSERT_EQUAL(dek_cache_encryption_id(&p, DEK_CACHE_SUITE_NONE, NULL, 0, &id), DEK_CACHE_OK);
    expect_b64(id.bytes,
               "rkrFAso1YyPbOJbmwVMjrPw+wwLJT7xusn8tA8zMe9e3+OqbtfDueB7bvoKLU3fsmdUvZ6eMt7"
               "mBp1ThMMB25Q==");
    CU_ASSERT_EQUAL(dek_cache_encryption_id(&p, 0x0378, NULL, 0, &id), DEK_CACHE_OK);
    expect_b64(id.bytes,
               "3icBIkLK4V3fVwbm3zSxUdUQV6ZvZYUOLl8buN36g6gDMqAkghcGryxX7QiVABkW1JhB6GRp5z"
               "+bzbiuciBcKQ==");
    CU_ASSERT_EQUAL(dek_cache_encryption_id(&p, DEK_CACHE_SUITE_NONE, ec, ec_len, &id),
                    DEK_CACHE_OK);
    expect_b64(id.bytes,
               "IHiUHYOUVUEFTc3BcZPJDlsWct2Qy1A7JdfQl9sQoV/ILIbRpoz9q7RtGd/MlibaGl5ihE66cN"
               "8ygM8A5rtYbg==");
    CU_ASSERT_EQUAL(dek_cache_encryption_id(&p, 0x0378, ec, ec_len, &id), DEK_CACHE_OK);
    expect_b64(id.bytes,
               "mRNK7qhTb/kJiiyGPgAevp0gwFRcET4KeeNYwZHhoEDvSUzQiDgl8Of+YRDaVzKxAqpNBgcAuF"
               "Xde9JlaRRsmw==");
}

/* The per-thread memo must return exactly what a fresh computation would:
 * every input that differs (partition, suite, one EC byte, EC length) misses. */
static void test_encryption_id_memo_is_exact(void)
{
    static unsigned char big_ec[5000]; /* beyond what the memo keeps */
    memset(big_ec, 7, sizeof(big_ec));
    dek_cache_partition p1 = partition(), p2;
    CU_ASSERT_EQUAL(dek_cache_partition_from_name(NULL, "other", 5, &p2), DEK_CACHE_OK);
    unsigned char ec[128];
    size_t ec_len = full_ec(ec);
    unsigned char ec_changed[128];
    memcpy(ec_changed, ec, ec_len);
    ec_changed[ec_len - 1] ^= 1;
    struct {
        const dek_cache_partition *p;
        int32_t suite;
        const unsigned char *ec;
        size_t len;
    } inputs[] = {{&p1, 0x0378, ec, ec_len},
                  {&p2, 0x0378, ec, ec_len},
                  {&p1, 0x0578, ec, ec_len},
                  {&p1, DEK_CACHE_SUITE_NONE, ec, ec_len},
                  {&p1, 0x0378, ec_changed, ec_len},
                  {&p1, 0x0378, ec, ec_len - 1},
                  {&p1, 0x0378, NULL, 0},
                  {&p1, 0x0378, big_ec, sizeof(big_ec)}};
    enum { N = sizeof(inputs) / sizeof(inputs[0]) };
    dek_cache_id first[N];
    for (int i = 0; i < N; i++) {
        CU_ASSERT_EQUAL(dek_cache_encryption_id(inputs[i].p, inputs[i].suite, inputs[i].ec,
                                                inputs[i].len, &first[i]),
                        DEK_CACHE_OK);
        for (int j = 0; j < i; j++) {
            CU_ASSERT_NOT_EQUAL(memcmp(first[i].bytes, first[j].bytes, DEK_CACHE_ID_LEN), 0);
        }
    }
    /* Each input twice in a row (memo hit), in every order against the others. */
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < N; i++) {
            for (int twice = 0; twice < 2; twice++) {
                dek_cache_id again;
                int k = round == 0 ? i : N - 1 - i;
                CU_ASSERT_EQUAL(dek_cache_encryption_id(inputs[k].p, inputs[k].suite, inputs[k].ec,
                                                        inputs[k].len, &again),
                                DEK_CACHE_OK);
                CU_ASSERT_EQUAL(memcmp(again.bytes, first[k].bytes, DEK_CACHE_ID_LEN), 0);
            }
        }
    }
    /* The vector still holds after the memo saw other inputs. */
    dek_cache_id id;
    CU_ASSERT_EQUAL(dek_cache_encryption_id(&p1, 0x0378, ec, ec_len, &id), DEK_CACHE_OK);
    expect_b64(id.bytes,
               "mRNK7qhTb/kJiiyGPgAevp0gwFRcET4KeeNYwZHhoEDvSUzQiDgl8Of+YRDaVzKxAqpNBgcAuF"
               "Xde9JlaRRsmw==");
}

static void test_decryption_ids(void)
{
    dek_cache_partition p = partition();
    unsigned char ec[128], e1[128], e2[128];
    size_t ec_len = full_ec(ec);
    size_t e1_len = edk(e1, "this is a provider ID", "this is some key info",
                        "super secret key, now with encryption!");
    size_t e2_len = edk(e2, "another provider ID!", "this is some different key info",
                        "better super secret key, now with encryption!");
    dek_cache_id id;
    dek_cache_bytes one[] = {{e1, e1_len}};
    CU_ASSERT_EQUAL(dek_cache_decryption_id(&p, 0x0114, one, 1, NULL, 0, &id), DEK_CACHE_OK);
    expect_b64(id.bytes,
               "n0zVzk9QIVxhz6ET+aJIKKOJNxtpGtSe1yAbu7WU5l272Iw/jmhlER4psDHJs9Mr8KYiIvLGSX"
               "zggNDCc23+9w==");
    /* EDK order must not matter: their hashes are sorted. */
    dek_cache_bytes both[] = {{e1, e1_len}, {e2, e2_len}};
    dek_cache_bytes swapped[] = {{e2, e2_len}, {e1, e1_len}};
    const char *want = "+rtwUe38CGnczGmYu12iqGWHIyDyZ44EvYQ4S6ACmsgS8VaEpiw0RTGpDk6Z/7YYN/jVHOAcNKD"
                       "yCNP8EmstFg==";
    CU_ASSERT_EQUAL(dek_cache_decryption_id(&p, 0x0378, both, 2, ec, ec_len, &id), DEK_CACHE_OK);
    expect_b64(id.bytes, want);
    CU_ASSERT_EQUAL(dek_cache_decryption_id(&p, 0x0378, swapped, 2, ec, ec_len, &id), DEK_CACHE_OK);
    expect_b64(id.bytes, want);
}

/* Decryption IDs through the memo: equal only for equal inputs, whatever the
 * order of the calls; EDK boundaries matter ({ab, c} is not {a, bc}). */
static void test_decryption_id_memo_is_exact(void)
{
    dek_cache_partition p = partition();
    unsigned char e1[128], e2[128];
    size_t e1_len = edk(e1, "this is a provider ID", "this is some key info",
                        "super secret key, now with encryption!");
    size_t e2_len = edk(e2, "another provider ID!", "this is some different key info",
                        "better super secret key, now with encryption!");
    unsigned char e1_changed[128];
    memcpy(e1_changed, e1, e1_len);
    e1_changed[e1_len - 1] ^= 1;
    dek_cache_bytes one[] = {{e1, e1_len}};
    dek_cache_bytes both[] = {{e1, e1_len}, {e2, e2_len}};
    dek_cache_bytes swapped[] = {{e2, e2_len}, {e1, e1_len}};
    dek_cache_bytes changed[] = {{e1_changed, e1_len}, {e2, e2_len}};
    dek_cache_bytes split_a[] = {{"ab", 2}, {"c", 1}};
    dek_cache_bytes split_b[] = {{"a", 1}, {"bc", 2}};
    struct {
        const dek_cache_bytes *edks;
        size_t count;
    } inputs[] = {{one, 1}, {both, 2}, {changed, 2}, {split_a, 2}, {split_b, 2}};
    enum { N = sizeof(inputs) / sizeof(inputs[0]) };
    dek_cache_id first[N], again;
    for (int i = 0; i < N; i++) {
        CU_ASSERT_EQUAL(dek_cache_decryption_id(&p, 0x0114, inputs[i].edks, inputs[i].count, NULL,
                                                0, &first[i]),
                        DEK_CACHE_OK);
        for (int j = 0; j < i; j++) {
            CU_ASSERT_NOT_EQUAL(memcmp(first[i].bytes, first[j].bytes, DEK_CACHE_ID_LEN), 0);
        }
    }
    for (int i = N - 1; i >= 0; i--) {
        for (int twice = 0; twice < 2; twice++) {
            CU_ASSERT_EQUAL(dek_cache_decryption_id(&p, 0x0114, inputs[i].edks, inputs[i].count,
                                                    NULL, 0, &again),
                            DEK_CACHE_OK);
            CU_ASSERT_EQUAL(memcmp(again.bytes, first[i].bytes, DEK_CACHE_ID_LEN), 0);
        }
    }
    /* Order-independent, memo or not. */
    CU_ASSERT_EQUAL(dek_cache_decryption_id(&p, 0x0114, swapped, 2, NULL, 0, &again), DEK_CACHE_OK);
    CU_ASSERT_EQUAL(memcmp(again.bytes, first[1].bytes, DEK_CACHE_ID_LEN), 0);
    /* Another suite or context misses the memo. */
    CU_ASSERT_EQUAL(dek_cache_decryption_id(&p, 0x0378, both, 2, NULL, 0, &again), DEK_CACHE_OK);
    CU_ASSERT_NOT_EQUAL(memcmp(again.bytes, first[1].bytes, DEK_CACHE_ID_LEN), 0);
    CU_ASSERT_EQUAL(dek_cache_decryption_id(&p, 0x0114, both, 2, "x", 1, &again), DEK_CACHE_OK);
    CU_ASSERT_NOT_EQUAL(memcmp(again.bytes, first[1].bytes, DEK_CACHE_ID_LEN), 0);
}

static void test_partitions_and_arguments(void)
{
    dek_cache_partition a, b;
    CU_ASSERT_EQUAL(dek_cache_partition_random(NULL, &a), DEK_CACHE_OK);
    CU_ASSERT_EQUAL(dek_cache_partition_random(NULL, &b), DEK_CACHE_OK);
    CU_ASSERT_NOT_EQUAL(memcmp(a.hash, b.hash, sizeof(a.hash)), 0);
    dek_cache_id ida, idb;
    CU_ASSERT_EQUAL(dek_cache_encryption_id(&a, 0x0578, NULL, 0, &ida), DEK_CACHE_OK);
    CU_ASSERT_EQUAL(dek_cache_encryption_id(&b, 0x0578, NULL, 0, &idb), DEK_CACHE_OK);
    CU_ASSERT_NOT_EQUAL(memcmp(ida.bytes, idb.bytes, sizeof(ida.bytes)), 0);

    CU_ASSERT_EQUAL(dek_cache_encryption_id(&a, 0x10000, NULL, 0, &ida), DEK_CACHE_ERR_ARGUMENT);
    CU_ASSERT_EQUAL(dek_cache_encryption_id(&a, -2, NULL, 0, &ida), DEK_CACHE_ERR_ARGUMENT);
    CU_ASSERT_EQUAL(dek_cache_encryption_id(&a, 0x0578, NULL, 3, &ida), DEK_CACHE_ERR_ARGUMENT);
    CU_ASSERT_EQUAL(dek_cache_decryption_id(&a, 0x0578, NULL, 1, NULL, 0, &ida),
                    DEK_CACHE_ERR_ARGUMENT);
    dek_cache_bytes bad[] = {{NULL, 5}};
    CU_ASSERT_EQUAL(dek_cache_decryption_id(&a, 0x0578, bad, 1, NULL, 0, &ida),
                    DEK_CACHE_ERR_ARGUMENT);
    /* Also right after a good EDK of the same length sits in the ID memo
     * (which compares inputs byte by byte: it crashed on this before). */
    dek_cache_bytes good[] = {{"abcde", 5}};
    CU_ASSERT_EQUAL(dek_cache_decryption_id(&a, 0x0578, good, 1, NULL, 0, &ida), DEK_CACHE_OK);
    CU_ASSERT_EQUAL(dek_cache_decryption_id(&a, 0x0578, bad, 1, NULL, 0, &ida),
                    DEK_CACHE_ERR_ARGUMENT);
    CU_ASSERT_EQUAL(dek_cache_partition_from_name(NULL, NULL, 1, &a), DEK_CACHE_ERR_ARGUMENT);
}

static void test_identity_kdf_suites_not_cacheable(void)
{
    CU_ASSERT_FALSE(dek_cache_suite_is_cacheable(0x0014));
    CU_ASSERT_FALSE(dek_cache_suite_is_cacheable(0x0046));
    CU_ASSERT_FALSE(dek_cache_suite_is_cacheable(0x0078));
    CU_ASSERT_TRUE(dek_cache_suite_is_cacheable(0x0114));
    CU_ASSERT_TRUE(dek_cache_suite_is_cacheable(0x0478));
    CU_ASSERT_TRUE(dek_cache_suite_is_cacheable(0x0578));
}

int main(void)
{
    static const dekcache_test_case tests[] = {
        {"encryption IDs (Python ESDK vectors)", test_encryption_ids},
        {"encryption ID memo is exact", test_encryption_id_memo_is_exact},
        {"decryption IDs (Python ESDK vectors)", test_decryption_ids},
        {"decryption ID memo is exact", test_decryption_id_memo_is_exact},
        {"partitions and arguments", test_partitions_and_arguments},
        {"identity-KDF suites not cacheable", test_identity_kdf_suites_not_cacheable},
        {NULL, NULL}};
    dekcache_add_suite("cache IDs", NULL, NULL, tests);
    return dekcache_run_tests();
}
