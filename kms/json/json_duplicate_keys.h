#ifndef DEKCACHE_KMS_JSON_JSON_DUPLICATE_KEYS_H
#define DEKCACHE_KMS_JSON_JSON_DUPLICATE_KEYS_H

/* json-c keeps the last of two members with one name and frees the first
 * value's string uncleansed, before the parse returns: a body with a second
 * "Plaintext" would leave the first one's secret in freed memory. So texts
 * are scanned for repeated names before json-c sees them. */

#include <stddef.h>

typedef enum {
    JSON_KEYS_DISTINCT,  /* no object repeats a member name (or the text is not
                          * JSON the scan can follow: the parser reports that) */
    JSON_KEYS_REPEATED,  /* some object names a member twice (after unescaping) */
    JSON_KEYS_NO_MEMORY, /* the scan could not allocate */
} json_keys_verdict;

/* Scans text[0..len) up to max_depth nested containers deep. */
json_keys_verdict json_duplicate_keys_scan(const char *text, size_t len, int max_depth);

#endif
