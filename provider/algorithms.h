#ifndef DEKCACHE_PROVIDER_ALGORITHMS_H
#define DEKCACHE_PROVIDER_ALGORITHMS_H

#include <openssl/core.h>

/* The algorithm table for one operation (cipher, keymgmt, ...), or NULL when
 * this provider offers none. */
const OSSL_ALGORITHM *dekcache_query_operation(void *provctx, int operation_id, int *no_cache);

#endif
