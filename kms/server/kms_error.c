#include "kms/server/kms_error.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void kms_error_set(kms_error *e, const char *type, const char *fmt, ...)
{
    va_list ap;
    snprintf(e->type, sizeof(e->type), "%s", type);
    e->http_status = strcmp(type, "KMSInternalException") == 0 ? 500 : 400;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof(e->message), fmt, ap);
    va_end(ap);
}

char *kms_error_json(const kms_error *e)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "__type", json_object_new_string(e->type));
    json_object_object_add(o, "message", json_object_new_string(e->message));
    char *out = strdup(
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    return out;
}
