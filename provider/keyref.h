#ifndef DEKCACHE_PROVIDER_KEYREF_H
#define DEKCACHE_PROVIDER_KEYREF_H

/* A DEKCACHE key: not key bytes but a reference to a wrapping key (a KMS key
 * ID, ARN or alias, or a configured raw key's name) plus an optional
 * encryption context, as `dekcache:<key-id>[?<encryption-context>]` names it.
 * Reference counted: the store loader and every EVP_PKEY share one. */

#include "message/materials.h"
#include "provider/provctx.h"

typedef struct {
    dekcache_provctx *prov;
    int refs;     /* atomic */
    char *key_id; /* "": the instance's default (dekcache_resolve_key_id) */
    esdk_enc_context ec;
} dekcache_keyref;

/* Parses "dekcache:<key-id>[?<encryption-context>]" (the scheme is optional).
 * NULL after raising an error that says what is wrong with the URI. */
dekcache_keyref *dekcache_keyref_from_uri(dekcache_provctx *prov, const char *uri);
dekcache_keyref *dekcache_keyref_up_ref(dekcache_keyref *key);
void dekcache_keyref_free(dekcache_keyref *key);

#define DEKCACHE_URI_SCHEME "dekcache"

#endif
