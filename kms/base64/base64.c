#include "kms/base64/base64.h"

#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

size_t kms_base64_encoded_len(size_t len)
{
    return (len + 2) / 3 * 4;
}

void kms_base64_encode(const unsigned char *in, size_t len, char *out)
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

size_t kms_base64_decoded_max(size_t text_len)
{
    return text_len / 4 * 3 + 3;
}

static int is_alphabet(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

/* Number of '=' at the end (0..2), or -1 when the text is not canonical:
 * a length not a multiple of 4, a character outside the alphabet, or '='
 * anywhere but the last two places. */
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

int kms_base64_is_strict(const char *text, size_t text_len)
{
    return padding_of(text, text_len) >= 0;
}

int kms_base64_decode(const char *text, size_t text_len, unsigned char *out, size_t *out_len)
{
    *out_len = 0;
    int pad = padding_of(text, text_len);
    if (pad < 0 || text_len > (size_t)INT_MAX) {
        return 0;
    }
    if (text_len == 0) {
        return 1;
    }
    size_t full = text_len / 4 * 3;
    int n = EVP_DecodeBlock(out, (const unsigned char *)text, (int)text_len);
    if (n < 0 || (size_t)n != full) {
        OPENSSL_cleanse(out, full);
        return 0;
    }
    /* The bytes the padding stands for hold the last character's unused
     * bits: not part of the result, so not left behind either. */
    OPENSSL_cleanse(out + full - (size_t)pad, (size_t)pad);
    *out_len = full - (size_t)pad;
    return 1;
}

void kms_base64_free(unsigned char *buf, size_t len, int secure)
{
    if (secure) {
        OPENSSL_secure_clear_free(buf, len);
    } else {
        OPENSSL_clear_free(buf, len);
    }
}

int kms_base64_decode_new(const char *text, size_t text_len, int secure, size_t min_len,
                          size_t max_len, unsigned char **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    if (text_len > kms_base64_encoded_len(max_len)) { /* kms_base64_decode checks INT_MAX */
        return 0;
    }
    size_t cap = kms_base64_decoded_max(text_len);
    unsigned char *buf = secure ? OPENSSL_secure_zalloc(cap) : OPENSSL_zalloc(cap);
    if (buf == NULL) {
        return -1;
    }
    size_t len = 0;
    if (!kms_base64_decode(text, text_len, buf, &len) || len < min_len || len > max_len) {
        kms_base64_free(buf, cap, secure);
        return 0;
    }
    *out = buf;
    *out_len = len;
    return 1;
}
