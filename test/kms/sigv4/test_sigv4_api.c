/* kms/sigv4 edge cases the AWS suite does not cover: malformed Authorization
 * headers, dates, missing signed headers, buffer sizes. */
#include "cunit_run.h"
#include "kms/sigv4/sigv4.h"

#include <stdlib.h>
#include <string.h>

#define GOOD_SIG "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"

static void test_parse_good(void)
{
    sigv4_parsed_authorization a;
    CU_ASSERT_EQUAL_FATAL(
        sigv4_parse_authorization("AWS4-HMAC-SHA256 Credential=AKID/20240102/eu-west-1/kms/"
                                  "aws4_request,SignedHeaders=host;x-amz-date,Signature=" GOOD_SIG,
                                  &a),
        SIGV4_OK);
    CU_ASSERT_STRING_EQUAL(a.access_key_id, "AKID");
    CU_ASSERT_STRING_EQUAL(a.date, "20240102");
    CU_ASSERT_STRING_EQUAL(a.region, "eu-west-1");
    CU_ASSERT_STRING_EQUAL(a.service, "kms");
    CU_ASSERT_STRING_EQUAL(a.signed_headers, "host;x-amz-date");
    CU_ASSERT_STRING_EQUAL(a.signature, GOOD_SIG);
}

static void test_parse_rejects_malformed(void)
{
    static const char *bad[] = {
        "",
        "AWS4-HMAC-SHA1 Credential=A/20240102/r/kms/aws4_request, SignedHeaders=host, "
        "Signature=" GOOD_SIG,
        "AWS4-HMAC-SHA256 Credential=A/20240102/r/kms/aws4_request, SignedHeaders=host",
        "AWS4-HMAC-SHA256 Credential=A/20240102/r/kms, SignedHeaders=host, Signature=" GOOD_SIG,
        "AWS4-HMAC-SHA256 Credential=A/2024010/r/kms/aws4_request, SignedHeaders=host, "
        "Signature=" GOOD_SIG,
        "AWS4-HMAC-SHA256 Credential=A/20240102/r/kms/aws4_request/x, SignedHeaders=host, "
        "Signature=" GOOD_SIG,
        "AWS4-HMAC-SHA256 Credential=A/20240102/r/kms/aws4_request, SignedHeaders=host, "
        "Signature=" GOOD_SIG "00",
        "AWS4-HMAC-SHA256 Credential=A/20240102/r/kms/aws4_request, SignedHeaders=Host, "
        "Signature=" GOOD_SIG,
        "AWS4-HMAC-SHA256 Credential=A/20240102/r/kms/aws4_request, SignedHeaders=host;;x, "
        "Signature=" GOOD_SIG,
        "AWS4-HMAC-SHA256 Credential=A/20240102/r/kms/aws4_request, "
        "Credential=A/20240102/r/kms/aws4_request, SignedHeaders=host, Signature=" GOOD_SIG,
        "AWS4-HMAC-SHA256 Credential=//20240102/r/kms/aws4_request, SignedHeaders=host, "
        "Signature=" GOOD_SIG,
        "AWS4-HMAC-SHA256 Credential=A/20240102/r/kms/aws4_request, SignedHeaders=host, "
        "Signature=" GOOD_SIG ", Extra=1",
    };
    sigv4_parsed_authorization a;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CU_ASSERT_EQUAL(sigv4_parse_authorization(bad[i], &a), SIGV4_ERR_MALFORMED_AUTH);
    CU_ASSERT_EQUAL(sigv4_parse_authorization(NULL, &a), SIGV4_ERR_ARGUMENT);
}

static void test_dates(void)
{
    time_t t;
    char out[SIGV4_AMZ_DATE_LEN + 1];
    CU_ASSERT_EQUAL(sigv4_parse_amz_date("20150830T123600Z", &t), SIGV4_OK);
    CU_ASSERT_EQUAL(t, (time_t)1440938160);
    CU_ASSERT_EQUAL(sigv4_format_amz_date(t, out, sizeof(out)), SIGV4_OK);
    CU_ASSERT_STRING_EQUAL(out, "20150830T123600Z");
    CU_ASSERT_EQUAL(sigv4_format_amz_date(t, out, 5), SIGV4_ERR_BUFFER_TOO_SMALL);
    CU_ASSERT_NOT_EQUAL(sigv4_parse_amz_date("2015-08-30T12:36:00Z", &t), SIGV4_OK);
    CU_ASSERT_NOT_EQUAL(sigv4_parse_amz_date("20151330T123600Z", &t), SIGV4_OK);
    CU_ASSERT_NOT_EQUAL(sigv4_parse_amz_date("20150830T123600", &t), SIGV4_OK);
}

