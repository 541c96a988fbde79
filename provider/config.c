#include "provider/config.h"

#include "cache/dek_cache.h"
#include "kms/client/kms_arn.h"
#include "kms/client/kms_client.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/params.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "provider/errors.h"
#include "provider/message_params.h"

typedef enum { KEY_STRING, KEY_LIST, KEY_UINT, KEY_BOOL, KEY_CHOICE } key_kind;

/* One configuration key: where it lives in dekcache_config, its default and
 * what values it accepts. */
typedef struct {
    const char *name;
    key_kind kind;
    size_t offset;
    uint64_t default_value;
    uint64_t min;
    uint64_t max;
    const char *const *choices; /* KEY_CHOICE: index is the stored value */
    /* KEY_STRING: an optional check, and what it allows (for the error);
     * KEY_LIST: the same, for each item. */
    int (*valid)(const char *value);
    const char *allowed;
} config_key;

/* Indexed by dekcache_commitment_policy. */
static const char *const commitment_policies[] = {"require-encrypt-require-decrypt",
                                                  "require-encrypt-allow-decrypt",
                                                  "forbid-encrypt-allow-decrypt", NULL};

/* Indexed by dekcache_rsa_padding. */
static const char *const rsa_paddings[] = {"oaep-sha1",   "oaep-sha256", "oaep-sha384",
                                           "oaep-sha512", "pkcs1",       NULL};

#define STR(field)                                                                                 \
    {                                                                                              \
#field, KEY_STRING, offsetof(dekcache_config, field), 0, 0, 0, NULL, NULL, NULL            \
    }
#define CHECKED(field, check, text)                                                                \
    {                                                                                              \
#field, KEY_STRING, offsetof(dekcache_config, field), 0, 0, 0, NULL, check, text           \
    }
#define LIST(field, item_check, text)                                                              \
    {                                                                                              \
#field, KEY_LIST, offsetof(dekcache_config, field), 0, 0, 0, NULL, item_check, text        \
    }
#define UINT(field, def, lo, hi)                                                                   \
    {                                                                                              \
#field, KEY_UINT, offsetof(dekcache_config, field), def, lo, hi, NULL, NULL, NULL          \
    }

/* Checked at load so that a typo fails there, naming the key, rather than
 * at the first message. Files are checked, not read: key material is read
 * only when first needed. */

static int is_account_id(const char *v)
{
    return strlen(v) == 12 && strspn(v, "0123456789") == 12;
}

/* Partitions are named like regions but never start with a digit. */
static int is_partition(const char *v)
{
    return kms_region_name_ok(v) && !(v[0] >= '0' && v[0] <= '9');
}

static int stat_readable_file(const char *v, struct stat *st)
{
    return stat(v, st) == 0 && S_ISREG(st->st_mode) && access(v, R_OK) == 0;
}

static int is_readable_file(const char *v)
{
    struct stat st;
    return stat_readable_file(v, &st);
}

static int is_aes_key_file(const char *v)
{
    struct stat st;
    return stat_readable_file(v, &st) && (st.st_size == 16 || st.st_size == 24 || st.st_size == 32);
}

static const config_key config_keys[] = {
    CHECKED(kms_endpoint, kms_client_endpoint_ok,
            "an http:// or https:// URL with no path, query or user info"),
    CHECKED(region, kms_region_name_ok, "an AWS region name such as us-east-1"),
    STR(key_id),
    LIST(decrypt_keys, NULL, "1 to 64 comma-separated key IDs, ARNs or aliases"),
    {"discovery", KEY_BOOL, offsetof(dekcache_config, discovery), 0, 0, 1, NULL, NULL, NULL},
    LIST(discovery_accounts, is_account_id, "1 to 64 comma-separated 12-digit AWS account IDs"),
    CHECKED(discovery_partition, is_partition, "an AWS partition such as aws or aws-cn"),
    UINT(algorithm_suite, 0x0478, 0x0478, 0x0578),
    UINT(frame_length, DEKCACHE_CIPHER_FRAME_MAX, DEKCACHE_CIPHER_FRAME_MIN,
         DEKCACHE_CIPHER_FRAME_MAX),
    UINT(max_encrypted_data_keys, 0, 0, 65535),
    {"commitment_policy", KEY_CHOICE, offsetof(dekcache_config, commitment_policy), 0, 0, 2,
     commitment_policies, NULL, NULL},
    UINT(cache_capacity, 1000, 1, 10000000),
    UINT(cache_max_age, 300, 1, 86400 * 365),
    UINT(cache_max_messages, 1000, 1, UINT64_C(4294967296)),
    UINT(cache_max_bytes, INT64_MAX, 1, INT64_MAX),
    STR(cache_partition),
    UINT(cache_stripes, 0, 0, DEK_CACHE_MAX_STRIPES),
    UINT(kms_timeout_ms, 10000, 1, 600000),
    UINT(kms_max_attempts, 3, 1, 10),
    CHECKED(ca_file, is_readable_file, "a readable file"),
    CHECKED(raw_aes_key_file, is_aes_key_file, "a readable file of 16, 24 or 32 bytes"),
    STR(raw_aes_key_namespace),
    STR(raw_aes_key_name),
    CHECKED(raw_rsa_key_file, is_readable_file, "a readable PEM file"),
    STR(raw_rsa_key_namespace),
    STR(raw_rsa_key_name),
    {"raw_rsa_padding", KEY_CHOICE, offsetof(dekcache_config, raw_rsa_padding),
     DEKCACHE_RSA_OAEP_SHA256, 0, DEKCACHE_RSA_PKCS1, rsa_paddings, NULL, NULL},
};

