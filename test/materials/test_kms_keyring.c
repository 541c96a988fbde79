/* The aws-kms keyring on the KMS client against dekcache-kms-local: EDK
 * contents, one GenerateDataKey plus one Encrypt per extra key, message
 * round trips through message/, strict-mode allow-list refusal, discovery
 * filters, alias resolution once, malformed provider info. */
#include "cunit_run.h"
#include "kms_fixture.h"
#include "materials/kms_keyring.h"
#include "message/decrypt.h"
#include "message/encrypt.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ACCOUNT    "111122223333"
#define ARN_PREFIX "arn:aws:kms:us-east-1:" ACCOUNT ":key/"
#define KEY1_ID    "7c1e0d8a-aaaa-4b1b-8d2e-000000000001"
#define KEY2_ID    "7c1e0d8a-bbbb-4b1b-8d2e-000000000002"
#define KEY1_ARN   ARN_PREFIX KEY1_ID
#define KEY2_ARN   ARN_PREFIX KEY2_ID
#define ALIAS1     "alias/keyring-test"
#define ACCESS_KEY "AKIDKEYRINGTEST"
#define SECRET     "keyring-test-secret"

static kms_fixture_server server;
static kms_client *client;

static int start_server(void)
{
    char dir[] = "/tmp/dekcache-kms-keyring-XXXXXX";
    char path[128];
    if (mkdtemp(dir) == NULL) {
        return -1;
    }
    snprintf(path, sizeof(path), "%s/config.json", dir);
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        rmdir(dir);
        return -1;
    }
    fprintf(f,
            "{\"region\": \"us-east-1\", \"account\": \"%s\", \"seed\": \"keyring tests\",\n"
            " \"keys\": [{\"id\": \"%s\"}, {\"id\": \"%s\"}], \"aliases\": {\"%s\": \"%s\"},\n"
            " \"credentials\": [{\"access_key_id\": \"%s\", \"secret_access_key\": \"%s\"}]}\n",
            ACCOUNT, KEY1_ID, KEY2_ID, ALIAS1, KEY1_ID, ACCESS_KEY, SECRET);
    fclose(f);
    kms_fixture_options opts = {.config_path = path};
    int rc = kms_fixture_start(&opts, &server);
    unlink(path);
    rmdir(dir);
    return rc;
}

/* CUnit skips the cleanup of a suite whose setup failed: a failure here
 * stops the server itself. */
static int setup(void)
{
    char detail[512] = "";
    if (start_server() != 0) {
        return 1;
    }
    kms_client_config config = {.region = "us-east-1",
                                .endpoint = server.endpoint,
                                .access_key_id = ACCESS_KEY,
                                .secret_access_key = SECRET};
    if (kms_client_new(&config, &client, detail, sizeof(detail)) != KMS_CLIENT_OK) {
        fprintf(stderr, "kms_client_new: %s\n", detail);
        kms_fixture_stop(&server);
        return 1;
    }
    return 0;
}

static int teardown(void)
{
    kms_client_free(client);
    kms_fixture_stop(&server);
    return 0;
}

static esdk_keyring *strict(const char *const *keys, size_t n)
{
    esdk_keyring *k = NULL;
    char detail[512] = "";
    CU_ASSERT_EQUAL(kms_keyring_new_strict(client, keys, n, NULL, 0, &k, detail, sizeof(detail)),
                    ESDK_OK);
    if (k == NULL) {
        fprintf(stderr, "\n  %s\n", detail);
    }
    return k;
}

static void fill_ec(esdk_enc_context *ec)
{
    memset(ec, 0, sizeof(*ec));
    CU_ASSERT_EQUAL(esdk_ec_set_str(ec, "tenant", "acme"), ESDK_OK);
    CU_ASSERT_EQUAL(esdk_ec_set_str(ec, "purpose", "keyring test"), ESDK_OK);
}

