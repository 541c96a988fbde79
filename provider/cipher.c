#include "provider/cipher.h"

#include <limits.h>
#include <openssl/core_dispatch.h>
#include <openssl/crypto.h>
#include <string.h>

#include "provider/cipher_ctx.h"
#include "provider/error_map.h"
#include "provider/errors.h"
#include "provider/input_copy.h"
#include "provider/message_start.h"

static void *cipher_newctx(void *provctx)
{
    dekcache_provctx *prov = provctx;
    dekcache_cipher_ctx *ctx = OPENSSL_zalloc(sizeof(*ctx));
    if (ctx == NULL)
        return NULL;
    ctx->prov = prov;
    ctx->plaintext_length = ESDK_LENGTH_UNKNOWN;
    ctx->suite_id = (uint16_t)prov->config.algorithm_suite;
    ctx->frame_len = (uint32_t)prov->config.frame_length;
    return ctx;
}

static void end_message(dekcache_cipher_ctx *ctx)
{
    esdk_encrypt_free(ctx->enc);
    esdk_decrypt_free(ctx->dec);
    ctx->enc = NULL;
    ctx->dec = NULL;
    ctx->failed = 0;
    ctx->finished = 0;
}

static void cipher_freectx(void *vctx)
{
    dekcache_cipher_ctx *ctx = vctx;
    if (ctx == NULL)
        return;
    end_message(ctx);
    esdk_ec_clear(&ctx->ec);
    OPENSSL_free(ctx->key_id);
    OPENSSL_free(ctx);
}

/* Settings are copied; a message in progress cannot be (its keys and
 * counters must not be used twice), so duplicating one fails. */
static void *cipher_dupctx(void *vctx)
{
    dekcache_cipher_ctx *src = vctx;
    if (dekcache_cipher_started(src)) {
        DEKCACHE_RAISE(src->prov->handle, DEKCACHE_R_UNSUPPORTED,
                       "cannot duplicate a context with a message in progress");
        return NULL;
    }
    dekcache_cipher_ctx *dst = cipher_newctx(src->prov);
    if (dst == NULL)
        return NULL;
    dst->initialized = src->initialized;
    dst->encrypting = src->encrypting;
    dst->plaintext_length = src->plaintext_length;
    dst->suite_id = src->suite_id;
    dst->frame_len = src->frame_len;
    if ((src->key_id != NULL && (dst->key_id = OPENSSL_strdup(src->key_id)) == NULL) ||
        esdk_ec_copy(&dst->ec, &src->ec) != ESDK_OK) {
        cipher_freectx(dst);
        return NULL;
    }
    return dst;
}

static int cipher_init(dekcache_cipher_ctx *ctx, const unsigned char *key, size_t keylen,
                       const unsigned char *iv, size_t ivlen, const OSSL_PARAM params[],
                       int encrypting)
{
    if ((key != NULL && keylen != 0) || (iv != NULL && ivlen != 0)) {
        DEKCACHE_RAISE(ctx->prov->handle, DEKCACHE_R_INVALID_PARAMETER,
                       "DEKCACHE takes no key or IV (use -K '' with openssl enc); the wrapping "
                       "key comes from key_id or the key-id parameter");
        return 0;
    }
    end_message(ctx);
    ctx->encrypting = encrypting;
    ctx->initialized = dekcache_cipher_set_ctx_params(ctx, params);
    return ctx->initialized;
}

static int cipher_encrypt_init(void *vctx, const unsigned char *key, size_t keylen,
                               const unsigned char *iv, size_t ivlen, const OSSL_PARAM params[])
{
    return cipher_init(vctx, key, keylen, iv, ivlen, params, 1);
}

static int cipher_decrypt_init(void *vctx, const unsigned char *key, size_t keylen,
                               const unsigned char *iv, size_t ivlen, const OSSL_PARAM params[])
{
    return cipher_init(vctx, key, keylen, iv, ivlen, params, 0);
}

static int fail(dekcache_cipher_ctx *ctx, esdk_status status, const char *what, const char *detail)
{
    ctx->failed = 1;
    dekcache_raise_esdk(ctx->prov->handle, status, what, detail);
    return 0;
}

static int start_message(dekcache_cipher_ctx *ctx)
{
    if (ctx->encrypting) {
        dekcache_message_settings settings = {ctx->key_id, ctx->suite_id, ctx->frame_len, &ctx->ec,
                                              ctx->plaintext_length};
        ctx->enc = dekcache_start_encryption(ctx->prov, &settings);
    } else {
        ctx->dec = dekcache_start_decryption(ctx->prov, &ctx->ec);
    }
    ctx->failed = ctx->enc == NULL && ctx->dec == NULL;
    return !ctx->failed;
}

int dekcache_cipher_ensure_started(dekcache_cipher_ctx *ctx)
{
    if (ctx->failed || ctx->finished) {
        DEKCACHE_RAISE(ctx->prov->handle, DEKCACHE_R_INVALID_PARAMETER,
                       ctx->failed ? "an earlier call failed: initialise the context again"
                                   : "the message is complete: initialise the context again");
        return 0;
    }
    if (ctx->enc != NULL || ctx->dec != NULL)
        return 1;
    if (!ctx->initialized) {
        DEKCACHE_RAISE(ctx->prov->handle, DEKCACHE_R_INVALID_PARAMETER,
                       "the context was not initialised");
        return 0;
    }
    return start_message(ctx);
}

/* What one update may write: BIO_f_cipher's buffer holds DEKCACHE_BLOCK_SIZE
 * bytes although it claims inl + BLOCK_SIZE, so calls with its chunk size stay
 * within that; larger calls come from EVP users with real outsize buffers. */
