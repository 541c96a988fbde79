/* The provider's crypto runs in a child of the library context that loaded
 * it. Here the process's default context holds only the "null" provider, so
 * any AES-GCM, HMAC, SHA-2, ECDSA, RSA or DRBG use that slipped to the
 * default context would fail; the application's own context (the fixture's)
 * has the default provider. Covered: KMS keys over HTTP (request signing,
 * cache IDs, cached signing and verification keys of suite 0x0578) and raw
 * AES and RSA keys through the cipher and EVP_PKEY_encrypt/decrypt. */
#include <CUnit/CUnit.h>
#include <openssl/err.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/provider.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cunit_run.h"
#include "include/dekcache.h"
#include "kms_fixture.h"
#include "provider_fixture.h"

#define ACCESS_KEY "AKIDLIBCTXTEST"
#define SECRET_KEY "libctx-test-secret"

static kms_fixture_server server;
static char server_config[256], aes_key_path[256], rsa_key_path[256];
static OSSL_PROVIDER *null_provider;

static const char server_json[] =
    "{\"region\": \"us-east-1\", \"account\": \"111122223333\", \"seed\": \"libctx tests\","
    " \"keys\": [{\"id\": \"k-main\"}], \"aliases\": {\"alias/main\": \"k-main\"},"
    " \"credentials\": [{\"access_key_id\": \"" ACCESS_KEY "\","
    "                   \"secret_access_key\": \"" SECRET_KEY "\"}]}";

/* An RSA key made in a throwaway context (the default one has no RSA). */
static int write_rsa_key(void)
{
    OSSL_LIB_CTX *tmp = OSSL_LIB_CTX_new();
    EVP_PKEY *key = tmp ? EVP_PKEY_Q_keygen(tmp, NULL, "RSA", (size_t)2048) : NULL;
    BIO *bio = key ? BIO_new(BIO_s_mem()) : NULL;
    char *pem = NULL;
    long len = bio && PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL)
                   ? BIO_get_mem_data(bio, &pem)
                   : 0;
    int ok =
        len > 0 && fixture_temp_file(pem, (size_t)len, rsa_key_path, sizeof(rsa_key_path)) != NULL;
    BIO_free(bio);
    EVP_PKEY_free(key);
    OSSL_LIB_CTX_free(tmp);
    return ok;
}

static int suite_cleanup(void)
{
    int rc = kms_fixture_stop(&server);
    if (null_provider != NULL)
        OSSL_PROVIDER_unload(null_provider);
    null_provider = NULL;
    unlink(server_config);
    unlink(aes_key_path);
    unlink(rsa_key_path);
    return rc == 0 ? 0 : 1;
}

static int write_files(void)
{
    unsigned char aes_key[32];
    for (size_t i = 0; i < sizeof(aes_key); i++)
        aes_key[i] = (unsigned char)(i * 7 + 1); /* a test key: nothing secret here */
    return write_rsa_key() &&
           fixture_temp_file(aes_key, sizeof(aes_key), aes_key_path, sizeof(aes_key_path)) &&
           fixture_temp_file(server_json, strlen(server_json), server_config,
                             sizeof(server_config));
}

/* CUnit skips the cleanup of a suite whose init failed, so a failure runs it
 * here: no server or temporary file outlives the program. */
static int suite_init(void)
{
    kms_fixture_use_credentials(ACCESS_KEY, SECRET_KEY, "us-east-1");
    kms_fixture_options opts = {.config_path = server_config};
    /* Loading "null" explicitly stops the default provider from being loaded
     * into the default context on first use. */
    if (!write_files() || kms_fixture_start(&opts, &server) != 0 ||
        (null_provider = OSSL_PROVIDER_load(NULL, "null")) == NULL) {
        suite_cleanup();
        return 1;
    }
    return 0;
}

static int start_provider(provider_fixture *fx, const char *lines)
{
    int ok = provider_fixture_start(fx, lines);
    if (!ok) {
        char err[2048];
        fprintf(stderr, "provider start failed: %s\n", fixture_last_error(err, sizeof(err)));
    }
    return ok;
}

