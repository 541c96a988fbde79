#include "provider/algorithms.h"

#include <openssl/core_dispatch.h>
#include <stddef.h>

#include "include/dekcache.h"
#include "provider/cipher.h"
#include "provider/provctx.h"

void dekcache_algorithms_init(dekcache_provctx *ctx)
{
    ctx->ciphers[0] =
        (OSSL_ALGORITHM){DEKCACHE_CIPHER_NAME, ctx->property, dekcache_cipher_functions,
                         "Envelope encryption with cached, KMS-wrapped data keys"};
    ctx->ciphers[1] = (OSSL_ALGORITHM){NULL, NULL, NULL, NULL};
}

const OSSL_ALGORITHM *dekcache_query_operation(void *provctx, int operation_id, int *no_cache)
{
    dekcache_provctx *ctx = provctx;
    *no_cache = 0;
    switch (operation_id) {
    case OSSL_OP_CIPHER:
        return ctx->ciphers;
    default:
        return NULL;
    }
}
