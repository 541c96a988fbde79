/* The provider leaves no uncleansed copy of key material in freed heap
 * memory: not of the raw AES wrapping key it reads from its configuration,
 * and not of a data key, which it caches, reuses, and drops when the
 * provider is unloaded. The allocator is replaced by freed_memory_probe,
 * which searches every block given back to the heap (libcrypto's and the
 * provider module's included). */
#include "cunit_run.h"
#include "freed_memory_probe.h"
#include "include/dekcache.h"
#include "kms/client/kms_client.h"
#include "kms/server/kms_local_defaults.h"
#include "kms_fixture.h"
#include "message/cmm.h"
#include "message/decrypt.h"
#include "message/raw_aes_keyring.h"
#include "provider_fixture.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NAMESPACE "probe-ns"
#define KEY_NAME  "probe-key"

static unsigned char wrapping_key[32];
static char key_path[256];

static int write_key_file(void)
{
    RAND_bytes(wrapping_key, sizeof(wrapping_key));
    return fixture_temp_file(wrapping_key, sizeof(wrapping_key), key_path, sizeof(key_path)) ? 0
                                                                                             : -1;
}

static int remove_key_file(void)
{
    unlink(key_path);
    OPENSSL_cleanse(wrapping_key, sizeof(wrapping_key));
    freed_probe_reset();
    return 0;
}

/* The data key of `message`, found by decrypting it with the message
 * library and the same wrapping key. 0 on failure. */
static int learn_data_key(const unsigned char *message, size_t len, unsigned char dek[32])
{
    esdk_keyring *keyring = NULL;
    esdk_cmm *cmm = NULL;
    esdk_decryptor *dec = NULL;
    unsigned char *plain = OPENSSL_malloc(len);
    size_t plain_len = 0, tail = 0;
    int ok = plain != NULL &&
             esdk_raw_aes_keyring_new(NULL, NAMESPACE, KEY_NAME, wrapping_key, sizeof(wrapping_key),
                                      &keyring) == ESDK_OK &&
             esdk_default_cmm_new(NULL, keyring, &cmm) == ESDK_OK;
    esdk_decrypt_options options = {.cmm = cmm};
    ok = ok && esdk_decrypt_new(&options, &dec) == ESDK_OK &&
         esdk_decrypt_update(dec, message, len, plain, len, &plain_len) == ESDK_OK &&
         esdk_decrypt_finish(dec, plain + plain_len, len - plain_len, &tail) == ESDK_OK;
    const esdk_dec_materials *mat = ok ? esdk_decrypt_materials(dec) : NULL;
    ok = mat != NULL && mat->data_key_len == 32;
    if (ok)
        memcpy(dek, mat->data_key, 32);
    esdk_decrypt_free(dec);
    esdk_cmm_free(cmm);
    esdk_keyring_free(keyring);
    OPENSSL_clear_free(plain, len);
    return ok;
}

static void test_wrapping_key_and_data_key_leave_no_copy(void)
{
    static const unsigned char plain[] = "not a secret; the keys are";
    char lines[512], stats[4096];
    unsigned char dek[32], *first = NULL, *second = NULL;
    size_t first_len = 0, second_len = 0;
    provider_fixture fx;
    snprintf(lines, sizeof(lines),
             "raw_aes_key_file = %s\nraw_aes_key_namespace = " NAMESPACE
             "\nraw_aes_key_name = " KEY_NAME "\n",
             key_path);
    freed_probe_reset();
    CU_ASSERT_EQUAL_FATAL(freed_probe_watch(wrapping_key, sizeof(wrapping_key)), 0);
    /* The data key is known only once the first message exists: what is
     * freed until then is held and searched for it afterwards. */
    freed_probe_hold();
    CU_ASSERT_FATAL(provider_fixture_start(&fx, lines));
    CU_ASSERT_FATAL(fixture_encrypt_declared(&fx, NULL, plain, sizeof(plain), &first, &first_len));
    CU_ASSERT_FATAL(learn_data_key(first, first_len, dek));
    CU_ASSERT_EQUAL(freed_probe_watch(dek, sizeof(dek)), 0);
    freed_probe_release_held();
    CU_ASSERT_EQUAL(freed_probe_unchecked(), 0);

    /* The second message reuses the cached data key. */
    CU_ASSERT_FATAL(
        fixture_encrypt_declared(&fx, NULL, plain, sizeof(plain), &second, &second_len));
    CU_ASSERT(fixture_stats(&fx, stats, sizeof(stats)));
    CU_ASSERT_EQUAL(fixture_stat(stats, "/cache/hits"), 1);
    CU_ASSERT(fixture_decrypts_to(&fx, first, first_len, plain, sizeof(plain)));
    CU_ASSERT(fixture_decrypts_to(&fx, second, second_len, plain, sizeof(plain)));
    provider_fixture_stop(&fx);
    CU_ASSERT_EQUAL(freed_probe_hits(), 0);
    /* And the probe sees a copy freed through libcrypto. */
    unsigned char *copy = OPENSSL_memdup(dek, sizeof(dek));
    OPENSSL_free(copy);
    CU_ASSERT_EQUAL(freed_probe_hits(), copy != NULL ? 1 : 0);
    OPENSSL_cleanse(dek, sizeof(dek));
    freed_probe_reset();
    OPENSSL_free(first);
    OPENSSL_free(second);
}

