/* The server's keys, aliases, identity (region, account) and accepted
 * credentials, loaded from a JSON file or the built-in defaults. Read-only
 * after loading, so request threads share it without locks. */
#ifndef DEKCACHE_KMS_SERVER_KEYSTORE_H
#define DEKCACHE_KMS_SERVER_KEYSTORE_H

#include "kms/server/kms_error.h"

#include <stddef.h>

#define KMS_KEY_ID_MAX     64
#define KMS_MASTER_KEY_LEN 32
#define KMS_NAME_MAX       256

typedef struct {
    char id[KMS_KEY_ID_MAX + 1];
    char description[KMS_NAME_MAX];
    int enabled;
    long long creation_date; /* seconds since the epoch */
    unsigned char *material; /* KMS_MASTER_KEY_LEN bytes, secure heap */
} kms_key;

typedef struct {
    char name[KMS_NAME_MAX]; /* "alias/..." */
    char key_id[KMS_KEY_ID_MAX + 1];
} kms_alias;

typedef struct {
    char access_key_id[129];
    char *secret_access_key;
    char *session_token; /* NULL when none */
    int expired;         /* requests get ExpiredTokenException (tests of renewal) */
} kms_credential;

typedef struct {
    char region[64];
    char account[32];
    kms_key *keys;
    size_t n_keys;
    kms_alias *aliases;
    size_t n_aliases;
    kms_credential *credentials;
    size_t n_credentials;
} keystore;

/* The built-in default: one key, one alias, one credential (kms_local_defaults.h). */
int keystore_load_defaults(keystore *ks, char *detail, size_t detail_cap);
/* Loads a config file (format in kms/README.md). Returns 0 or -1 with detail set. */
int keystore_load_file(keystore *ks, const char *path, char *detail, size_t detail_cap);
/* Parses config JSON text (what keystore_load_file reads). */
int keystore_load_json(keystore *ks, const char *text, char *detail, size_t detail_cap);
void keystore_free(keystore *ks);

/* Resolves a KeyId in any AWS form (id, key ARN, alias/name, alias ARN).
 * Unknown keys, aliases, malformed ARNs or ARNs of another region/account
 * are NotFoundException. Does not check enabled. */
const kms_key *keystore_resolve(const keystore *ks, const char *key_id, kms_error *err);
/* Looks up a key by its bare id; NULL when absent. */
const kms_key *keystore_find_key(const keystore *ks, const char *id);
/* "arn:aws:kms:<region>:<account>:key/<id>" */
void keystore_key_arn(const keystore *ks, const kms_key *key, char *out, size_t cap);
const kms_credential *keystore_find_credential(const keystore *ks, const char *access_key_id);

#endif
