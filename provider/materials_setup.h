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

/* Whether key_id (resolved) names a configured raw key rather than a KMS
 * key: "" (no KMS key configured) or the raw AES or RSA key's name. */
int dekcache_names_raw_key(const dekcache_provctx *ctx, const char *key_id);

/* Builds what encryption and decryption share (crypto fetches, the cache
 * partition, the raw keyrings), once; caller holds ctx->lock. 0 after
 * raising an error. */
int dekcache_materials_prepare_locked(dekcache_provctx *ctx);

/* New CMMs for cmm_table.c, which calls them without ctx->lock (they may ask
 * KMS) after dekcache_materials_prepare_locked succeeded. NULL after raising
 * an error. An encryption CMM over a KMS key also gives the key's ARN
 * (*key_arn, OPENSSL_free; stays NULL for a raw key). */
esdk_cmm *dekcache_new_encrypt_cmm(dekcache_provctx *ctx, const char *key_id, char **key_arn);
esdk_cmm *dekcache_new_decrypt_cmm(dekcache_provctx *ctx);

/* Releases every CMM, keyring, client and the cache. */
void dekcache_materials_free(dekcache_provctx *ctx);

#endif
