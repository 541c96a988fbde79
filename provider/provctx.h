#ifndef DEKCACHE_PROVIDER_PROVCTX_H
#define DEKCACHE_PROVIDER_PROVCTX_H

#include <openssl/core.h>
#include <openssl/types.h>
#include <pthread.h>
#include <sys/types.h>

#include "cache/dek_cache.h"
#include "cache/dek_cache_id.h"
#include "message/cmm.h"
#include "message/crypto.h"
#include "provider/config.h"

/* A CMM built for one wrapping key named by the application. */
typedef struct {
    char *key_id;
    esdk_cmm *cmm;
    char *key_arn; /* the KMS key its keyring resolved key_id to; NULL: a raw key */
} dekcache_key_cmm;

#define DEKCACHE_MAX_KEY_CMMS 64

/* A CMM being built (cmm_table.c). */
typedef struct dekcache_build dekcache_build;

/* One provider instance: openssl.cnf may load the module under several
 * section names, each with its own configuration, cache and context. */
typedef struct dekcache_provctx {
    const OSSL_CORE_HANDLE *handle;
    /* A child of the library context that loaded us: all our crypto runs on
     * the providers the application chose, never on the default context. */
    OSSL_LIB_CTX *libctx;
    dekcache_config config;
    /* "provider=<name this instance was loaded as>", so -propquery picks it. */
    char *property;
    OSSL_ALGORITHM ciphers[2];
    OSSL_ALGORITHM keymgmt[2];
    OSSL_ALGORITHM stores[2];
    OSSL_ALGORITHM asym_ciphers[2];
    dek_cache *cache;
    dek_cache_partition partition;

    /* Built on first use (so `openssl list` needs no keys). The lock guards
     * what is being built (builds) and the publishing of the results; the
     * builds themselves run without it (cmm_table.h). */
    pthread_mutex_t lock;
    dekcache_build *builds;
    pid_t builds_pid;         /* the process that last looked at builds (cmm_table.c) */
    pthread_mutex_t kms_lock; /* creating the KMS client */
    int materials_ready;
    esdk_crypto *crypto; /* the message library's fetches from libctx */
    struct kms_client *kms;
    esdk_keyring *raw_keyring; /* raw AES and/or RSA keys from the configuration */
    esdk_cmm *decrypt_cmm;
    dekcache_key_cmm key_cmms[DEKCACHE_MAX_KEY_CMMS];
    size_t n_key_cmms;
} dekcache_provctx;

#endif
