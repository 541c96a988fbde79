/* The client against the real dekcache-kms-local on a free port: every
 * operation, every error type and its message, SigV4 acceptance and
 * rejection, retries counted by the server, deadlines, dropped connections. */
#include "cunit_run.h"
#include "kms/client/backoff.h"
#include "kms_client_suite.h" /* server, client, suite setup and teardown */

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const kms_client_context_pair ec_pairs[] = {{"purpose", "test"}, {"tenant", "a\"b"}};
static const kms_client_context ec = {ec_pairs, 2, NULL, 0};

static void reset_server(void)
{
    CU_ASSERT_EQUAL_FATAL(kms_fixture_reset(&server), 0);
}

static void contains(const char *text, const char *part)
{
    if (strstr(text, part) == NULL) {
        fprintf(stderr, "\n  '%s' not in: %s\n", part, text);
        CU_FAIL("message lacks an expected part");
    }
}

static void test_generate_and_decrypt(void)
{
    kms_client_result dk = {0}, pt = {0};
    char detail[512] = "";
    CU_ASSERT_EQUAL_FATAL(
        kms_client_generate_data_key(client, TEST_ALIAS, 32, &ec, &dk, detail, sizeof(detail)),
        KMS_CLIENT_OK);
    CU_ASSERT_STRING_EQUAL(dk.key_arn, TEST_KEY_ARN);
    CU_ASSERT_EQUAL(dk.plaintext_len, 32);
    CU_ASSERT_TRUE(dk.ciphertext_len > 32);
    CU_ASSERT_EQUAL_FATAL(kms_client_decrypt(client, dk.key_arn, dk.ciphertext, dk.ciphertext_len,
                                             &ec, 32, &pt, detail, sizeof(detail)),
                          KMS_CLIENT_OK);
    CU_ASSERT_STRING_EQUAL(pt.key_arn, TEST_KEY_ARN);
    CU_ASSERT_EQUAL(pt.plaintext_len, 32);
    CU_ASSERT_EQUAL(memcmp(pt.plaintext, dk.plaintext, 32), 0);
    kms_client_result_clear(&dk);
    kms_client_result_clear(&pt);
}

static void test_encrypt_and_decrypt(void)
{
    const unsigned char key[16] = "0123456789abcdef";
    kms_client_result ct = {0}, pt = {0};
    char detail[512] = "";
    CU_ASSERT_EQUAL_FATAL(kms_client_encrypt(client, TEST_SECOND_KEY_ID, key, sizeof(key), NULL,
                                             &ct, detail, sizeof(detail)),
                          KMS_CLIENT_OK);
    CU_ASSERT_STRING_EQUAL(ct.key_arn, TEST_SECOND_ARN);
    CU_ASSERT_PTR_NULL(ct.plaintext);
    CU_ASSERT_EQUAL_FATAL(kms_client_decrypt(client, TEST_SECOND_ARN, ct.ciphertext,
                                             ct.ciphertext_len, NULL, 16, &pt, detail,
                                             sizeof(detail)),
                          KMS_CLIENT_OK);
    CU_ASSERT_EQUAL(memcmp(pt.plaintext, key, 16), 0);
    kms_client_result_clear(&pt);
    /* Decrypt names the key: the other key cannot decrypt it. */
    kms_client_status st =
        kms_client_decrypt(client, TEST_KEY_ARN, ct.ciphertext, ct.ciphertext_len, NULL, 16, &pt,
                           detail, sizeof(detail));
    CU_ASSERT_TRUE(st == KMS_CLIENT_ERR_INCORRECT_KEY || st == KMS_CLIENT_ERR_INVALID_CIPHERTEXT);
    CU_ASSERT_PTR_NULL(pt.plaintext);
    kms_client_result_clear(&ct);
}

/* KMS Encrypt takes up to 4096 bytes of plaintext (5464 base64 characters
 * each way); the client refuses more before sending. */
