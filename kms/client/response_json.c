#include "kms/client/response_json.h"

#include "kms/client/kms_arn.h"

#include "kms/base64/base64.h"
#include "kms/json/json_member.h"
#include "kms/json/json_secret.h"

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#define MAX_DEPTH 16

/* The whole body must be exactly one JSON object. */
static json_object *parse_object(const char *body, size_t len, char *reason, size_t reason_cap)
{
    json_secret_error error = {JSON_SECRET_MALFORMED, ""};
    json_object *root = json_secret_parse_object(body, len, MAX_DEPTH, &error);
    if (root == NULL)
        snprintf(reason, reason_cap, "malformed JSON (%s)", error.why);
    return root;
}

/* Members a response must carry: a null one is as wrong as any other type. */
static const char *member_string(json_object *obj, const char *name, size_t *len, char *reason,
                                 size_t reason_cap)
{
    const char *text;
    json_member_status has =
        json_member_string(obj, name, JSON_MEMBER_NULL_IS_WRONG_TYPE, &text, len);
    if (has == JSON_MEMBER_ABSENT) {
        snprintf(reason, reason_cap, "member %s missing", name);
    } else if (has == JSON_MEMBER_WRONG_TYPE) {
        snprintf(reason, reason_cap, "member %s is not %s", name,
                 json_member_type_name(json_type_string));
    }
    return text;
}

static int copy_text(const char *text, size_t len, char *out, size_t cap)
{
    if (len >= cap) { /* json_secret_parse already refused NULs in strings */
        return 0;
    }
    memcpy(out, text, len);
    out[len] = '\0';
    return 1;
}

static kms_client_status take_key_arn(json_object *root, const char *name, char *out, size_t cap,
                                      char *reason, size_t reason_cap)
{
    size_t len = 0;
    const char *text = member_string(root, name, &len, reason, reason_cap);
    if (text == NULL) {
        return KMS_CLIENT_ERR_BAD_RESPONSE;
    }
    if (!copy_text(text, len, out, cap) || !kms_arn_is_key_arn(out)) {
        out[0] = '\0';
        snprintf(reason, reason_cap, "member %s is not a key ARN", name);
        return KMS_CLIENT_ERR_BAD_RESPONSE;
    }
    return KMS_CLIENT_OK;
}

/* Decodes a base64 member into a fresh block (secure heap if secret) whose
 * length must be exact_len (when non-zero) and at most max_len. */
static kms_client_status take_blob(json_object *root, const char *name, int secret,
                                   size_t exact_len, size_t max_len, unsigned char **out,
                                   size_t *out_len, char *reason, size_t reason_cap)
{
    size_t text_len = 0;
    const char *text = member_string(root, name, &text_len, reason, reason_cap);
    if (text == NULL) {
        return KMS_CLIENT_ERR_BAD_RESPONSE;
    }
    unsigned char *bytes = NULL;
    size_t len = 0;
    size_t min_len = exact_len != 0 ? exact_len : 1, bound = exact_len != 0 ? exact_len : max_len;
    int rc = kms_base64_decode_new(text, text_len, secret, min_len, bound, &bytes, &len);
    if (rc < 0) {
        snprintf(reason, reason_cap, "out of memory");
        return KMS_CLIENT_ERR_NO_MEMORY;
    }
    if (rc == 0) {
        snprintf(reason, reason_cap, "member %s is not base64 of %zu to %zu bytes", name, min_len,
                 bound);
        return KMS_CLIENT_ERR_BAD_RESPONSE;
    }
    *out = bytes;
    *out_len = len;
    return KMS_CLIENT_OK;
}

static kms_client_status parse_key_op_members(json_object *root, const response_json_expect *expect,
                                              kms_client_result *out, char *reason,
                                              size_t reason_cap)
{
    kms_client_status status =
        take_key_arn(root, "KeyId", out->key_arn, sizeof(out->key_arn), reason, reason_cap);
    if (status == KMS_CLIENT_OK && expect->want_ciphertext) {
        status = take_blob(root, "CiphertextBlob", 0, 0, RESPONSE_JSON_MAX_CIPHERTEXT,
                           &out->ciphertext, &out->ciphertext_len, reason, reason_cap);
    }
    if (status == KMS_CLIENT_OK && expect->want_plaintext) {
        /* 4096 is KMS's largest plaintext (Encrypt); data keys are at most 1024. */
        status = take_blob(root, "Plaintext", 1, expect->plaintext_len, 4096, &out->plaintext,
                           &out->plaintext_len, reason, reason_cap);
    }
    return status;
}

