/* dekcache-kms-local's parts without HTTP: keystore and config, KeyId forms,
 * ciphertext blob, encryption context, SigV4 policy (scope, skew, token),
 * fault rules, the secret-safe JSON layer (base64: test/kms/base64). */
#include "cunit_run.h"
#include "kms/json/json_member.h"
#include "kms/json/json_secret.h"
#include "kms/server/ciphertext_blob.h"
#include "kms/server/control_api.h"
#include "kms/server/encryption_context.h"
#include "kms/server/keystore.h"
#include "kms/server/kms_operations.h"
#include "kms/server/kms_request.h"
#include "kms/server/request_auth.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#define KEY1 "11111111-1111-4111-8111-111111111111"
#define KEY2 "22222222-2222-4222-8222-222222222222"

static keystore ks;

static int load_test_config(void)
{
    char detail[256];
    return keystore_load_file(&ks, KMS_TEST_CONFIG, detail, sizeof(detail));
}

static int free_keystore(void)
{
    keystore_free(&ks);
    return 0;
}

static void test_resolve_key_forms(void)
{
    kms_error err = {0};
    const kms_key *k1 = keystore_find_key(&ks, KEY1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(k1);
    CU_ASSERT_PTR_EQUAL(keystore_resolve(&ks, KEY1, &err), k1);
    CU_ASSERT_PTR_EQUAL(keystore_resolve(&ks, "alias/test-one", &err), k1);
    CU_ASSERT_PTR_EQUAL(keystore_resolve(&ks, "arn:aws:kms:eu-west-1:444455556666:key/" KEY1, &err),
                        k1);
    CU_ASSERT_PTR_EQUAL(
        keystore_resolve(&ks, "arn:aws:kms:eu-west-1:444455556666:alias/test-one", &err), k1);
    static const char *unknown[] = {"alias/none",
                                    "arn:aws:kms:eu-west-1:444455556666:key/x",
                                    "arn:aws:kms:eu-west-1:444455556666:" KEY1,
                                    "arn:aws:kms:eu-west-2:444455556666:key/" KEY1,
                                    "arn:",
                                    "alias/"};
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        err.http_status = 0;
        CU_ASSERT_PTR_NULL(keystore_resolve(&ks, unknown[i], &err));
        CU_ASSERT_STRING_EQUAL(err.type, "NotFoundException");
        CU_ASSERT_EQUAL(err.http_status, 400);
    }
}

static void test_material_from_file_and_seed(void)
{
    const kms_key *k1 = keystore_find_key(&ks, KEY1), *k2 = keystore_find_key(&ks, KEY2);
    for (int i = 0; i < KMS_MASTER_KEY_LEN; i++)
        CU_ASSERT_EQUAL(k1->material[i], i);
    /* Seed-derived material is stable across loads (ciphertexts survive restarts). */
    keystore again;
    char detail[256];
    CU_ASSERT_EQUAL_FATAL(keystore_load_file(&again, KMS_TEST_CONFIG, detail, sizeof(detail)), 0);
    CU_ASSERT_EQUAL(
        CRYPTO_memcmp(keystore_find_key(&again, KEY2)->material, k2->material, KMS_MASTER_KEY_LEN),
        0);
    keystore_free(&again);
}

