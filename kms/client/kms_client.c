#include "kms/client/client_internal.h"

#include "kms/client/endpoint.h"
#include "kms/client/env.h"
#include "kms/client/request_json.h"
#include "kms/client/response_json.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_ID_MAX         2048
#define DATA_KEY_MAX_BYTES 1024
#define PLAINTEXT_MAX      4096

static long or_default(long value, long fallback)
{
    return value > 0 ? value : fallback;
}

void kms_client_endpoint_redact(const char *url, char *out, size_t cap)
{
    endpoint_redact(url, out, cap);
}

int kms_client_endpoint_ok(const char *url)
{
    char host[512];
    return url != NULL && endpoint_host(url, host, sizeof(host));
}

static kms_client_status check_endpoint(const char *endpoint, char *detail, size_t detail_cap)
{
    if (endpoint != NULL && !kms_client_endpoint_ok(endpoint)) {
        char shown[256];
        endpoint_redact(endpoint, shown, sizeof(shown));
        snprintf(detail, detail_cap,
                 "KMS endpoint '%.200s' is not an http(s) URL with an empty path, no query and "
                 "no user info",
                 shown);
        return KMS_CLIENT_ERR_INVALID_ARGUMENT;
    }
    return KMS_CLIENT_OK;
}

/* Kept with the client: the profile to read renewed credentials from. */
static kms_client_status resolve_credentials(kms_client *c, const kms_client_config *config,
                                             char *detail, size_t detail_cap)
{
    credentials initial;
    kms_client_status status = credentials_resolve(config, &initial, detail, detail_cap);
    if (status != KMS_CLIENT_OK) {
        return status;
    }
    c->creds_configured = config->access_key_id != NULL && config->access_key_id[0] != '\0';
    if ((config->profile != NULL && (c->profile = strdup(config->profile)) == NULL) ||
        !credentials_holder_init(&c->creds, &initial)) {
        credentials_clear(&initial);
        return KMS_CLIENT_ERR_NO_MEMORY;
    }
    return KMS_CLIENT_OK;
}

static kms_client_status open_transport(kms_client *c, const kms_client_config *config)
{
    transport_options options = {
        .ca_file = env_first_set(config->ca_file, "AWS_CA_BUNDLE", NULL),
        .ca_path = config->ca_path,
        .connect_timeout_ms = or_default(config->connect_timeout_ms, 2000),
        .max_response_bytes = config->max_response_bytes > 0 ? config->max_response_bytes : 65536,
        .disable_connection_reuse = config->disable_connection_reuse,
    };
    return transport_new(&options, &c->transport);
}

kms_client_status kms_client_new(const kms_client_config *config, kms_client **out, char *detail,
                                 size_t detail_cap)
{
    kms_client_config defaults = {0};
    if (out == NULL) {
        return KMS_CLIENT_ERR_INVALID_ARGUMENT;
    }
    *out = NULL;
    config = config != NULL ? config : &defaults;
    const char *endpoint =
        env_first_set(config->endpoint, "AWS_ENDPOINT_URL_KMS", "AWS_ENDPOINT_URL");
    kms_client_status status = check_endpoint(endpoint, detail, detail_cap);
    kms_client *c = status == KMS_CLIENT_OK ? calloc(1, sizeof(*c)) : NULL;
    if (c == NULL) {
        return status != KMS_CLIENT_OK ? status : KMS_CLIENT_ERR_NO_MEMORY;
    }
    atomic_init(&c->refs, 1);
    c->attempt_timeout_ms = or_default(config->attempt_timeout_ms, 5000);
    c->deadline_ms = or_default(config->deadline_ms, 15000);
    c->max_attempts = (int)or_default(config->max_attempts, 3);
    c->backoff_base_ms = or_default(config->backoff_base_ms, 50);
    c->backoff_cap_ms = or_default(config->backoff_cap_ms, 2000);
    c->libctx = config->libctx;
    c->key_unusable = config->key_unusable;
    c->key_unusable_arg = config->key_unusable_arg;
    if (!endpoint_configured_region(config->region, config->profile, c->region,
                                    sizeof(c->region))) {
        snprintf(detail, detail_cap,
                 "KMS region (configured, else AWS_REGION, else AWS_DEFAULT_REGION, else the "
                 "profile's region in the shared config file) is not a region name of at most "
                 "%zu lowercase letters, digits and hyphens",
                 sizeof(c->region) - 1);
        status = KMS_CLIENT_ERR_INVALID_ARGUMENT;
    }
    if (status == KMS_CLIENT_OK) {
        status = resolve_credentials(c, config, detail, detail_cap);
    }
    if (status == KMS_CLIENT_OK && endpoint != NULL && (c->endpoint = strdup(endpoint)) == NULL) {
        status = KMS_CLIENT_ERR_NO_MEMORY;
    }
    if (status == KMS_CLIENT_OK) {
        status = open_transport(c, config);
    }
    if (status != KMS_CLIENT_OK) {
        kms_client_free(c);
        return status;
    }
    *out = c;
    return KMS_CLIENT_OK;
}

