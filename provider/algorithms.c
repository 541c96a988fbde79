#include "provider/algorithms.h"

#include <openssl/core_dispatch.h>
#include <stddef.h>

#include "include/dekcache.h"
#include "provider/cipher.h"
#include "provider/keymgmt.h"
#include "provider/keyref.h"
#include "provider/provctx.h"

void dekcache_algorithms_init(dekcache_provctx *ctx)
{
    ctx->ciphers[0] =
        (OSSL_ALGORITHM){DEKCACHE_CIPHER_NAME, ctx->property, dekcache_cipher_functions,
                         "Envelope encryption with cached, KMS-wrapped data keys"};
    ctx->ciphers[1] = (OSSL_ALGORITHM){NULL, NULL, NULL, NULL};
    ctx->keymgmt[0] =
        (OSSL_ALGORITHM){DEKCACHE_CIPHER_NAME, ctx->property, dekcache_keymgmt_functions,
                         "References to KMS or configured wrapping keys"};
    ctx->keymgmt[1] = ctx->ciphers[1];
    ctx->stores[0] = (OSSL_ALGORITHM){DEKCACHE_URI_SCHEME, ctx->property, dekcache_store_functions,
                                      "dekcache:<key-id>[?<encryption-context>]"};
    ctx->stores[1] = ctx->ciphers[1];
    ctx->asym_ciphers[0] =
        (OSSL_ALGORITHM){DEKCACHE_CIPHER_NAME, ctx->property, dekcache_asym_cipher_functions,
                         "Whole-message envelope encryption (pkeyutl)"};
    ctx->asym_ciphers[1] = ctx->ciphers[1];
}

const OSSL_ALGORITHM *dekcache_query_operation(void *provctx, int operation_id, int *no_cache)
{
    dekcache_provctx *ctx = provctx;
    *no_cache = 0;
    switch (operation_id) {
    case OSSL_OP_CIPHER:
        return ctx->ciphers;
    case OSSL_OP_KEYMGMT:
        return ctx->keymgmt;
    case OSSL_OP_STORE:
        return ctx->stores;
    case OSSL_OP_ASYM_CIPHER:
        return ctx->asym_ciphers;
    default:
        return NULL;
    }
}
