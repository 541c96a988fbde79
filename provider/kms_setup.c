#include "provider/kms_setup.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "kms/client/kms_client.h"
#include "materials/kms_keyring.h"
#include "provider/config.h"
#include "provider/errors.h"
#include "provider/invalidate.h"
#include "provider/materials_setup.h"

/* key_id may name one of the raw keys instead: then it is no KMS key, and
 * neither decryption nor the key's ARN may ask KMS about it. */
static int key_id_is_kms(const dekcache_provctx *ctx)
{
    const char *key_id = ctx->config.key_id;
    return key_id != NULL && !dekcache_names_raw_key(ctx, key_id);
}

int dekcache_kms_configured(const dekcache_provctx *ctx)
{
    const dekcache_config *cfg = &ctx->config;
    return key_id_is_kms(ctx) || cfg->decrypt_keys.n > 0 || cfg->discovery;
}

/* The instance's one KMS client: credentials and region resolve here, on
 * first use, so `openssl list` works without them. Creating it reads the
 * environment and files only, never the network. */
static kms_client *create_client_locked(dekcache_provctx *ctx)
{
    if (ctx->kms != NULL)
        return ctx->kms;
    const dekcache_config *cfg = &ctx->config;
    kms_client_config kc = {
        .libctx = ctx->libctx,
        .region = cfg->region,
        .endpoint = cfg->kms_endpoint,
        .ca_file = cfg->ca_file,
        .deadline_ms = (long)cfg->kms_timeout_ms,
        .max_attempts = (int)cfg->kms_max_attempts,
        .key_unusable = dekcache_forget_unusable_key,
        .key_unusable_arg = ctx,
    };
    char detail[512] = "";
    kms_client *client = NULL;
    kms_client_status status = kms_client_new(&kc, &client, detail, sizeof(detail));
    if (status != KMS_CLIENT_OK) {
        DEKCACHE_RAISE(ctx->handle, DEKCACHE_R_KMS_ERROR, "KMS client: %s: %s",
                       kms_client_status_string(status), detail);
        return NULL;
    }
    /* Published for the stats reader and client_of, which take no lock. */
    __atomic_store_n(&ctx->kms, client, __ATOMIC_RELEASE);
    return client;
}

static kms_client *client_of(dekcache_provctx *ctx)
{
    kms_client *client = __atomic_load_n(&ctx->kms, __ATOMIC_ACQUIRE);
    if (client != NULL)
        return client;
    pthread_mutex_lock(&ctx->kms_lock);
    client = create_client_locked(ctx);
    pthread_mutex_unlock(&ctx->kms_lock);
    return client;
}

static esdk_keyring *keyring_or_raise(dekcache_provctx *ctx, esdk_status status,
                                      esdk_keyring *keyring, const char *detail)
{
    if (status == ESDK_OK)
        return keyring;
    DEKCACHE_RAISE(ctx->handle, DEKCACHE_R_KMS_ERROR, "%s: %s", esdk_status_string(status), detail);
    return NULL;
}

/* The keyring gets the ARN resolved here (a key ARN as is), and so needs no
 * DescribeKey of its own; the caller keeps the ARN (OPENSSL_free) to name
 * the key's cached data keys later. */
esdk_keyring *dekcache_kms_encrypt_keyring(dekcache_provctx *ctx, const char *key_id,
                                           char **key_arn)
{
    kms_client *client = client_of(ctx);
    if (client == NULL)
        return NULL;
    esdk_keyring *keyring = NULL;
    char detail[512] = "";
    esdk_status status = kms_keyring_key_arn(client, key_id, key_arn, detail, sizeof(detail));
    if (status == ESDK_OK)
        status = kms_keyring_new_strict(client, (const char *const *)key_arn, 1, NULL, 0, &keyring,
                                        detail, sizeof(detail));
    if (status != ESDK_OK) {
        OPENSSL_free(*key_arn);
        *key_arn = NULL;
    }
    return keyring_or_raise(ctx, status, keyring, detail);
}

static esdk_keyring *discovery_keyring(dekcache_provctx *ctx, kms_client *client)
{
    const dekcache_config *cfg = &ctx->config;
    const dekcache_list *accounts = &cfg->discovery_accounts;
    const char *partition =
        accounts->n > 0 && cfg->discovery_partition == NULL ? "aws" : cfg->discovery_partition;
    esdk_keyring *keyring = NULL;
    char detail[512] = "";
    esdk_status status = kms_keyring_new_discovery(client, partition, accounts->items, accounts->n,
                                                   NULL, 0, &keyring, detail, sizeof(detail));
    return keyring_or_raise(ctx, status, keyring, detail);
}

/* Strict mode: decrypt_keys plus key_id, aliases resolved once by the keyring. */
static esdk_keyring *allow_list_keyring(dekcache_provctx *ctx, kms_client *client)
{
    const dekcache_config *cfg = &ctx->config;
    const char *keys[DEKCACHE_MAX_LIST_ITEMS + 1];
    size_t n = cfg->decrypt_keys.n;
    memcpy(keys, cfg->decrypt_keys.items, n * sizeof(keys[0]));
    if (key_id_is_kms(ctx))
        keys[n++] = cfg->key_id;
    esdk_keyring *keyring = NULL;
    char detail[512] = "";
    esdk_status status =
        kms_keyring_new_strict(client, keys, n, NULL, 0, &keyring, detail, sizeof(detail));
    return keyring_or_raise(ctx, status, keyring, detail);
}

esdk_keyring *dekcache_kms_decrypt_keyring(dekcache_provctx *ctx)
{
    kms_client *client = client_of(ctx);
    if (client == NULL)
        return NULL;
    return ctx->config.discovery ? discovery_keyring(ctx, client) : allow_list_keyring(ctx, client);
}

int dekcache_kms_key_arn(dekcache_provctx *ctx, const char *key_id, char *arn, size_t arn_len)
{
    kms_client *client = client_of(ctx);
    if (client == NULL)
        return 0;
    char *resolved = NULL, detail[512] = "";
    esdk_status status = kms_keyring_key_arn(client, key_id, &resolved, detail, sizeof(detail));
    if (status != ESDK_OK)
        DEKCACHE_RAISE(ctx->handle, DEKCACHE_R_KMS_ERROR, "%s: %s", esdk_status_string(status),
                       detail);
    int ok = status == ESDK_OK && (size_t)snprintf(arn, arn_len, "%s", resolved) < arn_len;
    if (status == ESDK_OK && !ok)
        DEKCACHE_RAISE(ctx->handle, DEKCACHE_R_KMS_ERROR,
                       "the key ARN of '%s' is longer than %zu bytes", key_id, arn_len - 1);
    OPENSSL_free(resolved);
    return ok;
}

void dekcache_kms_free(dekcache_provctx *ctx)
{
    kms_client_free(ctx->kms);
    ctx->kms = NULL;
}