static size_t update_budget(size_t inl, size_t outsize)
{
    size_t claimed = outsize > 0 ? outsize - 1 : 0;
    if (inl <= DEKCACHE_BIO_CHUNK && claimed > DEKCACHE_BLOCK_SIZE)
        return DEKCACHE_BLOCK_SIZE;
    /* EVP refuses a call that reports more than INT_MAX bytes written, after
     * the input is consumed: the excess waits in the queue instead. */
    return claimed < INT_MAX ? claimed : INT_MAX;
}

static int cipher_update(void *vctx, unsigned char *out, size_t *outl, size_t outsize,
                         const unsigned char *in, size_t inl)
{
    dekcache_cipher_ctx *ctx = vctx;
    *outl = 0;
    if (inl > INT_MAX || (out == NULL && inl > 0)) {
        DEKCACHE_RAISE(ctx->prov->handle, DEKCACHE_R_INVALID_PARAMETER,
                       "input length %zu is negative, above INT_MAX or has no output buffer", inl);
        return 0;
    }
    if (!dekcache_cipher_ensure_started(ctx))
        return 0;
    size_t budget = update_budget(inl, outsize);
    unsigned char *copy = NULL;
    if (!dekcache_input_copy_if_aliased(in, inl, out, budget, &copy)) {
        DEKCACHE_RAISE(ctx->prov->handle, DEKCACHE_R_INTERNAL_ERROR,
                       "out of memory copying %zu bytes of input that overlap the output", inl);
        return 0;
    }
    const unsigned char *source = copy != NULL ? copy : in;
    esdk_status status = ctx->encrypting
                             ? esdk_encrypt_update(ctx->enc, source, inl, out, budget, outl)
                             : esdk_decrypt_update(ctx->dec, source, inl, out, budget, outl);
    dekcache_input_copy_free(copy, inl);
    if (status != ESDK_OK)
        return fail(ctx, status, ctx->encrypting ? "encrypting" : "decrypting",
                    ctx->encrypting ? esdk_encrypt_error_detail(ctx->enc)
                                    : esdk_decrypt_error_detail(ctx->dec));
    return 1;
}

static int cipher_final(void *vctx, unsigned char *out, size_t *outl, size_t outsize)
{
    dekcache_cipher_ctx *ctx = vctx;
    *outl = 0;
    if (!dekcache_cipher_ensure_started(ctx))
        return 0;
    size_t budget = outsize < DEKCACHE_BLOCK_SIZE ? outsize : DEKCACHE_BLOCK_SIZE;
    esdk_status status = ctx->encrypting ? esdk_encrypt_finish(ctx->enc, out, budget, outl)
                                         : esdk_decrypt_finish(ctx->dec, out, budget, outl);
    if (status != ESDK_OK)
        return fail(ctx, status, ctx->encrypting ? "finishing the message" : "finishing decryption",
                    ctx->encrypting ? esdk_encrypt_error_detail(ctx->enc)
                                    : esdk_decrypt_error_detail(ctx->dec));
    size_t pending =
        ctx->encrypting ? esdk_encrypt_pending(ctx->enc) : esdk_decrypt_pending(ctx->dec);
    if (pending > 0) {
        ctx->failed = 1;
        DEKCACHE_RAISE(ctx->prov->handle, DEKCACHE_R_OUTPUT_TOO_LARGE,
                       "%zu bytes remain after the final call: pass at most 512 KiB per update "
                       "(or use frames of at most 4096 bytes)",
                       pending);
        return 0;
    }
    ctx->finished = 1;
    return 1;
}

int dekcache_cipher_started(const dekcache_cipher_ctx *ctx)
{
    return ctx->enc != NULL || ctx->dec != NULL;
}

static int cipher_get_params(OSSL_PARAM params[])
{
    return dekcache_cipher_get_params(params);
}

const OSSL_DISPATCH dekcache_cipher_functions[] = {
    {OSSL_FUNC_CIPHER_NEWCTX, (void (*)(void))cipher_newctx},
    {OSSL_FUNC_CIPHER_FREECTX, (void (*)(void))cipher_freectx},
    {OSSL_FUNC_CIPHER_DUPCTX, (void (*)(void))cipher_dupctx},
    {OSSL_FUNC_CIPHER_ENCRYPT_INIT, (void (*)(void))cipher_encrypt_init},
    {OSSL_FUNC_CIPHER_DECRYPT_INIT, (void (*)(void))cipher_decrypt_init},
    {OSSL_FUNC_CIPHER_UPDATE, (void (*)(void))cipher_update},
    {OSSL_FUNC_CIPHER_FINAL, (void (*)(void))cipher_final},
    {OSSL_FUNC_CIPHER_GET_PARAMS, (void (*)(void))cipher_get_params},
    {OSSL_FUNC_CIPHER_GETTABLE_PARAMS, (void (*)(void))dekcache_cipher_gettable_params},
    {OSSL_FUNC_CIPHER_GET_CTX_PARAMS, (void (*)(void))dekcache_cipher_get_ctx_params},
    {OSSL_FUNC_CIPHER_GETTABLE_CTX_PARAMS, (void (*)(void))dekcache_cipher_gettable_ctx_params},
    {OSSL_FUNC_CIPHER_SET_CTX_PARAMS, (void (*)(void))dekcache_cipher_set_ctx_params},
    {OSSL_FUNC_CIPHER_SETTABLE_CTX_PARAMS, (void (*)(void))dekcache_cipher_settable_ctx_params},
    {0, NULL},
};
