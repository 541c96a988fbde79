#ifndef DEKCACHE_PROVIDER_CMM_TABLE_H
#define DEKCACHE_PROVIDER_CMM_TABLE_H

/* The CMMs of a provider instance: one per wrapping key the application
 * names (at most DEKCACHE_MAX_KEY_CMMS) and one for decryption, each built
 * on first use and kept until teardown. Lookups of built CMMs take no lock.
 * A build may ask KMS (DescribeKey), so it runs outside the instance lock:
 * a slow or failing KMS call for one key holds up no other key, and threads
 * that want a CMM being built wait for that build instead of repeating it
 * (one DescribeKey per key however many threads start at once); when it
 * fails, they all get its error. */

#include "message/cmm.h"
#include "provider/provctx.h"

/* A new reference to the CMM that encrypts under
 * dekcache_resolve_key_id(ctx, requested); NULL after raising an error
 * (also for a key beyond the DEKCACHE_MAX_KEY_CMMS this instance keeps). */
esdk_cmm *dekcache_encrypt_cmm(dekcache_provctx *ctx, const char *requested);

/* The KMS key ARN that key_id's encryption CMM resolved it to when it was
 * built (an alias keeps pointing there for this instance). 1 and the ARN in
 * arn, or 0 when no such CMM was built or it encrypts under a raw key. */
int dekcache_encrypt_key_arn(dekcache_provctx *ctx, const char *key_id, char *arn, size_t arn_len);

/* A new reference to the CMM that decrypts with every configured key. */
esdk_cmm *dekcache_decrypt_cmm(dekcache_provctx *ctx);

#endif