/* An RSA private key, read from the configured key file: its PEM text (a
 * middle line, the last lines) and its private exponent. OpenSSL 3.0's PEM
 * reader and key decoders free copies of both uncleansed;
 * message/rsa_private_key.c does without them. */
static void test_rsa_private_key_leaves_no_copy(void)
{
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pkey);
    char *pem = NULL, pem_path[256], lines[512];
    BIGNUM *d = NULL;
    unsigned char d_bytes[256];
    BIO *bio = BIO_new(BIO_s_secmem());
    CU_ASSERT_FATAL(bio != NULL && PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL));
    long pem_len = BIO_get_mem_data(bio, &pem);
    CU_ASSERT_FATAL(fixture_temp_file(pem, (size_t)pem_len, pem_path, sizeof(pem_path)) != NULL);
    CU_ASSERT_FATAL(EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_D, &d) &&
                    BN_bn2binpad(d, d_bytes, sizeof(d_bytes)) == (int)sizeof(d_bytes));
    BN_clear_free(d);
    char pem_line[64], last_lines[80]; /* a line from the middle; the end of the body */
    memcpy(pem_line, pem + pem_len / 2 - (pem_len / 2) % 65, sizeof(pem_line));
    const char *end_line = strstr(pem, "-----END");
    CU_ASSERT_FATAL(end_line != NULL && end_line - pem > (long)sizeof(last_lines) + 40);
    memcpy(last_lines, end_line - 1 - sizeof(last_lines), sizeof(last_lines));
    BIO_free(bio);
    EVP_PKEY_free(pkey);

    freed_probe_reset();
    CU_ASSERT_EQUAL(freed_probe_watch(pem_line, sizeof(pem_line)), 0);
    /* The last line, and the end of the one before, are the last the PEM
     * reader's base64 context held. */
    CU_ASSERT_EQUAL(freed_probe_watch(last_lines + sizeof(last_lines) - 16, 16), 0);
    CU_ASSERT_EQUAL(freed_probe_watch(last_lines, 32), 0);
    CU_ASSERT_EQUAL(freed_probe_watch(d_bytes, sizeof(d_bytes)), 0);
    provider_fixture fx;
    snprintf(lines, sizeof(lines), "raw_rsa_key_file = %s\nraw_rsa_key_name = rsa\n", pem_path);
    CU_ASSERT_FATAL(provider_fixture_start(&fx, lines));
    static const unsigned char plain[] = "wrapped with RSA-OAEP";
    unsigned char *message = NULL;
    size_t message_len = 0;
    CU_ASSERT(fixture_encrypt_declared(&fx, NULL, plain, sizeof(plain), &message, &message_len));
    CU_ASSERT(fixture_decrypts_to(&fx, message, message_len, plain, sizeof(plain)));
    provider_fixture_stop(&fx);
    CU_ASSERT_EQUAL(freed_probe_hits(), 0);
    freed_probe_reset();
    OPENSSL_cleanse(pem_line, sizeof(pem_line));
    OPENSSL_cleanse(last_lines, sizeof(last_lines));
    OPENSSL_cleanse(d_bytes, sizeof(d_bytes));
    OPENSSL_free(message);
    unlink(pem_path);
}

/* The data key of a KMS-wrapped message, as the test itself gets it: the
 * header's first EDK, decrypted by KMS. 0 on failure. */
