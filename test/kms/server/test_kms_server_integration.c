/* dekcache-kms-local over real HTTP: every operation, every KeyId form,
 * context binding, disabled/unknown keys, credentials, control API and each
 * fault mode. Each suite starts its own server on a free port and stops it
 * by PID. */
#include "cunit_run.h"
#include "kms_fixture.h"
#include "kms_test_calls.h"
#include "test/support/sleep_ms.h"

#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define KEY1      "11111111-1111-4111-8111-111111111111"
#define KEY2      "22222222-2222-4222-8222-222222222222"
#define KEY3      "33333333-3333-4333-8333-333333333333"
#define ARN(id)   "arn:aws:kms:eu-west-1:444455556666:key/" id
#define ALIAS_ARN "arn:aws:kms:eu-west-1:444455556666:alias/test-one"

static kms_fixture_server srv;
static const sigv4_credentials plain = {"AKIDTESTPLAIN", "plain-secret", NULL, "eu-west-1", "kms"};
static const sigv4_credentials session = {"ASIATESTSESSION", "session-secret",
                                          "test-session-token/with+chars==", "eu-west-1", "kms"};

static int start_config_server(void)
{
    kms_fixture_options o = {KMS_TEST_CONFIG, 0, NULL};
    return kms_fixture_start(&o, &srv);
}

static int stop_server(void)
{
    /* A clean SIGTERM shutdown exits 0. */
    return kms_fixture_stop(&srv) == 0 ? 0 : -1;
}

/* The call is sequenced before its status is read. */
#define assert_error(call, status, want_status, type)                                              \
    do {                                                                                           \
        json_object *response_ = (call);                                                           \
        check_error(response_, (status), (want_status), (type));                                   \
    } while (0)

static void check_error(json_object *o, long status, long want_status, const char *type)
{
    CU_ASSERT_EQUAL(status, want_status);
    CU_ASSERT_STRING_EQUAL(kms_test_str(o, "__type"), type);
    CU_ASSERT(strlen(kms_test_str(o, "message")) > 0);
    json_object_put(o);
}

/* GenerateDataKey under key_id with context; returns the response. */
static json_object *generate(const char *key_id, const char *context, long *status)
{
    return kms_test_call(&srv, &plain, status, "GenerateDataKey",
                         "{\"KeyId\":\"%s\",\"KeySpec\":\"AES_256\",\"EncryptionContext\":%s}",
                         key_id, context);
}

static json_object *decrypt(const char *blob, const char *context, const char *key_id, long *status)
{
    char key_field[200] = "";
    if (key_id)
        snprintf(key_field, sizeof(key_field), ",\"KeyId\":\"%s\"", key_id);
    return kms_test_call(&srv, &plain, status, "Decrypt",
                         "{\"CiphertextBlob\":\"%s\",\"EncryptionContext\":%s%s}", blob, context,
                         key_field);
}

static void test_generate_and_decrypt_every_key_form(void)
{
    static const char *forms[] = {KEY1, ARN(KEY1), "alias/test-one", ALIAS_ARN};
    for (size_t i = 0; i < 4; i++) {
        long st;
        json_object *g = generate(forms[i], "{\"purpose\":\"test\"}", &st);
        CU_ASSERT_EQUAL_FATAL(st, 200);
        CU_ASSERT_STRING_EQUAL(kms_test_str(g, "KeyId"), ARN(KEY1));
        CU_ASSERT_EQUAL(kms_test_b64_len(g, "Plaintext"), 32);
        json_object *d =
            decrypt(kms_test_str(g, "CiphertextBlob"), "{\"purpose\":\"test\"}", NULL, &st);
        CU_ASSERT_EQUAL(st, 200);
        CU_ASSERT_STRING_EQUAL(kms_test_str(d, "Plaintext"), kms_test_str(g, "Plaintext"));
        CU_ASSERT_STRING_EQUAL(kms_test_str(d, "KeyId"), ARN(KEY1));
        json_object_put(d);
        d = decrypt(kms_test_str(g, "CiphertextBlob"), "{\"purpose\":\"test\"}", forms[i], &st);
        CU_ASSERT_EQUAL(st, 200);
        json_object_put(d);
        json_object_put(g);
    }
}

