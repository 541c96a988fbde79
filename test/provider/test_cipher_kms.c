/* The DEKCACHE cipher against the real local KMS server over HTTP: the cache
 * makes exactly the KMS calls its limits allow, concurrent decryptions share
 * one Decrypt, and the failures a user meets have clear messages. */
#include <CUnit/CUnit.h>
#include <openssl/err.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cunit_run.h"
#include "include/dekcache.h"
#include "kms_fixture.h"
#include "parallel_encrypt.h"
#include "provider_fixture.h"
#include "test/support/start_gate.h"

#define ACCESS_KEY "AKIDPROVIDERTEST"
#define SECRET_KEY "provider-test-secret"
#define ARN_PREFIX "arn:aws:kms:us-east-1:111122223333:key/"

/* The provider keeps a CMM for at most this many distinct key ids
 * (DEKCACHE_MAX_KEY_CMMS); the server has one filler key fewer, so that with
 * alias/main every id up to the limit names a real key. */
#define KEY_TABLE_LIMIT 64
#define FILLER_KEYS     (KEY_TABLE_LIMIT - 1)

static kms_fixture_server server;
static char server_config[256];

static const char server_json_format[] =
    "{\"region\": \"us-east-1\", \"account\": \"111122223333\", \"seed\": \"provider tests\","
    " \"keys\": [{\"id\": \"k-main\"}, {\"id\": \"k-other\"},"
    "            {\"id\": \"k-disabled\", \"enabled\": false}%s],"
    " \"aliases\": {\"alias/main\": \"k-main\", \"alias/other\": \"k-other\","
    "               \"alias/disabled\": \"k-disabled\"},"
    " \"credentials\": [{\"access_key_id\": \"" ACCESS_KEY "\","
    "                   \"secret_access_key\": \"" SECRET_KEY "\"}]}";

static int suite_init(void)
{
    kms_fixture_use_credentials(ACCESS_KEY, SECRET_KEY, "us-east-1");
    unsetenv("DEKCACHE_KEY_ID");
    char fillers[FILLER_KEYS * 24 + 1] = "", server_json[sizeof(fillers) + 1024];
    for (int i = 0, used = 0; i < FILLER_KEYS; i++)
        used += snprintf(fillers + used, sizeof(fillers) - (size_t)used,
                         ", {\"id\": \"k-fill-%d\"}", i);
    int n = snprintf(server_json, sizeof(server_json), server_json_format, fillers);
    if (n <= 0 || (size_t)n >= sizeof(server_json) ||
        fixture_temp_file(server_json, (size_t)n, server_config, sizeof(server_config)) == NULL)
        return 1;
    kms_fixture_options opts = {.config_path = server_config};
    return kms_fixture_start(&opts, &server) == 0 ? 0 : 1;
}

static int suite_cleanup(void)
{
    int rc = kms_fixture_stop(&server);
    unlink(server_config);
    return rc == 0 ? 0 : 1;
}

/* A provider instance talking to the server with the given extra lines. */
static int start_provider(provider_fixture *fx, const char *extra)
{
    char lines[2048];
    snprintf(lines, sizeof(lines), "kms_endpoint = %s\n%s\n", server.endpoint, extra);
    int ok = provider_fixture_start(fx, lines);
    if (!ok) {
        char err[2048];
        fprintf(stderr, "provider start failed: %s\n", fixture_last_error(err, sizeof(err)));
    }
    return ok;
}

/* 16 threads x 50 messages, at most 10 per data key: exactly 80 KMS calls. */
static void test_generate_data_key_count(void)
{
    provider_fixture fx;
    CU_ASSERT_FATAL(start_provider(&fx, "key_id = alias/main\ncache_max_messages = 10"));
    CU_ASSERT_FATAL(kms_fixture_reset(&server) == 0);
    key_usage usage;
    parallel_encrypt(&fx, 16, 50, &usage);
    long generate = kms_fixture_op_calls(&server, "GenerateDataKey");
    printf("\n  %zu messages: %ld GenerateDataKey calls, %zu data keys, the busiest %zu times\n",
           usage.messages, generate, usage.distinct_keys, usage.busiest_key);
    CU_ASSERT_EQUAL(usage.failures, 0);
    CU_ASSERT_EQUAL(usage.messages, 800);
    CU_ASSERT_EQUAL(generate, 80);
    CU_ASSERT_EQUAL(usage.distinct_keys, 80);
    CU_ASSERT(usage.busiest_key <= 10);
    char stats[1024];
    CU_ASSERT_FATAL(fixture_stats(&fx, stats, sizeof(stats)));
    printf("  stats: %s\n", stats);
    CU_ASSERT_EQUAL(fixture_stat(stats, "/kms/calls/GenerateDataKey"), generate);
    CU_ASSERT_EQUAL(fixture_stat(stats, "/cache/upstream_calls"), 80);
    CU_ASSERT_EQUAL(fixture_stat(stats, "/cache/hits") + fixture_stat(stats, "/cache/misses"), 800);
    CU_ASSERT_EQUAL(fixture_stat(stats, "/cache/bypasses"), 0);
    CU_ASSERT_EQUAL(fixture_stat(stats, "/kms/failures/GenerateDataKey"), 0);
    CU_ASSERT_EQUAL(fixture_stat(stats, "/kms/retries"), 0);
    provider_fixture_stop(&fx);
}

