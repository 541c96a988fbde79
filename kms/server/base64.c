#include "kms/server/base64.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DECODED (1u << 20)

size_t kms_base64_encoded_len(size_t len)
{
    return (len + 2) / 3 * 4;
}

char *kms_base64_encode(const unsigned char *in, size_t len)
{
    char *out = malloc(kms_base64_encoded_len(len) + 1);
    if (out != NULL)
        EVP_EncodeBlock((unsigned char *)out, in, (int)len);
    return out;
}

static int is_b64_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

/* Number of '=' at the end, or -1 when padding is misplaced. */
static int padding_of(const char *in, size_t n)
{
    int pad = 0;
    for (size_t i = 0; i < n; i++) {
        if (in[i] == '=') {
            if (i + 2 < n)
                return -1;
            pad++;
        } else if (pad > 0 || !is_b64_char(in[i])) {
            return -1;
        }
    }
    return pad;
}

int kms_base64_decode(const char *in, int secure, unsigned char **out, size_t *out_len)
{
    size_t n = strlen(in);
    int pad = padding_of(in, n);
    if (n % 4 != 0 || pad < 0 || n / 4 * 3 > MAX_DECODED)
        return -1;
    size_t cap = n / 4 * 3 + 1;
    unsigned char *buf = secure ? OPENSSL_secure_malloc(cap) : OPENSSL_malloc(cap);
    if (buf == NULL)
        return -1;
    int got = n ? EVP_DecodeBlock(buf, (const unsigned char *)in, (int)n) : 0;
    if (got < 0 || (size_t)got != n / 4 * 3) {
        secure ? OPENSSL_secure_clear_free(buf, cap) : OPENSSL_clear_free(buf, cap);
        return -1;
    }
    *out = buf;
    *out_len = (size_t)got - (size_t)pad;
    return 0;
}
