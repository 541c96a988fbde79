#ifndef DEKCACHE_PROVIDER_ERROR_MAP_H
#define DEKCACHE_PROVIDER_ERROR_MAP_H

#include <openssl/core.h>

#include "message/status.h"

/* The provider reason code for a message-layer status. */
int dekcache_reason_for_esdk(esdk_status status);

/* Raises "<what>: <status>[: <detail>]" with the matching reason code. */
void dekcache_raise_esdk(const OSSL_CORE_HANDLE *handle, esdk_status status, const char *what,
                         const char *detail);

#endif
