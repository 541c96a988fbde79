#include "kms/server/kms_operations.h"

#include "kms/server/kms_request.h"

#include <string.h>

static const char *const op_names[KMS_SERVER_OP_COUNT] = {
    "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "Encrypt", "Decrypt", "ReEncrypt",
    "DescribeKey"};

kms_operation kms_operation_from_name(const char *name)
{
    for (int op = 0; name && op < KMS_SERVER_OP_COUNT; op++)
        if (strcmp(name, op_names[op]) == 0)
            return (kms_operation)op;
    return KMS_SERVER_OP_UNKNOWN;
}

kms_operation kms_operation_from_target(const char *target)
{
    static const char prefix[] = "TrentService.";
    if (target == NULL || strncmp(target, prefix, sizeof(prefix) - 1) != 0)
        return KMS_SERVER_OP_UNKNOWN;
    return kms_operation_from_name(target + sizeof(prefix) - 1);
}

const char *kms_operation_name(kms_operation op)
{
    return op >= 0 && op < KMS_SERVER_OP_COUNT ? op_names[op] : "Unknown";
}

static json_object *dispatch(const keystore *ks, kms_operation op, json_object *req, kms_error *err)
{
    switch (op) {
    case KMS_SERVER_OP_GENERATE_DATA_KEY:
        return kms_op_generate_data_key(ks, req, 1, err);
    case KMS_SERVER_OP_GENERATE_DATA_KEY_WITHOUT_PLAINTEXT:
        return kms_op_generate_data_key(ks, req, 0, err);
    case KMS_SERVER_OP_ENCRYPT:
        return kms_op_encrypt(ks, req, err);
    case KMS_SERVER_OP_DECRYPT:
        return kms_op_decrypt(ks, req, err);
    case KMS_SERVER_OP_RE_ENCRYPT:
        return kms_op_re_encrypt(ks, req, err);
    case KMS_SERVER_OP_DESCRIBE_KEY:
        return kms_op_describe_key(ks, req, err);
    case KMS_SERVER_OP_UNKNOWN:
        break;
    }
    kms_error_set(err, "UnknownOperationException", "operation is not supported");
    return NULL;
}

char *kms_operation_run(const keystore *ks, kms_operation op, const char *body, size_t body_len,
                        kms_error *err)
{
    if (op == KMS_SERVER_OP_UNKNOWN)
        return dispatch(ks, op, NULL, err), NULL;
    json_object *req = kms_request_parse(body, body_len, err);
    if (req == NULL)
        return NULL;
    json_object *resp = dispatch(ks, op, req, err);
    json_secret_release(req);
    return resp ? kms_response_finish(resp, err) : NULL;
}
