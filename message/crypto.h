#ifndef DEKCACHE_MESSAGE_CRYPTO_H
#define DEKCACHE_MESSAGE_CRYPTO_H

/* The libcrypto library context (and property query) that every primitive of
 * the message library runs in, with the algorithms it needs on every message
 * (AES-GCM, SHA-2, HMAC) fetched once. A provider passes a child of the
 * application's library context here, so its crypto runs on the providers the
 * application chose (FIPS included) and never on the default context behind
 * the application's back.
 *
 * An esdk_crypto is immutable once made and may be shared by any number of
 * threads. Whoever makes one frees it after every object given it (keyrings,
 * CMMs, encryptors, decryptors) is gone. Everywhere one is taken, NULL means
 * the default library context (esdk_crypto_default). */

#include <openssl/evp.h>
#include <stddef.h>

typedef struct esdk_crypto esdk_crypto;

/* NULL when an algorithm cannot be fetched from libctx (or on allocation failure). */
esdk_crypto *esdk_crypto_new(OSSL_LIB_CTX *libctx, const char *propq);
void esdk_crypto_free(esdk_crypto *crypto);

/* The process-wide object for the default library context, made on first use
 * and freed by the library's last release (message/library.h). While its
 * fetches fail, an object without algorithms is returned (every operation on
 * it fails) and the next call tries again. */
const esdk_crypto *esdk_crypto_default(void);

/* crypto, or the default when crypto is NULL; never NULL. */
const esdk_crypto *esdk_crypto_or_default(const esdk_crypto *crypto);

OSSL_LIB_CTX *esdk_crypto_libctx(const esdk_crypto *crypto);
const char *esdk_crypto_propq(const esdk_crypto *crypto); /* NULL when none */

/* AES-GCM for a 16-, 24- or 32-byte key; NULL for other lengths. */
const EVP_CIPHER *esdk_crypto_gcm(const esdk_crypto *crypto, size_t key_len);

/* SHA-256, SHA-384 or SHA-512 by name ("SHA256", ...); NULL for others. */
const EVP_MD *esdk_crypto_md(const esdk_crypto *crypto, const char *name);

/* A new HMAC context with the digest ("SHA256", "SHA384", "SHA512") already
 * set and no key; NULL for another digest or on failure. */
EVP_MAC_CTX *esdk_crypto_hmac_new(const esdk_crypto *crypto, const char *digest);

#endif