static void test_config_errors(void)
{
    static const struct {
        const char *json, *detail;
    } bad[] = {
        {"[]", "not a JSON object"},
        {"{}", "\"keys\" array"},
        {"{\"keys\":[{\"id\":\"a b\",\"material\":\"x\"}]}", "\"id\""},
        {"{\"keys\":[{\"id\":\"k\",\"material\":\"AAAA\"}]}", "32 bytes"},
        {"{\"keys\":[{\"id\":\"k\"}]}", "no material"},
        {"{\"seed\":\"s\",\"keys\":[{\"id\":\"k\"},{\"id\":\"k\"}]}", "twice"},
        {"{\"seed\":\"s\",\"keys\":[{\"id\":\"k\"}],\"aliases\":{\"alias/a\":\"zz\"}}",
         "unknown key"},
        {"{\"seed\":\"s\",\"keys\":[{\"id\":\"k\"}],\"aliases\":{\"a\":\"k\"}}", "alias/<name>"},
        {"{\"seed\":\"s\",\"keys\":[],\"account\":\"12\"}", "12 digits"},
        {"{\"seed\":\"s\",\"keys\":[],\"credentials\":[{\"access_key_id\":\"a\"}]}",
         "secret_access_key"},
        {"{\"seed\":\"s\",\"keys\":[{\"id\":\"k\",\"enabled\":\"false\"}]}", "true or false"},
        {"{\"seed\":\"s\",\"keys\":[],\"credentials\":[{\"access_key_id\":\"a\","
         "\"secret_access_key\":\"b\",\"expired\":\"yes\"}]}",
         "\"expired\" must be true or false"},
        {"{\"seed\":\"s\",\"keys\":[{\"id\":\"k\",\"creation_date\":\"x\"}]}", "seconds"},
        /* A member of the wrong type, null included, is named, never read
         * as absent (a mistyped material would derive one from the seed, a
         * mistyped session_token would accept requests without a token). */
        {"{\"seed\":\"s\",\"keys\":[{\"id\":\"k\",\"material\":5}]}",
         "key k: \"material\" must be a string"},
        {"{\"seed\":\"s\",\"keys\":[{\"id\":\"k\",\"description\":null}]}",
         "key k: \"description\" must be a string"},
        {"{\"seed\":7,\"keys\":[]}", "config: \"seed\" must be a string"},
        {"{\"region\":[],\"keys\":[]}", "config: \"region\" must be a string"},
        {"{\"account\":111122223333,\"keys\":[]}", "config: \"account\" must be a string"},
        {"{\"seed\":\"s\",\"keys\":[],\"credentials\":[{\"access_key_id\":\"a\","
         "\"secret_access_key\":\"b\",\"session_token\":1}]}",
         "credentials[0]: \"session_token\" must be a string"},
        {"{\"seed\":\"s\",\"keys\":[],\"credentials\":[{\"access_key_id\":\"a\","
         "\"secret_access_key\":\"b\",\"expired\":null}]}",
         "credentials[0]: \"expired\" must be true or false"},
        {"{\"seed\":\"s\",\"keys\":[],\"credentials\":null}", "\"credentials\" must be an array"},
        {"{\"seed\":\"s\",\"keys\":[],\"aliases\":null}", "\"aliases\" must be an object"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        keystore k;
        char detail[256] = "";
        CU_ASSERT_EQUAL(keystore_load_json(&k, bad[i].json, detail, sizeof(detail)), -1);
        if (strstr(detail, bad[i].detail) == NULL)
            printf("\n  config %zu: detail '%s' lacks '%s'", i, detail, bad[i].detail);
        CU_ASSERT_PTR_NOT_NULL(strstr(detail, bad[i].detail));
    }
}

/* OpenSSL allocations through a counter: when budget reaches 0 every further
 * allocation fails (-1: no limit). Installed at the start of main. */
static long alloc_budget = -1;

static int spend_allocation(void)
{
    if (alloc_budget == 0)
        return 0;
    if (alloc_budget > 0)
        alloc_budget--;
    return 1;
}

static void *counted_malloc(size_t n, const char *file, int line)
{
    (void)file;
    (void)line;
    return spend_allocation() ? malloc(n) : NULL;
}

static void *counted_realloc(void *p, size_t n, const char *file, int line)
{
    (void)file;
    (void)line;
    return spend_allocation() ? realloc(p, n) : NULL;
}

static void counted_free(void *p, const char *file, int line)
{
    (void)file;
    (void)line;
    free(p);
}

static int counted_allocator_installed;

/* Every OpenSSL allocation of a load fails in turn, the credential copies
 * included: each load fails cleanly (keystore_free must not see a counted
 * credential without its secret) until one has enough to succeed. */
static void test_config_out_of_memory(void)
{
    static const char config[] =
        "{\"keys\":[{\"id\":\"k\",\"material\":"
        "\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\"}],"
        "\"credentials\":[{\"access_key_id\":\"a\",\"secret_access_key\":\"s1\"},"
        "{\"access_key_id\":\"b\",\"secret_access_key\":\"s2\",\"session_token\":\"t\"}]}";
    CU_ASSERT_TRUE_FATAL(counted_allocator_installed);
    int failures = 0, loaded = 0; /* failures: loads that ran out of memory */
    for (long budget = 0; budget < 1000 && !loaded; budget++) {
        keystore k;
        char detail[256] = "";
        alloc_budget = budget;
        int rc = keystore_load_json(&k, config, detail, sizeof(detail));
        alloc_budget = -1;
        CU_ASSERT(rc == 0 || rc == -1);
        if (rc == 0) {
            loaded = 1;
            CU_ASSERT_EQUAL(k.n_credentials, 2);
            CU_ASSERT_STRING_EQUAL(k.credentials[1].session_token, "t");
            keystore_free(&k);
        } else {
            CU_ASSERT_NOT_EQUAL(detail[0], '\0');
            failures += strstr(detail, "out of memory") != NULL;
        }
    }
    CU_ASSERT_TRUE(loaded);
    CU_ASSERT(failures >= 3); /* at least the three credential copies failed once each */
}

static void test_defaults(void)
{
    keystore d;
    char detail[256];
    kms_error err;
    CU_ASSERT_EQUAL_FATAL(keystore_load_defaults(&d, detail, sizeof(detail)), 0);
    CU_ASSERT_STRING_EQUAL(d.region, "us-east-1");
    CU_ASSERT_PTR_NOT_NULL(keystore_resolve(&d, "alias/dekcache-local", &err));
    CU_ASSERT_PTR_NOT_NULL(keystore_find_credential(&d, "AKIDEKCACHELOCAL"));
    keystore_free(&d);
}

static json_object *pairs(const char *json)
{
    return json_tokener_parse(json);
}

static void test_context_serialization(void)
{
    unsigned char *a = NULL, *b = NULL;
    size_t alen, blen;
    kms_error err;
    json_object *x = pairs("{\"b\":\"2\",\"a\":\"1\"}"), *y = pairs("{\"a\":\"1\",\"b\":\"2\"}");
    CU_ASSERT_EQUAL(encryption_context_serialize(x, "EncryptionContext", &a, &alen, &err), 0);
    CU_ASSERT_EQUAL(encryption_context_serialize(y, "EncryptionContext", &b, &blen, &err), 0);
    CU_ASSERT_EQUAL(alen, blen);
    CU_ASSERT_EQUAL(memcmp(a, b, alen), 0);
    free(a);
    free(b);
    json_object *bad = pairs("{\"a\":[1]}");
    CU_ASSERT_EQUAL(encryption_context_serialize(bad, "EncryptionContext", &a, &alen, &err), -1);
    CU_ASSERT_STRING_EQUAL(err.type, "ValidationException");
    /* "ab"+"c" must not equal "a"+"bc": lengths are part of the encoding. */
    json_object *p = pairs("{\"ab\":\"c\"}"), *q = pairs("{\"a\":\"bc\"}");
    CU_ASSERT_EQUAL(encryption_context_serialize(p, "c", &a, &alen, &err), 0);
    CU_ASSERT_EQUAL(encryption_context_serialize(q, "c", &b, &blen, &err), 0);
    CU_ASSERT(alen != blen || memcmp(a, b, alen) != 0);
    free(a);
    free(b);
    json_object_put(x);
    json_object_put(y);
    json_object_put(bad);
    json_object_put(p);
    json_object_put(q);
}

static void test_blob_roundtrip_and_tamper(void)
{
    const kms_key *k1 = keystore_find_key(&ks, KEY1), *k2 = keystore_find_key(&ks, KEY2);
    const unsigned char ctx[] = {0, 0}, other_ctx[] = {0, 1};
    const unsigned char pt[] = "sixteen byte key";
    unsigned char *blob, *out;
    size_t blob_len, out_len;
    blob_view v;
    kms_error err;
    CU_ASSERT_EQUAL_FATAL(blob_seal(k1, ctx, 2, pt, 16, &blob, &blob_len, &err), 0);
    CU_ASSERT_EQUAL(blob_len, 4 + 2 + strlen(KEY1) + 12 + 16 + 16);
    CU_ASSERT_EQUAL_FATAL(blob_parse(blob, blob_len, &v, &err), 0);
    CU_ASSERT_STRING_EQUAL(v.key_id, KEY1);
    CU_ASSERT_EQUAL_FATAL(blob_open(&v, k1, ctx, 2, &out, &out_len, &err), 0);
    CU_ASSERT_EQUAL(out_len, 16);
    CU_ASSERT_EQUAL(memcmp(out, pt, 16), 0);
    OPENSSL_secure_clear_free(out, out_len);
    CU_ASSERT_EQUAL(blob_open(&v, k1, other_ctx, 2, &out, &out_len, &err), -1);
    CU_ASSERT_STRING_EQUAL(err.type, "InvalidCiphertextException");
    CU_ASSERT_EQUAL(blob_open(&v, k2, ctx, 2, &out, &out_len, &err), -1);
    for (size_t i = 0; i < blob_len; i += 7) {
        blob[i] ^= 0x01;
        int parsed = blob_parse(blob, blob_len, &v, &err) == 0;
        const kms_key *k = parsed ? keystore_find_key(&ks, v.key_id) : NULL;
        CU_ASSERT(!parsed || k == NULL || blob_open(&v, k, ctx, 2, &out, &out_len, &err) != 0);
        blob[i] ^= 0x01;
    }
    for (size_t n = 0; n < blob_len; n++)
        CU_ASSERT(blob_parse(blob, n, &v, &err) != 0 || n >= 4 + 2 + strlen(KEY1) + 28);
    free(blob);
}

/* A response may carry a plaintext data key: cleansed before it is freed,
 * as the HTTP layer does. */
static void release_response(char *resp)
{
    if (resp != NULL) {
        OPENSSL_cleanse(resp, strlen(resp));
        free(resp);
    }
}

static void test_operations_directly(void)
{
    kms_error err;
    const char *gdk = "{\"KeyId\":\"alias/test-one\",\"KeySpec\":\"AES_256\"}";
    char *resp = kms_operation_run(&ks, KMS_SERVER_OP_GENERATE_DATA_KEY, gdk, strlen(gdk), &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(resp);
    CU_ASSERT_PTR_NOT_NULL(strstr(resp, "arn:aws:kms:eu-west-1:444455556666:key/" KEY1));
    release_response(resp);
    CU_ASSERT_PTR_NULL(
        kms_operation_run(&ks, KMS_SERVER_OP_DECRYPT, "{\"CiphertextBlob\":5}", 20, &err));
    CU_ASSERT_STRING_EQUAL(err.type, "ValidationException");
    CU_ASSERT_PTR_NULL(
        kms_operation_run(&ks, KMS_SERVER_OP_ENCRYPT, "{\"a\":1} trailing", 16, &err));
    CU_ASSERT_STRING_EQUAL(err.type, "SerializationException");
    const char *spaced = " {\"KeyId\":\"alias/test-two\",\"NumberOfBytes\":8}\r\n";
    resp = kms_operation_run(&ks, KMS_SERVER_OP_GENERATE_DATA_KEY, spaced, strlen(spaced), &err);
    CU_ASSERT_PTR_NOT_NULL(resp);
    release_response(resp);
    CU_ASSERT_PTR_NULL(kms_operation_run(&ks, KMS_SERVER_OP_ENCRYPT, "{} {}", 5, &err));
    CU_ASSERT_STRING_EQUAL(err.type, "SerializationException");
    CU_ASSERT_PTR_NULL(kms_operation_run(&ks, KMS_SERVER_OP_UNKNOWN, "{}", 2, &err));
    CU_ASSERT_STRING_EQUAL(err.type, "UnknownOperationException");
    CU_ASSERT_EQUAL(kms_operation_from_target("TrentService.ReEncrypt"), KMS_SERVER_OP_RE_ENCRYPT);
    CU_ASSERT_EQUAL(kms_operation_from_target("TrentService.Foo"), KMS_SERVER_OP_UNKNOWN);
    CU_ASSERT_EQUAL(kms_operation_from_target(NULL), KMS_SERVER_OP_UNKNOWN);
}

/* A request signed at signed_at with its first n_signed headers (all: every
 * header it sends), checked at now. */
static int auth_signing(const sigv4_credentials *creds, time_t signed_at, time_t now,
                        const char *token_header, size_t n_signed, kms_error *err)
{
    char date[SIGV4_AMZ_DATE_LEN + 1], auth[1024];
    const char *body = "{}";
    sigv4_format_amz_date(signed_at, date, sizeof(date));
    sigv4_header h[5] = {{"Host", "127.0.0.1:1"},
                         {"X-Amz-Date", date},
                         {"Content-Type", "application/x-amz-json-1.1"},
                         {"X-Amz-Target", "TrentService.Decrypt"},
                         {"X-Amz-Security-Token", token_header}};
    size_t n = token_header ? 5 : 4;
    if (n_signed > n)
        n_signed = n;
    if (sigv4_authorization(NULL, creds, "POST", "/", "", h, n_signed, (const unsigned char *)body,
                            2, date, auth, sizeof(auth)) != SIGV4_OK)
        return -2;
    sigv4_header all[6];
    memcpy(all, h, sizeof(h));
    all[n].name = "Authorization";
    all[n].value = auth;
    http_request_view r = {"POST", "/", 0, all, n + 1, (const unsigned char *)body, 2};
    return request_auth_verify(&ks, &r, now, 900, err);
}

static int auth_at(const sigv4_credentials *creds, time_t signed_at, time_t now,
                   const char *token_header, kms_error *err)
{
    return auth_signing(creds, signed_at, now, token_header, 5, err);
}

/* A header the server acts on but the signature leaves out is refused: an
 * unsigned X-Amz-Target would let a captured request run as another
 * operation. */
static void test_request_auth_requires_signed_target(void)
{
    sigv4_credentials plain = {"AKIDTESTPLAIN", "plain-secret", NULL, "eu-west-1", "kms"};
    sigv4_credentials session = {"ASIATESTSESSION", "session-secret",
                                 "test-session-token/with+chars==", "eu-west-1", "kms"};
    time_t now = 1700000000;
    kms_error err;
    for (size_t n_signed = 2; n_signed < 4; n_signed++) {
        CU_ASSERT_EQUAL(auth_signing(&plain, now, now, NULL, n_signed, &err), -1);
        CU_ASSERT_STRING_EQUAL(err.type, "IncompleteSignatureException");
        CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "x-amz-target"));
    }
    CU_ASSERT_EQUAL(auth_signing(&plain, now, now, NULL, 4, &err), 0);
    CU_ASSERT_EQUAL(auth_signing(&session, now, now, session.session_token, 4, &err), -1);
    CU_ASSERT_STRING_EQUAL(err.type, "IncompleteSignatureException");
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "x-amz-security-token"));
    CU_ASSERT_EQUAL(auth_signing(&session, now, now, session.session_token, 5, &err), 0);
}