typedef struct {
    provider_fixture *fx;
    const OSSL_PARAM *params;
    const unsigned char *ct;
    size_t ct_len;
    const unsigned char *plain;
    size_t plain_len;
    start_gate *start;
    int ok;
} decrypt_job;

static void *decrypt_worker(void *arg)
{
    decrypt_job *job = arg;
    unsigned char *back = NULL;
    size_t back_len = 0;
    if (!start_gate_wait(job->start))
        return NULL;
    job->ok =
        fixture_cipher(job->fx, 0, job->params, job->ct, job->ct_len, NULL, 0, &back, &back_len) &&
        back_len == job->plain_len && memcmp(back, job->plain, back_len) == 0;
    OPENSSL_free(back);
    return NULL;
}

/* Encrypts with params, then decrypts with params on 10 threads at once. */
static void parallel_decrypt_one_kms_call(const OSSL_PARAM *params)
{
    provider_fixture enc_fx, dec_fx;
    CU_ASSERT_FATAL(start_provider(&enc_fx, "key_id = alias/main"));
    CU_ASSERT_FATAL(start_provider(&dec_fx, "decrypt_keys = alias/main"));
    unsigned char plain[3000];
    RAND_bytes(plain, sizeof(plain));
    unsigned char *ct = NULL;
    size_t ct_len = 0;
    CU_ASSERT_FATAL(
        fixture_cipher(&enc_fx, 1, params, plain, sizeof(plain), NULL, 0, &ct, &ct_len));
    CU_ASSERT_FATAL(kms_fixture_reset(&server) == 0);

    start_gate start;
    start_gate_init(&start);
    decrypt_job jobs[10];
    pthread_t threads[10];
    int started = 0;
    for (; started < 10; started++) {
        jobs[started] = (decrypt_job){&dec_fx, params, ct, ct_len, plain, sizeof(plain), &start, 0};
        if (pthread_create(&threads[started], NULL, decrypt_worker, &jobs[started]) != 0)
            break;
    }
    start_gate_release(&start, started, 10);
    for (int i = 0; i < started; i++) {
        pthread_join(threads[i], NULL);
        CU_ASSERT(jobs[i].ok);
    }
    CU_ASSERT_EQUAL(started, 10);
    CU_ASSERT_EQUAL(kms_fixture_op_calls(&server, "Decrypt"), 1);
    char stats[1024];
    CU_ASSERT_FATAL(fixture_stats(&dec_fx, stats, sizeof(stats)));
    printf("\n  stats: %s\n", stats);
    CU_ASSERT_EQUAL(fixture_stat(stats, "/kms/calls/Decrypt"), 1);
    CU_ASSERT_EQUAL(fixture_stat(stats, "/cache/upstream_calls"), 1);
    CU_ASSERT_EQUAL(fixture_stat(stats, "/cache/entries"), 1);
    CU_ASSERT_EQUAL(fixture_stat(stats, "/cache/bypasses"), 0);
    start_gate_destroy(&start);
    OPENSSL_free(ct);
    provider_fixture_stop(&enc_fx);
    provider_fixture_stop(&dec_fx);
}

static void test_parallel_decrypt_one_kms_call(void)
{
    parallel_decrypt_one_kms_call(NULL);
}

/* The same with the encryption context reproduced on decryption, as an ESDK
 * user checking it would: still one Decrypt. */
static void test_parallel_decrypt_with_context_one_kms_call(void)
{
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(DEKCACHE_PARAM_ENCRYPTION_CONTEXT,
                                                            "tenant=blue,purpose=test", 0),
                           OSSL_PARAM_construct_end()};
    parallel_decrypt_one_kms_call(params);
}

