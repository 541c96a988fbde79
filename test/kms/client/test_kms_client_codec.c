/* The client's pure parts: ARNs, request bodies, strict response parsing,
 * error-type mapping and backoff (base64: test/kms/base64). */
#include "cunit_run.h"
#include "kms/client/backoff.h"
#include "kms/client/error_type.h"
#include "kms/client/kms_arn.h"
#include "kms/client/request_json.h"
#include "kms/client/response_json.h"

#include <json-c/json.h>
#include <string.h>

#define KEY_ARN "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"

static void test_arn_parse(void)
{
    kms_arn arn;
    CU_ASSERT_TRUE(kms_arn_parse(KEY_ARN, &arn));
    CU_ASSERT_STRING_EQUAL(arn.partition, "aws");
    CU_ASSERT_STRING_EQUAL(arn.region, "us-west-2");
    CU_ASSERT_STRING_EQUAL(arn.account, "111122223333");
    CU_ASSERT_STRING_EQUAL(arn.resource_type, "key");
    CU_ASSERT_STRING_EQUAL(arn.resource_id, "1234abcd-12ab-34cd-56ef-1234567890ab");
    CU_ASSERT_TRUE(kms_arn_is_key_arn(KEY_ARN));
    CU_ASSERT_TRUE(kms_arn_parse("arn:aws-cn:kms:cn-north-1:111122223333:alias/app", &arn));
    CU_ASSERT_STRING_EQUAL(arn.resource_type, "alias");
    CU_ASSERT_FALSE(kms_arn_is_key_arn("arn:aws:kms:us-west-2:111122223333:alias/app"));
    CU_ASSERT_FALSE(kms_arn_is_key_arn("alias/app"));
    CU_ASSERT_FALSE(kms_arn_is_key_arn("1234abcd-12ab-34cd-56ef-1234567890ab"));
    CU_ASSERT_FALSE(kms_arn_is_key_arn("arn:aws:s3:us-west-2:111122223333:key/x"));
    CU_ASSERT_FALSE(kms_arn_is_key_arn("arn:aws:kms::111122223333:key/x"));
    /* A region that would change the endpoint's host is not a region. */
    CU_ASSERT_FALSE(kms_arn_parse("arn:aws:kms:evil.example#x:111122223333:key/k", &arn));
    CU_ASSERT_FALSE(kms_arn_parse("arn:aws:kms:x@evil.example:111122223333:key/k", &arn));
    CU_ASSERT_FALSE(kms_arn_parse("arn:aws:kms:US-EAST-1:111122223333:key/k", &arn));
    CU_ASSERT_FALSE(kms_arn_is_key_arn("arn:aws:kms:us-west-2:111122223333:key/"));
    CU_ASSERT_FALSE(kms_arn_is_key_arn("arn:aws:kms:us-west-2:111122223333:grant/x"));
    /* Discovery takes ARNs from messages: nothing looser than KMS's own reaches it. */
    static const char *const loose[] = {
        "arn:aws:kms:us-west-2:abc:key/k",                   /* account not 12 digits */
        "arn:aws:kms:us-west-2:11112222333:key/k",           /* 11 digits */
        "arn:aws:kms:us-west-2:111122223333:key/k:junk",     /* ':' in the key ID */
        "arn:aws:kms:us-west-2:111122223333:key/k/../x",     /* '/' in a key ID */
        "arn:aws-cn:kms:us-east-1:111122223333:key/k",       /* a region of another partition */
        "arn:aws:kms:cn-north-1:111122223333:key/k",         /* the other way round */
        "arn:aws-us-gov:kms:us-east-1:111122223333:key/k",   /* */
        "arn:aws-iso:kms:us-isob-east-1:111122223333:key/k", /* */
    };
    for (size_t i = 0; i < sizeof(loose) / sizeof(loose[0]); i++)
        CU_ASSERT_FALSE(kms_arn_parse(loose[i], &arn));
    static const char *const fine[] = {
        "arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/k",
        "arn:aws-iso-b:kms:us-isob-east-1:111122223333:key/k",
        "arn:aws:kms:us-west-2:111122223333:alias/team/app", /* alias names may hold '/' */
        "arn:aws:kms:us-west-2:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab",
    };
    for (size_t i = 0; i < sizeof(fine) / sizeof(fine[0]); i++)
        CU_ASSERT_TRUE(kms_arn_parse(fine[i], &arn));
    /* At most 63 characters (a DNS label): what the client takes as its region. */
    CU_ASSERT_EQUAL(KMS_REGION_NAME_MAX, 63);
    char region[KMS_REGION_NAME_MAX + 2];
    memset(region, 'a', KMS_REGION_NAME_MAX + 1);
    region[KMS_REGION_NAME_MAX + 1] = '\0';
    CU_ASSERT_FALSE(kms_region_name_ok(region));
    region[KMS_REGION_NAME_MAX] = '\0';
    CU_ASSERT_TRUE(kms_region_name_ok(region));
}

