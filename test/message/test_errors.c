/* Distinct errors for hostile input, policy and context violations, plus the
 * encryption context encoding and header inspection. */
#include <CUnit/CUnit.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cunit_run.h"
#include "message/header.h"
#include "message/header_internal.h"
#include "message/keyring.h"
#include "message/raw_aes_keyring.h"
#include "message/raw_rsa_keyring.h"
#include "message_test_util.h"

static uint8_t *encrypt_sample(esdk_cmm *cmm, uint16_t suite, uint32_t frame, size_t n,
                               const esdk_enc_context *ec, size_t *len)
{
    uint8_t *pt = OPENSSL_zalloc(n + 1), *ct = NULL;
    esdk_encrypt_options eo = {.cmm = cmm, .suite_id = suite, .frame_len = frame, .ec = ec};
    CU_ASSERT(esdk_encrypt_oneshot(&eo, pt, n, &ct, len, NULL, 0) == ESDK_OK);
    OPENSSL_free(pt);
    return ct;
}

static esdk_status decrypt_with(const esdk_decrypt_options *opt, const uint8_t *ct, size_t len)
{
    uint8_t *out = NULL;
    size_t out_len = 0;
    esdk_status st = esdk_decrypt_oneshot(opt, ct, len, &out, &out_len, NULL, 0);
    OPENSSL_free(out);
    return st;
}

static void test_limits(void)
{
    esdk_cmm *cmm = test_aes_cmm("limits");
    esdk_enc_context ec = {0};
    esdk_ec_set_str(&ec, "tenant", "a fairly long value that makes the context sizeable");
    size_t len = 0;
    uint8_t *ct = encrypt_sample(cmm, 0, 100, 450, &ec, &len); /* 4 regular frames + final */
    esdk_decrypt_options base = {.cmm = cmm, .reproduced_ec = &ec};
    CU_ASSERT(decrypt_with(&base, ct, len) == ESDK_OK);

    esdk_decrypt_options o = base;
    o.header_limits.max_edks = 1;
    CU_ASSERT(decrypt_with(&o, ct, len) == ESDK_OK);
    o = base;
    o.header_limits.max_header_len = 100;
    CU_ASSERT(decrypt_with(&o, ct, len) == ESDK_ERR_HEADER_TOO_LARGE);
    o = base;
    o.header_limits.max_ec_len = 10;
    CU_ASSERT(decrypt_with(&o, ct, len) == ESDK_ERR_CONTEXT_TOO_LARGE);
    o = base;
    o.max_frame_len = 99;
    CU_ASSERT(decrypt_with(&o, ct, len) == ESDK_ERR_FRAME_TOO_LARGE);
    o = base;
    o.max_frames = 3;
    CU_ASSERT(decrypt_with(&o, ct, len) == ESDK_ERR_TOO_MANY_FRAMES);
    o = base;
    o.max_frames = 5;
    CU_ASSERT(decrypt_with(&o, ct, len) == ESDK_OK);
    OPENSSL_free(ct);

    /* Two EDKs (multi-keyring) against a cap of one. */
    static const uint8_t k2[16] = {9};
    esdk_keyring *a = NULL, *b = NULL, *multi = NULL;
    esdk_cmm *cmm2 = NULL;
    esdk_raw_aes_keyring_new(NULL, "ns", "a", k2, 16, &a);
    esdk_raw_aes_keyring_new(NULL, "ns", "b", k2, 16, &b);
    CU_ASSERT_FATAL(esdk_multi_keyring_new(a, &b, 1, &multi) == ESDK_OK);
    CU_ASSERT_FATAL(esdk_default_cmm_new(NULL, multi, &cmm2) == ESDK_OK);
    ct = encrypt_sample(cmm2, 0, 0, 10, NULL, &len);
    o = (esdk_decrypt_options){.cmm = cmm2};
    CU_ASSERT(decrypt_with(&o, ct, len) == ESDK_OK);
    o.header_limits.max_edks = 1;
    CU_ASSERT(decrypt_with(&o, ct, len) == ESDK_ERR_TOO_MANY_EDKS);
    esdk_encrypt_options eo = {.cmm = cmm2, .max_edks = 1};
    esdk_encryptor *e = NULL;
    CU_ASSERT(esdk_encrypt_new(&eo, &e, NULL, 0) == ESDK_ERR_TOO_MANY_EDKS);
    /* A keyring holding only b still decrypts (tries EDKs in order). */
    esdk_cmm *only_b = NULL;
    esdk_default_cmm_new(NULL, b, &only_b);
    o = (esdk_decrypt_options){.cmm = only_b};
    CU_ASSERT(decrypt_with(&o, ct, len) == ESDK_OK);
    OPENSSL_free(ct);
    esdk_cmm_free(only_b);
    esdk_cmm_free(cmm2);
    esdk_keyring_free(multi);
    esdk_keyring_free(a);
    esdk_keyring_free(b);
    esdk_ec_clear(&ec);
    esdk_cmm_free(cmm);
}