static const sigv4_header kms_headers[] = {
    {"Host", "127.0.0.1:8080"},
    {"X-Amz-Date", "20240102T030405Z"},
    {"Content-Type", "application/x-amz-json-1.1"},
    {"X-Amz-Target", "TrentService.GenerateDataKey"},
};
static const sigv4_credentials kms_creds = {"AKID", "secret", NULL, "us-east-1", "kms"};

static void test_sign_then_verify(void)
{
    const char *body = "{\"KeyId\":\"alias/x\"}";
    char auth[1024], hash[SIGV4_SHA256_HEX_LEN + 1];
    sigv4_parsed_authorization parsed;
    CU_ASSERT_EQUAL_FATAL(sigv4_authorization(NULL, &kms_creds, "POST", "/", NULL, kms_headers, 4,
                                              (const unsigned char *)body, strlen(body),
                                              "20240102T030405Z", auth, sizeof(auth)),
                          SIGV4_OK);
    CU_ASSERT_EQUAL_FATAL(sigv4_parse_authorization(auth, &parsed), SIGV4_OK);
    CU_ASSERT_STRING_EQUAL(parsed.signed_headers, "content-type;host;x-amz-date;x-amz-target");
    sigv4_payload_hash(NULL, (const unsigned char *)body, strlen(body), hash);
    sigv4_request req = {"POST", "/", "", kms_headers, 4, hash};
    CU_ASSERT_EQUAL(sigv4_verify(NULL, &req, &parsed, "secret", "20240102T030405Z"), SIGV4_OK);
    /* A different body, date, or a header dropped in transit all fail. */
    sigv4_payload_hash(NULL, (const unsigned char *)"{}", 2, hash);
    CU_ASSERT_EQUAL(sigv4_verify(NULL, &req, &parsed, "secret", "20240102T030405Z"),
                    SIGV4_ERR_SIGNATURE_MISMATCH);
    sigv4_payload_hash(NULL, (const unsigned char *)body, strlen(body), hash);
    CU_ASSERT_EQUAL(sigv4_verify(NULL, &req, &parsed, "secret", "20240103T030405Z"),
                    SIGV4_ERR_SIGNATURE_MISMATCH);
    req.n_headers = 3;
    CU_ASSERT_EQUAL(sigv4_verify(NULL, &req, &parsed, "secret", "20240102T030405Z"),
                    SIGV4_ERR_MISSING_HEADER);
}

static void test_small_buffer_and_bad_args(void)
{
    char auth[32];
    CU_ASSERT_EQUAL(sigv4_authorization(NULL, &kms_creds, "POST", "/", NULL, kms_headers, 4, NULL,
                                        0, "20240102T030405Z", auth, sizeof(auth)),
                    SIGV4_ERR_BUFFER_TOO_SMALL);
    CU_ASSERT_EQUAL(sigv4_authorization(NULL, &kms_creds, "POST", "/", NULL, kms_headers, 4, NULL,
                                        0, "yesterday", auth, sizeof(auth)),
                    SIGV4_ERR_ARGUMENT);
    sigv4_header bad_name[] = {{"Bad Name", "x"}};
    char big[1024];
    CU_ASSERT_EQUAL(sigv4_authorization(NULL, &kms_creds, "POST", "/", NULL, bad_name, 1, NULL, 0,
                                        "20240102T030405Z", big, sizeof(big)),
                    SIGV4_ERR_ARGUMENT);
    CU_ASSERT_STRING_EQUAL(sigv4_status_string(SIGV4_ERR_SIGNATURE_MISMATCH),
                           "signature does not match");
    CU_ASSERT_STRING_EQUAL(sigv4_status_string(999), "unknown sigv4 status");
}

static void test_query_canonicalisation(void)
{
    char *canonical = NULL;
    sigv4_header h[] = {{"host", "h"}};
    sigv4_request req = {"GET", "/a b", "b=2&a=%7e&a=1&c&%zz=", h, 1, "x"};
    CU_ASSERT_EQUAL_FATAL(sigv4_canonical_request(&req, NULL, &canonical), SIGV4_OK);
    CU_ASSERT_STRING_EQUAL(canonical, "GET\n/a%20b\n%25zz=&a=1&a=~&b=2&c=\nhost:h\n\nhost\nx");
    free(canonical);
}

int main(void)
{
    static const dekcache_test_case tests[] = {
        {"parse_good", test_parse_good},
        {"parse_rejects_malformed", test_parse_rejects_malformed},
        {"dates", test_dates},
        {"sign_then_verify", test_sign_then_verify},
        {"small_buffer_and_bad_args", test_small_buffer_and_bad_args},
        {"query_canonicalisation", test_query_canonicalisation},
        {NULL, NULL}};
    dekcache_add_suite("sigv4_api", NULL, NULL, tests);
    return dekcache_run_tests();
}
