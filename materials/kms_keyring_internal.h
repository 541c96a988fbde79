#ifndef DEKCACHE_MATERIALS_KMS_KEYRING_INTERNAL_H
#define DEKCACHE_MATERIALS_KMS_KEYRING_INTERNAL_H

#include "materials/kms_keyring.h"

#define KMS_KEYRING_PROVIDER_ID "aws-kms"

typedef struct {
    esdk_keyring base;
    kms_client *client;
    int discovery;
    char **key_arns; /* strict: resolved wrapping keys, generator first */
    size_t n_key_arns;
    char *partition; /* discovery filter; NULL: any */
    char **accounts; /* discovery filter */
    size_t n_accounts;
    char **grant_tokens;
    size_t n_grant_tokens;
} kms_keyring;

/* The materials' EC as the client's string map; pairs point into ec. Fails
 * (detail set) when a key or value holds a NUL byte, which JSON strings here
 * cannot carry. The caller frees context->pairs with OPENSSL_free. */
esdk_status kms_keyring_context(const kms_keyring *k, const esdk_enc_context *ec,
                                kms_client_context *context, char *detail, size_t detail_len);

esdk_status kms_keyring_on_encrypt(esdk_keyring *keyring, esdk_enc_materials *mat, char *detail,
                                   size_t detail_len);
esdk_status kms_keyring_on_decrypt(esdk_keyring *keyring, esdk_dec_materials *mat,
                                   const esdk_edk *edks, size_t edk_count, char *detail,
                                   size_t detail_len);

#endif