/* The key ARN and message ID of an encryption, read right after init (that
 * starts the message); both for the configured key and for a key-id kept
 * across a re-init with a NULL key. */
static void read_message_params(EVP_CIPHER_CTX *ctx, char *arn, size_t arn_len,
                                unsigned char id[32], size_t *id_len)
{
    OSSL_PARAM get[] = {OSSL_PARAM_construct_utf8_string(DEKCACHE_PARAM_KEY_ARN, arn, arn_len),
                        OSSL_PARAM_construct_octet_string(DEKCACHE_PARAM_MESSAGE_ID, id, 32),
                        OSSL_PARAM_construct_end()};
    arn[0] = '\0';
    CU_ASSERT(EVP_CIPHER_CTX_get_params(ctx, get));
    *id_len = get[1].return_size;
}

static void expect_error(const char *err, const char *needle)
{
    CU_ASSERT_PTR_NOT_NULL(strstr(err, needle));
    if (strstr(err, needle) == NULL)
        fprintf(stderr, "expected \"%s\" in:\n%s\n", needle, err);
}

static void test_key_arn_reported(void)
{
    provider_fixture fx;
    CU_ASSERT_FATAL(start_provider(&fx, "key_id = alias/main"));
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    char arn[256];
    unsigned char id1[32], id2[32], out[8192], in[10] = {0};
    size_t id1_len = 0, id2_len = 0;
    int outl = 0;
    CU_ASSERT_FATAL(EVP_EncryptInit_ex2(ctx, fx.cipher, (const unsigned char *)"", NULL, NULL));
    read_message_params(ctx, arn, sizeof(arn), id1, &id1_len);
    CU_ASSERT_STRING_EQUAL(arn, ARN_PREFIX "k-main");
    CU_ASSERT_EQUAL(id1_len, 32);
    CU_ASSERT(EVP_EncryptUpdate(ctx, out, &outl, in, sizeof(in)));

    OSSL_PARAM other[] = {OSSL_PARAM_construct_utf8_string(DEKCACHE_PARAM_KEY_ID, "alias/other", 0),
                          OSSL_PARAM_construct_end()};
    CU_ASSERT_FATAL(EVP_EncryptInit_ex2(ctx, fx.cipher, (const unsigned char *)"", NULL, other));
    CU_ASSERT_FATAL(EVP_EncryptInit_ex2(ctx, NULL, NULL, NULL, NULL)); /* keeps alias/other */
    read_message_params(ctx, arn, sizeof(arn), id2, &id2_len);
    CU_ASSERT_STRING_EQUAL(arn, ARN_PREFIX "k-other");
    CU_ASSERT(id2_len == 32 && memcmp(id1, id2, 32) != 0);
    EVP_CIPHER_CTX_free(ctx);

    /* A key reference loaded as an EVP_PKEY names its key and KMS ARN. */
    EVP_PKEY *key = fixture_load_key(&fx, "dekcache:alias/main?tenant=acme");
    CU_ASSERT_PTR_NOT_NULL_FATAL(key);
    char key_id[64] = "";
    CU_ASSERT(
        EVP_PKEY_get_utf8_string_param(key, DEKCACHE_PARAM_KEY_ID, key_id, sizeof(key_id), NULL));
    CU_ASSERT_STRING_EQUAL(key_id, "alias/main");
    CU_ASSERT(EVP_PKEY_get_utf8_string_param(key, DEKCACHE_PARAM_KEY_ARN, arn, sizeof(arn), NULL));
    CU_ASSERT_STRING_EQUAL(arn, ARN_PREFIX "k-main");
    EVP_PKEY_free(key);

    /* A reference that already names a key ARN is answered without KMS. */
    CU_ASSERT_FATAL(kms_fixture_reset(&server) == 0);
    key = fixture_load_key(&fx, "dekcache:" ARN_PREFIX "k-other");
    CU_ASSERT_PTR_NOT_NULL_FATAL(key);
    CU_ASSERT(EVP_PKEY_get_utf8_string_param(key, DEKCACHE_PARAM_KEY_ARN, arn, sizeof(arn), NULL));
    CU_ASSERT_STRING_EQUAL(arn, ARN_PREFIX "k-other");
    CU_ASSERT_EQUAL(kms_fixture_op_calls(&server, "DescribeKey"), 0);
    EVP_PKEY_free(key);

    /* An alias that KMS does not know fails with the reason. */
    key = fixture_load_key(&fx, "dekcache:alias/nowhere");
    CU_ASSERT_PTR_NOT_NULL_FATAL(key);
    ERR_clear_error();
    CU_ASSERT_FALSE(
        EVP_PKEY_get_utf8_string_param(key, DEKCACHE_PARAM_KEY_ARN, arn, sizeof(arn), NULL));
    char err[1024];
    fixture_last_error(err, sizeof(err));
    expect_error(err, "cannot resolve 'alias/nowhere' to a key ARN");
    EVP_PKEY_free(key);
    provider_fixture_stop(&fx);
}

