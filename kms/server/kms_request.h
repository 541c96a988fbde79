/* Reading fields of a KMS JSON request and writing the JSON response, with
 * the ValidationException messages AWS gives for wrong types. */
#ifndef DEKCACHE_KMS_SERVER_REQUEST_H
#define DEKCACHE_KMS_SERVER_REQUEST_H

#include "kms/json/json_secret.h"
#include "kms/server/keystore.h"
#include "kms/server/kms_error.h"

#include <json-c/json.h>
#include <stddef.h>

/* Parses the body; must be a JSON object. NULL with err set otherwise.
 * Release with json_secret_release (the body may hold a plaintext). */
json_object *kms_request_parse(const char *body, size_t len, kms_error *err);
/* A string field: *out stays NULL when absent and not required. Returns 0 or -1. */
int kms_request_string(json_object *req, const char *field, int required, const char **out,
                       kms_error *err);
/* A base64 blob field decoded into *out (secure heap when secure != 0).
 * Returns 0 or -1; a missing required field, bad base64 (strict: see
 * kms/base64/base64.h), or a length outside [1, max_len] is
 * ValidationException, no memory KMSInternalException. Free with
 * kms_base64_free. */
int kms_request_blob(json_object *req, const char *field, int secure, size_t max_len,
                     unsigned char **out, size_t *out_len, kms_error *err);
/* The serialized encryption context of the field (absent = empty). */
int kms_request_context(json_object *req, const char *field, unsigned char **out, size_t *out_len,
                        kms_error *err);
/* Resolves KeyId (any form) to an enabled key: NotFoundException/DisabledException. */
const kms_key *kms_request_enabled_key(const keystore *ks, const char *key_id, kms_error *err);

/* Adds field = base64(bytes) to the response. Returns 0 or -1 (err set). */
int kms_response_add_blob(json_object *resp, const char *field, const unsigned char *bytes,
                          size_t len, kms_error *err);
void kms_response_add_string(json_object *resp, const char *field, const char *value);
/* Serializes and releases resp; the text is malloc'd. No copy of a
 * "Plaintext" field is left in freed memory. */
char *kms_response_finish(json_object *resp, kms_error *err);

#endif
