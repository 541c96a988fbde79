/* esdk_rsa_private_key_from_pem: the RSA private key forms a raw RSA keyring
 * reads from a file, and what it refuses. */
#include <CUnit/CUnit.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <string.h>

#include "cunit_run.h"
#include "message/rsa_private_key.h"

static EVP_PKEY *rsa_key;

static int make_key(void)
{
    rsa_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    return rsa_key != NULL ? 0 : 1;
}

static int free_key(void)
{
    EVP_PKEY_free(rsa_key);
    return 0;
}

typedef int (*pem_writer)(BIO *bio, EVP_PKEY *key);

static int write_pkcs8(BIO *bio, EVP_PKEY *key)
{
    return PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL);
}

static int write_pkcs1(BIO *bio, EVP_PKEY *key)
{
    return PEM_write_bio_PrivateKey_traditional(bio, key, NULL, NULL, 0, NULL, NULL);
}

static int write_encrypted_pkcs8(BIO *bio, EVP_PKEY *key)
{
    return PEM_write_bio_PKCS8PrivateKey(bio, key, EVP_aes_256_cbc(), NULL, 0, NULL, "secret");
}

static int write_encrypted_pkcs1(BIO *bio, EVP_PKEY *key)
{
    return PEM_write_bio_PrivateKey_traditional(bio, key, EVP_aes_256_cbc(),
                                                (unsigned char *)"secret", 6, NULL, NULL);
}

static int write_public(BIO *bio, EVP_PKEY *key)
{
    return PEM_write_bio_PUBKEY(bio, key);
}

/* Loads the PEM that `writers` produce one after another; returns the key. */
static EVP_PKEY *load_written(const pem_writer *writers, size_t n, EVP_PKEY *key,
                              esdk_status *status)
{
    BIO *bio = BIO_new(BIO_s_secmem());
    char *pem = NULL;
    for (size_t i = 0; i < n; i++)
        CU_ASSERT_FATAL(writers[i](bio, key));
    long len = BIO_get_mem_data(bio, &pem);
    EVP_PKEY *loaded = NULL;
    *status = esdk_rsa_private_key_from_pem(NULL, pem, (size_t)len, &loaded);
    BIO_free(bio);
    return loaded;
}

static void expect_same_key(const pem_writer *writers, size_t n)
{
    esdk_status status;
    EVP_PKEY *loaded = load_written(writers, n, rsa_key, &status);
    CU_ASSERT_EQUAL(status, ESDK_OK);
    CU_ASSERT_PTR_NOT_NULL_FATAL(loaded);
    CU_ASSERT_EQUAL(EVP_PKEY_eq(loaded, rsa_key), 1);
    EVP_PKEY_free(loaded);
}

static void expect_refused(const pem_writer *writers, size_t n, EVP_PKEY *key)
{
    esdk_status status;
    EVP_PKEY *loaded = load_written(writers, n, key, &status);
    CU_ASSERT_EQUAL(status, ESDK_ERR_INVALID_ARGUMENT);
    CU_ASSERT_PTR_NULL(loaded);
    EVP_PKEY_free(loaded);
}

static void test_pkcs8_and_pkcs1_load_the_same_key(void)
{
    expect_same_key((pem_writer[]){write_pkcs8}, 1);
    expect_same_key((pem_writer[]){write_pkcs1}, 1);
    /* The private key may follow other blocks (a certificate, its public key). */
    expect_same_key((pem_writer[]){write_public, write_pkcs1}, 2);
}

static void test_loaded_key_decrypts(void)
{
    esdk_status status;
    EVP_PKEY *loaded = load_written((pem_writer[]){write_pkcs8}, 1, rsa_key, &status);
    CU_ASSERT_PTR_NOT_NULL_FATAL(loaded);
    unsigned char secret[32] = "a data key, wrapped with OAEP..", ct[256], back[256];
    size_t ct_len = sizeof(ct), back_len = sizeof(back);
    EVP_PKEY_CTX *enc = EVP_PKEY_CTX_new(rsa_key, NULL), *dec = EVP_PKEY_CTX_new(loaded, NULL);
    CU_ASSERT(EVP_PKEY_encrypt_init(enc) > 0 &&
              EVP_PKEY_CTX_set_rsa_padding(enc, RSA_PKCS1_OAEP_PADDING) > 0 &&
              EVP_PKEY_encrypt(enc, ct, &ct_len, secret, sizeof(secret)) > 0);
    CU_ASSERT(EVP_PKEY_decrypt_init(dec) > 0 &&
              EVP_PKEY_CTX_set_rsa_padding(dec, RSA_PKCS1_OAEP_PADDING) > 0 &&
              EVP_PKEY_decrypt(dec, back, &back_len, ct, ct_len) > 0);
    CU_ASSERT(back_len == sizeof(secret) && memcmp(back, secret, back_len) == 0);
    EVP_PKEY_CTX_free(enc);
    EVP_PKEY_CTX_free(dec);
    EVP_PKEY_free(loaded);
}

static void test_refused_forms(void)
{
    /* Encrypted keys would need a passphrase; a public key is not private. */
    expect_refused((pem_writer[]){write_encrypted_pkcs8}, 1, rsa_key);
    expect_refused((pem_writer[]){write_encrypted_pkcs1}, 1, rsa_key);
    expect_refused((pem_writer[]){write_public}, 1, rsa_key);
    /* A PKCS#8 key of another algorithm. */
    EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ec);
    expect_refused((pem_writer[]){write_pkcs8}, 1, ec);
    EVP_PKEY_free(ec);
    /* Damaged text. */
    static const char *const texts[] = {
        "",
        "not PEM",
        "-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n",
        "-----BEGIN RSA PRIVATE KEY-----\nMAMCAQE=\n-----END RSA PRIVATE KEY-----\n",
    };
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        EVP_PKEY *loaded = NULL;
        CU_ASSERT_EQUAL(esdk_rsa_private_key_from_pem(NULL, texts[i], strlen(texts[i]), &loaded),
                        ESDK_ERR_INVALID_ARGUMENT);
        CU_ASSERT_PTR_NULL(loaded);
    }
}

int main(void)
{
    static const dekcache_test_case tests[] = {
        {"PKCS#8 and PKCS#1 load the same key", test_pkcs8_and_pkcs1_load_the_same_key},
        {"the loaded key decrypts", test_loaded_key_decrypts},
        {"encrypted, public, non-RSA and damaged keys are refused", test_refused_forms},
        {NULL, NULL}};
    dekcache_add_suite("message_rsa_private_key", make_key, free_key, tests);
    return dekcache_run_tests();
}