static const unsigned char cached_plain[100] = {7};

/* One cached encryption (plaintext-length set) under key_id; *ct replaced. */
static int encrypt_cached_under(provider_fixture *fx, const char *key_id, unsigned char **ct,
                                size_t *ct_len)
{
    OPENSSL_free(*ct);
    *ct = NULL;
    return fixture_encrypt_declared(fx, key_id, cached_plain, sizeof(cached_plain), ct, ct_len);
}

static int decrypts(provider_fixture *fx, const unsigned char *ct, size_t ct_len)
{
    return fixture_decrypts_to(fx, ct, ct_len, cached_plain, sizeof(cached_plain));
}

static int invalidate(provider_fixture *fx, const char *uri)
{
    EVP_PKEY *key = fixture_load_key(fx, uri);
    int ok = key != NULL && EVP_PKEY_set_int_param(key, DEKCACHE_PKEY_PARAM_INVALIDATE_CACHE, 1);
    EVP_PKEY_free(key);
    return ok;
}

/* An instance whose cache holds data keys of alias/main and alias/other for
 * encryption and main_ct's for decryption; the server's counters were reset
 * before (2 GenerateDataKey, 1 Decrypt since). */
static void warm_two_keys(provider_fixture *fx, unsigned char **main_ct, size_t *main_len,
                          unsigned char **other_ct, size_t *other_len)
{
    CU_ASSERT_FATAL(start_provider(fx, "key_id = alias/main\ndecrypt_keys = alias/other"));
    CU_ASSERT_FATAL(kms_fixture_reset(&server) == 0);
    CU_ASSERT(encrypt_cached_under(fx, "alias/main", main_ct, main_len));
    CU_ASSERT(encrypt_cached_under(fx, "alias/other", other_ct, other_len));
    CU_ASSERT(decrypts(fx, *main_ct, *main_len));
}

/* invalidate-cache on a key reference drops the data keys of that KMS key
 * only, for encryption and decryption; the next messages ask KMS again. */