/* A request body, parsed back with json-c, has exactly the members KMS expects. */
static void test_request_generate_data_key(void)
{
    kms_client_context_pair pairs[] = {{"purpose", "te\"st\n"}, {"aws-crypto-public-key", "A"}};
    const char *tokens[] = {"grant-1"};
    kms_client_context ctx = {pairs, 2, tokens, 1};
    secure_buffer body;
    secure_buffer_init(&body, 0);
    CU_ASSERT_TRUE(request_json_generate_data_key(&body, "alias/app", 32, &ctx));
    json_object *root = json_tokener_parse(body.data);
    CU_ASSERT_PTR_NOT_NULL_FATAL(root);
    json_object *member = NULL;
    CU_ASSERT_TRUE(json_object_object_get_ex(root, "KeyId", &member));
    CU_ASSERT_STRING_EQUAL(json_object_get_string(member), "alias/app");
    CU_ASSERT_TRUE(json_object_object_get_ex(root, "NumberOfBytes", &member));
    CU_ASSERT_EQUAL(json_object_get_int(member), 32);
    CU_ASSERT_TRUE(json_object_object_get_ex(root, "EncryptionContext", &member));
    json_object *value = NULL;
    CU_ASSERT_TRUE(json_object_object_get_ex(member, "purpose", &value));
    CU_ASSERT_STRING_EQUAL(json_object_get_string(value), "te\"st\n");
    CU_ASSERT_TRUE(json_object_object_get_ex(root, "GrantTokens", &member));
    CU_ASSERT_EQUAL(json_object_array_length(member), 1);
    CU_ASSERT_EQUAL(json_object_object_length(root), 4);
    json_object_put(root);
    secure_buffer_free(&body);
}

static void test_request_encrypt_without_context(void)
{
    const unsigned char key[3] = {1, 2, 3};
    secure_buffer body;
    secure_buffer_init(&body, 0);
    CU_ASSERT_TRUE(request_json_encrypt(&body, KEY_ARN, key, sizeof(key), NULL));
    CU_ASSERT_STRING_EQUAL(body.data, "{\"KeyId\":\"" KEY_ARN "\",\"Plaintext\":\"AQID\"}");
    secure_buffer_free(&body);
}

static kms_client_status parse(const char *body, int plaintext, size_t plen, int ciphertext,
                               kms_client_result *out)
{
    char reason[160];
    response_json_expect expect = {plaintext, plen, ciphertext};
    return response_json_parse_key_op(body, strlen(body), &expect, out, reason, sizeof(reason));
}

static void test_response_data_key(void)
{
    kms_client_result r;
    const char *body = "{\"CiphertextBlob\":\"AQIDBA==\",\"KeyId\":\"" KEY_ARN
                       "\",\"Plaintext\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\","
                       "\"KeyOrigin\":\"AWS_KMS\"}\n";
    CU_ASSERT_EQUAL_FATAL(parse(body, 1, 32, 1, &r), KMS_CLIENT_OK);
    CU_ASSERT_STRING_EQUAL(r.key_arn, KEY_ARN);
    CU_ASSERT_EQUAL(r.plaintext_len, 32);
    CU_ASSERT_EQUAL(r.plaintext[31], 31);
    CU_ASSERT_EQUAL(r.ciphertext_len, 4);
    kms_client_result_clear(&r);
    CU_ASSERT_PTR_NULL(r.plaintext);
}

