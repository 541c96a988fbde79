#include "provider/keyref.h"

#include <openssl/crypto.h>
#include <string.h>

#include "provider/context_param.h"
#include "provider/errors.h"

dekcache_keyref *dekcache_keyref_from_uri(dekcache_provctx *prov, const char *uri)
{
    const char *prefix = DEKCACHE_URI_SCHEME ":";
    if (OPENSSL_strncasecmp(uri, prefix, strlen(prefix)) == 0)
        uri += strlen(prefix);
    dekcache_keyref *key = OPENSSL_zalloc(sizeof(*key));
    if (key == NULL)
        return NULL;
    key->prov = prov;
    key->refs = 1;
    const char *query = strchr(uri, '?');
    size_t id_len = query != NULL ? (size_t)(query - uri) : strlen(uri);
    key->key_id = OPENSSL_strndup(uri, id_len);
    char detail[256] = "";
    if (key->key_id == NULL ||
        (query != NULL &&
         !dekcache_parse_context_param(query + 1, &key->ec, detail, sizeof(detail)))) {
        DEKCACHE_RAISE(prov->handle, DEKCACHE_R_INVALID_PARAMETER,
                       "key URI: %s (expected dekcache:<key-id>[?k=v,...])",
                       detail[0] ? detail : "out of memory");
        dekcache_keyref_free(key);
        return NULL;
    }
    return key;
}

dekcache_keyref *dekcache_keyref_up_ref(dekcache_keyref *key)
{
    __atomic_add_fetch(&key->refs, 1, __ATOMIC_RELAXED);
    return key;
}

void dekcache_keyref_free(dekcache_keyref *key)
{
    if (key == NULL || __atomic_sub_fetch(&key->refs, 1, __ATOMIC_ACQ_REL) > 0)
        return;
    esdk_ec_clear(&key->ec);
    OPENSSL_free(key->key_id);
    OPENSSL_free(key);
}