static void test_invalidate_cache_by_key(void)
{
    provider_fixture fx;
    unsigned char *main_ct = NULL, *other_ct = NULL;
    size_t main_len = 0, other_len = 0;
    char stats[2048];
    warm_two_keys(&fx, &main_ct, &main_len, &other_ct, &other_len);
    CU_ASSERT(decrypts(&fx, other_ct, other_len));
    CU_ASSERT(encrypt_cached_under(&fx, "alias/main", &main_ct, &main_len)); /* a hit */
    CU_ASSERT_EQUAL(kms_fixture_op_calls(&server, "GenerateDataKey"), 2);
    CU_ASSERT_EQUAL(kms_fixture_op_calls(&server, "Decrypt"), 2);

    /* The ARN form names the same key as the alias the entries came from. */
    CU_ASSERT(invalidate(&fx, "dekcache:" ARN_PREFIX "k-main"));
    CU_ASSERT_FATAL(fixture_stats(&fx, stats, sizeof(stats)));
    CU_ASSERT_EQUAL(fixture_stat(stats, "/cache/evictions/invalidated"), 2);
    CU_ASSERT_EQUAL(fixture_stat(stats, "/cache/entries"), 2);
    CU_ASSERT(encrypt_cached_under(&fx, "alias/main", &main_ct, &main_len));
    CU_ASSERT(encrypt_cached_under(&fx, "alias/other", &other_ct, &other_len));
    CU_ASSERT_EQUAL(kms_fixture_op_calls(&server, "GenerateDataKey"), 3);
    CU_ASSERT(decrypts(&fx, main_ct, main_len));
    CU_ASSERT(decrypts(&fx, other_ct, other_len));
    CU_ASSERT_EQUAL(kms_fixture_op_calls(&server, "Decrypt"), 3);

    /* The default key, through a reference without a key id. */
    CU_ASSERT(invalidate(&fx, "dekcache:"));
    CU_ASSERT(encrypt_cached_under(&fx, "alias/main", &main_ct, &main_len));
    CU_ASSERT_EQUAL(kms_fixture_op_calls(&server, "GenerateDataKey"), 4);

    /* A key ARN needs no DescribeKey; an alias KMS no longer describes still
     * names the key this instance resolved it to. */
    long described = kms_fixture_op_calls(&server, "DescribeKey");
    CU_ASSERT(invalidate(&fx, "dekcache:" ARN_PREFIX "k-main"));
    CU_ASSERT_EQUAL(kms_fixture_op_calls(&server, "DescribeKey"), described);
    CU_ASSERT(encrypt_cached_under(&fx, "alias/main", &main_ct, &main_len));
    kms_fixture_fault gone = {
        .operation = "DescribeKey", .action = "error", .error_type = "NotFoundException"};
    CU_ASSERT_FATAL(kms_fixture_add_fault(&server, &gone) == 0);
    CU_ASSERT(invalidate(&fx, "dekcache:alias/main"));
    CU_ASSERT_EQUAL(ERR_peek_error(), 0);
    CU_ASSERT_FATAL(kms_fixture_clear_faults(&server) == 0);
    CU_ASSERT(encrypt_cached_under(&fx, "alias/main", &main_ct, &main_len));
    CU_ASSERT_EQUAL(kms_fixture_op_calls(&server, "GenerateDataKey"), 6);
    CU_ASSERT_FATAL(fixture_stats(&fx, stats, sizeof(stats)));
    CU_ASSERT_EQUAL(fixture_stat(stats, "/cache/evictions/invalidated"), 6);

    char err[1024];
    EVP_PKEY *key = fixture_load_key(&fx, "dekcache:alias/main");
    CU_ASSERT_PTR_NOT_NULL_FATAL(key);
    ERR_clear_error();
    CU_ASSERT_FALSE(EVP_PKEY_set_int_param(key, DEKCACHE_PKEY_PARAM_INVALIDATE_CACHE, 2));
    expect_error(fixture_last_error(err, sizeof(err)), "invalidate-cache must be 0 or 1");
    EVP_PKEY_free(key);
    ERR_clear_error();
    CU_ASSERT_FALSE(invalidate(&fx, "dekcache:alias/nowhere"));
    expect_error(fixture_last_error(err, sizeof(err)), "cannot resolve 'alias/nowhere'");
    provider_fixture_stop(&fx);

    /* Without a KMS key there is nothing to name. */
    CU_ASSERT_FATAL(start_provider(&fx, "decrypt_keys = alias/main"));
    ERR_clear_error();
    CU_ASSERT_FALSE(invalidate(&fx, "dekcache:"));
    expect_error(fixture_last_error(err, sizeof(err)), "invalidated by KMS key: name one");
    provider_fixture_stop(&fx);
    OPENSSL_free(main_ct);
    OPENSSL_free(other_ct);
}

/* When KMS refuses a key (disabled, pending deletion, gone), its cached data
 * keys go at once: the next messages under it ask KMS instead of using them.
 * Other keys' entries stay. */
static void test_key_refused_by_kms_is_forgotten(void)
{
    provider_fixture fx;
    unsigned char *main_ct = NULL, *other_ct = NULL, *refused = NULL;
    size_t main_len = 0, other_len = 0, refused_len = 0;
    char stats[2048];
    warm_two_keys(&fx, &main_ct, &main_len, &other_ct, &other_len);

    /* A message under k-main with another context misses the cache; KMS
     * answers that the key is disabled. */
    kms_fixture_fault disabled = {.operation = "GenerateDataKey",
                                  .action = "error",
                                  .error_type = "DisabledException",
                                  .count = 1};
    CU_ASSERT_FATAL(kms_fixture_add_fault(&server, &disabled) == 0);
    static const unsigned char plain[10] = {1};
    uint64_t length = sizeof(plain);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(DEKCACHE_PARAM_ENCRYPTION_CONTEXT, "tenant=b", 0),
        OSSL_PARAM_construct_uint64(DEKCACHE_PARAM_PLAINTEXT_LENGTH, &length),
        OSSL_PARAM_construct_end()};
    CU_ASSERT_FALSE(
        fixture_cipher(&fx, 1, params, plain, sizeof(plain), NULL, 0, &refused, &refused_len));
    ERR_clear_error();
    CU_ASSERT_FATAL(fixture_stats(&fx, stats, sizeof(stats)));
    CU_ASSERT_EQUAL(fixture_stat(stats, "/cache/evictions/invalidated"), 2);
    CU_ASSERT_EQUAL(fixture_stat(stats, "/cache/entries"), 1); /* alias/other's */

    CU_ASSERT(encrypt_cached_under(&fx, "alias/main", &main_ct, &main_len));
    CU_ASSERT(encrypt_cached_under(&fx, "alias/other", &other_ct, &other_len));
    CU_ASSERT_EQUAL(kms_fixture_op_calls(&server, "GenerateDataKey"), 4); /* 2 + refused + main */
    CU_ASSERT(decrypts(&fx, main_ct, main_len));
    CU_ASSERT_EQUAL(kms_fixture_op_calls(&server, "Decrypt"), 2);
    provider_fixture_stop(&fx);
    OPENSSL_free(main_ct);
    OPENSSL_free(other_ct);
    OPENSSL_free(refused);
}

