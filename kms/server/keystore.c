/* Key lookup in every KeyId form AWS accepts. */
#include "kms/server/keystore.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const kms_key *keystore_find_key(const keystore *ks, const char *id)
{
    for (size_t i = 0; i < ks->n_keys; i++)
        if (strcmp(ks->keys[i].id, id) == 0)
            return &ks->keys[i];
    return NULL;
}

static const kms_key *find_alias(const keystore *ks, const char *name)
{
    for (size_t i = 0; i < ks->n_aliases; i++)
        if (strcmp(ks->aliases[i].name, name) == 0)
            return keystore_find_key(ks, ks->aliases[i].key_id);
    return NULL;
}

/* Strips "arn:aws:kms:<region>:<account>:" when region and account are ours;
 * returns the resource part ("key/<id>" or "alias/<name>") or NULL. */
static const char *arn_resource(const keystore *ks, const char *arn)
{
    char prefix[160];
    snprintf(prefix, sizeof(prefix), "arn:aws:kms:%s:%s:", ks->region, ks->account);
    size_t n = strlen(prefix);
    return strncmp(arn, prefix, n) == 0 ? arn + n : NULL;
}

const kms_key *keystore_resolve(const keystore *ks, const char *key_id, kms_error *err)
{
    const kms_key *key = NULL;
    const char *resource = key_id;
    if (strncmp(key_id, "arn:", 4) == 0) {
        resource = arn_resource(ks, key_id);
        if (resource && strncmp(resource, "key/", 4) == 0)
            key = keystore_find_key(ks, resource + 4);
        else if (resource && strncmp(resource, "alias/", 6) == 0)
            key = find_alias(ks, resource);
    } else if (strncmp(key_id, "alias/", 6) == 0) {
        key = find_alias(ks, key_id);
    } else {
        key = keystore_find_key(ks, key_id);
    }
    if (key == NULL)
        kms_error_set(err, "NotFoundException", "Key '%.150s' does not exist", key_id);
    return key;
}

void keystore_key_arn(const keystore *ks, const kms_key *key, char *out, size_t cap)
{
    snprintf(out, cap, "arn:aws:kms:%s:%s:key/%s", ks->region, ks->account, key->id);
}

const kms_credential *keystore_find_credential(const keystore *ks, const char *access_key_id)
{
    for (size_t i = 0; i < ks->n_credentials; i++)
        if (strcmp(ks->credentials[i].access_key_id, access_key_id) == 0)
            return &ks->credentials[i];
    return NULL;
}

/* A secret string, or NULL (a copy that failed). */
static void clear_free_string(char *s)
{
    if (s != NULL)
        OPENSSL_clear_free(s, strlen(s));
}

void keystore_free(keystore *ks)
{
    for (size_t i = 0; i < ks->n_keys; i++)
        OPENSSL_secure_clear_free(ks->keys[i].material, KMS_MASTER_KEY_LEN);
    for (size_t i = 0; i < ks->n_credentials; i++) {
        clear_free_string(ks->credentials[i].secret_access_key);
        clear_free_string(ks->credentials[i].session_token);
    }
    free(ks->keys);
    free(ks->aliases);
    free(ks->credentials);
    memset(ks, 0, sizeof(*ks));
}
