#include "kms/json/json_member.h"

static int has_type(json_object *v, json_type type)
{
    if (type == json_type_double)
        return json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int);
    return json_object_is_type(v, type);
}

json_member_status json_member_get(json_object *obj, const char *name, json_type type,
                                   json_member_null null_is, json_object **out)
{
    json_object *v = NULL;
    *out = NULL;
    if (!json_object_object_get_ex(obj, name, &v))
        return JSON_MEMBER_ABSENT;
    /* json-c holds a JSON null as a NULL member. */
    if (v == NULL && null_is == JSON_MEMBER_NULL_IS_ABSENT)
        return JSON_MEMBER_ABSENT;
    if (v == NULL || !has_type(v, type))
        return JSON_MEMBER_WRONG_TYPE;
    *out = v;
    return JSON_MEMBER_FOUND;
}

json_member_status json_member_string(json_object *obj, const char *name, json_member_null null_is,
                                      const char **out, size_t *len)
{
    json_object *v;
    json_member_status status = json_member_get(obj, name, json_type_string, null_is, &v);
    *out = status == JSON_MEMBER_FOUND ? json_object_get_string(v) : NULL;
    if (len != NULL)
        *len = status == JSON_MEMBER_FOUND ? (size_t)json_object_get_string_len(v) : 0;
    return status;
}

int json_member_int_in(json_object *obj, const char *name, json_member_null null_is, int64_t min,
                       int64_t max, int64_t *out)
{
    json_object *v;
    json_member_status has = json_member_get(obj, name, json_type_int, null_is, &v);
    if (has == JSON_MEMBER_ABSENT)
        return 0;
    int64_t n = json_object_get_int64(v);
    if (has == JSON_MEMBER_WRONG_TYPE || n < min || n > max)
        return -1;
    *out = n;
    return 0;
}

const char *json_member_type_name(json_type type)
{
    switch (type) {
    case json_type_boolean:
        return "true or false";
    case json_type_double:
        return "a number";
    case json_type_int:
        return "an integer";
    case json_type_object:
        return "an object";
    case json_type_array:
        return "an array";
    case json_type_string:
        return "a string";
    default:
        return "null";
    }
}
