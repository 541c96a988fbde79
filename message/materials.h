#ifndef DEKCACHE_MESSAGE_MATERIALS_H
#define DEKCACHE_MESSAGE_MATERIALS_H

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

#include "message/crypto.h"
#include "message/status.h"

/* ---------------------------------------------------------------------------
 * Encrypted data key (EDK): what a keyring stores in the header.
 * All three fields are owned byte strings; provider_id is UTF-8 but may hold
 * any bytes (it is length-delimited, never NUL-terminated by contract,
 * although the library always keeps one NUL after each field for printing).
 * ------------------------------------------------------------------------- */
typedef struct {
    uint8_t *provider_id;
    size_t provider_id_len;
    uint8_t *provider_info;
    size_t provider_info_len;
    uint8_t *ciphertext;
    size_t ciphertext_len;
} esdk_edk;

/* Fills *edk with copies of the three fields (each <= 65535 bytes). */
esdk_status esdk_edk_init(esdk_edk *edk, const void *provider_id, size_t provider_id_len,
                          const void *provider_info, size_t provider_info_len,
                          const void *ciphertext, size_t ciphertext_len);
esdk_status esdk_edk_copy(esdk_edk *dst, const esdk_edk *src);
/* The header's encoding of one EDK: three u16-length-prefixed fields. */
size_t esdk_edk_serialized_size(const esdk_edk *edk);
/* Writes that encoding at p (esdk_edk_serialized_size bytes); returns the end. */
uint8_t *esdk_edk_serialize(uint8_t *p, const esdk_edk *edk);
void esdk_edk_clear(esdk_edk *edk);

/* A growable list of EDKs (header order). Zero-initialise before use. */
typedef struct {
    esdk_edk *items;
    size_t count;
    size_t capacity;
} esdk_edk_list;

/* Appends a copy of the fields. */
esdk_status esdk_edk_list_add(esdk_edk_list *list, const void *provider_id, size_t provider_id_len,
                              const void *provider_info, size_t provider_info_len,
                              const void *ciphertext, size_t ciphertext_len);
esdk_status esdk_edk_list_copy(esdk_edk_list *dst, const esdk_edk_list *src);
void esdk_edk_list_clear(esdk_edk_list *list);
/* Drops the EDKs after the first count (a keyring undoing its own). */
void esdk_edk_list_truncate(esdk_edk_list *list, size_t count);

/* ---------------------------------------------------------------------------
 * Encryption context (EC): a map of UTF-8 byte strings, always kept sorted by
 * the raw bytes of the key (memcmp, shorter prefix first), without duplicates.
 * Keys and values are length-delimited (a key may contain NUL bytes) and are
 * followed by one NUL in memory for convenience. Zero-initialise before use.
 * ------------------------------------------------------------------------- */
typedef struct {
    uint8_t *key;
    size_t key_len;
    uint8_t *value;
    size_t value_len;
} esdk_ec_pair;

typedef struct {
    esdk_ec_pair *pairs;
    size_t count;
    size_t capacity;
} esdk_enc_context;

/* The reserved key carrying the signing public key (base64 compressed point). */
#define ESDK_EC_PUBLIC_KEY "aws-crypto-public-key"
/* Every key with this prefix is reserved for the ESDK. */
#define ESDK_EC_RESERVED_PREFIX "aws-crypto-"

/* Inserts or replaces a pair; ESDK_ERR_BAD_CONTEXT when key or value is not UTF-8
 * or longer than 65535 bytes. */
esdk_status esdk_ec_set(esdk_enc_context *ec, const void *key, size_t key_len, const void *value,
                        size_t value_len);
/* NUL-terminated convenience form of esdk_ec_set. */
esdk_status esdk_ec_set_str(esdk_enc_context *ec, const char *key, const char *value);
/* The pair with this key, or NULL. */
const esdk_ec_pair *esdk_ec_get(const esdk_enc_context *ec, const void *key, size_t key_len);
/* Removes the pair with this key; returns 1 if it existed. */
int esdk_ec_remove(esdk_enc_context *ec, const void *key, size_t key_len);
/* 1 when some key starts with "aws-crypto-". */
int esdk_ec_has_reserved_key(const esdk_enc_context *ec);
esdk_status esdk_ec_copy(esdk_enc_context *dst, const esdk_enc_context *src);
/* The pairs of `reproduced` (NULL: none) that `stored` lacks: the ESDK's
 * required encryption context, as a view without copying: view->pairs is
 * `pairs` (room for reproduced->count), pointing into reproduced's keys and
 * values. Valid while reproduced is; never esdk_ec_clear it. When a pair of
 * `reproduced` has another value in `stored`, returns
 * ESDK_ERR_CONTEXT_MISMATCH with *conflict (if not NULL) pointing at it. */
esdk_status esdk_ec_required_view(const esdk_enc_context *stored,
                                  const esdk_enc_context *reproduced, esdk_ec_pair *pairs,
                                  esdk_enc_context *view, const esdk_ec_pair **conflict);
/* 1 when both hold the same pairs. */
int esdk_ec_equal(const esdk_enc_context *a, const esdk_enc_context *b);
void esdk_ec_clear(esdk_enc_context *ec);

