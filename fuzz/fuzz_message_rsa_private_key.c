/* libFuzzer: the RSA private key reader of the raw RSA keyring
 * (message/rsa_private_key.c). The input's first byte picks the PEM label
 * (PKCS#8 or PKCS#1), the rest is the DER, so the fuzzer works on the ASN.1
 * rather than on base64. A key that loads must be an RSA key. */
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdint.h>
#include <stdlib.h>

#include "message/rsa_private_key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 16384)
        return 0;
    const char *label = data[0] & 1 ? "RSA PRIVATE KEY" : "PRIVATE KEY";
    BIO *bio = BIO_new(BIO_s_mem());
    char *pem = NULL;
    long pem_len = 0;
    if (bio == NULL || PEM_write_bio(bio, label, "", data + 1, (long)(size - 1)) <= 0 ||
        (pem_len = BIO_get_mem_data(bio, &pem)) <= 0) {
        BIO_free(bio);
        return 0;
    }
    EVP_PKEY *key = NULL;
    if (esdk_rsa_private_key_from_pem(NULL, pem, (size_t)pem_len, &key, NULL, 0) == ESDK_OK &&
        (key == NULL || !EVP_PKEY_is_a(key, "RSA")))
        abort();
    EVP_PKEY_free(key);
    BIO_free(bio);
    return 0;
}
