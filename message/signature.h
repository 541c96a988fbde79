#ifndef DEKCACHE_MESSAGE_SIGNATURE_H
#define DEKCACHE_MESSAGE_SIGNATURE_H

/* Internal: the footer's ECDSA signature over the hash of header and body. */

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

#include "message/crypto.h"
#include "message/status.h"
#include "message/suite.h"

#define ESDK_SIG_MAX_LEN 104

/* A digest context for the suite's signature hash. */
EVP_MD_CTX *esdk_sig_hash_new(const esdk_crypto *crypto, const esdk_suite *suite);

/* Signs the finished hash; the DER signature has low S and is re-drawn until it
 * has the suite's pinned length (71 / 103 bytes), as the official SDKs do. */
esdk_status esdk_sig_sign(const esdk_crypto *crypto, EVP_MD_CTX *hash, EVP_PKEY *key,
                          const esdk_suite *suite, uint8_t *sig, size_t *sig_len);

/* Verifies a DER signature over the finished hash. */
esdk_status esdk_sig_verify(const esdk_crypto *crypto, EVP_MD_CTX *hash, EVP_PKEY *key,
                            const uint8_t *sig, size_t sig_len);

#endif
