/* dekcache-kms-local leaves no uncleansed copy of a secret in freed heap
 * memory: not of a plaintext it encrypts or returns (the request and
 * response JSON, json-c's copies, the serialisation buffer), and not of the
 * key material and secret access keys in its configuration. The allocator
 * is replaced by freed_memory_probe, which searches every freed block. */
#include "cunit_run.h"
#include "freed_memory_probe.h"
#include "kms/base64/base64.h"
#include "kms/server/keystore.h"
#include "kms/server/kms_operations.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 32 bytes no allocator or library would hold by chance. */
static const unsigned char secret[32] = "dekcache-probe:plaintext-32bytes";

static keystore ks;
static int ks_loaded;

static int load_config(void)
{
    char detail[256];
    ks_loaded = keystore_load_file(&ks, KMS_TEST_CONFIG, detail, sizeof(detail)) == 0;
    return ks_loaded ? 0 : -1;
}

static int free_config(void)
{
    if (ks_loaded)
        keystore_free(&ks);
    freed_probe_reset();
    return 0;
}

/* The probe must see a copy that is freed uncleansed, or the other tests
 * would pass for want of looking. */
static void test_probe_sees_a_forgotten_copy(void)
{
    /* Through volatile pointers, or the compiler drops the pairs. */
    void *(*volatile alloc)(size_t) = malloc;
    void *(*volatile grow)(void *, size_t) = realloc;
    void (*volatile release_block)(void *) = free;
    freed_probe_reset();
    CU_ASSERT_EQUAL_FATAL(freed_probe_watch(secret, sizeof(secret)), 0);
    unsigned char *copy = alloc(100);
    CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
    memcpy(copy + 10, secret, sizeof(secret));
    release_block(copy);
    CU_ASSERT_EQUAL(freed_probe_hits(), 1);
    copy = alloc(100);
    CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
    memcpy(copy, secret, sizeof(secret));
    unsigned char *grown = grow(copy, 100000); /* moved: the old block counts */
    CU_ASSERT_PTR_NOT_NULL_FATAL(grown);
    CU_ASSERT_EQUAL(freed_probe_hits(), 2);
    OPENSSL_clear_free(grown, 100000);
    CU_ASSERT_EQUAL(freed_probe_hits(), 2);
    freed_probe_reset();
}

/* Runs one operation with the secret and its base64 watched and returns its
 * response (NULL on failure, the error on stderr); release() cleanses and
 * frees it as the HTTP layer does. */
static char *run_watched(kms_operation op, const char *request, const char *b64)
{
    kms_error err = {0};
    freed_probe_reset();
    CU_ASSERT_EQUAL(freed_probe_watch(secret, sizeof(secret)), 0);
    CU_ASSERT_EQUAL(freed_probe_watch(b64, strlen(b64)), 0);
    char *resp = kms_operation_run(&ks, op, request, strlen(request), &err);
    if (resp == NULL)
        fprintf(stderr, "%s: %s\n", err.type, err.message);
    return resp;
}

static void release(char *resp)
{
    if (resp != NULL)
        OPENSSL_clear_free(resp, strlen(resp));
}

/* Copies the string value of "field" out of a flat JSON response. */
static int field_value(const char *resp, const char *field, char *out, size_t size)
{
    char key[64];
    snprintf(key, sizeof(key), "\"%s\":\"", field);
    const char *start = resp ? strstr(resp, key) : NULL;
    const char *end = start ? strchr(start + strlen(key), '"') : NULL;
    if (end == NULL || (size_t)(end - start) - strlen(key) >= size)
        return -1;
    start += strlen(key);
    memcpy(out, start, (size_t)(end - start));
    out[end - start] = '\0';
    return 0;
}

static void test_encrypt_then_decrypt_leave_no_copy(void)
{
    char b64[(sizeof(secret) + 2) / 3 * 4 + 1];
    CU_ASSERT_EQUAL_FATAL(kms_base64_encoded_len(sizeof(secret)) + 1, sizeof(b64));
    kms_base64_encode(secret, sizeof(secret), b64);
    char request[1024], blob[512];
    snprintf(request, sizeof(request), "{\"KeyId\":\"alias/test-one\",\"Plaintext\":\"%s\"}", b64);
    char *resp = run_watched(KMS_SERVER_OP_ENCRYPT, request, b64);
    CU_ASSERT_PTR_NOT_NULL(resp);
    CU_ASSERT_EQUAL(field_value(resp, "CiphertextBlob", blob, sizeof(blob)), 0);
    release(resp);
    CU_ASSERT_EQUAL(freed_probe_hits(), 0);

    snprintf(request, sizeof(request), "{\"CiphertextBlob\":\"%s\"}", blob);
    resp = run_watched(KMS_SERVER_OP_DECRYPT, request, b64);
    CU_ASSERT_PTR_NOT_NULL(resp);
    char plaintext[128];
    CU_ASSERT_EQUAL(field_value(resp, "Plaintext", plaintext, sizeof(plaintext)), 0);
    CU_ASSERT_STRING_EQUAL(plaintext, b64);
    OPENSSL_cleanse(plaintext, sizeof(plaintext));
    release(resp);
    CU_ASSERT_EQUAL(freed_probe_hits(), 0);
    freed_probe_reset();
    OPENSSL_cleanse(request, sizeof(request));
    OPENSSL_cleanse(b64, sizeof(b64));
}

