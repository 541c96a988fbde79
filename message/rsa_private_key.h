#ifndef DEKCACHE_MESSAGE_RSA_PRIVATE_KEY_H
#define DEKCACHE_MESSAGE_RSA_PRIVATE_KEY_H

/* An RSA private key from PEM without OpenSSL 3.0's key decoders and PEM
 * reader, which free copies of the key uncleansed (decode_pem2der.c,
 * decode_der2key.c, the PEM reader's base64 context): the base64 is decoded
 * into the secure heap here, the DER read with the generic ASN.1 parser
 * (what it decoded cleansed before it is freed), and the key made with
 * EVP_PKEY_fromdata from secure BIGNUMs and checked pairwise. */

#include <openssl/evp.h>
#include <stddef.h>

#include "message/crypto.h"
#include "message/status.h"

/* The first "PRIVATE KEY" (PKCS#8) or "RSA PRIVATE KEY" (PKCS#1) block of
 * pem[0..pem_len): an unencrypted two-prime RSA key whose parts agree, with
 * a modulus of at most 16384 bits. Other blocks before it are skipped.
 * ESDK_ERR_INVALID_ARGUMENT, with the reason in detail (NULL allowed), when
 * there is none, it is encrypted, or it is not such a key. */
esdk_status esdk_rsa_private_key_from_pem(const esdk_crypto *crypto, const char *pem,
                                          size_t pem_len, EVP_PKEY **out, char *detail,
                                          size_t detail_len);

#endif