static void test_request_auth_policy(void)
{
    sigv4_credentials plain = {"AKIDTESTPLAIN", "plain-secret", NULL, "eu-west-1", "kms"};
    sigv4_credentials session = {"ASIATESTSESSION", "session-secret",
                                 "test-session-token/with+chars==", "eu-west-1", "kms"};
    sigv4_credentials wrong_service = plain;
    wrong_service.service = "s3";
    kms_error err;
    time_t now = 1700000000;
    CU_ASSERT_EQUAL(auth_at(&plain, now, now, NULL, &err), 0);
    CU_ASSERT_EQUAL(auth_at(&plain, now - 899, now, NULL, &err), 0);
    CU_ASSERT_EQUAL(auth_at(&plain, now + 899, now, NULL, &err), 0);
    CU_ASSERT_EQUAL(auth_at(&plain, now - 901, now, NULL, &err), -1);
    CU_ASSERT_STRING_EQUAL(err.type, "InvalidSignatureException");
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "expired"));
    CU_ASSERT_EQUAL(auth_at(&plain, now + 901, now, NULL, &err), -1);
    CU_ASSERT_EQUAL(auth_at(&wrong_service, now, now, NULL, &err), -1);
    CU_ASSERT_STRING_EQUAL(err.type, "InvalidSignatureException");
    CU_ASSERT_EQUAL(auth_at(&session, now, now, session.session_token, &err), 0);
    CU_ASSERT_EQUAL(auth_at(&session, now, now, NULL, &err), -1);
    CU_ASSERT_STRING_EQUAL(err.type, "UnrecognizedClientException");
    CU_ASSERT_EQUAL(auth_at(&plain, now, now, "unexpected", &err), -1);
    CU_ASSERT_STRING_EQUAL(err.type, "UnrecognizedClientException");
}

