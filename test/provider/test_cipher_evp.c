/* The DEKCACHE cipher through the EVP API, with an offline raw AES wrapping
 * key from the configuration: round trips, parameters, enforced plaintext
 * length, tampering, and the data key cache under 16 threads. */
#include <CUnit/CUnit.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cunit_run.h"
#include "include/dekcache.h"
#include "parallel_encrypt.h"
#include "provider_fixture.h"

static provider_fixture fx;
static char key_path[256];

static int suite_init(void)
{
    unsigned char key[32];
    RAND_bytes(key, sizeof(key));
    if (fixture_temp_file(key, sizeof(key), key_path, sizeof(key_path)) == NULL)
        return 1;
    char lines[1024];
    snprintf(lines, sizeof(lines),
             "raw_aes_key_file = %s\nraw_aes_key_namespace = test-ns\nraw_aes_key_name = "
             "test-key\ncache_max_messages = 10\n",
             key_path);
    return provider_fixture_start(&fx, lines) ? 0 : 1;
}

static int suite_cleanup(void)
{
    provider_fixture_stop(&fx);
    unlink(key_path);
    return 0;
}

static unsigned char *random_bytes(size_t n)
{
    unsigned char *p = malloc(n + 1);
    RAND_bytes(p, (int)n);
    return p;
}

static int round_trip(const OSSL_PARAM *params, size_t size, const size_t *chunks, size_t n_chunks)
{
    unsigned char *plain = random_bytes(size);
    unsigned char *ct = NULL, *back = NULL;
    size_t ct_len = 0, back_len = 0;
    int ok = fixture_cipher(&fx, 1, params, plain, size, chunks, n_chunks, &ct, &ct_len) &&
             ct_len > size &&
             fixture_cipher(&fx, 0, NULL, ct, ct_len, chunks, n_chunks, &back, &back_len) &&
             back_len == size && memcmp(back, plain, size) == 0;
    if (!ok) {
        char err[2048];
        fprintf(stderr, "round trip of %zu bytes failed: %s\n", size,
                fixture_last_error(err, sizeof(err)));
    }
    free(plain);
    OPENSSL_free(ct);
    OPENSSL_free(back);
    return ok;
}

static void test_round_trips(void)
{
    static const size_t sizes[] = {0, 1, 4095, 4096, 4097, 100000, 1 << 20};
    static const size_t bio_chunks[] = {4096};
    static const size_t odd_chunks[] = {1, 7, 4096, 333, 9000, 2};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        CU_ASSERT(round_trip(NULL, sizes[i], NULL, 0));
        CU_ASSERT(round_trip(NULL, sizes[i], bio_chunks, 1));
        if (sizes[i] <= 100000)
            CU_ASSERT(round_trip(NULL, sizes[i], odd_chunks, 6));
    }
}

/* EVP allows out == in. A message is longer than its plaintext and starts
 * with a header, so the provider must not write over input it has not read:
 * before the fix, in-place encryption made authentic messages of the wrong
 * plaintext. Every mix of in-place and separate buffers must agree. */
static void test_in_place(void)
{
    static const size_t sizes[] = {0, 1, 4097, 100000};
    static const size_t chunks[] = {0, 100, 1000, 4096, 65536};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        unsigned char *plain = random_bytes(sizes[i]);
        for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
            unsigned char *ct = NULL, *back = NULL, *back2 = NULL;
            size_t ct_len = 0, back_len = 0, back2_len = 0;
            CU_ASSERT_FATAL(
                fixture_cipher_in_place(&fx, 1, plain, sizes[i], chunks[c], &ct, &ct_len));
            CU_ASSERT(fixture_cipher(&fx, 0, NULL, ct, ct_len, NULL, 0, &back, &back_len));
            CU_ASSERT(back_len == sizes[i] &&
                      (sizes[i] == 0 || memcmp(back, plain, sizes[i]) == 0));
            CU_ASSERT(fixture_cipher_in_place(&fx, 0, ct, ct_len, chunks[c], &back2, &back2_len));
            CU_ASSERT(back2_len == sizes[i] &&
                      (sizes[i] == 0 || memcmp(back2, plain, sizes[i]) == 0));
            OPENSSL_free(ct);
            OPENSSL_free(back);
            OPENSSL_free(back2);
        }
        free(plain);
    }
}

