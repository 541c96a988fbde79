/* Encrypt, Decrypt and ReEncrypt. */
#include "kms/base64/base64.h"
#include "kms/server/ciphertext_blob.h"
#include "kms/server/kms_operations.h"
#include "kms/server/kms_request.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#define ALGORITHM      "SYMMETRIC_DEFAULT"
#define MAX_BLOB_BYTES 6144

/* A decrypted blob and the key that opened it. */
typedef struct {
    const kms_key *key;
    unsigned char *plaintext;
    size_t plaintext_len;
} opened_blob;

static int check_algorithm(json_object *req, const char *field, kms_error *err)
{
    const char *alg;
    if (kms_request_string(req, field, 0, &alg, err) != 0)
        return -1;
    if (alg != NULL && strcmp(alg, ALGORITHM) != 0) {
        kms_error_set(err, "ValidationException", "%s must be " ALGORITHM, field);
        return -1;
    }
    return 0;
}

/* The key named inside the blob, checked against an optional KeyId. */
static const kms_key *blob_key(const keystore *ks, const blob_view *view, const char *key_id,
                               kms_error *err)
{
    const kms_key *key = keystore_find_key(ks, view->key_id);
    if (key == NULL) {
        kms_error_set(err, "InvalidCiphertextException",
                      "ciphertext was made under a key this server does not have");
        return NULL;
    }
    if (key_id != NULL) {
        const kms_key *named = keystore_resolve(ks, key_id, err);
        if (named == NULL)
            return NULL;
        if (named != key) {
            kms_error_set(err, "IncorrectKeyException",
                          "the ciphertext was not encrypted under key '%.150s'", key_id);
            return NULL;
        }
    }
    if (!key->enabled) {
        char arn[256];
        keystore_key_arn(ks, key, arn, sizeof(arn));
        kms_error_set(err, "DisabledException", "%s is disabled.", arn);
        return NULL;
    }
    return key;
}

/* Decrypts the request's CiphertextBlob under context_field and key_field. */
static int open_request_blob(const keystore *ks, json_object *req, const char *context_field,
                             const char *key_field, opened_blob *out, kms_error *err)
{
    const char *key_id;
    unsigned char *blob = NULL, *context = NULL;
    size_t blob_len = 0, context_len = 0;
    blob_view view;
    memset(out, 0, sizeof(*out));
    int rc = kms_request_string(req, key_field, 0, &key_id, err);
    if (rc == 0)
        rc = kms_request_blob(req, "CiphertextBlob", 0, MAX_BLOB_BYTES, &blob, &blob_len, err);
    if (rc == 0)
        rc = kms_request_context(req, context_field, &context, &context_len, err);
    if (rc == 0)
        rc = blob_parse(blob, blob_len, &view, err);
    if (rc == 0)
        rc = (out->key = blob_key(ks, &view, key_id, err)) ? 0 : -1;
    if (rc == 0)
        rc = blob_open(&view, out->key, context, context_len, &out->plaintext, &out->plaintext_len,
                       err);
    kms_base64_free(blob, blob_len, 0);
    free(context);
    return rc;
}

static json_object *new_response(const keystore *ks, const char *field, const kms_key *key)
{
    char arn[256];
    json_object *resp = json_object_new_object();
    keystore_key_arn(ks, key, arn, sizeof(arn));
    kms_response_add_string(resp, field, arn);
    return resp;
}

static json_object *fail_response(json_object *resp)
{
    json_secret_release(resp);
    return NULL;
}

/* Seals plaintext under DestinationKeyId/KeyId and adds CiphertextBlob. */
static json_object *seal_into(const keystore *ks, json_object *req, const char *key_field,
                              const char *context_field, const unsigned char *plaintext,
                              size_t plaintext_len, kms_error *err)
{
    const char *key_id;
    unsigned char *context = NULL, *blob = NULL;
    size_t context_len = 0, blob_len = 0;
    json_object *resp = NULL;
    if (kms_request_string(req, key_field, 1, &key_id, err) != 0 ||
        kms_request_context(req, context_field, &context, &context_len, err) != 0)
        return NULL;
    const kms_key *key = kms_request_enabled_key(ks, key_id, err);
    if (key && blob_seal(key, context, context_len, plaintext, plaintext_len, &blob, &blob_len,
                         err) == 0) {
        resp = new_response(ks, "KeyId", key);
        if (kms_response_add_blob(resp, "CiphertextBlob", blob, blob_len, err) != 0)
            resp = fail_response(resp);
    }
    free(blob);
    free(context);
    return resp;
}

json_object *kms_op_encrypt(const keystore *ks, json_object *req, kms_error *err)
{
    unsigned char *plaintext = NULL;
    size_t len = 0;
    if (check_algorithm(req, "EncryptionAlgorithm", err) != 0 ||
        kms_request_blob(req, "Plaintext", 1, BLOB_MAX_PLAINTEXT, &plaintext, &len, err) != 0)
        return NULL;
    json_object *resp = seal_into(ks, req, "KeyId", "EncryptionContext", plaintext, len, err);
    kms_base64_free(plaintext, len, 1);
    if (resp)
        kms_response_add_string(resp, "EncryptionAlgorithm", ALGORITHM);
    return resp;
}

json_object *kms_op_decrypt(const keystore *ks, json_object *req, kms_error *err)
{
    opened_blob opened;
    if (check_algorithm(req, "EncryptionAlgorithm", err) != 0 ||
        open_request_blob(ks, req, "EncryptionContext", "KeyId", &opened, err) != 0)
        return NULL;
    json_object *resp = new_response(ks, "KeyId", opened.key);
    kms_response_add_string(resp, "EncryptionAlgorithm", ALGORITHM);
    int rc = kms_response_add_blob(resp, "Plaintext", opened.plaintext, opened.plaintext_len, err);
    OPENSSL_secure_clear_free(opened.plaintext, opened.plaintext_len ? opened.plaintext_len : 1);
    return rc == 0 ? resp : fail_response(resp);
}

json_object *kms_op_re_encrypt(const keystore *ks, json_object *req, kms_error *err)
{
    opened_blob opened;
    if (check_algorithm(req, "SourceEncryptionAlgorithm", err) != 0 ||
        check_algorithm(req, "DestinationEncryptionAlgorithm", err) != 0 ||
        open_request_blob(ks, req, "SourceEncryptionContext", "SourceKeyId", &opened, err) != 0)
        return NULL;
    json_object *resp = seal_into(ks, req, "DestinationKeyId", "DestinationEncryptionContext",
                                  opened.plaintext, opened.plaintext_len, err);
    OPENSSL_secure_clear_free(opened.plaintext, opened.plaintext_len ? opened.plaintext_len : 1);
    if (resp == NULL)
        return NULL;
    char arn[256];
    keystore_key_arn(ks, opened.key, arn, sizeof(arn));
    kms_response_add_string(resp, "SourceKeyId", arn);
    kms_response_add_string(resp, "SourceEncryptionAlgorithm", ALGORITHM);
    kms_response_add_string(resp, "DestinationEncryptionAlgorithm", ALGORITHM);
    return resp;
}