static void test_fault_rule_parsing(void)
{
    fault_rule r;
    char detail[160];
    const char *ok = "{\"operation\":\"Decrypt\",\"error_type\":\"ThrottlingException\","
                     "\"rate\":0.25,\"count\":3,\"latency_ms\":10}";
    CU_ASSERT_EQUAL_FATAL(control_parse_fault(ok, strlen(ok), &r, detail, sizeof(detail)), 0);
    CU_ASSERT_EQUAL(r.operation, KMS_SERVER_OP_DECRYPT);
    CU_ASSERT_EQUAL(r.action, FAULT_AWS_ERROR);
    CU_ASSERT_STRING_EQUAL(r.error_type, "ThrottlingException");
    CU_ASSERT_EQUAL(r.remaining, 3);
    CU_ASSERT_EQUAL(r.latency_ms, 10);
    static const char *bad[] = {"[]",
                                "{\"operation\":\"CreateKey\"}",
                                "{\"action\":\"error\"}",
                                "{\"rate\":2}",
                                "{\"count\":0}",
                                "{\"latency_ms\":-1}",
                                "{\"action\":\"boom\"}",
                                "{\"action\":null}",
                                "{\"action\":7}",
                                "{\"operation\":null}",
                                "{\"error_type\":null}",
                                "{\"rate\":null}",
                                "{\"rate\":\"0.5\"}",
                                "{\"count\":null}",
                                "{\"count\":1.5}",
                                "{\"latency_ms\":\"5\"}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CU_ASSERT_EQUAL(control_parse_fault(bad[i], strlen(bad[i]), &r, detail, sizeof(detail)),
                        -1);
}

