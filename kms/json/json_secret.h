#ifndef DEKCACHE_KMS_JSON_JSON_SECRET_H
#define DEKCACHE_KMS_JSON_JSON_SECRET_H

/* json-c copies every string it parses or is given and frees the copies
 * without clearing them. KMS requests and responses and the local server's
 * configuration carry secrets (plaintexts, data keys, secret access keys,
 * key material), so both the client and the server parse and release them
 * through these, which cleanse json-c's copies. */

#include <json-c/json.h>
#include <stddef.h>

/* The one JSON value text[0..len) holds, in json-c's strict mode, at most
 * max_depth deep, with nothing but whitespace after it, and no NUL character
 * (raw or \u0000) anywhere. Otherwise NULL, with *why (if why != NULL) a
 * fixed string saying what was wrong: json_secret_nul_reason for a NUL. */
json_object *json_secret_parse(const char *text, size_t len, int max_depth, const char **why);
extern const char json_secret_nul_reason[];

/* Cleanses every string in the tree, then drops the reference. NULL is a
 * no-op. The tree must not share string objects with another holder. */
void json_secret_release(json_object *o);

#endif
