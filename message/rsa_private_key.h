#ifndef DEKCACHE_MESSAGE_RSA_PRIVATE_KEY_H
#define DEKCACHE_MESSAGE_RSA_PRIVATE_KEY_H

/* An RSA private key from PEM without OpenSSL 3.0's key decoders, which free
 * copies of the key's DER uncleansed (decode_pem2der.c, decode_der2key.c):
 * the PEM is decoded into the secure heap, the DER read with the generic
 * ASN.1 parser (its integers cleansed before they are freed), and the key
 * made with EVP_PKEY_fromdata from secure BIGNUMs. */

#include <openssl/evp.h>
#include <stddef.h>

#include "message/crypto.h"
#include "message/status.h"

/* The first "PRIVATE KEY" (PKCS#8) or "RSA PRIVATE KEY" (PKCS#1) block of
 * pem[0..pem_len): an unencrypted two-prime RSA key. Other blocks before it
 * are skipped. ESDK_ERR_INVALID_ARGUMENT when there is none, it is
 * encrypted, or it is not such a key. */
esdk_status esdk_rsa_private_key_from_pem(const esdk_crypto *crypto, const char *pem,
                                          size_t pem_len, EVP_PKEY **out);

#endif
