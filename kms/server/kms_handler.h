/* One KMS API request, independent of the HTTP library: fault injection,
 * signature check, dispatch, counting. */
#ifndef DEKCACHE_KMS_SERVER_KMS_HANDLER_H
#define DEKCACHE_KMS_SERVER_KMS_HANDLER_H

#include "kms/server/http_server.h"
#include "kms/server/request_auth.h"

typedef struct {
    int drop;        /* close the connection without answering */
    int http_status; /* otherwise: status and JSON body (malloc'd, cleanse before free) */
    char *body;
} kms_handler_result;

/* body_too_large: the body was cut off at the server's limit. */
void kms_handle_request(const kms_server_config *cfg, const http_request_view *r,
                        int body_too_large, kms_handler_result *out);

#endif
