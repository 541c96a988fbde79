#include "provider/message_start.h"

#include "provider/cmm_table.h"
#include "provider/error_map.h"
#include "provider/errors.h"

/* Named, not cast: the two enums are free to order their values differently.
 * Anything unknown gets the strictest policy. */
static esdk_commitment_policy esdk_policy_of(uint64_t configured)
{
    switch (configured) {
    case DEKCACHE_COMMIT_REQUIRE_ENCRYPT_ALLOW_DECRYPT:
        return ESDK_POLICY_REQUIRE_ENCRYPT_ALLOW_DECRYPT;
    case DEKCACHE_COMMIT_FORBID_ENCRYPT_ALLOW_DECRYPT:
        return ESDK_POLICY_FORBID_ENCRYPT_ALLOW_DECRYPT;
    default:
        return ESDK_POLICY_REQUIRE_ENCRYPT_REQUIRE_DECRYPT;
    }
}

esdk_encryptor *dekcache_start_encryption(dekcache_provctx *prov,
                                          const dekcache_message_settings *settings)
{
    esdk_cmm *cmm = dekcache_encrypt_cmm(prov, settings->key_id);
    if (cmm == NULL)
        return NULL;
    esdk_encrypt_options options = {
        .cmm = cmm,
        .suite_id = settings->suite_id,
        .frame_len = settings->frame_len,
        .ec = settings->ec,
        .plaintext_len = settings->plaintext_length,
        .plaintext_len_known = settings->plaintext_length != ESDK_LENGTH_UNKNOWN,
        .policy = esdk_policy_of(prov->config.commitment_policy),
        .max_edks = (size_t)prov->config.max_encrypted_data_keys,
        .crypto = prov->crypto,
    };
    char detail[512] = "";
    esdk_encryptor *enc = NULL;
    esdk_status status = esdk_encrypt_new(&options, &enc, detail, sizeof(detail));
    esdk_cmm_free(cmm);
    if (status != ESDK_OK)
        dekcache_raise_esdk(prov->handle, status, "starting the message", detail);
    return enc;
}

int dekcache_decrypt_options(dekcache_provctx *prov, const esdk_enc_context *reproduced,
                             uint64_t max_body_len, esdk_decrypt_options *options)
{
    esdk_cmm *cmm = dekcache_decrypt_cmm(prov);
    if (cmm == NULL)
        return 0;
    *options = (esdk_decrypt_options){
        .cmm = cmm,
        .policy = esdk_policy_of(prov->config.commitment_policy),
        .reproduced_ec = reproduced != NULL && reproduced->count > 0 ? reproduced : NULL,
        .max_body_len = max_body_len,
        .header_limits = {.max_edks = (size_t)prov->config.max_encrypted_data_keys},
        .crypto = prov->crypto,
    };
    return 1;
}

esdk_decryptor *dekcache_start_decryption(dekcache_provctx *prov,
                                          const esdk_enc_context *reproduced)
{
    esdk_decrypt_options options;
    if (!dekcache_decrypt_options(prov, reproduced, 0, &options))
        return NULL;
    esdk_decryptor *dec = NULL;
    esdk_status status = esdk_decrypt_new(&options, &dec);
    esdk_cmm_free(options.cmm);
    if (status != ESDK_OK)
        dekcache_raise_esdk(prov->handle, status, "starting decryption", NULL);
    return dec;
}
