/* Every single-bit flip and every truncation of a small message must fail, and
 * the decryptor may only have released plaintext of frames that lie wholly
 * before the damage (and, for signed suites, never the final frame) — never
 * the whole plaintext, even when the cut removes just an empty final frame. */
#include <CUnit/CUnit.h>
#include <openssl/crypto.h>
#include <string.h>

#include "cunit_run.h"
#include "message/header.h"
#include "message_test_util.h"

#define FRAME 64
#define PLAIN 150 /* two regular frames and a 22-byte final frame */

typedef struct {
    esdk_cmm *cmm;
    uint8_t pt[PLAIN];
    size_t plain_len; /* PLAIN, or a whole number of frames (empty final frame) */
    uint8_t *ct;
    size_t ct_len;
    size_t header_len;
} sample;

static void make_sample(sample *s, uint16_t suite, size_t plain_len)
{
    s->cmm = test_aes_cmm("tamper");
    s->plain_len = plain_len;
    for (size_t i = 0; i < PLAIN; i++)
        s->pt[i] = (uint8_t)(i * 7 + 3);
    esdk_encrypt_options eo = {.cmm = s->cmm, .suite_id = suite, .frame_len = FRAME};
    char detail[256];
    CU_ASSERT_FATAL(esdk_encrypt_oneshot(&eo, s->pt, plain_len, &s->ct, &s->ct_len, detail,
                                         sizeof(detail)) == ESDK_OK);
    esdk_header h;
    CU_ASSERT_FATAL(esdk_header_parse(s->ct, s->ct_len, NULL, &h, &s->header_len, NULL, 0) ==
                    ESDK_OK);
    esdk_header_clear(&h);
}

static void free_sample(sample *s)
{
    OPENSSL_free(s->ct);
    esdk_cmm_free(s->cmm);
}

/* Plaintext bytes of the regular frames that end at or before `offset`. */
static size_t releasable(const sample *s, size_t offset)
{
    if (offset < s->header_len)
        return 0;
    size_t frames = (offset - s->header_len) / (FRAME + ESDK_FRAME_OVERHEAD);
    size_t whole = s->plain_len / FRAME;
    return (frames > whole ? whole : frames) * FRAME;
}

/* Decrypts a damaged message in random pieces and checks the failure and what
 * was released before it. */
static void expect_failure(const sample *s, const uint8_t *msg, size_t len, size_t damage_at)
{
    esdk_decrypt_options opt = {.cmm = s->cmm};
    uint8_t *released = NULL, *one_shot = NULL;
    size_t released_len = 0, one_shot_len = 0;
    esdk_status st = test_decrypt_chunked(&opt, msg, len, 50, &released, &released_len);
    CU_ASSERT(st != ESDK_OK);
    CU_ASSERT(released_len <= releasable(s, damage_at));
    CU_ASSERT(released_len < s->plain_len);
    CU_ASSERT(memcmp(released, s->pt, released_len) == 0);
    if (st == ESDK_OK || released_len > releasable(s, damage_at) || released_len >= s->plain_len)
        printf("\n  damage at %zu: status %d, released %zu\n", damage_at, st, released_len);
    CU_ASSERT(esdk_decrypt_oneshot(&opt, msg, len, &one_shot, &one_shot_len, NULL, 0) != ESDK_OK);
    CU_ASSERT(one_shot == NULL && one_shot_len == 0);
    OPENSSL_free(released);
}

static void flips(uint16_t suite)
{
    sample s;
    make_sample(&s, suite, PLAIN);
    uint8_t *copy = OPENSSL_memdup(s.ct, s.ct_len);
    for (size_t i = 0; i < s.ct_len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            copy[i] ^= (uint8_t)(1u << bit);
            expect_failure(&s, copy, s.ct_len, i);
            copy[i] ^= (uint8_t)(1u << bit);
        }
    }
    OPENSSL_free(copy);
    free_sample(&s);
}

static void truncations(uint16_t suite)
{
    sample whole_frames;
    make_sample(&whole_frames, suite, 2 * FRAME);
    for (size_t k = 0; k < whole_frames.ct_len; k++)
        expect_failure(&whole_frames, whole_frames.ct, k, k);
    free_sample(&whole_frames);
    sample s;
    make_sample(&s, suite, PLAIN);
    for (size_t k = 0; k < s.ct_len; k++)
        expect_failure(&s, s.ct, k, k);
    /* ... and one byte too many fails too. */
    uint8_t *longer = OPENSSL_malloc(s.ct_len + 1);
    memcpy(longer, s.ct, s.ct_len);
    longer[s.ct_len] = 0;
    esdk_decrypt_options opt = {.cmm = s.cmm};
    uint8_t *out = NULL;
    size_t out_len = 0;
    CU_ASSERT(esdk_decrypt_oneshot(&opt, longer, s.ct_len + 1, &out, &out_len, NULL, 0) ==
              ESDK_ERR_TRAILING_BYTES);
    OPENSSL_free(longer);
    free_sample(&s);
}

static void test_flips_unsigned(void)
{
    flips(0x0478);
}

static void test_flips_signed(void)
{
    flips(0x0578);
}

static void test_truncations_unsigned(void)
{
    truncations(0x0478);
}

static void test_truncations_signed(void)
{
    truncations(0x0578);
}

/* Plaintext withheld for the next frame (see decrypt.h) is not left in the
 * caller's buffer past the length reported: a message cut before its final
 * frame fails at finish, and its last regular frame must appear nowhere. */
static void test_withheld_tail_not_left_in_buffer(void)
{
    sample s;
    make_sample(&s, 0x0478, PLAIN);
    size_t cut = s.header_len + 2 * (FRAME + ESDK_FRAME_OVERHEAD); /* two regular frames */
    esdk_decrypt_options o = {.cmm = s.cmm};
    esdk_decryptor *d = NULL;
    uint8_t buf[4096];
    size_t out_len = 0, tail_len = 0;
    memset(buf, 0xEE, sizeof(buf));
    CU_ASSERT_FATAL(esdk_decrypt_new(&o, &d) == ESDK_OK);
    CU_ASSERT_EQUAL(esdk_decrypt_update(d, s.ct, cut, buf, sizeof(buf), &out_len), ESDK_OK);
    CU_ASSERT(out_len < 2 * FRAME);
    CU_ASSERT_PTR_NULL(memmem(buf, sizeof(buf), s.pt + FRAME, FRAME));
    uint8_t rest[4096];
    CU_ASSERT_EQUAL(esdk_decrypt_finish(d, rest, sizeof(rest), &tail_len), ESDK_ERR_TRUNCATED);
    CU_ASSERT_PTR_NULL(memmem(buf, sizeof(buf), s.pt + FRAME, FRAME));
    esdk_decrypt_free(d);
    free_sample(&s);
}

int main(void)
{
    test_rand_seed_from_env();
    static const dekcache_test_case tests[] = {
        {"every bit flip fails (0x0478)", test_flips_unsigned},
        {"every bit flip fails (0x0578)", test_flips_signed},
        {"every truncation fails (0x0478)", test_truncations_unsigned},
        {"every truncation fails (0x0578)", test_truncations_signed},
        {"the withheld tail is not left in the caller's buffer",
         test_withheld_tail_not_left_in_buffer},
        {NULL, NULL}};
    dekcache_add_suite("message tampering", NULL, NULL, tests);
    return dekcache_run_tests();
}
