#include "kms/server/kms_handler.h"

#include "kms/server/kms_operations.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void set_error(kms_handler_result *out, const kms_error *err)
{
    out->http_status = err->http_status;
    out->body = kms_error_json(err);
}

/* Applies an injected fault; returns 1 when it answered the request. */
static int apply_fault(const fault_decision *f, kms_handler_result *out)
{
    kms_error err;
    if (f->latency_ms)
        sleep_ms(f->latency_ms);
    switch (f->action) {
    case FAULT_NONE:
        return 0;
    case FAULT_DROP:
        out->drop = 1;
        return 1;
    case FAULT_AWS_ERROR:
        kms_error_set(&err, f->error_type, "injected fault");
        break;
    case FAULT_HTTP_500:
        kms_error_set(&err, "KMSInternalException", "injected fault");
        break;
    case FAULT_HTTP_503:
        kms_error_set(&err, "ServiceUnavailableException", "injected fault");
        err.http_status = 503;
        break;
    }
    set_error(out, &err);
    return 1;
}

static int check_protocol(const http_request_view *r, int body_too_large, kms_error *err)
{
    const char *type = http_request_header(r, "Content-Type");
    if (strcmp(r->method, "POST") != 0 || strcmp(r->path, "/") != 0 || r->has_query) {
        kms_error_set(err, "UnknownOperationException", "KMS requests are POST / with no query");
        return -1;
    }
    if (type == NULL || strncmp(type, "application/x-amz-json-1.", 25) != 0) {
        kms_error_set(err, "SerializationException",
                      "Content-Type must be application/x-amz-json-1.1");
        return -1;
    }
    if (body_too_large) {
        kms_error_set(err, "ValidationException", "request body is too large");
        return -1;
    }
    return 0;
}

static void answer(const kms_server_config *cfg, kms_operation op, const http_request_view *r,
                   int body_too_large, kms_handler_result *out)
{
    kms_error err = {0};
    if (check_protocol(r, body_too_large, &err) == 0 &&
        (!cfg->require_signature ||
         request_auth_verify(cfg->ks, r, time(NULL), cfg->max_skew_s, &err) == 0))
        out->body = kms_operation_run(cfg->ks, op, (const char *)r->body, r->body_len, &err);
    if (out->body != NULL)
        out->http_status = 200;
    else
        set_error(out, &err);
}

void kms_handle_request(const kms_server_config *cfg, const http_request_view *r,
                        int body_too_large, kms_handler_result *out)
{
    fault_decision fault;
    memset(out, 0, sizeof(*out));
    kms_operation op = kms_operation_from_target(http_request_header(r, "X-Amz-Target"));
    control_request_begin(cfg->control, op);
    control_fault_pick(cfg->control, op, &fault);
    if (!apply_fault(&fault, out))
        answer(cfg, op, r, body_too_large, out);
    control_request_end(cfg->control, op, out->drop || out->http_status != 200);
}
