#include "kms/sigv4/sigv4_strbuf.h"

#include "kms/sigv4/sigv4.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

static int reserve(sigv4_strbuf *b, size_t extra)
{
    if (b->failed)
        return 0;
    if (b->len + extra + 1 <= b->cap)
        return 1;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    /* Not realloc: a canonical request holds the session token, and realloc
     * would leave copies of it in freed memory. */
    char *grown = malloc(cap);
    if (grown == NULL) {
        b->failed = 1;
        return 0;
    }
    if (b->data != NULL) {
        memcpy(grown, b->data, b->len + 1);
        OPENSSL_cleanse(b->data, b->cap);
        free(b->data);
    }
    b->data = grown;
    b->cap = cap;
    return 1;
}

void sigv4_strbuf_append(sigv4_strbuf *b, const char *s, size_t n)
{
    if (!reserve(b, n))
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void sigv4_strbuf_append_str(sigv4_strbuf *b, const char *s)
{
    sigv4_strbuf_append(b, s, strlen(s));
}

void sigv4_strbuf_append_char(sigv4_strbuf *b, char c)
{
    sigv4_strbuf_append(b, &c, 1);
}

int sigv4_strbuf_take(sigv4_strbuf *b, char **out)
{
    if (!reserve(b, 0)) {
        sigv4_strbuf_free(b);
        return SIGV4_ERR_NO_MEMORY;
    }
    *out = b->data;
    b->data = NULL;
    b->len = b->cap = 0;
    return SIGV4_OK;
}

void sigv4_strbuf_free(sigv4_strbuf *b)
{
    if (b->data != NULL)
        OPENSSL_cleanse(b->data, b->cap);
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