static void test_data_key_sizes_and_without_plaintext(void)
{
    long st;
    json_object *o = kms_test_call(&srv, &plain, &st, "GenerateDataKey",
                                   "{\"KeyId\":\"alias/test-two\",\"NumberOfBytes\":64}");
    CU_ASSERT_EQUAL(st, 200);
    CU_ASSERT_EQUAL(kms_test_b64_len(o, "Plaintext"), 64);
    CU_ASSERT_STRING_EQUAL(kms_test_str(o, "KeyId"), ARN(KEY2));
    json_object_put(o);
    o = kms_test_call(&srv, &plain, &st, "GenerateDataKey",
                      "{\"KeyId\":\"" KEY2 "\",\"KeySpec\":\"AES_128\"}");
    CU_ASSERT_EQUAL(kms_test_b64_len(o, "Plaintext"), 16);
    json_object_put(o);
    o = kms_test_call(&srv, &plain, &st, "GenerateDataKeyWithoutPlaintext",
                      "{\"KeyId\":\"" KEY2 "\",\"KeySpec\":\"AES_256\"}");
    CU_ASSERT_EQUAL(st, 200);
    CU_ASSERT_STRING_EQUAL(kms_test_str(o, "Plaintext"), "");
    CU_ASSERT_STRING_EQUAL(kms_test_str(o, "KeyId"), ARN(KEY2));
    json_object *d = decrypt(kms_test_str(o, "CiphertextBlob"), "{}", NULL, &st);
    CU_ASSERT_EQUAL(st, 200);
    CU_ASSERT_EQUAL(kms_test_b64_len(d, "Plaintext"), 32);
    json_object_put(d);
    json_object_put(o);
}

static void test_encrypt_decrypt_and_incorrect_key(void)
{
    long st;
    json_object *e =
        kms_test_call(&srv, &plain, &st, "Encrypt",
                      "{\"KeyId\":\"alias/test-two\",\"Plaintext\":\"aGVsbG8gd29ybGQ=\","
                      "\"EncryptionContext\":{\"a\":\"1\",\"b\":\"2\"}}");
    CU_ASSERT_EQUAL_FATAL(st, 200);
    CU_ASSERT_STRING_EQUAL(kms_test_str(e, "KeyId"), ARN(KEY2));
    CU_ASSERT_STRING_EQUAL(kms_test_str(e, "EncryptionAlgorithm"), "SYMMETRIC_DEFAULT");
    const char *blob = kms_test_str(e, "CiphertextBlob");
    /* Context order does not matter; its content does. */
    json_object *d = decrypt(blob, "{\"b\":\"2\",\"a\":\"1\"}", ARN(KEY2), &st);
    CU_ASSERT_EQUAL(st, 200);
    CU_ASSERT_STRING_EQUAL(kms_test_str(d, "Plaintext"), "aGVsbG8gd29ybGQ=");
    json_object_put(d);
    assert_error(decrypt(blob, "{\"a\":\"1\",\"b\":\"2\"}", "alias/test-one", &st), st, 400,
                 "IncorrectKeyException");
    json_object_put(e);
}

/* Request bodies grow past their first 1 KiB block: an Encrypt of 1440
 * bytes (~2 KB of JSON) and the Decrypt of its blob (just under the server's
 * 2048-character limit on a string) round-trip, and a body over the 1 MiB
 * limit is refused as too large. */
