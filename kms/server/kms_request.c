#include "kms/server/kms_request.h"

#include "kms/base64/base64.h"
#include "kms/json/json_member.h"
#include "kms/json/json_secret.h"
#include "kms/server/encryption_context.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BODY_DEPTH 16

json_object *kms_request_parse(const char *body, size_t len, kms_error *err)
{
    json_secret_error error = {JSON_SECRET_MALFORMED, ""};
    json_object *req = json_secret_parse_object(body, len, MAX_BODY_DEPTH, &error);
    if (req == NULL && error.kind == JSON_SECRET_HAS_NUL)
        kms_error_set(err, "ValidationException", "strings must not contain NUL characters");
    else if (req == NULL)
        kms_error_set(err, "SerializationException", "request body is not a JSON object");
    return req;
}

/* A string field of 1 to max_len characters (its length in *out_len when
 * out_len is not NULL); *out stays NULL unless it is one. */
static int string_field(json_object *req, const char *field, int required, size_t max_len,
                        const char **out, size_t *out_len, kms_error *err)
{
    const char *text;
    size_t len;
    json_member_status has =
        json_member_string(req, field, JSON_MEMBER_NULL_IS_ABSENT, &text, &len);
    *out = NULL;
    if (has == JSON_MEMBER_ABSENT) {
        if (!required)
            return 0;
        kms_error_set(err, "ValidationException", "%s is required", field);
        return -1;
    }
    if (has == JSON_MEMBER_WRONG_TYPE || len == 0 || len > max_len) {
        kms_error_set(err, "ValidationException", "%s must be a string of 1 to %zu characters",
                      field, max_len);
        return -1;
    }
    *out = text;
    if (out_len != NULL)
        *out_len = len;
    return 0;
}

int kms_request_string(json_object *req, const char *field, int required, const char **out,
                       kms_error *err)
{
    return string_field(req, field, required, 2048, out, NULL, err);
}

int kms_request_blob(json_object *req, const char *field, int secure, size_t max_len,
                     unsigned char **out, size_t *out_len, kms_error *err)
{
    const char *text;
    size_t text_len = 0;
    *out = NULL;
    *out_len = 0;
    /* The base64 text of max_len bytes, not the 2048 of other strings. */
    if (string_field(req, field, 1, kms_base64_encoded_len(max_len), &text, &text_len, err) != 0)
        return -1;
    int rc = kms_base64_decode_new(text, text_len, secure, 1, max_len, out, out_len);
    if (rc < 0)
        kms_error_set(err, "KMSInternalException", "out of memory");
    else if (rc == 0)
        kms_error_set(err, "ValidationException", "%s must be base64 of 1 to %zu bytes", field,
                      max_len);
    return rc == 1 ? 0 : -1;
}

int kms_request_context(json_object *req, const char *field, unsigned char **out, size_t *out_len,
                        kms_error *err)
{
    json_object *v;
    if (json_member_get(req, field, json_type_object, JSON_MEMBER_NULL_IS_ABSENT, &v) ==
        JSON_MEMBER_WRONG_TYPE) {
        kms_error_set(err, "ValidationException", "%s must be %s", field,
                      json_member_type_name(json_type_object));
        return -1;
    }
    return encryption_context_serialize(v, field, out, out_len, err);
}

const kms_key *kms_request_enabled_key(const keystore *ks, const char *key_id, kms_error *err)
{
    const kms_key *key = keystore_resolve(ks, key_id, err);
    if (key != NULL && !key->enabled) {
        char arn[256];
        keystore_key_arn(ks, key, arn, sizeof(arn));
        kms_error_set(err, "DisabledException", "%s is disabled.", arn);
        return NULL;
    }
    return key;
}

int kms_response_add_blob(json_object *resp, const char *field, const unsigned char *bytes,
                          size_t len, kms_error *err)
{
    size_t size = kms_base64_encoded_len(len) + 1;
    char *text = OPENSSL_malloc(size);
    if (text == NULL) {
        kms_error_set(err, "KMSInternalException", "out of memory");
        return -1;
    }
    kms_base64_encode(bytes, len, text);
    json_object_object_add(resp, field, json_object_new_string(text));
    OPENSSL_clear_free(text, size);
    return 0;
}

void kms_response_add_string(json_object *resp, const char *field, const char *value)
{
    json_object_object_add(resp, field, json_object_new_string(value));
}

/* The one secret a KMS response carries (GenerateDataKey, Decrypt). */
static const char secret_field[] = "Plaintext";

/* pub ("{...}") with secret_field: value appended, in a buffer sized once.
 * The value is written unescaped, so it must be base64 (what
 * kms_response_add_blob writes): anything else is refused. */
static char *append_secret(const char *pub, const char *value, size_t value_len)
{
    size_t pub_len = strlen(pub);
    if (pub_len < 2 || pub[pub_len - 1] != '}' || !kms_base64_is_strict(value, value_len))
        return NULL;
    const char *comma = pub_len > 2 ? "," : "";
    /* pub without its '}', the comma, "name":"value"} and the NUL */
    size_t size = (pub_len - 1) + strlen(comma) + (sizeof(secret_field) - 1) + value_len +
                  sizeof("\"\":\"\"}");
    char *out = malloc(size);
    if (out == NULL)
        return NULL;
    char *p = out;
    memcpy(p, pub, pub_len - 1);
    p += pub_len - 1;
    p += sprintf(p, "%s\"%s\":\"", comma, secret_field);
    memcpy(p, value, value_len);
    p += value_len;
    memcpy(p, "\"}", 3);
    return out;
}

/* json-c grows its serialisation buffer with realloc and frees the old
 * copies uncleansed, so the secret is kept out of what json-c serialises and
 * appended by append_secret. */
char *kms_response_finish(json_object *resp, kms_error *err)
{
    json_object *secret = NULL;
    if (json_object_object_get_ex(resp, secret_field, &secret)) {
        json_object_get(secret);
        json_object_object_del(resp, secret_field);
    }
    const char *pub = json_object_to_json_string_ext(resp, JSON_C_TO_STRING_PLAIN |
                                                               JSON_C_TO_STRING_NOSLASHESCAPE);
    char *out = NULL;
    if (pub != NULL)
        out = secret ? append_secret(pub, json_object_get_string(secret),
                                     (size_t)json_object_get_string_len(secret))
                     : strdup(pub);
    json_secret_release(secret);
    json_secret_release(resp);
    if (out == NULL)
        kms_error_set(err, "KMSInternalException", "out of memory");
    return out;
}
