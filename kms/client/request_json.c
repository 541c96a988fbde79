#include "kms/client/request_json.h"

#include "kms/base64/base64.h"

#include <openssl/crypto.h>
#include <stdio.h>

static void write_string(secure_buffer *out, const char *text)
{
    secure_buffer_append(out, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
        char escaped[8];
        if (*p == '"' || *p == '\\') {
            escaped[0] = '\\';
            escaped[1] = (char)*p;
            secure_buffer_append(out, escaped, 2);
        } else if (*p < 0x20) {
            snprintf(escaped, sizeof(escaped), "\\u%04x", *p);
            secure_buffer_append(out, escaped, 6);
        } else {
            secure_buffer_append(out, p, 1);
        }
    }
    secure_buffer_append(out, "\"", 1);
}

static void write_member_name(secure_buffer *out, const char *name)
{
    secure_buffer_append(out, ",", 1);
    write_string(out, name);
    secure_buffer_append(out, ":", 1);
}

static void write_blob(secure_buffer *out, const char *name, const unsigned char *bytes, size_t len)
{
    size_t size = kms_base64_encoded_len(len) + 1;
    char *text = OPENSSL_malloc(size);
    if (text == NULL) {
        out->failed = 1;
        return;
    }
    kms_base64_encode(bytes, len, text);
    write_member_name(out, name);
    write_string(out, text);
    OPENSSL_clear_free(text, size);
}

static void write_context(secure_buffer *out, const kms_client_context *context)
{
    if (context == NULL) {
        return;
    }
    if (context->n_pairs > 0) {
        write_member_name(out, "EncryptionContext");
        secure_buffer_append(out, "{", 1);
        for (size_t i = 0; i < context->n_pairs; i++) {
            if (i > 0) {
                secure_buffer_append(out, ",", 1);
            }
            write_string(out, context->pairs[i].key);
            secure_buffer_append(out, ":", 1);
            write_string(out, context->pairs[i].value);
        }
        secure_buffer_append(out, "}", 1);
    }
    if (context->n_grant_tokens > 0) {
        write_member_name(out, "GrantTokens");
        secure_buffer_append(out, "[", 1);
        for (size_t i = 0; i < context->n_grant_tokens; i++) {
            if (i > 0) {
                secure_buffer_append(out, ",", 1);
            }
            write_string(out, context->grant_tokens[i]);
        }
        secure_buffer_append(out, "]", 1);
    }
}

/* Every body starts with KeyId, so later members all begin with a comma. */
static void open_with_key_id(secure_buffer *out, const char *key_id)
{
    secure_buffer_append(out, "{\"KeyId\":", 9);
    write_string(out, key_id);
}

static int close_body(secure_buffer *out)
{
    secure_buffer_append(out, "}", 1);
    return !out->failed;
}

int request_json_generate_data_key(secure_buffer *out, const char *key_id, size_t n_bytes,
                                   const kms_client_context *context)
{
    char number[32];
    snprintf(number, sizeof(number), "%zu", n_bytes);
    open_with_key_id(out, key_id);
    write_member_name(out, "NumberOfBytes");
    secure_buffer_append_str(out, number);
    write_context(out, context);
    return close_body(out);
}

int request_json_encrypt(secure_buffer *out, const char *key_id, const unsigned char *plaintext,
                         size_t plaintext_len, const kms_client_context *context)
{
    open_with_key_id(out, key_id);
    write_blob(out, "Plaintext", plaintext, plaintext_len);
    write_context(out, context);
    return close_body(out);
}

int request_json_decrypt(secure_buffer *out, const char *key_id, const unsigned char *ciphertext,
                         size_t ciphertext_len, const kms_client_context *context)
{
    open_with_key_id(out, key_id);
    write_blob(out, "CiphertextBlob", ciphertext, ciphertext_len);
    write_context(out, context);
    return close_body(out);
}

int request_json_describe_key(secure_buffer *out, const char *key_id)
{
    open_with_key_id(out, key_id);
    return close_body(out);
}
