#include "sigv4_vector_case.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

char *vector_read_file(const char *path, size_t *len_out)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len - 1 == 0) {
            char *grown = realloc(buf, cap * 2);
            if (grown == NULL) {
                free(buf);
                buf = NULL;
            }
            buf = grown;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf) {
        buf[len] = '\0';
        if (len_out)
            *len_out = len;
    }
    return buf;
}

static char *read_in(const char *dir, const char *file)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    return vector_read_file(path, NULL);
}

static char *own(vector_http_request *r, const char *s, size_t n)
{
    char *copy = strndup(s, n);
    r->owned[r->n_owned++] = copy;
    return copy;
}

static void add_header(vector_http_request *r, const char *name, size_t nlen, const char *value,
                       size_t vlen)
{
    r->headers[r->n_headers].name = own(r, name, nlen);
    r->headers[r->n_headers].value = own(r, value, vlen);
    r->n_headers++;
}

/* Appends a folded continuation line to the previous header's value. */
static void continue_header(vector_http_request *r, const char *line, size_t n)
{
    sigv4_header *h = &r->headers[r->n_headers - 1];
    size_t old = strlen(h->value);
    char *joined = malloc(old + n + 2);
    memcpy(joined, h->value, old);
    joined[old] = '\n';
    memcpy(joined + old + 1, line, n);
    joined[old + n + 1] = '\0';
    r->owned[r->n_owned++] = joined;
    h->value = joined;
}

static int parse_request_line(const char *line, size_t n, vector_http_request *r)
{
    const char *sp1 = memchr(line, ' ', n);
    const char *sp2 = NULL;
    for (const char *p = line + n; p > line; p--)
        if (p[-1] == ' ') {
            sp2 = p - 1;
            break;
        }
    if (!sp1 || !sp2 || sp2 <= sp1 || (size_t)(sp1 - line) >= sizeof(r->method))
        return -1;
    memcpy(r->method, line, (size_t)(sp1 - line));
    const char *uri = sp1 + 1;
    const char *q = memchr(uri, '?', (size_t)(sp2 - uri));
    r->path = strndup(uri, (size_t)((q ? q : sp2) - uri));
    r->query = q ? strndup(q + 1, (size_t)(sp2 - q - 1)) : NULL;
    return 0;
}

static int parse_http(const char *text, vector_http_request *r)
{
    const char *p = text;
    int first = 1;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        const char *next = nl ? nl + 1 : p + n;
        if (first) {
            if (parse_request_line(p, n, r) != 0)
                return -1;
            first = 0;
        } else if (n == 0) {
            p = next;
            break;
        } else if ((*p == ' ' || *p == '\t') && r->n_headers > 0) {
            continue_header(r, p, n);
        } else {
            const char *colon = memchr(p, ':', n);
            if (!colon || r->n_headers == VECTOR_MAX_HEADERS)
                return -1;
            add_header(r, p, (size_t)(colon - p), colon + 1, n - (size_t)(colon - p) - 1);
        }
        p = next;
    }
    r->body_len = strlen(p);
    r->body = strndup(p, r->body_len);
    return first ? -1 : 0;
}

static void copy_json_string(json_object *obj, const char *key, char *dst, size_t cap)
{
    json_object *v;
    dst[0] = '\0';
    if (json_object_object_get_ex(obj, key, &v))
        snprintf(dst, cap, "%s", json_object_get_string(v));
}

static int json_flag(json_object *obj, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(obj, key, &v) && json_object_get_boolean(v);
}

static int load_context(const char *dir, vector_case *c)
{
    char *text = read_in(dir, "context.json");
    json_object *root = text ? json_tokener_parse(text) : NULL, *creds;
    free(text);
    if (root == NULL || !json_object_object_get_ex(root, "credentials", &creds)) {
        json_object_put(root);
        return -1;
    }
    copy_json_string(creds, "access_key_id", c->access_key_id, sizeof(c->access_key_id));
    copy_json_string(creds, "secret_access_key", c->secret, sizeof(c->secret));
    copy_json_string(creds, "token", c->token, sizeof(c->token));
    copy_json_string(root, "region", c->region, sizeof(c->region));
    copy_json_string(root, "service", c->service, sizeof(c->service));
    char ts[64];
    copy_json_string(root, "timestamp", ts, sizeof(ts));
    /* "2015-08-30T12:36:00Z" -> "20150830T123600Z" */
    snprintf(c->amz_date, sizeof(c->amz_date), "%.4s%.2s%.2sT%.2s%.2s%.2sZ", ts, ts + 5, ts + 8,
             ts + 11, ts + 14, ts + 17);
    c->normalize = json_flag(root, "normalize");
    c->sign_body = json_flag(root, "sign_body");
    c->omit_session_token = json_flag(root, "omit_session_token");
    json_object_put(root);
    return 0;
}

/* The headers a signer adds before signing, as the suite's signer did. */
static void add_signer_headers(vector_case *c)
{
    vector_http_request *r = &c->request;
    add_header(r, "X-Amz-Date", 10, c->amz_date, strlen(c->amz_date));
    if (c->token[0] && !c->omit_session_token)
        add_header(r, "X-Amz-Security-Token", 20, c->token, strlen(c->token));
    if (c->sign_body) {
        char hash[SIGV4_SHA256_HEX_LEN + 1];
        sigv4_payload_hash(NULL, (const unsigned char *)r->body, r->body_len, hash);
        add_header(r, "x-amz-content-sha256", 20, hash, strlen(hash));
    }
}

static char *trimmed(char *s)
{
    if (s) {
        size_t n = strlen(s);
        while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
            s[--n] = '\0';
    }
    return s;
}

int vector_case_load(const char *dir, vector_case *c)
{
    memset(c, 0, sizeof(*c));
    char *req = read_in(dir, "request.txt");
    char *signed_req = read_in(dir, "header-signed-request.txt");
    int rc = load_context(dir, c);
    if (rc == 0)
        rc = req && signed_req ? parse_http(req, &c->request) : -1;
    if (rc == 0)
        rc = parse_http(signed_req, &c->signed_request);
    free(req);
    free(signed_req);
    if (rc != 0)
        return rc;
    add_signer_headers(c);
    c->canonical_request = read_in(dir, "header-canonical-request.txt");
    c->string_to_sign = read_in(dir, "header-string-to-sign.txt");
    c->signature = trimmed(read_in(dir, "header-signature.txt"));
    return c->canonical_request && c->string_to_sign && c->signature ? 0 : -1;
}

static void free_request(vector_http_request *r)
{
    for (size_t i = 0; i < r->n_owned; i++)
        free(r->owned[i]);
    free(r->path);
    free(r->query);
    free(r->body);
}

void vector_case_free(vector_case *c)
{
    free_request(&c->request);
    free_request(&c->signed_request);
    free(c->canonical_request);
    free(c->string_to_sign);
    free(c->signature);
}

const char *vector_header(const vector_http_request *r, const char *name)
{
    for (size_t i = 0; i < r->n_headers; i++)
        if (strcasecmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}