/* A CMM over a multi-keyring of n raw AES keyrings "k0".."k<n-1>" (one key),
 * so encrypt writes n EDKs; only_last: a CMM holding only the last one. */
static esdk_cmm *many_edk_cmm(size_t n, int only_last)
{
    static const uint8_t key[32] = {7};
    esdk_keyring **rings = OPENSSL_zalloc(n * sizeof(*rings)), *multi = NULL;
    esdk_cmm *cmm = NULL;
    for (size_t i = 0; i < n; i++) {
        char name[16];
        snprintf(name, sizeof(name), "k%zu", i);
        if (!only_last || i == n - 1)
            esdk_raw_aes_keyring_new(NULL, "many", name, key, sizeof(key), &rings[i]);
    }
    if (only_last)
        esdk_default_cmm_new(NULL, rings[n - 1], &cmm);
    else if (esdk_multi_keyring_new(rings[0], rings + 1, n - 1, &multi) == ESDK_OK)
        esdk_default_cmm_new(NULL, multi, &cmm);
    for (size_t i = 0; i < n; i++)
        esdk_keyring_free(rings[i]);
    esdk_keyring_free(multi);
    OPENSSL_free(rings);
    return cmm;
}

/* No EDK cap by default (the official ESDKs have none, and our encrypt writes
 * any count); an explicit max_edks still refuses a header above it. */
static void test_many_edks(void)
{
    esdk_cmm *enc = many_edk_cmm(300, 0), *dec = many_edk_cmm(300, 1);
    CU_ASSERT_FATAL(enc != NULL && dec != NULL);
    size_t len = 0;
    uint8_t *ct = encrypt_sample(enc, 0x0578, 0, 10, NULL, &len);
    esdk_decrypt_options o = {.cmm = dec};
    CU_ASSERT(decrypt_with(&o, ct, len) == ESDK_OK);
    o.header_limits.max_edks = 299;
    CU_ASSERT(decrypt_with(&o, ct, len) == ESDK_ERR_TOO_MANY_EDKS);
    o.header_limits.max_edks = 300;
    CU_ASSERT(decrypt_with(&o, ct, len) == ESDK_OK);
    OPENSSL_free(ct);
    esdk_cmm_free(enc);
    esdk_cmm_free(dec);
}

/* A header of 65535 (minimal) EDKs arriving a byte at a time: measuring it
 * again from the start after every EDK took minutes; it resumes instead. */
static void test_edks_trickle(void)
{
    esdk_enc_materials *mat = esdk_enc_materials_new(0x0478);
    for (size_t i = 0; i < 0xFFFF; i++)
        esdk_edk_list_add(&mat->edks, "p", 1, "", 0, "", 0);
    uint8_t id[32] = {0}, commit[32] = {0}, *hdr = NULL, out[1];
    size_t body_len = 0, n = 0;
    CU_ASSERT_FATAL(esdk_header_write_v2(mat, id, 4096, commit, &hdr, &body_len, NULL, 0) ==
                    ESDK_OK);
    memset(hdr + body_len, 0, ESDK_TAG_LEN);
    esdk_decryptor *d = NULL;
    esdk_decrypt_options o = {0}; /* header inspection: no CMM */
    CU_ASSERT_FATAL(esdk_decrypt_new(&o, &d) == ESDK_OK);
    clock_t start = clock();
    esdk_status st = ESDK_OK;
    for (size_t i = 0; st == ESDK_OK && i < body_len + ESDK_TAG_LEN; i++)
        st = esdk_decrypt_update(d, hdr + i, 1, out, sizeof(out), &n);
    double seconds = (double)(clock() - start) / CLOCKS_PER_SEC;
    CU_ASSERT(st == ESDK_OK);
    CU_ASSERT(esdk_decrypt_header(d) != NULL && esdk_decrypt_header(d)->edks.count == 0xFFFF);
    CU_ASSERT(seconds < 10); /* about 0.1 s; the quadratic rescan took over 100 s */
    printf("\n  65535 EDKs, %zu header bytes one at a time: %.2f s CPU\n", body_len + 16, seconds);
    esdk_decrypt_free(d);
    OPENSSL_free(hdr);
    esdk_enc_materials_free(mat);
}

