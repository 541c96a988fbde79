/* Helpers shared by the server tests: KMS calls returning parsed JSON. */
#ifndef DEKCACHE_TEST_KMS_TEST_CALLS_H
#define DEKCACHE_TEST_KMS_TEST_CALLS_H

#include "kms_fixture.h"

#include <json-c/json.h>
#include <stddef.h>

/* Calls op with body (printf-style) on a fresh connection; returns the parsed
 * response (NULL when none or not JSON) and sets *status. */
json_object *kms_test_call(const kms_fixture_server *srv, const sigv4_credentials *creds,
                           long *status, const char *op, const char *body_fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* The same on a keep-alive client. */
json_object *kms_test_client_call(kms_fixture_client *c, const sigv4_credentials *creds,
                                  long *status, const char *op, const char *body);
/* A string field of o, or "" when absent. */
const char *kms_test_str(json_object *o, const char *field);
/* Decoded length of a base64 field, or -1. */
long kms_test_b64_len(json_object *o, const char *field);

#endif
