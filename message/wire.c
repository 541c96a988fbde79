#include "message/wire.h"

#include <openssl/crypto.h>

/* Length of the sequence starting with lead byte c, or 0 if c cannot lead. */
static size_t sequence_len(uint8_t c)
{
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return 2;
    if (c >= 0xE0 && c <= 0xEF)
        return 3;
    if (c >= 0xF0 && c <= 0xF4)
        return 4;
    return 0;
}

/* Second-byte ranges that exclude overlong forms, surrogates and > U+10FFFF. */
static int second_byte_ok(uint8_t lead, uint8_t b)
{
    switch (lead) {
    case 0xE0:
        return b >= 0xA0 && b <= 0xBF;
    case 0xED:
        return b >= 0x80 && b <= 0x9F;
    case 0xF0:
        return b >= 0x90 && b <= 0xBF;
    case 0xF4:
        return b >= 0x80 && b <= 0x8F;
    default:
        return b >= 0x80 && b <= 0xBF;
    }
}

int esdk_utf8_valid(const uint8_t *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        size_t n = sequence_len(s[i]);
        if (n == 0 || len - i < n)
            return 0;
        if (n > 1 && !second_byte_ok(s[i], s[i + 1]))
            return 0;
        for (size_t k = 2; k < n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
        }
        i += n;
    }
    return 1;
}

uint8_t *esdk_dup_bytes(const void *src, size_t len)
{
    uint8_t *p = OPENSSL_malloc(len + 1);
    if (p == NULL)
        return NULL;
    if (len > 0)
        memcpy(p, src, len);
    p[len] = 0;
    return p;
}