static void test_context_rules(void)
{
    esdk_cmm *cmm = test_aes_cmm("context");
    esdk_enc_context ec = {0}, other = {0}, extra = {0};
    esdk_ec_set_str(&ec, "k", "v");
    esdk_ec_set_str(&other, "k", "w");
    esdk_ec_set_str(&extra, "k", "v");
    esdk_ec_set_str(&extra, "unstored", "x");
    size_t len = 0;
    uint8_t *ct = encrypt_sample(cmm, 0, 0, 10, &ec, &len);
    esdk_decrypt_options o = {.cmm = cmm, .reproduced_ec = &other};
    CU_ASSERT(decrypt_with(&o, ct, len) == ESDK_ERR_CONTEXT_MISMATCH);
    /* A reproduced pair the header does not store is authenticated as required
     * EC, which this message did not bind: the raw AES unwrap fails. */
    o.reproduced_ec = &extra;
    CU_ASSERT(decrypt_with(&o, ct, len) == ESDK_ERR_NO_KEYRING_DECRYPT);
    OPENSSL_free(ct);

    esdk_enc_context reserved = {0};
    esdk_ec_set_str(&reserved, "aws-crypto-anything", "x");
    esdk_encrypt_options eo = {.cmm = cmm, .ec = &reserved};
    esdk_encryptor *e = NULL;
    CU_ASSERT(esdk_encrypt_new(&eo, &e, NULL, 0) == ESDK_ERR_RESERVED_CONTEXT);
    esdk_ec_clear(&reserved);
    esdk_ec_clear(&ec);
    esdk_ec_clear(&other);
    esdk_ec_clear(&extra);
    esdk_cmm_free(cmm);
}

static void test_policy_and_keys(void)
{
    esdk_cmm *cmm = test_aes_cmm("policy");
    esdk_encryptor *e = NULL;
    esdk_encrypt_options eo = {.cmm = cmm, .policy = ESDK_POLICY_FORBID_ENCRYPT_ALLOW_DECRYPT};
    CU_ASSERT(esdk_encrypt_new(&eo, &e, NULL, 0) == ESDK_ERR_POLICY);
    eo.suite_id = 0x0178; /* allowed by that policy, but we only write format v2 */
    CU_ASSERT(esdk_encrypt_new(&eo, &e, NULL, 0) == ESDK_ERR_UNSUPPORTED_SUITE);
    eo = (esdk_encrypt_options){.cmm = cmm, .suite_id = 0x0178};
    CU_ASSERT(esdk_encrypt_new(&eo, &e, NULL, 0) == ESDK_ERR_POLICY);
    eo = (esdk_encrypt_options){.cmm = cmm, .suite_id = 0x1234};
    CU_ASSERT(esdk_encrypt_new(&eo, &e, NULL, 0) == ESDK_ERR_UNSUPPORTED_SUITE);
    eo = (esdk_encrypt_options){.cmm = cmm, .plaintext_len = 5, .plaintext_len_known = 1};
    CU_ASSERT_FATAL(esdk_encrypt_new(&eo, &e, NULL, 0) == ESDK_OK);
    uint8_t buf[512];
    size_t n;
    CU_ASSERT(esdk_encrypt_update(e, buf, 4, buf + 100, 400, &n) == ESDK_OK);
    CU_ASSERT(esdk_encrypt_finish(e, buf + 100, 400, &n) == ESDK_ERR_PLAINTEXT_LENGTH);
    esdk_encrypt_free(e);

    size_t len = 0;
    uint8_t *ct = encrypt_sample(cmm, 0, 0, 10, NULL, &len);
    esdk_cmm *wrong = test_aes_cmm("another-name");
    esdk_decrypt_options o = {.cmm = wrong};
    CU_ASSERT(decrypt_with(&o, ct, len) == ESDK_ERR_NO_KEYRING_DECRYPT);
    /* Same key name, different wrapping key: the data key differs. */
    static const uint8_t k[32] = {42};
    esdk_keyring *kr = NULL;
    esdk_cmm *imposter = NULL;
    esdk_raw_aes_keyring_new(NULL, "test-ns", "policy", k, 32, &kr);
    esdk_default_cmm_new(NULL, kr, &imposter);
    o.cmm = imposter;
    CU_ASSERT(decrypt_with(&o, ct, len) == ESDK_ERR_NO_KEYRING_DECRYPT);
    OPENSSL_free(ct);
    esdk_cmm_free(imposter);
    esdk_keyring_free(kr);
    esdk_cmm_free(wrong);
    esdk_cmm_free(cmm);
}