static void test_encrypt_size_limit(void)
{
    static unsigned char data[4097];
    kms_client_result ct = {0}, pt = {0};
    char detail[512] = "";
    memset(data, 0x5A, sizeof(data));
    kms_client_status st =
        kms_client_encrypt(client, TEST_KEY_ID, data, 4096, NULL, &ct, detail, sizeof(detail));
    if (st != KMS_CLIENT_OK)
        fprintf(stderr, "\n  %s\n", detail);
    CU_ASSERT_EQUAL_FATAL(st, KMS_CLIENT_OK);
    st = kms_client_decrypt(client, TEST_KEY_ARN, ct.ciphertext, ct.ciphertext_len, NULL, 4096, &pt,
                            detail, sizeof(detail));
    if (st != KMS_CLIENT_OK)
        fprintf(stderr, "\n  %s\n", detail);
    CU_ASSERT_EQUAL_FATAL(st, KMS_CLIENT_OK);
    CU_ASSERT_EQUAL(pt.plaintext_len, 4096);
    CU_ASSERT_EQUAL(memcmp(pt.plaintext, data, 4096), 0);
    kms_client_result_clear(&pt);
    kms_client_result_clear(&ct);
    CU_ASSERT_EQUAL(
        kms_client_encrypt(client, TEST_KEY_ID, data, 4097, NULL, &ct, detail, sizeof(detail)),
        KMS_CLIENT_ERR_INVALID_ARGUMENT);
    contains(detail, "1..4096 bytes");
    CU_ASSERT_PTR_NULL(ct.ciphertext);
}

static void test_describe_key(void)
{
    kms_client_key_info info;
    char detail[512] = "";
    CU_ASSERT_EQUAL_FATAL(
        kms_client_describe_key(client, TEST_ALIAS, &info, detail, sizeof(detail)), KMS_CLIENT_OK);
    CU_ASSERT_STRING_EQUAL(info.key_arn, TEST_KEY_ARN);
    CU_ASSERT_EQUAL(info.enabled, 1);
    CU_ASSERT_EQUAL_FATAL(
        kms_client_describe_key(client, TEST_DISABLED_ID, &info, detail, sizeof(detail)),
        KMS_CLIENT_OK);
    CU_ASSERT_EQUAL(info.enabled, 0);
    CU_ASSERT_STRING_EQUAL(info.key_state, "Disabled");
}

/* Each operation is counted under its own name, once however it ends; calls
 * rejected before anything is sent are not counted. */
static void test_stats_per_operation(void)
{
    const unsigned char key[16] = "0123456789abcdef";
    kms_client_stats before, after;
    kms_client_result dk = {0}, ct = {0}, pt = {0}, rejected = {0};
    kms_client_key_info info;
    char detail[512] = "";
    reset_server();
    kms_client_get_stats(client, &before);
    CU_ASSERT_EQUAL_FATAL(
        kms_client_generate_data_key(client, TEST_ALIAS, 32, NULL, &dk, detail, sizeof(detail)),
        KMS_CLIENT_OK);
    CU_ASSERT_EQUAL_FATAL(kms_client_encrypt(client, TEST_KEY_ID, key, sizeof(key), NULL, &ct,
                                             detail, sizeof(detail)),
                          KMS_CLIENT_OK);
    CU_ASSERT_EQUAL_FATAL(kms_client_decrypt(client, TEST_KEY_ARN, ct.ciphertext, ct.ciphertext_len,
                                             NULL, 16, &pt, detail, sizeof(detail)),
                          KMS_CLIENT_OK);
    CU_ASSERT_EQUAL(kms_client_describe_key(client, TEST_ALIAS, &info, detail, sizeof(detail)),
                    KMS_CLIENT_OK);
    CU_ASSERT_EQUAL(kms_client_describe_key(client, "alias/none", &info, detail, sizeof(detail)),
                    KMS_CLIENT_ERR_NOT_FOUND);
    CU_ASSERT_EQUAL(
        kms_client_encrypt(client, TEST_KEY_ID, key, 0, NULL, &rejected, detail, sizeof(detail)),
        KMS_CLIENT_ERR_INVALID_ARGUMENT);
    kms_client_get_stats(client, &after);
    CU_ASSERT_EQUAL(after.calls[KMS_OP_GENERATE_DATA_KEY] - before.calls[KMS_OP_GENERATE_DATA_KEY],
                    1);
    CU_ASSERT_EQUAL(after.calls[KMS_OP_ENCRYPT] - before.calls[KMS_OP_ENCRYPT], 1);
    CU_ASSERT_EQUAL(after.calls[KMS_OP_DECRYPT] - before.calls[KMS_OP_DECRYPT], 1);
    CU_ASSERT_EQUAL(after.calls[KMS_OP_DESCRIBE_KEY] - before.calls[KMS_OP_DESCRIBE_KEY], 2);
    for (int op = 0; op < KMS_OP_COUNT; op++) {
        CU_ASSERT_EQUAL(after.failures[op] - before.failures[op],
                        op == KMS_OP_DESCRIBE_KEY ? 1 : 0);
    }
    CU_ASSERT_EQUAL(after.retries, before.retries);
    CU_ASSERT_EQUAL(kms_fixture_op_calls(&server, "DescribeKey"), 2);
    kms_client_result_clear(&dk);
    kms_client_result_clear(&ct);
    kms_client_result_clear(&pt);
}

