/* The DEKCACHE asymmetric cipher: one whole ESDK message per call, with the
 * exact output size reported when `out` is NULL (`openssl pkeyutl`). */
#include <limits.h>
#include <openssl/core_dispatch.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <string.h>

#include "include/dekcache.h"
#include "message/decrypt.h"
#include "message/encrypt.h"
#include "provider/error_map.h"
#include "provider/errors.h"
#include "provider/input_copy.h"
#include "provider/keymgmt.h"
#include "provider/keyref.h"
#include "provider/message_params.h"
#include "provider/message_start.h"

typedef struct {
    dekcache_provctx *prov;
    dekcache_keyref *key;
    esdk_enc_context ec; /* the key's context, or the parameter's */
    uint16_t suite_id;
    uint32_t frame_len;
    /* Encrypt: the message prepared by a size query, for input of this length. */
    esdk_encryptor *enc;
    size_t enc_input_len;
    /* Decrypt: the plaintext a size query produced, for input with this digest. */
    unsigned char *plain;
    size_t plain_len;
    unsigned char input_digest[32];
} asym_ctx;

static void drop_results(asym_ctx *ctx)
{
    esdk_encrypt_free(ctx->enc);
    ctx->enc = NULL;
    OPENSSL_clear_free(ctx->plain, ctx->plain_len);
    ctx->plain = NULL;
    ctx->plain_len = 0;
}

static void *asym_newctx(void *provctx)
{
    dekcache_provctx *prov = provctx;
    asym_ctx *ctx = OPENSSL_zalloc(sizeof(*ctx));
    if (ctx != NULL) {
        ctx->prov = prov;
        ctx->suite_id = (uint16_t)prov->config.algorithm_suite;
        ctx->frame_len = (uint32_t)prov->config.frame_length;
    }
    return ctx;
}

static void asym_freectx(void *vctx)
{
    asym_ctx *ctx = vctx;
    drop_results(ctx);
    esdk_ec_clear(&ctx->ec);
    dekcache_keyref_free(ctx->key);
    OPENSSL_free(ctx);
}

static int set_ctx_params(void *vctx, const OSSL_PARAM params[]);

static int asym_init(void *vctx, void *keydata, const OSSL_PARAM params[])
{
    asym_ctx *ctx = vctx;
    drop_results(ctx);
    dekcache_keyref_free(ctx->key);
    ctx->key = dekcache_keyref_up_ref(keydata);
    esdk_ec_clear(&ctx->ec);
    esdk_status status = esdk_ec_copy(&ctx->ec, &ctx->key->ec);
    if (status != ESDK_OK) {
        dekcache_raise_esdk(ctx->prov->handle, status, "copying the key's encryption context", "");
        return 0;
    }
    return set_ctx_params(ctx, params);
}

static int raise_esdk(asym_ctx *ctx, esdk_status status, const char *what, const char *detail)
{
    dekcache_raise_esdk(ctx->prov->handle, status, what, detail);
    return 0;
}

static int prepare_encryption(asym_ctx *ctx, size_t inlen)
{
    if (ctx->enc != NULL && ctx->enc_input_len == inlen)
        return 1;
    drop_results(ctx);
    dekcache_message_settings settings = {ctx->key->key_id, ctx->suite_id, ctx->frame_len, &ctx->ec,
                                          inlen};
    ctx->enc = dekcache_start_encryption(ctx->prov, &settings);
    ctx->enc_input_len = inlen;
    return ctx->enc != NULL;
}

/* The whole message's length, known before encrypting (encrypt.h). */
static size_t message_length(const asym_ctx *ctx, size_t n)
{
    size_t frame = ctx->frame_len;
    size_t footer = esdk_encrypt_materials(ctx->enc)->signing_key != NULL ? ESDK_FOOTER_MAX_LEN : 0;
    return esdk_encrypt_header_len(ctx->enc) + n / frame * (frame + ESDK_FRAME_OVERHEAD) +
           n % frame + ESDK_FINAL_OVERHEAD + footer;
}

static int asym_encrypt(void *vctx, unsigned char *out, size_t *outlen, size_t outsize,
                        const unsigned char *in, size_t inlen)
{
    asym_ctx *ctx = vctx;
    if (!prepare_encryption(ctx, inlen))
        return 0;
    size_t total = message_length(ctx, inlen);
    *outlen = total;
    if (out == NULL)
        return 1;
    if (outsize < total) {
        DEKCACHE_RAISE(ctx->prov->handle, DEKCACHE_R_OUTPUT_TOO_LARGE,
                       "the message needs %zu bytes, the buffer holds %zu", total, outsize);
        return 0;
    }
    size_t written = 0, n = 0;
    unsigned char *copy = NULL;
    if (!dekcache_input_copy_if_aliased(in, inlen, out, outsize, &copy)) {
        DEKCACHE_RAISE(ctx->prov->handle, DEKCACHE_R_INTERNAL_ERROR,
                       "out of memory copying %zu bytes of input that overlap the output", inlen);
        drop_results(ctx);
        return 0;
    }
    esdk_status status =
        esdk_encrypt_update(ctx->enc, copy != NULL ? copy : in, inlen, out, outsize, &written);
    dekcache_input_copy_free(copy, inlen);
    while (status == ESDK_OK) {
        status = esdk_encrypt_finish(ctx->enc, out + written, outsize - written, &n);
        written += n;
        if (esdk_encrypt_pending(ctx->enc) == 0)
            break;
    }
    if (status != ESDK_OK || written != total) {
        OPENSSL_cleanse(out, outsize);
        raise_esdk(ctx, status != ESDK_OK ? status : ESDK_ERR_STATE, "encrypting",
                   esdk_encrypt_error_detail(ctx->enc));
        drop_results(ctx);
        return 0;
    }
    drop_results(ctx); /* one message per preparation: never reuse its message ID */
    *outlen = written;
    return 1;
}

