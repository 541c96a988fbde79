#include "kms/server/http_server.h"

#include "kms/server/control_api.h"
#include "kms/server/kms_handler.h"
#include "kms/server/kms_local_defaults.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BODY_BYTES (1u << 20)
#define MAX_HEADERS    64

struct kms_http_server {
    struct MHD_Daemon *daemon;
    const kms_server_config *cfg;
    int port;
};

/* The body of one request as it arrives. It may hold secrets (an Encrypt
 * request's plaintext), so it grows by copying into a fresh block and
 * cleansing the old one, and is cleansed when freed. libmicrohttpd's own
 * connection buffers, which the bytes pass through, are out of reach. */
typedef struct {
    char *body;
    size_t len, cap;
    int too_large;
} request_body;

typedef struct {
    unsigned long generation; /* control_connection_used bookkeeping */
} connection_state;

typedef struct {
    sigv4_header headers[MAX_HEADERS];
    size_t n;
    int overflow;
} header_list;

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
    header_list *list = cls;
    if (list->n == MAX_HEADERS) {
        list->overflow = 1;
        return MHD_NO;
    }
    list->headers[list->n].name = key;
    list->headers[list->n].value = value ? value : "";
    list->n++;
    return MHD_YES;
}

static void free_cleansed(void *p)
{
    OPENSSL_cleanse(p, strlen(p));
    free(p);
}

static enum MHD_Result send_json(struct MHD_Connection *c, int status, char *body,
                                 const char *content_type)
{
    static const char fallback[] = "{\"__type\":\"KMSInternalException\",\"message\":\"oom\"}";
    if (body == NULL) {
        body = strdup(fallback);
        status = 500;
        if (body == NULL)
            return MHD_NO;
    }
    struct MHD_Response *r =
        MHD_create_response_from_buffer_with_free_callback(strlen(body), body, free_cleansed);
    if (r == NULL) {
        free_cleansed(body);
        return MHD_NO;
    }
    unsigned char id[16];
    char request_id[33];
    RAND_bytes(id, sizeof(id));
    for (size_t i = 0; i < sizeof(id); i++)
        snprintf(request_id + 2 * i, 3, "%02x", id[i]);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    MHD_add_response_header(r, "x-amzn-RequestId", request_id);
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

static void note_connection_used(kms_http_server *s, struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    connection_state *state = info ? info->socket_context : NULL;
    if (state != NULL)
        state->generation = control_connection_used(s->cfg->control, state->generation);
}

static enum MHD_Result serve_kms(kms_http_server *s, struct MHD_Connection *c, const char *url,
                                 const char *method, request_body *rb)
{
    header_list headers = {.n = 0};
    kms_handler_result result;
    MHD_get_connection_values(c, MHD_HEADER_KIND, collect_header, &headers);
    /* Only whether there is a query: the handler refuses any, unverified
     * (libmicrohttpd hands the arguments over decoded, which SigV4 could not
     * verify anyway). */
    int has_query = MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, NULL, NULL) > 0;
    note_connection_used(s, c);
    http_request_view view = {method,    url,
                              has_query, headers.headers,
                              headers.n, (const unsigned char *)(rb->body ? rb->body : ""),
                              rb->len};
    kms_handle_request(s->cfg, &view, rb->too_large || headers.overflow, &result);
    if (result.drop)
        return MHD_NO;
    return send_json(c, result.http_status, result.body, "application/x-amz-json-1.1");
}

static int append_body(request_body *rb, const char *data, size_t n)
{
    if (rb->too_large || rb->len + n > MAX_BODY_BYTES) {
        rb->too_large = 1;
        return 0;
    }
    if (rb->len + n + 1 > rb->cap) {
        size_t cap = rb->cap ? rb->cap : 1024;
        while (cap < rb->len + n + 1)
            cap *= 2;
        char *grown = OPENSSL_clear_realloc(rb->body, rb->cap, cap);
        if (grown == NULL)
            return -1;
        rb->body = grown;
        rb->cap = cap;
    }
    memcpy(rb->body + rb->len, data, n);
    rb->len += n;
    rb->body[rb->len] = '\0';
    return 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
    kms_http_server *s = cls;
    request_body *rb = *req_cls;
    if (rb == NULL) {
        *req_cls = rb = calloc(1, sizeof(*rb));
        return rb ? MHD_YES : MHD_NO;
    }
    if (*upload_data_size > 0) {
        int rc = append_body(rb, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return rc == 0 ? MHD_YES : MHD_NO;
    }
    if (strncmp(url, KMS_LOCAL_CONTROL_PREFIX, strlen(KMS_LOCAL_CONTROL_PREFIX)) == 0) {
        char *response = NULL;
        int status = control_api_handle(s->cfg->control, method, url, rb->body ? rb->body : "",
                                        rb->len, &response);
        return send_json(c, status, response, "application/json");
    }
    return serve_kms(s, c, url, method, rb);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    request_body *rb = *req_cls;
    if (rb != NULL) {
        OPENSSL_clear_free(rb->body, rb->cap);
        free(rb);
        *req_cls = NULL;
    }
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    kms_http_server *s = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        *socket_context = calloc(1, sizeof(connection_state));
        control_connection_opened(s->cfg->control);
    } else {
        free(*socket_context);
        *socket_context = NULL;
        control_connection_closed(s->cfg->control);
    }
}

kms_http_server *kms_http_server_start(const kms_server_config *cfg, const char *host, int port,
                                       char *detail, size_t detail_cap)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (port < 0 || port > 65535 || inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
        snprintf(detail, detail_cap, "bad listen address %s:%d (IPv4 only)", host, port);
        return NULL;
    }
    kms_http_server *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    s->cfg = cfg;
    s->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL |
            MHD_USE_ITC,
        (uint16_t)port, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, &addr,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_NOTIFY_CONNECTION, on_connection,
        s, MHD_OPTION_CONNECTION_TIMEOUT, 120u, MHD_OPTION_CONNECTION_LIMIT, 512u, MHD_OPTION_END);
    const union MHD_DaemonInfo *info =
        s->daemon ? MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT) : NULL;
    if (info == NULL) {
        snprintf(detail, detail_cap, "cannot listen on %s:%d", host, port);
        kms_http_server_stop(s);
        return NULL;
    }
    s->port = info->port;
    return s;
}

int kms_http_server_port(const kms_http_server *s)
{
    return s->port;
}

void kms_http_server_stop(kms_http_server *s)
{
    if (s == NULL)
        return;
    if (s->daemon)
        MHD_stop_daemon(s->daemon);
    free(s);
}
