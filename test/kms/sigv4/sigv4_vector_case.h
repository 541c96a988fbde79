/* One case of the AWS SigV4 test suite (../shared/vectors/sigv4/v4/<name>),
 * loaded into the shapes kms/sigv4 takes. */
#ifndef DEKCACHE_TEST_SIGV4_VECTOR_CASE_H
#define DEKCACHE_TEST_SIGV4_VECTOR_CASE_H

#include "kms/sigv4/sigv4.h"

#define VECTOR_MAX_HEADERS 32

typedef struct {
    char method[16];
    char *path;
    char *query; /* NULL when none */
    sigv4_header headers[VECTOR_MAX_HEADERS];
    size_t n_headers;
    char *body;
    size_t body_len;
    char *owned[2 * VECTOR_MAX_HEADERS]; /* strings behind headers */
    size_t n_owned;
} vector_http_request;

typedef struct {
    char access_key_id[64];
    char secret[128];
    char token[1024];
    char region[64];
    char service[64];
    char amz_date[SIGV4_AMZ_DATE_LEN + 1];
    int normalize, sign_body, omit_session_token;
    vector_http_request request;        /* request.txt plus the headers the signer adds */
    vector_http_request signed_request; /* header-signed-request.txt as sent */
    char *canonical_request, *string_to_sign, *signature;
} vector_case;

/* Loads dir/<files>; returns 0 on success. */
int vector_case_load(const char *dir, vector_case *c);
void vector_case_free(vector_case *c);
/* Value of the first header with this name (case-insensitive), or NULL. */
const char *vector_header(const vector_http_request *r, const char *name);
/* Reads a whole file into a NUL-terminated malloc'd string. */
char *vector_read_file(const char *path, size_t *len_out);

#endif