static void test_signed_suite_round_trip(void)
{
    unsigned int suite = 0x0578;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_uint(DEKCACHE_PARAM_ALGORITHM_SUITE, &suite),
                           OSSL_PARAM_construct_end()};
    static const size_t bio_chunks[] = {4096};
    CU_ASSERT(round_trip(params, 0, bio_chunks, 1));
    CU_ASSERT(round_trip(params, 12289, bio_chunks, 1));
}

static void test_encryption_context(void)
{
    char ec_text[] = "tenant=acme,purpose=backup%2Cdaily";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(DEKCACHE_PARAM_ENCRYPTION_CONTEXT, ec_text, 0),
        OSSL_PARAM_construct_end()};
    unsigned char plain[100] = {1};
    unsigned char *ct = NULL, *back = NULL;
    size_t ct_len, back_len;
    CU_ASSERT_FATAL(fixture_cipher(&fx, 1, params, plain, sizeof(plain), NULL, 0, &ct, &ct_len));
    CU_ASSERT(memmem(ct, ct_len, "backup,daily", 12) != NULL); /* stored in the header */
    /* Decrypting with the same context as a check succeeds, a different one fails. */
    CU_ASSERT(fixture_cipher(&fx, 0, params, ct, ct_len, NULL, 0, &back, &back_len));
    CU_ASSERT(back_len == sizeof(plain) && memcmp(back, plain, sizeof(plain)) == 0);
    OPENSSL_free(back);
    char wrong[] = "tenant=other";
    OSSL_PARAM mismatch[] = {
        OSSL_PARAM_construct_utf8_string(DEKCACHE_PARAM_ENCRYPTION_CONTEXT, wrong, 0),
        OSSL_PARAM_construct_end()};
    CU_ASSERT_FALSE(fixture_cipher(&fx, 0, mismatch, ct, ct_len, NULL, 0, &back, &back_len));
    char err[2048];
    CU_ASSERT(strstr(fixture_last_error(err, sizeof(err)), "authentication failed") != NULL);
    OPENSSL_free(ct);

    char bad[] = "novalue,k=v";
    OSSL_PARAM bad_params[] = {
        OSSL_PARAM_construct_utf8_string(DEKCACHE_PARAM_ENCRYPTION_CONTEXT, bad, 0),
        OSSL_PARAM_construct_end()};
    CU_ASSERT_FALSE(fixture_cipher(&fx, 1, bad_params, plain, 1, NULL, 0, &ct, &ct_len));
    CU_ASSERT(strstr(fixture_last_error(err, sizeof(err)), "is not key=value") != NULL);
}

static void test_plaintext_length_enforced(void)
{
    uint64_t declared = 5000;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_uint64(DEKCACHE_PARAM_PLAINTEXT_LENGTH, &declared),
                           OSSL_PARAM_construct_end()};
    unsigned char *plain = random_bytes(5001);
    unsigned char *ct = NULL;
    size_t ct_len;
    char err[2048];
    CU_ASSERT(fixture_cipher(&fx, 1, params, plain, 5000, NULL, 0, &ct, &ct_len));
    OPENSSL_free(ct);
    CU_ASSERT_FALSE(fixture_cipher(&fx, 1, params, plain, 4999, NULL, 0, &ct, &ct_len));
    CU_ASSERT(strstr(fixture_last_error(err, sizeof(err)), "differs from declared length") != NULL);
    CU_ASSERT_FALSE(fixture_cipher(&fx, 1, params, plain, 5001, NULL, 0, &ct, &ct_len));
    CU_ASSERT(strstr(fixture_last_error(err, sizeof(err)), "differs from declared length") != NULL);
    free(plain);
}

static void encrypt_sample(unsigned char **ct, size_t *ct_len, size_t size)
{
    unsigned char *plain = random_bytes(size);
    CU_ASSERT_FATAL(fixture_cipher(&fx, 1, NULL, plain, size, NULL, 0, ct, ct_len));
    free(plain);
}

