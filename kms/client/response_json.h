#ifndef DEKCACHE_KMS_CLIENT_RESPONSE_JSON_H
#define DEKCACHE_KMS_CLIENT_RESPONSE_JSON_H

#include "kms/client/kms_client.h"

/* Strict parsers of KMS JSON 1.1 response bodies (untrusted bytes). Members a
 * call needs must be present with the right JSON type and size; others are
 * ignored, as AWS adds members over time. On failure they return
 * KMS_CLIENT_ERR_BAD_RESPONSE (or _NO_MEMORY) and say why in reason. */

/* KMS's limit on a CiphertextBlob. */
#define RESPONSE_JSON_MAX_CIPHERTEXT 6144

typedef struct {
    int want_plaintext;
    size_t plaintext_len; /* required length; 0: any non-empty */
    int want_ciphertext;
} response_json_expect;

/* GenerateDataKey, Encrypt and Decrypt: KeyId (a key ARN) and the blobs that
 * expect names. The plaintext goes to the secure heap; on failure out holds
 * nothing. */
kms_client_status response_json_parse_key_op(const char *body, size_t len,
                                             const response_json_expect *expect,
                                             kms_client_result *out, char *reason,
                                             size_t reason_cap);

/* DescribeKey: KeyMetadata.Arn, KeyMetadata.KeyState, KeyMetadata.Enabled. */
kms_client_status response_json_parse_describe_key(const char *body, size_t len,
                                                   kms_client_key_info *out, char *reason,
                                                   size_t reason_cap);

/* An error body {"__type": "...", "message": "..."}: type without any
 * "namespace#" prefix. Returns 1 if a __type was found; message may be empty. */
int response_json_parse_error(const char *body, size_t len, char *type, size_t type_cap,
                              char *message, size_t message_cap);

#endif