/* A NUL would cut a key name or a context value short in the server's C view. */
static void test_request_refuses_nul(void)
{
    static const char *bad[] = {
        "{\"KeyId\":\"alias/dekcache-local\\u0000junk\"}",
        "{\"EncryptionContext\":{\"purpose\":\"tenant-A\\u0000evil\"}}",
        "{\"EncryptionContext\":{\"k\\u0000x\":\"v\"}}",
    };
    kms_error err;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&err, 0, sizeof(err));
        CU_ASSERT_PTR_NULL(kms_request_parse(bad[i], strlen(bad[i]), &err));
        CU_ASSERT_STRING_EQUAL(err.type, "ValidationException");
    }
    static const char raw_nul[] = "{\"KeyId\":\"a\0b\"}";
    CU_ASSERT_PTR_NULL(kms_request_parse(raw_nul, sizeof(raw_nul) - 1, &err));
    /* An escaped backslash followed by the text u0000 is no NUL. */
    static const char fine[] = "{\"EncryptionContext\":{\"k\":\"a\\\\u0000\"}}";
    json_object *req = kms_request_parse(fine, strlen(fine), &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(req);
    json_object *ctx, *v;
    CU_ASSERT_TRUE(json_object_object_get_ex(req, "EncryptionContext", &ctx));
    CU_ASSERT_TRUE(json_object_object_get_ex(ctx, "k", &v));
    CU_ASSERT_STRING_EQUAL(json_object_get_string(v), "a\\u0000");
    json_secret_release(req);
}

