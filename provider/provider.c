/* The provider's entry point: what OpenSSL calls when it loads dekcache.so. */
#include <openssl/core.h>
#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/opensslv.h>
#include <openssl/params.h>
#include <stdio.h>
#include <string.h>

#include "include/dekcache.h"
#include "message/library.h"
#include "provider/algorithms.h"
#include "provider/config.h"
#include "provider/errors.h"
#include "provider/materials_setup.h"
#include "provider/provctx.h"
#include "provider/stats.h"
#include "provider/version.h"

static OSSL_FUNC_core_get_params_fn *core_get_params;

static const OSSL_PARAM gettable_params[] = {
    OSSL_PARAM_DEFN(OSSL_PROV_PARAM_NAME, OSSL_PARAM_UTF8_PTR, NULL, 0),
    OSSL_PARAM_DEFN(OSSL_PROV_PARAM_VERSION, OSSL_PARAM_UTF8_PTR, NULL, 0),
    OSSL_PARAM_DEFN(OSSL_PROV_PARAM_BUILDINFO, OSSL_PARAM_UTF8_PTR, NULL, 0),
    OSSL_PARAM_DEFN(OSSL_PROV_PARAM_STATUS, OSSL_PARAM_INTEGER, NULL, 0),
    OSSL_PARAM_DEFN(DEKCACHE_PROV_PARAM_STATS, OSSL_PARAM_UTF8_STRING, NULL, 0),
    OSSL_PARAM_END,
};

static const OSSL_PARAM *dekcache_gettable_params(void *provctx)
{
    return gettable_params;
}

static int dekcache_get_params(void *provctx, OSSL_PARAM params[])
{
    OSSL_PARAM *p;
    p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_NAME);
    if (p != NULL && !OSSL_PARAM_set_utf8_ptr(p, DEKCACHE_PROVIDER_NAME))
        return 0;
    p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_VERSION);
    if (p != NULL && !OSSL_PARAM_set_utf8_ptr(p, DEKCACHE_VERSION))
        return 0;
    p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_BUILDINFO);
    if (p != NULL && !OSSL_PARAM_set_utf8_ptr(p, DEKCACHE_BUILDINFO))
        return 0;
    p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_STATUS);
    if (p != NULL && !OSSL_PARAM_set_int(p, 1))
        return 0;
    p = OSSL_PARAM_locate(params, DEKCACHE_PROV_PARAM_STATS);
    if (p != NULL) {
        char json[DEKCACHE_STATS_MAX_LEN];
        if (!dekcache_stats_json(provctx, json, sizeof(json)) ||
            !OSSL_PARAM_set_utf8_string(p, json))
            return 0;
    }
    return 1;
}

static const OSSL_ITEM *dekcache_get_reason_strings(void *provctx)
{
    return dekcache_reason_strings();
}

static void provctx_free(dekcache_provctx *ctx)
{
    if (ctx == NULL)
        return;
    dekcache_materials_free(ctx);
    OSSL_LIB_CTX_free(ctx->libctx);
    pthread_mutex_destroy(&ctx->lock);
    pthread_mutex_destroy(&ctx->kms_lock);
    OPENSSL_free(ctx->property);
    dekcache_config_free(&ctx->config);
    OPENSSL_free(ctx);
}

static void dekcache_teardown(void *provctx)
{
    provctx_free(provctx);
    esdk_library_release();
}

static const OSSL_DISPATCH provider_functions[] = {
    {OSSL_FUNC_PROVIDER_TEARDOWN, (void (*)(void))dekcache_teardown},
    {OSSL_FUNC_PROVIDER_GETTABLE_PARAMS, (void (*)(void))dekcache_gettable_params},
    {OSSL_FUNC_PROVIDER_GET_PARAMS, (void (*)(void))dekcache_get_params},
    {OSSL_FUNC_PROVIDER_QUERY_OPERATION, (void (*)(void))dekcache_query_operation},
    {OSSL_FUNC_PROVIDER_GET_REASON_STRINGS, (void (*)(void))dekcache_get_reason_strings},
    {0, NULL},
};

/* Each instance's algorithms carry "provider=<the name it was loaded as>":
 * OpenSSL 3.0 adds no such property itself, and with it
 * `-propquery provider=dek_prod` selects one configured instance. */
static int set_instance_property(dekcache_provctx *ctx)
{
    const char *name = NULL;
    OSSL_PARAM request[] = {
        OSSL_PARAM_construct_utf8_ptr(OSSL_PROV_PARAM_CORE_PROV_NAME, (char **)&name, 0),
        OSSL_PARAM_construct_end(),
    };
    if (core_get_params == NULL || !core_get_params(ctx->handle, request) || name == NULL)
        name = DEKCACHE_PROVIDER_NAME;
    size_t len = strlen("provider=") + strlen(name) + 1;
    ctx->property = OPENSSL_malloc(len);
    if (ctx->property == NULL) {
        DEKCACHE_RAISE(ctx->handle, DEKCACHE_R_MALLOC_FAILURE, "naming the provider instance");
        return 0;
    }
    snprintf(ctx->property, len, "provider=%s", name);
    return 1;
}

static void bind_core(const OSSL_DISPATCH *in)
{
    dekcache_errors_bind(in);
    for (; in->function_id != 0; in++) {
        if (in->function_id == OSSL_FUNC_CORE_GET_PARAMS)
            core_get_params = OSSL_FUNC_core_get_params(in);
    }
}

int OSSL_provider_init(const OSSL_CORE_HANDLE *handle, const OSSL_DISPATCH *in,
                       const OSSL_DISPATCH **out, void **provctx);

int OSSL_provider_init(const OSSL_CORE_HANDLE *handle, const OSSL_DISPATCH *in,
                       const OSSL_DISPATCH **out, void **provctx)
{
    bind_core(in);
    dekcache_provctx *ctx = OPENSSL_zalloc(sizeof(*ctx));
    if (ctx == NULL) {
        DEKCACHE_RAISE(handle, DEKCACHE_R_MALLOC_FAILURE, "provider context");
        return 0;
    }
    ctx->handle = handle;
    pthread_mutex_init(&ctx->lock, NULL);
    pthread_mutex_init(&ctx->kms_lock, NULL);
    esdk_library_retain();
    if ((ctx->libctx = OSSL_LIB_CTX_new_child(handle, in)) == NULL) {
        DEKCACHE_RAISE(handle, DEKCACHE_R_INTERNAL_ERROR, "creating a child library context");
        provctx_free(ctx);
        esdk_library_release();
        return 0;
    }
    if (!dekcache_config_load(&ctx->config, handle, core_get_params) ||
        !set_instance_property(ctx) || !dekcache_cache_setup(ctx)) {
        provctx_free(ctx);
        esdk_library_release();
        return 0;
    }
    dekcache_algorithms_init(ctx);
    *out = provider_functions;
    *provctx = ctx;
    return 1;
}
