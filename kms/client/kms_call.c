#include "kms/client/client_internal.h"

#include "kms/client/backoff.h"
#include "kms/client/endpoint.h"
#include "kms/client/error_type.h"
#include "kms/client/response_json.h"
#include "kms/sigv4/sigv4.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define AUTH_MAX 1024

/* Where one call goes; fixed for all of its attempts. */
typedef struct {
    const char *operation;
    const char *key_id;
    char region[KMS_REGION_NAME_MAX + 1];
    char url[1024];
    char host[512];
    char target[64];
} call_route;

/* What the last attempt ended with. */
typedef struct {
    kms_client_status status;
    long http_status;
    char kms_type[96];
    char message[256];
    int attempts;
    int deadline_reached;
} call_outcome;

typedef struct {
    char host[600];
    char date[48];
    char target[96];
    char *token; /* "X-Amz-Security-Token: ..." in the secure heap, or NULL */
    char auth[AUTH_MAX + 32];
    const char *lines[8];
    size_t n;
} signed_headers;

static void free_signed_headers(signed_headers *h)
{
    if (h->token != NULL) {
        OPENSSL_secure_clear_free(h->token, strlen(h->token) + 1);
    }
    OPENSSL_cleanse(h, sizeof(*h));
}

static int sign(const kms_client *c, const credentials *key, const call_route *route,
                const secure_buffer *body, signed_headers *h)
{
    char amz_date[SIGV4_AMZ_DATE_LEN + 1];
    char auth[AUTH_MAX];
    const char *token = key->session_token;
    sigv4_header to_sign[5] = {
        {"content-type", "application/x-amz-json-1.1"},
        {"host", route->host},
        {"x-amz-target", route->target},
        {"x-amz-date", amz_date},
        {"x-amz-security-token", token},
    };
    sigv4_credentials creds = {key->access_key_id, key->secret_access_key, token, route->region,
                               "kms"};
    memset(h, 0, sizeof(*h));
    if (sigv4_format_amz_date(time(NULL), amz_date, sizeof(amz_date)) != SIGV4_OK ||
        sigv4_authorization(c->libctx, &creds, "POST", "/", "", to_sign, token != NULL ? 5 : 4,
                            (const unsigned char *)body->data, body->len, amz_date, auth,
                            sizeof(auth)) != SIGV4_OK) {
        return 0;
    }
    snprintf(h->host, sizeof(h->host), "Host: %s", route->host);
    snprintf(h->date, sizeof(h->date), "X-Amz-Date: %s", amz_date);
    snprintf(h->target, sizeof(h->target), "X-Amz-Target: %s", route->target);
    snprintf(h->auth, sizeof(h->auth), "Authorization: %s", auth);
    h->lines[h->n++] = h->host;
    h->lines[h->n++] = "Content-Type: application/x-amz-json-1.1";
    h->lines[h->n++] = h->target;
    h->lines[h->n++] = h->date;
    h->lines[h->n++] = h->auth;
    /* libcurl would otherwise ask for 100-continue on larger bodies. */
    h->lines[h->n++] = "Expect:";
    if (token != NULL) {
        size_t size = strlen(token) + sizeof("X-Amz-Security-Token: ");
        if ((h->token = OPENSSL_secure_malloc(size)) == NULL) {
            return 0;
        }
        snprintf(h->token, size, "X-Amz-Security-Token: %s", token);
        h->lines[h->n++] = h->token;
    }
    return 1;
}

