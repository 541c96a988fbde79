#include "message/cmm.h"

void esdk_cmm_init(esdk_cmm *cmm, const esdk_cmm_vtable *vtable)
{
    cmm->vtable = vtable;
    __atomic_store_n(&cmm->refs, 1, __ATOMIC_RELEASE);
}

esdk_cmm *esdk_cmm_up_ref(esdk_cmm *cmm)
{
    __atomic_add_fetch(&cmm->refs, 1, __ATOMIC_RELAXED);
    return cmm;
}

void esdk_cmm_free(esdk_cmm *cmm)
{
    if (cmm == NULL)
        return;
    if (__atomic_sub_fetch(&cmm->refs, 1, __ATOMIC_ACQ_REL) == 0)
        cmm->vtable->destroy(cmm);
}

esdk_status esdk_cmm_get_encryption_materials(esdk_cmm *cmm, const esdk_enc_request *request,
                                              esdk_enc_materials **out, char *detail,
                                              size_t detail_len)
{
    *out = NULL;
    esdk_status st = cmm->vtable->get_encryption_materials(cmm, request, out, detail, detail_len);
    if (st != ESDK_OK) {
        esdk_enc_materials_free(*out);
        *out = NULL;
        return st;
    }
    const esdk_suite *suite = esdk_suite_by_id((*out)->suite_id);
    if (suite == NULL || !esdk_policy_allows_encrypt(request->policy, suite))
        st = esdk_fail(detail, detail_len, ESDK_ERR_POLICY,
                       "CMM %s chose suite 0x%04x, which the commitment policy forbids",
                       cmm->vtable->name, (*out)->suite_id);
    else if (request->suite_id != 0 && request->suite_id != suite->id)
        st = esdk_fail(detail, detail_len, ESDK_ERR_BAD_MATERIALS,
                       "CMM %s returned suite 0x%04x instead of 0x%04x", cmm->vtable->name,
                       suite->id, request->suite_id);
    else
        st = esdk_enc_materials_check(*out, detail, detail_len);
    if (st != ESDK_OK) {
        esdk_enc_materials_free(*out);
        *out = NULL;
    }
    return st;
}

esdk_status esdk_cmm_decrypt_materials(esdk_cmm *cmm, const esdk_dec_request *request,
                                       esdk_dec_materials **out, char *detail, size_t detail_len)
{
    *out = NULL;
    esdk_status st = cmm->vtable->decrypt_materials(cmm, request, out, detail, detail_len);
    if (st == ESDK_OK && (*out)->suite_id != request->suite_id)
        st = esdk_fail(detail, detail_len, ESDK_ERR_BAD_MATERIALS,
                       "CMM %s returned materials for suite 0x%04x, message uses 0x%04x",
                       cmm->vtable->name, (*out)->suite_id, request->suite_id);
    if (st == ESDK_OK)
        st = esdk_dec_materials_check(*out, detail, detail_len);
    if (st != ESDK_OK) {
        esdk_dec_materials_free(*out);
        *out = NULL;
    }
    return st;
}