kms_client *kms_client_up_ref(kms_client *client)
{
    if (client != NULL) {
        atomic_fetch_add(&client->refs, 1);
    }
    return client;
}

void kms_client_free(kms_client *client)
{
    if (client == NULL || atomic_fetch_sub(&client->refs, 1) > 1) {
        return;
    }
    credentials_holder_clear(&client->creds);
    free(client->profile);
    transport_free(client->transport);
    free(client->endpoint);
    free(client);
}

void kms_client_result_clear(kms_client_result *result)
{
    if (result == NULL) {
        return;
    }
    if (result->plaintext != NULL) {
        OPENSSL_secure_clear_free(result->plaintext, result->plaintext_len);
    }
    OPENSSL_free(result->ciphertext);
    memset(result, 0, sizeof(*result));
}

static kms_client_status invalid(kms_client_operation op, const char *what, char *detail,
                                 size_t detail_cap)
{
    snprintf(detail, detail_cap, "KMS %s: invalid argument: %s", kms_client_operation_name(op),
             what);
    return KMS_CLIENT_ERR_INVALID_ARGUMENT;
}

/* Checks what every operation needs and clears its output; arg_ok and rule
 * cover the operation's own argument. */
static kms_client_status begin_call(const kms_client *client, kms_client_operation op,
                                    const char *key_id, void *out, size_t out_size, int arg_ok,
                                    const char *rule, secure_buffer *request, char *detail,
                                    size_t detail_cap)
{
    if (client == NULL || out == NULL) {
        return invalid(op, "no client or no output", detail, detail_cap);
    }
    memset(out, 0, out_size);
    if (key_id == NULL || key_id[0] == '\0' || strlen(key_id) >= KEY_ID_MAX) {
        return invalid(op, "key id empty or longer than 2047 bytes", detail, detail_cap);
    }
    if (!arg_ok) {
        return invalid(op, rule, detail, detail_cap);
    }
    secure_buffer_init(request, 0);
    return KMS_CLIENT_OK;
}

/* Sends a built request and parses a GenerateDataKey/Encrypt/Decrypt answer. */
static kms_client_status run_key_op(kms_client *client, kms_client_operation op, const char *key_id,
                                    secure_buffer *request, const response_json_expect *expect,
                                    kms_client_result *out, char *detail, size_t detail_cap)
{
    secure_buffer response;
    char reason[160];
    kms_client_status status = kms_call(client, op, key_id, request, &response, detail, detail_cap);
    secure_buffer_free(request);
    if ((status == KMS_CLIENT_ERR_NOT_FOUND || status == KMS_CLIENT_ERR_DISABLED) &&
        client->key_unusable != NULL)
        client->key_unusable(client->key_unusable_arg, key_id);
    if (status == KMS_CLIENT_OK) {
        status = response_json_parse_key_op(response.data, response.len, expect, out, reason,
                                            sizeof(reason));
        if (status != KMS_CLIENT_OK) {
            snprintf(detail, detail_cap, "KMS %s on key '%.200s': %s: %s",
                     kms_client_operation_name(op), key_id, kms_client_status_string(status),
                     reason);
        }
    }
    secure_buffer_free(&response);
    return status;
}

static kms_client_status out_of_memory(secure_buffer *request, kms_client_operation op,
                                       char *detail, size_t detail_cap)
{
    secure_buffer_free(request);
    snprintf(detail, detail_cap, "KMS %s: out of memory building the request",
             kms_client_operation_name(op));
    return KMS_CLIENT_ERR_NO_MEMORY;
}

