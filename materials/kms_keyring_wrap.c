#include "materials/kms_keyring_internal.h"

#include "message/suite.h"

#include <openssl/crypto.h>
#include <string.h>

static esdk_status add_edk(esdk_edk_list *list, const kms_client_result *r)
{
    return esdk_edk_list_add(list, KMS_KEYRING_PROVIDER_ID, strlen(KMS_KEYRING_PROVIDER_ID),
                             r->key_arn, strlen(r->key_arn), r->ciphertext, r->ciphertext_len);
}

/* Adds the new EDKs and (when generated) the data key to the materials; on a
 * failure esdk_keyring_on_encrypt takes back what was added. */
static esdk_status commit(esdk_enc_materials *mat, const esdk_edk_list *fresh,
                          const kms_client_result *generated)
{
    esdk_status st = ESDK_OK;
    for (size_t i = 0; i < fresh->count && st == ESDK_OK; i++) {
        const esdk_edk *e = &fresh->items[i];
        st = esdk_edk_list_add(&mat->edks, e->provider_id, e->provider_id_len, e->provider_info,
                               e->provider_info_len, e->ciphertext, e->ciphertext_len);
    }
    if (st == ESDK_OK && generated->plaintext != NULL) {
        st = esdk_enc_materials_set_data_key(mat, generated->plaintext, generated->plaintext_len);
    }
    return st;
}

static esdk_status kms_failed(const char *what, const char *why, char *detail, size_t detail_len)
{
    return esdk_fail(detail, detail_len, ESDK_ERR_KEYRING, "aws-kms keyring: %s failed: %s", what,
                     why);
}

/* GenerateDataKey under the first key when the materials have no data key,
 * then Encrypt under every other key (or every key when they have one). */
static esdk_status wrap_all(const kms_keyring *k, const esdk_enc_materials *mat, size_t key_len,
                            const kms_client_context *ctx, esdk_edk_list *fresh,
                            kms_client_result *generated, char *detail, size_t detail_len)
{
    char why[1024];
    const uint8_t *data_key = mat->data_key;
    size_t first = 0;
    if (data_key == NULL) {
        if (kms_client_generate_data_key(k->client, k->key_arns[0], key_len, ctx, generated, why,
                                         sizeof(why)) != KMS_CLIENT_OK) {
            return kms_failed("GenerateDataKey", why, detail, detail_len);
        }
        if (add_edk(fresh, generated) != ESDK_OK) {
            return ESDK_ERR_ALLOC;
        }
        data_key = generated->plaintext;
        first = 1;
    }
    for (size_t i = first; i < k->n_key_arns; i++) {
        kms_client_result r = {0};
        kms_client_status s = kms_client_encrypt(k->client, k->key_arns[i], data_key, key_len, ctx,
                                                 &r, why, sizeof(why));
        esdk_status st = s == KMS_CLIENT_OK ? add_edk(fresh, &r) : ESDK_ERR_KEYRING;
        kms_client_result_clear(&r);
        if (st != ESDK_OK) {
            return s == KMS_CLIENT_OK ? st : kms_failed("Encrypt", why, detail, detail_len);
        }
    }
    return ESDK_OK;
}

esdk_status kms_keyring_on_encrypt(esdk_keyring *keyring, esdk_enc_materials *mat, char *detail,
                                   size_t detail_len)
{
    const kms_keyring *k = (const kms_keyring *)keyring;
    const esdk_suite *suite = esdk_suite_by_id(mat->suite_id);
    kms_client_context ctx;
    if (k->discovery) {
        return esdk_fail(detail, detail_len, ESDK_ERR_KEYRING,
                         "aws-kms keyring: a discovery keyring cannot encrypt");
    }
    if (suite == NULL) {
        return esdk_fail(detail, detail_len, ESDK_ERR_UNSUPPORTED_SUITE,
                         "aws-kms keyring: unknown suite 0x%04x", mat->suite_id);
    }
    esdk_status st = kms_keyring_context(k, &mat->ec, &ctx, detail, detail_len);
    if (st != ESDK_OK) {
        return st;
    }
    esdk_edk_list fresh = {0};
    kms_client_result generated = {0};
    st = wrap_all(k, mat, suite->key_len, &ctx, &fresh, &generated, detail, detail_len);
    if (st == ESDK_OK) {
        st = commit(mat, &fresh, &generated);
    }
    kms_client_result_clear(&generated);
    esdk_edk_list_clear(&fresh);
    OPENSSL_free((void *)ctx.pairs);
    return st;
}