static void test_context_mismatch_is_invalid_ciphertext(void)
{
    kms_client_result dk = {0}, pt = {0};
    char detail[512] = "";
    kms_client_context other = {ec_pairs, 1, NULL, 0};
    CU_ASSERT_EQUAL_FATAL(
        kms_client_generate_data_key(client, TEST_KEY_ID, 32, &ec, &dk, detail, sizeof(detail)),
        KMS_CLIENT_OK);
    reset_server();
    CU_ASSERT_EQUAL(kms_client_decrypt(client, TEST_KEY_ARN, dk.ciphertext, dk.ciphertext_len,
                                       &other, 32, &pt, detail, sizeof(detail)),
                    KMS_CLIENT_ERR_INVALID_CIPHERTEXT);
    contains(detail, "KMS Decrypt on key '" TEST_KEY_ARN "'");
    contains(detail, "invalid ciphertext (InvalidCiphertextException, HTTP 400");
    CU_ASSERT_EQUAL(kms_fixture_op_calls(&server, "Decrypt"), 1); /* a 4xx is not retried */
    kms_client_result_clear(&dk);
}

static void test_unknown_key(void)
{
    kms_client_result r = {0};
    char detail[512] = "";
    reset_server();
    CU_ASSERT_EQUAL(kms_client_generate_data_key(client, "alias/no-such-alias", 32, NULL, &r,
                                                 detail, sizeof(detail)),
                    KMS_CLIENT_ERR_NOT_FOUND);
    contains(detail, "KMS GenerateDataKey on key 'alias/no-such-alias'");
    contains(detail, "key not found (NotFoundException");
    CU_ASSERT_EQUAL(kms_fixture_op_calls(&server, "GenerateDataKey"), 1);
}

static void test_disabled_key(void)
{
    kms_client_result r = {0};
    char detail[512] = "";
    CU_ASSERT_EQUAL(kms_client_generate_data_key(client, TEST_DISABLED_ID, 32, NULL, &r, detail,
                                                 sizeof(detail)),
                    KMS_CLIENT_ERR_DISABLED);
    contains(detail, "key '" TEST_DISABLED_ID "'");
    contains(detail, "key disabled (DisabledException");
}

typedef struct {
    int calls;
    char key_id[128];
} unusable_log;

static void record_unusable(void *arg, const char *key_id)
{
    unusable_log *log = arg;
    log->calls++;
    snprintf(log->key_id, sizeof(log->key_id), "%s", key_id);
}

/* The key_unusable hook hears of a disabled or missing key, with the key as
 * the call named it, and of nothing else. */
