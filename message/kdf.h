#ifndef DEKCACHE_MESSAGE_KDF_H
#define DEKCACHE_MESSAGE_KDF_H

/* Internal: message key derivation (esdk-format.md section 5). */

#include <stddef.h>
#include <stdint.h>

#include "message/crypto.h"
#include "message/status.h"
#include "message/suite.h"

/* Writes the suite's derived encryption key (suite->key_len bytes) and, for
 * committing suites, the 32-byte commit key. HKDF runs on reused HMAC
 * contexts: one extract and one expand per output (every output is shorter
 * than the hash, so each expand is a single HMAC block). */
esdk_status esdk_derive_keys(const esdk_crypto *crypto, const esdk_suite *suite,
                             const uint8_t *data_key, const uint8_t *message_id, uint8_t *enc_key,
                             uint8_t *commit_key);

#endif
