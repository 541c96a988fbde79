#include "kms/client/base64.h"

#include <limits.h>
#include <openssl/evp.h>
#include <string.h>

size_t base64_encoded_size(size_t len)
{
    return (len + 2) / 3 * 4 + 1;
}

void base64_encode(const unsigned char *in, size_t len, char *out)
{
    /* EVP_EncodeBlock takes an int length: encode in chunks of whole triples. */
    const size_t chunk = 3 * 1024 * 1024;
    out[0] = '\0';
    while (len > 0) {
        size_t n = len < chunk ? len : chunk;
        int written = EVP_EncodeBlock((unsigned char *)out, in, (int)n);
        out += written;
        in += n;
        len -= n;
    }
}

size_t base64_decoded_max(size_t text_len)
{
    return text_len / 4 * 3 + 3;
}

static int is_alphabet(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

/* Number of '=' at the end (0..2), or -1 if the text is not canonical base64. */
static int padding_of(const char *text, size_t len)
{
    if (len % 4 != 0) {
        return -1;
    }
    int pad = 0;
    while (pad < 2 && len > (size_t)pad && text[len - 1 - (size_t)pad] == '=') {
        pad++;
    }
    for (size_t i = 0; i < len - (size_t)pad; i++) {
        if (!is_alphabet(text[i])) {
            return -1;
        }
    }
    return pad;
}

int base64_decode(const char *text, size_t text_len, unsigned char *out, size_t *out_len)
{
    *out_len = 0;
    int pad = padding_of(text, text_len);
    if (pad < 0 || text_len > (size_t)INT_MAX) {
        return 0;
    }
    if (text_len == 0) {
        return 1;
    }
    int n = EVP_DecodeBlock(out, (const unsigned char *)text, (int)text_len);
    if (n < pad) {
        return 0;
    }
    *out_len = (size_t)(n - pad);
    return 1;
}
