#include "kms/sigv4/sigv4.h"
#include "kms/sigv4/sigv4_strbuf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static char *lowercase_copy(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(n + 1);
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i <= n; i++)
        out[i] = (char)tolower((unsigned char)s[i]);
    return out;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

static int valid_name(const char *name)
{
    if (name == NULL || *name == '\0')
        return 0;
    for (; *name; name++)
        if (*name == ';' || *name == ':' || isspace((unsigned char)*name) ||
            !isprint((unsigned char)*name))
            return 0;
    return 1;
}

int sigv4_signed_headers_list(const sigv4_header *headers, size_t n_headers, char **out)
{
    sigv4_strbuf b = {0};
    if (out == NULL || (headers == NULL && n_headers > 0))
        return SIGV4_ERR_ARGUMENT;
    char **names = calloc(n_headers ? n_headers : 1, sizeof(*names));
    if (names == NULL)
        return SIGV4_ERR_NO_MEMORY;
    for (size_t i = 0; i < n_headers; i++) {
        if (!valid_name(headers[i].name)) {
            free_names(names, i);
            return SIGV4_ERR_ARGUMENT;
        }
        names[i] = lowercase_copy(headers[i].name);
        if (names[i] == NULL) {
            free_names(names, i);
            return SIGV4_ERR_NO_MEMORY;
        }
    }
    qsort(names, n_headers, sizeof(*names), compare_names);
    for (size_t i = 0; i < n_headers; i++) {
        if (i > 0 && strcmp(names[i], names[i - 1]) == 0)
            continue;
        if (b.len)
            sigv4_strbuf_append_char(&b, ';');
        sigv4_strbuf_append_str(&b, names[i]);
    }
    sigv4_strbuf_append(&b, "", 0);
    free_names(names, n_headers);
    return sigv4_strbuf_take(&b, out);
}
