/* Built-in defaults of dekcache-kms-local, used when no --config file is
 * given. They are public test values (documented in kms/README.md), not
 * secrets: anyone can decrypt what the default key encrypts. */
#ifndef DEKCACHE_KMS_LOCAL_DEFAULTS_H
#define DEKCACHE_KMS_LOCAL_DEFAULTS_H

#define KMS_LOCAL_DEFAULT_HOST          "127.0.0.1"
#define KMS_LOCAL_DEFAULT_PORT          8710
#define KMS_LOCAL_DEFAULT_REGION        "us-east-1"
#define KMS_LOCAL_DEFAULT_ACCOUNT       "111122223333"
#define KMS_LOCAL_DEFAULT_KEY_ID        "1234abcd-12ab-34cd-56ef-1234567890ab"
#define KMS_LOCAL_DEFAULT_ALIAS         "alias/dekcache-local"
#define KMS_LOCAL_DEFAULT_SEED          "dekcache-kms-local public default seed"
#define KMS_LOCAL_DEFAULT_ACCESS_KEY_ID "AKIDEKCACHELOCAL"
#define KMS_LOCAL_DEFAULT_SECRET_KEY    "dekcache-local-secret-access-key"
#define KMS_LOCAL_DEFAULT_MAX_SKEW_S    900
#define KMS_LOCAL_CONTROL_PREFIX        "/_control/"

#endif
