#ifndef DEKCACHE_PROVIDER_MATERIALS_SETUP_H
#define DEKCACHE_PROVIDER_MATERIALS_SETUP_H

/* Turns the configuration into materials managers: keyrings (KMS, raw AES,
 * raw RSA) behind the caching CMM over the provider's DEK cache. Built on
 * first use; failures raise an error naming what is wrong. */

#include "provider/provctx.h"

/* Creates the cache; called from provider init. */
int dekcache_cache_setup(dekcache_provctx *ctx);

/* The key that encrypts when the application names `requested`: itself
 * unless NULL or "", else DEKCACHE_KEY_ID (read at load), else key_id, else
 * "" (the configured raw key). The one place the default is chosen: the
 * cipher, pkeyutl and key references all resolve through it. */
const char *dekcache_resolve_key_id(const dekcache_provctx *ctx, const char *requested);

/* A new reference to the CMM that encrypts under
 * dekcache_resolve_key_id(ctx, requested); NULL after raising an error
 * (also for a key beyond the DEKCACHE_MAX_KEY_CMMS this instance keeps). */
esdk_cmm *dekcache_encrypt_cmm(dekcache_provctx *ctx, const char *requested);

/* A new reference to the CMM that decrypts with every configured key. */
esdk_cmm *dekcache_decrypt_cmm(dekcache_provctx *ctx);

/* Releases every CMM, keyring, client and the cache. */
void dekcache_materials_free(dekcache_provctx *ctx);

#endif
