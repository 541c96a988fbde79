#include "message/aes_gcm.h"

#include <limits.h>
#include <openssl/crypto.h>

EVP_CIPHER_CTX *esdk_gcm_new(const esdk_crypto *crypto, const uint8_t *key, size_t key_len,
                             int encrypt)
{
    const EVP_CIPHER *cipher = esdk_crypto_gcm(esdk_crypto_or_default(crypto), key_len);
    if (cipher == NULL)
        return NULL;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL || !EVP_CipherInit_ex(ctx, cipher, NULL, key, NULL, encrypt)) {
        EVP_CIPHER_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

/* Feeds data (out NULL: AAD) in INT_MAX-sized pieces, EVP lengths being int. */
static int esdk_gcm_feed(EVP_CIPHER_CTX *ctx, uint8_t *out, const uint8_t *in, size_t len)
{
    while (len > 0) {
        int chunk = len > (size_t)INT_MAX ? INT_MAX : (int)len;
        int outl = 0;
        if (!EVP_CipherUpdate(ctx, out, &outl, in, chunk))
            return 0;
        if (out != NULL)
            out += outl;
        in += chunk;
        len -= (size_t)chunk;
    }
    return 1;
}

int esdk_gcm_run(EVP_CIPHER_CTX *ctx, const uint8_t *aad, size_t aad_len, const uint8_t *in,
                 size_t len, uint8_t *out)
{
    int outl = 0;
    uint8_t none[16]; /* GCM's final step writes nothing; out may be NULL when len is 0 */
    return esdk_gcm_feed(ctx, NULL, aad, aad_len) && esdk_gcm_feed(ctx, out, in, len) &&
           EVP_CipherFinal_ex(ctx, none, &outl) > 0;
}

int esdk_gcm_seal(EVP_CIPHER_CTX *ctx, const uint8_t iv[12], const uint8_t *aad, size_t aad_len,
                  const uint8_t *pt, size_t len, uint8_t *ct, uint8_t tag[16])
{
    return EVP_CipherInit_ex(ctx, NULL, NULL, NULL, iv, 1) &&
           esdk_gcm_run(ctx, aad, aad_len, pt, len, ct) &&
           EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag);
}

int esdk_gcm_open(EVP_CIPHER_CTX *ctx, const uint8_t iv[12], const uint8_t *aad, size_t aad_len,
                  const uint8_t *ct, size_t len, uint8_t *pt, const uint8_t tag[16])
{
    int ok = EVP_CipherInit_ex(ctx, NULL, NULL, NULL, iv, 0) &&
             EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, (void *)tag) &&
             esdk_gcm_run(ctx, aad, aad_len, ct, len, pt);
    if (!ok && len > 0)
        OPENSSL_cleanse(pt, len);
    return ok;
}