static void test_response_rejects(void)
{
    kms_client_result r;
    static const char *bad[] = {
        "",
        "[]",
        "{\"KeyId\":\"" KEY_ARN "\"",
        "{\"KeyId\":\"" KEY_ARN "\",\"Plaintext\":\"AAEC\"} x",
        "{\"KeyId\":\"alias/app\",\"Plaintext\":\"AAEC\"}",
        "{\"KeyId\":7,\"Plaintext\":\"AAEC\"}",
        "{\"KeyId\":null,\"Plaintext\":\"AAEC\"}",
        "{\"Plaintext\":\"AAEC\"}",
        "{\"KeyId\":\"" KEY_ARN "\",\"Plaintext\":\"AAE\"}",
        "{\"KeyId\":\"" KEY_ARN "\",\"Plaintext\":123}",
        "{\"KeyId\":\"" KEY_ARN "\",\"Plaintext\":\"\"}",
        "{\"KeyId\":\"" KEY_ARN "\",\"Plaintext\":\"AAECAw==\"}", /* 4 bytes, 3 expected */
        "{'KeyId':'x'}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CU_ASSERT_EQUAL(parse(bad[i], 1, 3, 0, &r), KMS_CLIENT_ERR_BAD_RESPONSE);
        CU_ASSERT_PTR_NULL(r.plaintext);
        CU_ASSERT_EQUAL(r.key_arn[0], '\0');
    }
    CU_ASSERT_EQUAL(parse("{\"KeyId\":\"" KEY_ARN "\",\"Plaintext\":\"AAEC\"}", 1, 3, 1, &r),
                    KMS_CLIENT_ERR_BAD_RESPONSE); /* CiphertextBlob missing */
}

static void test_response_describe_key(void)
{
    kms_client_key_info info;
    char reason[160];
    const char *body =
        "{\"KeyMetadata\":{\"Arn\":\"" KEY_ARN "\",\"KeyState\":\"Disabled\",\"Enabled\":false,"
        "\"EncryptionAlgorithms\":[\"SYMMETRIC_DEFAULT\"]}}";
    CU_ASSERT_EQUAL(
        response_json_parse_describe_key(body, strlen(body), &info, reason, sizeof(reason)),
        KMS_CLIENT_OK);
    CU_ASSERT_STRING_EQUAL(info.key_arn, KEY_ARN);
    CU_ASSERT_STRING_EQUAL(info.key_state, "Disabled");
    CU_ASSERT_EQUAL(info.enabled, 0);
    const char *no_enabled = "{\"KeyMetadata\":{\"Arn\":\"" KEY_ARN "\",\"KeyState\":\"Enabled\"}}";
    CU_ASSERT_EQUAL(response_json_parse_describe_key(no_enabled, strlen(no_enabled), &info, reason,
                                                     sizeof(reason)),
                    KMS_CLIENT_ERR_BAD_RESPONSE);
    CU_ASSERT_PTR_NOT_NULL(strstr(reason, "Enabled"));
    const char *null_state =
        "{\"KeyMetadata\":{\"Arn\":\"" KEY_ARN "\",\"KeyState\":null,\"Enabled\":true}}";
    CU_ASSERT_EQUAL(response_json_parse_describe_key(null_state, strlen(null_state), &info, reason,
                                                     sizeof(reason)),
                    KMS_CLIENT_ERR_BAD_RESPONSE);
    CU_ASSERT_PTR_NOT_NULL(strstr(reason, "KeyState"));
    const char *null_meta = "{\"KeyMetadata\":null}";
    CU_ASSERT_EQUAL(response_json_parse_describe_key(null_meta, strlen(null_meta), &info, reason,
                                                     sizeof(reason)),
                    KMS_CLIENT_ERR_BAD_RESPONSE);
    CU_ASSERT_STRING_EQUAL(reason, "member KeyMetadata missing or not an object");
}

