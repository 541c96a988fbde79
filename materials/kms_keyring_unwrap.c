#include "materials/kms_keyring_internal.h"

#include "kms/client/kms_arn.h"
#include "message/suite.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

/* Per-EDK reasons for a failed decrypt, for the final message. */
typedef struct {
    char text[2048];
    size_t len;
} failure_log;

static void note(failure_log *log, size_t index, const char *why)
{
    if (log->len + 1 < sizeof(log->text)) {
        int n = snprintf(log->text + log->len, sizeof(log->text) - log->len, "%sEDK %zu: %s",
                         log->len > 0 ? "; " : "", index, why);
        log->len = n > 0 ? log->len + (size_t)n : log->len;
        log->len = log->len < sizeof(log->text) ? log->len : sizeof(log->text) - 1;
    }
}

static int is_kms_edk(const esdk_edk *edk)
{
    size_t len = strlen(KMS_KEYRING_PROVIDER_ID);
    return edk->provider_id_len == len &&
           memcmp(edk->provider_id, KMS_KEYRING_PROVIDER_ID, len) == 0;
}

static int in_list(char *const *list, size_t n, const char *text)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(list[i], text) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Whether this keyring may ask KMS for the EDK's key; why says why not. */
static int may_try(const kms_keyring *k, const char *arn_text, char *why, size_t why_len)
{
    kms_arn arn;
    kms_arn_parse(arn_text, &arn);
    if (!k->discovery) {
        snprintf(why, why_len, "key %.300s is not on the keyring's allow-list", arn_text);
        return in_list(k->key_arns, k->n_key_arns, arn_text);
    }
    if (k->partition != NULL && strcmp(k->partition, arn.partition) != 0) {
        snprintf(why, why_len, "key %.300s is outside partition %.30s", arn_text, k->partition);
        return 0;
    }
    snprintf(why, why_len, "key %.300s belongs to account %.30s, not an allowed account", arn_text,
             arn.account);
    return k->n_accounts == 0 || in_list(k->accounts, k->n_accounts, arn.account);
}

/* Provider info must be a key ARN; anything else fails the whole call. */
static esdk_status edk_key_arn(const esdk_edk *edk, size_t index, char *out, size_t cap,
                               char *detail, size_t detail_len)
{
    if (edk->provider_info_len >= cap || memchr(edk->provider_info, '\0', edk->provider_info_len)) {
        return esdk_fail(detail, detail_len, ESDK_ERR_BAD_EDK,
                         "aws-kms keyring: EDK %zu: provider info is not a KMS key ARN", index);
    }
    memcpy(out, edk->provider_info, edk->provider_info_len);
    out[edk->provider_info_len] = '\0';
    if (!kms_arn_is_key_arn(out)) {
        return esdk_fail(detail, detail_len, ESDK_ERR_BAD_EDK,
                         "aws-kms keyring: EDK %zu: provider info '%.300s' is not a KMS key ARN",
                         index, out);
    }
    return ESDK_OK;
}

/* Decrypt{KeyId = arn}; 1 and the data key set in mat on success. */
static int try_edk(const kms_keyring *k, esdk_dec_materials *mat, const esdk_edk *edk,
                   const char *arn, size_t key_len, const kms_client_context *ctx, char *why,
                   size_t why_len)
{
    kms_client_result r = {0};
    int ok = kms_client_decrypt(k->client, arn, edk->ciphertext, edk->ciphertext_len, ctx, key_len,
                                &r, why, why_len) == KMS_CLIENT_OK;
    if (ok && strcmp(r.key_arn, arn) != 0) {
        snprintf(why, why_len, "KMS decrypted with key %.300s, not %.300s", r.key_arn, arn);
        ok = 0;
    }
    if (ok && esdk_dec_materials_set_data_key(mat, r.plaintext, r.plaintext_len) != ESDK_OK) {
        snprintf(why, why_len, "cannot store the data key");
        ok = 0;
    }
    kms_client_result_clear(&r);
    return ok;
}

static esdk_status unwrap_first(const kms_keyring *k, esdk_dec_materials *mat, const esdk_edk *edks,
                                size_t edk_count, size_t key_len, const kms_client_context *ctx,
                                char *detail, size_t detail_len)
{
    failure_log log = {.len = 0};
    char arn[KMS_CLIENT_ARN_MAX];
    char why[1024];
    size_t tried = 0, refused = 0;
    for (size_t i = 0; i < edk_count; i++) {
        if (!is_kms_edk(&edks[i])) {
            continue;
        }
        esdk_status st = edk_key_arn(&edks[i], i, arn, sizeof(arn), detail, detail_len);
        if (st != ESDK_OK) {
            return st;
        }
        int allowed = may_try(k, arn, why, sizeof(why));
        tried += (size_t)allowed;
        refused += (size_t)!allowed;
        if (allowed && try_edk(k, mat, &edks[i], arn, key_len, ctx, why, sizeof(why))) {
            mat->edk_index = (long)i;
            return ESDK_OK;
        }
        note(&log, i, why);
    }
    /* KMS was asked and failed (unreachable, key disabled, credentials,
     * ciphertext or context refused): that is what the user must see. */
    esdk_status status = tried > 0     ? ESDK_ERR_KEYRING
                         : refused > 0 ? ESDK_ERR_KEY_NOT_ALLOWED
                                       : ESDK_ERR_NO_KEYRING_DECRYPT;
    return esdk_fail(detail, detail_len, status, "aws-kms keyring: no EDK could be decrypted: %s",
                     log.len > 0 ? log.text : "the message has no aws-kms EDK");
}

esdk_status kms_keyring_on_decrypt(esdk_keyring *keyring, esdk_dec_materials *mat,
                                   const esdk_edk *edks, size_t edk_count, char *detail,
                                   size_t detail_len)
{
    const kms_keyring *k = (const kms_keyring *)keyring;
    const esdk_suite *suite = esdk_suite_by_id(mat->suite_id);
    kms_client_context ctx;
    if (mat->data_key != NULL) {
        return ESDK_OK;
    }
    if (suite == NULL) {
        return esdk_fail(detail, detail_len, ESDK_ERR_UNSUPPORTED_SUITE,
                         "aws-kms keyring: unknown suite 0x%04x", mat->suite_id);
    }
    esdk_status st = kms_keyring_context(k, &mat->ec, &ctx, detail, detail_len);
    if (st == ESDK_OK) {
        st = unwrap_first(k, mat, edks, edk_count, suite->key_len, &ctx, detail, detail_len);
        OPENSSL_free((void *)ctx.pairs);
    }
    return st;
}
