#include "provider/invalidate.h"

#include <openssl/err.h>
#include <string.h>

#include "kms/client/kms_arn.h"
#include "kms/client/kms_client.h"
#include "provider/cmm_table.h"
#include "provider/errors.h"
#include "provider/kms_setup.h"
#include "provider/materials_setup.h"

/* Cache entries are tagged with the ARN of each wrapping key (the provider
 * info of its encrypted data key), whatever name chose the key. */
static void drop_key_arn(dekcache_provctx *ctx, const char *key_arn)
{
    dek_cache_invalidate_wrapping_key(ctx->cache, key_arn, strlen(key_arn));
}

static int refuse_raw_key(dekcache_provctx *ctx, const char *key_id)
{
    if (key_id[0] == '\0')
        DEKCACHE_RAISE(ctx->handle, DEKCACHE_R_UNSUPPORTED,
                       "cached data keys are invalidated by KMS key: name one "
                       "(dekcache:<key ARN, ID or alias>)");
    else
        DEKCACHE_RAISE(ctx->handle, DEKCACHE_R_UNSUPPORTED,
                       "cached data keys are invalidated by KMS key; '%s' is a raw key", key_id);
    return 0;
}

/* An alias or key ID stands for two ARNs that differ once an alias was
 * pointed elsewhere: the one this instance resolved when it first encrypted
 * under the name (its cached data keys), and the one KMS gives now. Either
 * is enough: a key that is gone or may no longer be described still has its
 * data keys dropped. */
static int drop_named_key(dekcache_provctx *ctx, const char *key_id)
{
    char recorded[KMS_CLIENT_ARN_MAX], current[KMS_CLIENT_ARN_MAX];
    int have_recorded = dekcache_encrypt_key_arn(ctx, key_id, recorded, sizeof(recorded));
    ERR_set_mark();
    int have_current = dekcache_kms_key_arn(ctx, key_id, current, sizeof(current));
    if (have_recorded)
        ERR_pop_to_mark(); /* what KMS said about the name changes nothing then */
    else
        ERR_clear_last_mark();
    if (have_recorded)
        drop_key_arn(ctx, recorded);
    if (have_current && !(have_recorded && strcmp(recorded, current) == 0))
        drop_key_arn(ctx, current);
    return have_recorded || have_current;
}

int dekcache_invalidate_kms_key(dekcache_provctx *ctx, const char *key_id)
{
    if (dekcache_names_raw_key(ctx, key_id) || !dekcache_kms_configured(ctx))
        return refuse_raw_key(ctx, key_id);
    if (!kms_arn_is_key_arn(key_id))
        return drop_named_key(ctx, key_id);
    drop_key_arn(ctx, key_id); /* as is: no KMS client, so no credentials needed */
    return 1;
}

void dekcache_forget_unusable_key(void *provctx, const char *key_arn)
{
    dekcache_provctx *ctx = provctx;
    dek_cache_drop_wrapping_key(ctx->cache, key_arn, strlen(key_arn));
}
