/* Loading the keystore from the JSON config file or the built-in defaults.
 * Key material is given in the file (base64) or derived from its seed, so
 * ciphertexts survive restarts. */
#include "kms/base64/base64.h"
#include "kms/json/json_member.h"
#include "kms/json/json_secret.h"
#include "kms/server/keystore.h"
#include "kms/server/kms_local_defaults.h"

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CONFIG_BYTES (1 << 20)
#define MAX_ENTRIES      1024

static int fail(char *detail, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *detail, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (detail && cap)
        vsnprintf(detail, cap, fmt, ap);
    va_end(ap);
    return -1;
}

static int valid_key_id(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > KMS_KEY_ID_MAX)
        return 0;
    for (; *id; id++)
        if (!(*id == '-' || (*id >= '0' && *id <= '9') || (*id >= 'a' && *id <= 'z') ||
              (*id >= 'A' && *id <= 'Z')))
            return 0;
    return 1;
}

/* material = HMAC-SHA256(seed, "dekcache-kms-local key/" + id) */
static int derive_material(const char *seed, const char *id, unsigned char *out)
{
    char label[KMS_KEY_ID_MAX + 32];
    unsigned int len = 0;
    snprintf(label, sizeof(label), "dekcache-kms-local key/%s", id);
    return HMAC(EVP_sha256(), seed, (int)strlen(seed), (const unsigned char *)label, strlen(label),
                out, &len) != NULL &&
           len == KMS_MASTER_KEY_LEN;
}

/* The config file is our own format: a member set to null, or to a value of
 * the wrong type, is a mistake to name, never a default to fall back on
 * (a mistyped "material" would otherwise quietly derive one from the seed). */
static json_member_status member(json_object *o, const char *name, json_type type,
                                 json_object **out)
{
    return json_member_get(o, name, type, JSON_MEMBER_NULL_IS_WRONG_TYPE, out);
}

/* NULL when absent or of another type: the caller's message says what it needs. */
static const char *required_string(json_object *o, const char *name)
{
    const char *text;
    json_member_string(o, name, JSON_MEMBER_NULL_IS_WRONG_TYPE, &text, NULL);
    return text;
}

/* An optional member: *out is NULL when absent; -1 with detail naming where,
 * the member and the type it needs when it has another type. */
static int optional_member(json_object *o, const char *where, const char *name, json_type type,
                           json_object **out, char *detail, size_t cap)
{
    if (member(o, name, type, out) != JSON_MEMBER_WRONG_TYPE)
        return 0;
    return fail(detail, cap, "%s: \"%s\" must be %s", where, name, json_member_type_name(type));
}

static int optional_string(json_object *o, const char *where, const char *name, const char **out,
                           char *detail, size_t cap)
{
    json_object *v;
    int rc = optional_member(o, where, name, json_type_string, &v, detail, cap);
    *out = v != NULL ? json_object_get_string(v) : NULL;
    return rc;
}

/* An optional boolean member: *out keeps its default when absent (json-c
 * would read the string "false" as true, hence the type check). */
static int optional_bool(json_object *o, const char *where, const char *name, int *out,
                         char *detail, size_t cap)
{
    json_object *v;
    if (optional_member(o, where, name, json_type_boolean, &v, detail, cap) != 0)
        return -1;
    if (v != NULL)
        *out = json_object_get_boolean(v);
    return 0;
}

static int material_from_json(const char *b64, const char *seed, kms_key *key, char *detail,
                              size_t cap)
{
    key->material = OPENSSL_secure_zalloc(KMS_MASTER_KEY_LEN);
    if (key->material == NULL)
        return fail(detail, cap, "out of memory");
    if (b64 != NULL) {
        unsigned char *raw = NULL;
        size_t len = 0;
        int rc = kms_base64_decode_new(b64, strlen(b64), 1, KMS_MASTER_KEY_LEN, KMS_MASTER_KEY_LEN,
                                       &raw, &len);
        if (rc < 0)
            return fail(detail, cap, "out of memory");
        if (rc == 0)
            return fail(detail, cap, "key %s: material must be base64 of 32 bytes", key->id);
        memcpy(key->material, raw, KMS_MASTER_KEY_LEN);
        kms_base64_free(raw, len, 1);
        return 0;
    }
    if (seed == NULL)
        return fail(detail, cap, "key %s has no material and the file has no seed", key->id);
    return derive_material(seed, key->id, key->material)
               ? 0
               : fail(detail, cap, "key %s: derivation failed", key->id);
}

static int creation_date_from_json(json_object *k, const char *where, kms_key *key, char *detail,
                                   size_t cap)
{
    int64_t date = 1700000000LL;
    if (json_member_int_in(k, "creation_date", JSON_MEMBER_NULL_IS_WRONG_TYPE, 0, INT64_MAX,
                           &date) != 0)
        return fail(detail, cap, "%s: \"creation_date\" must be seconds since 1970", where);
    key->creation_date = (long long)date;
    return 0;
}

