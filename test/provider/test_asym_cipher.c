/* The DEKCACHE asymmetric cipher (EVP_PKEY_encrypt/decrypt on a key
 * reference) with an offline raw AES key: the call sequences applications
 * use besides pkeyutl's size query, and that a remembered plaintext is only
 * ever handed back for the message it came from. */
#include <CUnit/CUnit.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cunit_run.h"
#include "include/dekcache.h"
#include "provider_fixture.h"

static provider_fixture fx;
static char key_path[256];
static EVP_PKEY *key;

static int suite_init(void)
{
    unsigned char raw[32];
    RAND_bytes(raw, sizeof(raw));
    if (fixture_temp_file(raw, sizeof(raw), key_path, sizeof(key_path)) == NULL)
        return 1;
    char lines[512];
    snprintf(lines, sizeof(lines), "raw_aes_key_file = %s\nraw_aes_key_name = asym-test\n",
             key_path);
    if (!provider_fixture_start(&fx, lines))
        return 1;
    key = fixture_load_key(&fx, "dekcache:");
    return key != NULL ? 0 : 1;
}

static int suite_cleanup(void)
{
    EVP_PKEY_free(key);
    provider_fixture_stop(&fx);
    unlink(key_path);
    return 0;
}

static EVP_PKEY_CTX *decrypt_ctx(void)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(fx.libctx, key, NULL);
    CU_ASSERT_FATAL(ctx != NULL && EVP_PKEY_decrypt_init(ctx) == 1);
    return ctx;
}

/* A message holding `fill` repeated n times. */
static unsigned char *message_of(unsigned char fill, size_t n, size_t *ct_len)
{
    unsigned char plain[600];
    memset(plain, fill, n);
    unsigned char *ct = NULL;
    CU_ASSERT_FATAL(fixture_pkey_cipher(&fx, key, 1, NULL, plain, n, &ct, ct_len));
    return ct;
}

/* EVP_PKEY_encrypt and _decrypt with out == in give the same message. */
static void test_in_place(void)
{
    static const size_t sizes[] = {1, 4097, 20000};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        size_t n = sizes[i], size = 0;
        unsigned char *plain = OPENSSL_malloc(n);
        CU_ASSERT_FATAL(plain != NULL && RAND_bytes(plain, (int)n) == 1);
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(fx.libctx, key, NULL);
        CU_ASSERT_FATAL(ctx != NULL && EVP_PKEY_encrypt_init(ctx) == 1 &&
                        EVP_PKEY_encrypt(ctx, NULL, &size, plain, n) == 1 && size > n);
        unsigned char *buf = OPENSSL_malloc(size);
        CU_ASSERT_FATAL(buf != NULL);
        memcpy(buf, plain, n);
        size_t ct_len = size;
        CU_ASSERT_FATAL(EVP_PKEY_encrypt(ctx, buf, &ct_len, buf, n) == 1);
        EVP_PKEY_CTX_free(ctx);
        ctx = decrypt_ctx();
        size_t back_len = ct_len;
        CU_ASSERT(EVP_PKEY_decrypt(ctx, buf, &back_len, buf, ct_len) == 1);
        CU_ASSERT(back_len == n && memcmp(buf, plain, n) == 0);
        EVP_PKEY_CTX_free(ctx);
        OPENSSL_free(buf);
        OPENSSL_free(plain);
    }
}

static void test_decrypt_without_size_query(void)
{
    size_t ct_len;
    unsigned char *ct = message_of('a', 500, &ct_len);
    EVP_PKEY_CTX *ctx = decrypt_ctx();
    unsigned char out[1000];
    size_t out_len = sizeof(out);
    CU_ASSERT_EQUAL(EVP_PKEY_decrypt(ctx, out, &out_len, ct, ct_len), 1);
    CU_ASSERT_EQUAL(out_len, 500);
    CU_ASSERT(out[0] == 'a' && out[499] == 'a');
    EVP_PKEY_CTX_free(ctx);
    OPENSSL_free(ct);
}

static void test_small_buffer_fails_then_retry_works(void)
{
    size_t ct_len;
    unsigned char *ct = message_of('b', 500, &ct_len);
    EVP_PKEY_CTX *ctx = decrypt_ctx();
    unsigned char out[1000];
    size_t out_len = 499;
    ERR_clear_error();
    CU_ASSERT_EQUAL(EVP_PKEY_decrypt(ctx, out, &out_len, ct, ct_len), 0);
    char err[1024];
    CU_ASSERT_PTR_NOT_NULL(strstr(fixture_last_error(err, sizeof(err)),
                                  "the plaintext needs 500 bytes, the buffer holds 499"));
    out_len = 500;
    CU_ASSERT_EQUAL(EVP_PKEY_decrypt(ctx, out, &out_len, ct, ct_len), 1);
    CU_ASSERT(out_len == 500 && out[0] == 'b' && out[499] == 'b');
    EVP_PKEY_CTX_free(ctx);
    OPENSSL_free(ct);
}

/* A size query for one message, then the real call for another: the answer
 * is the second message's plaintext, never the remembered one. */
static void test_size_query_result_only_for_its_message(void)
{
    size_t first_len, second_len;
    unsigned char *first = message_of('c', 300, &first_len);
    unsigned char *second = message_of('d', 400, &second_len);
    EVP_PKEY_CTX *ctx = decrypt_ctx();
    size_t size = 0;
    CU_ASSERT_EQUAL(EVP_PKEY_decrypt(ctx, NULL, &size, first, first_len), 1);
    CU_ASSERT_EQUAL(size, 300);
    unsigned char out[1000];
    size_t out_len = sizeof(out);
    CU_ASSERT_EQUAL(EVP_PKEY_decrypt(ctx, out, &out_len, second, second_len), 1);
    CU_ASSERT(out_len == 400 && out[0] == 'd' && out[399] == 'd');
    /* And after a call with a buffer nothing is remembered either. */
    out_len = sizeof(out);
    CU_ASSERT_EQUAL(EVP_PKEY_decrypt(ctx, out, &out_len, first, first_len), 1);
    CU_ASSERT(out_len == 300 && out[0] == 'c');
    EVP_PKEY_CTX_free(ctx);
    OPENSSL_free(first);
    OPENSSL_free(second);
}

