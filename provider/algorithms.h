#ifndef DEKCACHE_PROVIDER_ALGORITHMS_H
#define DEKCACHE_PROVIDER_ALGORITHMS_H

#include <openssl/core.h>

#include "provider/provctx.h"

/* Fills the per-instance tables (they carry the instance's property). */
void dekcache_algorithms_init(dekcache_provctx *ctx);

/* The algorithm table for one operation (cipher, keymgmt, ...), or NULL when
 * this provider offers none. */
const OSSL_ALGORITHM *dekcache_query_operation(void *provctx, int operation_id, int *no_cache);

#endif