/* The caller reads the EDKs first, then supplies the CMM. */
static void test_header_inspection(void)
{
    esdk_cmm *cmm = test_aes_cmm("inspect");
    size_t len = 0;
    uint8_t *ct = encrypt_sample(cmm, 0x0578, 0, 3000, NULL, &len);
    esdk_decryptor *d = NULL;
    esdk_decrypt_options o = {0};
    CU_ASSERT_FATAL(esdk_decrypt_new(&o, &d) == ESDK_OK);
    uint8_t out[8192];
    size_t n1 = 0, n2 = 0, n3 = 0;
    CU_ASSERT(esdk_decrypt_update(d, ct, len, out, sizeof(out), &n1) == ESDK_OK);
    CU_ASSERT(n1 == 0);
    const esdk_header *h = esdk_decrypt_header(d);
    CU_ASSERT_FATAL(h != NULL);
    CU_ASSERT(!esdk_decrypt_header_authenticated(d));
    CU_ASSERT(h->edks.count == 1 && memcmp(h->edks.items[0].provider_id, "test-ns", 7) == 0);
    CU_ASSERT(memcmp(h->edks.items[0].provider_info, "inspect", 7) == 0);
    CU_ASSERT(esdk_decrypt_set_cmm(d, cmm) == ESDK_OK);
    CU_ASSERT(esdk_decrypt_update(d, NULL, 0, out, sizeof(out), &n2) == ESDK_OK);
    CU_ASSERT(esdk_decrypt_header_authenticated(d));
    CU_ASSERT(esdk_decrypt_finish(d, out + n2, sizeof(out) - n2, &n3) == ESDK_OK);
    CU_ASSERT(n2 + n3 == 3000 && n3 == 3000 % 4096); /* signed: final frame held to the end */
    CU_ASSERT(esdk_decrypt_materials(d)->edk_index == 0);
    esdk_decrypt_free(d);

    /* finish alone completes the message once the CMM is there. */
    CU_ASSERT_FATAL(esdk_decrypt_new(&o, &d) == ESDK_OK);
    CU_ASSERT(esdk_decrypt_update(d, ct, len, out, sizeof(out), &n1) == ESDK_OK && n1 == 0);
    CU_ASSERT(esdk_decrypt_set_cmm(d, cmm) == ESDK_OK);
    CU_ASSERT(esdk_decrypt_finish(d, out, sizeof(out), &n3) == ESDK_OK && n3 == 3000);
    CU_ASSERT(esdk_decrypt_pending(d) == 0);
    esdk_decrypt_free(d);
    OPENSSL_free(ct);
    esdk_cmm_free(cmm);
}

