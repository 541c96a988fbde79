/* Frame sealing and opening with OpenSSL's IV generation (aes_gcm_frames.c)
 * must give exactly what explicit IVs give (8 zero bytes and the sequence
 * number), also after the context was used with another IV, after a skipped
 * sequence number and with IV generation switched off. */
#include <CUnit/CUnit.h>
#include <openssl/crypto.h>
#include <string.h>

#include "cunit_run.h"
#include "message/aes_gcm.h"
#include "message/aes_gcm_frames.h"
#include "message/body.h"

#define MAX_LEN 5000

static const uint8_t key[32] = {7, 1, 2, 3};
static const uint8_t aad[] = "message id || label || seq || length";

typedef struct {
    uint8_t ct[MAX_LEN];
    uint8_t tag[16];
} sealed;

static uint8_t plain[MAX_LEN];

static void fill_plain(void)
{
    for (size_t i = 0; i < MAX_LEN; i++)
        plain[i] = (uint8_t)(i * 13 + 5);
}

static size_t len_of(uint32_t seq)
{
    static const size_t lens[] = {4096, 0, 1, 95, 96, 97, 288, 1000, MAX_LEN};
    return lens[seq % (sizeof(lens) / sizeof(lens[0]))];
}

/* The reference: a fresh explicit IV for every frame. */
static void seal_reference(uint32_t seq, sealed *out)
{
    EVP_CIPHER_CTX *ctx = esdk_gcm_new(NULL, key, sizeof(key), 1);
    uint8_t iv[12];
    esdk_frame_iv(iv, seq);
    CU_ASSERT_FATAL(ctx != NULL);
    CU_ASSERT(esdk_gcm_seal(ctx, iv, aad, sizeof(aad), plain, len_of(seq), out->ct, out->tag));
    EVP_CIPHER_CTX_free(ctx);
}

static void check_seal(EVP_CIPHER_CTX *ctx, esdk_gcm_frames *f, uint32_t seq)
{
    sealed got, want;
    seal_reference(seq, &want);
    CU_ASSERT(
        esdk_gcm_seal_frame(ctx, f, seq, aad, sizeof(aad), plain, len_of(seq), got.ct, got.tag));
    CU_ASSERT(memcmp(got.ct, want.ct, len_of(seq)) == 0);
    CU_ASSERT(memcmp(got.tag, want.tag, 16) == 0);
}

static void test_seal_matches_explicit_ivs(void)
{
    fill_plain();
    EVP_CIPHER_CTX *ctx = esdk_gcm_new(NULL, key, sizeof(key), 1);
    esdk_gcm_frames f = {0};
    CU_ASSERT_FATAL(ctx != NULL);
    for (uint32_t seq = 1; seq <= 20; seq++)
        check_seal(ctx, &f, seq);
    CU_ASSERT(f.explicit_ivs == 0); /* OpenSSL's default provider generates the IVs */
    CU_ASSERT(f.next == 21);
    check_seal(ctx, &f, 25); /* a gap re-arms */
    sealed other;
    static const uint8_t other_iv[12] = {1, 2, 3};
    CU_ASSERT(esdk_gcm_seal(ctx, other_iv, aad, 3, plain, 10, other.ct, other.tag));
    memset(&f, 0, sizeof(f)); /* as aes_gcm_frames.h asks after another IV */
    check_seal(ctx, &f, 26);
    check_seal(ctx, &f, 27);
    f.explicit_ivs = 1;
    check_seal(ctx, &f, 28);
    check_seal(ctx, &f, 29);
    EVP_CIPHER_CTX_free(ctx);
}

static int open_one(EVP_CIPHER_CTX *ctx, esdk_gcm_frames *f, uint32_t seq, const sealed *s,
                    uint8_t *pt)
{
    return esdk_gcm_open_frame(ctx, f, seq, aad, sizeof(aad), s->ct, len_of(seq), pt, s->tag);
}

static void test_open_matches_explicit_ivs(void)
{
    static uint8_t pt[MAX_LEN];
    fill_plain();
    EVP_CIPHER_CTX *ctx = esdk_gcm_new(NULL, key, sizeof(key), 0);
    esdk_gcm_frames f = {0};
    sealed s;
    CU_ASSERT_FATAL(ctx != NULL);
    for (uint32_t seq = 1; seq <= 20; seq++) {
        seal_reference(seq, &s);
        CU_ASSERT(open_one(ctx, &f, seq, &s, pt));
        CU_ASSERT(memcmp(pt, plain, len_of(seq)) == 0);
    }
    CU_ASSERT(f.armed && !f.explicit_ivs);
    /* A forged tag fails, cleanses, and leaves IV generation on. */
    seal_reference(21, &s);
    s.tag[0] ^= 1;
    CU_ASSERT(!open_one(ctx, &f, 21, &s, pt));
    CU_ASSERT(pt[0] == 0 && pt[len_of(21) - 1] == 0);
    CU_ASSERT(!f.explicit_ivs);
    /* So does a frame opened under another sequence number. */
    seal_reference(22, &s);
    CU_ASSERT(!open_one(ctx, &f, 23, &s, pt));
    seal_reference(23, &s);
    CU_ASSERT(open_one(ctx, &f, 23, &s, pt));
    CU_ASSERT(memcmp(pt, plain, len_of(23)) == 0);
    f.explicit_ivs = 1;
    seal_reference(24, &s);
    CU_ASSERT(open_one(ctx, &f, 24, &s, pt));
    CU_ASSERT(memcmp(pt, plain, len_of(24)) == 0);
    EVP_CIPHER_CTX_free(ctx);
}

int main(void)
{
    static const dekcache_test_case tests[] = {
        {"sealed frames match explicit IVs", test_seal_matches_explicit_ivs},
        {"opened frames match explicit IVs", test_open_matches_explicit_ivs},
        {NULL, NULL}};
    dekcache_add_suite("AES-GCM frames", NULL, NULL, tests);
    return dekcache_run_tests();
}
