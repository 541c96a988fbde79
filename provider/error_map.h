#ifndef DEKCACHE_PROVIDER_ERROR_MAP_H
#define DEKCACHE_PROVIDER_ERROR_MAP_H

#include "message/status.h"

/* The provider reason code for a message-layer status. */
int dekcache_reason_for_esdk(esdk_status status);

#endif