static int round_trip(const provider_fixture *fx, const OSSL_PARAM *params, size_t size)
{
    unsigned char *plain = malloc(size + 1), *ct = NULL, *back = NULL;
    size_t ct_len = 0, back_len = 0;
    for (size_t i = 0; i < size; i++)
        plain[i] = (unsigned char)(i * 31 + 5);
    int ok = fixture_cipher(fx, 1, params, plain, size, NULL, 0, &ct, &ct_len) &&
             fixture_cipher(fx, 0, NULL, ct, ct_len, NULL, 0, &back, &back_len) &&
             back_len == size && memcmp(back, plain, size) == 0;
    if (!ok) {
        char err[2048];
        fprintf(stderr, "round trip failed: %s\n", fixture_last_error(err, sizeof(err)));
    }
    free(plain);
    OPENSSL_free(ct);
    OPENSSL_free(back);
    return ok;
}

/* Guards the test itself: with the default provider reachable from the
 * default context, the other tests would prove nothing. */
static void test_default_context_has_no_crypto(void)
{
    EVP_CIPHER *gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
    EVP_MD *sha = EVP_MD_fetch(NULL, "SHA512", NULL);
    CU_ASSERT_PTR_NULL(gcm);
    CU_ASSERT_PTR_NULL(sha);
    EVP_CIPHER_free(gcm);
    EVP_MD_free(sha);
    ERR_clear_error();
}

/* Signed suite, cached: the second message reuses the data key (and the
 * signing key decoded from the cache entry), the second decryption the
 * verification key. One KMS call each way. */
static void test_kms_signed_suite_through_cache(void)
{
    provider_fixture fx;
    char lines[512];
    snprintf(lines, sizeof(lines), "kms_endpoint = %s\nkey_id = alias/main\n", server.endpoint);
    CU_ASSERT_FATAL(start_provider(&fx, lines));
    CU_ASSERT_FATAL(kms_fixture_reset(&server) == 0);
    unsigned int suite = 0x0578;
    uint64_t length = 10000;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_uint(DEKCACHE_PARAM_ALGORITHM_SUITE, &suite),
                           OSSL_PARAM_construct_uint64(DEKCACHE_PARAM_PLAINTEXT_LENGTH, &length),
                           OSSL_PARAM_construct_end()};
    CU_ASSERT(round_trip(&fx, params, (size_t)length));
    CU_ASSERT(round_trip(&fx, params, (size_t)length));
    CU_ASSERT_EQUAL(kms_fixture_op_calls(&server, "GenerateDataKey"), 1);
    CU_ASSERT_EQUAL(kms_fixture_op_calls(&server, "Decrypt"),
                    1); /* both messages carry the same EDK */
    provider_fixture_stop(&fx);
}

static void test_raw_keys_cipher_and_pkey(void)
{
    provider_fixture fx;
    char lines[1024];
    snprintf(lines, sizeof(lines),
             "raw_aes_key_file = %s\nraw_aes_key_name = aes\nraw_rsa_key_file = %s\n"
             "raw_rsa_key_name = rsa\n",
             aes_key_path, rsa_key_path);
    CU_ASSERT_FATAL(start_provider(&fx, lines));
    CU_ASSERT(round_trip(&fx, NULL, 5000));
    EVP_PKEY *key = fixture_load_key(&fx, "dekcache:aes");
    CU_ASSERT_PTR_NOT_NULL_FATAL(key);
    static const unsigned char text[] = "whole-file envelope encryption";
    unsigned char *ct = NULL, *back = NULL;
    size_t ct_len = 0, back_len = 0;
    CU_ASSERT(fixture_pkey_cipher(&fx, key, 1, NULL, text, sizeof(text), &ct, &ct_len));
    CU_ASSERT(fixture_pkey_cipher(&fx, key, 0, NULL, ct, ct_len, &back, &back_len));
    CU_ASSERT(back_len == sizeof(text) && back != NULL && memcmp(back, text, back_len) == 0);
    OPENSSL_free(ct);
    OPENSSL_free(back);
    EVP_PKEY_free(key);
    provider_fixture_stop(&fx);
}

