/* The "dekcache:" store loader: `dekcache:<key-id>[?<encryption-context>]`
 * yields one DEKCACHE key reference. */
#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/core_object.h>
#include <openssl/crypto.h>
#include <openssl/params.h>

#include "include/dekcache.h"
#include "provider/keymgmt.h"
#include "provider/keyref.h"

typedef struct {
    dekcache_keyref *key;
    int delivered;
} store_ctx;

static void *store_open(void *provctx, const char *uri)
{
    dekcache_keyref *key = dekcache_keyref_from_uri(provctx, uri);
    store_ctx *ctx = key != NULL ? OPENSSL_zalloc(sizeof(*ctx)) : NULL;
    if (ctx == NULL) {
        dekcache_keyref_free(key);
        return NULL;
    }
    ctx->key = key;
    return ctx;
}

static int store_load(void *vctx, OSSL_CALLBACK *object_cb, void *object_cbarg,
                      OSSL_PASSPHRASE_CALLBACK *pw_cb, void *pw_cbarg)
{
    store_ctx *ctx = vctx;
    if (ctx->delivered)
        return 0;
    ctx->delivered = 1;
    int type = OSSL_OBJECT_PKEY;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_int(OSSL_OBJECT_PARAM_TYPE, &type),
        OSSL_PARAM_construct_utf8_string(OSSL_OBJECT_PARAM_DATA_TYPE, (char *)DEKCACHE_CIPHER_NAME,
                                         0),
        OSSL_PARAM_construct_octet_string(OSSL_OBJECT_PARAM_REFERENCE, &ctx->key, sizeof(ctx->key)),
        OSSL_PARAM_construct_end(),
    };
    return object_cb(params, object_cbarg);
}

static int store_eof(void *vctx)
{
    return ((store_ctx *)vctx)->delivered;
}

static int store_close(void *vctx)
{
    store_ctx *ctx = vctx;
    dekcache_keyref_free(ctx->key);
    OPENSSL_free(ctx);
    return 1;
}

static int store_set_ctx_params(void *vctx, const OSSL_PARAM params[])
{
    return 1; /* "expect" and search criteria: there is only one object */
}

const OSSL_DISPATCH dekcache_store_functions[] = {
    {OSSL_FUNC_STORE_OPEN, (void (*)(void))store_open},
    {OSSL_FUNC_STORE_LOAD, (void (*)(void))store_load},
    {OSSL_FUNC_STORE_EOF, (void (*)(void))store_eof},
    {OSSL_FUNC_STORE_CLOSE, (void (*)(void))store_close},
    {OSSL_FUNC_STORE_SET_CTX_PARAMS, (void (*)(void))store_set_ctx_params},
    {0, NULL},
};
