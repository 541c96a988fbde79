#include "provider/materials_setup.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "materials/caching_cmm.h"
#include "message/raw_aes_keyring.h"
#include "message/raw_rsa_keyring.h"
#include "provider/errors.h"
#include "provider/kms_setup.h"

#define NS_PER_S UINT64_C(1000000000)

int dekcache_cache_setup(dekcache_provctx *ctx)
{
    const dekcache_config *cfg = &ctx->config;
    dek_cache_config cache_cfg = {
        .capacity = (size_t)cfg->cache_capacity,
        .stripes = (unsigned)cfg->cache_stripes,
    };
    char detail[160] = "";
    if (dek_cache_new(&cache_cfg, &ctx->cache, detail, sizeof(detail)) != DEK_CACHE_OK) {
        DEKCACHE_RAISE(ctx->handle, DEKCACHE_R_CACHE_ERROR, "creating the cache: %s", detail);
        return 0;
    }
    return 1;
}

/* Reads a whole (small) key file into memory that is cleansed on free. */
static unsigned char *read_key_file(dekcache_provctx *ctx, const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        DEKCACHE_RAISE(ctx->handle, DEKCACHE_R_BAD_CONFIGURATION, "cannot open key file %s", path);
        return NULL;
    }
    size_t cap = 65536;
    unsigned char *buf = OPENSSL_secure_zalloc(cap + 1);
    *len = buf == NULL ? 0 : fread(buf, 1, cap + 1, f);
    fclose(f);
    if (buf == NULL || *len > cap) {
        DEKCACHE_RAISE(ctx->handle, DEKCACHE_R_BAD_CONFIGURATION,
                       "key file %s is larger than 64 KiB", path);
        OPENSSL_secure_clear_free(buf, cap + 1);
        return NULL;
    }
    return buf;
}

static void free_key_file(unsigned char *buf)
{
    OPENSSL_secure_clear_free(buf, 65536 + 1);
}

static esdk_keyring *raw_aes_keyring(dekcache_provctx *ctx)
{
    const dekcache_config *cfg = &ctx->config;
    size_t len = 0;
    unsigned char *key = read_key_file(ctx, cfg->raw_aes_key_file, &len);
    if (key == NULL)
        return NULL;
    esdk_keyring *keyring = NULL;
    esdk_status status = esdk_raw_aes_keyring_new(
        ctx->crypto, cfg->raw_aes_key_namespace != NULL ? cfg->raw_aes_key_namespace : "dekcache",
        cfg->raw_aes_key_name != NULL ? cfg->raw_aes_key_name : "raw-aes", key, len, &keyring);
    free_key_file(key);
    if (status != ESDK_OK)
        DEKCACHE_RAISE(ctx->handle, DEKCACHE_R_BAD_CONFIGURATION,
                       "raw_aes_key_file %s: %s (a 16, 24 or 32 byte key is required)",
                       cfg->raw_aes_key_file, esdk_status_string(status));
    return keyring;
}

static int rsa_padding_of(const char *name, esdk_rsa_padding *out)
{
    static const struct {
        const char *name;
        esdk_rsa_padding padding;
    } paddings[] = {{"oaep-sha1", ESDK_RSA_OAEP_SHA1},
                    {"oaep-sha256", ESDK_RSA_OAEP_SHA256},
                    {"oaep-sha384", ESDK_RSA_OAEP_SHA384},
                    {"oaep-sha512", ESDK_RSA_OAEP_SHA512},
                    {"pkcs1", ESDK_RSA_PKCS1}};
    for (size_t i = 0; i < sizeof(paddings) / sizeof(paddings[0]); i++) {
        if (OPENSSL_strcasecmp(name, paddings[i].name) == 0) {
            *out = paddings[i].padding;
            return 1;
        }
    }
    return 0;
}

