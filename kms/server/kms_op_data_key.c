/* GenerateDataKey and GenerateDataKeyWithoutPlaintext. */
#include "kms/json/json_member.h"
#include "kms/server/ciphertext_blob.h"
#include "kms/server/kms_operations.h"
#include "kms/server/kms_request.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DATA_KEY_BYTES 1024

/* NumberOfBytes (1..1024) or KeySpec (AES_256 / AES_128), exactly one. */
static int data_key_length(json_object *req, size_t *len, kms_error *err)
{
    json_object *bytes;
    const char *spec = NULL;
    json_member_status has_bytes =
        json_member_get(req, "NumberOfBytes", json_type_int, JSON_MEMBER_NULL_IS_ABSENT, &bytes);
    if (kms_request_string(req, "KeySpec", 0, &spec, err) != 0)
        return -1;
    if ((has_bytes != JSON_MEMBER_ABSENT) == (spec != NULL)) {
        kms_error_set(err, "ValidationException", "give exactly one of KeySpec or NumberOfBytes");
        return -1;
    }
    if (spec != NULL) {
        if (strcmp(spec, "AES_256") != 0 && strcmp(spec, "AES_128") != 0) {
            kms_error_set(err, "ValidationException", "KeySpec must be AES_256 or AES_128");
            return -1;
        }
        *len = strcmp(spec, "AES_256") == 0 ? 32 : 16;
        return 0;
    }
    int64_t n = json_object_get_int64(bytes); /* 0 for a wrong type's NULL */
    if (has_bytes == JSON_MEMBER_WRONG_TYPE || n < 1 || n > MAX_DATA_KEY_BYTES) {
        kms_error_set(err, "ValidationException", "NumberOfBytes must be an integer in 1..%d",
                      MAX_DATA_KEY_BYTES);
        return -1;
    }
    *len = (size_t)n;
    return 0;
}

static json_object *respond(const keystore *ks, const kms_key *key, const unsigned char *blob,
                            size_t blob_len, const unsigned char *dek, size_t dek_len,
                            int with_plaintext, kms_error *err)
{
    char arn[256];
    json_object *resp = json_object_new_object();
    keystore_key_arn(ks, key, arn, sizeof(arn));
    kms_response_add_string(resp, "KeyId", arn);
    if (kms_response_add_blob(resp, "CiphertextBlob", blob, blob_len, err) != 0 ||
        (with_plaintext && kms_response_add_blob(resp, "Plaintext", dek, dek_len, err) != 0)) {
        json_secret_release(resp);
        return NULL;
    }
    return resp;
}

json_object *kms_op_generate_data_key(const keystore *ks, json_object *req, int with_plaintext,
                                      kms_error *err)
{
    const char *key_id;
    size_t dek_len = 0, context_len = 0, blob_len = 0;
    unsigned char *context = NULL, *blob = NULL, *dek = NULL;
    json_object *resp = NULL;
    if (kms_request_string(req, "KeyId", 1, &key_id, err) != 0 ||
        data_key_length(req, &dek_len, err) != 0 ||
        kms_request_context(req, "EncryptionContext", &context, &context_len, err) != 0)
        return NULL;
    const kms_key *key = kms_request_enabled_key(ks, key_id, err);
    dek = key ? OPENSSL_secure_malloc(dek_len) : NULL;
    if (key && dek == NULL)
        kms_error_set(err, "KMSInternalException", "out of memory");
    if (dek && RAND_priv_bytes(dek, (int)dek_len) != 1)
        kms_error_set(err, "KMSInternalException", "random generator failed");
    else if (dek && blob_seal(key, context, context_len, dek, dek_len, &blob, &blob_len, err) == 0)
        resp = respond(ks, key, blob, blob_len, dek, dek_len, with_plaintext, err);
    if (dek)
        OPENSSL_secure_clear_free(dek, dek_len);
    free(blob);
    free(context);
    return resp;
}
