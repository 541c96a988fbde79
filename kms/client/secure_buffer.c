#include "kms/client/secure_buffer.h"

#include <openssl/crypto.h>
#include <string.h>

void secure_buffer_init(secure_buffer *buf, size_t limit)
{
    memset(buf, 0, sizeof(*buf));
    buf->limit = limit;
}

static int grow(secure_buffer *buf, size_t need)
{
    size_t cap = buf->cap == 0 ? 256 : buf->cap;
    while (cap < need) {
        if (cap > ((size_t)-1) / 2) {
            return 0;
        }
        cap *= 2;
    }
    char *fresh = OPENSSL_malloc(cap);
    if (fresh == NULL) {
        return 0;
    }
    if (buf->len > 0) {
        memcpy(fresh, buf->data, buf->len);
    }
    OPENSSL_clear_free(buf->data, buf->cap);
    buf->data = fresh;
    buf->cap = cap;
    return 1;
}

int secure_buffer_append(secure_buffer *buf, const void *bytes, size_t len)
{
    if (buf->failed) {
        return 0;
    }
    size_t need = buf->len + len + 1;
    if (need < buf->len || (buf->limit != 0 && buf->len + len > buf->limit) ||
        (need > buf->cap && !grow(buf, need))) {
        buf->failed = 1;
        return 0;
    }
    if (len > 0) {
        memcpy(buf->data + buf->len, bytes, len);
    }
    buf->len += len;
    buf->data[buf->len] = '\0';
    return 1;
}

int secure_buffer_append_str(secure_buffer *buf, const char *text)
{
    return secure_buffer_append(buf, text, strlen(text));
}

int secure_buffer_terminate(secure_buffer *buf)
{
    return secure_buffer_append(buf, "", 0);
}

void secure_buffer_free(secure_buffer *buf)
{
    OPENSSL_clear_free(buf->data, buf->cap);
    memset(buf, 0, sizeof(*buf));
}
