#include <openssl/crypto.h>
#include <string.h>

#include "message/materials.h"
#include "message/suite.h"

esdk_enc_materials *esdk_enc_materials_new(uint16_t suite_id)
{
    esdk_enc_materials *mat = OPENSSL_zalloc(sizeof(*mat));
    if (mat != NULL)
        mat->suite_id = suite_id;
    return mat;
}

esdk_dec_materials *esdk_dec_materials_new(uint16_t suite_id)
{
    esdk_dec_materials *mat = OPENSSL_zalloc(sizeof(*mat));
    if (mat != NULL) {
        mat->suite_id = suite_id;
        mat->edk_index = -1;
    }
    return mat;
}

/* Replaces *slot with a secure-memory copy of key, cleansing the old one. */
static esdk_status set_secure_key(uint16_t suite_id, uint8_t **slot, size_t *slot_len,
                                  const uint8_t *key, size_t len)
{
    const esdk_suite *suite = esdk_suite_by_id(suite_id);
    if (suite == NULL || len != suite->key_len)
        return ESDK_ERR_BAD_MATERIALS;
    uint8_t *copy = OPENSSL_secure_malloc(len);
    if (copy == NULL)
        return ESDK_ERR_ALLOC;
    memcpy(copy, key, len);
    OPENSSL_secure_clear_free(*slot, *slot_len);
    *slot = copy;
    *slot_len = len;
    return ESDK_OK;
}

esdk_status esdk_enc_materials_set_data_key(esdk_enc_materials *mat, const uint8_t *key, size_t len)
{
    return set_secure_key(mat->suite_id, &mat->data_key, &mat->data_key_len, key, len);
}

esdk_status esdk_dec_materials_set_data_key(esdk_dec_materials *mat, const uint8_t *key, size_t len)
{
    return set_secure_key(mat->suite_id, &mat->data_key, &mat->data_key_len, key, len);
}

void esdk_enc_materials_free(esdk_enc_materials *mat)
{
    if (mat == NULL)
        return;
    OPENSSL_secure_clear_free(mat->data_key, mat->data_key_len);
    esdk_edk_list_clear(&mat->edks);
    esdk_ec_clear(&mat->ec);
    esdk_ec_clear(&mat->required_ec);
    EVP_PKEY_free(mat->signing_key);
    OPENSSL_free(mat);
}

void esdk_dec_materials_free(esdk_dec_materials *mat)
{
    if (mat == NULL)
        return;
    OPENSSL_secure_clear_free(mat->data_key, mat->data_key_len);
    esdk_ec_clear(&mat->ec);
    esdk_ec_clear(&mat->required_ec);
    EVP_PKEY_free(mat->verification_key);
    OPENSSL_free(mat);
}

esdk_status esdk_enc_materials_copy(esdk_enc_materials **dst, const esdk_enc_materials *src)
{
    esdk_enc_materials *m = esdk_enc_materials_new(src->suite_id);
    esdk_status st = m ? ESDK_OK : ESDK_ERR_ALLOC;
    if (st == ESDK_OK && src->data_key != NULL)
        st = esdk_enc_materials_set_data_key(m, src->data_key, src->data_key_len);
    if (st == ESDK_OK)
        st = esdk_edk_list_copy(&m->edks, &src->edks);
    if (st == ESDK_OK)
        st = esdk_ec_copy(&m->ec, &src->ec);
    if (st == ESDK_OK)
        st = esdk_ec_copy(&m->required_ec, &src->required_ec);
    if (st == ESDK_OK && src->signing_key != NULL) {
        if (EVP_PKEY_up_ref(src->signing_key))
            m->signing_key = src->signing_key;
        else
            st = ESDK_ERR_CRYPTO;
    }
    if (st != ESDK_OK) {
        esdk_enc_materials_free(m);
        m = NULL;
    }
    *dst = m;
    return st;
}

esdk_status esdk_dec_materials_copy(esdk_dec_materials **dst, const esdk_dec_materials *src)
{
    esdk_dec_materials *m = esdk_dec_materials_new(src->suite_id);
    esdk_status st = m ? ESDK_OK : ESDK_ERR_ALLOC;
    if (st == ESDK_OK && src->data_key != NULL)
        st = esdk_dec_materials_set_data_key(m, src->data_key, src->data_key_len);
    if (st == ESDK_OK)
        st = esdk_ec_copy(&m->ec, &src->ec);
    if (st == ESDK_OK)
        st = esdk_ec_copy(&m->required_ec, &src->required_ec);
    if (st == ESDK_OK && src->verification_key != NULL) {
        if (EVP_PKEY_up_ref(src->verification_key))
            m->verification_key = src->verification_key;
        else
            st = ESDK_ERR_CRYPTO;
    }
    if (st != ESDK_OK) {
        esdk_dec_materials_free(m);
        m = NULL;
    } else {
        m->edk_index = src->edk_index;
    }
    *dst = m;
    return st;
}

static esdk_status check_common(const esdk_suite *suite, uint16_t id, const uint8_t *key,
                                size_t key_len, const EVP_PKEY *sig_key, char *detail,
                                size_t detail_len)
{
    if (suite == NULL)
        return esdk_fail(detail, detail_len, ESDK_ERR_UNSUPPORTED_SUITE,
                         "materials name unknown suite 0x%04x", id);
    if (key == NULL || key_len != suite->key_len)
        return esdk_fail(detail, detail_len, ESDK_ERR_BAD_MATERIALS,
                         "materials lack a %zu-byte data key", suite->key_len);
    if ((sig_key != NULL) != esdk_suite_is_signed(suite))
        return esdk_fail(detail, detail_len, ESDK_ERR_BAD_MATERIALS,
                         "materials: signature key %s for suite 0x%04x",
                         sig_key ? "present" : "missing", id);
    return ESDK_OK;
}

esdk_status esdk_enc_materials_check(const esdk_enc_materials *mat, char *detail, size_t detail_len)
{
    esdk_status st = check_common(esdk_suite_by_id(mat->suite_id), mat->suite_id, mat->data_key,
                                  mat->data_key_len, mat->signing_key, detail, detail_len);
    if (st == ESDK_OK && mat->edks.count == 0)
        st = esdk_fail(detail, detail_len, ESDK_ERR_BAD_MATERIALS, "materials carry no EDK");
    return st;
}

esdk_status esdk_dec_materials_check(const esdk_dec_materials *mat, char *detail, size_t detail_len)
{
    return check_common(esdk_suite_by_id(mat->suite_id), mat->suite_id, mat->data_key,
                        mat->data_key_len, mat->verification_key, detail, detail_len);
}