static void test_key_unusable_hook(void)
{
    unusable_log log = {0};
    kms_client_config config = test_client_config(&server);
    config.key_unusable = record_unusable;
    config.key_unusable_arg = &log;
    kms_client *hooked = NULL;
    char detail[512] = "";
    CU_ASSERT_FATAL(kms_client_new(&config, &hooked, detail, sizeof(detail)) == KMS_CLIENT_OK);
    kms_client_result r = {0};
    CU_ASSERT_EQUAL(kms_client_generate_data_key(hooked, TEST_DISABLED_ID, 32, NULL, &r, detail,
                                                 sizeof(detail)),
                    KMS_CLIENT_ERR_DISABLED);
    CU_ASSERT_EQUAL(log.calls, 1);
    CU_ASSERT_STRING_EQUAL(log.key_id, TEST_DISABLED_ID);
    static const unsigned char junk[40] = {1};
    CU_ASSERT_EQUAL(kms_client_encrypt(hooked, "alias/no-such-alias", junk, sizeof(junk), NULL, &r,
                                       detail, sizeof(detail)),
                    KMS_CLIENT_ERR_NOT_FOUND);
    CU_ASSERT_EQUAL(log.calls, 2);
    CU_ASSERT_STRING_EQUAL(log.key_id, "alias/no-such-alias");
    /* A bad ciphertext under a usable key says nothing about the key. */
    CU_ASSERT_NOT_EQUAL(kms_client_decrypt(hooked, TEST_KEY_ARN, junk, sizeof(junk), NULL, 32, &r,
                                           detail, sizeof(detail)),
                        KMS_CLIENT_OK);
    CU_ASSERT_EQUAL(
        kms_client_generate_data_key(hooked, TEST_KEY_ARN, 32, NULL, &r, detail, sizeof(detail)),
        KMS_CLIENT_OK);
    kms_client_result_clear(&r);
    /* Nor does a key state that may pass (a disconnected key store). */
    kms_fixture_fault state = {.operation = "GenerateDataKey",
                               .action = "error",
                               .error_type = "KMSInvalidStateException",
                               .count = 1};
    CU_ASSERT_FATAL(kms_fixture_add_fault(&server, &state) == 0);
    CU_ASSERT_EQUAL(
        kms_client_generate_data_key(hooked, TEST_KEY_ARN, 32, NULL, &r, detail, sizeof(detail)),
        KMS_CLIENT_ERR_INVALID_STATE);
    CU_ASSERT_FATAL(kms_fixture_clear_faults(&server) == 0);
    CU_ASSERT_EQUAL(log.calls, 2);
    kms_client_free(hooked);
}

/* Error types the config cannot provoke come from fault injection: each maps to
 * its status and message, and none of these 4xx is retried. */
