#ifndef DEKCACHE_KMS_SERVER_JSON_SECRET_H
#define DEKCACHE_KMS_SERVER_JSON_SECRET_H

/* json-c copies every string it parses or is given and frees the copies
 * without clearing them. Requests, responses and the configuration carry
 * secrets (plaintexts, data keys, secret access keys, key material), so they
 * are parsed and released through these, which cleanse json-c's copies. */

#include <json-c/json.h>
#include <stddef.h>

/* The one JSON value text[0..len) holds (trailing whitespace allowed), at
 * most max_depth deep; NULL for anything else, including an embedded NUL. */
json_object *json_secret_parse(const char *text, size_t len, int max_depth);

/* Cleanses every string in the tree, then drops the reference. NULL is a
 * no-op. The tree must not share string objects with another holder. */
void json_secret_release(json_object *o);

#endif
