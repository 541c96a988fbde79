#include "kms/server/json_secret.h"

#include <openssl/crypto.h>
#include <string.h>

static int only_whitespace(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
            return 0;
    return 1;
}

/* The tokener keeps the strings it read in its print buffer, and json-c has
 * no call that clears it: this reaches into the struct that json-c 0.16's
 * header still declares. */
static void free_tokener_cleansed(json_tokener *tok)
{
    if (tok->pb != NULL && tok->pb->buf != NULL && tok->pb->size > 0)
        OPENSSL_cleanse(tok->pb->buf, (size_t)tok->pb->size);
    json_tokener_free(tok);
}

json_object *json_secret_parse(const char *text, size_t len, int max_depth)
{
    json_tokener *tok = json_tokener_new_ex(max_depth);
    if (tok == NULL)
        return NULL;
    json_object *o = NULL;
    if (len > 0 && len <= INT32_MAX && memchr(text, '\0', len) == NULL)
        o = json_tokener_parse_ex(tok, text, (int)len);
    size_t end = json_tokener_get_parse_end(tok);
    int complete = json_tokener_get_error(tok) == json_tokener_success && end <= len &&
                   only_whitespace(text + end, len - end);
    free_tokener_cleansed(tok);
    if (!complete) {
        json_secret_release(o);
        return NULL;
    }
    return o;
}

static void cleanse_tree(json_object *o)
{
    switch (json_object_get_type(o)) {
    case json_type_string:
        OPENSSL_cleanse((void *)json_object_get_string(o), (size_t)json_object_get_string_len(o));
        break;
    case json_type_object: {
        json_object_object_foreach(o, key, value)
        {
            (void)key;
            cleanse_tree(value);
        }
        break;
    }
    case json_type_array:
        for (size_t i = 0; i < json_object_array_length(o); i++)
            cleanse_tree(json_object_array_get_idx(o, i));
        break;
    default:
        break;
    }
}

void json_secret_release(json_object *o)
{
    if (o == NULL)
        return;
    cleanse_tree(o);
    json_object_put(o);
}