static int start_two_raw_keys(provider_fixture *fx, const char *extra)
{
    char lines[1024];
    snprintf(lines, sizeof(lines),
             "raw_aes_key_file = %s\nraw_aes_key_name = aes\nraw_rsa_key_file = %s\n"
             "raw_rsa_key_name = rsa\n%s",
             aes_key_path, rsa_key_path, extra);
    return start_provider(fx, lines);
}

/* key_id naming the raw AES key: messages are written under it and read
 * back without asking KMS (decryption took key_id for a KMS key). */
static void test_key_id_naming_raw_key(void)
{
    provider_fixture fx;
    char lines[1024];
    snprintf(lines, sizeof(lines), "raw_aes_key_file = %s\nraw_aes_key_name = aes\nkey_id = aes\n",
             aes_key_path);
    CU_ASSERT_FATAL(start_provider(&fx, lines));
    CU_ASSERT_FATAL(kms_fixture_reset(&server) == 0);
    CU_ASSERT(round_trip(&fx, NULL, 5000));
    EVP_PKEY *key = fixture_load_key(&fx, "dekcache:aes");
    CU_ASSERT_PTR_NOT_NULL_FATAL(key);
    char arn[256], err[2048];
    OSSL_PARAM get_arn[] = {OSSL_PARAM_utf8_string(DEKCACHE_PARAM_KEY_ARN, arn, sizeof(arn)),
                            OSSL_PARAM_END};
    CU_ASSERT_EQUAL(EVP_PKEY_get_params(key, get_arn), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(fixture_last_error(err, sizeof(err)), "names no KMS key"));
    EVP_PKEY_free(key);
    CU_ASSERT_EQUAL(kms_fixture_op_calls(&server, "DescribeKey"), 0);
    CU_ASSERT_EQUAL(kms_fixture_op_calls(&server, "Decrypt"), 0);
    provider_fixture_stop(&fx);
}

/* max_encrypted_data_keys: a message with both raw keys' EDKs (two) is
 * neither written nor read by an instance limited to one. */
static void test_max_encrypted_data_keys(void)
{
    provider_fixture open_fx, limited;
    CU_ASSERT_FATAL(start_two_raw_keys(&open_fx, ""));
    CU_ASSERT_FATAL(start_two_raw_keys(&limited, "max_encrypted_data_keys = 1\n"));
    static const unsigned char text[] = "two wrapping keys";
    unsigned char *ct = NULL, *back = NULL;
    size_t ct_len = 0, back_len = 0;
    char err[2048];
    CU_ASSERT_FATAL(fixture_cipher(&open_fx, 1, NULL, text, sizeof(text), NULL, 0, &ct, &ct_len));
    CU_ASSERT(fixture_decrypts_to(&open_fx, ct, ct_len, text, sizeof(text)));
    CU_ASSERT_FALSE(fixture_cipher(&limited, 0, NULL, ct, ct_len, NULL, 0, &back, &back_len));
    CU_ASSERT_PTR_NOT_NULL(strstr(fixture_last_error(err, sizeof(err)), "exceed the limit of 1"));
    CU_ASSERT_FALSE(
        fixture_cipher(&limited, 1, NULL, text, sizeof(text), NULL, 0, &back, &back_len));
    CU_ASSERT_STRING_NOT_EQUAL(fixture_last_error(err, sizeof(err)), "");
    OPENSSL_free(ct);
    provider_fixture_stop(&limited);
    provider_fixture_stop(&open_fx);
}

int main(void)
{
    static const dekcache_test_case tests[] = {
        {"the default context can fetch nothing", test_default_context_has_no_crypto},
        {"KMS, signed suite, cached both ways", test_kms_signed_suite_through_cache},
        {"raw AES and RSA keys, cipher and pkey", test_raw_keys_cipher_and_pkey},
        {"max_encrypted_data_keys limits both directions", test_max_encrypted_data_keys},
        {"key_id naming a raw key reads back without KMS", test_key_id_naming_raw_key},
        {NULL, NULL},
    };
    dekcache_add_suite("provider crypto in the application's library context", suite_init,
                       suite_cleanup, tests);
    return dekcache_run_tests();
}
