#include "message/kdf.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>

#include "message/wire.h"

#define MAX_HASH 64

/* out = HMAC(key, a || b || c); key NULL reuses the context's previous key. */
static int hmac3(EVP_MAC_CTX *ctx, const uint8_t *key, size_t key_len, const void *a, size_t alen,
                 const void *b, size_t blen, const void *c, size_t clen, uint8_t *out)
{
    size_t out_len = 0;
    return EVP_MAC_init(ctx, key, key_len, NULL) && EVP_MAC_update(ctx, a, alen) &&
           EVP_MAC_update(ctx, b, blen) && EVP_MAC_update(ctx, c, clen) &&
           EVP_MAC_final(ctx, out, &out_len, MAX_HASH);
}

static const uint8_t one = 1;

/* v1: K = HKDF(hash, salt = zeros, IKM = PDK, info = suiteId || messageId). */
static int derive_v1(EVP_MAC_CTX *ctx, const esdk_suite *suite, const uint8_t *pdk,
                     const uint8_t *msg_id, uint8_t *prk, size_t hash_len, uint8_t *okm)
{
    uint8_t zeros[MAX_HASH] = {0}, suite_id[2];
    esdk_put_u16(suite_id, suite->id);
    return hmac3(ctx, zeros, hash_len, pdk, suite->key_len, NULL, 0, NULL, 0, prk) &&
           hmac3(ctx, prk, hash_len, suite_id, 2, msg_id, suite->message_id_len, &one, 1, okm);
}

/* v2: PRK = Extract(salt = messageId, PDK); Kenc = Expand(PRK, suiteId || "DERIVEKEY");
 * Kcommit = Expand(PRK, "COMMITKEY"). */
static int derive_v2(EVP_MAC_CTX *ctx, const esdk_suite *suite, const uint8_t *pdk,
                     const uint8_t *msg_id, uint8_t *prk, size_t hash_len, uint8_t *okm,
                     uint8_t *okm_commit)
{
    uint8_t suite_id[2];
    esdk_put_u16(suite_id, suite->id);
    return hmac3(ctx, msg_id, suite->message_id_len, pdk, suite->key_len, NULL, 0, NULL, 0, prk) &&
           hmac3(ctx, prk, hash_len, suite_id, 2, "DERIVEKEY", 9, &one, 1, okm) &&
           hmac3(ctx, NULL, 0, "COMMITKEY", 9, NULL, 0, &one, 1, okm_commit);
}

esdk_status esdk_derive_keys(const esdk_crypto *crypto, const esdk_suite *suite,
                             const uint8_t *data_key, const uint8_t *message_id, uint8_t *enc_key,
                             uint8_t *commit_key)
{
    if (suite->kdf == ESDK_KDF_IDENTITY) {
        memcpy(enc_key, data_key, suite->key_len);
        return ESDK_OK;
    }
    crypto = esdk_crypto_or_default(crypto);
    /* The digest's size: the MAC's is unknown before a key is set. */
    const EVP_MD *md = esdk_crypto_md(crypto, suite->kdf_hash);
    EVP_MAC_CTX *ctx = md != NULL ? esdk_crypto_hmac_new(crypto, suite->kdf_hash) : NULL;
    if (ctx == NULL)
        return ESDK_ERR_CRYPTO;
    size_t hash_len = (size_t)EVP_MD_get_size(md);
    uint8_t prk[MAX_HASH], okm[MAX_HASH], okm_commit[MAX_HASH];
    int ok = suite->committing
                 ? derive_v2(ctx, suite, data_key, message_id, prk, hash_len, okm, okm_commit)
                 : derive_v1(ctx, suite, data_key, message_id, prk, hash_len, okm);
    if (ok) {
        memcpy(enc_key, okm, suite->key_len);
        if (suite->committing)
            memcpy(commit_key, okm_commit, 32);
    }
    OPENSSL_cleanse(prk, sizeof(prk));
    OPENSSL_cleanse(okm, sizeof(okm));
    OPENSSL_cleanse(okm_commit, sizeof(okm_commit));
    EVP_MAC_CTX_free(ctx);
    return ok ? ESDK_OK : ESDK_ERR_CRYPTO;
}
