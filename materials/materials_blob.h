#ifndef DEKCACHE_MATERIALS_MATERIALS_BLOB_H
#define DEKCACHE_MATERIALS_MATERIALS_BLOB_H

/* Encryption and decryption materials as one flat byte string, the form the
 * DEK cache stores (it copies blobs on store and read, and cleanses them).
 * Blobs hold the plaintext data key and the signing key: callers keep them
 * in memory they cleanse. The format is private to this process. */

#include <stddef.h>
#include <stdint.h>

#include "message/materials.h"

/* Writes the blob into out (cap bytes). Returns ESDK_OK with *len set, or
 * ESDK_ERR_INVALID_ARGUMENT when it would not fit (*len = size needed),
 * ESDK_ERR_BAD_MATERIALS when a key or the context cannot be written. */
esdk_status materials_enc_to_blob(const esdk_enc_materials *mat, uint8_t *out, size_t cap,
                                  size_t *len);
esdk_status materials_dec_to_blob(const esdk_dec_materials *mat, uint8_t *out, size_t cap,
                                  size_t *len);

/* Fresh materials from a blob written by the functions above; signing and
 * verification keys are decoded in libctx (NULL: the default context). */
esdk_status materials_enc_from_blob(OSSL_LIB_CTX *libctx, const uint8_t *blob, size_t len,
                                    esdk_enc_materials **out);
esdk_status materials_dec_from_blob(OSSL_LIB_CTX *libctx, const uint8_t *blob, size_t len,
                                    esdk_dec_materials **out);

#endif
