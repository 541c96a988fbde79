#ifndef DEKCACHE_MESSAGE_SUITE_H
#define DEKCACHE_MESSAGE_SUITE_H

#include <stddef.h>
#include <stdint.h>

/* ESDK algorithm suite identifiers (esdk-format.md section 1). */
#define ESDK_SUITE_AES128_GCM_IV12_TAG16_NO_KDF                 0x0014
#define ESDK_SUITE_AES192_GCM_IV12_TAG16_NO_KDF                 0x0046
#define ESDK_SUITE_AES256_GCM_IV12_TAG16_NO_KDF                 0x0078
#define ESDK_SUITE_AES128_GCM_IV12_TAG16_HKDF_SHA256            0x0114
#define ESDK_SUITE_AES192_GCM_IV12_TAG16_HKDF_SHA256            0x0146
#define ESDK_SUITE_AES256_GCM_IV12_TAG16_HKDF_SHA256            0x0178
#define ESDK_SUITE_AES128_GCM_IV12_TAG16_HKDF_SHA256_ECDSA_P256 0x0214
#define ESDK_SUITE_AES192_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384 0x0346
#define ESDK_SUITE_AES256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384 0x0378
#define ESDK_SUITE_AES256_GCM_HKDF_SHA512_COMMIT_KEY            0x0478
#define ESDK_SUITE_AES256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384 0x0578

typedef enum { ESDK_KDF_IDENTITY, ESDK_KDF_HKDF } esdk_kdf_kind;

typedef struct {
    uint16_t id;
    uint8_t format_version; /* 1 or 2 */
    size_t key_len;         /* data key == derived key length: 16, 24 or 32 */
    esdk_kdf_kind kdf;
    const char *kdf_hash;  /* "SHA256" / "SHA384" / "SHA512"; NULL for identity */
    int committing;        /* v2: commit key in the header */
    const char *sig_curve; /* "P-256" / "P-384"; NULL if unsigned */
    const char *sig_hash;  /* "SHA256" / "SHA384"; NULL if unsigned */
    int sig_nid;           /* NID_X9_62_prime256v1 / NID_secp384r1; 0 if unsigned */
    size_t sig_max_len;    /* DER length the SDKs pin: 71 / 103; 0 if unsigned */
    size_t message_id_len; /* 16 (v1) or 32 (v2) */
} esdk_suite;

/* The suite with this ID, or NULL when the ESDK defines no such suite. */
const esdk_suite *esdk_suite_by_id(uint16_t id);

int esdk_suite_is_signed(const esdk_suite *suite);

/* Commitment policies (esdk-format.md section 1). The default (0) is the
 * strictest: only committing suites, on encrypt and decrypt. */
typedef enum {
    ESDK_POLICY_REQUIRE_ENCRYPT_REQUIRE_DECRYPT = 0,
    ESDK_POLICY_REQUIRE_ENCRYPT_ALLOW_DECRYPT,
    ESDK_POLICY_FORBID_ENCRYPT_ALLOW_DECRYPT
} esdk_commitment_policy;

int esdk_policy_allows_encrypt(esdk_commitment_policy policy, const esdk_suite *suite);
int esdk_policy_allows_decrypt(esdk_commitment_policy policy, const esdk_suite *suite);

/* The suite an encryption uses when the caller names none. */
#define ESDK_DEFAULT_SUITE ESDK_SUITE_AES256_GCM_HKDF_SHA512_COMMIT_KEY

#endif