static void test_injected_error_types(void)
{
    static const struct {
        const char *type;
        kms_client_status status;
        const char *text;
    } cases[] = {
        {"AccessDeniedException", KMS_CLIENT_ERR_ACCESS_DENIED, "access denied"},
        {"ValidationException", KMS_CLIENT_ERR_VALIDATION, "request rejected as invalid"},
        {"KMSInvalidStateException", KMS_CLIENT_ERR_INVALID_STATE, "key not in a usable state"},
        {"IncorrectKeyException", KMS_CLIENT_ERR_INCORRECT_KEY, "another key"},
        {"UnrecognizedClientException", KMS_CLIENT_ERR_SIGNATURE_REJECTED, "rejected"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        kms_client_key_info info;
        char detail[512] = "";
        kms_fixture_fault fault = {
            .operation = "DescribeKey", .action = "error", .error_type = cases[i].type, .count = 5};
        reset_server();
        CU_ASSERT_EQUAL_FATAL(kms_fixture_add_fault(&server, &fault), 0);
        CU_ASSERT_EQUAL(kms_client_describe_key(client, TEST_KEY_ID, &info, detail, sizeof(detail)),
                        cases[i].status);
        contains(detail, "KMS DescribeKey on key '" TEST_KEY_ID "'");
        contains(detail, cases[i].text);
        contains(detail, cases[i].type);
        CU_ASSERT_EQUAL(kms_fixture_op_calls(&server, "DescribeKey"), 1);
    }
    reset_server();
}

static void test_wrong_secret_rejected(void)
{
    kms_client *bad = NULL;
    kms_client_key_info info;
    char detail[512] = "";
    kms_client_config config = test_client_config(&server);
    config.secret_access_key = "not-the-secret-at-all";
    CU_ASSERT_EQUAL_FATAL(kms_client_new(&config, &bad, detail, sizeof(detail)), KMS_CLIENT_OK);
    reset_server();
    CU_ASSERT_EQUAL(kms_client_describe_key(bad, TEST_KEY_ID, &info, detail, sizeof(detail)),
                    KMS_CLIENT_ERR_SIGNATURE_REJECTED);
    contains(detail, "request signature or credentials rejected");
    CU_ASSERT_PTR_NULL(strstr(detail, "not-the-secret-at-all"));
    CU_ASSERT_PTR_NULL(strstr(detail, TEST_SECRET));
    CU_ASSERT_EQUAL(kms_fixture_op_calls(&server, "DescribeKey"), 1);
    kms_client_free(bad);
}

static void test_session_token_accepted(void)
{
    kms_client *tok = NULL;
    kms_client_key_info info;
    char detail[512] = "";
    kms_client_config config = test_client_config(&server);
    config.access_key_id = TEST_TOKEN_KEY;
    config.secret_access_key = TEST_TOKEN_SECRET;
    config.session_token = TEST_TOKEN;
    CU_ASSERT_EQUAL_FATAL(kms_client_new(&config, &tok, detail, sizeof(detail)), KMS_CLIENT_OK);
    CU_ASSERT_EQUAL(kms_client_describe_key(tok, TEST_KEY_ID, &info, detail, sizeof(detail)),
                    KMS_CLIENT_OK);
    kms_client_free(tok);
    config.session_token = "a-different-token";
    CU_ASSERT_EQUAL_FATAL(kms_client_new(&config, &tok, detail, sizeof(detail)), KMS_CLIENT_OK);
    CU_ASSERT_EQUAL(kms_client_describe_key(tok, TEST_KEY_ID, &info, detail, sizeof(detail)),
                    KMS_CLIENT_ERR_SIGNATURE_REJECTED);
    CU_ASSERT_PTR_NULL(strstr(detail, "a-different-token"));
    kms_client_free(tok);
}

/* Region from the key ARN, else from the shared config file; credentials
 * from the environment. */
static void test_region_from_arn_and_env_credentials(void)
{
    kms_client *c = NULL;
    kms_client_key_info info;
    char detail[512] = "";
    kms_client_config config = {.endpoint = server.endpoint};
    unsetenv("AWS_REGION");
    unsetenv("AWS_DEFAULT_REGION");
    setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config", 1);
    kms_fixture_use_credentials(TEST_ACCESS_KEY, TEST_SECRET, NULL);
    CU_ASSERT_EQUAL_FATAL(kms_client_new(&config, &c, detail, sizeof(detail)), KMS_CLIENT_OK);
    CU_ASSERT_EQUAL(kms_client_describe_key(c, TEST_KEY_ARN, &info, detail, sizeof(detail)),
                    KMS_CLIENT_OK);
    CU_ASSERT_EQUAL(kms_client_describe_key(c, TEST_ALIAS, &info, detail, sizeof(detail)),
                    KMS_CLIENT_ERR_NO_REGION);
    contains(detail, "no region");
    /* A key ARN from a message (discovery) must not pick the host: this one
     * would have sent the signed request, session token included, to
     * kms.evil.example. Without a configured endpoint it gets no region. */
    kms_client_config aws = {0};
    kms_client *to_aws = NULL;
    CU_ASSERT_EQUAL_FATAL(kms_client_new(&aws, &to_aws, detail, sizeof(detail)), KMS_CLIENT_OK);
    CU_ASSERT_EQUAL(kms_client_describe_key(to_aws, "arn:aws:kms:evil.example#x:111122223333:key/k",
                                            &info, detail, sizeof(detail)),
                    KMS_CLIENT_ERR_NO_REGION);
    kms_client_free(to_aws);
    kms_client_free(c);

    char path[] = "/tmp/dekcache-kms-config-XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "[profile other]\nregion = nowhere-1\n[default]\nregion = %s\n", TEST_REGION);
    fclose(f);
    setenv("AWS_CONFIG_FILE", path, 1);
    c = NULL;
    CU_ASSERT_EQUAL_FATAL(kms_client_new(&config, &c, detail, sizeof(detail)), KMS_CLIENT_OK);
    CU_ASSERT_EQUAL(kms_client_describe_key(c, TEST_ALIAS, &info, detail, sizeof(detail)),
                    KMS_CLIENT_OK);
    kms_client_free(c);
    unsetenv("AWS_CONFIG_FILE");
    unlink(path);
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
}

/* A profile in the shared credentials file, with its session token. */
static void test_shared_file_credentials(void)
{
    char path[] = "/tmp/dekcache-kms-creds-XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f,
            "[other]\naws_access_key_id = nope\naws_secret_access_key = nope\n[ci]\n"
            "aws_access_key_id = %s\naws_secret_access_key = %s\naws_session_token = %s\n",
            TEST_TOKEN_KEY, TEST_TOKEN_SECRET, TEST_TOKEN);
    fclose(f);
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
    setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config", 1);
    setenv("AWS_PROFILE", "ci", 1);
    kms_client *c = NULL;
    kms_client_key_info info;
    char detail[512] = "";
    kms_client_config config = {.region = TEST_REGION, .endpoint = server.endpoint};
    CU_ASSERT_EQUAL_FATAL(kms_client_new(&config, &c, detail, sizeof(detail)), KMS_CLIENT_OK);
    CU_ASSERT_EQUAL(kms_client_describe_key(c, TEST_ALIAS, &info, detail, sizeof(detail)),
                    KMS_CLIENT_OK);
    kms_client_free(c);
    unsetenv("AWS_PROFILE");
    unsetenv("AWS_SHARED_CREDENTIALS_FILE");
    unsetenv("AWS_CONFIG_FILE");
    unlink(path);
}

