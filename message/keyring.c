#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "message/keyring.h"
#include "message/suite.h"

void esdk_keyring_init(esdk_keyring *keyring, const esdk_keyring_vtable *vtable)
{
    keyring->vtable = vtable;
    __atomic_store_n(&keyring->refs, 1, __ATOMIC_RELEASE);
}

esdk_keyring *esdk_keyring_up_ref(esdk_keyring *keyring)
{
    __atomic_add_fetch(&keyring->refs, 1, __ATOMIC_RELAXED);
    return keyring;
}

void esdk_keyring_free(esdk_keyring *keyring)
{
    if (keyring == NULL)
        return;
    if (__atomic_sub_fetch(&keyring->refs, 1, __ATOMIC_ACQ_REL) == 0)
        keyring->vtable->destroy(keyring);
}

/* A keyring that fails leaves the materials as they were: the EDKs it (or,
 * for a multi-keyring, its members) added go, and so does a data key it
 * generated. Done here, once, for every keyring. */
static esdk_status undo_encrypt(esdk_enc_materials *mat, size_t edks_before, int had_key,
                                esdk_status st)
{
    esdk_edk_list_truncate(&mat->edks, edks_before);
    if (!had_key && mat->data_key != NULL) {
        OPENSSL_secure_clear_free(mat->data_key, mat->data_key_len);
        mat->data_key = NULL;
        mat->data_key_len = 0;
    }
    return st;
}

esdk_status esdk_keyring_on_encrypt(esdk_keyring *keyring, esdk_enc_materials *mat, char *detail,
                                    size_t detail_len)
{
    size_t edks_before = mat->edks.count;
    int had_key = mat->data_key != NULL;
    esdk_status st = keyring->vtable->on_encrypt(keyring, mat, detail, detail_len);
    if (st != ESDK_OK)
        return undo_encrypt(mat, edks_before, had_key, st);
    const esdk_suite *suite = esdk_suite_by_id(mat->suite_id);
    if (suite == NULL || mat->data_key == NULL || mat->data_key_len != suite->key_len ||
        mat->edks.count <= edks_before)
        return undo_encrypt(mat, edks_before, had_key,
                            esdk_fail(detail, detail_len, ESDK_ERR_BAD_MATERIALS,
                                      "keyring %s returned no data key or no new EDK",
                                      keyring->vtable->name));
    return ESDK_OK;
}

esdk_status esdk_keyring_on_decrypt(esdk_keyring *keyring, esdk_dec_materials *mat,
                                    const esdk_edk *edks, size_t edk_count, char *detail,
                                    size_t detail_len)
{
    if (mat->data_key != NULL)
        return ESDK_OK;
    esdk_status st = keyring->vtable->on_decrypt(keyring, mat, edks, edk_count, detail, detail_len);
    if (st != ESDK_OK)
        return st;
    const esdk_suite *suite = esdk_suite_by_id(mat->suite_id);
    if (suite == NULL || mat->data_key == NULL || mat->data_key_len != suite->key_len)
        return esdk_fail(detail, detail_len, ESDK_ERR_BAD_MATERIALS,
                         "keyring %s reported success without a data key", keyring->vtable->name);
    return ESDK_OK;
}

esdk_status esdk_keyring_generate_and_wrap(const esdk_crypto *crypto, esdk_keyring *keyring,
                                           esdk_enc_materials *mat, esdk_wrap_fn wrap, char *detail,
                                           size_t detail_len)
{
    const esdk_suite *suite = esdk_suite_by_id(mat->suite_id);
    if (suite == NULL)
        return ESDK_ERR_UNSUPPORTED_SUITE;
    if (mat->data_key == NULL) {
        uint8_t key[32];
        esdk_status st = RAND_priv_bytes_ex(esdk_crypto_libctx(esdk_crypto_or_default(crypto)), key,
                                            suite->key_len, 0) == 1
                             ? esdk_enc_materials_set_data_key(mat, key, suite->key_len)
                             : ESDK_ERR_CRYPTO;
        OPENSSL_cleanse(key, sizeof(key));
        if (st != ESDK_OK)
            return st;
    }
    /* On failure esdk_keyring_on_encrypt drops the key generated here. */
    return wrap(keyring, mat, detail, detail_len);
}