static void test_context_encoding(void)
{
    esdk_enc_context ec = {0}, back = {0};
    CU_ASSERT(esdk_ec_set(&ec, "\0\1\2", 3, "nul", 3) == ESDK_OK);
    CU_ASSERT(esdk_ec_set_str(&ec, "\xd0\x98\xd0\xbc\xd1\x8f", "cyrillic") == ESDK_OK);
    CU_ASSERT(esdk_ec_set_str(&ec, "b", "2") == ESDK_OK);
    CU_ASSERT(esdk_ec_set_str(&ec, "ab", "1") == ESDK_OK);
    CU_ASSERT(esdk_ec_set_str(&ec, "a", "0") == ESDK_OK);
    CU_ASSERT(esdk_ec_set_str(&ec, "bad", "\xc0\x80") == ESDK_ERR_BAD_CONTEXT);   /* overlong */
    CU_ASSERT(esdk_ec_set_str(&ec, "\xed\xa0\x80", "x") == ESDK_ERR_BAD_CONTEXT); /* surrogate */
    CU_ASSERT(ec.count == 5);
    CU_ASSERT(memcmp(ec.pairs[0].key, "\0\1\2", 3) == 0);
    CU_ASSERT(strcmp((char *)ec.pairs[1].key, "a") == 0);
    CU_ASSERT(strcmp((char *)ec.pairs[2].key, "ab") == 0);
    CU_ASSERT(strcmp((char *)ec.pairs[3].key, "b") == 0);
    size_t n = esdk_ec_serialized_size(&ec);
    uint8_t buf[256];
    CU_ASSERT_FATAL(n < sizeof(buf) && esdk_ec_serialize(&ec, buf, sizeof(buf)) == ESDK_OK);
    CU_ASSERT(buf[0] == 0 && buf[1] == 5 && buf[2] == 0 && buf[3] == 3 && buf[4] == 0);
    CU_ASSERT(esdk_ec_parse(&back, buf, n, NULL, 0) == ESDK_OK);
    CU_ASSERT(esdk_ec_equal(&ec, &back));
    esdk_ec_clear(&back);
    CU_ASSERT(esdk_ec_parse(&back, buf, n - 1, NULL, 0) == ESDK_ERR_BAD_CONTEXT);
    static const uint8_t dup[] = {0, 2, 0, 1, 'a', 0, 0, 0, 1, 'a', 0, 0};
    CU_ASSERT(esdk_ec_parse(&back, dup, sizeof(dup), NULL, 0) == ESDK_ERR_BAD_CONTEXT);
    static const uint8_t not_utf8[] = {0, 1, 0, 1, 0xFF, 0, 1, 'v'};
    CU_ASSERT(esdk_ec_parse(&back, not_utf8, sizeof(not_utf8), NULL, 0) == ESDK_ERR_BAD_CONTEXT);
    static const uint8_t zero_pairs[] = {0, 0};
    CU_ASSERT(esdk_ec_parse(&back, zero_pairs, 2, NULL, 0) == ESDK_ERR_BAD_CONTEXT);
    CU_ASSERT(esdk_ec_parse(&back, buf, 0, NULL, 0) == ESDK_OK && back.count == 0);
    esdk_enc_context empty = {0};
    CU_ASSERT(esdk_ec_serialized_size(&empty) == 0);
    esdk_ec_clear(&ec);
}

static void test_header_fixed_values(void)
{
    esdk_cmm *cmm = test_aes_cmm("fixed");
    size_t len = 0, consumed;
    uint8_t *ct = encrypt_sample(cmm, 0, 0, 1, NULL, &len);
    esdk_header h;
    CU_ASSERT_FATAL(esdk_header_parse(ct, len, NULL, &h, &consumed, NULL, 0) == ESDK_OK);
    size_t edk_end = h.body_len - 37; /* content type offset */
    esdk_header_clear(&h);
    struct {
        size_t offset;
        uint8_t value;
        esdk_status expect;
    } cases[] = {
        {0, 3, ESDK_ERR_BAD_VERSION},          {0, 1, ESDK_ERR_BAD_VERSION},
        {2, 0x79, ESDK_ERR_UNSUPPORTED_SUITE}, {edk_end, 3, ESDK_ERR_BAD_HEADER},
        {edk_end, 1, ESDK_ERR_BAD_HEADER},     {35, 0xff, ESDK_ERR_TRUNCATED},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t saved = ct[cases[i].offset];
        ct[cases[i].offset] = cases[i].value;
        esdk_status st = esdk_header_parse(ct, len, NULL, &h, &consumed, NULL, 0);
        CU_ASSERT(st == cases[i].expect);
        if (st != cases[i].expect)
            printf("\n  case %zu: %s\n", i, esdk_status_string(st));
        ct[cases[i].offset] = saved;
    }
    OPENSSL_free(ct);
    esdk_cmm_free(cmm);
    for (int s = 0; s < ESDK_STATUS_COUNT; s++)
        CU_ASSERT(strcmp(esdk_status_string((esdk_status)s), "unknown message status") != 0);
}

/* The raw RSA keyring wraps and unwraps with every padding; the public-only
 * keyring cannot decrypt and the private-only one cannot encrypt. */