/* Temporary credentials from the shared file expire; a tool writes new ones
 * there. The client signs with the expired ones once, is told so, reads the
 * file again and retries with the new ones: one extra call, no failure. While
 * the file still holds the expired ones, the call fails naming the cause. */
static void test_expired_credentials_renewed_from_file(void)
{
    test_credentials_file file;
    CU_ASSERT_FATAL(test_credentials_file_use(&file, TEST_EXPIRED_KEY, TEST_EXPIRED_SECRET,
                                              TEST_EXPIRED_TOKEN) == 0);
    kms_client *c = NULL;
    kms_client_key_info info;
    char detail[512] = "";
    kms_client_config config = {.region = TEST_REGION, .endpoint = server.endpoint};
    CU_ASSERT_EQUAL_FATAL(kms_client_new(&config, &c, detail, sizeof(detail)), KMS_CLIENT_OK);
    reset_server();
    CU_ASSERT_EQUAL(kms_client_describe_key(c, TEST_ALIAS, &info, detail, sizeof(detail)),
                    KMS_CLIENT_ERR_SIGNATURE_REJECTED);
    contains(detail, "ExpiredTokenException");
    CU_ASSERT_EQUAL(kms_fixture_op_calls(&server, "DescribeKey"), 1); /* not retried as is */

    CU_ASSERT_FATAL(
        test_write_credentials_file(file.path, TEST_TOKEN_KEY, TEST_TOKEN_SECRET, TEST_TOKEN) == 0);
    reset_server();
    CU_ASSERT_EQUAL(kms_client_describe_key(c, TEST_ALIAS, &info, detail, sizeof(detail)),
                    KMS_CLIENT_OK);
    CU_ASSERT_EQUAL(kms_fixture_op_calls(&server, "DescribeKey"), 2);
    reset_server();
    CU_ASSERT_EQUAL(kms_client_describe_key(c, TEST_ALIAS, &info, detail, sizeof(detail)),
                    KMS_CLIENT_OK);
    CU_ASSERT_EQUAL(kms_fixture_op_calls(&server, "DescribeKey"), 1); /* the new ones stay */
    kms_client_free(c);

    /* Explicit credentials have nowhere to be renewed from: not retried. */
    kms_client_config explicit_config = {.region = TEST_REGION,
                                         .endpoint = server.endpoint,
                                         .access_key_id = TEST_EXPIRED_KEY,
                                         .secret_access_key = TEST_EXPIRED_SECRET,
                                         .session_token = TEST_EXPIRED_TOKEN};
    CU_ASSERT_EQUAL_FATAL(kms_client_new(&explicit_config, &c, detail, sizeof(detail)),
                          KMS_CLIENT_OK);
    reset_server();
    CU_ASSERT_EQUAL(kms_client_describe_key(c, TEST_ALIAS, &info, detail, sizeof(detail)),
                    KMS_CLIENT_ERR_SIGNATURE_REJECTED);
    CU_ASSERT_EQUAL(kms_fixture_op_calls(&server, "DescribeKey"), 1);
    kms_client_free(c);
    test_credentials_file_remove(&file);
}

static void retry_case_with(kms_client *c, const char *action, const char *type, long count,
                            kms_client_status want, long want_calls, const char *text)
{
    kms_client_result r = {0};
    char detail[512] = "";
    kms_fixture_fault fault = {
        .operation = "GenerateDataKey", .action = action, .error_type = type, .count = count};
    reset_server();
    CU_ASSERT_EQUAL_FATAL(kms_fixture_add_fault(&server, &fault), 0);
    CU_ASSERT_EQUAL(
        kms_client_generate_data_key(c, TEST_KEY_ID, 32, NULL, &r, detail, sizeof(detail)), want);
    long calls = kms_fixture_op_calls(&server, "GenerateDataKey");
    CU_ASSERT_EQUAL(calls, want_calls);
    if (calls != want_calls) {
        fprintf(stderr, "\n  %s: server saw %ld calls, expected %ld: %s\n", action, calls,
                want_calls, detail);
    }
    if (text != NULL) {
        contains(detail, text);
    }
    CU_ASSERT_EQUAL(r.plaintext == NULL, want != KMS_CLIENT_OK);
    kms_client_result_clear(&r);
    reset_server();
}

