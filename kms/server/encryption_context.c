#include "kms/server/encryption_context.h"

#include <stdlib.h>
#include <string.h>

#define MAX_PAIRS    64
#define MAX_ITEM_LEN 4096

typedef struct {
    const char *key;
    const char *value;
} context_pair;

static int compare_pairs(const void *a, const void *b)
{
    return strcmp(((const context_pair *)a)->key, ((const context_pair *)b)->key);
}

static unsigned char *put_item(unsigned char *p, const char *s)
{
    size_t n = strlen(s);
    *p++ = (unsigned char)(n >> 8);
    *p++ = (unsigned char)n;
    memcpy(p, s, n);
    return p + n;
}

static int collect_pairs(json_object *context, const char *field, context_pair *pairs,
                         size_t *n_out, size_t *bytes, kms_error *err)
{
    size_t n = 0;
    json_object_object_foreach(context, key, value)
    {
        if (!json_object_is_type(value, json_type_string) || n == MAX_PAIRS ||
            strlen(key) > MAX_ITEM_LEN || strlen(json_object_get_string(value)) > MAX_ITEM_LEN) {
            kms_error_set(err, "ValidationException", "%s must map up to %d strings to strings",
                          field, MAX_PAIRS);
            return -1;
        }
        pairs[n].key = key;
        pairs[n].value = json_object_get_string(value);
        *bytes += 4 + strlen(key) + strlen(pairs[n].value);
        n++;
    }
    *n_out = n;
    return 0;
}

int encryption_context_serialize(json_object *context, const char *field, unsigned char **out,
                                 size_t *out_len, kms_error *err)
{
    context_pair pairs[MAX_PAIRS];
    size_t n = 0, bytes = 2;
    if (context != NULL && collect_pairs(context, field, pairs, &n, &bytes, err) != 0)
        return -1;
    qsort(pairs, n, sizeof(*pairs), compare_pairs);
    unsigned char *buf = malloc(bytes), *p = buf;
    if (buf == NULL) {
        kms_error_set(err, "KMSInternalException", "out of memory");
        return -1;
    }
    *p++ = (unsigned char)(n >> 8);
    *p++ = (unsigned char)n;
    for (size_t i = 0; i < n; i++)
        p = put_item(put_item(p, pairs[i].key), pairs[i].value);
    *out = buf;
    *out_len = bytes;
    return 0;
}
