/* Every applicable case of the official AWS SigV4 suite: signer output
 * (canonical request, string to sign, signature, Authorization header) and
 * verifier (re-deriving the signature from the signed request as sent). */
#include "cunit_run.h"
#include "kms/sigv4/sigv4.h"
#include "sigv4_vector_case.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int n_checked, n_skipped;

/* KMS is always "POST /": cases that need RFC 3986 dot-segment removal or
 * slash merging (normalize=true with such a path) test a feature we omit. */
static const char *skip_reason(const vector_case *c)
{
    const char *p = c->request.path;
    size_t n = strlen(p);
    int dotty = strstr(p, "//") || strstr(p, "/./") || strstr(p, "/../") ||
                (n >= 2 && strcmp(p + n - 2, "/.") == 0) ||
                (n >= 3 && strcmp(p + n - 3, "/..") == 0);
    if (c->normalize && dotty)
        return "needs URI path normalisation, which the KMS protocol (always POST /) never uses";
    return NULL;
}

static sigv4_request as_request(const vector_http_request *r, const char *hash)
{
    sigv4_request req = {r->method, r->path, r->query, r->headers, r->n_headers, hash};
    return req;
}

static void check_signer(const char *name, vector_case *c)
{
    char hash[SIGV4_SHA256_HEX_LEN + 1], scope[128], sig[SIGV4_SHA256_HEX_LEN + 1];
    char *canonical = NULL, *to_sign = NULL;
    unsigned char key[SIGV4_SIGNING_KEY_LEN];
    CU_ASSERT_EQUAL_FATAL(
        sigv4_payload_hash(NULL, (const unsigned char *)c->request.body, c->request.body_len, hash),
        SIGV4_OK);
    sigv4_request req = as_request(&c->request, hash);
    CU_ASSERT_EQUAL_FATAL(sigv4_canonical_request(&req, NULL, &canonical), SIGV4_OK);
    if (strcmp(canonical, c->canonical_request) != 0)
        printf("\n%s: canonical request\n--- got\n%s\n--- want\n%s\n", name, canonical,
               c->canonical_request);
    CU_ASSERT_STRING_EQUAL(canonical, c->canonical_request);
    CU_ASSERT_EQUAL(sigv4_scope(c->amz_date, c->region, c->service, scope, sizeof(scope)),
                    SIGV4_OK);
    CU_ASSERT_EQUAL(sigv4_string_to_sign(NULL, c->amz_date, scope, canonical, &to_sign), SIGV4_OK);
    CU_ASSERT_STRING_EQUAL(to_sign, c->string_to_sign);
    char date8[9] = {0};
    memcpy(date8, c->amz_date, 8);
    CU_ASSERT_EQUAL(sigv4_signing_key(NULL, c->secret, date8, c->region, c->service, key),
                    SIGV4_OK);
    CU_ASSERT_EQUAL(sigv4_signature(NULL, key, to_sign, sig), SIGV4_OK);
    CU_ASSERT_STRING_EQUAL(sig, c->signature);
    free(canonical);
    free(to_sign);
}

static void check_authorization_header(vector_case *c)
{
    char auth[2048];
    sigv4_credentials creds = {c->access_key_id, c->secret, c->token[0] ? c->token : NULL,
                               c->region, c->service};
    CU_ASSERT_EQUAL_FATAL(sigv4_authorization(NULL, &creds, c->request.method, c->request.path,
                                              c->request.query, c->request.headers,
                                              c->request.n_headers,
                                              (const unsigned char *)c->request.body,
                                              c->request.body_len, c->amz_date, auth, sizeof(auth)),
                          SIGV4_OK);
    const char *want = vector_header(&c->signed_request, "Authorization");
    CU_ASSERT_PTR_NOT_NULL_FATAL(want);
    CU_ASSERT_STRING_EQUAL(auth, want);
}

/* What a server does: parse the header as sent, rebuild, compare. */
static void check_verifier(vector_case *c)
{
    sigv4_parsed_authorization parsed;
    char hash[SIGV4_SHA256_HEX_LEN + 1];
    const vector_http_request *r = &c->signed_request;
    const char *amz_date = vector_header(r, "X-Amz-Date");
    CU_ASSERT_PTR_NOT_NULL_FATAL(amz_date);
    CU_ASSERT_EQUAL_FATAL(sigv4_parse_authorization(vector_header(r, "Authorization"), &parsed),
                          SIGV4_OK);
    CU_ASSERT_STRING_EQUAL(parsed.access_key_id, c->access_key_id);
    CU_ASSERT_STRING_EQUAL(parsed.region, c->region);
    CU_ASSERT_STRING_EQUAL(parsed.service, c->service);
    sigv4_payload_hash(NULL, (const unsigned char *)r->body, r->body_len, hash);
    sigv4_request req = as_request(r, hash);
    CU_ASSERT_EQUAL(sigv4_verify(NULL, &req, &parsed, c->secret, amz_date), SIGV4_OK);
    CU_ASSERT_EQUAL(sigv4_verify(NULL, &req, &parsed, "not-the-secret", amz_date),
                    SIGV4_ERR_SIGNATURE_MISMATCH);
    parsed.signature[0] = parsed.signature[0] == '0' ? '1' : '0';
    CU_ASSERT_EQUAL(sigv4_verify(NULL, &req, &parsed, c->secret, amz_date),
                    SIGV4_ERR_SIGNATURE_MISMATCH);
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void run_case(const char *dir, const char *name)
{
    char path[1024];
    vector_case c;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    CU_ASSERT_EQUAL_FATAL(vector_case_load(path, &c), 0);
    const char *reason = skip_reason(&c);
    if (reason) {
        printf("\n  SKIP %s: %s", name, reason);
        n_skipped++;
    } else {
        check_signer(name, &c);
        check_authorization_header(&c);
        check_verifier(&c);
        n_checked++;
    }
    vector_case_free(&c);
}

static void test_all_vectors(void)
{
    const char *dir = dekcache_shared_path("vectors/sigv4/v4");
    char *names[128];
    size_t n = 0;
    DIR *d = opendir(dir);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 128)
        if (e->d_name[0] != '.')
            names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof(*names), compare_names);
    for (size_t i = 0; i < n; i++) {
        run_case(dir, names[i]);
        free(names[i]);
    }
    printf("\n  sigv4 vectors: %d checked, %d skipped, %zu total\n", n_checked, n_skipped, n);
    CU_ASSERT_EQUAL(n_checked + n_skipped, (int)n);
    /* The suite has 38 cases; only the path-normalisation ones may be skipped. */
    CU_ASSERT(n >= 38);
    CU_ASSERT(n_checked >= 30);
}

int main(void)
{
    static const dekcache_test_case tests[] = {{"aws_sigv4_suite", test_all_vectors}, {NULL, NULL}};
    dekcache_add_suite("sigv4_vectors", NULL, NULL, tests);
    return dekcache_run_tests();
}
