/* A growable NUL-terminated string used while building canonical requests.
 * Internal to kms/sigv4. An allocation failure sticks: later appends do
 * nothing and sigv4_strbuf_take reports it. */
#ifndef DEKCACHE_KMS_SIGV4_STRBUF_H
#define DEKCACHE_KMS_SIGV4_STRBUF_H

#include <stddef.h>

typedef struct {
    char *data;
    size_t len;
    size_t cap;
    int failed;
} sigv4_strbuf;

void sigv4_strbuf_append(sigv4_strbuf *b, const char *s, size_t n);
void sigv4_strbuf_append_str(sigv4_strbuf *b, const char *s);
void sigv4_strbuf_append_char(sigv4_strbuf *b, char c);
/* Moves the string to *out (never NULL on success); returns a sigv4_status. */
int sigv4_strbuf_take(sigv4_strbuf *b, char **out);
void sigv4_strbuf_free(sigv4_strbuf *b);

#endif