/* A parameter without data (string, pointer, number; on the context or the
 * key) and a pointer parameter holding NULL are refused with an error (they
 * crashed the provider); so is a key ARN with no KMS. */
static void test_params_without_data_refused(void)
{
    char err[2048];
    EVP_PKEY_CTX *ctx = decrypt_ctx();
    OSSL_PARAM no_text[] = {OSSL_PARAM_utf8_string(DEKCACHE_PARAM_ENCRYPTION_CONTEXT, NULL, 0),
                            OSSL_PARAM_END};
    CU_ASSERT_EQUAL(EVP_PKEY_CTX_set_params(ctx, no_text), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(fixture_last_error(err, sizeof(err)), "has no data"));
    OSSL_PARAM no_pointer[] = {OSSL_PARAM_utf8_ptr(DEKCACHE_PARAM_ENCRYPTION_CONTEXT, NULL, 0),
                               OSSL_PARAM_END};
    CU_ASSERT_EQUAL(EVP_PKEY_CTX_set_params(ctx, no_pointer), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(fixture_last_error(err, sizeof(err)), "has no data"));
    char *null_ptr = NULL;
    OSSL_PARAM null_pointer[] = {
        OSSL_PARAM_utf8_ptr(DEKCACHE_PARAM_ENCRYPTION_CONTEXT, &null_ptr, 0), OSSL_PARAM_END};
    CU_ASSERT_EQUAL(EVP_PKEY_CTX_set_params(ctx, null_pointer), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(fixture_last_error(err, sizeof(err)), "must be a UTF-8 string"));
    OSSL_PARAM no_number[] = {OSSL_PARAM_uint(DEKCACHE_PARAM_FRAME_LENGTH, NULL), OSSL_PARAM_END};
    CU_ASSERT_EQUAL(EVP_PKEY_CTX_set_params(ctx, no_number), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(fixture_last_error(err, sizeof(err)), "has no data"));
    EVP_PKEY_CTX_free(ctx);

    OSSL_PARAM no_int[] = {OSSL_PARAM_int(DEKCACHE_PKEY_PARAM_INVALIDATE_CACHE, NULL),
                           OSSL_PARAM_END};
    CU_ASSERT_EQUAL(EVP_PKEY_set_params(key, no_int), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(fixture_last_error(err, sizeof(err)), "has no data"));
    char arn[256];
    OSSL_PARAM get_arn[] = {OSSL_PARAM_utf8_string(DEKCACHE_PARAM_KEY_ARN, arn, sizeof(arn)),
                            OSSL_PARAM_END};
    CU_ASSERT_EQUAL(EVP_PKEY_get_params(key, get_arn), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(fixture_last_error(err, sizeof(err)), "names no KMS key"));
}

/* pkeyutl carries any frame our decryption reads, up to 16 MiB. */
static void test_frame_length_range(void)
{
    static unsigned char plain[5000];
    unsigned char *ct = NULL, *back = NULL;
    size_t ct_len = 0, back_len = 0;
    char err[2048];
    memset(plain, 'f', sizeof(plain));
    static const unsigned int good[] = {1, 100, 16u * 1024 * 1024};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        unsigned int frame = good[i];
        OSSL_PARAM params[] = {OSSL_PARAM_uint(DEKCACHE_PARAM_FRAME_LENGTH, &frame),
                               OSSL_PARAM_END};
        CU_ASSERT(fixture_pkey_cipher(&fx, key, 1, params, plain, sizeof(plain), &ct, &ct_len));
        CU_ASSERT(fixture_pkey_cipher(&fx, key, 0, NULL, ct, ct_len, &back, &back_len));
        CU_ASSERT(back_len == sizeof(plain) && back != NULL &&
                  memcmp(back, plain, sizeof(plain)) == 0);
        OPENSSL_free(ct);
        OPENSSL_free(back);
        ct = back = NULL;
    }
    unsigned int too_large = 16u * 1024 * 1024 + 1;
    OSSL_PARAM params[] = {OSSL_PARAM_uint(DEKCACHE_PARAM_FRAME_LENGTH, &too_large),
                           OSSL_PARAM_END};
    CU_ASSERT_FALSE(fixture_pkey_cipher(&fx, key, 1, params, plain, sizeof(plain), &ct, &ct_len));
    CU_ASSERT_PTR_NOT_NULL(strstr(fixture_last_error(err, sizeof(err)), "allowed 1 to 16777216"));
    OPENSSL_free(ct);
}

int main(void)
{
    static const dekcache_test_case tests[] = {
        {"in-place encryption and decryption", test_in_place},
        {"decrypt into a buffer without a size query", test_decrypt_without_size_query},
        {"a too small buffer fails, the retry works", test_small_buffer_fails_then_retry_works},
        {"a size query's plaintext serves only its own message",
         test_size_query_result_only_for_its_message},
        {"parameters without data are refused", test_params_without_data_refused},
        {"frame lengths pkeyutl carries", test_frame_length_range},
        {NULL, NULL},
    };
    dekcache_add_suite("DEKCACHE asymmetric cipher", suite_init, suite_cleanup, tests);
    return dekcache_run_tests();
}
