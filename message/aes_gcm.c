#include "message/aes_gcm.h"

#include <limits.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdatomic.h>

#include "message/library_internal.h"

static EVP_CIPHER *gcm_ciphers[3]; /* AES-128/192/256-GCM */
static _Atomic int fetched;
static pthread_mutex_t fetch_lock = PTHREAD_MUTEX_INITIALIZER;

/* Fetching is slow (a locked method-store lookup), so do it once; the
 * library's last release (message/library.h) frees them again. */
static void fetch_ciphers(void)
{
    if (atomic_load_explicit(&fetched, memory_order_acquire))
        return;
    pthread_mutex_lock(&fetch_lock);
    if (!atomic_load_explicit(&fetched, memory_order_relaxed)) {
        gcm_ciphers[0] = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
        gcm_ciphers[1] = EVP_CIPHER_fetch(NULL, "AES-192-GCM", NULL);
        gcm_ciphers[2] = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
        atomic_store_explicit(&fetched, 1, memory_order_release);
    }
    pthread_mutex_unlock(&fetch_lock);
}

void esdk_gcm_free_globals(void)
{
    pthread_mutex_lock(&fetch_lock);
    for (int i = 0; i < 3; i++) {
        EVP_CIPHER_free(gcm_ciphers[i]);
        gcm_ciphers[i] = NULL;
    }
    atomic_store_explicit(&fetched, 0, memory_order_release);
    pthread_mutex_unlock(&fetch_lock);
}

static const EVP_CIPHER *cipher_for(size_t key_len)
{
    fetch_ciphers();
    switch (key_len) {
    case 16:
        return gcm_ciphers[0];
    case 24:
        return gcm_ciphers[1];
    case 32:
        return gcm_ciphers[2];
    default:
        return NULL;
    }
}

EVP_CIPHER_CTX *esdk_gcm_new(const uint8_t *key, size_t key_len, int encrypt)
{
    const EVP_CIPHER *cipher = cipher_for(key_len);
    if (cipher == NULL)
        return NULL;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL || !EVP_CipherInit_ex(ctx, cipher, NULL, key, NULL, encrypt)) {
        EVP_CIPHER_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

/* Feeds data in INT_MAX-sized pieces (EVP lengths are int). */
static int update_all(EVP_CIPHER_CTX *ctx, uint8_t *out, const uint8_t *in, size_t len)
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

int esdk_gcm_seal(EVP_CIPHER_CTX *ctx, const uint8_t iv[12], const uint8_t *aad, size_t aad_len,
                  const uint8_t *pt, size_t len, uint8_t *ct, uint8_t tag[16])
{
    int outl = 0;
    uint8_t none[16]; /* GCM's final step writes nothing; ct may be NULL when len is 0 */
    return EVP_CipherInit_ex(ctx, NULL, NULL, NULL, iv, 1) && update_all(ctx, NULL, aad, aad_len) &&
           update_all(ctx, ct, pt, len) && EVP_CipherFinal_ex(ctx, none, &outl) &&
           EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag);
}

int esdk_gcm_open(EVP_CIPHER_CTX *ctx, const uint8_t iv[12], const uint8_t *aad, size_t aad_len,
                  const uint8_t *ct, size_t len, uint8_t *pt, const uint8_t tag[16])
{
    int outl = 0;
    uint8_t none[16];
    int ok = EVP_CipherInit_ex(ctx, NULL, NULL, NULL, iv, 0) &&
             update_all(ctx, NULL, aad, aad_len) && update_all(ctx, pt, ct, len) &&
             EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, (void *)tag) &&
             EVP_CipherFinal_ex(ctx, none, &outl) > 0;
    if (!ok && len > 0)
        OPENSSL_cleanse(pt, len);
    return ok;
}
