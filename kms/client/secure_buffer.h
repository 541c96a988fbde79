#ifndef DEKCACHE_KMS_CLIENT_SECURE_BUFFER_H
#define DEKCACHE_KMS_CLIENT_SECURE_BUFFER_H

#include <stddef.h>

/* A growable byte buffer that may hold key material: it grows by copying into
 * a fresh block and cleansing the old one, and is cleansed when freed. Once an
 * append fails the buffer stays failed (and empty-handed) until freed. */
typedef struct {
    char *data;
    size_t len;
    size_t cap;
    size_t limit; /* 0: no limit */
    int failed;
} secure_buffer;

void secure_buffer_init(secure_buffer *buf, size_t limit);
int secure_buffer_append(secure_buffer *buf, const void *bytes, size_t len);
int secure_buffer_append_str(secure_buffer *buf, const char *text);
/* Keeps data NUL-terminated after len bytes; returns 0 on failure. */
int secure_buffer_terminate(secure_buffer *buf);
void secure_buffer_free(secure_buffer *buf);

#endif