static void retry_case(const char *action, const char *type, long count, kms_client_status want,
                       long want_calls, const char *text)
{
    retry_case_with(client, action, type, count, want, want_calls, text);
}

static void test_retries_throttling(void)
{
    retry_case("error", "ThrottlingException", 2, KMS_CLIENT_OK, 3, NULL);
    retry_case("error", "ThrottlingException", 10, KMS_CLIENT_ERR_THROTTLED, 3,
               "throttled after 3 attempts (ThrottlingException");
}

static void test_retries_5xx(void)
{
    retry_case("http503", NULL, 1, KMS_CLIENT_OK, 2, NULL);
    retry_case("http500", NULL, 2, KMS_CLIENT_OK, 3, NULL);
    retry_case("http503", NULL, 10, KMS_CLIENT_ERR_SERVER, 3,
               "KMS server error after 3 attempts (ServiceUnavailableException, HTTP 503");
    retry_case("error", "KMSInternalException", 10, KMS_CLIENT_ERR_SERVER, 3,
               "KMSInternalException, HTTP 500");
}

/* libcurl itself re-sends a request once when a reused keep-alive connection
 * turns out closed before any response byte (the stale-connection case), so
 * on a warm connection the server sees one call more than our attempts. With
 * reuse off every attempt is exactly one call. */
static void test_dropped_connection_retried(void)
{
    kms_client *fresh = NULL;
    char detail[512] = "";
    kms_client_config config = test_client_config(&server);
    config.disable_connection_reuse = 1;
    CU_ASSERT_EQUAL_FATAL(kms_client_new(&config, &fresh, detail, sizeof(detail)), KMS_CLIENT_OK);
    retry_case_with(fresh, "drop", NULL, 1, KMS_CLIENT_OK, 2, NULL);
    retry_case_with(fresh, "drop", NULL, 10, KMS_CLIENT_ERR_CONNECTION_DROPPED, 3,
                    "connection dropped after 3 attempts");
    kms_client_free(fresh);
    kms_client_key_info info; /* leaves a live keep-alive connection */
    CU_ASSERT_EQUAL(kms_client_describe_key(client, TEST_KEY_ID, &info, detail, sizeof(detail)),
                    KMS_CLIENT_OK);
    retry_case("drop", NULL, 10, KMS_CLIENT_ERR_CONNECTION_DROPPED, 4,
               "connection dropped after 3 attempts");
}

static void test_no_retry_on_4xx(void)
{
    retry_case("error", "ValidationException", 10, KMS_CLIENT_ERR_VALIDATION, 1, NULL);
    retry_case("error", "AccessDeniedException", 10, KMS_CLIENT_ERR_ACCESS_DENIED, 1, NULL);
}

/* With 2 s of injected latency, a 250 ms attempt timeout and a 600 ms
 * deadline, the call gives up within the deadline (plus scheduling slack). */
static void test_deadline_under_latency(void)
{
    kms_client *slow = NULL;
    kms_client_key_info info;
    char detail[512] = "";
    kms_client_config config = test_client_config(&server);
    config.attempt_timeout_ms = 250;
    config.deadline_ms = 600;
    config.max_attempts = 10;
    kms_fixture_fault fault = {.operation = "DescribeKey", .action = "none", .latency_ms = 2000};
    CU_ASSERT_EQUAL_FATAL(kms_client_new(&config, &slow, detail, sizeof(detail)), KMS_CLIENT_OK);
    reset_server();
    CU_ASSERT_EQUAL_FATAL(kms_fixture_add_fault(&server, &fault), 0);
    long long start = backoff_now_ms();
    CU_ASSERT_EQUAL(kms_client_describe_key(slow, TEST_KEY_ID, &info, detail, sizeof(detail)),
                    KMS_CLIENT_ERR_TIMEOUT);
    long long elapsed = backoff_now_ms() - start;
    CU_ASSERT_TRUE(elapsed >= 550 && elapsed < 1100);
    contains(detail, "timeout after ");
    contains(detail, "(deadline reached)");
    long calls = kms_fixture_op_calls(&server, "DescribeKey");
    CU_ASSERT_TRUE(calls >= 2 && calls <= 3);
    kms_client_free(slow);
    reset_server();
}