static kms_client_status route_call(const kms_client *c, call_route *route, char *detail,
                                    size_t detail_cap)
{
    snprintf(route->target, sizeof(route->target), "TrentService.%s", route->operation);
    if (!endpoint_region_for_key(c->region, route->key_id, route->region, sizeof(route->region))) {
        snprintf(detail, detail_cap,
                 "KMS %s on key '%.200s': no region (configure one, set AWS_REGION or "
                 "AWS_DEFAULT_REGION or the profile's region in the shared config file, or "
                 "name the key by its ARN)",
                 route->operation, route->key_id);
        return KMS_CLIENT_ERR_NO_REGION;
    }
    if (!endpoint_url(c->endpoint, route->region, route->url, sizeof(route->url)) ||
        !endpoint_host(route->url, route->host, sizeof(route->host))) {
        snprintf(detail, detail_cap, "KMS %s on key '%.200s': unusable endpoint URL '%.200s'",
                 route->operation, route->key_id, route->url);
        return KMS_CLIENT_ERR_INVALID_ARGUMENT;
    }
    return KMS_CLIENT_OK;
}

/* One HTTP exchange; fills outcome and, on 2xx, keeps the body in response. */
static void attempt(kms_client *c, const credentials *key, const call_route *route,
                    const secure_buffer *body, long timeout_ms, secure_buffer *response,
                    call_outcome *outcome)
{
    signed_headers h;
    transport_response resp;
    outcome->attempts++;
    outcome->kms_type[0] = outcome->message[0] = '\0';
    outcome->http_status = 0;
    if (!sign(c, key, route, body, &h)) {
        free_signed_headers(&h);
        outcome->status = KMS_CLIENT_ERR_NO_MEMORY;
        snprintf(outcome->message, sizeof(outcome->message),
                 "cannot sign the request: SHA-256 or HMAC-SHA256 failed (unavailable "
                 "in the library context, or out of memory)");
        return;
    }
    transport_post(c->transport, route->url, h.lines, h.n, body->data, body->len, timeout_ms,
                   &resp);
    free_signed_headers(&h);
    outcome->status = resp.status;
    outcome->http_status = resp.http_status;
    if (resp.status != KMS_CLIENT_OK) {
        snprintf(outcome->message, sizeof(outcome->message), "%s", resp.error);
    } else if (resp.http_status >= 200 && resp.http_status < 300) {
        *response = resp.body;
        return;
    } else {
        response_json_parse_error(resp.body.data, resp.body.len, outcome->kms_type,
                                  sizeof(outcome->kms_type), outcome->message,
                                  sizeof(outcome->message));
        outcome->status = error_type_status(outcome->kms_type, resp.http_status);
    }
    secure_buffer_free(&resp.body);
}

static void describe(const call_route *route, const call_outcome *o, char *detail, size_t cap)
{
    char attempts[64] = "";
    char cause[400] = "";
    if (o->attempts > 1 || error_type_is_retryable(o->status)) {
        snprintf(attempts, sizeof(attempts), " after %d attempt%s%s", o->attempts,
                 o->attempts == 1 ? "" : "s", o->deadline_reached ? " (deadline reached)" : "");
    }
    if (o->kms_type[0] != '\0') {
        snprintf(cause, sizeof(cause), " (%s, HTTP %ld: %s)", o->kms_type, o->http_status,
                 o->message);
    } else if (o->http_status != 0) {
        snprintf(cause, sizeof(cause), " (HTTP %ld)", o->http_status);
    } else if (o->message[0] != '\0') {
        snprintf(cause, sizeof(cause), " (%s)", o->message);
    }
    snprintf(detail, cap, "KMS %s on key '%.200s' at %.200s: %s%s%s", route->operation,
             route->key_id, route->host, kms_client_status_string(o->status), attempts, cause);
}

/* Waits before the next attempt; returns 0 when no attempt may follow. */
static int wait_for_retry(const kms_client *c, call_outcome *o, long long deadline)
{
    if (!error_type_is_retryable(o->status) || o->attempts >= c->max_attempts) {
        return 0;
    }
    long delay = backoff_delay_ms(c->libctx, o->attempts, c->backoff_base_ms, c->backoff_cap_ms);
    if (backoff_now_ms() + delay >= deadline) {
        o->deadline_reached = 1;
        return 0;
    }
    backoff_sleep_ms(delay);
    return 1;
}