/* Size of the serialisation (esdk-format.md section 4): 0 for an empty EC,
 * else 2 + sum(4 + key_len + value_len). */
size_t esdk_ec_serialized_size(const esdk_enc_context *ec);
/* Writes the serialisation (WITHOUT the header's u16 total length) into out,
 * which must hold esdk_ec_serialized_size() bytes. ESDK_ERR_CONTEXT_TOO_LARGE
 * when the result would exceed 65535 bytes or 65535 pairs. */
esdk_status esdk_ec_serialize(const esdk_enc_context *ec, uint8_t *out, size_t out_len);
/* Parses a serialisation (without the u16 total length; len 0 = empty EC) into
 * an empty *ec. Rejects pair count 0, duplicate keys, invalid UTF-8, truncation
 * and trailing bytes with ESDK_ERR_BAD_CONTEXT. Pairs need not be sorted on
 * input (they are stored sorted). */
esdk_status esdk_ec_parse(esdk_enc_context *ec, const uint8_t *in, size_t len, char *detail,
                          size_t detail_len);

/* ---------------------------------------------------------------------------
 * Materials. Data keys live in OpenSSL secure memory and are cleansed on
 * free. Both structs are heap objects owned by whoever holds the pointer.
 * ------------------------------------------------------------------------- */
typedef struct {
    uint16_t suite_id;
    uint8_t *data_key; /* secure memory, suite key_len bytes; NULL until generated */
    size_t data_key_len;
    esdk_edk_list edks;
    /* The full EC: the caller's pairs plus, for signed suites, aws-crypto-public-key. */
    esdk_enc_context ec;
    /* Keys of `ec` that are authenticated but not stored in the header (required EC).
     * Empty for the default CMM. */
    esdk_enc_context required_ec;
    EVP_PKEY *signing_key; /* ECDSA private key for signed suites, else NULL (owned) */
} esdk_enc_materials;

typedef struct {
    uint16_t suite_id;
    uint8_t *data_key; /* secure memory; NULL until a keyring decrypts an EDK */
    size_t data_key_len;
    /* The full EC the keyrings see: stored header pairs plus required pairs. */
    esdk_enc_context ec;
    /* Pairs authenticated in the header tag but not stored (required EC). */
    esdk_enc_context required_ec;
    EVP_PKEY *verification_key; /* ECDSA public key for signed suites, else NULL (owned) */
    /* Index (header order) of the EDK a keyring decrypted; -1 until one did. */
    long edk_index;
} esdk_dec_materials;

esdk_enc_materials *esdk_enc_materials_new(uint16_t suite_id);
esdk_status esdk_enc_materials_copy(esdk_enc_materials **dst, const esdk_enc_materials *src);
void esdk_enc_materials_free(esdk_enc_materials *mat);

esdk_dec_materials *esdk_dec_materials_new(uint16_t suite_id);
esdk_status esdk_dec_materials_copy(esdk_dec_materials **dst, const esdk_dec_materials *src);
void esdk_dec_materials_free(esdk_dec_materials *mat);

/* Copies key bytes into fresh secure memory, replacing (and cleansing) any
 * previous data key. ESDK_ERR_BAD_MATERIALS when len differs from the suite's. */
esdk_status esdk_enc_materials_set_data_key(esdk_enc_materials *mat, const uint8_t *key,
                                            size_t len);
esdk_status esdk_dec_materials_set_data_key(esdk_dec_materials *mat, const uint8_t *key,
                                            size_t len);

/* Checks materials before use: the data key length matches the suite, at least
 * one EDK, a signing/verification key exactly when the suite is signed. */
esdk_status esdk_enc_materials_check(const esdk_enc_materials *mat, char *detail,
                                     size_t detail_len);
esdk_status esdk_dec_materials_check(const esdk_dec_materials *mat, char *detail,
                                     size_t detail_len);

/* ---------------------------------------------------------------------------
 * Signing keys (ECDSA) and the aws-crypto-public-key encoding.
 * ------------------------------------------------------------------------- */
/* Generates an ECDSA key on the suite's curve (P-256 or P-384). */
esdk_status esdk_signing_key_generate(const esdk_crypto *crypto, uint16_t suite_id, EVP_PKEY **out);
/* Base64 (standard, padded) of the SEC1 compressed public point, NUL-terminated,
 * OPENSSL_free()d by the caller. */
esdk_status esdk_public_key_encode(const EVP_PKEY *key, char **out_b64, size_t *out_len);
/* An EC key on `curve` from its encoded public point and (scalar_len > 0)
 * private scalar, made in libctx/propq; the scalar passes through secure
 * memory only. ESDK_ERR_PUBLIC_KEY when the parts do not make a key. */
esdk_status esdk_ec_key_from_parts(OSSL_LIB_CTX *libctx, const char *propq, const char *curve,
                                   const uint8_t *point, size_t point_len, const uint8_t *scalar,
                                   size_t scalar_len, EVP_PKEY **out);
/* Decodes the EC value back into a public key on the suite's curve: only the
 * canonical base64 of a SEC1 compressed point (33 or 49 bytes, 02 or 03 first). */
esdk_status esdk_public_key_decode(const esdk_crypto *crypto, uint16_t suite_id, const uint8_t *b64,
                                   size_t b64_len, EVP_PKEY **out);

#endif