static esdk_keyring *raw_rsa_keyring(dekcache_provctx *ctx)
{
    const dekcache_config *cfg = &ctx->config;
    esdk_rsa_padding padding = ESDK_RSA_OAEP_SHA256;
    if (cfg->raw_rsa_padding != NULL && !rsa_padding_of(cfg->raw_rsa_padding, &padding)) {
        DEKCACHE_RAISE(ctx->handle, DEKCACHE_R_BAD_CONFIGURATION,
                       "invalid configuration value: raw_rsa_padding = \"%s\": allowed oaep-sha1, "
                       "oaep-sha256, oaep-sha384, oaep-sha512, pkcs1",
                       cfg->raw_rsa_padding);
        return NULL;
    }
    size_t len = 0;
    unsigned char *pem = read_key_file(ctx, cfg->raw_rsa_key_file, &len);
    if (pem == NULL)
        return NULL;
    EVP_PKEY *private_key = NULL, *public_key = NULL;
    if (esdk_rsa_key_from_pem(ctx->crypto, (const char *)pem, len, 1, &private_key) != ESDK_OK &&
        esdk_rsa_key_from_pem(ctx->crypto, (const char *)pem, len, 0, &public_key) != ESDK_OK) {
        free_key_file(pem);
        DEKCACHE_RAISE(ctx->handle, DEKCACHE_R_BAD_CONFIGURATION,
                       "raw_rsa_key_file %s holds no PEM RSA key", cfg->raw_rsa_key_file);
        return NULL;
    }
    free_key_file(pem);
    esdk_keyring *keyring = NULL;
    esdk_status status = esdk_raw_rsa_keyring_new(
        ctx->crypto, cfg->raw_rsa_key_namespace != NULL ? cfg->raw_rsa_key_namespace : "dekcache",
        cfg->raw_rsa_key_name != NULL ? cfg->raw_rsa_key_name : "raw-rsa", padding,
        public_key != NULL ? public_key : private_key, private_key, &keyring);
    EVP_PKEY_free(private_key);
    EVP_PKEY_free(public_key);
    if (status != ESDK_OK)
        DEKCACHE_RAISE(ctx->handle, DEKCACHE_R_BAD_CONFIGURATION, "raw_rsa_key_file %s: %s",
                       cfg->raw_rsa_key_file, esdk_status_string(status));
    return keyring;
}

/* The raw keys of the configuration as one keyring (AES generates, RSA
 * wraps too), or NULL when none is configured. *failed reports errors. */
static esdk_keyring *configured_raw_keyring(dekcache_provctx *ctx, int *failed)
{
    const dekcache_config *cfg = &ctx->config;
    esdk_keyring *aes = cfg->raw_aes_key_file != NULL ? raw_aes_keyring(ctx) : NULL;
    esdk_keyring *rsa = cfg->raw_rsa_key_file != NULL ? raw_rsa_keyring(ctx) : NULL;
    *failed = (cfg->raw_aes_key_file != NULL && aes == NULL) ||
              (cfg->raw_rsa_key_file != NULL && rsa == NULL);
    if (*failed || aes == NULL || rsa == NULL) {
        if (*failed) {
            esdk_keyring_free(aes);
            esdk_keyring_free(rsa);
            return NULL;
        }
        return aes != NULL ? aes : rsa;
    }
    esdk_keyring *multi = NULL;
    esdk_status status = esdk_multi_keyring_new(aes, &rsa, 1, &multi);
    esdk_keyring_free(aes);
    esdk_keyring_free(rsa);
    if (status != ESDK_OK) {
        *failed = 1;
        DEKCACHE_RAISE(ctx->handle, DEKCACHE_R_INTERNAL_ERROR, "combining raw keyrings: %s",
                       esdk_status_string(status));
    }
    return multi;
}

/* Wraps a keyring: default CMM, then the caching CMM over our cache within
 * the given partition. */
static esdk_cmm *caching_cmm_over(dekcache_provctx *ctx, esdk_keyring *keyring,
                                  const dek_cache_partition *partition)
{
    esdk_cmm *base = NULL, *caching = NULL;
    esdk_status status = esdk_default_cmm_new(ctx->crypto, keyring, &base);
    if (status == ESDK_OK) {
        const dekcache_config *cfg = &ctx->config;
        caching_cmm_config cc = {
            .upstream = base,
            .cache = ctx->cache,
            .partition = partition,
            .max_age_ns = cfg->cache_max_age * NS_PER_S,
            .max_messages = cfg->cache_max_messages,
            .max_bytes = cfg->cache_max_bytes,
        };
        status = caching_cmm_new(&cc, &caching);
    }
    esdk_cmm_free(base);
    if (status != ESDK_OK)
        DEKCACHE_RAISE(ctx->handle, DEKCACHE_R_INTERNAL_ERROR, "building the caching CMM: %s",
                       esdk_status_string(status));
    return caching;
}

/* A named partition lets processes that share a name share cache IDs; the
 * default is random. Drawn on first use: at provider init the default
 * provider (and so the DRBG) may not be loaded yet. */