/* A request naming "Plaintext" twice is refused before json-c, which would
 * keep the second value and free the first one's string uncleansed. */
static void test_repeated_member_leaves_no_copy(void)
{
    char b64[(sizeof(secret) + 2) / 3 * 4 + 1];
    kms_base64_encode(secret, sizeof(secret), b64);
    char request[1024];
    snprintf(request, sizeof(request),
             "{\"KeyId\":\"alias/test-one\",\"Plaintext\":\"%s\",\"Plaintext\":\"eA==\"}", b64);
    kms_error err = {0};
    freed_probe_reset();
    CU_ASSERT_EQUAL(freed_probe_watch(b64, strlen(b64)), 0);
    char *resp = kms_operation_run(&ks, KMS_SERVER_OP_ENCRYPT, request, strlen(request), &err);
    CU_ASSERT_PTR_NULL(resp);
    release(resp);
    CU_ASSERT_STRING_EQUAL(err.type, "SerializationException");
    CU_ASSERT_EQUAL(freed_probe_hits(), 0);
    freed_probe_reset();
    OPENSSL_cleanse(request, sizeof(request));
    OPENSSL_cleanse(b64, sizeof(b64));
}

/* Whether the loaded keystore holds this credential with this secret access
 * key / this key with this material. Compared in place: no copy of a watched
 * secret is made on the heap, where the probe would find it once freed. */
static int holds_credential(const char *access_key_id, const char *secret_access_key)
{
    const kms_credential *cred = keystore_find_credential(&ks, access_key_id);
    return cred != NULL && cred->secret_access_key != NULL &&
           strcmp(cred->secret_access_key, secret_access_key) == 0;
}

static int holds_material(const char *key_id, const unsigned char *material)
{
    const kms_key *key = keystore_find_key(&ks, key_id);
    return key != NULL && key->material != NULL &&
           CRYPTO_memcmp(key->material, material, KMS_MASTER_KEY_LEN) == 0;
}

/* The test configuration's key material and secret access keys. */
static void test_config_secrets_leave_no_copy(void)
{
    static const unsigned char material[KMS_MASTER_KEY_LEN] = {
        0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
        16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31};
    static const char material_b64[] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    static const char plain_secret[] = "plain-secret";
    static const char session_secret[] = "session-secret";
    keystore_free(&ks);
    ks_loaded = 0;
    freed_probe_reset();
    CU_ASSERT_EQUAL(freed_probe_watch(material, sizeof(material)), 0);
    CU_ASSERT_EQUAL(freed_probe_watch(material_b64, strlen(material_b64)), 0);
    CU_ASSERT_EQUAL(freed_probe_watch(plain_secret, strlen(plain_secret)), 0);
    CU_ASSERT_EQUAL(freed_probe_watch(session_secret, strlen(session_secret)), 0);
    CU_ASSERT_EQUAL_FATAL(load_config(), 0);
    /* The watched secrets are really in the configuration, or the test would
     * pass for want of them. */
    CU_ASSERT_TRUE(holds_material("11111111-1111-4111-8111-111111111111", material));
    CU_ASSERT_TRUE(holds_credential("AKIDTESTPLAIN", plain_secret));
    CU_ASSERT_TRUE(holds_credential("ASIATESTSESSION", session_secret));
    keystore_free(&ks);
    CU_ASSERT_EQUAL(freed_probe_hits(), 0);
    freed_probe_reset();
    CU_ASSERT_EQUAL(load_config(), 0);
}

int main(void)
{
    static const dekcache_test_case tests[] = {
        {"probe sees a forgotten copy", test_probe_sees_a_forgotten_copy},
        {"encrypt then decrypt leave no copy", test_encrypt_then_decrypt_leave_no_copy},
        {"a repeated member leaves no copy", test_repeated_member_leaves_no_copy},
        {"config secrets leave no copy", test_config_secrets_leave_no_copy},
        {NULL, NULL}};
    dekcache_add_suite("kms_server_secret_copies", load_config, free_config, tests);
    return dekcache_run_tests();
}