static void test_tampered_and_truncated_fail(void)
{
    unsigned char *ct, *back;
    size_t ct_len, back_len;
    char err[2048];
    encrypt_sample(&ct, &ct_len, 10000);
    ct[ct_len / 2] ^= 0x01;
    CU_ASSERT_FALSE(fixture_cipher(&fx, 0, NULL, ct, ct_len, NULL, 0, &back, &back_len));
    CU_ASSERT(strstr(fixture_last_error(err, sizeof(err)), "authentication failed") != NULL);
    ct[ct_len / 2] ^= 0x01;
    CU_ASSERT_FALSE(fixture_cipher(&fx, 0, NULL, ct, ct_len - 1, NULL, 0, &back, &back_len));
    CU_ASSERT(strstr(fixture_last_error(err, sizeof(err)), "malformed or truncated") != NULL);
    CU_ASSERT_FALSE(fixture_cipher(&fx, 0, NULL, ct, 20, NULL, 0, &back, &back_len));
    CU_ASSERT(strstr(fixture_last_error(err, sizeof(err)), "malformed or truncated") != NULL);
    OPENSSL_free(ct);
}

static void test_context_rules(void)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    unsigned char out[2 * 4384 + 16], in[16] = {0};
    int outl;
    char err[2048];
    CU_ASSERT_FATAL(EVP_EncryptInit_ex2(ctx, fx.cipher, (const unsigned char *)"", NULL, NULL));
    CU_ASSERT_EQUAL(EVP_CIPHER_CTX_get_key_length(ctx), 0);
    CU_ASSERT_EQUAL(EVP_CIPHER_CTX_get_iv_length(ctx), 0);
    CU_ASSERT_EQUAL(EVP_CIPHER_CTX_get_block_size(ctx), 4384);
    /* A context that has not started a message can be copied. */
    EVP_CIPHER_CTX *copy = EVP_CIPHER_CTX_new();
    CU_ASSERT(EVP_CIPHER_CTX_copy(copy, ctx));
    /* A negative length is refused (by EVP since 3.0.22, by us before). */
    CU_ASSERT_FALSE(EVP_EncryptUpdate(ctx, out, &outl, in, -5));
    fixture_last_error(err, sizeof(err));

    CU_ASSERT(EVP_EncryptInit_ex2(ctx, NULL, NULL, NULL, NULL));
    CU_ASSERT(EVP_EncryptUpdate(ctx, out, &outl, in, sizeof(in)));
    unsigned char message_id[32];
    char arn[256] = "";
    OSSL_PARAM get[] = {OSSL_PARAM_construct_octet_string(DEKCACHE_PARAM_MESSAGE_ID, message_id,
                                                          sizeof(message_id)),
                        OSSL_PARAM_construct_utf8_string(DEKCACHE_PARAM_KEY_ARN, arn, sizeof(arn)),
                        OSSL_PARAM_construct_end()};
    CU_ASSERT(EVP_CIPHER_CTX_get_params(ctx, get));
    CU_ASSERT_EQUAL(get[0].return_size, 32);
    CU_ASSERT_STRING_EQUAL(arn, "test-ns");
    /* Settings are frozen once the message has started; copying is refused. */
    unsigned int suite = 0x0578;
    OSSL_PARAM set[] = {OSSL_PARAM_construct_uint(DEKCACHE_PARAM_ALGORITHM_SUITE, &suite),
                        OSSL_PARAM_construct_end()};
    CU_ASSERT_FALSE(EVP_CIPHER_CTX_set_params(ctx, set));
    CU_ASSERT(strstr(fixture_last_error(err, sizeof(err)), "cannot change once") != NULL);
    CU_ASSERT_FALSE(EVP_CIPHER_CTX_copy(copy, ctx));
    fixture_last_error(err, sizeof(err));
    /* A key is refused: the wrapping key is a reference, not bytes. */
    CU_ASSERT_FALSE(EVP_CIPHER_CTX_set_key_length(ctx, 32));
    fixture_last_error(err, sizeof(err));
    EVP_CIPHER_CTX_free(copy);
    /* Before a decryption has read its header, both read empty (this failed
     * with nothing on the error queue). */
    CU_ASSERT_FATAL(EVP_DecryptInit_ex2(ctx, fx.cipher, (const unsigned char *)"", NULL, NULL));
    arn[0] = 'x';
    get[0].return_size = get[1].return_size = 99;
    CU_ASSERT(EVP_CIPHER_CTX_get_params(ctx, get));
    CU_ASSERT_EQUAL(get[0].return_size, 0);
    CU_ASSERT_STRING_EQUAL(arn, "");
    EVP_CIPHER_CTX_free(ctx);
}

