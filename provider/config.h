#ifndef DEKCACHE_PROVIDER_CONFIG_H
#define DEKCACHE_PROVIDER_CONFIG_H

#include <openssl/core.h>
#include <openssl/core_dispatch.h>
#include <stdint.h>

#include "provider/config_list.h"

/* Commitment policies as the ESDK names them. */
typedef enum {
    DEKCACHE_COMMIT_REQUIRE_ENCRYPT_REQUIRE_DECRYPT = 0,
    DEKCACHE_COMMIT_REQUIRE_ENCRYPT_ALLOW_DECRYPT,
    DEKCACHE_COMMIT_FORBID_ENCRYPT_ALLOW_DECRYPT,
} dekcache_commitment_policy;

/* raw_rsa_padding values, in the order config.c lists their names. */
typedef enum {
    DEKCACHE_RSA_OAEP_SHA1 = 0,
    DEKCACHE_RSA_OAEP_SHA256,
    DEKCACHE_RSA_OAEP_SHA384,
    DEKCACHE_RSA_OAEP_SHA512,
    DEKCACHE_RSA_PKCS1,
} dekcache_rsa_padding;

/* The provider's settings from its openssl.cnf section (every key is
 * documented with default and range in openssl.cnf.example). Strings are
 * owned copies; NULL means unset. Lists are split here; empty means unset. */
typedef struct {
    char *kms_endpoint;
    char *region;
    char *key_id;
    dekcache_list decrypt_keys;       /* allow-list of key ARNs/aliases */
    int discovery;                    /* 0/1 */
    dekcache_list discovery_accounts; /* AWS account IDs */
    char *discovery_partition;
    uint64_t algorithm_suite;
    uint64_t frame_length;
    uint64_t max_encrypted_data_keys; /* 0 = no limit, as in the ESDKs */
    uint64_t commitment_policy;       /* dekcache_commitment_policy */
    uint64_t cache_capacity;
    uint64_t cache_max_age; /* seconds */
    uint64_t cache_max_messages;
    uint64_t cache_max_bytes;
    char *cache_partition;
    uint64_t cache_stripes; /* 0 = sized to the machine */
    uint64_t kms_timeout_ms;
    uint64_t kms_max_attempts;
    char *ca_file;
    char *raw_aes_key_file; /* offline wrapping keys */
    char *raw_aes_key_namespace;
    char *raw_aes_key_name;
    char *raw_rsa_key_file;
    char *raw_rsa_key_namespace;
    char *raw_rsa_key_name;
    uint64_t raw_rsa_padding; /* dekcache_rsa_padding */
    /* Not from the section: DEKCACHE_KEY_ID as it was when the instance
     * loaded (NULL when unset or empty). It names the default ENCRYPTION
     * key only; the decryption allow-list stays key_id + decrypt_keys. */
    char *env_key_id;
} dekcache_config;

/* Reads and validates every key (and DEKCACHE_KEY_ID); on a bad value raises
 * DEKCACHE_R_BAD_CONFIGURATION naming the key, the value and the allowed
 * range, and returns 0. */
int dekcache_config_load(dekcache_config *config, const OSSL_CORE_HANDLE *handle,
                         OSSL_FUNC_core_get_params_fn *get_params);

void dekcache_config_free(dekcache_config *config);

#endif
