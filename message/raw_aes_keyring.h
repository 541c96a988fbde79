#ifndef DEKCACHE_MESSAGE_RAW_AES_KEYRING_H
#define DEKCACHE_MESSAGE_RAW_AES_KEYRING_H

#include <stddef.h>

#include "message/keyring.h"

/* The ESDK raw AES keyring (esdk-format.md section 9): wraps the data key with
 * AES-GCM under a 128/192/256-bit wrapping key, AAD = serialised EC.
 * provider_id = key namespace (must not start with "aws-kms"); provider_info =
 * key_name || 00000080 || 0000000C || IV. The wrapping key is copied into
 * secure memory. */
esdk_status esdk_raw_aes_keyring_new(const esdk_crypto *crypto, const char *key_namespace,
                                     const char *key_name, const uint8_t *wrapping_key,
                                     size_t wrapping_key_len, esdk_keyring **out);

#endif
