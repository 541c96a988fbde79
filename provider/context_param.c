#include "provider/context_param.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decodes text[0..len) into out (len bytes suffice); -1 on a bad escape. */
static long percent_decode(const char *text, size_t len, unsigned char *out)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] != '%') {
            out[n++] = (unsigned char)text[i];
            continue;
        }
        if (i + 2 >= len)
            return -1;
        int hi = hex_value(text[i + 1]);
        int lo = hex_value(text[i + 2]);
        if (hi < 0 || lo < 0)
            return -1;
        out[n++] = (unsigned char)(hi << 4 | lo);
        i += 2;
    }
    return (long)n;
}

static int add_pair(const char *pair, size_t len, esdk_enc_context *ec, unsigned char *buf,
                    size_t index, char *detail, size_t detail_len)
{
    const char *eq = memchr(pair, '=', len);
    if (eq == NULL || eq == pair) {
        snprintf(detail, detail_len, "encryption-context pair %zu is not key=value", index + 1);
        return 0;
    }
    size_t key_text = (size_t)(eq - pair);
    long key_len = percent_decode(pair, key_text, buf);
    long value_len = key_len < 0 ? -1 : percent_decode(eq + 1, len - key_text - 1, buf + key_len);
    if (key_len <= 0 || value_len < 0) {
        snprintf(detail, detail_len, "encryption-context pair %zu has a bad %%-escape or empty key",
                 index + 1);
        return 0;
    }
    if (esdk_ec_get(ec, buf, (size_t)key_len) != NULL) {
        snprintf(detail, detail_len, "encryption-context pair %zu repeats a key", index + 1);
        return 0;
    }
    if (esdk_ec_set(ec, buf, (size_t)key_len, buf + key_len, (size_t)value_len) != ESDK_OK) {
        snprintf(detail, detail_len,
                 "encryption-context pair %zu is not UTF-8 or longer than 65535 bytes", index + 1);
        return 0;
    }
    return 1;
}

int dekcache_parse_context_param(const char *text, esdk_enc_context *ec, char *detail,
                                 size_t detail_len)
{
    size_t total = strlen(text);
    if (total == 0)
        return 1;
    unsigned char *buf = OPENSSL_malloc(total);
    if (buf == NULL) {
        snprintf(detail, detail_len, "out of memory");
        return 0;
    }
    int ok = 1;
    size_t index = 0;
    for (const char *p = text; ok; index++) {
        const char *comma = strchr(p, ',');
        size_t len = comma == NULL ? strlen(p) : (size_t)(comma - p);
        ok = add_pair(p, len, ec, buf, index, detail, detail_len);
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    OPENSSL_free(buf);
    return ok;
}
