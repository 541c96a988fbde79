/* libFuzzer: the RSA private key reader of the raw RSA keyring
 * (message/rsa_private_key.c). The input's first byte picks the PEM label
 * (PKCS#8 or PKCS#1), the rest is the DER, so the fuzzer works on the ASN.1
 * rather than on base64. A key that loads must be an RSA key. */
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "message/rsa_private_key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *as_pem(const uint8_t *der, size_t len, const char *label)
{
    size_t b64_len = 4 * ((len + 2) / 3);
    size_t cap = b64_len + b64_len / 64 + 2 * strlen(label) + 64;
    char *pem = malloc(cap);
    if (pem == NULL)
        return NULL;
    size_t at = (size_t)snprintf(pem, cap, "-----BEGIN %s-----\n", label);
    for (size_t i = 0; i < len; i += 48) { /* 64 characters a line */
        size_t n = len - i < 48 ? len - i : 48;
        at += (size_t)EVP_EncodeBlock((unsigned char *)pem + at, der + i, (int)n);
        pem[at++] = '\n';
    }
    snprintf(pem + at, cap - at, "-----END %s-----\n", label);
    return pem;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 16384)
        return 0;
    const char *label = data[0] & 1 ? "RSA PRIVATE KEY" : "PRIVATE KEY";
    char *pem = as_pem(data + 1, size - 1, label);
    if (pem == NULL)
        return 0;
    EVP_PKEY *key = NULL;
    if (esdk_rsa_private_key_from_pem(NULL, pem, strlen(pem), &key, NULL, 0) == ESDK_OK &&
        (key == NULL || !EVP_PKEY_is_a(key, "RSA")))
        abort();
    EVP_PKEY_free(key);
    free(pem);
    return 0;
}
