#include "kms_test_calls.h"

#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_object *parse_response(int rc, kms_fixture_response *r, long *status)
{
    *status = r->status;
    json_object *o = rc == 0 && r->body ? json_tokener_parse(r->body) : NULL;
    kms_fixture_response_free(r);
    return o;
}

json_object *kms_test_call(const kms_fixture_server *srv, const sigv4_credentials *creds,
                           long *status, const char *op, const char *body_fmt, ...)
{
    char body[8192];
    va_list ap;
    va_start(ap, body_fmt);
    vsnprintf(body, sizeof(body), body_fmt, ap);
    va_end(ap);
    kms_fixture_response r = {0, NULL};
    int rc = kms_fixture_kms_call(srv, creds, op, body, &r);
    return parse_response(rc, &r, status);
}

json_object *kms_test_client_call(kms_fixture_client *c, const sigv4_credentials *creds,
                                  long *status, const char *op, const char *body)
{
    kms_fixture_response r = {0, NULL};
    int rc = kms_fixture_client_call(c, creds, op, body, &r);
    return parse_response(rc, &r, status);
}

const char *kms_test_str(json_object *o, const char *field)
{
    json_object *v;
    if (o == NULL || !json_object_object_get_ex(o, field, &v))
        return "";
    return json_object_get_string(v);
}

long kms_test_b64_len(json_object *o, const char *field)
{
    const char *text = kms_test_str(o, field);
    size_t n = strlen(text);
    if (n == 0 || n % 4 != 0)
        return -1;
    unsigned char *buf = malloc(n);
    int len = EVP_DecodeBlock(buf, (const unsigned char *)text, (int)n);
    free(buf);
    if (len < 0)
        return -1;
    return len - (text[n - 1] == '=') - (text[n - 2] == '=');
}
