/* Hashing, key derivation and signing: the cryptographic half of SigV4. */
#include "kms/sigv4/sigv4.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void to_hex(const unsigned char *in, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[in[i] >> 4];
        out[2 * i + 1] = hex[in[i] & 15];
    }
    out[2 * n] = '\0';
}

int sigv4_payload_hash(OSSL_LIB_CTX *libctx, const unsigned char *payload, size_t len,
                       char out[SIGV4_SHA256_HEX_LEN + 1])
{
    unsigned char md[32];
    if (out == NULL || (payload == NULL && len > 0))
        return SIGV4_ERR_ARGUMENT;
    if (!EVP_Q_digest(libctx, "SHA256", NULL, payload ? (const void *)payload : "", len, md, NULL))
        return SIGV4_ERR_CRYPTO;
    to_hex(md, sizeof(md), out);
    return SIGV4_OK;
}

static int hmac(OSSL_LIB_CTX *libctx, const unsigned char *key, size_t key_len, const char *msg,
                unsigned char out[32])
{
    size_t out_len = 0;
    if (EVP_Q_mac(libctx, "HMAC", NULL, "SHA256", NULL, key, key_len, (const unsigned char *)msg,
                  strlen(msg), out, 32, &out_len) == NULL ||
        out_len != 32)
        return SIGV4_ERR_CRYPTO;
    return SIGV4_OK;
}

int sigv4_signing_key(OSSL_LIB_CTX *libctx, const char *secret_access_key, const char *date8,
                      const char *region, const char *service,
                      unsigned char out[SIGV4_SIGNING_KEY_LEN])
{
    if (!secret_access_key || !date8 || !region || !service || !out)
        return SIGV4_ERR_ARGUMENT;
    size_t secret_len = strlen(secret_access_key) + 4;
    unsigned char *k_secret = OPENSSL_malloc(secret_len);
    unsigned char k[32];
    if (k_secret == NULL)
        return SIGV4_ERR_NO_MEMORY;
    memcpy(k_secret, "AWS4", 4);
    memcpy(k_secret + 4, secret_access_key, secret_len - 4);
    int rc = hmac(libctx, k_secret, secret_len, date8, k);
    if (rc == SIGV4_OK)
        rc = hmac(libctx, k, sizeof(k), region, k);
    if (rc == SIGV4_OK)
        rc = hmac(libctx, k, sizeof(k), service, k);
    if (rc == SIGV4_OK)
        rc = hmac(libctx, k, sizeof(k), "aws4_request", out);
    OPENSSL_clear_free(k_secret, secret_len);
    OPENSSL_cleanse(k, sizeof(k));
    return rc;
}

int sigv4_signature(OSSL_LIB_CTX *libctx, const unsigned char key[SIGV4_SIGNING_KEY_LEN],
                    const char *string_to_sign, char out[SIGV4_SHA256_HEX_LEN + 1])
{
    unsigned char mac[32];
    if (key == NULL || string_to_sign == NULL || out == NULL)
        return SIGV4_ERR_ARGUMENT;
    int rc = hmac(libctx, key, SIGV4_SIGNING_KEY_LEN, string_to_sign, mac);
    if (rc == SIGV4_OK)
        to_hex(mac, sizeof(mac), out);
    return rc;
}

static int valid_amz_date(const char *amz_date)
{
    time_t ignored;
    return sigv4_parse_amz_date(amz_date, &ignored) == SIGV4_OK;
}

int sigv4_scope(const char *amz_date, const char *region, const char *service, char *out,
                size_t out_cap)
{
    if (!valid_amz_date(amz_date) || !region || !service || !out)
        return SIGV4_ERR_ARGUMENT;
    int n = snprintf(out, out_cap, "%.8s/%s/%s/aws4_request", amz_date, region, service);
    return n < 0 || (size_t)n >= out_cap ? SIGV4_ERR_BUFFER_TOO_SMALL : SIGV4_OK;
}

int sigv4_string_to_sign(OSSL_LIB_CTX *libctx, const char *amz_date, const char *scope,
                         const char *canonical_request, char **out)
{
    char hash[SIGV4_SHA256_HEX_LEN + 1];
    if (!valid_amz_date(amz_date) || !scope || !canonical_request || !out)
        return SIGV4_ERR_ARGUMENT;
    int rc = sigv4_payload_hash(libctx, (const unsigned char *)canonical_request,
                                strlen(canonical_request), hash);
    if (rc != SIGV4_OK)
        return rc;
    size_t cap = sizeof(SIGV4_ALGORITHM) + SIGV4_AMZ_DATE_LEN + strlen(scope) + sizeof(hash) + 4;
    *out = malloc(cap);
    if (*out == NULL)
        return SIGV4_ERR_NO_MEMORY;
    snprintf(*out, cap, "%s\n%s\n%s\n%s", SIGV4_ALGORITHM, amz_date, scope, hash);
    return SIGV4_OK;
}

