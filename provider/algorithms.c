#include "provider/algorithms.h"

#include <openssl/core_dispatch.h>
#include <stddef.h>

const OSSL_ALGORITHM *dekcache_query_operation(void *provctx, int operation_id, int *no_cache)
{
    (void)provctx;
    *no_cache = 0;
    switch (operation_id) {
    default:
        return NULL;
    }
}
