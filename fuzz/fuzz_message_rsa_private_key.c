/* libFuzzer: the RSA private key reader of the raw RSA keyring
 * (message/rsa_private_key.c). The input's first byte picks the mode: with
 * bit 1 clear, bit 0 picks the PEM label (PKCS#8 or PKCS#1) and the rest is
 * the DER, which the harness wraps as well-formed PEM, so the fuzzer works on
 * the ASN.1 rather than on base64; with bit 1 set, the rest is the PEM text
 * itself, for the block scanner and base64 decoder (find, decode_body,
 * read_key_der), which well-formed PEM never stresses. A key that loads must
 * be an RSA key. */
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdint.h>
#include <stdlib.h>

#include "message/rsa_private_key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads the key from PEM text; aborts if a non-RSA key is accepted. */
static void read_key(const char *pem, size_t len)
{
    EVP_PKEY *key = NULL;
    if (esdk_rsa_private_key_from_pem(NULL, pem, len, &key, NULL, 0) == ESDK_OK &&
        (key == NULL || !EVP_PKEY_is_a(key, "RSA")))
        abort();
    EVP_PKEY_free(key);
}

/* The DER wrapped in a PEM block with the given label. */
static void read_der_as_pem(const char *label, const uint8_t *der, size_t len)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *pem = NULL;
    long pem_len = 0;
    if (bio != NULL && PEM_write_bio(bio, label, "", der, (long)len) > 0 &&
        (pem_len = BIO_get_mem_data(bio, &pem)) > 0)
        read_key(pem, (size_t)pem_len);
    BIO_free(bio);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 16384)
        return 0;
    if (data[0] & 2)
        read_key((const char *)data + 1, size - 1);
    else
        read_der_as_pem(data[0] & 1 ? "RSA PRIVATE KEY" : "PRIVATE KEY", data + 1, size - 1);
    return 0;
}
