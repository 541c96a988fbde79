#ifndef DEKCACHE_KMS_CLIENT_ERROR_TYPE_H
#define DEKCACHE_KMS_CLIENT_ERROR_TYPE_H

#include "kms/client/kms_client.h"

/* The status of a non-2xx KMS answer: by its __type (e.g. "NotFoundException")
 * when there is one, else by the HTTP status (429 throttled, 5xx server). */
kms_client_status error_type_status(const char *kms_type, long http_status);

/* Whether a failed attempt may succeed when repeated: throttling, 5xx and
 * network failures. Client errors (4xx) are final. */
int error_type_is_retryable(kms_client_status status);

#endif