/* Signature of req over the given signed header list, with a scope built from
 * amz_date, region and service. */
static int compute_signature(OSSL_LIB_CTX *libctx, const sigv4_request *req,
                             const char *signed_headers, const char *secret, const char *region,
                             const char *service, const char *amz_date,
                             char sig[SIGV4_SHA256_HEX_LEN + 1])
{
    char scope[256];
    char *canonical = NULL, *to_sign = NULL;
    unsigned char key[SIGV4_SIGNING_KEY_LEN];
    int rc = sigv4_scope(amz_date, region, service, scope, sizeof(scope));
    if (rc == SIGV4_OK)
        rc = sigv4_canonical_request(req, signed_headers, &canonical);
    if (rc == SIGV4_OK)
        rc = sigv4_string_to_sign(libctx, amz_date, scope, canonical, &to_sign);
    if (rc == SIGV4_OK) {
        char date8[9];
        memcpy(date8, amz_date, 8);
        date8[8] = '\0';
        rc = sigv4_signing_key(libctx, secret, date8, region, service, key);
    }
    if (rc == SIGV4_OK)
        rc = sigv4_signature(libctx, key, to_sign, sig);
    OPENSSL_cleanse(key, sizeof(key));
    if (canonical != NULL) /* holds the session token when there is one */
        OPENSSL_cleanse(canonical, strlen(canonical));
    free(canonical);
    free(to_sign);
    return rc;
}

int sigv4_authorization(OSSL_LIB_CTX *libctx, const sigv4_credentials *creds, const char *method,
                        const char *path, const char *query, const sigv4_header *headers,
                        size_t n_headers, const unsigned char *payload, size_t payload_len,
                        const char *amz_date, char *out, size_t out_cap)
{
    char hash[SIGV4_SHA256_HEX_LEN + 1], sig[SIGV4_SHA256_HEX_LEN + 1];
    char *signed_headers = NULL;
    if (creds == NULL || !creds->access_key_id || !creds->secret_access_key || out == NULL)
        return SIGV4_ERR_ARGUMENT;
    int rc = sigv4_payload_hash(libctx, payload, payload_len, hash);
    if (rc == SIGV4_OK)
        rc = sigv4_signed_headers_list(headers, n_headers, &signed_headers);
    if (rc == SIGV4_OK) {
        sigv4_request req = {method, path, query, headers, n_headers, hash};
        rc = compute_signature(libctx, &req, signed_headers, creds->secret_access_key,
                               creds->region, creds->service, amz_date, sig);
    }
    if (rc == SIGV4_OK) {
        int n = snprintf(out, out_cap,
                         SIGV4_ALGORITHM " Credential=%s/%.8s/%s/%s/aws4_request, "
                                         "SignedHeaders=%s, Signature=%s",
                         creds->access_key_id, amz_date, creds->region, creds->service,
                         signed_headers, sig);
        if (n < 0 || (size_t)n >= out_cap)
            rc = SIGV4_ERR_BUFFER_TOO_SMALL;
    }
    free(signed_headers);
    return rc;
}

int sigv4_verify(OSSL_LIB_CTX *libctx, const sigv4_request *req,
                 const sigv4_parsed_authorization *auth, const char *secret_access_key,
                 const char *amz_date)
{
    char sig[SIGV4_SHA256_HEX_LEN + 1];
    if (req == NULL || auth == NULL || secret_access_key == NULL || amz_date == NULL)
        return SIGV4_ERR_ARGUMENT;
    if (strlen(amz_date) < 8 || memcmp(amz_date, auth->date, 8) != 0)
        return SIGV4_ERR_SIGNATURE_MISMATCH;
    int rc = compute_signature(libctx, req, auth->signed_headers, secret_access_key, auth->region,
                               auth->service, amz_date, sig);
    if (rc != SIGV4_OK)
        return rc;
    if (CRYPTO_memcmp(sig, auth->signature, SIGV4_SHA256_HEX_LEN) != 0)
        return SIGV4_ERR_SIGNATURE_MISMATCH;
    return SIGV4_OK;
}
