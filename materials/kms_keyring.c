#include "materials/kms_keyring_internal.h"

#include "kms/client/kms_arn.h"

#include <openssl/crypto.h>
#include <string.h>

static void free_strings(char **list, size_t n)
{
    for (size_t i = 0; list != NULL && i < n; i++) {
        OPENSSL_free(list[i]);
    }
    OPENSSL_free(list);
}

static void kms_keyring_destroy(esdk_keyring *keyring)
{
    kms_keyring *k = (kms_keyring *)keyring;
    free_strings(k->key_arns, k->n_key_arns);
    free_strings(k->accounts, k->n_accounts);
    free_strings(k->grant_tokens, k->n_grant_tokens);
    OPENSSL_free(k->partition);
    kms_client_free(k->client);
    OPENSSL_free(k);
}

static const esdk_keyring_vtable kms_keyring_vtable = {
    "aws-kms",
    kms_keyring_on_encrypt,
    kms_keyring_on_decrypt,
    kms_keyring_destroy,
};

static char **copy_strings(const char *const *list, size_t n)
{
    char **copy = OPENSSL_zalloc((n > 0 ? n : 1) * sizeof(*copy));
    for (size_t i = 0; copy != NULL && i < n; i++) {
        if ((copy[i] = OPENSSL_strdup(list[i])) == NULL) {
            free_strings(copy, i);
            return NULL;
        }
    }
    return copy;
}

static kms_keyring *keyring_alloc(kms_client *client, const char *const *grant_tokens,
                                  size_t n_grant_tokens)
{
    kms_keyring *k = OPENSSL_zalloc(sizeof(*k));
    if (k == NULL) {
        return NULL;
    }
    esdk_keyring_init(&k->base, &kms_keyring_vtable);
    k->client = kms_client_up_ref(client);
    k->n_grant_tokens = n_grant_tokens;
    if ((k->grant_tokens = copy_strings(grant_tokens, n_grant_tokens)) == NULL) {
        esdk_keyring_free(&k->base);
        return NULL;
    }
    return k;
}

esdk_status kms_keyring_key_arn(kms_client *client, const char *key_id, char **out, char *detail,
                                size_t detail_len)
{
    kms_client_key_info info;
    char why[512];
    if (kms_arn_is_key_arn(key_id)) {
        *out = OPENSSL_strdup(key_id);
        return *out != NULL ? ESDK_OK : ESDK_ERR_ALLOC;
    }
    kms_client_status status = kms_client_describe_key(client, key_id, &info, why, sizeof(why));
    if (status != KMS_CLIENT_OK) {
        return esdk_fail(detail, detail_len, ESDK_ERR_KEYRING,
                         "aws-kms keyring: cannot resolve '%.200s' to a key ARN: %s", key_id, why);
    }
    *out = OPENSSL_strdup(info.key_arn);
    return *out != NULL ? ESDK_OK : ESDK_ERR_ALLOC;
}

esdk_status kms_keyring_new_strict(kms_client *client, const char *const *key_ids, size_t n_key_ids,
                                   const char *const *grant_tokens, size_t n_grant_tokens,
                                   esdk_keyring **out, char *detail, size_t detail_len)
{
    if (out == NULL || client == NULL || key_ids == NULL || n_key_ids == 0) {
        return esdk_fail(detail, detail_len, ESDK_ERR_INVALID_ARGUMENT,
                         "aws-kms keyring: strict mode needs a client and at least one key");
    }
    *out = NULL;
    kms_keyring *k = keyring_alloc(client, grant_tokens, n_grant_tokens);
    if (k == NULL || (k->key_arns = OPENSSL_zalloc(n_key_ids * sizeof(char *))) == NULL) {
        esdk_keyring_free(k != NULL ? &k->base : NULL);
        return esdk_fail(detail, detail_len, ESDK_ERR_ALLOC, "aws-kms keyring: out of memory");
    }
    for (; k->n_key_arns < n_key_ids; k->n_key_arns++) {
        esdk_status st = kms_keyring_key_arn(client, key_ids[k->n_key_arns],
                                             &k->key_arns[k->n_key_arns], detail, detail_len);
        if (st != ESDK_OK) {
            esdk_keyring_free(&k->base);
            return st;
        }
    }
    *out = &k->base;
    return ESDK_OK;
}

esdk_status kms_keyring_new_discovery(kms_client *client, const char *partition,
                                      const char *const *account_ids, size_t n_accounts,
                                      const char *const *grant_tokens, size_t n_grant_tokens,
                                      esdk_keyring **out, char *detail, size_t detail_len)
{
    if (out == NULL || client == NULL || (n_accounts > 0 && account_ids == NULL)) {
        return esdk_fail(detail, detail_len, ESDK_ERR_INVALID_ARGUMENT,
                         "aws-kms keyring: discovery mode needs a client");
    }
    *out = NULL;
    kms_keyring *k = keyring_alloc(client, grant_tokens, n_grant_tokens);
    if (k != NULL) {
        k->discovery = 1;
        k->n_accounts = n_accounts;
        k->accounts = copy_strings(account_ids, n_accounts);
        k->partition = partition != NULL ? OPENSSL_strdup(partition) : NULL;
    }
    if (k == NULL || k->accounts == NULL || (partition != NULL && k->partition == NULL)) {
        esdk_keyring_free(k != NULL ? &k->base : NULL);
        return esdk_fail(detail, detail_len, ESDK_ERR_ALLOC, "aws-kms keyring: out of memory");
    }
    *out = &k->base;
    return ESDK_OK;
}

esdk_status kms_keyring_context(const kms_keyring *k, const esdk_enc_context *ec,
                                kms_client_context *context, char *detail, size_t detail_len)
{
    memset(context, 0, sizeof(*context));
    context->grant_tokens = (const char *const *)k->grant_tokens;
    context->n_grant_tokens = k->n_grant_tokens;
    if (ec->count == 0) {
        return ESDK_OK;
    }
    kms_client_context_pair *pairs = OPENSSL_zalloc(ec->count * sizeof(*pairs));
    if (pairs == NULL) {
        return esdk_fail(detail, detail_len, ESDK_ERR_ALLOC, "aws-kms keyring: out of memory");
    }
    for (size_t i = 0; i < ec->count; i++) {
        const esdk_ec_pair *p = &ec->pairs[i];
        if (memchr(p->key, '\0', p->key_len) != NULL ||
            memchr(p->value, '\0', p->value_len) != NULL) {
            OPENSSL_free(pairs);
            return esdk_fail(detail, detail_len, ESDK_ERR_BAD_CONTEXT,
                             "aws-kms keyring: encryption context pair %zu holds a NUL byte", i);
        }
        pairs[i].key = (const char *)p->key;
        pairs[i].value = (const char *)p->value;
    }
    context->pairs = pairs;
    context->n_pairs = ec->count;
    return ESDK_OK;
}