/* A parameter without data (string, pointer or number; OpenSSL 3.0 would read
 * through it) and a pointer parameter holding NULL are refused with an error:
 * they crashed the provider, or failed with nothing on the error queue. */
static void test_string_params_without_data_refused(void)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    char err[2048], *null_ptr = NULL;
    CU_ASSERT_FATAL(EVP_EncryptInit_ex2(ctx, fx.cipher, (const unsigned char *)"", NULL, NULL));
    const char *names[] = {DEKCACHE_PARAM_ENCRYPTION_CONTEXT, DEKCACHE_PARAM_KEY_ID};
    for (size_t i = 0; i < 2; i++) {
        OSSL_PARAM no_data[][2] = {{OSSL_PARAM_utf8_string(names[i], NULL, 0), OSSL_PARAM_END},
                                   {OSSL_PARAM_utf8_ptr(names[i], NULL, 0), OSSL_PARAM_END}};
        for (size_t j = 0; j < 2; j++) {
            CU_ASSERT_FALSE(EVP_CIPHER_CTX_set_params(ctx, no_data[j]));
            CU_ASSERT_PTR_NOT_NULL(strstr(fixture_last_error(err, sizeof(err)), "has no data"));
        }
        OSSL_PARAM null_pointer[] = {OSSL_PARAM_utf8_ptr(names[i], &null_ptr, 0), OSSL_PARAM_END};
        CU_ASSERT_FALSE(EVP_CIPHER_CTX_set_params(ctx, null_pointer));
        CU_ASSERT_PTR_NOT_NULL(
            strstr(fixture_last_error(err, sizeof(err)), "must be a UTF-8 string"));
    }
    /* Number parameters without data: OpenSSL 3.0 would read through NULL. */
    OSSL_PARAM numbers[][2] = {
        {OSSL_PARAM_uint(DEKCACHE_PARAM_FRAME_LENGTH, NULL), OSSL_PARAM_END},
        {OSSL_PARAM_uint(DEKCACHE_PARAM_ALGORITHM_SUITE, NULL), OSSL_PARAM_END},
        {OSSL_PARAM_uint64(DEKCACHE_PARAM_PLAINTEXT_LENGTH, NULL), OSSL_PARAM_END},
        {OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_KEYLEN, NULL), OSSL_PARAM_END},
    };
    for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
        CU_ASSERT_FALSE(EVP_CIPHER_CTX_set_params(ctx, numbers[i]));
        CU_ASSERT_PTR_NOT_NULL(strstr(fixture_last_error(err, sizeof(err)), "has no data"));
    }
    EVP_CIPHER_CTX_free(ctx);
}

/* The cipher takes 512- to 4096-byte frames: with smaller ones the output of
 * an update outgrew what one call may write and `openssl enc` failed at the
 * final call; larger ones did not fit the final call. Both ends round-trip
 * a message of many frames in 4096-byte updates. */
static void test_frame_length_bounds(void)
{
    static const size_t chunks[] = {4096};
    unsigned int frame = 512;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_uint(DEKCACHE_PARAM_FRAME_LENGTH, &frame),
                           OSSL_PARAM_construct_end()};
    CU_ASSERT(round_trip(params, 200000, chunks, 1));
    frame = 4096;
    CU_ASSERT(round_trip(params, 200000, chunks, 1));
    char err[2048];
    unsigned char *ct = NULL;
    size_t ct_len = 0;
    static const unsigned int refused[] = {511, 4097, 16u * 1024 * 1024};
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        frame = refused[i];
        CU_ASSERT_FALSE(
            fixture_cipher(&fx, 1, params, (const unsigned char *)"x", 1, NULL, 0, &ct, &ct_len));
        CU_ASSERT(strstr(fixture_last_error(err, sizeof(err)), "allowed 512 to 4096") != NULL);
    }
}