static void test_connection_refused(void)
{
    kms_client *c = NULL;
    kms_client_key_info info;
    char detail[512] = "";
    kms_client_config config = test_client_config(&server);
    config.endpoint = "http://127.0.0.1:1"; /* nothing listens on port 1 */
    CU_ASSERT_EQUAL_FATAL(kms_client_new(&config, &c, detail, sizeof(detail)), KMS_CLIENT_OK);
    CU_ASSERT_EQUAL(kms_client_describe_key(c, TEST_KEY_ID, &info, detail, sizeof(detail)),
                    KMS_CLIENT_ERR_CONNECTION_REFUSED);
    contains(detail, "connection refused after 3 attempts");
    contains(detail, "127.0.0.1:1");
    kms_client_free(c);
}

static void test_response_size_limit(void)
{
    kms_client *c = NULL;
    kms_client_result r = {0};
    char detail[512] = "";
    kms_client_config config = test_client_config(&server);
    config.max_response_bytes = 64;
    CU_ASSERT_EQUAL_FATAL(kms_client_new(&config, &c, detail, sizeof(detail)), KMS_CLIENT_OK);
    CU_ASSERT_EQUAL(
        kms_client_generate_data_key(c, TEST_KEY_ID, 32, NULL, &r, detail, sizeof(detail)),
        KMS_CLIENT_ERR_BAD_RESPONSE);
    contains(detail, "larger than 64 bytes");
    CU_ASSERT_PTR_NULL(r.plaintext);
    kms_client_free(c);
}

static void test_bad_arguments(void)
{
    kms_client_result r = {0};
    char detail[512] = "";
    CU_ASSERT_EQUAL(
        kms_client_generate_data_key(client, TEST_KEY_ID, 0, NULL, &r, detail, sizeof(detail)),
        KMS_CLIENT_ERR_INVALID_ARGUMENT);
    CU_ASSERT_EQUAL(kms_client_generate_data_key(client, "", 32, NULL, &r, detail, sizeof(detail)),
                    KMS_CLIENT_ERR_INVALID_ARGUMENT);
    CU_ASSERT_EQUAL(kms_client_decrypt(client, TEST_KEY_ID, (const unsigned char *)"x", 0, NULL, 32,
                                       &r, detail, sizeof(detail)),
                    KMS_CLIENT_ERR_INVALID_ARGUMENT);
    kms_client *c = NULL;
    kms_client_config config = test_client_config(&server);
    config.endpoint = "ftp://127.0.0.1/";
    CU_ASSERT_EQUAL(kms_client_new(&config, &c, detail, sizeof(detail)),
                    KMS_CLIENT_ERR_INVALID_ARGUMENT);
    CU_ASSERT_PTR_NULL(c);
}

int main(void)
{
    static const dekcache_test_case tests[] = {
        {"GenerateDataKey then Decrypt", test_generate_and_decrypt},
        {"Encrypt then Decrypt, key named", test_encrypt_and_decrypt},
        {"Encrypt plaintext size limit", test_encrypt_size_limit},
        {"DescribeKey", test_describe_key},
        {"stats per operation", test_stats_per_operation},
        {"context mismatch: invalid ciphertext", test_context_mismatch_is_invalid_ciphertext},
        {"unknown key: not found", test_unknown_key},
        {"disabled key", test_disabled_key},
        {"key_unusable hook: disabled and missing keys only", test_key_unusable_hook},
        {"injected error types", test_injected_error_types},
        {"wrong secret rejected", test_wrong_secret_rejected},
        {"session token signed", test_session_token_accepted},
        {"expired credentials renewed from the shared file",
         test_expired_credentials_renewed_from_file},
        {"region from ARN, env credentials", test_region_from_arn_and_env_credentials},
        {"shared-file credentials", test_shared_file_credentials},
        {"retries under throttling", test_retries_throttling},
        {"retries under 5xx", test_retries_5xx},
        {"dropped connections retried", test_dropped_connection_retried},
        {"no retry on 4xx", test_no_retry_on_4xx},
        {"deadline under latency", test_deadline_under_latency},
        {"connection refused", test_connection_refused},
        {"response size limit", test_response_size_limit},
        {"bad arguments", test_bad_arguments},
        {NULL, NULL},
    };
    dekcache_add_suite("kms client against dekcache-kms-local", kms_client_suite_setup,
                       kms_client_suite_teardown, tests);
    return dekcache_run_tests();
}
