#include "kms/json/json_secret.h"

#include "kms/json/json_duplicate_keys.h"

#include <json-c/printbuf.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <string.h>

static int only_whitespace(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
            return 0;
    return 1;
}

/* The tokener copies each string through its print buffer. Sized to the
 * whole text up front, the buffer never grows mid-parse (growing would leave
 * a partial copy in freed memory); it is cleansed before it is freed. json-c
 * has no call for either, so this reaches into the structs that json-c
 * 0.16's headers still declare. */
static json_tokener *tokener_for(size_t len, int max_depth)
{
    json_tokener *tok = json_tokener_new_ex(max_depth);
    if (tok == NULL)
        return NULL;
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    if (printbuf_memset(tok->pb, 0, 0, (int)len + 1) < 0) {
        json_tokener_free(tok);
        return NULL;
    }
    printbuf_reset(tok->pb);
    return tok;
}

static void cleanse_tree(json_object *o);

/* After an error the tokener still holds what it had built so far, one
 * object per nesting level, and its free would release them uncleansed. */
static void free_tokener_cleansed(json_tokener *tok, int failed)
{
    if (tok->pb != NULL && tok->pb->buf != NULL && tok->pb->size > 0)
        OPENSSL_cleanse(tok->pb->buf, (size_t)tok->pb->size);
    for (int i = 0; failed && tok->stack != NULL && i <= tok->depth && i < tok->max_depth; i++) {
        cleanse_tree(tok->stack[i].current);
        cleanse_tree(tok->stack[i].obj);
        if (tok->stack[i].obj_field_name != NULL)
            OPENSSL_cleanse(tok->stack[i].obj_field_name, strlen(tok->stack[i].obj_field_name));
    }
    json_tokener_free(tok);
}

static json_object *fail(json_secret_error *error, json_secret_failure kind, const char *why)
{
    if (error != NULL)
        *error = (json_secret_error){kind, why};
    return NULL;
}

/* Whether text holds a NUL, raw or escaped as \u0000. json-c would keep such
 * a string whole, but every C view of it (a key ID, a context pair, an
 * object key) stops at the NUL and so reads another value. */
static int has_nul(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '\0')
            return 1;
        if (text[i] != '\\')
            continue;
        if (len - i >= 6 && memcmp(text + i + 1, "u0000", 5) == 0)
            return 1;
        i++; /* skip the escaped character: an escaped backslash then "u0000" is no NUL */
    }
    return 0;
}

json_object *json_secret_parse(const char *text, size_t len, int max_depth,
                               json_secret_error *error)
{
    if (len == 0 || len > INT_MAX / 2)
        return fail(error, JSON_SECRET_MALFORMED, len == 0 ? "empty" : "too large");
    if (has_nul(text, len))
        return fail(error, JSON_SECRET_HAS_NUL, "a NUL character");
    json_keys_verdict keys = json_duplicate_keys_scan(text, len, max_depth);
    if (keys == JSON_KEYS_NO_MEMORY)
        return fail(error, JSON_SECRET_NO_MEMORY, "out of memory");
    if (keys == JSON_KEYS_REPEATED)
        return fail(error, JSON_SECRET_MALFORMED, "an object names a member twice");
    json_tokener *tok = tokener_for(len, max_depth);
    if (tok == NULL)
        return fail(error, JSON_SECRET_NO_MEMORY, "out of memory");
    json_object *o = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error err = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    free_tokener_cleansed(tok, o == NULL || err != json_tokener_success);
    if (o == NULL || err != json_tokener_success) {
        json_secret_release(o);
        return fail(error, JSON_SECRET_MALFORMED, json_tokener_error_desc(err));
    }
    if (end > len || !only_whitespace(text + end, len - end)) {
        json_secret_release(o);
        return fail(error, JSON_SECRET_MALFORMED, "trailing bytes");
    }
    return o;
}

json_object *json_secret_parse_object(const char *text, size_t len, int max_depth,
                                      json_secret_error *error)
{
    json_object *o = json_secret_parse(text, len, max_depth, error);
    if (o != NULL && !json_object_is_type(o, json_type_object)) {
        json_secret_release(o);
        return fail(error, JSON_SECRET_MALFORMED, "not a JSON object");
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