static void test_rsa_keyring_round_trip(void)
{
    EVP_PKEY *key = EVP_RSA_gen(2048);
    CU_ASSERT_FATAL(key != NULL);
    const esdk_rsa_padding paddings[] = {ESDK_RSA_PKCS1, ESDK_RSA_OAEP_SHA1, ESDK_RSA_OAEP_SHA256,
                                         ESDK_RSA_OAEP_SHA384, ESDK_RSA_OAEP_SHA512};
    for (size_t i = 0; i < sizeof(paddings) / sizeof(paddings[0]); i++) {
        esdk_keyring *enc_kr = NULL, *dec_kr = NULL;
        esdk_cmm *enc_cmm = NULL, *dec_cmm = NULL;
        CU_ASSERT_FATAL(esdk_raw_rsa_keyring_new(NULL, "rsa-ns", "rsa-key", paddings[i], key, NULL,
                                                 &enc_kr) == ESDK_OK);
        CU_ASSERT_FATAL(esdk_raw_rsa_keyring_new(NULL, "rsa-ns", "rsa-key", paddings[i], NULL, key,
                                                 &dec_kr) == ESDK_OK);
        esdk_default_cmm_new(NULL, enc_kr, &enc_cmm);
        esdk_default_cmm_new(NULL, dec_kr, &dec_cmm);
        size_t len = 0;
        uint8_t *ct = encrypt_sample(enc_cmm, 0x0578, 0, 100, NULL, &len);
        esdk_decrypt_options o = {.cmm = dec_cmm};
        CU_ASSERT(decrypt_with(&o, ct, len) == ESDK_OK);
        o.cmm = enc_cmm;
        CU_ASSERT(decrypt_with(&o, ct, len) == ESDK_ERR_NO_KEYRING_DECRYPT);
        esdk_encrypt_options eo = {.cmm = dec_cmm};
        esdk_encryptor *e = NULL;
        CU_ASSERT(esdk_encrypt_new(&eo, &e, NULL, 0) == ESDK_ERR_KEYRING);
        OPENSSL_free(ct);
        esdk_cmm_free(enc_cmm);
        esdk_cmm_free(dec_cmm);
        esdk_keyring_free(enc_kr);
        esdk_keyring_free(dec_kr);
    }
    EVP_PKEY_free(key);
}

/* The serialised EC must fit its u16 length field. */
static void test_context_too_large(void)
{
    esdk_cmm *cmm = test_aes_cmm("big-context");
    esdk_enc_context ec = {0};
    char *value = OPENSSL_malloc(40001);
    memset(value, 'v', 40000);
    value[40000] = 0;
    esdk_ec_set_str(&ec, "one", value);
    esdk_encrypt_options eo = {.cmm = cmm, .ec = &ec};
    esdk_encryptor *e = NULL;
    CU_ASSERT_FATAL(esdk_encrypt_new(&eo, &e, NULL, 0) == ESDK_OK);
    esdk_encrypt_free(e);
    esdk_ec_set_str(&ec, "two", value);
    CU_ASSERT(esdk_encrypt_new(&eo, &e, NULL, 0) == ESDK_ERR_CONTEXT_TOO_LARGE);
    OPENSSL_free(value);
    esdk_ec_clear(&ec);
    esdk_cmm_free(cmm);
}

/* Damage in each part of a signed message yields that part's error. */
static void test_damage_codes(void)
{
    esdk_cmm *cmm = test_aes_cmm("codes");
    size_t len = 0, header_len = 0;
    uint8_t *ct = encrypt_sample(cmm, 0x0578, 64, 100, NULL, &len);
    esdk_header h;
    CU_ASSERT_FATAL(esdk_header_parse(ct, len, NULL, &h, &header_len, NULL, 0) == ESDK_OK);
    size_t commit_at = h.body_len - 32;
    esdk_header_clear(&h);
    struct {
        size_t offset;
        esdk_status expect;
    } cases[] = {
        {commit_at + 5, ESDK_ERR_COMMITMENT},
        {header_len - 3, ESDK_ERR_HEADER_AUTH}, /* header tag */
        {header_len + 3, ESDK_ERR_BAD_FRAME},   /* sequence number of frame 1 */
        {header_len + 10, ESDK_ERR_BAD_FRAME},  /* its IV */
        {header_len + 40, ESDK_ERR_FRAME_AUTH}, /* its ciphertext */
        {len - 50, ESDK_ERR_SIGNATURE},         /* the signature */
    };
    esdk_decrypt_options o = {.cmm = cmm};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ct[cases[i].offset] ^= 0x10;
        esdk_status st = decrypt_with(&o, ct, len);
        CU_ASSERT(st == cases[i].expect);
        if (st != cases[i].expect)
            printf("\n  case %zu: %s\n", i, esdk_status_string(st));
        ct[cases[i].offset] ^= 0x10;
    }
    CU_ASSERT(decrypt_with(&o, ct, len) == ESDK_OK);
    CU_ASSERT(decrypt_with(&o, ct, len - 1) == ESDK_ERR_TRUNCATED);
    OPENSSL_free(ct);
    esdk_cmm_free(cmm);
}

