/* Parameters of the DEKCACHE cipher and of its contexts. */
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>
#include <string.h>

#include "include/dekcache.h"
#include "provider/cipher.h"
#include "provider/cipher_ctx.h"
#include "provider/errors.h"
#include "provider/message_params.h"

static const OSSL_PARAM cipher_known_gettable_params[] = {
    OSSL_PARAM_uint(OSSL_CIPHER_PARAM_MODE, NULL),
    OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_KEYLEN, NULL),
    OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_IVLEN, NULL),
    OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_BLOCK_SIZE, NULL),
    OSSL_PARAM_int(OSSL_CIPHER_PARAM_AEAD, NULL),
    OSSL_PARAM_int(OSSL_CIPHER_PARAM_CUSTOM_IV, NULL),
    OSSL_PARAM_int(OSSL_CIPHER_PARAM_CTS, NULL),
    OSSL_PARAM_int(OSSL_CIPHER_PARAM_TLS1_MULTIBLOCK, NULL),
    OSSL_PARAM_int(OSSL_CIPHER_PARAM_HAS_RAND_KEY, NULL),
    OSSL_PARAM_END,
};

const OSSL_PARAM *dekcache_cipher_gettable_params(void *provctx)
{
    return cipher_known_gettable_params;
}

int dekcache_cipher_get_params(OSSL_PARAM params[])
{
    /* Not AEAD and mode 0: `openssl enc` refuses AEAD-flagged ciphers. */
    static const struct {
        const char *name;
        size_t value;
    } sizes[] = {
        {OSSL_CIPHER_PARAM_MODE, 0},        {OSSL_CIPHER_PARAM_KEYLEN, 0},
        {OSSL_CIPHER_PARAM_IVLEN, 0},       {OSSL_CIPHER_PARAM_BLOCK_SIZE, DEKCACHE_BLOCK_SIZE},
        {OSSL_CIPHER_PARAM_AEAD, 0},        {OSSL_CIPHER_PARAM_CUSTOM_IV, 0},
        {OSSL_CIPHER_PARAM_CTS, 0},         {OSSL_CIPHER_PARAM_TLS1_MULTIBLOCK, 0},
        {OSSL_CIPHER_PARAM_HAS_RAND_KEY, 0}};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        OSSL_PARAM *p = OSSL_PARAM_locate(params, sizes[i].name);
        if (p != NULL && !OSSL_PARAM_set_size_t(p, sizes[i].value))
            return 0;
    }
    return 1;
}

static const OSSL_PARAM cipher_settable_ctx[] = {
    OSSL_PARAM_utf8_string(DEKCACHE_PARAM_KEY_ID, NULL, 0),
    OSSL_PARAM_utf8_string(DEKCACHE_PARAM_ENCRYPTION_CONTEXT, NULL, 0),
    OSSL_PARAM_uint64(DEKCACHE_PARAM_PLAINTEXT_LENGTH, NULL),
    OSSL_PARAM_uint(DEKCACHE_PARAM_ALGORITHM_SUITE, NULL),
    OSSL_PARAM_uint(DEKCACHE_PARAM_FRAME_LENGTH, NULL),
    OSSL_PARAM_END,
};

static const OSSL_PARAM cipher_gettable_ctx[] = {
    OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_KEYLEN, NULL),
    OSSL_PARAM_size_t(OSSL_CIPHER_PARAM_IVLEN, NULL),
    OSSL_PARAM_utf8_string(DEKCACHE_PARAM_KEY_ARN, NULL, 0),
    OSSL_PARAM_octet_string(DEKCACHE_PARAM_MESSAGE_ID, NULL, 0),
    OSSL_PARAM_END,
};

const OSSL_PARAM *dekcache_cipher_settable_ctx_params(void *cctx, void *provctx)
{
    return cipher_settable_ctx;
}

const OSSL_PARAM *dekcache_cipher_gettable_ctx_params(void *cctx, void *provctx)
{
    return cipher_gettable_ctx;
}

static int set_key_id(dekcache_cipher_ctx *ctx, const OSSL_PARAM *p)
{
    const char *value;
    if (!dekcache_param_text(ctx->prov->handle, p, &value))
        return 0;
    char *copy = OPENSSL_strdup(value);
    if (copy == NULL) {
        DEKCACHE_RAISE(ctx->prov->handle, DEKCACHE_R_MALLOC_FAILURE, "copying %s", p->key);
        return 0;
    }
    OPENSSL_free(ctx->key_id);
    ctx->key_id = copy;
    return 1;
}

static int set_context(dekcache_cipher_ctx *ctx, const OSSL_PARAM *p)
{
    return dekcache_param_context(ctx->prov->handle, p, &ctx->ec);
}

static int set_suite(dekcache_cipher_ctx *ctx, const OSSL_PARAM *p)
{
    return dekcache_param_suite(ctx->prov->handle, p, &ctx->suite_id);
}

static int set_frame_length(dekcache_cipher_ctx *ctx, const OSSL_PARAM *p)
{
    return dekcache_param_frame_length(ctx->prov->handle, p, DEKCACHE_CIPHER_FRAME_MIN,
                                       DEKCACHE_CIPHER_FRAME_MAX, &ctx->frame_len);
}

static int set_plaintext_length(dekcache_cipher_ctx *ctx, const OSSL_PARAM *p)
{
    uint64_t length = 0;
    if (!OSSL_PARAM_get_uint64(p, &length) || length == ESDK_LENGTH_UNKNOWN)
        return dekcache_param_refuse(ctx->prov->handle, p,
                                     "must be an unsigned 64-bit length below 2^64-1");
    ctx->plaintext_length = length;
    return 1;
}