static int key_from_json(json_object *k, const char *seed, kms_key *key, char *detail, size_t cap)
{
    const char *id = required_string(k, "id"), *desc, *b64;
    char where[KMS_KEY_ID_MAX + 8];
    if (id == NULL || !valid_key_id(id))
        return fail(detail, cap, "keys: each key needs an \"id\" of 1-64 letters, digits, '-'");
    snprintf(key->id, sizeof(key->id), "%s", id);
    snprintf(where, sizeof(where), "key %s", key->id);
    key->enabled = 1;
    if (optional_string(k, where, "description", &desc, detail, cap) != 0 ||
        optional_bool(k, where, "enabled", &key->enabled, detail, cap) != 0 ||
        creation_date_from_json(k, where, key, detail, cap) != 0 ||
        optional_string(k, where, "material", &b64, detail, cap) != 0)
        return -1;
    snprintf(key->description, sizeof(key->description), "%s", desc ? desc : "");
    return material_from_json(b64, seed, key, detail, cap);
}

static int load_keys(keystore *ks, json_object *root, char *detail, size_t cap)
{
    json_object *arr;
    const char *seed;
    if (optional_string(root, "config", "seed", &seed, detail, cap) != 0)
        return -1;
    if (member(root, "keys", json_type_array, &arr) != JSON_MEMBER_FOUND)
        return fail(detail, cap, "config needs a \"keys\" array");
    size_t n = json_object_array_length(arr);
    if (n > MAX_ENTRIES)
        return fail(detail, cap, "too many keys (max %d)", MAX_ENTRIES);
    ks->keys = calloc(n ? n : 1, sizeof(*ks->keys));
    if (ks->keys == NULL)
        return fail(detail, cap, "out of memory");
    for (size_t i = 0; i < n; i++) {
        ks->n_keys = i + 1;
        if (key_from_json(json_object_array_get_idx(arr, i), seed, &ks->keys[i], detail, cap))
            return -1;
        if (keystore_find_key(ks, ks->keys[i].id) != &ks->keys[i])
            return fail(detail, cap, "key %s is listed twice", ks->keys[i].id);
    }
    return 0;
}

static int add_alias(keystore *ks, const char *name, const char *key_id, char *detail, size_t cap)
{
    if (strncmp(name, "alias/", 6) != 0 || strlen(name) < 7 || strlen(name) >= KMS_NAME_MAX)
        return fail(detail, cap, "alias '%.100s' must look like alias/<name>", name);
    if (keystore_find_key(ks, key_id) == NULL)
        return fail(detail, cap, "alias %.100s names unknown key %.80s", name, key_id);
    kms_alias *a = &ks->aliases[ks->n_aliases++];
    snprintf(a->name, sizeof(a->name), "%s", name);
    snprintf(a->key_id, sizeof(a->key_id), "%s", key_id);
    return 0;
}

/* "aliases": {"alias/name": "<key id>", ...} */
static int load_aliases(keystore *ks, json_object *root, char *detail, size_t cap)
{
    json_object *obj;
    json_member_status has = member(root, "aliases", json_type_object, &obj);
    if (has == JSON_MEMBER_ABSENT)
        return 0;
    if (has == JSON_MEMBER_WRONG_TYPE || json_object_object_length(obj) > MAX_ENTRIES)
        return fail(detail, cap, "\"aliases\" must be an object of alias name -> key id");
    ks->aliases = calloc((size_t)json_object_object_length(obj) + 1, sizeof(*ks->aliases));
    if (ks->aliases == NULL)
        return fail(detail, cap, "out of memory");
    json_object_object_foreach(obj, name, target)
    {
        if (!json_object_is_type(target, json_type_string))
            return fail(detail, cap, "alias %.100s: key id must be a string", name);
        if (add_alias(ks, name, json_object_get_string(target), detail, cap))
            return -1;
    }
    return 0;
}

/* One credential's members, all checked before any of them is stored. */
typedef struct {
    const char *access_key_id;
    const char *secret_access_key;
    const char *session_token; /* NULL: none */
    int expired;
} credential_fields;

static int credential_from_json(json_object *c, size_t i, credential_fields *f, char *detail,
                                size_t cap)
{
    char where[48];
    snprintf(where, sizeof(where), "credentials[%zu]", i);
    *f = (credential_fields){required_string(c, "access_key_id"),
                             required_string(c, "secret_access_key"), NULL, 0};
    const char *ak = f->access_key_id;
    if (!ak || !f->secret_access_key || !*ak || strlen(ak) > 128 || strchr(ak, '/'))
        return fail(detail, cap, "%s needs access_key_id and secret_access_key", where);
    return optional_string(c, where, "session_token", &f->session_token, detail, cap) != 0 ||
                   optional_bool(c, where, "expired", &f->expired, detail, cap) != 0
               ? -1
               : 0;
}

/* A failed copy is left NULL for keystore_free. */
static int add_credential(keystore *ks, const credential_fields *f)
{
    kms_credential *c = &ks->credentials[ks->n_credentials++];
    snprintf(c->access_key_id, sizeof(c->access_key_id), "%s", f->access_key_id);
    c->expired = f->expired;
    c->secret_access_key = OPENSSL_strdup(f->secret_access_key);
    c->session_token = f->session_token ? OPENSSL_strdup(f->session_token) : NULL;
    return c->secret_access_key == NULL || (f->session_token != NULL && c->session_token == NULL)
               ? -1
               : 0;
}