/* Encrypts plaintext through message/ with a default CMM over the keyring. */
static esdk_status seal(esdk_keyring *k, uint16_t suite, const char *text, uint8_t **out,
                        size_t *out_len, char *detail, size_t detail_len)
{
    esdk_cmm *cmm = NULL;
    esdk_enc_context ec;
    fill_ec(&ec);
    CU_ASSERT_EQUAL_FATAL(esdk_default_cmm_new(NULL, k, &cmm), ESDK_OK);
    esdk_encrypt_options opts = {.cmm = cmm, .suite_id = suite, .ec = &ec};
    esdk_status st = esdk_encrypt_oneshot(&opts, (const uint8_t *)text, strlen(text), out, out_len,
                                          detail, detail_len);
    esdk_cmm_free(cmm);
    esdk_ec_clear(&ec);
    return st;
}

static esdk_status open_message(esdk_keyring *k, const uint8_t *msg, size_t len, uint8_t **out,
                                size_t *out_len, char *detail, size_t detail_len)
{
    esdk_cmm *cmm = NULL;
    CU_ASSERT_EQUAL_FATAL(esdk_default_cmm_new(NULL, k, &cmm), ESDK_OK);
    esdk_decrypt_options opts = {.cmm = cmm};
    esdk_status st = esdk_decrypt_oneshot(&opts, msg, len, out, out_len, detail, detail_len);
    esdk_cmm_free(cmm);
    return st;
}