/* Encrypts under `key_id` with an instance configured by `lines`; returns
 * success and leaves the error text in err. */
static int encrypt_with(const char *lines, const char *key_id, char *err, size_t err_len,
                        unsigned char **ct, size_t *ct_len)
{
    provider_fixture fx;
    if (!start_provider(&fx, lines))
        return 0;
    char key[128];
    snprintf(key, sizeof(key), "%s", key_id);
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(DEKCACHE_PARAM_KEY_ID, key, 0),
                           OSSL_PARAM_construct_end()};
    unsigned char plain[100] = {1};
    int ok = fixture_cipher(&fx, 1, key_id != NULL ? params : NULL, plain, sizeof(plain), NULL, 0,
                            ct, ct_len);
    fixture_last_error(err, err_len);
    provider_fixture_stop(&fx);
    return ok;
}

static void test_key_not_on_allow_list(void)
{
    char err[4096];
    unsigned char *ct = NULL, *back = NULL;
    size_t ct_len = 0, back_len = 0;
    CU_ASSERT_FATAL(
        encrypt_with("key_id = alias/main", "alias/other", err, sizeof(err), &ct, &ct_len));
    provider_fixture fx;
    CU_ASSERT_FATAL(start_provider(&fx, "decrypt_keys = alias/main"));
    CU_ASSERT_FALSE(fixture_cipher(&fx, 0, NULL, ct, ct_len, NULL, 0, &back, &back_len));
    CU_ASSERT_EQUAL(ERR_GET_REASON(ERR_peek_last_error()), DEKCACHE_R_KEY_NOT_ALLOWED);
    fixture_last_error(err, sizeof(err));
    expect_error(err, "wrapping key not allowed");
    expect_error(err, "key " ARN_PREFIX);
    expect_error(err, "is not on the keyring's allow-list");
    provider_fixture_stop(&fx);
    /* Discovery mode accepts any key the credentials may use. */
    CU_ASSERT_FATAL(start_provider(&fx, "discovery = yes"));
    CU_ASSERT(fixture_cipher(&fx, 0, NULL, ct, ct_len, NULL, 0, &back, &back_len));
    CU_ASSERT_EQUAL(back_len, 100);
    OPENSSL_free(back);
    provider_fixture_stop(&fx);
    OPENSSL_free(ct);
}