static int partition_setup(dekcache_provctx *ctx)
{
    const char *name = ctx->config.cache_partition;
    dek_cache_status status =
        name != NULL
            ? dek_cache_partition_from_name(ctx->libctx, name, strlen(name), &ctx->partition)
            : dek_cache_partition_random(ctx->libctx, &ctx->partition);
    if (status != DEK_CACHE_OK) {
        DEKCACHE_RAISE(ctx->handle, DEKCACHE_R_CACHE_ERROR, "creating the cache partition: %s",
                       dek_cache_status_string(status));
        return 0;
    }
    return 1;
}

/* Builds what encryption and decryption share, once; caller holds ctx->lock. */
static int prepare_locked(dekcache_provctx *ctx)
{
    if (ctx->materials_ready)
        return 1;
    if (ctx->crypto == NULL && (ctx->crypto = esdk_crypto_new(ctx->libctx, NULL)) == NULL) {
        DEKCACHE_RAISE(ctx->handle, DEKCACHE_R_INTERNAL_ERROR,
                       "fetching AES-GCM and HMAC from the application's providers");
        return 0;
    }
    if (!partition_setup(ctx))
        return 0;
    int failed = 0;
    ctx->raw_keyring = configured_raw_keyring(ctx, &failed);
    ctx->materials_ready = !failed;
    return ctx->materials_ready;
}

/* The decryption CMM, built on the first decryption only: resolving the
 * allow-list asks KMS (DescribeKey), which an encrypting process need not
 * pay. Caller holds ctx->lock. */
static int prepare_decryption_locked(dekcache_provctx *ctx)
{
    if (__atomic_load_n(&ctx->decrypt_cmm, __ATOMIC_RELAXED) != NULL)
        return 1;
    if (!prepare_locked(ctx))
        return 0;
    esdk_keyring *kms = NULL;
    if (dekcache_kms_configured(ctx) && (kms = dekcache_kms_decrypt_keyring(ctx)) == NULL)
        return 0;
    esdk_keyring *decrypt = NULL;
    if (kms != NULL && ctx->raw_keyring != NULL) {
        esdk_status status =
            esdk_multi_keyring_new(NULL, (esdk_keyring *[]){kms, ctx->raw_keyring}, 2, &decrypt);
        esdk_keyring_free(kms);
        if (status != ESDK_OK)
            return 0;
    } else {
        decrypt = kms != NULL                ? kms
                  : ctx->raw_keyring != NULL ? esdk_keyring_up_ref(ctx->raw_keyring)
                                             : NULL;
    }
    if (decrypt == NULL) {
        DEKCACHE_RAISE(ctx->handle, DEKCACHE_R_NO_KEY_CONFIGURED,
                       "configure key_id (KMS) or raw_aes_key_file / raw_rsa_key_file");
        return 0;
    }
    esdk_cmm *cmm = caching_cmm_over(ctx, decrypt, &ctx->partition);
    esdk_keyring_free(decrypt);
    /* Published once, never replaced until teardown: readers need no lock. */
    __atomic_store_n(&ctx->decrypt_cmm, cmm, __ATOMIC_RELEASE);
    return cmm != NULL;
}

/* Every message asks for its CMM, so lookups take no lock: entries are
 * appended under ctx->lock, filled before the count that publishes them,
 * and never change until teardown. */
static esdk_cmm *find_key_cmm(dekcache_provctx *ctx, const char *key_id)
{
    size_t published = __atomic_load_n(&ctx->n_key_cmms, __ATOMIC_ACQUIRE);
    for (size_t i = 0; i < published; i++) {
        if (strcmp(ctx->key_cmms[i].key_id, key_id) == 0)
            return ctx->key_cmms[i].cmm;
    }
    return NULL;
}

/* The keyring that encrypts under key_id: the raw key when key_id names it
 * (or no KMS key exists), else a KMS keyring. */
static esdk_keyring *encrypt_keyring(dekcache_provctx *ctx, const char *key_id)
{
    const dekcache_config *cfg = &ctx->config;
    int names_raw = strcmp(key_id, "") == 0 ||
                    (cfg->raw_aes_key_name != NULL && strcmp(key_id, cfg->raw_aes_key_name) == 0) ||
                    (cfg->raw_rsa_key_name != NULL && strcmp(key_id, cfg->raw_rsa_key_name) == 0);
    if (names_raw && ctx->raw_keyring != NULL)
        return esdk_keyring_up_ref(ctx->raw_keyring);
    if (names_raw) {
        DEKCACHE_RAISE(ctx->handle, DEKCACHE_R_NO_KEY_CONFIGURED,
                       "no key_id in the configuration and no key-id parameter");
        return NULL;
    }
    return dekcache_kms_encrypt_keyring(ctx, key_id);
}