/* 16 threads x 50 messages with their length declared and at most 10
 * messages per data key: exactly 80 data keys, none used more than 10 times. */
static void test_cache_limits_under_threads(void)
{
    /* A fresh instance: its cache holds no partly used data key. */
    char lines[1024];
    snprintf(lines, sizeof(lines),
             "raw_aes_key_file = %s\nraw_aes_key_namespace = test-ns\nraw_aes_key_name = "
             "test-key\ncache_max_messages = 10\n",
             key_path);
    provider_fixture thread_fx;
    CU_ASSERT_FATAL(provider_fixture_start(&thread_fx, lines));
    key_usage usage;
    parallel_encrypt(&thread_fx, 16, 50, &usage);
    printf("\n  %zu messages used %zu data keys, the busiest %zu times\n", usage.messages,
           usage.distinct_keys, usage.busiest_key);
    CU_ASSERT_EQUAL(usage.failures, 0);
    CU_ASSERT_EQUAL_FATAL(usage.messages, 800);
    CU_ASSERT_EQUAL(usage.distinct_keys, 80);
    CU_ASSERT(usage.busiest_key <= 10);
    provider_fixture_stop(&thread_fx);
}

/* With the application's secure heap enabled, cached materials (data keys)
 * live in it while cached, and leave nothing there once the instance is gone. */
static void test_cache_uses_secure_heap(void)
{
    if (!CRYPTO_secure_malloc_initialized())
        CU_ASSERT_FATAL(CRYPTO_secure_malloc_init(1 << 20, 32) != 0);
    provider_fixture own;
    char lines[512];
    snprintf(lines, sizeof(lines), "raw_aes_key_file = %s\nraw_aes_key_name = secure-heap\n",
             key_path);
    CU_ASSERT_FATAL(provider_fixture_start(&own, lines));
    size_t before = CRYPTO_secure_used();
    uint64_t len = 1000;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_uint64(DEKCACHE_PARAM_PLAINTEXT_LENGTH, &len),
                           OSSL_PARAM_construct_end()};
    unsigned char plain[1000] = {1}, *ct = NULL, *ct2 = NULL;
    size_t ct_len = 0;
    /* Without a declared length nothing is cached: what stays is the keyring's
     * wrapping key. With one, the cache entry is added. */
    CU_ASSERT(fixture_cipher(&own, 1, NULL, plain, sizeof(plain), NULL, 0, &ct2, &ct_len));
    size_t keyring_only = CRYPTO_secure_used();
    CU_ASSERT(fixture_cipher(&own, 1, params, plain, sizeof(plain), NULL, 0, &ct, &ct_len));
    size_t cached = CRYPTO_secure_used();
    printf("\n  secure heap: %zu bytes before, %zu with the keyring, %zu with one cached entry\n",
           before, keyring_only, cached);
    CU_ASSERT(cached >= keyring_only + 32); /* at least the entry's data key */
    OPENSSL_free(ct2);
    OPENSSL_free(ct);
    provider_fixture_stop(&own);
    CU_ASSERT_EQUAL(CRYPTO_secure_used(), before);
}

int main(void)
{
    static const dekcache_test_case tests[] = {
        {"round trips of many sizes and chunkings", test_round_trips},
        {"in-place encryption and decryption", test_in_place},
        {"frame length: what the cipher can carry", test_frame_length_bounds},
        {"signed suite 0x0578 round trips", test_signed_suite_round_trip},
        {"encryption context is bound and checked", test_encryption_context},
        {"declared plaintext length is enforced", test_plaintext_length_enforced},
        {"tampered and truncated messages fail", test_tampered_and_truncated_fail},
        {"context parameters, copying and length checks", test_context_rules},
        {"parameters without data are refused", test_string_params_without_data_refused},
        {"16 threads x 50 messages use exactly 80 data keys", test_cache_limits_under_threads},
        {"cached data keys live in the secure heap when enabled", test_cache_uses_secure_heap},
        {NULL, NULL},
    };
    dekcache_add_suite("DEKCACHE cipher over EVP", suite_init, suite_cleanup, tests);
    return dekcache_run_tests();
}