static void test_user_facing_failures(void)
{
    char err[4096];
    unsigned char *ct = NULL;
    size_t ct_len = 0;
    CU_ASSERT_FALSE(encrypt_with("key_id = alias/disabled", NULL, err, sizeof(err), &ct, &ct_len));
    expect_error(err, "KMS request failed");
    expect_error(err, "disabled");
    CU_ASSERT_FALSE(encrypt_with("key_id = alias/missing", NULL, err, sizeof(err), &ct, &ct_len));
    expect_error(err, "alias/missing");

    setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret", 1);
    CU_ASSERT_FALSE(encrypt_with("key_id = alias/main", NULL, err, sizeof(err), &ct, &ct_len));
    setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY, 1);
    expect_error(err, "KMS request failed");
    CU_ASSERT_PTR_NULL(strstr(err, "wrong-secret"));

    /* KMS down: a port nothing listens on (the server's own port once stopped). */
    char lines[256];
    snprintf(lines, sizeof(lines),
             "kms_endpoint = http://127.0.0.1:1\nkey_id = alias/main\n"
             "kms_max_attempts = 2\nkms_timeout_ms = 3000");
    provider_fixture fx;
    CU_ASSERT_FATAL(provider_fixture_start(&fx, lines));
    unsigned char plain[10] = {0};
    CU_ASSERT_FALSE(fixture_cipher(&fx, 1, NULL, plain, sizeof(plain), NULL, 0, &ct, &ct_len));
    fixture_last_error(err, sizeof(err));
    expect_error(err, "KMS request failed");
    expect_error(err, "connection refused");
    provider_fixture_stop(&fx);

    /* Decrypting while KMS is down names KMS and the key, not "no key". */
    CU_ASSERT_FATAL(encrypt_with("key_id = alias/main", NULL, err, sizeof(err), &ct, &ct_len));
    snprintf(lines, sizeof(lines),
             "kms_endpoint = http://127.0.0.1:1\ndecrypt_keys = " ARN_PREFIX "k-main\n"
             "kms_max_attempts = 2\nkms_timeout_ms = 3000");
    CU_ASSERT_FATAL(provider_fixture_start(&fx, lines));
    unsigned char *back = NULL;
    size_t back_len = 0;
    CU_ASSERT_FALSE(fixture_cipher(&fx, 0, NULL, ct, ct_len, NULL, 0, &back, &back_len));
    CU_ASSERT_EQUAL(ERR_GET_REASON(ERR_peek_last_error()), DEKCACHE_R_KMS_ERROR);
    fixture_last_error(err, sizeof(err));
    expect_error(err, "KMS request failed");
    expect_error(err, "KMS Decrypt on key '" ARN_PREFIX "k-main'");
    expect_error(err, "connection refused");
    provider_fixture_stop(&fx);
    OPENSSL_free(ct);
}

/* DEKCACHE_KEY_ID, read when the instance loads, is its default encryption
 * key everywhere: a key reference without an id reports it (ID and ARN),
 * pkeyutl's path and the cipher encrypt under it, and a key-id still wins.
 * It names the encryption key only: the allow-list stays key_id. */
static void test_env_key_id(void)
{
    provider_fixture fx;
    setenv("DEKCACHE_KEY_ID", "alias/other", 1);
    int started = start_provider(&fx, "key_id = alias/main");
    unsetenv("DEKCACHE_KEY_ID"); /* read at load: later changes do not matter */
    CU_ASSERT_FATAL(started);

    EVP_PKEY *key = fixture_load_key(&fx, "dekcache:");
    CU_ASSERT_PTR_NOT_NULL_FATAL(key);
    char key_id[64] = "", arn[256] = "";
    CU_ASSERT(
        EVP_PKEY_get_utf8_string_param(key, DEKCACHE_PARAM_KEY_ID, key_id, sizeof(key_id), NULL));
    CU_ASSERT_STRING_EQUAL(key_id, "alias/other");
    CU_ASSERT(EVP_PKEY_get_utf8_string_param(key, DEKCACHE_PARAM_KEY_ARN, arn, sizeof(arn), NULL));
    CU_ASSERT_STRING_EQUAL(arn, ARN_PREFIX "k-other");

    unsigned char plain[100] = {2}, *ct = NULL, *back = NULL;
    size_t ct_len = 0, back_len = 0;
    CU_ASSERT_FATAL(fixture_pkey_cipher(&fx, key, 1, NULL, plain, sizeof(plain), &ct, &ct_len));
    static const char other[] = ARN_PREFIX "k-other", main_arn[] = ARN_PREFIX "k-main";
    CU_ASSERT_PTR_NOT_NULL(memmem(ct, ct_len, other, strlen(other)));
    CU_ASSERT_PTR_NULL(memmem(ct, ct_len, main_arn, strlen(main_arn)));
    CU_ASSERT_FALSE(fixture_pkey_cipher(&fx, key, 0, NULL, ct, ct_len, &back, &back_len));
    CU_ASSERT_EQUAL(ERR_GET_REASON(ERR_peek_last_error()), DEKCACHE_R_KEY_NOT_ALLOWED);
    ERR_clear_error();
    OPENSSL_free(ct);
    EVP_PKEY_free(key);

    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    unsigned char id[32];
    size_t id_len = 0;
    CU_ASSERT_FATAL(EVP_EncryptInit_ex2(ctx, fx.cipher, (const unsigned char *)"", NULL, NULL));
    read_message_params(ctx, arn, sizeof(arn), id, &id_len);
    CU_ASSERT_STRING_EQUAL(arn, ARN_PREFIX "k-other");
    OSSL_PARAM named[] = {OSSL_PARAM_construct_utf8_string(DEKCACHE_PARAM_KEY_ID, "alias/main", 0),
                          OSSL_PARAM_construct_end()};
    CU_ASSERT_FATAL(EVP_EncryptInit_ex2(ctx, fx.cipher, (const unsigned char *)"", NULL, named));
    read_message_params(ctx, arn, sizeof(arn), id, &id_len);
    CU_ASSERT_STRING_EQUAL(arn, ARN_PREFIX "k-main");
    EVP_CIPHER_CTX_free(ctx);

    key = fixture_load_key(&fx, "dekcache:alias/main");
    CU_ASSERT_PTR_NOT_NULL_FATAL(key);
    CU_ASSERT(
        EVP_PKEY_get_utf8_string_param(key, DEKCACHE_PARAM_KEY_ID, key_id, sizeof(key_id), NULL));
    CU_ASSERT_STRING_EQUAL(key_id, "alias/main");
    EVP_PKEY_free(key);
    provider_fixture_stop(&fx);
}

