/* Parses the Authorization header of a SigV4-signed request (untrusted input). */
#include "kms/sigv4/sigv4.h"

#include <ctype.h>
#include <string.h>

static const char *skip_spaces(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

static int copy_field(char *dst, size_t cap, const char *src, size_t n)
{
    if (n == 0 || n >= cap || memchr(src, '\0', n) != NULL)
        return 0;
    memcpy(dst, src, n);
    dst[n] = '\0';
    return 1;
}

/* Splits "AK/DATE/REGION/SERVICE/aws4_request" into its parts. */
static int parse_credential(const char *v, size_t n, sigv4_parsed_authorization *out)
{
    const char *parts[5];
    size_t lens[5];
    size_t k = 0;
    const char *p = v, *end = v + n;
    while (k < 5) {
        const char *slash = memchr(p, '/', (size_t)(end - p));
        parts[k] = p;
        lens[k] = (size_t)((slash ? slash : end) - p);
        k++;
        if (slash == NULL)
            break;
        p = slash + 1;
    }
    if (k != 5 || parts[4] + lens[4] != end || lens[4] != strlen("aws4_request") ||
        memcmp(parts[4], "aws4_request", lens[4]) != 0 || lens[1] != 8)
        return 0;
    for (size_t i = 0; i < 8; i++)
        if (!isdigit((unsigned char)parts[1][i]))
            return 0;
    return copy_field(out->access_key_id, sizeof(out->access_key_id), parts[0], lens[0]) &&
           copy_field(out->date, sizeof(out->date), parts[1], lens[1]) &&
           copy_field(out->region, sizeof(out->region), parts[2], lens[2]) &&
           copy_field(out->service, sizeof(out->service), parts[3], lens[3]);
}

static int parse_signed_headers(const char *v, size_t n, sigv4_parsed_authorization *out)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (!isprint(c) || isspace(c) || isupper(c) || c == ',' || c == ':')
            return 0;
        if (c == ';' && (i == 0 || i + 1 == n || v[i + 1] == ';'))
            return 0;
    }
    return copy_field(out->signed_headers, sizeof(out->signed_headers), v, n);
}

static int parse_signature(const char *v, size_t n, sigv4_parsed_authorization *out)
{
    if (n != SIGV4_SHA256_HEX_LEN)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)v[i]) && !(v[i] >= 'a' && v[i] <= 'f'))
            return 0;
    return copy_field(out->signature, sizeof(out->signature), v, n);
}

enum { SEEN_CREDENTIAL = 1, SEEN_SIGNED_HEADERS = 2, SEEN_SIGNATURE = 4 };

static int parse_part(const char *p, size_t n, sigv4_parsed_authorization *out, int *seen)
{
    static const struct {
        const char *prefix;
        int flag;
        int (*parse)(const char *, size_t, sigv4_parsed_authorization *);
    } parts[] = {{"Credential=", SEEN_CREDENTIAL, parse_credential},
                 {"SignedHeaders=", SEEN_SIGNED_HEADERS, parse_signed_headers},
                 {"Signature=", SEEN_SIGNATURE, parse_signature}};
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        size_t plen = strlen(parts[i].prefix);
        if (n < plen || memcmp(p, parts[i].prefix, plen) != 0)
            continue;
        if (*seen & parts[i].flag)
            return 0;
        *seen |= parts[i].flag;
        return parts[i].parse(p + plen, n - plen, out);
    }
    return 0;
}

int sigv4_parse_authorization(const char *value, sigv4_parsed_authorization *out)
{
    int seen = 0;
    if (value == NULL || out == NULL)
        return SIGV4_ERR_ARGUMENT;
    memset(out, 0, sizeof(*out));
    const char *p = skip_spaces(value);
    size_t alg_len = strlen(SIGV4_ALGORITHM);
    if (strncmp(p, SIGV4_ALGORITHM, alg_len) != 0 || p[alg_len] != ' ')
        return SIGV4_ERR_MALFORMED_AUTH;
    p += alg_len;
    while (*(p = skip_spaces(p)) != '\0') {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        if (!parse_part(p, n, out, &seen))
            return SIGV4_ERR_MALFORMED_AUTH;
        p += comma ? (size_t)(comma - p) + 1 : strlen(p);
    }
    if (seen != (SEEN_CREDENTIAL | SEEN_SIGNED_HEADERS | SEEN_SIGNATURE))
        return SIGV4_ERR_MALFORMED_AUTH;
    return SIGV4_OK;
}
