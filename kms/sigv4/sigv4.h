/* AWS Signature Version 4 (header form), signer and verifier building blocks.
 * Shared by the KMS client (signs) and dekcache-kms-local (verifies).
 * Every function returns 0 (SIGV4_OK) or a sigv4_status; text outputs are
 * NUL-terminated. Strings returned through char ** are malloc'd: free() them. */
#ifndef DEKCACHE_KMS_SIGV4_H
#define DEKCACHE_KMS_SIGV4_H

#include <openssl/types.h>
#include <stddef.h>
#include <time.h>

#define SIGV4_ALGORITHM       "AWS4-HMAC-SHA256"
#define SIGV4_SHA256_HEX_LEN  64 /* without the NUL */
#define SIGV4_SIGNING_KEY_LEN 32
#define SIGV4_AMZ_DATE_LEN    16 /* "YYYYMMDDTHHMMSSZ" */

typedef enum {
    SIGV4_OK = 0,
    SIGV4_ERR_ARGUMENT,         /* NULL or malformed input (method, date, header name) */
    SIGV4_ERR_BUFFER_TOO_SMALL, /* out_cap too small for the result */
    SIGV4_ERR_NO_MEMORY,
    SIGV4_ERR_CRYPTO,             /* libcrypto failed */
    SIGV4_ERR_MALFORMED_AUTH,     /* Authorization header not parseable */
    SIGV4_ERR_MISSING_HEADER,     /* a SignedHeaders entry is absent from the request */
    SIGV4_ERR_SIGNATURE_MISMATCH, /* verification failed */
} sigv4_status;

typedef struct {
    const char *name;
    const char *value;
} sigv4_header;

typedef struct {
    const char *access_key_id;
    const char *secret_access_key;
    const char *session_token; /* NULL when none */
    const char *region;
    const char *service; /* "kms" */
} sigv4_credentials;

/* One HTTP request as the canonical request sees it. path is the raw request
 * path ("/"), query the raw query string without '?' (NULL or "" when none).
 * payload_sha256_hex: lowercase hex SHA-256 of the body (sigv4_payload_hash). */
typedef struct {
    const char *method;
    const char *path;
    const char *query;
    const sigv4_header *headers;
    size_t n_headers;
    const char *payload_sha256_hex;
} sigv4_request;

/* The fields of an "AWS4-HMAC-SHA256 Credential=AK/DATE/REGION/SERVICE/aws4_request,
 * SignedHeaders=a;b, Signature=hex" header value. */
typedef struct {
    char access_key_id[129];
    char date[9]; /* YYYYMMDD */
    char region[65];
    char service[65];
    char signed_headers[1025]; /* lowercase, ';'-separated, as sent */
    char signature[SIGV4_SHA256_HEX_LEN + 1];
} sigv4_parsed_authorization;

const char *sigv4_status_string(int status);

/* Writes the full Authorization header value ("AWS4-HMAC-SHA256 Credential=..., SignedHeaders=...,
   Signature=...") for the request. amz_date is "YYYYMMDDTHHMMSSZ". headers: every header to sign
   (names any case; must include host and x-amz-date, and x-amz-security-token when a session token
   is used). Returns 0 on success, a sigv4 status otherwise. */
int sigv4_authorization(OSSL_LIB_CTX *libctx, const sigv4_credentials *creds, const char *method,
                        const char *path, const char *query, const sigv4_header *headers,
                        size_t n_headers, const unsigned char *payload, size_t payload_len,
                        const char *amz_date, char *out, size_t out_cap);

/* Formats t (UTC) as "YYYYMMDDTHHMMSSZ"; out needs SIGV4_AMZ_DATE_LEN + 1 bytes. */
int sigv4_format_amz_date(time_t t, char *out, size_t out_cap);
/* Parses "YYYYMMDDTHHMMSSZ" into a UTC time. */
int sigv4_parse_amz_date(const char *amz_date, time_t *out);

/* Lowercase hex SHA-256 of the payload (payload may be NULL when len is 0). */
int sigv4_payload_hash(OSSL_LIB_CTX *libctx, const unsigned char *payload, size_t len,
                       char out[SIGV4_SHA256_HEX_LEN + 1]);

/* Semicolon-separated, sorted, lowercase, de-duplicated names of all headers. */
int sigv4_signed_headers_list(const sigv4_header *headers, size_t n_headers, char **out);

/* The canonical request. signed_headers: the ';'-separated lowercase list to
 * include (a verifier passes the list from the Authorization header); NULL means
 * every header of the request (sigv4_signed_headers_list). Headers with the same
 * name are joined with ','; values are trimmed and inner whitespace collapsed.
 * Fails with SIGV4_ERR_MISSING_HEADER when a listed header is absent. */
int sigv4_canonical_request(const sigv4_request *req, const char *signed_headers, char **out);

/* "DATE/REGION/SERVICE/aws4_request" for an amz_date. */
int sigv4_scope(const char *amz_date, const char *region, const char *service, char *out,
                size_t out_cap);

/* "AWS4-HMAC-SHA256\n<amz_date>\n<scope>\n<hex sha256(canonical request)>". */
int sigv4_string_to_sign(OSSL_LIB_CTX *libctx, const char *amz_date, const char *scope,
                         const char *canonical_request, char **out);

/* kSigning = HMAC chain over "AWS4"+secret, date (YYYYMMDD), region, service, "aws4_request".
 * The caller should OPENSSL_cleanse the key when done. */
int sigv4_signing_key(OSSL_LIB_CTX *libctx, const char *secret_access_key, const char *date8,
                      const char *region, const char *service,
                      unsigned char out[SIGV4_SIGNING_KEY_LEN]);

/* Lowercase hex HMAC-SHA256(signing key, string to sign). */
int sigv4_signature(OSSL_LIB_CTX *libctx, const unsigned char key[SIGV4_SIGNING_KEY_LEN],
                    const char *string_to_sign, char out[SIGV4_SHA256_HEX_LEN + 1]);

/* Parses an Authorization header value. Rejects other algorithms, missing or
 * duplicated parts, over-long fields and a signature that is not 64 hex digits. */
int sigv4_parse_authorization(const char *value, sigv4_parsed_authorization *out);

/* Recomputes the signature of req over auth->signed_headers with the given
 * secret and compares it with auth->signature in constant time (CRYPTO_memcmp).
 * amz_date is the request's X-Amz-Date. Does not check scope or clock skew:
 * that policy belongs to the caller (the date in the scope must match amz_date). */
int sigv4_verify(OSSL_LIB_CTX *libctx, const sigv4_request *req,
                 const sigv4_parsed_authorization *auth, const char *secret_access_key,
                 const char *amz_date);

#endif
