#include "kms/server/request_auth.h"

#include <openssl/crypto.h>
#include <string.h>
#include <strings.h>

const char *http_request_header(const http_request_view *r, const char *name)
{
    for (size_t i = 0; i < r->n_headers; i++)
        if (strcasecmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}

static int list_has(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; p && *p;) {
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && memcmp(p, name, n) == 0)
            return 1;
        p = end ? end + 1 : NULL;
    }
    return 0;
}

/* Every header the server acts on must be signed: the operation comes from
 * X-Amz-Target, so an unsigned one would let a captured request be replayed
 * as another operation (GenerateDataKeyWithoutPlaintext as GenerateDataKey,
 * answered with the plaintext key). */
static int check_signed_headers(const http_request_view *r, const sigv4_parsed_authorization *a,
                                kms_error *err)
{
    static const char *const required[] = {"host", "x-amz-date", "x-amz-target", "content-type"};
    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
        if (!list_has(a->signed_headers, required[i])) {
            kms_error_set(err, "IncompleteSignatureException",
                          "SignedHeaders must include host, x-amz-date, x-amz-target and "
                          "content-type (%s is missing)",
                          required[i]);
            return -1;
        }
    }
    if (http_request_header(r, "X-Amz-Security-Token") != NULL &&
        !list_has(a->signed_headers, "x-amz-security-token")) {
        kms_error_set(err, "IncompleteSignatureException",
                      "SignedHeaders must include x-amz-security-token when it is sent");
        return -1;
    }
    return 0;
}

static int check_scope(const keystore *ks, const sigv4_parsed_authorization *a,
                       const char *amz_date, time_t now, long max_skew_s, kms_error *err)
{
    time_t t;
    if (strcmp(a->region, ks->region) != 0 || strcmp(a->service, "kms") != 0) {
        kms_error_set(err, "InvalidSignatureException",
                      "Credential should be scoped to region '%s' and service 'kms'", ks->region);
        return -1;
    }
    if (sigv4_parse_amz_date(amz_date, &t) != SIGV4_OK) {
        kms_error_set(err, "IncompleteSignatureException", "X-Amz-Date is missing or malformed");
        return -1;
    }
    if (memcmp(amz_date, a->date, 8) != 0) {
        kms_error_set(err, "InvalidSignatureException",
                      "Credential date does not match X-Amz-Date");
        return -1;
    }
    if (t > now + max_skew_s || t < now - max_skew_s) {
        kms_error_set(err, "InvalidSignatureException",
                      "Signature expired: %s is more than %ld s from the server time", amz_date,
                      max_skew_s);
        return -1;
    }
    return 0;
}

static int check_session_token(const kms_credential *cred, const http_request_view *r,
                               kms_error *err)
{
    const char *token = http_request_header(r, "X-Amz-Security-Token");
    int ok;
    if (cred->session_token == NULL)
        ok = token == NULL;
    else
        ok = token != NULL && strlen(token) == strlen(cred->session_token) &&
             CRYPTO_memcmp(token, cred->session_token, strlen(token)) == 0;
    if (!ok)
        kms_error_set(err, "UnrecognizedClientException",
                      "The security token included in the request is invalid.");
    return ok ? 0 : -1;
}

static int check_signature(const kms_credential *cred, const http_request_view *r,
                           const sigv4_parsed_authorization *a, const char *amz_date,
                           kms_error *err)
{
    char hash[SIGV4_SHA256_HEX_LEN + 1];
    if (sigv4_payload_hash(NULL, r->body, r->body_len, hash) != SIGV4_OK) {
        kms_error_set(err, "KMSInternalException", "hashing failed");
        return -1;
    }
    sigv4_request req = {r->method, r->path, "", r->headers, r->n_headers, hash};
    int rc = sigv4_verify(NULL, &req, a, cred->secret_access_key, amz_date);
    if (rc == SIGV4_OK)
        return 0;
    if (rc == SIGV4_ERR_MISSING_HEADER)
        kms_error_set(err, "IncompleteSignatureException",
                      "a header listed in SignedHeaders is missing");
    else
        kms_error_set(err, "InvalidSignatureException",
                      "The request signature we calculated does not match the signature you "
                      "provided. Check your AWS Secret Access Key and signing method.");
    return -1;
}

int request_auth_verify(const keystore *ks, const http_request_view *r, time_t now, long max_skew_s,
                        kms_error *err)
{
    sigv4_parsed_authorization a;
    const char *auth = http_request_header(r, "Authorization");
    const char *amz_date = http_request_header(r, "X-Amz-Date");
    if (auth == NULL) {
        kms_error_set(err, "MissingAuthenticationTokenException", "Missing Authentication Token");
        return -1;
    }
    if (sigv4_parse_authorization(auth, &a) != SIGV4_OK) {
        kms_error_set(err, "IncompleteSignatureException",
                      "Authorization header is not a valid AWS4-HMAC-SHA256 header");
        return -1;
    }
    const kms_credential *cred = keystore_find_credential(ks, a.access_key_id);
    if (cred == NULL) {
        kms_error_set(err, "UnrecognizedClientException",
                      "The security token included in the request is invalid.");
        return -1;
    }
    if (check_scope(ks, &a, amz_date, now, max_skew_s, err) != 0 ||
        check_signed_headers(r, &a, err) != 0 || check_session_token(cred, r, err) != 0 ||
        check_signature(cred, r, &a, amz_date, err) != 0)
        return -1;
    if (cred->expired) {
        kms_error_set(err, "ExpiredTokenException",
                      "The security token included in the request is expired");
        return -1;
    }
    return 0;
}
