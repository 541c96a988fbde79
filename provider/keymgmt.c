/* The DEKCACHE key manager: EVP_PKEYs that are references to wrapping keys,
 * loaded through the store (`-inkey dekcache:alias/app`). */
#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <string.h>

#include "include/dekcache.h"
#include "provider/errors.h"
#include "provider/invalidate.h"
#include "provider/keymgmt.h"
#include "provider/keyref.h"
#include "provider/kms_setup.h"
#include "provider/materials_setup.h"
#include "provider/message_params.h"

/* What EVP_PKEY_get_size reports. `openssl pkeyutl` reads at most ten times
 * this much input, so this bounds one pkeyutl message to 1 GiB. */
#define KEYREF_MAX_SIZE (100 * 1024 * 1024)

static void *keymgmt_new(void *provctx)
{
    return dekcache_keyref_from_uri(provctx, "");
}

static void keymgmt_free(void *keydata)
{
    dekcache_keyref_free(keydata);
}

/* A reference has no key bytes, so it is both "public" and "private": it can
 * encrypt and decrypt, and holds nothing to export. */
static int keymgmt_has(const void *keydata, int selection)
{
    return keydata != NULL;
}

/* The store passes the reference object itself (as pkcs11-provider does). */
static void *keymgmt_load(const void *reference, size_t reference_sz)
{
    dekcache_keyref *key = NULL;
    if (reference == NULL || reference_sz != sizeof(key))
        return NULL;
    memcpy(&key, reference, sizeof(key));
    return dekcache_keyref_up_ref(key);
}

static const OSSL_PARAM keymgmt_gettable[] = {
    OSSL_PARAM_int(OSSL_PKEY_PARAM_BITS, NULL),
    OSSL_PARAM_int(OSSL_PKEY_PARAM_SECURITY_BITS, NULL),
    OSSL_PARAM_int(OSSL_PKEY_PARAM_MAX_SIZE, NULL),
    OSSL_PARAM_utf8_string(DEKCACHE_PARAM_KEY_ID, NULL, 0),
    OSSL_PARAM_utf8_string(DEKCACHE_PARAM_KEY_ARN, NULL, 0),
    OSSL_PARAM_END,
};

static const OSSL_PARAM *keymgmt_gettable_params(void *provctx)
{
    return keymgmt_gettable;
}

/* The ARN asks KMS (DescribeKey), so only when requested. */
static int get_key_arn(dekcache_keyref *key, const char *id, OSSL_PARAM *p)
{
    char arn[2048];
    if (dekcache_names_raw_key(key->prov, id) || !dekcache_kms_configured(key->prov)) {
        DEKCACHE_RAISE(key->prov->handle, DEKCACHE_R_NO_KEY_CONFIGURED,
                       "%s: this key reference names no KMS key", DEKCACHE_PARAM_KEY_ARN);
        return 0;
    }
    return dekcache_kms_key_arn(key->prov, id, arn, sizeof(arn)) &&
           OSSL_PARAM_set_utf8_string(p, arn);
}

static int keymgmt_get_params(void *keydata, OSSL_PARAM params[])
{
    dekcache_keyref *key = keydata;
    OSSL_PARAM *p;
    if ((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_BITS)) != NULL &&
        !OSSL_PARAM_set_int(p, 256))
        return 0;
    if ((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_SECURITY_BITS)) != NULL &&
        !OSSL_PARAM_set_int(p, 256))
        return 0;
    if ((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_MAX_SIZE)) != NULL &&
        !OSSL_PARAM_set_int(p, KEYREF_MAX_SIZE))
        return 0;
    /* The key this reference encrypts under, as pkeyutl would use it. */
    const char *id = dekcache_resolve_key_id(key->prov, key->key_id);
    if ((p = OSSL_PARAM_locate(params, DEKCACHE_PARAM_KEY_ID)) != NULL &&
        !OSSL_PARAM_set_utf8_string(p, id))
        return 0;
    if ((p = OSSL_PARAM_locate(params, DEKCACHE_PARAM_KEY_ARN)) != NULL)
        return get_key_arn(key, id, p);
    return 1;
}

static const OSSL_PARAM keymgmt_settable[] = {
    OSSL_PARAM_int(DEKCACHE_PKEY_PARAM_INVALIDATE_CACHE, NULL),
    OSSL_PARAM_END,
};

static const OSSL_PARAM *keymgmt_settable_params(void *provctx)
{
    return keymgmt_settable;
}

/* Setting invalidate-cache to 1 forgets the cached data keys of the KMS key
 * this reference encrypts under (see include/dekcache.h). */
static int keymgmt_set_params(void *keydata, const OSSL_PARAM params[])
{
    dekcache_keyref *key = keydata;
    const OSSL_PARAM *p;
    int invalidate = 0;
    if (!dekcache_param_find(key->prov->handle, params, DEKCACHE_PKEY_PARAM_INVALIDATE_CACHE, &p))
        return 0;
    if (p == NULL)
        return 1;
    if (!OSSL_PARAM_get_int(p, &invalidate) || (invalidate != 0 && invalidate != 1)) {
        DEKCACHE_RAISE(key->prov->handle, DEKCACHE_R_INVALID_PARAMETER, "%s must be 0 or 1",
                       DEKCACHE_PKEY_PARAM_INVALIDATE_CACHE);
        return 0;
    }
    return invalidate == 0 ||
           dekcache_invalidate_kms_key(key->prov, dekcache_resolve_key_id(key->prov, key->key_id));
}

static const char *keymgmt_query_operation_name(int operation_id)
{
    return operation_id == OSSL_OP_ASYM_CIPHER ? DEKCACHE_CIPHER_NAME : NULL;
}

static int keymgmt_match(const void *a, const void *b, int selection)
{
    const dekcache_keyref *ka = a, *kb = b;
    return strcmp(ka->key_id, kb->key_id) == 0 && esdk_ec_equal(&ka->ec, &kb->ec);
}

const OSSL_DISPATCH dekcache_keymgmt_functions[] = {
    {OSSL_FUNC_KEYMGMT_NEW, (void (*)(void))keymgmt_new},
    {OSSL_FUNC_KEYMGMT_FREE, (void (*)(void))keymgmt_free},
    {OSSL_FUNC_KEYMGMT_HAS, (void (*)(void))keymgmt_has},
    {OSSL_FUNC_KEYMGMT_LOAD, (void (*)(void))keymgmt_load},
    {OSSL_FUNC_KEYMGMT_MATCH, (void (*)(void))keymgmt_match},
    {OSSL_FUNC_KEYMGMT_GET_PARAMS, (void (*)(void))keymgmt_get_params},
    {OSSL_FUNC_KEYMGMT_GETTABLE_PARAMS, (void (*)(void))keymgmt_gettable_params},
    {OSSL_FUNC_KEYMGMT_SET_PARAMS, (void (*)(void))keymgmt_set_params},
    {OSSL_FUNC_KEYMGMT_SETTABLE_PARAMS, (void (*)(void))keymgmt_settable_params},
    {OSSL_FUNC_KEYMGMT_QUERY_OPERATION_NAME, (void (*)(void))keymgmt_query_operation_name},
    {0, NULL},
};
