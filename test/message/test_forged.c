/* Messages our encrypt never writes, built by hand (forge_message.c): every
 * v1 suite framed and non-framed, and non-framed v2, which the ESDKs may not
 * write but must decrypt. Only the legacy vectors cover v1 otherwise, and
 * nothing covers a non-framed v2 body. */
#include <CUnit/CUnit.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "cunit_run.h"
#include "forge_message.h"
#include "message/header.h"
#include "message_test_util.h"

static const uint16_t suites[] = {0x0014, 0x0046, 0x0078, 0x0114, 0x0146, 0x0178,
                                  0x0214, 0x0346, 0x0378, 0x0478, 0x0578};
#define N_SUITES (sizeof(suites) / sizeof(suites[0]))

/* Decrypts in random pieces; 1 when the whole plaintext came back. */
static int decrypts_to(esdk_cmm *cmm, const uint8_t *ct, size_t len, const uint8_t *pt,
                       size_t pt_len)
{
    esdk_decrypt_options o = {.cmm = cmm, .policy = ESDK_POLICY_FORBID_ENCRYPT_ALLOW_DECRYPT};
    uint8_t *out = NULL;
    size_t out_len = 0;
    esdk_status st = test_decrypt_chunked(&o, ct, len, 97, &out, &out_len);
    int ok = st == ESDK_OK && out_len == pt_len && memcmp(out, pt, pt_len) == 0;
    if (!ok)
        printf("\n  %s, %zu of %zu bytes\n", esdk_status_string(st), out_len, pt_len);
    OPENSSL_free(out);
    return ok;
}

/* The parsed header says what the forger was asked for. */
static int is_kind(const uint8_t *ct, size_t len, uint16_t suite, uint32_t frame_len)
{
    esdk_header h;
    size_t used = 0;
    if (esdk_header_parse(ct, len, NULL, &h, &used, NULL, 0) != ESDK_OK)
        return 0;
    int ok = h.suite->id == suite && h.version == (suite >= 0x0478 ? 2 : 1) &&
             h.frame_len == frame_len &&
             h.content_type == (frame_len ? ESDK_CONTENT_FRAMED : ESDK_CONTENT_NON_FRAMED);
    esdk_header_clear(&h);
    return ok;
}

static void test_every_suite(void)
{
    esdk_cmm *cmm = test_aes_cmm("forged");
    esdk_enc_context ec = {0};
    esdk_ec_set_str(&ec, "purpose", "forged");
    uint8_t pt[300];
    for (size_t i = 0; i < sizeof(pt); i++)
        pt[i] = (uint8_t)(i * 7);
    static const uint32_t frames[] = {0, 64};
    static const size_t lengths[] = {0, 1, 128, 300};
    for (size_t s = 0; s < N_SUITES; s++)
        for (size_t f = 0; f < 2; f++)
            for (size_t l = 0; l < sizeof(lengths) / sizeof(lengths[0]); l++) {
                forge_spec spec = {cmm, suites[s], frames[f], &ec};
                uint8_t *ct = NULL;
                size_t len = 0;
                CU_ASSERT_FATAL(forge_message(&spec, pt, lengths[l], &ct, &len) == ESDK_OK);
                CU_ASSERT(is_kind(ct, len, suites[s], frames[f]));
                int ok = decrypts_to(cmm, ct, len, pt, lengths[l]);
                CU_ASSERT(ok);
                if (!ok)
                    printf("  suite %04x frame %u length %zu\n", suites[s], frames[f], lengths[l]);
                OPENSSL_free(ct);
            }
    esdk_ec_clear(&ec);
    esdk_cmm_free(cmm);
}

/* A non-framed v2 body fails like a frame: damage, truncation, size limit. */
static void test_non_framed_v2_damage(void)
{
    esdk_cmm *cmm = test_aes_cmm("forged");
    uint8_t pt[100] = {1}, *ct = NULL, *out = NULL;
    size_t len = 0, out_len = 0;
    forge_spec spec = {cmm, 0x0478, 0, NULL};
    CU_ASSERT_FATAL(forge_message(&spec, pt, sizeof(pt), &ct, &len) == ESDK_OK);
    esdk_decrypt_options o = {.cmm = cmm};
    ct[len - 30] ^= 1; /* ciphertext */
    CU_ASSERT(esdk_decrypt_oneshot(&o, ct, len, &out, &out_len, NULL, 0) == ESDK_ERR_FRAME_AUTH);
    ct[len - 30] ^= 1;
    CU_ASSERT(esdk_decrypt_oneshot(&o, ct, len - 1, &out, &out_len, NULL, 0) == ESDK_ERR_TRUNCATED);
    o.max_body_len = sizeof(pt) - 1;
    CU_ASSERT(esdk_decrypt_oneshot(&o, ct, len, &out, &out_len, NULL, 0) ==
              ESDK_ERR_BODY_TOO_LARGE);
    o.max_body_len = 0;
    CU_ASSERT(esdk_decrypt_oneshot(&o, ct, len, &out, &out_len, NULL, 0) == ESDK_OK);
    CU_ASSERT(out_len == sizeof(pt) && memcmp(out, pt, sizeof(pt)) == 0);
    OPENSSL_free(out);
    OPENSSL_free(ct);
    esdk_cmm_free(cmm);
}

int main(void)
{
    test_rand_seed_from_env();
    static const dekcache_test_case tests[] = {
        {"every suite, framed and non-framed, decrypts", test_every_suite},
        {"non-framed v2: damage, truncation, size limit", test_non_framed_v2_damage},
        {NULL, NULL}};
    dekcache_add_suite("forged messages", NULL, NULL, tests);
    return dekcache_run_tests();
}