kms_client_status response_json_parse_key_op(const char *body, size_t len,
                                             const response_json_expect *expect,
                                             kms_client_result *out, char *reason,
                                             size_t reason_cap)
{
    memset(out, 0, sizeof(*out));
    json_object *root = parse_object(body, len, reason, reason_cap);
    if (root == NULL) {
        return KMS_CLIENT_ERR_BAD_RESPONSE;
    }
    kms_client_status status = parse_key_op_members(root, expect, out, reason, reason_cap);
    json_secret_release(root); /* may hold a plaintext key */
    if (status != KMS_CLIENT_OK) {
        kms_client_result_clear(out);
    }
    return status;
}

static kms_client_status parse_metadata(json_object *meta, kms_client_key_info *out, char *reason,
                                        size_t reason_cap)
{
    json_object *enabled;
    size_t state_len = 0;
    kms_client_status status =
        take_key_arn(meta, "Arn", out->key_arn, sizeof(out->key_arn), reason, reason_cap);
    if (status != KMS_CLIENT_OK) {
        return status;
    }
    const char *state = member_string(meta, "KeyState", &state_len, reason, reason_cap);
    if (state == NULL || !copy_text(state, state_len, out->key_state, sizeof(out->key_state))) {
        snprintf(reason, reason_cap, "member KeyMetadata.KeyState missing or invalid");
        return KMS_CLIENT_ERR_BAD_RESPONSE;
    }
    if (json_member_get(meta, "Enabled", json_type_boolean, JSON_MEMBER_NULL_IS_WRONG_TYPE,
                        &enabled) != JSON_MEMBER_FOUND) {
        snprintf(reason, reason_cap, "member KeyMetadata.Enabled missing or not a boolean");
        return KMS_CLIENT_ERR_BAD_RESPONSE;
    }
    out->enabled = json_object_get_boolean(enabled) ? 1 : 0;
    return KMS_CLIENT_OK;
}

kms_client_status response_json_parse_describe_key(const char *body, size_t len,
                                                   kms_client_key_info *out, char *reason,
                                                   size_t reason_cap)
{
    memset(out, 0, sizeof(*out));
    json_object *root = parse_object(body, len, reason, reason_cap);
    if (root == NULL) {
        return KMS_CLIENT_ERR_BAD_RESPONSE;
    }
    json_object *meta;
    kms_client_status status = KMS_CLIENT_ERR_BAD_RESPONSE;
    if (json_member_get(root, "KeyMetadata", json_type_object, JSON_MEMBER_NULL_IS_WRONG_TYPE,
                        &meta) != JSON_MEMBER_FOUND) {
        snprintf(reason, reason_cap, "member KeyMetadata missing or not an object");
    } else {
        status = parse_metadata(meta, out, reason, reason_cap);
    }
    json_secret_release(root); /* may hold a plaintext key */
    if (status != KMS_CLIENT_OK) {
        memset(out, 0, sizeof(*out));
    }
    return status;
}

/* Keeps printable ASCII only, so a hostile message cannot forge log lines. */
static void copy_printable(const char *text, size_t len, char *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n + 1 < cap; i++) {
        unsigned char c = (unsigned char)text[i];
        out[n++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    out[n] = '\0';
}

int response_json_parse_error(const char *body, size_t len, char *type, size_t type_cap,
                              char *message, size_t message_cap)
{
    char reason[64];
    size_t text_len = 0;
    type[0] = '\0';
    message[0] = '\0';
    json_object *root = parse_object(body, len, reason, sizeof(reason));
    if (root == NULL) {
        return 0;
    }
    const char *text = member_string(root, "__type", &text_len, reason, sizeof(reason));
    if (text != NULL) {
        size_t skip = 0; /* past "namespace#", when there is one */
        while (skip < text_len && text[skip] != '#')
            skip++;
        skip = skip < text_len ? skip + 1 : 0;
        copy_printable(text + skip, text_len - skip, type, type_cap);
    }
    const char *msg = member_string(root, "message", &text_len, reason, sizeof(reason));
    if (msg == NULL) {
        msg = member_string(root, "Message", &text_len, reason, sizeof(reason));
    }
    if (msg != NULL) {
        copy_printable(msg, text_len, message, message_cap);
    }
    json_secret_release(root); /* may hold a plaintext key */
    return type[0] != '\0';
}