/* With the digest the message library fetched once. */
static int digest_of(const dekcache_provctx *prov, const unsigned char *in, size_t inlen,
                     unsigned char digest[32])
{
    const EVP_MD *sha256 = esdk_crypto_md(prov->crypto, "SHA256");
    return sha256 != NULL && EVP_Digest(in, inlen, digest, NULL, sha256, NULL) == 1;
}

/* Decrypts into ctx->plain. Only a size query (keep) remembers the input's
 * digest, so that the call with the buffer that follows reuses the plaintext
 * instead of decrypting (and asking KMS) twice. */
static int decrypt_whole(asym_ctx *ctx, const unsigned char *in, size_t inlen, int keep)
{
    drop_results(ctx);
    esdk_decrypt_options options;
    if (!dekcache_decrypt_options(ctx->prov, &ctx->ec, inlen, &options))
        return 0;
    char detail[512] = "";
    esdk_status status = esdk_decrypt_oneshot(&options, in, inlen, &ctx->plain, &ctx->plain_len,
                                              detail, sizeof(detail));
    esdk_cmm_free(options.cmm);
    if (status != ESDK_OK)
        return raise_esdk(ctx, status, "decrypting", detail);
    if (keep && !digest_of(ctx->prov, in, inlen, ctx->input_digest)) {
        drop_results(ctx);
        DEKCACHE_RAISE(ctx->prov->handle, DEKCACHE_R_INTERNAL_ERROR, "hashing the message");
        return 0;
    }
    return 1;
}

static int asym_decrypt(void *vctx, unsigned char *out, size_t *outlen, size_t outsize,
                        const unsigned char *in, size_t inlen)
{
    asym_ctx *ctx = vctx;
    unsigned char digest[32];
    int reuse = ctx->plain != NULL && digest_of(ctx->prov, in, inlen, digest) &&
                CRYPTO_memcmp(digest, ctx->input_digest, sizeof(digest)) == 0;
    if (!reuse && !decrypt_whole(ctx, in, inlen, out == NULL))
        return 0;
    *outlen = ctx->plain_len;
    if (out == NULL)
        return 1;
    if (outsize < ctx->plain_len) {
        DEKCACHE_RAISE(ctx->prov->handle, DEKCACHE_R_OUTPUT_TOO_LARGE,
                       "the plaintext needs %zu bytes, the buffer holds %zu", ctx->plain_len,
                       outsize);
        drop_results(ctx);
        return 0;
    }
    memcpy(out, ctx->plain, ctx->plain_len);
    drop_results(ctx);
    return 1;
}

static const OSSL_PARAM asym_settable[] = {
    OSSL_PARAM_utf8_string(DEKCACHE_PARAM_ENCRYPTION_CONTEXT, NULL, 0),
    OSSL_PARAM_uint(DEKCACHE_PARAM_ALGORITHM_SUITE, NULL),
    OSSL_PARAM_uint(DEKCACHE_PARAM_FRAME_LENGTH, NULL),
    OSSL_PARAM_END,
};

static const OSSL_PARAM *asym_settable_ctx_params(void *vctx, void *provctx)
{
    return asym_settable;
}

static int set_ctx_params(void *vctx, const OSSL_PARAM params[])
{
    asym_ctx *ctx = vctx;
    const OSSL_CORE_HANDLE *handle = ctx->prov->handle;
    const OSSL_PARAM *p;
    if (params == NULL)
        return 1;
    if (!dekcache_param_find(handle, params, DEKCACHE_PARAM_ENCRYPTION_CONTEXT, &p) ||
        (p != NULL && !dekcache_param_context(handle, p, &ctx->ec)))
        return 0;
    if (!dekcache_param_find(handle, params, DEKCACHE_PARAM_ALGORITHM_SUITE, &p) ||
        (p != NULL && !dekcache_param_suite(handle, p, &ctx->suite_id)))
        return 0;
    if (!dekcache_param_find(handle, params, DEKCACHE_PARAM_FRAME_LENGTH, &p) ||
        (p != NULL &&
         !dekcache_param_frame_length(handle, p, 1, ESDK_DEFAULT_MAX_FRAME_LEN, &ctx->frame_len)))
        return 0;
    drop_results(ctx);
    return 1;
}

static int asym_encrypt_init(void *vctx, void *keydata, const OSSL_PARAM params[])
{
    return asym_init(vctx, keydata, params);
}

static int asym_decrypt_init(void *vctx, void *keydata, const OSSL_PARAM params[])
{
    return asym_init(vctx, keydata, params);
}

const OSSL_DISPATCH dekcache_asym_cipher_functions[] = {
    {OSSL_FUNC_ASYM_CIPHER_NEWCTX, (void (*)(void))asym_newctx},
    {OSSL_FUNC_ASYM_CIPHER_FREECTX, (void (*)(void))asym_freectx},
    {OSSL_FUNC_ASYM_CIPHER_ENCRYPT_INIT, (void (*)(void))asym_encrypt_init},
    {OSSL_FUNC_ASYM_CIPHER_ENCRYPT, (void (*)(void))asym_encrypt},
    {OSSL_FUNC_ASYM_CIPHER_DECRYPT_INIT, (void (*)(void))asym_decrypt_init},
    {OSSL_FUNC_ASYM_CIPHER_DECRYPT, (void (*)(void))asym_decrypt},
    {OSSL_FUNC_ASYM_CIPHER_SET_CTX_PARAMS, (void (*)(void))set_ctx_params},
    {OSSL_FUNC_ASYM_CIPHER_SETTABLE_CTX_PARAMS, (void (*)(void))asym_settable_ctx_params},
    {0, NULL},
};