/* A CMM that breaks the aws-crypto-public-key rule on purpose: it adds a key
 * to unsigned suites' materials, or drops it from signed ones; or, with
 * point_form 0x04 (uncompressed) or 0x06 (hybrid), stores the real signing
 * key in that form, so only the encoding is wrong. */
typedef struct {
    esdk_cmm base;
    esdk_cmm *inner;
    uint8_t point_form;
    esdk_keyring *keyring; /* the inner CMM's, to wrap again under the changed EC */
} rule_breaker;

/* Replaces aws-crypto-public-key with the signing key in another SEC1 form,
 * and wraps the data key again: the raw AES wrap authenticates the EC. */
static esdk_status set_point_form(esdk_enc_materials *mat, uint8_t form, esdk_keyring *keyring)
{
    uint8_t point[97];
    unsigned char b64[4 * 33 + 1];
    size_t len = 0;
    if (!EVP_PKEY_get_octet_string_param(mat->signing_key, OSSL_PKEY_PARAM_PUB_KEY, point,
                                         sizeof(point), &len) ||
        point[0] != 0x04)
        return ESDK_ERR_CRYPTO;
    if (form == 0x06)
        point[0] = (uint8_t)(0x06 | (point[len - 1] & 1)); /* hybrid: Y's parity too */
    int n = EVP_EncodeBlock(b64, point, (int)len);
    esdk_status st =
        esdk_ec_set(&mat->ec, ESDK_EC_PUBLIC_KEY, strlen(ESDK_EC_PUBLIC_KEY), b64, (size_t)n);
    esdk_edk_list_clear(&mat->edks);
    return st == ESDK_OK ? esdk_keyring_on_encrypt(keyring, mat, NULL, 0) : st;
}

static esdk_status breaker_get(esdk_cmm *cmm, const esdk_enc_request *req, esdk_enc_materials **out,
                               char *detail, size_t detail_len)
{
    rule_breaker *b = (rule_breaker *)cmm;
    esdk_status st = esdk_cmm_get_encryption_materials(b->inner, req, out, detail, detail_len);
    if (st != ESDK_OK)
        return st;
    const char *name = ESDK_EC_PUBLIC_KEY;
    if (b->point_form != 0)
        return set_point_form(*out, b->point_form, b->keyring);
    if ((*out)->signing_key != NULL)
        esdk_ec_remove(&(*out)->ec, name, strlen(name));
    else
        esdk_ec_set_str(&(*out)->ec, name,
                        "A0vJh0lVa4rMEE8J8uLcHn8jYP2uq5ND1UUsbvqJw/kVtrBu7ZHlCKpYZjVmW1vtIw==");
    return ESDK_OK;
}

static esdk_status breaker_decrypt(esdk_cmm *cmm, const esdk_dec_request *req,
                                   esdk_dec_materials **out, char *detail, size_t detail_len)
{
    return esdk_cmm_decrypt_materials(((rule_breaker *)cmm)->inner, req, out, detail, detail_len);
}

static void breaker_destroy(esdk_cmm *cmm)
{
    esdk_cmm_free(((rule_breaker *)cmm)->inner);
    esdk_keyring_free(((rule_breaker *)cmm)->keyring);
    OPENSSL_free(cmm);
}

static const esdk_cmm_vtable breaker_vtable = {"rule-breaker", breaker_get, breaker_decrypt,
                                               breaker_destroy};

static void test_public_key_rule(void)
{
    rule_breaker *b = OPENSSL_zalloc(sizeof(*b));
    esdk_cmm_init(&b->base, &breaker_vtable);
    b->inner = test_aes_cmm("rules");
    esdk_decrypt_options o = {.cmm = b->inner};
    for (int signed_suite = 0; signed_suite < 2; signed_suite++) {
        size_t len = 0;
        uint8_t *ct = encrypt_sample(&b->base, signed_suite ? 0x0578 : 0x0478, 0, 10, NULL, &len);
        CU_ASSERT(decrypt_with(&o, ct, len) == ESDK_ERR_PUBLIC_KEY);
        OPENSSL_free(ct);
    }
    esdk_cmm_free(&b->base);
}

/* The key must be the compressed point the format names (as the other ESDKs
 * require), although OpenSSL would read the uncompressed and hybrid forms of
 * the same key, and the signature over the message verifies with it. */