static int learn_kms_data_key(const char *endpoint, const unsigned char *message, size_t len,
                              unsigned char dek[32])
{
    esdk_decryptor *dec = NULL;
    esdk_decrypt_options options = {0}; /* no CMM: stop after the header */
    unsigned char none[1];
    size_t out_len = 0;
    const esdk_header *header = NULL;
    if (esdk_decrypt_new(&options, &dec) == ESDK_OK &&
        esdk_decrypt_update(dec, message, len, none, 0, &out_len) == ESDK_OK)
        header = esdk_decrypt_header(dec);
    const esdk_edk *edk = header != NULL && header->edks.count > 0 ? &header->edks.items[0] : NULL;
    char arn[512] = "", detail[512];
    if (edk != NULL && edk->provider_info_len < sizeof(arn))
        memcpy(arn, edk->provider_info, edk->provider_info_len);
    kms_client_config config = {.endpoint = endpoint,
                                .region = KMS_LOCAL_DEFAULT_REGION,
                                .access_key_id = KMS_LOCAL_DEFAULT_ACCESS_KEY_ID,
                                .secret_access_key = KMS_LOCAL_DEFAULT_SECRET_KEY};
    kms_client *client = NULL;
    kms_client_result r = {0};
    int ok = arn[0] != '\0' &&
             kms_client_new(&config, &client, detail, sizeof(detail)) == KMS_CLIENT_OK &&
             kms_client_decrypt(client, arn, edk->ciphertext, edk->ciphertext_len, NULL, 32, &r,
                                detail, sizeof(detail)) == KMS_CLIENT_OK;
    if (ok)
        memcpy(dek, r.plaintext, 32);
    kms_client_result_clear(&r);
    kms_client_free(client);
    esdk_decrypt_free(dec);
    return ok;
}

/* A data key from KMS: through the KMS client's response, the cache and the
 * messages, and gone with the provider. The server is another process. */
static void test_kms_data_key_leaves_no_copy(void)
{
    static const unsigned char plain[] = "wrapped by KMS";
    kms_fixture_server server;
    char lines[512];
    unsigned char dek[32], *first = NULL, *second = NULL;
    size_t first_len = 0, second_len = 0;
    provider_fixture fx;
    CU_ASSERT_FATAL(kms_fixture_start(&(kms_fixture_options){0}, &server) == 0);
    kms_fixture_use_credentials(KMS_LOCAL_DEFAULT_ACCESS_KEY_ID, KMS_LOCAL_DEFAULT_SECRET_KEY,
                                NULL);
    snprintf(lines, sizeof(lines),
             "kms_endpoint = %s\nregion = " KMS_LOCAL_DEFAULT_REGION
             "\nkey_id = " KMS_LOCAL_DEFAULT_ALIAS "\n",
             server.endpoint);
    freed_probe_reset();
    freed_probe_hold();
    int started = provider_fixture_start(&fx, lines);
    CU_ASSERT(started &&
              fixture_encrypt_declared(&fx, NULL, plain, sizeof(plain), &first, &first_len) &&
              learn_kms_data_key(server.endpoint, first, first_len, dek));
    CU_ASSERT_EQUAL(freed_probe_watch(dek, sizeof(dek)), 0);
    freed_probe_release_held();
    CU_ASSERT_EQUAL(freed_probe_unchecked(), 0);
    if (started) {
        CU_ASSERT(fixture_encrypt_declared(&fx, NULL, plain, sizeof(plain), &second, &second_len));
        CU_ASSERT(fixture_decrypts_to(&fx, first, first_len, plain, sizeof(plain)));
        CU_ASSERT(fixture_decrypts_to(&fx, second, second_len, plain, sizeof(plain)));
        provider_fixture_stop(&fx);
    }
    CU_ASSERT_EQUAL(freed_probe_hits(), 0);
    freed_probe_reset();
    OPENSSL_cleanse(dek, sizeof(dek));
    OPENSSL_free(first);
    OPENSSL_free(second);
    kms_fixture_stop(&server);
}

int main(void)
{
    static const dekcache_test_case tests[] = {
        {"wrapping key and data key leave no copy", test_wrapping_key_and_data_key_leave_no_copy},
        {"RSA private key leaves no copy", test_rsa_private_key_leaves_no_copy},
        {"KMS data key leaves no copy", test_kms_data_key_leaves_no_copy},
        {NULL, NULL}};
    dekcache_add_suite("provider_secret_copies", write_key_file, remove_key_file, tests);
    return dekcache_run_tests();
}
