#ifndef DEKCACHE_MATERIALS_KMS_KEYRING_H
#define DEKCACHE_MATERIALS_KMS_KEYRING_H

#include <stddef.h>

#include "kms/client/kms_client.h"
#include "message/keyring.h"

/* The ESDK "aws-kms" keyring (esdk-format.md section 9) on the KMS client.
 * EDKs: provider ID "aws-kms", provider info = the key ARN KMS answered with,
 * ciphertext = KMS CiphertextBlob. The full encryption context of the
 * materials goes to KMS with every call. Both modes take a reference on the
 * client; keyrings are immutable after creation and safe to share between
 * threads. */

/* Strict mode: key_ids[0] generates the data key (one GenerateDataKey), every
 * other key wraps it (one Encrypt each). On decrypt only EDKs whose key ARN is
 * on this list are tried, with Decrypt{KeyId = that ARN}. Aliases and bare key
 * ids are resolved to key ARNs once, here, with DescribeKey. */
esdk_status kms_keyring_new_strict(kms_client *client, const char *const *key_ids, size_t n_key_ids,
                                   const char *const *grant_tokens, size_t n_grant_tokens,
                                   esdk_keyring **out, char *detail, size_t detail_len);

/* The key ARN a strict keyring uses for key_id: a key ARN as is, anything else
 * (alias, alias ARN, key id) through DescribeKey. *out is the caller's to
 * OPENSSL_free. */
esdk_status kms_keyring_key_arn(kms_client *client, const char *key_id, char **out, char *detail,
                                size_t detail_len);

/* Discovery mode (decrypt only): tries any aws-kms EDK with the key ARN from
 * its provider info, optionally only in one partition (NULL: any) and for the
 * listed account IDs (n_accounts 0: any). Encrypt fails. */
esdk_status kms_keyring_new_discovery(kms_client *client, const char *partition,
                                      const char *const *account_ids, size_t n_accounts,
                                      const char *const *grant_tokens, size_t n_grant_tokens,
                                      esdk_keyring **out, char *detail, size_t detail_len);

#endif