#define N_KEYS (sizeof(config_keys) / sizeof(config_keys[0]))

static int bad_value(const OSSL_CORE_HANDLE *handle, const config_key *key, const char *value,
                     const char *allowed)
{
    char shown[1024]; /* the endpoint URL's password stays out of the message */
    if (key->offset == offsetof(dekcache_config, kms_endpoint))
        kms_client_endpoint_redact(value, shown, sizeof(shown));
    else
        snprintf(shown, sizeof(shown), "%s", value);
    DEKCACHE_RAISE(handle, DEKCACHE_R_BAD_CONFIGURATION,
                   "invalid configuration value: %s = \"%s\": allowed %s", key->name, shown,
                   allowed);
    return 0;
}

/* Decimal, or hexadecimal after "0x" (suite IDs are written that way); never
 * octal, so "010" is ten as a reader expects. */
static int parse_uint(const config_key *key, const char *value, uint64_t *out)
{
    if (value[0] < '0' || value[0] > '9')
        return 0;
    int hex = value[0] == '0' && (value[1] == 'x' || value[1] == 'X');
    char *end = NULL;
    errno = 0;
    unsigned long long parsed = strtoull(value, &end, hex ? 16 : 10);
    if (errno != 0 || end == value || *end != '\0')
        return 0;
    if (parsed < key->min || parsed > key->max)
        return 0;
    *out = parsed;
    return 1;
}

static int parse_bool(const char *value, uint64_t *out)
{
    static const char *const yes[] = {"1", "yes", "true", "on", NULL};
    static const char *const no[] = {"0", "no", "false", "off", NULL};
    for (size_t i = 0; yes[i] != NULL; i++) {
        if (OPENSSL_strcasecmp(value, yes[i]) == 0) {
            *out = 1;
            return 1;
        }
        if (OPENSSL_strcasecmp(value, no[i]) == 0) {
            *out = 0;
            return 1;
        }
    }
    return 0;
}

static int parse_choice(const config_key *key, const char *value, uint64_t *out)
{
    for (uint64_t i = 0; key->choices[i] != NULL; i++) {
        if (OPENSSL_strcasecmp(value, key->choices[i]) == 0) {
            *out = i;
            return 1;
        }
    }
    return 0;
}

static void describe_range(const config_key *key, char *buf, size_t len)
{
    switch (key->kind) {
    case KEY_UINT:
        snprintf(buf, len, "an integer from %llu to %llu", (unsigned long long)key->min,
                 (unsigned long long)key->max);
        break;
    case KEY_BOOL:
        snprintf(buf, len, "yes/no, true/false, on/off or 1/0");
        break;
    case KEY_CHOICE: {
        size_t used = (size_t)snprintf(buf, len, "one of");
        for (size_t i = 0; key->choices[i] != NULL && used < len; i++)
            used +=
                (size_t)snprintf(buf + used, len - used, "%s %s", i ? "," : "", key->choices[i]);
        break;
    }
    case KEY_STRING:
    case KEY_LIST:
        snprintf(buf, len, "%s", key->allowed != NULL ? key->allowed : "a non-empty string");
        break;
    }
}

/* At least one item, at most DEKCACHE_MAX_LIST_ITEMS, each passing the check. */
static int store_list(const config_key *key, const char *value, dekcache_list *list,
                      const OSSL_CORE_HANDLE *handle)
{
    dekcache_list_status status = dekcache_list_split(value, list);
    if (status == DEKCACHE_LIST_NO_MEMORY) {
        DEKCACHE_RAISE(handle, DEKCACHE_R_MALLOC_FAILURE, "copying %s", key->name);
        return 0;
    }
    int ok = status == DEKCACHE_LIST_OK && list->n > 0;
    for (size_t i = 0; ok && key->valid != NULL && i < list->n; i++)
        ok = key->valid(list->items[i]);
    if (ok)
        return 1;
    dekcache_list_free(list);
    return bad_value(handle, key, value, key->allowed);
}

