/* The encryption context as authenticated data: a canonical byte string so
 * that the same map in any JSON key order binds identically. */
#ifndef DEKCACHE_KMS_SERVER_ENCRYPTION_CONTEXT_H
#define DEKCACHE_KMS_SERVER_ENCRYPTION_CONTEXT_H

#include "kms/server/kms_error.h"

#include <json-c/json.h>
#include <stddef.h>

/* context: a JSON object of string -> string, or NULL (empty context).
 * Output: u16 count, then per pair sorted by key: u16 len, key, u16 len, value
 * (big-endian). malloc'd. Non-string values or oversized maps are
 * ValidationException. Returns 0 or -1. */
int encryption_context_serialize(json_object *context, const char *field, unsigned char **out,
                                 size_t *out_len, kms_error *err);

#endif
