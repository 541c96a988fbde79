/* The SigV4 canonical request: method, encoded path, sorted query, canonical
 * headers, signed header list and payload hash, one per line. */
#include "kms/sigv4/sigv4.h"
#include "kms/sigv4/sigv4_strbuf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define MAX_HEADERS 256

static int is_unreserved(unsigned char c)
{
    return isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

static void append_encoded(sigv4_strbuf *b, const char *s, size_t n, int keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (is_unreserved(c) || (keep_slash && c == '/')) {
            sigv4_strbuf_append_char(b, (char)c);
        } else {
            char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
            sigv4_strbuf_append(b, esc, 3);
        }
    }
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decodes then re-encodes, so already-encoded and raw input agree. */
static char *canonical_query_component(const char *s, size_t n)
{
    sigv4_strbuf decoded = {0}, encoded = {0};
    char *out = NULL;
    for (size_t i = 0; i < n; i++) {
        int hi = s[i] == '%' && i + 2 < n ? hex_value(s[i + 1]) : -1;
        int lo = hi >= 0 ? hex_value(s[i + 2]) : -1;
        if (lo >= 0) {
            sigv4_strbuf_append_char(&decoded, (char)(hi * 16 + lo));
            i += 2;
        } else {
            sigv4_strbuf_append_char(&decoded, s[i]);
        }
    }
    if (!decoded.failed)
        append_encoded(&encoded, decoded.data ? decoded.data : "", decoded.len, 0);
    sigv4_strbuf_free(&decoded);
    sigv4_strbuf_append(&encoded, "", 0);
    if (decoded.failed || sigv4_strbuf_take(&encoded, &out) != SIGV4_OK) {
        sigv4_strbuf_free(&encoded);
        return NULL;
    }
    return out;
}

typedef struct {
    char *key;
    char *value;
} query_param;

static int compare_params(const void *a, const void *b)
{
    const query_param *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : strcmp(x->value, y->value);
}

static size_t count_params(const char *query)
{
    size_t n = 1;
    for (const char *p = query; *p; p++)
        n += *p == '&';
    return n;
}

static int split_params(const char *query, query_param *params, size_t *n_out)
{
    size_t n = 0;
    const char *p = query;
    while (*p) {
        const char *end = strchr(p, '&');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > 0) {
            const char *eq = memchr(p, '=', len);
            size_t klen = eq ? (size_t)(eq - p) : len;
            params[n].key = canonical_query_component(p, klen);
            params[n].value = eq ? canonical_query_component(eq + 1, len - klen - 1)
                                 : canonical_query_component("", 0);
            n++;
            if (params[n - 1].key == NULL || params[n - 1].value == NULL) {
                *n_out = n;
                return SIGV4_ERR_NO_MEMORY;
            }
        }
        p += len + (end != NULL);
    }
    *n_out = n;
    return SIGV4_OK;
}

static int append_canonical_query(sigv4_strbuf *b, const char *query)
{
    if (query == NULL || *query == '\0')
        return SIGV4_OK;
    size_t n = 0;
    query_param *params = calloc(count_params(query), sizeof(*params));
    if (params == NULL)
        return SIGV4_ERR_NO_MEMORY;
    int rc = split_params(query, params, &n);
    if (rc == SIGV4_OK) {
        qsort(params, n, sizeof(*params), compare_params);
        for (size_t i = 0; i < n; i++) {
            if (i)
                sigv4_strbuf_append_char(b, '&');
            sigv4_strbuf_append_str(b, params[i].key);
            sigv4_strbuf_append_char(b, '=');
            sigv4_strbuf_append_str(b, params[i].value);
        }
    }
    for (size_t i = 0; i < n; i++) {
        free(params[i].key);
        free(params[i].value);
    }
    free(params);
    return rc;
}

/* Trims and collapses runs of whitespace (including folded line breaks). */
static void append_header_value(sigv4_strbuf *b, const char *v)
{
    int pending_space = 0, started = 0;
    for (; *v; v++) {
        if (isspace((unsigned char)*v)) {
            pending_space = started;
            continue;
        }
        if (pending_space)
            sigv4_strbuf_append_char(b, ' ');
        sigv4_strbuf_append_char(b, *v);
        pending_space = 0;
        started = 1;
    }
}

static int name_equals(const char *header_name, const char *lower, size_t n)
{
    if (strlen(header_name) != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (tolower((unsigned char)header_name[i]) != lower[i])
            return 0;
    return 1;
}

/* "name:v1,v2\n" for one signed header name; values keep request order. */
static int append_one_header(sigv4_strbuf *b, const sigv4_request *req, const char *name, size_t n)
{
    int found = 0;
    sigv4_strbuf_append(b, name, n);
    sigv4_strbuf_append_char(b, ':');
    for (size_t i = 0; i < req->n_headers; i++) {
        if (!name_equals(req->headers[i].name, name, n))
            continue;
        if (found++)
            sigv4_strbuf_append_char(b, ',');
        append_header_value(b, req->headers[i].value ? req->headers[i].value : "");
    }
    sigv4_strbuf_append_char(b, '\n');
    return found ? SIGV4_OK : SIGV4_ERR_MISSING_HEADER;
}

static int append_canonical_headers(sigv4_strbuf *b, const sigv4_request *req,
                                    const char *signed_headers)
{
    const char *p = signed_headers;
    while (*p) {
        const char *end = strchr(p, ';');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == 0)
            return SIGV4_ERR_ARGUMENT;
        int rc = append_one_header(b, req, p, n);
        if (rc != SIGV4_OK)
            return rc;
        p += n + (end != NULL);
    }
    return SIGV4_OK;
}

static int valid_request(const sigv4_request *req)
{
    return req && req->method && *req->method && req->path && req->payload_sha256_hex &&
           (req->headers || req->n_headers == 0) && req->n_headers <= MAX_HEADERS;
}

int sigv4_canonical_request(const sigv4_request *req, const char *signed_headers, char **out)
{
    char *own_list = NULL;
    sigv4_strbuf b = {0};
    if (!valid_request(req) || out == NULL)
        return SIGV4_ERR_ARGUMENT;
    if (signed_headers == NULL) {
        int rc = sigv4_signed_headers_list(req->headers, req->n_headers, &own_list);
        if (rc != SIGV4_OK)
            return rc;
        signed_headers = own_list;
    }
    sigv4_strbuf_append_str(&b, req->method);
    sigv4_strbuf_append_char(&b, '\n');
    append_encoded(&b, req->path, strlen(req->path), 1);
    sigv4_strbuf_append_char(&b, '\n');
    int rc = append_canonical_query(&b, req->query);
    sigv4_strbuf_append_char(&b, '\n');
    if (rc == SIGV4_OK)
        rc = append_canonical_headers(&b, req, signed_headers);
    sigv4_strbuf_append_char(&b, '\n');
    sigv4_strbuf_append_str(&b, signed_headers);
    sigv4_strbuf_append_char(&b, '\n');
    sigv4_strbuf_append_str(&b, req->payload_sha256_hex);
    free(own_list);
    if (rc != SIGV4_OK) {
        sigv4_strbuf_free(&b);
        return rc;
    }
    return sigv4_strbuf_take(&b, out);
}
