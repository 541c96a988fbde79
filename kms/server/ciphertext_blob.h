/* dekcache-kms-local's ciphertext blob, self-describing:
 *   "DKLB" | version 0x01 | key id length (1 byte) | key id | IV (12) |
 *   ciphertext | GCM tag (16)
 * AES-256-GCM under the key's master key with a random IV. The AAD is the
 * header (magic through key id) followed by the serialized encryption
 * context, so a changed context or key id fails authentication. */
#ifndef DEKCACHE_KMS_SERVER_CIPHERTEXT_BLOB_H
#define DEKCACHE_KMS_SERVER_CIPHERTEXT_BLOB_H

#include "kms/server/keystore.h"

#include <stddef.h>

#define BLOB_MAGIC         "DKLB"
#define BLOB_VERSION       1
#define BLOB_IV_LEN        12
#define BLOB_TAG_LEN       16
#define BLOB_MAX_PLAINTEXT 4096

typedef struct {
    char key_id[KMS_KEY_ID_MAX + 1];
    const unsigned char *header; /* magic .. key id: part of the AAD */
    size_t header_len;
    const unsigned char *iv;
    const unsigned char *ciphertext;
    size_t ciphertext_len;
    const unsigned char *tag;
} blob_view;

/* Parses untrusted bytes; views point into blob. Returns 0, or -1 with err
 * set to InvalidCiphertextException. */
int blob_parse(const unsigned char *blob, size_t len, blob_view *view, kms_error *err);

/* Encrypts plaintext under key, binding context (serialized). *out is malloc'd. */
int blob_seal(const kms_key *key, const unsigned char *context, size_t context_len,
              const unsigned char *plaintext, size_t plaintext_len, unsigned char **out,
              size_t *out_len, kms_error *err);

/* Decrypts a parsed blob with key (whose id must match). *plaintext is
 * OPENSSL_secure_malloc'd; free with OPENSSL_secure_clear_free. A wrong
 * context or tampered blob is InvalidCiphertextException. */
int blob_open(const blob_view *view, const kms_key *key, const unsigned char *context,
              size_t context_len, unsigned char **plaintext, size_t *plaintext_len, kms_error *err);

#endif