static void test_fault_pick_count_and_operation(void)
{
    control_state *s = control_state_new();
    fault_rule r = {KMS_SERVER_OP_DECRYPT, 0, FAULT_HTTP_503, "", 1.0, 2};
    fault_decision d;
    CU_ASSERT_EQUAL(control_fault_add(s, &r), 1);
    control_fault_pick(s, KMS_SERVER_OP_ENCRYPT, &d);
    CU_ASSERT_EQUAL(d.action, FAULT_NONE);
    control_fault_pick(s, KMS_SERVER_OP_DECRYPT, &d);
    CU_ASSERT_EQUAL(d.action, FAULT_HTTP_503);
    control_fault_pick(s, KMS_SERVER_OP_DECRYPT, &d);
    CU_ASSERT_EQUAL(d.action, FAULT_HTTP_503);
    control_fault_pick(s, KMS_SERVER_OP_DECRYPT, &d);
    CU_ASSERT_EQUAL(d.action, FAULT_NONE);
    control_state_free(s);
}

static void test_json_secret(void)
{
    static const char text[] = "{\"Plaintext\": \"c2VjcmV0\", \"Grants\": [\"t1\"],"
                               " \"Ctx\": {\"k\": \"v\"}} \r\n";
    json_object *o = json_secret_parse(text, strlen(text), 8, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    json_object *plain = NULL, *grants = NULL, *ctx = NULL, *v = NULL;
    CU_ASSERT_FATAL(json_object_object_get_ex(o, "Plaintext", &plain) &&
                    json_object_object_get_ex(o, "Grants", &grants) &&
                    json_object_object_get_ex(o, "Ctx", &ctx) &&
                    json_object_object_get_ex(ctx, "k", &v));
    /* Held by a second reference, the tree outlives the release: every string
     * in it, nested ones included, must be zeros by then. */
    json_object_get(o);
    json_secret_release(o);
    static const char zeros[8] = {0};
    CU_ASSERT(memcmp(json_object_get_string(plain), zeros, 8) == 0);
    CU_ASSERT(memcmp(json_object_get_string(json_object_array_get_idx(grants, 0)), zeros, 2) == 0);
    CU_ASSERT(memcmp(json_object_get_string(v), zeros, 1) == 0);
    json_object_put(o);
    json_secret_release(NULL);

    static const char *bad[] = {"{} x", "{\"a\":1}{}", "{\"a\":", "", "[[[[[[[[[[1]]]]]]]]]]"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CU_ASSERT_PTR_NULL(json_secret_parse(bad[i], strlen(bad[i]), 8, NULL));
    CU_ASSERT_PTR_NULL(json_secret_parse("{}\0{}", 5, 8, NULL));
    /* The NUL rule is the parser's, for client and server alike. */
    json_secret_error error = {JSON_SECRET_MALFORMED, NULL};
    static const char escaped[] = "{\"KeyId\":\"a\\u0000b\"}";
    CU_ASSERT_PTR_NULL(json_secret_parse(escaped, strlen(escaped), 8, &error));
    CU_ASSERT_EQUAL(error.kind, JSON_SECRET_HAS_NUL);
    CU_ASSERT_STRING_EQUAL(error.why, "a NUL character");
    CU_ASSERT_PTR_NULL(json_secret_parse("{\"a\":", 5, 8, &error));
    CU_ASSERT_EQUAL(error.kind, JSON_SECRET_MALFORMED);
}

/* A member named twice in one object is refused, however it is spelt (json-c
 * compares names unescaped); the same name in different objects, in values,
 * or past the depth json-c reads is not a repetition. */
static void test_json_repeated_member(void)
{
    static const char *repeated[] = {
        "{\"a\":1,\"a\":2}",
        "{\"a\":1,\"\\u0061\":2}",
        "{\"x\":{\"p\":\"s\",\"q\":[1,{}],\"p\":\"t\"}}",
        "[{\"k\":1},{\"k\":1,\"k\":2}]",
        "{\"\\ud83d\\ude00\":1,\"\xf0\x9f\x98\x80\":2}",
        "{\"\\\"\":1,\"\\\"\":2}",
        "{\"\":1,\"\":2}",
    };
    json_secret_error error;
    for (size_t i = 0; i < sizeof(repeated) / sizeof(repeated[0]); i++) {
        error.why = NULL;
        CU_ASSERT_PTR_NULL(json_secret_parse(repeated[i], strlen(repeated[i]), 8, &error));
        CU_ASSERT_PTR_NOT_NULL(error.why);
        if (error.why != NULL)
            CU_ASSERT_STRING_EQUAL(error.why, "an object names a member twice");
    }
    static const char *distinct[] = {
        "{\"a\":{\"a\":1},\"b\":{\"a\":2}}",           "[{\"k\":1},{\"k\":2}]",
        "{\"a\":\"a\",\"b\":[\"a\",\"a\"]}",           "{\"a\\\"\":1,\"a\":2}",
        "{\"\\ud83d\\ude00\":1,\"\\ud83d\\ude01\":2}",
    };
    for (size_t i = 0; i < sizeof(distinct) / sizeof(distinct[0]); i++) {
        json_object *o = json_secret_parse(distinct[i], strlen(distinct[i]), 8, NULL);
        CU_ASSERT_PTR_NOT_NULL(o);
        json_secret_release(o);
    }
}

static void test_json_member(void)
{
    static const char text[] = "{\"s\":\"text\",\"i\":3,\"d\":0.5,\"b\":true,\"n\":null}";
    json_object *o = json_secret_parse(text, strlen(text), 8, NULL), *v;
    const char *str;
    size_t len = 99;
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    CU_ASSERT_EQUAL(json_member_string(o, "s", JSON_MEMBER_NULL_IS_WRONG_TYPE, &str, &len),
                    JSON_MEMBER_FOUND);
    CU_ASSERT_STRING_EQUAL(str, "text");
    CU_ASSERT_EQUAL(len, 4);
    CU_ASSERT_EQUAL(json_member_string(o, "i", JSON_MEMBER_NULL_IS_ABSENT, &str, &len),
                    JSON_MEMBER_WRONG_TYPE);
    CU_ASSERT_PTR_NULL(str);
    CU_ASSERT_EQUAL(len, 0);
    CU_ASSERT_EQUAL(json_member_get(o, "x", json_type_int, JSON_MEMBER_NULL_IS_WRONG_TYPE, &v),
                    JSON_MEMBER_ABSENT);
    CU_ASSERT_PTR_NULL(v);
    /* null: left out in AWS's protocol, a mistake in our own formats */
    CU_ASSERT_EQUAL(json_member_get(o, "n", json_type_int, JSON_MEMBER_NULL_IS_ABSENT, &v),
                    JSON_MEMBER_ABSENT);
    CU_ASSERT_EQUAL(json_member_get(o, "n", json_type_int, JSON_MEMBER_NULL_IS_WRONG_TYPE, &v),
                    JSON_MEMBER_WRONG_TYPE);
    /* json_type_double is any number; json_type_int only an integer */
    CU_ASSERT_EQUAL(json_member_get(o, "i", json_type_double, JSON_MEMBER_NULL_IS_ABSENT, &v),
                    JSON_MEMBER_FOUND);
    CU_ASSERT_EQUAL(json_object_get_int(v), 3);
    CU_ASSERT_EQUAL(json_member_get(o, "d", json_type_int, JSON_MEMBER_NULL_IS_ABSENT, &v),
                    JSON_MEMBER_WRONG_TYPE);
    CU_ASSERT_EQUAL(json_member_get(o, "b", json_type_boolean, JSON_MEMBER_NULL_IS_ABSENT, &v),
                    JSON_MEMBER_FOUND);
    /* A value that is not an object has no members. */
    CU_ASSERT_EQUAL(json_member_get(v, "b", json_type_boolean, JSON_MEMBER_NULL_IS_ABSENT, &v),
                    JSON_MEMBER_ABSENT);
    CU_ASSERT_STRING_EQUAL(json_member_type_name(json_type_object), "an object");
    CU_ASSERT_STRING_EQUAL(json_member_type_name(json_type_boolean), "true or false");
    json_secret_release(o);
}

/* AWS's JSON protocol: a member set to null is one left out. */
static void test_request_null_members_absent(void)
{
    kms_error err;
    const char *gdk = "{\"KeyId\":\"alias/test-one\",\"KeySpec\":\"AES_128\","
                      "\"NumberOfBytes\":null,\"EncryptionContext\":null,\"GrantTokens\":null}";
    char *resp = kms_operation_run(&ks, KMS_SERVER_OP_GENERATE_DATA_KEY, gdk, strlen(gdk), &err);
    CU_ASSERT_PTR_NOT_NULL(resp);
    release_response(resp);
    const char *no_key = "{\"KeyId\":null,\"KeySpec\":\"AES_128\"}";
    CU_ASSERT_PTR_NULL(
        kms_operation_run(&ks, KMS_SERVER_OP_GENERATE_DATA_KEY, no_key, strlen(no_key), &err));
    CU_ASSERT_STRING_EQUAL(err.message, "KeyId is required");
    const char *bad_context = "{\"KeyId\":\"alias/test-one\",\"KeySpec\":\"AES_128\","
                              "\"EncryptionContext\":\"x\"}";
    CU_ASSERT_PTR_NULL(kms_operation_run(&ks, KMS_SERVER_OP_GENERATE_DATA_KEY, bad_context,
                                         strlen(bad_context), &err));
    CU_ASSERT_STRING_EQUAL(err.message, "EncryptionContext must be an object");
    const char *bad_bytes = "{\"KeyId\":\"alias/test-one\",\"NumberOfBytes\":\"8\"}";
    CU_ASSERT_PTR_NULL(kms_operation_run(&ks, KMS_SERVER_OP_GENERATE_DATA_KEY, bad_bytes,
                                         strlen(bad_bytes), &err));
    CU_ASSERT_STRING_EQUAL(err.message, "NumberOfBytes must be an integer in 1..1024");
}

int main(void)
{
    /* Before any OpenSSL allocation, or OpenSSL refuses. */
    counted_allocator_installed =
        CRYPTO_set_mem_functions(counted_malloc, counted_realloc, counted_free);
    static const dekcache_test_case tests[] = {
        {"resolve_key_forms", test_resolve_key_forms},
        {"material_from_file_and_seed", test_material_from_file_and_seed},
        {"config_errors", test_config_errors},
        {"config_out_of_memory", test_config_out_of_memory},
        {"defaults", test_defaults},
        {"context_serialization", test_context_serialization},
        {"blob_roundtrip_and_tamper", test_blob_roundtrip_and_tamper},
        {"operations_directly", test_operations_directly},
        {"request_auth_policy", test_request_auth_policy},
        {"request_auth_requires_signed_target", test_request_auth_requires_signed_target},
        {"json_repeated_member", test_json_repeated_member},
        {"fault_rule_parsing", test_fault_rule_parsing},
        {"fault_pick_count_and_operation", test_fault_pick_count_and_operation},
        {"request_refuses_nul", test_request_refuses_nul},
        {"json_secret parse and cleansing release", test_json_secret},
        {"json_member typed look-ups", test_json_member},
        {"request members set to null count as absent", test_request_null_members_absent},
        {NULL, NULL}};
    dekcache_add_suite("kms_server_units", load_test_config, free_keystore, tests);
    return dekcache_run_tests();
}