int dekcache_cipher_set_ctx_params(void *vctx, const OSSL_PARAM params[])
{
    static const struct {
        const char *name;
        int (*set)(dekcache_cipher_ctx *, const OSSL_PARAM *);
    } setters[] = {{DEKCACHE_PARAM_KEY_ID, set_key_id},
                   {DEKCACHE_PARAM_ENCRYPTION_CONTEXT, set_context},
                   {DEKCACHE_PARAM_PLAINTEXT_LENGTH, set_plaintext_length},
                   {DEKCACHE_PARAM_ALGORITHM_SUITE, set_suite},
                   {DEKCACHE_PARAM_FRAME_LENGTH, set_frame_length}};
    dekcache_cipher_ctx *ctx = vctx;
    if (params == NULL)
        return 1;
    size_t length = 0;
    const OSSL_PARAM *p;
    if (!dekcache_param_find(ctx->prov->handle, params, OSSL_CIPHER_PARAM_KEYLEN, &p))
        return 0;
    if (p != NULL && (!OSSL_PARAM_get_size_t(p, &length) || length != 0))
        return dekcache_param_refuse(ctx->prov->handle, p,
                                     "DEKCACHE has no key bytes: name the key with key-id");
    /* Unknown names are ignored: `openssl enc -nopad` sends "padding". */
    for (size_t i = 0; i < sizeof(setters) / sizeof(setters[0]); i++) {
        if (!dekcache_param_find(ctx->prov->handle, params, setters[i].name, &p))
            return 0;
        if (p == NULL)
            continue;
        if (dekcache_cipher_started(ctx))
            return dekcache_param_refuse(ctx->prov->handle, p,
                                         "cannot change once the message has started");
        if (!setters[i].set(ctx, p))
            return 0;
    }
    return 1;
}

/* The EDK whose wrapping key this message uses: for encryption the first
 * (the generator's), for decryption the one a keyring decrypted. */
static const esdk_edk *used_edk(const dekcache_cipher_ctx *ctx)
{
    if (ctx->enc != NULL) {
        const esdk_enc_materials *mat = esdk_encrypt_materials(ctx->enc);
        return mat != NULL && mat->edks.count > 0 ? &mat->edks.items[0] : NULL;
    }
    const esdk_dec_materials *mat = ctx->dec != NULL ? esdk_decrypt_materials(ctx->dec) : NULL;
    const esdk_header *header = ctx->dec != NULL ? esdk_decrypt_header(ctx->dec) : NULL;
    if (mat == NULL || header == NULL || mat->edk_index < 0 ||
        (size_t)mat->edk_index >= header->edks.count)
        return NULL;
    return &header->edks.items[mat->edk_index];
}

static int get_key_arn(const dekcache_cipher_ctx *ctx, OSSL_PARAM *p)
{
    const esdk_edk *edk = used_edk(ctx);
    static const char kms_id[] = "aws-kms";
    if (edk == NULL)
        return OSSL_PARAM_set_utf8_string(p, "");
    /* KMS EDKs carry the key ARN; raw keyrings a binary name and IV, so
     * those report their provider ID (the key namespace). */
    if (edk->provider_id_len == sizeof(kms_id) - 1 &&
        memcmp(edk->provider_id, kms_id, sizeof(kms_id) - 1) == 0)
        return OSSL_PARAM_set_utf8_string(p, (const char *)edk->provider_info);
    return OSSL_PARAM_set_utf8_string(p, (const char *)edk->provider_id);
}

static int get_message_id(const dekcache_cipher_ctx *ctx, OSSL_PARAM *p)
{
    size_t len = 0;
    const uint8_t *id = NULL;
    if (ctx->enc != NULL)
        id = esdk_encrypt_message_id(ctx->enc, &len);
    else if (ctx->dec != NULL && esdk_decrypt_header(ctx->dec) != NULL) {
        id = esdk_decrypt_header(ctx->dec)->message_id;
        len = esdk_decrypt_header(ctx->dec)->message_id_len;
    }
    if (id == NULL) { /* no header yet: empty, as key-arn is then */
        p->return_size = 0;
        return 1;
    }
    return OSSL_PARAM_set_octet_string(p, id, len);
}

int dekcache_cipher_get_ctx_params(void *vctx, OSSL_PARAM params[])
{
    dekcache_cipher_ctx *ctx = vctx;
    OSSL_PARAM *p;
    if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_KEYLEN)) != NULL &&
        !OSSL_PARAM_set_size_t(p, 0))
        return 0;
    if ((p = OSSL_PARAM_locate(params, OSSL_CIPHER_PARAM_IVLEN)) != NULL &&
        !OSSL_PARAM_set_size_t(p, 0))
        return 0;
    /* An encryption's key ARN and message ID exist once its message has
     * started: asking for them starts it (settings are then fixed). A
     * decryption knows them only after the header has been read. */
    int wants_message = OSSL_PARAM_locate(params, DEKCACHE_PARAM_KEY_ARN) != NULL ||
                        OSSL_PARAM_locate(params, DEKCACHE_PARAM_MESSAGE_ID) != NULL;
    int would_start = ctx->encrypting && ctx->initialized && !ctx->failed &&
                      !dekcache_cipher_started(ctx); /* finished implies started */
    if (wants_message && would_start && !dekcache_cipher_ensure_started(ctx))
        return 0;
    if ((p = OSSL_PARAM_locate(params, DEKCACHE_PARAM_KEY_ARN)) != NULL && !get_key_arn(ctx, p))
        return 0;
    if ((p = OSSL_PARAM_locate(params, DEKCACHE_PARAM_MESSAGE_ID)) != NULL &&
        !get_message_id(ctx, p))
        return 0;
    return 1;
}
