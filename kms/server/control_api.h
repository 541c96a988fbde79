/* The test-control API under /_control/ (never signature-checked, never
 * counted). Routes are documented in kms/README.md. */
#ifndef DEKCACHE_KMS_SERVER_CONTROL_API_H
#define DEKCACHE_KMS_SERVER_CONTROL_API_H

#include "kms/server/control_state.h"

#include <stddef.h>

/* Handles one control request; *response is a malloc'd JSON body. Returns
 * the HTTP status. path is the full URL path ("/_control/stats"). */
int control_api_handle(control_state *s, const char *method, const char *path, const char *body,
                       size_t body_len, char **response);

/* Parses a fault rule from JSON text; 0 or -1 with detail set. */
int control_parse_fault(const char *body, size_t body_len, fault_rule *rule, char *detail,
                        size_t detail_cap);

#endif
