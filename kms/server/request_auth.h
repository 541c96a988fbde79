/* SigV4 verification of an incoming KMS request against the keystore's
 * credentials: signature, scope (date/region/kms/aws4_request), clock skew
 * and session token. */
#ifndef DEKCACHE_KMS_SERVER_REQUEST_AUTH_H
#define DEKCACHE_KMS_SERVER_REQUEST_AUTH_H

#include "kms/server/keystore.h"
#include "kms/server/kms_error.h"
#include "kms/sigv4/sigv4.h"

#include <stddef.h>
#include <time.h>

typedef struct {
    const char *method;
    const char *path;
    int has_query; /* KMS takes none: a request with one is refused unverified */
    const sigv4_header *headers;
    size_t n_headers;
    const unsigned char *body;
    size_t body_len;
} http_request_view;

/* Value of the first header named name (case-insensitive), or NULL. */
const char *http_request_header(const http_request_view *r, const char *name);

/* Returns 0 when the request is signed by a known credential, else -1 with
 * an AWS error (MissingAuthenticationTokenException, IncompleteSignatureException,
 * UnrecognizedClientException, InvalidSignatureException). */
int request_auth_verify(const keystore *ks, const http_request_view *r, time_t now, long max_skew_s,
                        kms_error *err);

#endif
