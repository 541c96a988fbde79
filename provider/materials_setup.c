#include "provider/materials_setup.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "materials/caching_cmm.h"
#include "message/raw_aes_keyring.h"
#include "message/raw_rsa_keyring.h"
#include "message/rsa_private_key.h"
#include "provider/errors.h"
#include "provider/kms_setup.h"

#define NS_PER_S UINT64_C(1000000000)

int dekcache_cache_setup(dekcache_provctx *ctx)
{
    const dekcache_config *cfg = &ctx->config;
    /* A waiter waits at least as long as one KMS operation of the leader may
     * take (its deadline, retries included) and a second more, and never less
     * than the cache's 10 s default; a flight older than that is abandoned. A
     * fixed 10 s failed waiters of a slow but live call when kms_timeout_ms is
     * longer. (A decryption trying several EDKs makes one operation per EDK.) */
    uint64_t wait_ms = cfg->kms_timeout_ms + 1000u;
    dek_cache_config cache_cfg = {
        .capacity = (size_t)cfg->cache_capacity,
        .stripes = (unsigned)cfg->cache_stripes,
        .wait_timeout_ms = (uint32_t)(wait_ms > 10000u ? wait_ms : 10000u),
    };
    char detail[160] = "";
    if (dek_cache_new(&cache_cfg, &ctx->cache, detail, sizeof(detail)) != DEK_CACHE_OK) {
        DEKCACHE_RAISE(ctx->handle, DEKCACHE_R_CACHE_ERROR, "creating the cache: %s", detail);
        return 0;
    }
    return 1;
}

#define KEY_FILE_MAX 65536

/* A key file's bytes in memory that is cleansed on free; `alloc` is the
 * allocation's size (one byte more than the file, so the text ends in NUL). */
typedef struct {
    unsigned char *data;
    size_t len;
    size_t alloc;
} key_file;

static void free_key_file(key_file *file)
{
    OPENSSL_secure_clear_free(file->data, file->alloc);
    *file = (key_file){NULL, 0, 0};
}