/* Encryption cache IDs hash the partition, suite and context but not the
 * wrapping key, so each key gets its own partition: SHA512(P || key_id). */
static int key_partition(const dekcache_provctx *ctx, const char *key_id, dek_cache_partition *out)
{
    size_t key_len = strlen(key_id);
    size_t len = sizeof(ctx->partition.hash) + key_len;
    unsigned char *name = OPENSSL_malloc(len);
    if (name == NULL)
        return 0;
    memcpy(name, ctx->partition.hash, sizeof(ctx->partition.hash));
    memcpy(name + sizeof(ctx->partition.hash), key_id, key_len);
    int ok = dek_cache_partition_from_name(ctx->libctx, name, len, out) == DEK_CACHE_OK;
    OPENSSL_free(name);
    return ok;
}

static esdk_cmm *new_key_cmm(dekcache_provctx *ctx, const char *key_id)
{
    dek_cache_partition partition;
    if (!key_partition(ctx, key_id, &partition)) {
        DEKCACHE_RAISE(ctx->handle, DEKCACHE_R_CACHE_ERROR, "deriving the key's cache partition");
        return NULL;
    }
    esdk_keyring *keyring = encrypt_keyring(ctx, key_id);
    esdk_cmm *cmm = keyring == NULL ? NULL : caching_cmm_over(ctx, keyring, &partition);
    esdk_keyring_free(keyring);
    return cmm;
}

esdk_cmm *dekcache_encrypt_cmm(dekcache_provctx *ctx, const char *key_id)
{
    /* DEKCACHE_KEY_ID picks another key without editing the configuration
     * (decryption still only accepts keys on the allow-list). */
    if (key_id == NULL)
        key_id = secure_getenv("DEKCACHE_KEY_ID");
    if (key_id == NULL || key_id[0] == '\0')
        key_id = ctx->config.key_id != NULL ? ctx->config.key_id : "";
    esdk_cmm *cmm = find_key_cmm(ctx, key_id);
    if (cmm != NULL)
        return esdk_cmm_up_ref(cmm);
    pthread_mutex_lock(&ctx->lock);
    cmm = prepare_locked(ctx) ? find_key_cmm(ctx, key_id) : NULL;
    if (cmm != NULL) {
        esdk_cmm_up_ref(cmm);
    } else if (ctx->materials_ready && (cmm = new_key_cmm(ctx, key_id)) != NULL) {
        size_t n = ctx->n_key_cmms;
        char *copy = n < DEKCACHE_MAX_KEY_CMMS ? OPENSSL_strdup(key_id) : NULL;
        if (copy != NULL) {
            ctx->key_cmms[n].key_id = copy;
            ctx->key_cmms[n].cmm = esdk_cmm_up_ref(cmm);
            __atomic_store_n(&ctx->n_key_cmms, n + 1, __ATOMIC_RELEASE);
        }
    }
    pthread_mutex_unlock(&ctx->lock);
    return cmm;
}

esdk_cmm *dekcache_decrypt_cmm(dekcache_provctx *ctx)
{
    esdk_cmm *ready = __atomic_load_n(&ctx->decrypt_cmm, __ATOMIC_ACQUIRE);
    if (ready != NULL)
        return esdk_cmm_up_ref(ready);
    pthread_mutex_lock(&ctx->lock);
    esdk_cmm *cmm = prepare_decryption_locked(ctx) ? esdk_cmm_up_ref(ctx->decrypt_cmm) : NULL;
    pthread_mutex_unlock(&ctx->lock);
    return cmm;
}

void dekcache_materials_free(dekcache_provctx *ctx)
{
    for (size_t i = 0; i < ctx->n_key_cmms; i++) {
        esdk_cmm_free(ctx->key_cmms[i].cmm);
        OPENSSL_free(ctx->key_cmms[i].key_id);
    }
    ctx->n_key_cmms = 0;
    esdk_cmm_free(ctx->decrypt_cmm);
    esdk_keyring_free(ctx->raw_keyring);
    dekcache_kms_free(ctx);
    dek_cache_free(ctx->cache);
    ctx->cache = NULL;
    esdk_crypto_free(ctx->crypto);
    ctx->crypto = NULL;
}