/* The environment, else the shared files for the client's profile: where
 * credentials that were not configured explicitly came from. */
static int read_credentials_source(void *client, credentials *fresh)
{
    const kms_client *c = client;
    kms_client_config source = {.profile = c->profile};
    char detail[512];
    return credentials_resolve(&source, fresh, detail, sizeof(detail)) == KMS_CLIENT_OK;
}

/* Temporary credentials expire; where they came from (a shared credentials
 * file a tool rewrites, say) may hold new ones by now. 1 when the client now
 * has other credentials than `used`, so one more attempt is worth it. */
static int renew_expired(kms_client *c, const credentials_snapshot *used, const call_outcome *o)
{
    if (o->status == KMS_CLIENT_OK || strcmp(o->kms_type, "ExpiredTokenException") != 0 ||
        c->creds_configured) {
        return 0;
    }
    return credentials_holder_renew(&c->creds, used, read_credentials_source, c);
}

static const char *const operation_names[KMS_OP_COUNT] = {"GenerateDataKey", "Encrypt", "Decrypt",
                                                          "DescribeKey"};

const char *kms_client_operation_name(kms_client_operation op)
{
    return op < KMS_OP_COUNT ? operation_names[op] : "Unknown";
}

void kms_client_get_stats(const kms_client *c, kms_client_stats *out)
{
    for (int i = 0; i < KMS_OP_COUNT; i++) {
        out->calls[i] = atomic_load_explicit(&c->calls[i], memory_order_relaxed);
        out->failures[i] = atomic_load_explicit(&c->failures[i], memory_order_relaxed);
    }
    out->retries = atomic_load_explicit(&c->retries, memory_order_relaxed);
}

static void count(kms_client *c, kms_client_operation op, const call_outcome *o)
{
    atomic_fetch_add_explicit(&c->calls[op], 1, memory_order_relaxed);
    if (o->status != KMS_CLIENT_OK)
        atomic_fetch_add_explicit(&c->failures[op], 1, memory_order_relaxed);
    if (o->attempts > 1)
        atomic_fetch_add_explicit(&c->retries, (uint64_t)(o->attempts - 1), memory_order_relaxed);
}

kms_client_status kms_call(kms_client *c, kms_client_operation op, const char *key_id,
                           const secure_buffer *body, secure_buffer *response, char *detail,
                           size_t detail_cap)
{
    call_route route = {.operation = kms_client_operation_name(op), .key_id = key_id};
    call_outcome outcome = {0};
    secure_buffer_init(response, 0);
    if ((unsigned)op >= KMS_OP_COUNT) {
        snprintf(detail, detail_cap, "KMS call: unknown operation %d", (int)op);
        return KMS_CLIENT_ERR_INVALID_ARGUMENT;
    }
    kms_client_status status = route_call(c, &route, detail, detail_cap);
    if (status != KMS_CLIENT_OK) {
        return status;
    }
    long long deadline = backoff_now_ms() + c->deadline_ms;
    int renewed = 0, renew_tried = 0;
    do {
        long long remaining = deadline - backoff_now_ms();
        if (remaining <= 0) {
            outcome.status = KMS_CLIENT_ERR_TIMEOUT;
            outcome.deadline_reached = 1;
            break;
        }
        long timeout = remaining < c->attempt_timeout_ms ? (long)remaining : c->attempt_timeout_ms;
        credentials_snapshot *key = credentials_holder_acquire(&c->creds);
        attempt(c, &key->creds, &route, body, timeout, response, &outcome);
        renewed = !renew_tried && renew_expired(c, key, &outcome);
        renew_tried |= renewed;
        credentials_snapshot_release(key);
    } while (outcome.status != KMS_CLIENT_OK && (renewed || wait_for_retry(c, &outcome, deadline)));
    count(c, op, &outcome);
    if (outcome.status != KMS_CLIENT_OK) {
        describe(&route, &outcome, detail, detail_cap);
    }
    return outcome.status;
}
