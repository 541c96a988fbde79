#ifndef DEKCACHE_KMS_JSON_JSON_MEMBER_H
#define DEKCACHE_KMS_JSON_JSON_MEMBER_H

/* Looking up an object's member and checking its JSON type in one step, so
 * that every parser in kms/ (requests, responses, the server's configuration
 * and control API) tells absent, null and wrongly typed members apart the
 * same way. */

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    JSON_MEMBER_WRONG_TYPE = -1,
    JSON_MEMBER_ABSENT = 0,
    JSON_MEMBER_FOUND = 1,
} json_member_status;

/* What a member set to JSON null counts as. AWS's JSON protocol treats it as
 * a member left out; the server's own formats (configuration, control API)
 * and members a response must carry call it a wrong type. */
typedef enum {
    JSON_MEMBER_NULL_IS_WRONG_TYPE,
    JSON_MEMBER_NULL_IS_ABSENT,
} json_member_null;

/* obj's member name, if it has the given type; json_type_double takes any
 * number, as JSON does not tell 1 from 1.0. *out is the member when FOUND and
 * NULL otherwise. A non-object obj has no members. */
json_member_status json_member_get(json_object *obj, const char *name, json_type type,
                                   json_member_null null_is, json_object **out);

/* A string member: when FOUND, *out is its text and *len (if len is not NULL)
 * its length; otherwise *out is NULL. */
json_member_status json_member_string(json_object *obj, const char *name, json_member_null null_is,
                                      const char **out, size_t *len);

/* An optional integer member in min..max: 0 with *out set when found (left
 * alone when absent), -1 when of another type or out of range. */
int json_member_int_in(json_object *obj, const char *name, json_member_null null_is, int64_t min,
                       int64_t max, int64_t *out);

/* "a string", "an integer", ...: the type a member needs, for messages. */
const char *json_member_type_name(json_type type);

#endif
