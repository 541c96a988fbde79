#ifndef DEKCACHE_KMS_JSON_JSON_SECRET_H
#define DEKCACHE_KMS_JSON_JSON_SECRET_H

/* json-c copies every string it parses or is given and frees the copies
 * without clearing them. KMS requests and responses and the local server's
 * configuration carry secrets (plaintexts, data keys, secret access keys,
 * key material), so both the client and the server parse and release them
 * through these, which cleanse json-c's copies. */

#include <json-c/json.h>
#include <stddef.h>

/* Why json_secret_parse refused a text: callers answer a NUL differently
 * (the server calls it a validation error, not a serialisation one). */
typedef enum {
    JSON_SECRET_MALFORMED, /* empty, too large, not strict JSON, too deep, a member named
                            * twice in one object, or trailing bytes */
    JSON_SECRET_HAS_NUL,
    JSON_SECRET_NO_MEMORY,
} json_secret_failure;

typedef struct {
    json_secret_failure kind;
    const char *why; /* a fixed string for messages */
} json_secret_error;

/* The one JSON value text[0..len) holds, in json-c's strict mode, at most
 * max_depth deep, with nothing but whitespace after it, no NUL character
 * (raw or \u0000) anywhere, and no object naming a member twice (json-c would
 * drop the first value uncleansed). Otherwise NULL, with *error (if error != NULL)
 * saying what was wrong. */
json_object *json_secret_parse(const char *text, size_t len, int max_depth,
                               json_secret_error *error);

/* The same, for a text that must hold one JSON object: any other value is
 * refused as JSON_SECRET_MALFORMED ("not a JSON object"). */
json_object *json_secret_parse_object(const char *text, size_t len, int max_depth,
                                      json_secret_error *error);

/* Cleanses every string in the tree, then drops the reference. NULL is a
 * no-op. The tree must not share string objects with another holder. */
void json_secret_release(json_object *o);

#endif
