/* DescribeKey: metadata in the shape AWS returns (also for disabled keys). */
#include "kms/server/kms_operations.h"
#include "kms/server/kms_request.h"

json_object *kms_op_describe_key(const keystore *ks, json_object *req, kms_error *err)
{
    const char *key_id;
    char arn[256];
    if (kms_request_string(req, "KeyId", 1, &key_id, err) != 0)
        return NULL;
    const kms_key *key = keystore_resolve(ks, key_id, err);
    if (key == NULL)
        return NULL;
    keystore_key_arn(ks, key, arn, sizeof(arn));
    json_object *meta = json_object_new_object();
    kms_response_add_string(meta, "AWSAccountId", ks->account);
    kms_response_add_string(meta, "KeyId", key->id);
    kms_response_add_string(meta, "Arn", arn);
    json_object_object_add(meta, "CreationDate", json_object_new_int64(key->creation_date));
    json_object_object_add(meta, "Enabled", json_object_new_boolean(key->enabled));
    kms_response_add_string(meta, "Description", key->description);
    kms_response_add_string(meta, "KeyUsage", "ENCRYPT_DECRYPT");
    kms_response_add_string(meta, "KeyState", key->enabled ? "Enabled" : "Disabled");
    kms_response_add_string(meta, "Origin", "AWS_KMS");
    kms_response_add_string(meta, "KeyManager", "CUSTOMER");
    kms_response_add_string(meta, "KeySpec", "SYMMETRIC_DEFAULT");
    kms_response_add_string(meta, "CustomerMasterKeySpec", "SYMMETRIC_DEFAULT");
    json_object *algs = json_object_new_array();
    json_object_array_add(algs, json_object_new_string("SYMMETRIC_DEFAULT"));
    json_object_object_add(meta, "EncryptionAlgorithms", algs);
    json_object_object_add(meta, "MultiRegion", json_object_new_boolean(0));
    json_object *resp = json_object_new_object();
    json_object_object_add(resp, "KeyMetadata", meta);
    return resp;
}
