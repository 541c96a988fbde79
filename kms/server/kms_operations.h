/* The KMS operations dekcache-kms-local implements, dispatched by the
 * X-Amz-Target header ("TrentService.<Operation>"). */
#ifndef DEKCACHE_KMS_SERVER_OPERATIONS_H
#define DEKCACHE_KMS_SERVER_OPERATIONS_H

#include "kms/server/keystore.h"
#include "kms/server/kms_error.h"

#include <json-c/json.h>
#include <stddef.h>

typedef enum {
    KMS_SERVER_OP_GENERATE_DATA_KEY,
    KMS_SERVER_OP_GENERATE_DATA_KEY_WITHOUT_PLAINTEXT,
    KMS_SERVER_OP_ENCRYPT,
    KMS_SERVER_OP_DECRYPT,
    KMS_SERVER_OP_RE_ENCRYPT,
    KMS_SERVER_OP_DESCRIBE_KEY,
    KMS_SERVER_OP_UNKNOWN, /* also the count of real operations */
} kms_operation;

#define KMS_SERVER_OP_COUNT KMS_SERVER_OP_UNKNOWN

/* From an X-Amz-Target value; KMS_SERVER_OP_UNKNOWN when missing or unsupported. */
kms_operation kms_operation_from_target(const char *target);
/* From a bare name ("Decrypt"); KMS_SERVER_OP_UNKNOWN when unsupported. */
kms_operation kms_operation_from_name(const char *name);
const char *kms_operation_name(kms_operation op);

/* Runs op on a JSON request body. Returns the JSON response (malloc'd; it
 * may hold a plaintext key: cleanse before free) or NULL with err set. */
char *kms_operation_run(const keystore *ks, kms_operation op, const char *body, size_t body_len,
                        kms_error *err);

/* The operations themselves (one file per family), on a parsed request. */
json_object *kms_op_generate_data_key(const keystore *ks, json_object *req, int with_plaintext,
                                      kms_error *err);
json_object *kms_op_encrypt(const keystore *ks, json_object *req, kms_error *err);
json_object *kms_op_decrypt(const keystore *ks, json_object *req, kms_error *err);
json_object *kms_op_re_encrypt(const keystore *ks, json_object *req, kms_error *err);
json_object *kms_op_describe_key(const keystore *ks, json_object *req, kms_error *err);

#endif
