#include "provider/invalidate.h"

#include <string.h>

#include "provider/errors.h"
#include "provider/kms_setup.h"
#include "provider/materials_setup.h"

int dekcache_invalidate_kms_key(dekcache_provctx *ctx, const char *key_id, size_t *dropped)
{
    *dropped = 0;
    if (dekcache_names_raw_key(ctx, key_id) || !dekcache_kms_configured(ctx)) {
        DEKCACHE_RAISE(ctx->handle, DEKCACHE_R_UNSUPPORTED,
                       "cached data keys are invalidated by KMS key; '%s' is not one", key_id);
        return 0;
    }
    /* Cache entries are tagged with the ARN of each wrapping key (the
     * provider info of its encrypted data key), whatever name chose it. */
    char arn[2048];
    if (!dekcache_kms_key_arn(ctx, key_id, arn, sizeof(arn)))
        return 0;
    *dropped = dek_cache_invalidate_wrapping_key(ctx->cache, arn, strlen(arn));
    return 1;
}

void dekcache_forget_unusable_key(void *provctx, const char *key_arn)
{
    dekcache_provctx *ctx = provctx;
    dek_cache_invalidate_wrapping_key(ctx->cache, key_arn, strlen(key_arn));
}