/* Reads until `cap` bytes or end of file; -1 on a read error. */
static ssize_t read_fully(int fd, unsigned char *buf, size_t cap)
{
    size_t got = 0;
    while (got < cap) {
        ssize_t n = read(fd, buf + got, cap - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

/* Reads a whole (small) key file; 0 after raising an error. read(2) puts
 * the bytes straight into cleansed memory: stdio would keep a copy in its
 * buffer and free it uncleansed at fclose. */
static int read_key_file(dekcache_provctx *ctx, const char *path, key_file *out)
{
    *out = (key_file){NULL, 0, 0};
    /* O_NONBLOCK: a FIFO named as a key file is refused below, not waited on. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        DEKCACHE_RAISE(ctx->handle, DEKCACHE_R_BAD_CONFIGURATION, "cannot open key file %s: %s",
                       path, strerror(errno));
        return 0;
    }
    struct stat st;
    const char *problem = NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        problem = "is not a regular file";
    else if (st.st_size > KEY_FILE_MAX)
        problem = "is larger than 64 KiB";
    if (problem != NULL) {
        close(fd);
        DEKCACHE_RAISE(ctx->handle, DEKCACHE_R_BAD_CONFIGURATION, "key file %s %s", path, problem);
        return 0;
    }
    out->alloc = (size_t)st.st_size + 1;
    if ((out->data = OPENSSL_secure_zalloc(out->alloc)) == NULL) {
        close(fd);
        DEKCACHE_RAISE(ctx->handle, DEKCACHE_R_MALLOC_FAILURE,
                       "allocating %zu bytes for key file %s", out->alloc, path);
        return 0;
    }
    /* Asking for one byte more than the file holds catches a file that grew. */
    ssize_t got = read_fully(fd, out->data, out->alloc);
    int read_errno = errno;
    close(fd);
    if (got != (ssize_t)st.st_size) {
        DEKCACHE_RAISE(ctx->handle, DEKCACHE_R_BAD_CONFIGURATION,
                       "key file %s could not be read whole: %s", path,
                       got < 0 ? strerror(read_errno) : "it changed size");
        free_key_file(out);
        return 0;
    }
    out->len = (size_t)got;
    return 1;
}

static esdk_keyring *raw_aes_keyring(dekcache_provctx *ctx)
{
    const dekcache_config *cfg = &ctx->config;
    key_file key;
    if (!read_key_file(ctx, cfg->raw_aes_key_file, &key))
        return NULL;
    esdk_keyring *keyring = NULL;
    esdk_status status = esdk_raw_aes_keyring_new(
        ctx->crypto, cfg->raw_aes_key_namespace != NULL ? cfg->raw_aes_key_namespace : "dekcache",
        cfg->raw_aes_key_name != NULL ? cfg->raw_aes_key_name : "raw-aes", key.data, key.len,
        &keyring);
    free_key_file(&key);
    if (status != ESDK_OK)
        DEKCACHE_RAISE(ctx->handle, DEKCACHE_R_BAD_CONFIGURATION,
                       "raw_aes_key_file %s: %s (a 16, 24 or 32 byte key is required)",
                       cfg->raw_aes_key_file, esdk_status_string(status));
    return keyring;
}

static esdk_keyring *raw_rsa_keyring(dekcache_provctx *ctx)
{
    /* Indexed by dekcache_rsa_padding: config.c accepted only these. */
    static const esdk_rsa_padding paddings[] = {
        [DEKCACHE_RSA_OAEP_SHA1] = ESDK_RSA_OAEP_SHA1,
        [DEKCACHE_RSA_OAEP_SHA256] = ESDK_RSA_OAEP_SHA256,
        [DEKCACHE_RSA_OAEP_SHA384] = ESDK_RSA_OAEP_SHA384,
        [DEKCACHE_RSA_OAEP_SHA512] = ESDK_RSA_OAEP_SHA512,
        [DEKCACHE_RSA_PKCS1] = ESDK_RSA_PKCS1,
    };
    const dekcache_config *cfg = &ctx->config;
    key_file pem;
    if (!read_key_file(ctx, cfg->raw_rsa_key_file, &pem))
        return NULL;
    EVP_PKEY *private_key = NULL, *public_key = NULL;
    const char *text = (const char *)pem.data;
    char why[160] = "no PEM RSA key";
    /* A file with a private key must yield it: falling back to a public key
     * beside it would leave an instance that cannot decrypt, silently. */
    esdk_status st = strstr(text, "PRIVATE KEY-----") != NULL
                         ? esdk_rsa_private_key_from_pem(ctx->crypto, text, pem.len, &private_key,
                                                         why, sizeof(why))
                         : esdk_rsa_key_from_pem(ctx->crypto, text, pem.len, 0, &public_key);
    free_key_file(&pem);
    if (st != ESDK_OK) {
        DEKCACHE_RAISE(ctx->handle, DEKCACHE_R_BAD_CONFIGURATION, "raw_rsa_key_file %s: %s",
                       cfg->raw_rsa_key_file, why);
        return NULL;
    }
    esdk_keyring *keyring = NULL;
    esdk_status status = esdk_raw_rsa_keyring_new(
        ctx->crypto, cfg->raw_rsa_key_namespace != NULL ? cfg->raw_rsa_key_namespace : "dekcache",
        cfg->raw_rsa_key_name != NULL ? cfg->raw_rsa_key_name : "raw-rsa",
        paddings[cfg->raw_rsa_padding], public_key != NULL ? public_key : private_key, private_key,
        &keyring);
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

int dekcache_materials_prepare_locked(dekcache_provctx *ctx)
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

esdk_cmm *dekcache_new_decrypt_cmm(dekcache_provctx *ctx)
{
    esdk_keyring *kms = NULL;
    if (dekcache_kms_configured(ctx) && (kms = dekcache_kms_decrypt_keyring(ctx)) == NULL)
        return NULL;
    esdk_keyring *decrypt = NULL;
    if (kms != NULL && ctx->raw_keyring != NULL) {
        esdk_status status =
            esdk_multi_keyring_new(NULL, (esdk_keyring *[]){kms, ctx->raw_keyring}, 2, &decrypt);
        esdk_keyring_free(kms);
        if (status != ESDK_OK) {
            DEKCACHE_RAISE(ctx->handle, DEKCACHE_R_INTERNAL_ERROR,
                           "combining the KMS and raw keyrings for decryption: %s",
                           esdk_status_string(status));
            return NULL;
        }
    } else {
        decrypt = kms != NULL                ? kms
                  : ctx->raw_keyring != NULL ? esdk_keyring_up_ref(ctx->raw_keyring)
                                             : NULL;
    }
    if (decrypt == NULL) {
        DEKCACHE_RAISE(ctx->handle, DEKCACHE_R_NO_KEY_CONFIGURED,
                       "configure key_id (KMS) or raw_aes_key_file / raw_rsa_key_file");
        return NULL;
    }
    esdk_cmm *cmm = caching_cmm_over(ctx, decrypt, &ctx->partition);
    esdk_keyring_free(decrypt);
    return cmm;
}

/* The keyring that encrypts under key_id: the raw key when key_id names it
 * (or no KMS key exists), else a KMS keyring. */
int dekcache_names_raw_key(const dekcache_provctx *ctx, const char *key_id)
{
    const dekcache_config *cfg = &ctx->config;
    return strcmp(key_id, "") == 0 ||
           (cfg->raw_aes_key_name != NULL && strcmp(key_id, cfg->raw_aes_key_name) == 0) ||
           (cfg->raw_rsa_key_name != NULL && strcmp(key_id, cfg->raw_rsa_key_name) == 0);
}

static esdk_keyring *encrypt_keyring(dekcache_provctx *ctx, const char *key_id, char **key_arn)
{
    int names_raw = dekcache_names_raw_key(ctx, key_id);
    if (names_raw && ctx->raw_keyring != NULL)
        return esdk_keyring_up_ref(ctx->raw_keyring);
    if (names_raw) {
        DEKCACHE_RAISE(ctx->handle, DEKCACHE_R_NO_KEY_CONFIGURED,
                       "no key_id in the configuration and no key-id parameter");
        return NULL;
    }
    return dekcache_kms_encrypt_keyring(ctx, key_id, key_arn);
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

esdk_cmm *dekcache_new_encrypt_cmm(dekcache_provctx *ctx, const char *key_id, char **key_arn)
{
    dek_cache_partition partition;
    if (!key_partition(ctx, key_id, &partition)) {
        DEKCACHE_RAISE(ctx->handle, DEKCACHE_R_CACHE_ERROR, "deriving the key's cache partition");
        return NULL;
    }
    esdk_keyring *keyring = encrypt_keyring(ctx, key_id, key_arn);
    esdk_cmm *cmm = keyring == NULL ? NULL : caching_cmm_over(ctx, keyring, &partition);
    esdk_keyring_free(keyring);
    return cmm;
}

const char *dekcache_resolve_key_id(const dekcache_provctx *ctx, const char *requested)
{
    const dekcache_config *cfg = &ctx->config;
    if (requested != NULL && requested[0] != '\0')
        return requested;
    if (cfg->env_key_id != NULL)
        return cfg->env_key_id;
    return cfg->key_id != NULL ? cfg->key_id : "";
}

void dekcache_materials_free(dekcache_provctx *ctx)
{
    for (size_t i = 0; i < ctx->n_key_cmms; i++) {
        esdk_cmm_free(ctx->key_cmms[i].cmm);
        OPENSSL_free(ctx->key_cmms[i].key_id);
        OPENSSL_free(ctx->key_cmms[i].key_arn);
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
