/* esdk_rsa_private_key_from_pem: the RSA private key forms a raw RSA keyring
 * reads from a file, and what it refuses. */
#include <CUnit/CUnit.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
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

static char why[256];

/* Loads the PEM that `writers` produce one after another; returns the key
 * (the reason of a refusal in `why`). */
static EVP_PKEY *load_written(const pem_writer *writers, size_t n, EVP_PKEY *key,
                              esdk_status *status)
{
    BIO *bio = BIO_new(BIO_s_secmem());
    char *pem = NULL;
    for (size_t i = 0; i < n; i++)
        CU_ASSERT_FATAL(writers[i](bio, key));
    long len = BIO_get_mem_data(bio, &pem);
    EVP_PKEY *loaded = NULL;
    why[0] = '\0';
    *status = esdk_rsa_private_key_from_pem(NULL, pem, (size_t)len, &loaded, why, sizeof(why));
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

static void expect_refused(const pem_writer *writers, size_t n, EVP_PKEY *key, const char *reason)
{
    esdk_status status;
    EVP_PKEY *loaded = load_written(writers, n, key, &status);
    CU_ASSERT_EQUAL(status, ESDK_ERR_INVALID_ARGUMENT);
    CU_ASSERT_PTR_NULL(loaded);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, reason));
    if (strstr(why, reason) == NULL)
        fprintf(stderr, "\n  expected \"%s\", got \"%s\"\n", reason, why);
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

static EVP_PKEY *three_prime_key(void)
{
    EVP_PKEY *key = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    if (ctx != NULL && EVP_PKEY_keygen_init(ctx) > 0 &&
        EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048) > 0 &&
        EVP_PKEY_CTX_set_rsa_keygen_primes(ctx, 3) > 0)
        EVP_PKEY_generate(ctx, &key);
    EVP_PKEY_CTX_free(ctx);
    return key;
}

/* A PKCS#1 PEM of the RSAPrivateKey with these DER bytes. */
static void expect_der_refused(const unsigned char *der, size_t len, const char *reason)
{
    BIO *bio = BIO_new(BIO_s_mem());
    CU_ASSERT_FATAL(bio != NULL && PEM_write_bio(bio, "RSA PRIVATE KEY", "", der, (long)len) > 0);
    char *pem = NULL;
    long pem_len = BIO_get_mem_data(bio, &pem);
    EVP_PKEY *loaded = NULL;
    why[0] = '\0';
    CU_ASSERT_EQUAL(
        esdk_rsa_private_key_from_pem(NULL, pem, (size_t)pem_len, &loaded, why, sizeof(why)),
        ESDK_ERR_INVALID_ARGUMENT);
    CU_ASSERT_PTR_NULL(loaded);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, reason));
    BIO_free(bio);
}

static void test_refused_forms(void)
{
    /* Encrypted keys would need a passphrase; a public key is not private. */
    expect_refused((pem_writer[]){write_encrypted_pkcs8}, 1, rsa_key, "encrypted");
    expect_refused((pem_writer[]){write_encrypted_pkcs1}, 1, rsa_key, "encrypted");
    expect_refused((pem_writer[]){write_public}, 1, rsa_key, "no PRIVATE KEY");
    /* A PKCS#8 key of another algorithm; a multi-prime RSA key. */
    EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ec);
    expect_refused((pem_writer[]){write_pkcs8}, 1, ec, "another algorithm");
    EVP_PKEY_free(ec);
    EVP_PKEY *three = three_prime_key();
    CU_ASSERT_PTR_NOT_NULL_FATAL(three);
    expect_refused((pem_writer[]){write_pkcs1}, 1, three, "two-prime");
    EVP_PKEY_free(three);
    /* Parts that do not agree: e = 3 instead of 65537, n = 35 = 5 x 7. */
    static const unsigned char mismatched[] = {
        0x30, 0x1b, 0x02, 0x01, 0x00, 0x02, 0x01, 0x23, 0x02, 0x01, 0x03, 0x02, 0x01, 0x05, 0x02,
        0x01, 0x05, 0x02, 0x01, 0x07, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x02, 0x01, 0x03};
    expect_der_refused(mismatched, sizeof(mismatched), "do not agree");
    /* Damaged text. */
    static const char *const texts[] = {
        "",
        "not PEM",
        "-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n",
        "-----BEGIN RSA PRIVATE KEY-----\nMAMCAQE=\n-----END RSA PRIVATE KEY-----\n",
        "-----BEGIN RSA PRIVATE KEY-----\nMA=M\n-----END RSA PRIVATE KEY-----\n",
        "-----BEGIN RSA PRIVATE KEY-----\nMAMCAQE=\n",
    };
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        EVP_PKEY *loaded = NULL;
        CU_ASSERT_EQUAL(
            esdk_rsa_private_key_from_pem(NULL, texts[i], strlen(texts[i]), &loaded, NULL, 0),
            ESDK_ERR_INVALID_ARGUMENT);
        CU_ASSERT_PTR_NULL(loaded);
    }
}

int main(void)
{
    static const dekcache_test_case tests[] = {
        {"PKCS#8 and PKCS#1 load the same key", test_pkcs8_and_pkcs1_load_the_same_key},
        {"the loaded key decrypts", test_loaded_key_decrypts},
        {"encrypted, public, non-RSA, multi-prime, inconsistent and damaged keys are refused",
         test_refused_forms},
        {NULL, NULL}};
    dekcache_add_suite("message_rsa_private_key", make_key, free_key, tests);
    return dekcache_run_tests();
}