static void test_large_bodies(void)
{
    unsigned char plaintext[1440];
    char b64[4 * ((sizeof(plaintext) + 2) / 3) + 1];
    long st;
    for (size_t i = 0; i < sizeof(plaintext); i++)
        plaintext[i] = (unsigned char)(i * 7 + 3);
    CU_ASSERT_EQUAL_FATAL(EVP_EncodeBlock((unsigned char *)b64, plaintext, sizeof(plaintext)),
                          (int)sizeof(b64) - 1);
    json_object *e = kms_test_call(&srv, &plain, &st, "Encrypt",
                                   "{\"KeyId\":\"" KEY1 "\",\"Plaintext\":\"%s\"}", b64);
    CU_ASSERT_EQUAL_FATAL(st, 200);
    json_object *d = decrypt(kms_test_str(e, "CiphertextBlob"), "{}", KEY1, &st);
    CU_ASSERT_EQUAL(st, 200);
    CU_ASSERT_STRING_EQUAL(kms_test_str(d, "Plaintext"), b64);
    json_object_put(d);
    json_object_put(e);

    size_t big_len = (1u << 20) + 64;
    char *big = malloc(big_len + 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(big);
    int prefix = snprintf(big, big_len + 1, "{\"KeyId\":\"" KEY1 "\",\"Plaintext\":\"");
    memset(big + prefix, 'A', big_len - (size_t)prefix - 2);
    memcpy(big + big_len - 2, "\"}", 3);
    kms_fixture_response r = {0, NULL};
    CU_ASSERT_EQUAL(kms_fixture_kms_call(&srv, &plain, "Encrypt", big, &r), 0);
    free(big);
    json_object *o = r.body ? json_tokener_parse(r.body) : NULL;
    st = r.status;
    kms_fixture_response_free(&r);
    CU_ASSERT_PTR_NOT_NULL(strstr(kms_test_str(o, "message"), "too large"));
    assert_error(o, st, 400, "ValidationException");
}

static void test_context_mismatch(void)
{
    long st;
    json_object *g = generate("alias/test-one", "{\"tenant\":\"a\"}", &st);
    const char *blob = kms_test_str(g, "CiphertextBlob");
    assert_error(decrypt(blob, "{}", NULL, &st), st, 400, "InvalidCiphertextException");
    assert_error(decrypt(blob, "{\"tenant\":\"b\"}", NULL, &st), st, 400,
                 "InvalidCiphertextException");
    assert_error(decrypt(blob, "{\"tenant\":\"a\",\"x\":\"y\"}", NULL, &st), st, 400,
                 "InvalidCiphertextException");
    json_object_put(g);
}

static void test_re_encrypt(void)
{
    long st;
    json_object *g = generate(KEY1, "{\"stage\":\"one\"}", &st);
    json_object *r =
        kms_test_call(&srv, &plain, &st, "ReEncrypt",
                      "{\"CiphertextBlob\":\"%s\",\"SourceEncryptionContext\":{\"stage\":\"one\"},"
                      "\"DestinationKeyId\":\"alias/test-two\","
                      "\"DestinationEncryptionContext\":{\"stage\":\"two\"}}",
                      kms_test_str(g, "CiphertextBlob"));
    CU_ASSERT_EQUAL_FATAL(st, 200);
    CU_ASSERT_STRING_EQUAL(kms_test_str(r, "SourceKeyId"), ARN(KEY1));
    CU_ASSERT_STRING_EQUAL(kms_test_str(r, "KeyId"), ARN(KEY2));
    json_object *d = decrypt(kms_test_str(r, "CiphertextBlob"), "{\"stage\":\"two\"}", KEY2, &st);
    CU_ASSERT_EQUAL(st, 200);
    CU_ASSERT_STRING_EQUAL(kms_test_str(d, "Plaintext"), kms_test_str(g, "Plaintext"));
    json_object_put(d);
    assert_error(decrypt(kms_test_str(r, "CiphertextBlob"), "{\"stage\":\"one\"}", NULL, &st), st,
                 400, "InvalidCiphertextException");
    json_object_put(r);
    json_object_put(g);
}

static void test_describe_key(void)
{
    static const char *forms[] = {KEY1, ARN(KEY1), "alias/test-one", ALIAS_ARN};
    long st;
    json_object *meta;
    for (size_t i = 0; i < 4; i++) {
        json_object *o =
            kms_test_call(&srv, &plain, &st, "DescribeKey", "{\"KeyId\":\"%s\"}", forms[i]);
        CU_ASSERT_EQUAL(st, 200);
        CU_ASSERT_FATAL(json_object_object_get_ex(o, "KeyMetadata", &meta));
        CU_ASSERT_STRING_EQUAL(kms_test_str(meta, "Arn"), ARN(KEY1));
        CU_ASSERT_STRING_EQUAL(kms_test_str(meta, "KeyId"), KEY1);
        CU_ASSERT_STRING_EQUAL(kms_test_str(meta, "KeyState"), "Enabled");
        CU_ASSERT_STRING_EQUAL(kms_test_str(meta, "AWSAccountId"), "444455556666");
        json_object_put(o);
    }
    json_object *o =
        kms_test_call(&srv, &plain, &st, "DescribeKey", "{\"KeyId\":\"alias/test-disabled\"}");
    CU_ASSERT_EQUAL(st, 200);
    CU_ASSERT_FATAL(json_object_object_get_ex(o, "KeyMetadata", &meta));
    CU_ASSERT_STRING_EQUAL(kms_test_str(meta, "KeyState"), "Disabled");
    json_object_put(o);
}

static void test_disabled_and_unknown_keys(void)
{
    long st;
    assert_error(generate(KEY3, "{}", &st), st, 400, "DisabledException");
    assert_error(generate("alias/test-disabled", "{}", &st), st, 400, "DisabledException");
    assert_error(generate("44444444-4444-4444-8444-444444444444", "{}", &st), st, 400,
                 "NotFoundException");
    assert_error(generate("alias/nope", "{}", &st), st, 400, "NotFoundException");
    assert_error(generate("arn:aws:kms:us-east-1:444455556666:key/" KEY1, "{}", &st), st, 400,
                 "NotFoundException");
    assert_error(generate("arn:aws:kms:eu-west-1:999999999999:alias/test-one", "{}", &st), st, 400,
                 "NotFoundException");
    assert_error(kms_test_call(&srv, &plain, &st, "DescribeKey", "{\"KeyId\":\"alias/nope\"}"), st,
                 400, "NotFoundException");
}

static void test_bad_requests(void)
{
    long st;
    assert_error(kms_test_call(&srv, &plain, &st, "GenerateDataKey", "not json"), st, 400,
                 "SerializationException");
    assert_error(kms_test_call(&srv, &plain, &st, "GenerateDataKey", "{\"KeySpec\":\"AES_256\"}"),
                 st, 400, "ValidationException");
    assert_error(kms_test_call(&srv, &plain, &st, "GenerateDataKey",
                               "{\"KeyId\":\"" KEY1 "\",\"KeySpec\":\"AES_256\",\"NumberOfBytes\":"
                               "32}"),
                 st, 400, "ValidationException");
    assert_error(kms_test_call(&srv, &plain, &st, "GenerateDataKey",
                               "{\"KeyId\":\"" KEY1 "\",\"NumberOfBytes\":2000}"),
                 st, 400, "ValidationException");
    assert_error(decrypt("!!notbase64", "{}", NULL, &st), st, 400, "ValidationException");
    assert_error(decrypt("Z2FyYmFnZSBibG9i", "{}", NULL, &st), st, 400,
                 "InvalidCiphertextException");
    assert_error(kms_test_call(&srv, &plain, &st, "CreateKey", "{}"), st, 400,
                 "UnknownOperationException");
    /* KMS takes no query: one is refused before anything else is looked at
     * (libmicrohttpd decodes it, so its signature could not be checked). */
    kms_fixture_response r = {0};
    CU_ASSERT_EQUAL(kms_fixture_http(&srv, "POST", "/?a=x%26y", "{}", &r), 0);
    CU_ASSERT_EQUAL(r.status, 400);
    CU_ASSERT_PTR_NOT_NULL(r.body != NULL ? strstr(r.body, "with no query") : NULL);
    kms_fixture_response_free(&r);
    assert_error(kms_test_call(&srv, &plain, &st, "Encrypt",
                               "{\"KeyId\":\"" KEY1 "\",\"Plaintext\":\"AA==\","
                               "\"EncryptionContext\":{\"n\":1}}"),
                 st, 400, "ValidationException");
}

static void test_credentials(void)
{
    long st;
    sigv4_credentials wrong_secret = plain, unknown = plain, wrong_region = plain,
                      wrong_token = session, no_token = session;
    wrong_secret.secret_access_key = "not-the-secret";
    unknown.access_key_id = "AKIDUNKNOWN";
    wrong_region.region = "us-east-1";
    wrong_token.session_token = "another-token";
    no_token.session_token = NULL;
    const char *body = "{\"KeyId\":\"" KEY1 "\"}";
    json_object *ok = kms_test_call(&srv, &session, &st, "DescribeKey", "%s", body);
    CU_ASSERT_EQUAL(st, 200);
    json_object_put(ok);
    assert_error(kms_test_call(&srv, NULL, &st, "DescribeKey", "%s", body), st, 400,
                 "MissingAuthenticationTokenException");
    assert_error(kms_test_call(&srv, &wrong_secret, &st, "DescribeKey", "%s", body), st, 400,
                 "InvalidSignatureException");
    assert_error(kms_test_call(&srv, &unknown, &st, "DescribeKey", "%s", body), st, 400,
                 "UnrecognizedClientException");
    assert_error(kms_test_call(&srv, &wrong_region, &st, "DescribeKey", "%s", body), st, 400,
                 "InvalidSignatureException");
    assert_error(kms_test_call(&srv, &wrong_token, &st, "DescribeKey", "%s", body), st, 400,
                 "UnrecognizedClientException");
    assert_error(kms_test_call(&srv, &no_token, &st, "DescribeKey", "%s", body), st, 400,
                 "UnrecognizedClientException");
}

static void test_stats_count_calls_not_control(void)
{
    long st;
    kms_fixture_stats s;
    CU_ASSERT_EQUAL_FATAL(kms_fixture_reset(&srv), 0);
    json_object_put(generate(KEY1, "{}", &st));
    json_object_put(generate(KEY3, "{}", &st));
    json_object_put(kms_test_call(&srv, &plain, &st, "DescribeKey", "{\"KeyId\":\"" KEY1 "\"}"));
    CU_ASSERT_EQUAL_FATAL(kms_fixture_stats_get(&srv, &s), 0);
    CU_ASSERT_EQUAL_FATAL(kms_fixture_stats_get(&srv, &s), 0);
    CU_ASSERT_EQUAL(kms_fixture_stats_op(&s, "GenerateDataKey")->calls, 2);
    CU_ASSERT_EQUAL(kms_fixture_stats_op(&s, "GenerateDataKey")->errors, 1);
    CU_ASSERT_EQUAL(kms_fixture_stats_op(&s, "DescribeKey")->calls, 1);
    CU_ASSERT_EQUAL(kms_fixture_stats_op(&s, "Decrypt")->calls, 0);
    CU_ASSERT_EQUAL(s.requests, 3);
    CU_ASSERT_EQUAL(s.errors, 1);
    CU_ASSERT_EQUAL(s.in_flight, 0);
    CU_ASSERT_EQUAL(s.max_in_flight, 1);
    CU_ASSERT_EQUAL(s.kms_connections, 3);
}

/* One keep-alive client is one connection; fresh clients are one each. */
static void test_connection_count_shows_reuse(void)
{
    long st;
    kms_fixture_stats s;
    CU_ASSERT_EQUAL_FATAL(kms_fixture_reset(&srv), 0);
    kms_fixture_client *c = kms_fixture_client_new(&srv);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    for (int i = 0; i < 5; i++) {
        json_object_put(
            kms_test_client_call(c, &plain, &st, "DescribeKey", "{\"KeyId\":\"" KEY1 "\"}"));
        CU_ASSERT_EQUAL(st, 200);
    }
    CU_ASSERT_EQUAL_FATAL(kms_fixture_stats_get(&srv, &s), 0);
    CU_ASSERT_EQUAL(s.requests, 5);
    CU_ASSERT_EQUAL(s.kms_connections, 1);
    CU_ASSERT(s.connections_open >= 1);
    kms_fixture_client_free(c);
    CU_ASSERT_EQUAL_FATAL(kms_fixture_reset(&srv), 0);
    for (int i = 0; i < 3; i++)
        json_object_put(
            kms_test_call(&srv, &plain, &st, "DescribeKey", "{\"KeyId\":\"" KEY1 "\"}"));
    CU_ASSERT_EQUAL_FATAL(kms_fixture_stats_get(&srv, &s), 0);
    CU_ASSERT_EQUAL(s.kms_connections, 3);
}

static long elapsed_ms(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (t1.tv_sec - t0->tv_sec) * 1000L + (t1.tv_nsec - t0->tv_nsec) / 1000000L;
}

static void test_fault_aws_error_for_next_n_calls_of_one_operation(void)
{
    long st;
    kms_fixture_fault f = {"DescribeKey", "error", "ThrottlingException", 0, 1.0, 2};
    CU_ASSERT_EQUAL_FATAL(kms_fixture_reset(&srv), 0);
    CU_ASSERT_EQUAL_FATAL(kms_fixture_add_fault(&srv, &f), 0);
    json_object *g = generate(KEY1, "{}", &st); /* other operations are untouched */
    CU_ASSERT_EQUAL(st, 200);
    json_object_put(g);
    for (int i = 0; i < 2; i++)
        assert_error(kms_test_call(&srv, &plain, &st, "DescribeKey", "{\"KeyId\":\"" KEY1 "\"}"),
                     st, 400, "ThrottlingException");
    json_object_put(kms_test_call(&srv, &plain, &st, "DescribeKey", "{\"KeyId\":\"" KEY1 "\"}"));
    CU_ASSERT_EQUAL(st, 200);
    kms_fixture_stats s;
    CU_ASSERT_EQUAL_FATAL(kms_fixture_stats_get(&srv, &s), 0);
    CU_ASSERT_EQUAL(kms_fixture_stats_op(&s, "DescribeKey")->errors, 2);
}

static void test_fault_http_500_and_503(void)
{
    long st;
    kms_fixture_fault f500 = {NULL, "http500", NULL, 0, 1.0, 1};
    kms_fixture_fault f503 = {NULL, "http503", NULL, 0, 1.0, 1};
    CU_ASSERT_EQUAL_FATAL(kms_fixture_reset(&srv), 0);
    CU_ASSERT_EQUAL_FATAL(kms_fixture_add_fault(&srv, &f500), 0);
    CU_ASSERT_EQUAL_FATAL(kms_fixture_add_fault(&srv, &f503), 0);
    assert_error(generate(KEY1, "{}", &st), st, 500, "KMSInternalException");
    assert_error(generate(KEY1, "{}", &st), st, 503, "ServiceUnavailableException");
    json_object_put(generate(KEY1, "{}", &st));
    CU_ASSERT_EQUAL(st, 200);
}

static void test_fault_dropped_connection(void)
{
    long st;
    kms_fixture_fault f = {"Decrypt", "drop", NULL, 0, 1.0, 1};
    json_object *g = generate(KEY1, "{}", &st);
    CU_ASSERT_EQUAL_FATAL(kms_fixture_reset(&srv), 0);
    CU_ASSERT_EQUAL_FATAL(kms_fixture_add_fault(&srv, &f), 0);
    json_object *d = decrypt(kms_test_str(g, "CiphertextBlob"), "{}", NULL, &st);
    CU_ASSERT_PTR_NULL(d);
    CU_ASSERT_EQUAL(st, 0);
    d = decrypt(kms_test_str(g, "CiphertextBlob"), "{}", NULL, &st);
    CU_ASSERT_EQUAL(st, 200);
    json_object_put(d);
    json_object_put(g);
}

static void test_fault_latency(void)
{
    long st;
    struct timespec t0;
    kms_fixture_fault f = {"DescribeKey", "none", NULL, 300, 1.0, 1};
    CU_ASSERT_EQUAL_FATAL(kms_fixture_reset(&srv), 0);
    CU_ASSERT_EQUAL_FATAL(kms_fixture_add_fault(&srv, &f), 0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    json_object_put(kms_test_call(&srv, &plain, &st, "DescribeKey", "{\"KeyId\":\"" KEY1 "\"}"));
    CU_ASSERT_EQUAL(st, 200);
    CU_ASSERT(elapsed_ms(&t0) >= 300);
}

static void test_fault_rate(void)
{
    long st;
    int hits = 0;
    kms_fixture_fault f = {"DescribeKey", "error", "ThrottlingException", 0, 0.5, 0};
    CU_ASSERT_EQUAL_FATAL(kms_fixture_reset(&srv), 0);
    CU_ASSERT_EQUAL_FATAL(kms_fixture_add_fault(&srv, &f), 0);
    kms_fixture_client *c = kms_fixture_client_new(&srv);
    for (int i = 0; i < 40; i++) {
        json_object_put(
            kms_test_client_call(c, &plain, &st, "DescribeKey", "{\"KeyId\":\"" KEY1 "\"}"));
        hits += st == 400;
    }
    kms_fixture_client_free(c);
    /* Binomial(40, 0.5) falls outside [4, 36] with probability < 1e-7. */
    CU_ASSERT(hits >= 4 && hits <= 36);
    CU_ASSERT_EQUAL(kms_fixture_clear_faults(&srv), 0);
    json_object_put(kms_test_call(&srv, &plain, &st, "DescribeKey", "{\"KeyId\":\"" KEY1 "\"}"));
    CU_ASSERT_EQUAL(st, 200);
}

static void test_control_rejects_bad_fault(void)
{
    kms_fixture_response r;
    CU_ASSERT_EQUAL(
        kms_fixture_http(&srv, "POST", "/_control/faults", "{\"action\":\"explode\"}", &r), 0);
    CU_ASSERT_EQUAL(r.status, 400);
    kms_fixture_response_free(&r);
    CU_ASSERT_EQUAL(kms_fixture_http(&srv, "GET", "/_control/nothing", NULL, &r), 0);
    CU_ASSERT_EQUAL(r.status, 404);
    kms_fixture_response_free(&r);
}

/* Key material comes from the config file, so a new process decrypts. */
static void test_ciphertext_survives_restart(void)
{
    long st;
    json_object *g1 = generate(KEY1, "{\"r\":\"1\"}", &st);
    json_object *g2 = generate(KEY2, "{\"r\":\"2\"}", &st);
    CU_ASSERT_EQUAL_FATAL(st, 200);
    int old_port = srv.port;
    CU_ASSERT_EQUAL_FATAL(kms_fixture_stop(&srv), 0);
    CU_ASSERT_EQUAL_FATAL(start_config_server(), 0);
    printf("\n  restarted: port %d -> %d", old_port, srv.port);
    json_object *d1 = decrypt(kms_test_str(g1, "CiphertextBlob"), "{\"r\":\"1\"}", NULL, &st);
    CU_ASSERT_EQUAL(st, 200);
    CU_ASSERT_STRING_EQUAL(kms_test_str(d1, "Plaintext"), kms_test_str(g1, "Plaintext"));
    json_object *d2 = decrypt(kms_test_str(g2, "CiphertextBlob"), "{\"r\":\"2\"}", NULL, &st);
    CU_ASSERT_EQUAL(st, 200);
    CU_ASSERT_STRING_EQUAL(kms_test_str(d2, "Plaintext"), kms_test_str(g2, "Plaintext"));
    json_object_put(d1);
    json_object_put(d2);
    json_object_put(g1);
    json_object_put(g2);
}

/* --- built-in defaults --- */

static int start_default_server(void)
{
    return kms_fixture_start(NULL, &srv);
}

static void test_default_key_and_credentials(void)
{
    long st;
    json_object *g = kms_test_call(&srv, kms_fixture_default_credentials(), &st, "GenerateDataKey",
                                   "{\"KeyId\":\"" KMS_LOCAL_DEFAULT_ALIAS "\",\"KeySpec\":"
                                   "\"AES_256\"}");
    CU_ASSERT_EQUAL(st, 200);
    CU_ASSERT_STRING_EQUAL(kms_test_str(g, "KeyId"),
                           "arn:aws:kms:us-east-1:111122223333:key/" KMS_LOCAL_DEFAULT_KEY_ID);
    json_object_put(g);
    assert_error(kms_test_call(&srv, NULL, &st, "DescribeKey",
                               "{\"KeyId\":\"" KMS_LOCAL_DEFAULT_ALIAS "\"}"),
                 st, 400, "MissingAuthenticationTokenException");
}

static int start_unsigned_server(void)
{
    kms_fixture_options o = {NULL, 1, NULL};
    return kms_fixture_start(&o, &srv);
}

static void test_no_signature_mode(void)
{
    long st;
    json_object *o = kms_test_call(&srv, NULL, &st, "DescribeKey",
                                   "{\"KeyId\":\"" KMS_LOCAL_DEFAULT_KEY_ID "\"}");
    CU_ASSERT_EQUAL(st, 200);
    json_object_put(o);
}

/* Whether pid is gone or a zombie waiting for its new parent to reap it. */
static int process_ended(pid_t pid)
{
    char path[64], stat[256] = "";
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 1;
    size_t n = fread(stat, 1, sizeof(stat) - 1, f);
    fclose(f);
    stat[n] = '\0';
    const char *state = strrchr(stat, ')');
    return state == NULL || state[1] == '\0' || state[2] == 'Z' || state[2] == 'X';
}

/* A test process that dies without stopping its server (a sanitizer's
 * abort, a timeout's kill) takes the server with it: an orphaned server ran
 * forever, holding its port and temporary folder. */
static void test_server_ends_with_its_test_process(void)
{
    int fds[2];
    CU_ASSERT_FATAL(pipe(fds) == 0);
    pid_t test_process = fork();
    CU_ASSERT_FATAL(test_process >= 0);
    if (test_process == 0) {
        kms_fixture_server orphan;
        close(fds[0]);
        if (kms_fixture_start(NULL, &orphan) == 0 &&
            write(fds[1], &orphan, sizeof(orphan)) == (ssize_t)sizeof(orphan))
            kill(getpid(), SIGKILL); /* dies without stopping it */
        _exit(1);
    }
    close(fds[1]);
    kms_fixture_server orphan = {0};
    ssize_t got = read(fds[0], &orphan, sizeof(orphan));
    close(fds[0]);
    waitpid(test_process, NULL, 0);
    CU_ASSERT_EQUAL_FATAL(got, (ssize_t)sizeof(orphan));
    int ended = 0;
    for (int i = 0; i < 500 && !(ended = process_ended(orphan.pid)); i++) /* 5 s */
        sleep_ms(10);
    CU_ASSERT(ended);
    if (!ended)
        kill(orphan.pid, SIGKILL);
    orphan.pid = 0; /* not ours to reap: only its folder is left to remove */
    kms_fixture_stop(&orphan);
}

int main(void)
{
    static const dekcache_test_case config_tests[] = {
        {"generate_and_decrypt_every_key_form", test_generate_and_decrypt_every_key_form},
        {"data_key_sizes_and_without_plaintext", test_data_key_sizes_and_without_plaintext},
        {"encrypt_decrypt_and_incorrect_key", test_encrypt_decrypt_and_incorrect_key},
        {"large_bodies", test_large_bodies},
        {"context_mismatch", test_context_mismatch},
        {"re_encrypt", test_re_encrypt},
        {"describe_key", test_describe_key},
        {"disabled_and_unknown_keys", test_disabled_and_unknown_keys},
        {"bad_requests", test_bad_requests},
        {"credentials", test_credentials},
        {"stats_count_calls_not_control", test_stats_count_calls_not_control},
        {"connection_count_shows_reuse", test_connection_count_shows_reuse},
        {"fault_aws_error_next_n_one_op", test_fault_aws_error_for_next_n_calls_of_one_operation},
        {"fault_http_500_and_503", test_fault_http_500_and_503},
        {"fault_dropped_connection", test_fault_dropped_connection},
        {"fault_latency", test_fault_latency},
        {"fault_rate", test_fault_rate},
        {"control_rejects_bad_fault", test_control_rejects_bad_fault},
        {"ciphertext_survives_restart", test_ciphertext_survives_restart},
        {NULL, NULL}};
    static const dekcache_test_case default_tests[] = {
        {"default_key_and_credentials", test_default_key_and_credentials}, {NULL, NULL}};
    static const dekcache_test_case unsigned_tests[] = {
        {"no_signature_mode", test_no_signature_mode},
        {"server_ends_with_its_test_process", test_server_ends_with_its_test_process},
        {NULL, NULL}};
    dekcache_add_suite("kms_server_config_file", start_config_server, stop_server, config_tests);
    dekcache_add_suite("kms_server_defaults", start_default_server, stop_server, default_tests);
    dekcache_add_suite("kms_server_no_signature", start_unsigned_server, stop_server,
                       unsigned_tests);
    return dekcache_run_tests();
}
