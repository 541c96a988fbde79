#ifndef DEKCACHE_PROVIDER_INVALIDATE_H
#define DEKCACHE_PROVIDER_INVALIDATE_H

/* Forgetting the cached data keys of one KMS key, when the application
 * rotated or disabled it, or KMS refused it: otherwise they serve until their
 * limits run out. */

#include "provider/provctx.h"

/* Drops (and cleanses) every cache entry, for encryption and decryption
 * alike, whose data key the KMS key `key_id` wraps (stats count them as
 * cache.evictions.invalidated).
 * A key ARN is taken as is. An alias or key ID names the key this instance
 * resolved it to when it first encrypted under it and the key KMS resolves
 * it to now (DescribeKey); both go. 0 after raising an error: a raw key (its
 * entries are not tagged by key), or a name neither way resolves. */
int dekcache_invalidate_kms_key(dekcache_provctx *ctx, const char *key_id);

/* The KMS client's key_unusable hook (arg: the dekcache_provctx): KMS said
 * the key is disabled or gone, so its cached data keys go at once rather
 * than at cache_max_age. Flights in progress are left alone: staling them
 * (for every key) would let a message naming a missing key make other
 * callers fetch again. The keyrings name keys by ARN, the cache's tag. */
void dekcache_forget_unusable_key(void *provctx, const char *key_arn);

#endif