static void test_edks_name_key_arns(void)
{
    const char *keys[] = {ALIAS1, KEY2_ID};
    kms_fixture_reset(&server);
    esdk_keyring *k = strict(keys, 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(k);
    /* The alias and the key id are resolved once, here. */
    CU_ASSERT_EQUAL(kms_fixture_op_calls(&server, "DescribeKey"), 2);
    esdk_enc_materials *mat = esdk_enc_materials_new(ESDK_DEFAULT_SUITE);
    fill_ec(&mat->ec);
    char detail[1024] = "";
    for (int round = 0; round < 2; round++) {
        esdk_enc_materials *m = round == 0 ? mat : esdk_enc_materials_new(ESDK_DEFAULT_SUITE);
        CU_ASSERT_EQUAL_FATAL(esdk_keyring_on_encrypt(k, m, detail, sizeof(detail)), ESDK_OK);
        CU_ASSERT_EQUAL(m->data_key_len, 32);
        CU_ASSERT_EQUAL_FATAL(m->edks.count, 2);
        CU_ASSERT_EQUAL(memcmp(m->edks.items[0].provider_id, "aws-kms", 7), 0);
        CU_ASSERT_EQUAL(m->edks.items[0].provider_info_len, strlen(KEY1_ARN));
        CU_ASSERT_EQUAL(memcmp(m->edks.items[0].provider_info, KEY1_ARN, strlen(KEY1_ARN)), 0);
        CU_ASSERT_EQUAL(memcmp(m->edks.items[1].provider_info, KEY2_ARN, strlen(KEY2_ARN)), 0);
        if (m != mat) {
            esdk_enc_materials_free(m);
        }
    }
    /* Per encryption: one GenerateDataKey, one Encrypt; no more DescribeKey. */
    CU_ASSERT_EQUAL(kms_fixture_op_calls(&server, "GenerateDataKey"), 2);
    CU_ASSERT_EQUAL(kms_fixture_op_calls(&server, "Encrypt"), 2);
    CU_ASSERT_EQUAL(kms_fixture_op_calls(&server, "DescribeKey"), 2);
    esdk_enc_materials_free(mat);
    esdk_keyring_free(k);
}

static void round_trip(uint16_t suite)
{
    const char *keys[] = {KEY1_ARN, KEY2_ARN};
    const char *second[] = {KEY2_ARN};
    esdk_keyring *both = strict(keys, 2), *only2 = strict(second, 1);
    uint8_t *msg = NULL, *pt = NULL;
    size_t msg_len = 0, pt_len = 0;
    char detail[1024] = "";
    CU_ASSERT_EQUAL_FATAL(
        seal(both, suite, "attack at dawn", &msg, &msg_len, detail, sizeof(detail)), ESDK_OK);
    CU_ASSERT_EQUAL(open_message(both, msg, msg_len, &pt, &pt_len, detail, sizeof(detail)),
                    ESDK_OK);
    CU_ASSERT_TRUE(pt_len == 14 && memcmp(pt, "attack at dawn", 14) == 0);
    OPENSSL_free(pt);
    pt = NULL;
    /* The second wrapping alone suffices. */
    CU_ASSERT_EQUAL(open_message(only2, msg, msg_len, &pt, &pt_len, detail, sizeof(detail)),
                    ESDK_OK);
    CU_ASSERT_TRUE(pt_len == 14 && memcmp(pt, "attack at dawn", 14) == 0);
    OPENSSL_free(pt);
    OPENSSL_free(msg);
    esdk_keyring_free(both);
    esdk_keyring_free(only2);
}

static void test_round_trip(void)
{
    round_trip(ESDK_SUITE_AES256_GCM_HKDF_SHA512_COMMIT_KEY);
}

static void test_round_trip_signed_suite(void)
{
    round_trip(ESDK_SUITE_AES256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384);
}

static void test_strict_refuses_other_key(void)
{
    const char *k1[] = {KEY1_ARN};
    const char *k2[] = {KEY2_ARN};
    esdk_keyring *sealer = strict(k1, 1), *opener = strict(k2, 1);
    uint8_t *msg = NULL, *pt = NULL;
    size_t msg_len = 0, pt_len = 0;
    char detail[1024] = "";
    CU_ASSERT_EQUAL_FATAL(seal(sealer, 0, "secret", &msg, &msg_len, detail, sizeof(detail)),
                          ESDK_OK);
    kms_fixture_reset(&server);
    CU_ASSERT_EQUAL(open_message(opener, msg, msg_len, &pt, &pt_len, detail, sizeof(detail)),
                    ESDK_ERR_KEY_NOT_ALLOWED);
    CU_ASSERT_PTR_NULL(pt);
    CU_ASSERT_PTR_NOT_NULL(strstr(detail, "key " KEY1_ARN " is not on the keyring's allow-list"));
    CU_ASSERT_EQUAL(kms_fixture_op_calls(&server, "Decrypt"), 0); /* refused before asking KMS */
    OPENSSL_free(msg);
    esdk_keyring_free(sealer);
    esdk_keyring_free(opener);
}

static esdk_status discover(const char *partition, const char *account, const uint8_t *msg,
                            size_t msg_len, char *detail, size_t detail_len)
{
    esdk_keyring *k = NULL;
    uint8_t *pt = NULL;
    size_t pt_len = 0;
    const char *accounts[] = {account};
    CU_ASSERT_EQUAL_FATAL(kms_keyring_new_discovery(client, partition, accounts,
                                                    account != NULL ? 1 : 0, NULL, 0, &k, detail,
                                                    detail_len),
                          ESDK_OK);
    esdk_status st = open_message(k, msg, msg_len, &pt, &pt_len, detail, detail_len);
    CU_ASSERT_EQUAL(pt != NULL, st == ESDK_OK);
    OPENSSL_free(pt);
    esdk_keyring_free(k);
    return st;
}

static void test_discovery(void)
{
    const char *k1[] = {KEY1_ARN};
    esdk_keyring *sealer = strict(k1, 1);
    uint8_t *msg = NULL;
    size_t msg_len = 0;
    char detail[1024] = "";
    CU_ASSERT_EQUAL_FATAL(seal(sealer, 0, "found", &msg, &msg_len, detail, sizeof(detail)),
                          ESDK_OK);
    CU_ASSERT_EQUAL(discover(NULL, NULL, msg, msg_len, detail, sizeof(detail)), ESDK_OK);
    CU_ASSERT_EQUAL(discover("aws", ACCOUNT, msg, msg_len, detail, sizeof(detail)), ESDK_OK);
    CU_ASSERT_EQUAL(discover("aws", "999999999999", msg, msg_len, detail, sizeof(detail)),
                    ESDK_ERR_KEY_NOT_ALLOWED);
    CU_ASSERT_PTR_NOT_NULL(strstr(detail, "not an allowed account"));
    CU_ASSERT_EQUAL(discover("aws-cn", NULL, msg, msg_len, detail, sizeof(detail)),
                    ESDK_ERR_KEY_NOT_ALLOWED);
    CU_ASSERT_PTR_NOT_NULL(strstr(detail, "outside partition aws-cn"));
    OPENSSL_free(msg);
    esdk_keyring_free(sealer);
}

static void test_discovery_cannot_encrypt(void)
{
    esdk_keyring *k = NULL;
    char detail[512] = "";
    CU_ASSERT_EQUAL_FATAL(
        kms_keyring_new_discovery(client, NULL, NULL, 0, NULL, 0, &k, detail, sizeof(detail)),
        ESDK_OK);
    esdk_enc_materials *mat = esdk_enc_materials_new(ESDK_DEFAULT_SUITE);
    CU_ASSERT_EQUAL(esdk_keyring_on_encrypt(k, mat, detail, sizeof(detail)), ESDK_ERR_KEYRING);
    CU_ASSERT_PTR_NULL(mat->data_key);
    CU_ASSERT_EQUAL(mat->edks.count, 0);
    esdk_enc_materials_free(mat);
    esdk_keyring_free(k);
}

static void test_malformed_provider_info_fails(void)
{
    const char *k1[] = {KEY1_ARN};
    esdk_keyring *k = strict(k1, 1);
    esdk_edk edk;
    char detail[512] = "";
    CU_ASSERT_EQUAL_FATAL(esdk_edk_init(&edk, "aws-kms", 7, ALIAS1, strlen(ALIAS1), "x", 1),
                          ESDK_OK);
    esdk_dec_materials *mat = esdk_dec_materials_new(ESDK_DEFAULT_SUITE);
    CU_ASSERT_EQUAL(esdk_keyring_on_decrypt(k, mat, &edk, 1, detail, sizeof(detail)),
                    ESDK_ERR_BAD_EDK);
    CU_ASSERT_PTR_NOT_NULL(strstr(detail, "is not a KMS key ARN"));
    CU_ASSERT_PTR_NULL(mat->data_key);
    esdk_dec_materials_free(mat);
    esdk_edk_clear(&edk);
    esdk_keyring_free(k);
}

static void test_unresolvable_alias(void)
{
    const char *keys[] = {"alias/does-not-exist"};
    esdk_keyring *k = NULL;
    char detail[1024] = "";
    CU_ASSERT_EQUAL(kms_keyring_new_strict(client, keys, 1, NULL, 0, &k, detail, sizeof(detail)),
                    ESDK_ERR_KEYRING);
    CU_ASSERT_PTR_NULL(k);
    CU_ASSERT_PTR_NOT_NULL(strstr(detail, "cannot resolve 'alias/does-not-exist'"));
    CU_ASSERT_PTR_NOT_NULL(strstr(detail, "key not found"));
}

int main(void)
{
    static const dekcache_test_case tests[] = {
        {"EDKs carry key ARNs; one GDK + one Encrypt", test_edks_name_key_arns},
        {"message round trip, two wrapping keys", test_round_trip},
        {"message round trip, signed suite", test_round_trip_signed_suite},
        {"strict mode refuses a key off the allow-list", test_strict_refuses_other_key},
        {"discovery with account and partition filters", test_discovery},
        {"discovery keyring cannot encrypt", test_discovery_cannot_encrypt},
        {"malformed provider info fails the call", test_malformed_provider_info_fails},
        {"unresolvable alias named", test_unresolvable_alias},
        {NULL, NULL},
    };
    dekcache_add_suite("aws-kms keyring", setup, teardown, tests);
    return dekcache_run_tests();
}