static int store_value(dekcache_config *config, const config_key *key, const char *value,
                       const OSSL_CORE_HANDLE *handle)
{
    char *field = (char *)config + key->offset;
    uint64_t number = 0;
    int ok = 0;
    switch (key->kind) {
    case KEY_STRING:
        if (value[0] == '\0' || (key->valid != NULL && !key->valid(value)))
            break;
        *(char **)field = OPENSSL_strdup(value);
        if (*(char **)field == NULL) {
            DEKCACHE_RAISE(handle, DEKCACHE_R_MALLOC_FAILURE, "copying %s", key->name);
            return 0;
        }
        return 1;
    case KEY_LIST:
        return store_list(key, value, (dekcache_list *)field, handle);
    case KEY_UINT:
        ok = parse_uint(key, value, &number);
        break;
    case KEY_BOOL:
        ok = parse_bool(value, &number);
        break;
    case KEY_CHOICE:
        ok = parse_choice(key, value, &number);
        break;
    }
    if (!ok) {
        char allowed[256];
        describe_range(key, allowed, sizeof(allowed));
        return bad_value(handle, key, value, allowed);
    }
    if (key->kind == KEY_BOOL)
        *(int *)field = (int)number;
    else
        *(uint64_t *)field = number;
    return 1;
}

static void set_defaults(dekcache_config *config)
{
    memset(config, 0, sizeof(*config));
    for (size_t i = 0; i < N_KEYS; i++) {
        char *field = (char *)config + config_keys[i].offset;
        if (config_keys[i].kind == KEY_BOOL)
            *(int *)field = (int)config_keys[i].default_value;
        else if (config_keys[i].kind != KEY_STRING && config_keys[i].kind != KEY_LIST)
            *(uint64_t *)field = config_keys[i].default_value;
    }
}

static int check_consistency(const dekcache_config *config, const OSSL_CORE_HANDLE *handle)
{
    if (config->algorithm_suite != 0x0478 && config->algorithm_suite != 0x0578) {
        DEKCACHE_RAISE(
            handle, DEKCACHE_R_BAD_CONFIGURATION,
            "invalid configuration value: algorithm_suite = 0x%04llx: allowed 0x0478 or 0x0578",
            (unsigned long long)config->algorithm_suite);
        return 0;
    }
    if (!dek_cache_stripes_ok(config->cache_stripes)) {
        DEKCACHE_RAISE(handle, DEKCACHE_R_BAD_CONFIGURATION,
                       "invalid configuration value: cache_stripes = %llu: allowed 0 (automatic) "
                       "or a power of two up to %d",
                       (unsigned long long)config->cache_stripes, DEK_CACHE_MAX_STRIPES);
        return 0;
    }
    /* discovery replaces the allow-list: both set would silently widen what
     * decrypts, so the mistake is named instead. */
    if (config->discovery && config->decrypt_keys.n > 0) {
        DEKCACHE_RAISE(handle, DEKCACHE_R_BAD_CONFIGURATION,
                       "invalid configuration value: decrypt_keys with discovery = yes: allowed "
                       "one or the other (discovery accepts any key; use discovery_accounts to "
                       "limit it)");
        return 0;
    }
    return 1;
}

/* DEKCACHE_KEY_ID names another encryption key without editing the
 * configuration; read once, here, so that every message and every key
 * reference of this instance sees the same default. */
static int read_env_key_id(dekcache_config *config, const OSSL_CORE_HANDLE *handle)
{
    const char *env = secure_getenv("DEKCACHE_KEY_ID");
    if (env == NULL || env[0] == '\0')
        return 1;
    if ((config->env_key_id = OPENSSL_strdup(env)) == NULL) {
        DEKCACHE_RAISE(handle, DEKCACHE_R_MALLOC_FAILURE, "copying DEKCACHE_KEY_ID");
        return 0;
    }
    return 1;
}

int dekcache_config_load(dekcache_config *config, const OSSL_CORE_HANDLE *handle,
                         OSSL_FUNC_core_get_params_fn *get_params)
{
    const char *values[N_KEYS] = {0};
    OSSL_PARAM request[N_KEYS + 1];
    for (size_t i = 0; i < N_KEYS; i++)
        request[i] = OSSL_PARAM_construct_utf8_ptr(config_keys[i].name, (char **)&values[i], 0);
    request[N_KEYS] = OSSL_PARAM_construct_end();

    set_defaults(config);
    if (get_params != NULL && !get_params(handle, request)) {
        DEKCACHE_RAISE(handle, DEKCACHE_R_BAD_CONFIGURATION, "cannot read the provider section");
        return 0;
    }
    for (size_t i = 0; i < N_KEYS; i++) {
        if (values[i] != NULL && !store_value(config, &config_keys[i], values[i], handle)) {
            dekcache_config_free(config);
            return 0;
        }
    }
    if (!check_consistency(config, handle) || !read_env_key_id(config, handle)) {
        dekcache_config_free(config);
        return 0;
    }
    return 1;
}

void dekcache_config_free(dekcache_config *config)
{
    for (size_t i = 0; i < N_KEYS; i++) {
        char *field = (char *)config + config_keys[i].offset;
        if (config_keys[i].kind == KEY_STRING) {
            OPENSSL_free(*(char **)field);
            *(char **)field = NULL;
        } else if (config_keys[i].kind == KEY_LIST) {
            dekcache_list_free((dekcache_list *)field);
        }
    }
    OPENSSL_free(config->env_key_id);
    config->env_key_id = NULL;
}