static void test_response_error(void)
{
    char type[64], message[64];
    const char *body =
        "{\"__type\":\"com.amazonaws.kms#NotFoundException\",\"Message\":\"gone\x01\"}";
    CU_ASSERT_TRUE(response_json_parse_error(body, strlen(body), type, sizeof(type), message,
                                             sizeof(message)));
    CU_ASSERT_STRING_EQUAL(type, "NotFoundException");
    CU_ASSERT_STRING_EQUAL(message, "gone?");
    CU_ASSERT_FALSE(
        response_json_parse_error("<html>", 6, type, sizeof(type), message, sizeof(message)));
}

static void test_error_types(void)
{
    CU_ASSERT_EQUAL(error_type_status("NotFoundException", 400), KMS_CLIENT_ERR_NOT_FOUND);
    CU_ASSERT_EQUAL(error_type_status("DisabledException", 400), KMS_CLIENT_ERR_DISABLED);
    CU_ASSERT_EQUAL(error_type_status("ThrottlingException", 400), KMS_CLIENT_ERR_THROTTLED);
    CU_ASSERT_EQUAL(error_type_status("KMSInternalException", 500), KMS_CLIENT_ERR_SERVER);
    CU_ASSERT_EQUAL(error_type_status("", 503), KMS_CLIENT_ERR_SERVER);
    CU_ASSERT_EQUAL(error_type_status("", 429), KMS_CLIENT_ERR_THROTTLED);
    CU_ASSERT_EQUAL(error_type_status("SomethingNew", 400), KMS_CLIENT_ERR_KMS_OTHER);
    CU_ASSERT_TRUE(error_type_is_retryable(KMS_CLIENT_ERR_THROTTLED));
    CU_ASSERT_TRUE(error_type_is_retryable(KMS_CLIENT_ERR_CONNECTION_DROPPED));
    CU_ASSERT_FALSE(error_type_is_retryable(KMS_CLIENT_ERR_NOT_FOUND));
    CU_ASSERT_FALSE(error_type_is_retryable(KMS_CLIENT_ERR_TLS));
    CU_ASSERT_FALSE(error_type_is_retryable(KMS_CLIENT_ERR_VALIDATION));
}

static void test_backoff(void)
{
    CU_ASSERT_EQUAL(backoff_ceiling_ms(1, 50, 2000), 50);
    CU_ASSERT_EQUAL(backoff_ceiling_ms(3, 50, 2000), 200);
    CU_ASSERT_EQUAL(backoff_ceiling_ms(30, 50, 2000), 2000);
    long max_seen = 0;
    for (int i = 0; i < 200; i++) {
        long d = backoff_delay_ms(NULL, 4, 50, 2000);
        CU_ASSERT_TRUE(d >= 0 && d <= 400);
        max_seen = d > max_seen ? d : max_seen;
    }
    CU_ASSERT_TRUE(max_seen > 100); /* jitter spans the range (fails ~1 in 2^50) */
}

static void test_status_strings(void)
{
    CU_ASSERT_STRING_EQUAL(kms_client_status_string(KMS_CLIENT_ERR_NOT_FOUND), "key not found");
    CU_ASSERT_STRING_EQUAL(kms_client_status_string(KMS_CLIENT_ERR_TLS), "TLS verification failed");
    CU_ASSERT_STRING_EQUAL(kms_client_status_string((kms_client_status)999), "unknown status");
}

int main(void)
{
    static const dekcache_test_case tests[] = {
        {"ARN parsing", test_arn_parse},
        {"GenerateDataKey request body", test_request_generate_data_key},
        {"Encrypt request body", test_request_encrypt_without_context},
        {"data key response", test_response_data_key},
        {"malformed responses rejected", test_response_rejects},
        {"DescribeKey response", test_response_describe_key},
        {"error response", test_response_error},
        {"error types and retryability", test_error_types},
        {"backoff with full jitter", test_backoff},
        {"status strings", test_status_strings},
        {NULL, NULL},
    };
    dekcache_add_suite("kms client codec", NULL, NULL, tests);
    return dekcache_run_tests();
}
