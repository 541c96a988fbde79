#ifndef DEKCACHE_PROVIDER_INVALIDATE_H
#define DEKCACHE_PROVIDER_INVALIDATE_H

/* Forgetting the cached data keys of one KMS key, for an application that
 * rotated or disabled it: otherwise they serve until their limits run out. */

#include <stddef.h>

#include "provider/provctx.h"

/* Drops (and cleanses) every cache entry, for encryption and decryption
 * alike, whose data key the KMS key `key_id` wraps (an alias is resolved
 * with DescribeKey); *dropped says how many. 0 after raising an error: a raw
 * key (its entries are not tagged by key), or a key KMS cannot resolve. */
int dekcache_invalidate_kms_key(dekcache_provctx *ctx, const char *key_id, size_t *dropped);

#endif