/* One EVP encryption of a small message under key_id (NULL: the default). */
static int encrypt_under(const provider_fixture *fx, const char *key_id)
{
    char key[128];
    snprintf(key, sizeof(key), "%s", key_id != NULL ? key_id : "");
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(DEKCACHE_PARAM_KEY_ID, key, 0),
                           OSSL_PARAM_construct_end()};
    unsigned char plain[10] = {3}, *ct = NULL;
    size_t ct_len = 0;
    int ok = fixture_cipher(fx, 1, key_id != NULL ? params : NULL, plain, sizeof(plain), NULL, 0,
                            &ct, &ct_len);
    OPENSSL_free(ct);
    return ok;
}

/* An instance keeps one CMM per key id it was asked for, at most 64: a
 * further key is refused with a clear error before any keyring or KMS call,
 * and the keys it already has keep working. */
static void test_key_table_limit(void)
{
    provider_fixture fx;
    CU_ASSERT_FATAL(start_provider(&fx, "key_id = alias/main"));
    CU_ASSERT(encrypt_under(&fx, NULL)); /* alias/main: the first of 64 */
    char key_id[128];
    for (int i = 0; i < FILLER_KEYS; i++) {
        snprintf(key_id, sizeof(key_id), ARN_PREFIX "k-fill-%d", i);
        CU_ASSERT(encrypt_under(&fx, key_id));
    }
    long generate = kms_fixture_op_calls(&server, "GenerateDataKey");
    char err[4096];
    ERR_clear_error();
    CU_ASSERT_FALSE(encrypt_under(&fx, ARN_PREFIX "k-other"));
    fixture_last_error(err, sizeof(err));
    expect_error(err, "more than 64 distinct key ids in one provider instance");
    CU_ASSERT_EQUAL(kms_fixture_op_calls(&server, "GenerateDataKey"), generate);
    CU_ASSERT(encrypt_under(&fx, NULL));
    CU_ASSERT(encrypt_under(&fx, ARN_PREFIX "k-fill-0"));
    CU_ASSERT_EQUAL(kms_fixture_op_calls(&server, "GenerateDataKey"), generate + 2);
    provider_fixture_stop(&fx);
}

int main(void)
{
    static const dekcache_test_case tests[] = {
        {"16 threads x 50 messages, max 10: exactly 80 GenerateDataKey",
         test_generate_data_key_count},
        {"10 parallel decryptions, context reproduced: exactly 1 Decrypt",
         test_parallel_decrypt_with_context_one_kms_call},
        {"10 parallel decryptions of one message: exactly 1 Decrypt",
         test_parallel_decrypt_one_kms_call},
        {"key ARN and message ID after init, re-init keeps key-id, EVP_PKEY params",
         test_key_arn_reported},
        {"a key not on the allow-list is refused; discovery accepts it",
         test_key_not_on_allow_list},
        {"disabled key, unknown alias, wrong credentials, KMS down", test_user_facing_failures},
        {"DEKCACHE_KEY_ID: one default key for key references, pkeyutl and the cipher",
         test_env_key_id},
        {"a 65th distinct key id is refused; the first 64 keep working", test_key_table_limit},
        {"invalidate-cache forgets one KMS key's data keys", test_invalidate_cache_by_key},
        {"a key KMS refuses has its cached data keys forgotten",
         test_key_refused_by_kms_is_forgotten},
        {NULL, NULL},
    };
    dekcache_add_suite("DEKCACHE cipher with the local KMS server", suite_init, suite_cleanup,
                       tests);
    return dekcache_run_tests();
}
