#ifndef DEKCACHE_PROVIDER_KMS_SETUP_H
#define DEKCACHE_PROVIDER_KMS_SETUP_H

/* The KMS side of the configuration: one KMS client per provider instance,
 * aws-kms keyrings in strict mode (key_id, decrypt_keys) or discovery mode. */

#include "message/keyring.h"
#include "provider/provctx.h"

/* 1 when the configuration names any KMS key or discovery. */
int dekcache_kms_configured(const dekcache_provctx *ctx);

/* New keyrings (caller frees); NULL after raising an error. Thread-safe; they
 * may call KMS, so callers should not hold ctx->lock. */
esdk_keyring *dekcache_kms_encrypt_keyring(dekcache_provctx *ctx, const char *key_id,
                                           char **key_arn);
esdk_keyring *dekcache_kms_decrypt_keyring(dekcache_provctx *ctx);

/* Resolves a key ID or alias to its key ARN with DescribeKey (a key ARN as
 * is). Thread-safe. Returns 1, or 0 after raising an error. */
int dekcache_kms_key_arn(dekcache_provctx *ctx, const char *key_id, char *arn, size_t arn_len);

void dekcache_kms_free(dekcache_provctx *ctx);

#endif
