#ifndef DEKCACHE_PROVIDER_MATERIALS_SETUP_H
#define DEKCACHE_PROVIDER_MATERIALS_SETUP_H

/* Turns the configuration into materials managers: keyrings (KMS, raw AES,
 * raw RSA) behind the caching CMM over the provider's DEK cache. Built on
 * first use; failures raise an error naming what is wrong. */

#include "provider/provctx.h"

/* Creates the cache; called from provider init. */
int dekcache_cache_setup(dekcache_provctx *ctx);

/* A new reference to the CMM that encrypts under key_id (NULL: the
 * configured key_id, else the configured raw key). */
esdk_cmm *dekcache_encrypt_cmm(dekcache_provctx *ctx, const char *key_id);

/* A new reference to the CMM that decrypts with every configured key. */
esdk_cmm *dekcache_decrypt_cmm(dekcache_provctx *ctx);

/* Releases every CMM, keyring, client and the cache. */
void dekcache_materials_free(dekcache_provctx *ctx);

#endif
