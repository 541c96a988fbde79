#ifndef DEKCACHE_PROVIDER_STATS_H
#define DEKCACHE_PROVIDER_STATS_H

/* The provider parameter "stats" (DEKCACHE_PROV_PARAM_STATS): one JSON
 * document of an instance's cache and KMS counters. */

#include <stddef.h>

#include "provider/provctx.h"

#define DEKCACHE_STATS_MAX_LEN 1024

/* Writes the NUL-terminated document into out; returns 0 if it did not fit. */
int dekcache_stats_json(const dekcache_provctx *ctx, char *out, size_t cap);

#endif
