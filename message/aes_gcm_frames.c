#include "message/aes_gcm_frames.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/params.h>
#include <string.h>

#include "message/aes_gcm.h"
#include "message/body.h"

/* The last 8 bytes of frame `seq`'s IV, as IV generation reports them. */
static int is_iv_tail(const uint8_t got[8], uint32_t seq)
{
    uint8_t iv[12];
    esdk_frame_iv(iv, seq);
    return memcmp(got, iv + 4, 8) == 0;
}

/* Puts the context in IV-generation mode at frame `seq` and takes that IV
 * (OpenSSL sets it up and steps its counter). A cipher that refuses, or
 * reports another IV, gets explicit IVs from then on. */
static int arm_sealing(EVP_CIPHER_CTX *ctx, esdk_gcm_frames *f, uint32_t seq)
{
    uint8_t iv[12], got[8];
    esdk_frame_iv(iv, seq);
    memset(got, 0xFF, sizeof(got));
    OSSL_PARAM gen[] = {
        OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_GET_IV_GEN, got, sizeof(got)),
        OSSL_PARAM_END};
    ERR_set_mark(); /* refusals are expected from other implementations */
    int ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IV_FIXED, -1, iv) > 0 &&
             EVP_CIPHER_CTX_get_params(ctx, gen) && is_iv_tail(got, seq);
    ERR_pop_to_mark();
    f->next = ok ? seq : 0;
    f->explicit_ivs = !ok;
    return ok;
}

/* One parameter call returns the tag and readies the next frame's IV; the
 * IV is checked so that a frame is never sealed under an unexpected one. */
static int seal_generated(EVP_CIPHER_CTX *ctx, esdk_gcm_frames *f, uint32_t seq, const uint8_t *aad,
                          size_t aad_len, const uint8_t *pt, size_t len, uint8_t *ct,
                          uint8_t tag[16])
{
    uint8_t next_iv[8];
    memset(next_iv, 0xFF, sizeof(next_iv)); /* never a frame IV: stays so if ignored */
    OSSL_PARAM params[] = {
        OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, 16),
        OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_GET_IV_GEN, next_iv, sizeof(next_iv)),
        OSSL_PARAM_END};
    f->next = 0;
    if (!esdk_gcm_run(ctx, aad, aad_len, pt, len, ct) || !EVP_CIPHER_CTX_get_params(ctx, params))
        return 0;
    if (is_iv_tail(next_iv, seq + 1))
        f->next = seq + 1;
    else
        f->explicit_ivs = 1;
    return 1;
}

int esdk_gcm_seal_frame(EVP_CIPHER_CTX *ctx, esdk_gcm_frames *f, uint32_t seq, const uint8_t *aad,
                        size_t aad_len, const uint8_t *pt, size_t len, uint8_t *ct, uint8_t tag[16])
{
    if (!f->explicit_ivs && (f->next == seq || arm_sealing(ctx, f, seq)))
        return seal_generated(ctx, f, seq, aad, aad_len, pt, len, ct, tag);
    uint8_t iv[12];
    esdk_frame_iv(iv, seq);
    return esdk_gcm_seal(ctx, iv, aad, aad_len, pt, len, ct, tag);
}

/* The IV's first 8 bytes stay those set here (zero); each frame then sets
 * only its sequence number ("tlsivinv", the TLS invocation field). */
static int arm_opening(EVP_CIPHER_CTX *ctx, esdk_gcm_frames *f, uint32_t seq)
{
    uint8_t iv[12];
    esdk_frame_iv(iv, seq);
    ERR_set_mark();
    f->armed = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IV_FIXED, -1, iv) > 0;
    ERR_pop_to_mark();
    f->explicit_ivs = !f->armed;
    return f->armed;
}

/* One parameter call sets the tag and the sequence number. */
static int open_generated(EVP_CIPHER_CTX *ctx, uint32_t seq, const uint8_t *aad, size_t aad_len,
                          const uint8_t *ct, size_t len, uint8_t *pt, const uint8_t tag[16])
{
    uint8_t seq_be[4];
    esdk_put_u32(seq_be, seq);
    OSSL_PARAM params[] = {
        OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, (void *)tag, 16),
        OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_SET_IV_INV, seq_be, sizeof(seq_be)),
        OSSL_PARAM_END};
    return EVP_CIPHER_CTX_set_params(ctx, params) && esdk_gcm_run(ctx, aad, aad_len, ct, len, pt);
}

static int open_explicit(EVP_CIPHER_CTX *ctx, uint32_t seq, const uint8_t *aad, size_t aad_len,
                         const uint8_t *ct, size_t len, uint8_t *pt, const uint8_t tag[16])
{
    uint8_t iv[12];
    esdk_frame_iv(iv, seq);
    return esdk_gcm_open(ctx, iv, aad, aad_len, ct, len, pt, tag);
}

int esdk_gcm_open_frame(EVP_CIPHER_CTX *ctx, esdk_gcm_frames *f, uint32_t seq, const uint8_t *aad,
                        size_t aad_len, const uint8_t *ct, size_t len, uint8_t *pt,
                        const uint8_t tag[16])
{
    int ok;
    if (!f->explicit_ivs && (f->armed || arm_opening(ctx, f, seq))) {
        ok = open_generated(ctx, seq, aad, aad_len, ct, len, pt, tag);
        /* A failure means a damaged frame, or a cipher that ignores the
         * sequence number: an explicit IV tells which (a second pass only
         * over frames that are rejected anyway). */
        if (!ok) {
            f->armed = 0;
            ok = open_explicit(ctx, seq, aad, aad_len, ct, len, pt, tag);
            f->explicit_ivs = ok;
        }
    } else {
        ok = open_explicit(ctx, seq, aad, aad_len, ct, len, pt, tag);
    }
    if (!ok && len > 0)
        OPENSSL_cleanse(pt, len);
    return ok;
}