static int load_default_credential(keystore *ks, char *detail, size_t cap)
{
    static const credential_fields fallback = {KMS_LOCAL_DEFAULT_ACCESS_KEY_ID,
                                               KMS_LOCAL_DEFAULT_SECRET_KEY, NULL, 0};
    ks->credentials = calloc(1, sizeof(*ks->credentials));
    return ks->credentials == NULL || add_credential(ks, &fallback)
               ? fail(detail, cap, "out of memory")
               : 0;
}

static int load_credentials(keystore *ks, json_object *root, char *detail, size_t cap)
{
    json_object *arr;
    json_member_status has = member(root, "credentials", json_type_array, &arr);
    if (has == JSON_MEMBER_ABSENT)
        return load_default_credential(ks, detail, cap);
    if (has == JSON_MEMBER_WRONG_TYPE || json_object_array_length(arr) > MAX_ENTRIES)
        return fail(detail, cap, "\"credentials\" must be an array");
    size_t n = json_object_array_length(arr);
    ks->credentials = calloc(n ? n : 1, sizeof(*ks->credentials));
    if (ks->credentials == NULL)
        return fail(detail, cap, "out of memory");
    for (size_t i = 0; i < n; i++) {
        credential_fields f;
        if (credential_from_json(json_object_array_get_idx(arr, i), i, &f, detail, cap) != 0)
            return -1;
        if (add_credential(ks, &f) != 0)
            return fail(detail, cap, "out of memory");
    }
    return 0;
}

static int load_identity(keystore *ks, json_object *root, char *detail, size_t cap)
{
    const char *region, *account;
    if (optional_string(root, "config", "region", &region, detail, cap) != 0 ||
        optional_string(root, "config", "account", &account, detail, cap) != 0)
        return -1;
    region = region ? region : KMS_LOCAL_DEFAULT_REGION;
    account = account ? account : KMS_LOCAL_DEFAULT_ACCOUNT;
    if (!*region || strlen(region) >= sizeof(ks->region) || strchr(region, ':') ||
        strchr(region, '/'))
        return fail(detail, cap, "bad region");
    if (strlen(account) != 12 || strspn(account, "0123456789") != 12)
        return fail(detail, cap, "account must be 12 digits");
    snprintf(ks->region, sizeof(ks->region), "%s", region);
    snprintf(ks->account, sizeof(ks->account), "%s", account);
    return 0;
}

int keystore_load_json(keystore *ks, const char *text, char *detail, size_t detail_cap)
{
    memset(ks, 0, sizeof(*ks));
    json_object *root =
        json_secret_parse_object(text, strlen(text), JSON_TOKENER_DEFAULT_DEPTH, NULL);
    if (root == NULL)
        return fail(detail, detail_cap, "config is not a JSON object");
    int rc = load_identity(ks, root, detail, detail_cap);
    if (rc == 0)
        rc = load_keys(ks, root, detail, detail_cap);
    if (rc == 0)
        rc = load_aliases(ks, root, detail, detail_cap);
    if (rc == 0)
        rc = load_credentials(ks, root, detail, detail_cap);
    json_secret_release(root); /* secret access keys and key material */
    if (rc != 0)
        keystore_free(ks);
    return rc;
}

int keystore_load_defaults(keystore *ks, char *detail, size_t detail_cap)
{
    static const char config[] =
        "{\"seed\": \"" KMS_LOCAL_DEFAULT_SEED "\", \"keys\": [{\"id\": \"" KMS_LOCAL_DEFAULT_KEY_ID
        "\", \"description\": \"dekcache-kms-local default key\"}], \"aliases\": "
        "{\"" KMS_LOCAL_DEFAULT_ALIAS "\": \"" KMS_LOCAL_DEFAULT_KEY_ID "\"}}";
    return keystore_load_json(ks, config, detail, detail_cap);
}

int keystore_load_file(keystore *ks, const char *path, char *detail, size_t detail_cap)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return fail(detail, detail_cap, "cannot open config %.200s", path);
    /* Unbuffered: the secrets go straight into `text`, never through a stdio
     * buffer that fclose would free uncleansed. */
    setvbuf(f, NULL, _IONBF, 0);
    char *text = OPENSSL_malloc(MAX_CONFIG_BYTES + 1);
    size_t n = text ? fread(text, 1, MAX_CONFIG_BYTES + 1, f) : 0;
    fclose(f);
    if (text == NULL || n > MAX_CONFIG_BYTES) {
        /* What was read of an over-long file may hold secrets too. */
        OPENSSL_clear_free(text, MAX_CONFIG_BYTES + 1);
        return fail(detail, detail_cap, "config %.200s is too large or unreadable", path);
    }
    text[n] = '\0';
    int rc = keystore_load_json(ks, text, detail, detail_cap);
    OPENSSL_clear_free(text, MAX_CONFIG_BYTES + 1);
    return rc;
}