static void test_public_key_compressed_only(void)
{
    rule_breaker *b = OPENSSL_zalloc(sizeof(*b));
    esdk_cmm_init(&b->base, &breaker_vtable);
    static const uint8_t key[32] = {5};
    CU_ASSERT_FATAL(esdk_raw_aes_keyring_new(NULL, "ns", "point-form", key, 32, &b->keyring) ==
                    ESDK_OK);
    CU_ASSERT_FATAL(esdk_default_cmm_new(NULL, b->keyring, &b->inner) == ESDK_OK);
    esdk_decrypt_options o = {.cmm = b->inner};
    static const uint8_t forms[] = {0x04, 0x06};
    for (size_t i = 0; i < sizeof(forms); i++) {
        b->point_form = forms[i];
        size_t len = 0, pt_len = 0;
        uint8_t *ct = encrypt_sample(&b->base, 0x0578, 0, 10, NULL, &len), *pt = NULL;
        char detail[256] = "";
        esdk_status st = esdk_decrypt_oneshot(&o, ct, len, &pt, &pt_len, detail, sizeof(detail));
        CU_ASSERT(st == ESDK_ERR_PUBLIC_KEY);
        CU_ASSERT(strstr(detail, "compressed P-384 point") != NULL);
        if (st != ESDK_ERR_PUBLIC_KEY)
            printf("\n  form 0x%02x: %s\n", forms[i], esdk_status_string(st));
        OPENSSL_free(pt);
        OPENSSL_free(ct);
    }
    esdk_cmm_free(&b->base);
}

static esdk_status refuse_encrypt(esdk_keyring *keyring, esdk_enc_materials *mat, char *detail,
                                  size_t detail_len)
{
    (void)keyring;
    (void)mat;
    return esdk_fail(detail, detail_len, ESDK_ERR_KEYRING, "this keyring always fails");
}

static void destroy_nothing(esdk_keyring *keyring)
{
    (void)keyring;
}

/* A multi-keyring whose child fails leaves the materials as they were, as
 * every keyring must: it kept the generator's EDK and data key. */
static void test_multi_keyring_all_or_nothing(void)
{
    static const esdk_keyring_vtable failing_vtable = {"failing", refuse_encrypt, NULL,
                                                       destroy_nothing};
    static esdk_keyring failing = {&failing_vtable, 1};
    static const uint8_t key[32] = {3};
    esdk_keyring *generator = NULL, *multi = NULL, *children[] = {&failing};
    CU_ASSERT_FATAL(esdk_raw_aes_keyring_new(NULL, "ns", "g", key, sizeof(key), &generator) ==
                    ESDK_OK);
    CU_ASSERT_FATAL(esdk_multi_keyring_new(generator, children, 1, &multi) == ESDK_OK);
    esdk_enc_materials *mat = esdk_enc_materials_new(0x0478);
    CU_ASSERT_PTR_NOT_NULL_FATAL(mat);
    char detail[256] = "";
    CU_ASSERT_EQUAL(esdk_keyring_on_encrypt(multi, mat, detail, sizeof(detail)), ESDK_ERR_KEYRING);
    CU_ASSERT_EQUAL(mat->edks.count, 0);
    CU_ASSERT_PTR_NULL(mat->data_key);
    CU_ASSERT_EQUAL(mat->data_key_len, 0);
    esdk_enc_materials_free(mat);
    esdk_keyring_free(multi);
    esdk_keyring_free(generator);
}

int main(void)
{
    static const dekcache_test_case tests[] = {
        {"hostile-input limits, each with its own error", test_limits},
        {"300 EDKs decrypt unless max_edks is lower", test_many_edks},
        {"a multi-keyring whose child fails leaves the materials",
         test_multi_keyring_all_or_nothing},
        {"65535 EDKs a byte at a time, in linear time", test_edks_trickle},
        {"reproduced EC mismatch, reserved keys", test_context_rules},
        {"commitment policy, declared length, wrong keys", test_policy_and_keys},
        {"header inspection before materials", test_header_inspection},
        {"encryption context encoding", test_context_encoding},
        {"header fixed values", test_header_fixed_values},
        {"raw RSA keyring round trips, every padding", test_rsa_keyring_round_trip},
        {"encryption context above 65535 bytes", test_context_too_large},
        {"damage in each part gives that part's error", test_damage_codes},
        {"aws-crypto-public-key: required when signed, forbidden otherwise", test_public_key_rule},
        {"aws-crypto-public-key: compressed points only", test_public_key_compressed_only},
        {NULL, NULL}};
    dekcache_add_suite("message errors", NULL, NULL, tests);
    return dekcache_run_tests();
}
