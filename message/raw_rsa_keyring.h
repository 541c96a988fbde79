#ifndef DEKCACHE_MESSAGE_RAW_RSA_KEYRING_H
#define DEKCACHE_MESSAGE_RAW_RSA_KEYRING_H

#include <openssl/evp.h>
#include <stddef.h>

#include "message/keyring.h"

/* Padding schemes of the ESDK raw RSA keyring. OAEP uses the same hash for MGF1. */
typedef enum {
    ESDK_RSA_PKCS1, /* PKCS#1 v1.5 */
    ESDK_RSA_OAEP_SHA1,
    ESDK_RSA_OAEP_SHA256,
    ESDK_RSA_OAEP_SHA384,
    ESDK_RSA_OAEP_SHA512
} esdk_rsa_padding;

/* The ESDK raw RSA keyring: provider_id = namespace, provider_info = key name,
 * ciphertext = RSA encryption of the data key (no AAD). public_key encrypts,
 * private_key decrypts; either may be NULL (then that direction fails). The
 * keyring takes a new reference on each key (EVP_PKEY_up_ref). */
esdk_status esdk_raw_rsa_keyring_new(const esdk_crypto *crypto, const char *key_namespace,
                                     const char *key_name, esdk_rsa_padding padding,
                                     EVP_PKEY *public_key, EVP_PKEY *private_key,
                                     esdk_keyring **out);

/* Loads a PEM key from memory: a private key as esdk_rsa_private_key_from_pem
 * reads it (PKCS#8 or PKCS#1, unencrypted), or an SPKI public key. */
esdk_status esdk_rsa_key_from_pem(const esdk_crypto *crypto, const char *pem, size_t pem_len,
                                  int is_private, EVP_PKEY **out);

#endif
