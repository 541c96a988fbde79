/* HTTP to the fixture server over libcurl: signed KMS calls and raw requests. */
#include "kms_fixture.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_RESPONSE_BYTES (1u << 20)
#define CALL_TIMEOUT_MS    30000L

struct kms_fixture_client {
    CURL *curl;
    char endpoint[64];
    char host[64];
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void init_curl(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

const sigv4_credentials *kms_fixture_default_credentials(void)
{
    static const sigv4_credentials creds = {KMS_LOCAL_DEFAULT_ACCESS_KEY_ID,
                                            KMS_LOCAL_DEFAULT_SECRET_KEY, NULL,
                                            KMS_LOCAL_DEFAULT_REGION, "kms"};
    return &creds;
}

void kms_fixture_response_free(kms_fixture_response *r)
{
    free(r->body);
    r->body = NULL;
}

typedef struct {
    char *data;
    size_t len;
} sink;

static size_t on_data(char *ptr, size_t size, size_t n, void *userdata)
{
    sink *s = userdata;
    size_t add = size * n;
    if (s->len + add > MAX_RESPONSE_BYTES)
        return 0;
    char *grown = realloc(s->data, s->len + add + 1);
    if (grown == NULL)
        return 0;
    memcpy(grown + s->len, ptr, add);
    s->data = grown;
    s->len += add;
    s->data[s->len] = '\0';
    return add;
}

kms_fixture_client *kms_fixture_client_new(const kms_fixture_server *srv)
{
    pthread_once(&curl_once, init_curl);
    kms_fixture_client *c = calloc(1, sizeof(*c));
    if (c == NULL || (c->curl = curl_easy_init()) == NULL) {
        free(c);
        return NULL;
    }
    snprintf(c->endpoint, sizeof(c->endpoint), "%s", srv->endpoint);
    snprintf(c->host, sizeof(c->host), "127.0.0.1:%d", srv->port);
    return c;
}

void kms_fixture_client_free(kms_fixture_client *c)
{
    if (c) {
        curl_easy_cleanup(c->curl);
        free(c);
    }
}

/* Performs one request on the client's handle; out->status is 0 without a response. */
static int perform(kms_fixture_client *c, const char *method, const char *path, const char *body,
                   struct curl_slist *headers, kms_fixture_response *out)
{
    char url[512];
    sink s = {NULL, 0};
    snprintf(url, sizeof(url), "%s%s", c->endpoint, path);
    CURL *h = c->curl;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, body ? (long)strlen(body) : 0L);
    curl_easy_setopt(h, CURLOPT_HTTPGET, body ? 0L : 1L);
    if (body)
        curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, CALL_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    CURLcode rc = curl_easy_perform(h);
    out->status = 0;
    out->body = s.data;
    if (rc == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
    return rc == CURLE_OK ? 0 : -1;
}

static struct curl_slist *add_header(struct curl_slist *list, const char *name, const char *value)
{
    char line[2048];
    snprintf(line, sizeof(line), "%s: %s", name, value);
    return curl_slist_append(list, line);
}

/* The KMS request headers, with Authorization when creds are given. */
static struct curl_slist *kms_headers(const kms_fixture_client *c, const sigv4_credentials *creds,
                                      const char *target, const char *body)
{
    char amz_date[SIGV4_AMZ_DATE_LEN + 1], auth[1024];
    sigv4_format_amz_date(time(NULL), amz_date, sizeof(amz_date));
    sigv4_header signed_headers[5] = {{"Host", c->host},
                                      {"X-Amz-Date", amz_date},
                                      {"Content-Type", "application/x-amz-json-1.1"},
                                      {"X-Amz-Target", target},
                                      {"X-Amz-Security-Token", NULL}};
    size_t n = 4;
    if (creds && creds->session_token)
        signed_headers[n++].value = creds->session_token;
    struct curl_slist *list = curl_slist_append(NULL, "Expect:");
    for (size_t i = 0; i < n; i++)
        list = add_header(list, signed_headers[i].name, signed_headers[i].value);
    if (creds && sigv4_authorization(NULL, creds, "POST", "/", "", signed_headers, n,
                                     (const unsigned char *)body, strlen(body), amz_date, auth,
                                     sizeof(auth)) == SIGV4_OK)
        list = add_header(list, "Authorization", auth);
    return list;
}

int kms_fixture_client_call(kms_fixture_client *c, const sigv4_credentials *creds,
                            const char *operation, const char *json_body, kms_fixture_response *out)
{
    char target[128];
    snprintf(target, sizeof(target), "TrentService.%s", operation);
    struct curl_slist *headers = kms_headers(c, creds, target, json_body);
    int rc = perform(c, "POST", "/", json_body, headers, out);
    curl_slist_free_all(headers);
    return rc;
}

int kms_fixture_kms_call(const kms_fixture_server *srv, const sigv4_credentials *creds,
                         const char *operation, const char *json_body, kms_fixture_response *out)
{
    kms_fixture_client *c = kms_fixture_client_new(srv);
    out->status = 0;
    out->body = NULL;
    if (c == NULL)
        return -1;
    int rc = kms_fixture_client_call(c, creds, operation, json_body, out);
    kms_fixture_client_free(c);
    return rc;
}

int kms_fixture_http(const kms_fixture_server *srv, const char *method, const char *path,
                     const char *body, kms_fixture_response *out)
{
    kms_fixture_client *c = kms_fixture_client_new(srv);
    out->status = 0;
    out->body = NULL;
    if (c == NULL)
        return -1;
    struct curl_slist *headers = curl_slist_append(NULL, "Expect:");
    int rc = perform(c, method, path, body, headers, out);
    curl_slist_free_all(headers);
    kms_fixture_client_free(c);
    return rc;
}
