#include "message/crypto.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "message/library_internal.h"

#define N_GCM  3 /* AES-128/192/256-GCM */
#define N_HASH 3 /* SHA256/384/512: HMAC digests and signature hashes */

static const char *const gcm_names[N_GCM] = {"AES-128-GCM", "AES-192-GCM", "AES-256-GCM"};
static const char *const hash_names[N_HASH] = {"SHA256", "SHA384", "SHA512"};

/* Fetching is slow (a locked method-store lookup) and so is setting an HMAC
 * digest (parameter parsing): both are done once here, and each derivation
 * duplicates a keyless HMAC template. */
struct esdk_crypto {
    OSSL_LIB_CTX *libctx;
    char *propq;
    EVP_CIPHER *gcm[N_GCM];
    EVP_MD *md[N_HASH];
    EVP_MAC_CTX *hmac[N_HASH];
};

static EVP_MAC_CTX *hmac_template(EVP_MAC *mac, const char *digest)
{
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)digest, 0),
        OSSL_PARAM_construct_end()};
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
    if (ctx != NULL && !EVP_MAC_CTX_set_params(ctx, params)) {
        EVP_MAC_CTX_free(ctx);
        ctx = NULL;
    }
    return ctx;
}

/* Returns 1 when every algorithm was fetched. */
static int fetch_all(esdk_crypto *c)
{
    int ok = 1;
    for (int i = 0; i < N_GCM; i++)
        ok &= (c->gcm[i] = EVP_CIPHER_fetch(c->libctx, gcm_names[i], c->propq)) != NULL;
    for (int i = 0; i < N_HASH; i++)
        ok &= (c->md[i] = EVP_MD_fetch(c->libctx, hash_names[i], c->propq)) != NULL;
    EVP_MAC *mac = EVP_MAC_fetch(c->libctx, "HMAC", c->propq);
    for (int i = 0; i < N_HASH; i++)
        ok &= (c->hmac[i] = mac ? hmac_template(mac, hash_names[i]) : NULL) != NULL;
    EVP_MAC_free(mac);
    return ok;
}

static void release_all(esdk_crypto *c)
{
    for (int i = 0; i < N_GCM; i++) {
        EVP_CIPHER_free(c->gcm[i]);
        c->gcm[i] = NULL;
    }
    for (int i = 0; i < N_HASH; i++) {
        EVP_MD_free(c->md[i]);
        EVP_MAC_CTX_free(c->hmac[i]);
        c->md[i] = NULL;
        c->hmac[i] = NULL;
    }
}

esdk_crypto *esdk_crypto_new(OSSL_LIB_CTX *libctx, const char *propq)
{
    esdk_crypto *c = OPENSSL_zalloc(sizeof(*c));
    if (c == NULL)
        return NULL;
    c->libctx = libctx;
    if ((propq != NULL && (c->propq = OPENSSL_strdup(propq)) == NULL) || !fetch_all(c)) {
        esdk_crypto_free(c);
        return NULL;
    }
    return c;
}

void esdk_crypto_free(esdk_crypto *crypto)
{
    if (crypto == NULL)
        return;
    release_all(crypto);
    OPENSSL_free(crypto->propq);
    OPENSSL_free(crypto);
}

static esdk_crypto default_crypto;
static const esdk_crypto no_algorithms; /* what callers get while fetching fails */
static _Atomic int default_made;
static pthread_mutex_t default_lock = PTHREAD_MUTEX_INITIALIZER;

/* A failed fetch (say, before the application loaded its providers) is not
 * kept: the next call tries again. */
const esdk_crypto *esdk_crypto_default(void)
{
    if (atomic_load_explicit(&default_made, memory_order_acquire))
        return &default_crypto;
    pthread_mutex_lock(&default_lock);
    int made = atomic_load_explicit(&default_made, memory_order_relaxed);
    if (!made && !(made = fetch_all(&default_crypto)))
        release_all(&default_crypto);
    atomic_store_explicit(&default_made, made, memory_order_release);
    pthread_mutex_unlock(&default_lock);
    return made ? &default_crypto : &no_algorithms;
}

void esdk_crypto_free_default(void)
{
    pthread_mutex_lock(&default_lock);
    release_all(&default_crypto);
    atomic_store_explicit(&default_made, 0, memory_order_release);
    pthread_mutex_unlock(&default_lock);
}

const esdk_crypto *esdk_crypto_or_default(const esdk_crypto *crypto)
{
    return crypto != NULL ? crypto : esdk_crypto_default();
}

OSSL_LIB_CTX *esdk_crypto_libctx(const esdk_crypto *crypto)
{
    return crypto->libctx;
}

const char *esdk_crypto_propq(const esdk_crypto *crypto)
{
    return crypto->propq;
}

const EVP_CIPHER *esdk_crypto_gcm(const esdk_crypto *crypto, size_t key_len)
{
    switch (key_len) {
    case 16:
        return crypto->gcm[0];
    case 24:
        return crypto->gcm[1];
    case 32:
        return crypto->gcm[2];
    default:
        return NULL;
    }
}

static int hash_index(const char *name)
{
    for (int i = 0; i < N_HASH; i++) {
        if (strcmp(name, hash_names[i]) == 0)
            return i;
    }
    return -1;
}

const EVP_MD *esdk_crypto_md(const esdk_crypto *crypto, const char *name)
{
    int i = hash_index(name);
    return i < 0 ? NULL : crypto->md[i];
}

EVP_MAC_CTX *esdk_crypto_hmac_new(const esdk_crypto *crypto, const char *digest)
{
    int i = hash_index(digest);
    return i < 0 || crypto->hmac[i] == NULL ? NULL : EVP_MAC_CTX_dup(crypto->hmac[i]);
}