kms_client_status kms_client_generate_data_key(kms_client *client, const char *key_id,
                                               size_t n_bytes, const kms_client_context *context,
                                               kms_client_result *out, char *detail,
                                               size_t detail_cap)
{
    const kms_client_operation op = KMS_OP_GENERATE_DATA_KEY;
    response_json_expect expect = {
        .want_plaintext = 1, .plaintext_len = n_bytes, .want_ciphertext = 1};
    secure_buffer request;
    kms_client_status status = begin_call(
        client, op, key_id, out, sizeof(*out), n_bytes > 0 && n_bytes <= DATA_KEY_MAX_BYTES,
        "NumberOfBytes must be 1..1024", &request, detail, detail_cap);
    if (status != KMS_CLIENT_OK) {
        return status;
    }
    if (!request_json_generate_data_key(&request, key_id, n_bytes, context)) {
        return out_of_memory(&request, op, detail, detail_cap);
    }
    return run_key_op(client, op, key_id, &request, &expect, out, detail, detail_cap);
}

kms_client_status kms_client_encrypt(kms_client *client, const char *key_id,
                                     const unsigned char *plaintext, size_t plaintext_len,
                                     const kms_client_context *context, kms_client_result *out,
                                     char *detail, size_t detail_cap)
{
    const kms_client_operation op = KMS_OP_ENCRYPT;
    response_json_expect expect = {.want_ciphertext = 1};
    secure_buffer request;
    int arg_ok = plaintext != NULL && plaintext_len > 0 && plaintext_len <= PLAINTEXT_MAX;
    kms_client_status status =
        begin_call(client, op, key_id, out, sizeof(*out), arg_ok, "plaintext must be 1..4096 bytes",
                   &request, detail, detail_cap);
    if (status != KMS_CLIENT_OK) {
        return status;
    }
    if (!request_json_encrypt(&request, key_id, plaintext, plaintext_len, context)) {
        return out_of_memory(&request, op, detail, detail_cap);
    }
    return run_key_op(client, op, key_id, &request, &expect, out, detail, detail_cap);
}

kms_client_status kms_client_decrypt(kms_client *client, const char *key_id,
                                     const unsigned char *ciphertext, size_t ciphertext_len,
                                     const kms_client_context *context, size_t expected_len,
                                     kms_client_result *out, char *detail, size_t detail_cap)
{
    const kms_client_operation op = KMS_OP_DECRYPT;
    response_json_expect expect = {.want_plaintext = 1, .plaintext_len = expected_len};
    secure_buffer request;
    int arg_ok =
        ciphertext != NULL && ciphertext_len > 0 && ciphertext_len <= RESPONSE_JSON_MAX_CIPHERTEXT;
    kms_client_status status =
        begin_call(client, op, key_id, out, sizeof(*out), arg_ok,
                   "ciphertext must be 1..6144 bytes", &request, detail, detail_cap);
    if (status != KMS_CLIENT_OK) {
        return status;
    }
    if (!request_json_decrypt(&request, key_id, ciphertext, ciphertext_len, context)) {
        return out_of_memory(&request, op, detail, detail_cap);
    }
    return run_key_op(client, op, key_id, &request, &expect, out, detail, detail_cap);
}

kms_client_status kms_client_describe_key(kms_client *client, const char *key_id,
                                          kms_client_key_info *out, char *detail, size_t detail_cap)
{
    const kms_client_operation op = KMS_OP_DESCRIBE_KEY;
    secure_buffer request, response;
    char reason[160];
    kms_client_status status =
        begin_call(client, op, key_id, out, sizeof(*out), 1, "", &request, detail, detail_cap);
    if (status != KMS_CLIENT_OK) {
        return status;
    }
    if (!request_json_describe_key(&request, key_id)) {
        return out_of_memory(&request, op, detail, detail_cap);
    }
    status = kms_call(client, op, key_id, &request, &response, detail, detail_cap);
    secure_buffer_free(&request);
    if (status == KMS_CLIENT_OK) {
        status = response_json_parse_describe_key(response.data, response.len, out, reason,
                                                  sizeof(reason));
        if (status != KMS_CLIENT_OK) {
            snprintf(detail, detail_cap, "KMS %s on key '%.200s': %s: %s",
                     kms_client_operation_name(op), key_id, kms_client_status_string(status),
                     reason);
        }
    }
    secure_buffer_free(&response);
    return status;
}
