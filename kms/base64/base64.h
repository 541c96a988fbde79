/* Strict standard base64 (RFC 4648 alphabet, with padding) over libcrypto's
 * EVP_EncodeBlock/EVP_DecodeBlock, shared by the KMS client and the local
 * KMS server. */
#ifndef DEKCACHE_KMS_BASE64_H
#define DEKCACHE_KMS_BASE64_H

#include <stddef.h>

/* Characters of the padded encoding of len bytes, without the NUL. */
size_t kms_base64_encoded_len(size_t len);

/* Writes the encoding of in and a NUL into out, which must hold
 * kms_base64_encoded_len(len) + 1 bytes. */
void kms_base64_encode(const unsigned char *in, size_t len, char *out);

/* Bytes kms_base64_decode may write for text_len characters. */
size_t kms_base64_decoded_max(size_t text_len);

/* 1 when text is what kms_base64_decode accepts (see there), else 0. */
int kms_base64_is_strict(const char *text, size_t text_len);

/* Strict decode: canonical alphabet only, length a multiple of 4, at most two
 * '=' and only at the end, no whitespace or NUL. The last character's unused
 * bits are not checked. out must hold kms_base64_decoded_max(text_len) bytes;
 * what it was given is cleansed on failure. Returns 1 with *out_len set (the
 * empty text decodes to 0 bytes), or 0 with *out_len = 0. */
int kms_base64_decode(const char *text, size_t text_len, unsigned char *out, size_t *out_len);

/* kms_base64_decode into a fresh buffer (OPENSSL_secure_malloc when secure
 * is non-zero, else OPENSSL_malloc) of min_len to max_len decoded bytes;
 * text longer than max_len bytes can take is refused before any work.
 * Returns 1 (*out set, also for an empty result), 0 (not strict base64, or
 * a length outside the bounds) or -1 (out of memory); on 0 and -1 nothing is
 * left allocated, *out is NULL and *out_len 0. The bytes past *out_len are
 * zero, so kms_base64_free with *out_len cleanses it all. */
int kms_base64_decode_new(const char *text, size_t text_len, int secure, size_t min_len,
                          size_t max_len, unsigned char **out, size_t *out_len);

/* Cleanses and frees what kms_base64_decode_new returned; NULL is a no-op. */
void kms_base64_free(unsigned char *buf, size_t len, int secure);

#endif
