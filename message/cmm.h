#ifndef DEKCACHE_MESSAGE_CMM_H
#define DEKCACHE_MESSAGE_CMM_H

#include <stddef.h>
#include <stdint.h>

#include "message/keyring.h"
#include "message/materials.h"
#include "message/status.h"
#include "message/suite.h"

/* Plaintext length when the caller does not know it in advance. */
#define ESDK_LENGTH_UNKNOWN UINT64_MAX

typedef struct {
    uint16_t suite_id;          /* 0: the CMM chooses (default CMM: 0x0478) */
    const esdk_enc_context *ec; /* the caller's EC; NULL = empty */
    uint64_t plaintext_len;     /* or ESDK_LENGTH_UNKNOWN */
    esdk_commitment_policy policy;
} esdk_enc_request;

typedef struct {
    uint16_t suite_id;    /* from the header */
    const esdk_edk *edks; /* from the header, header order */
    size_t edk_count;
    const esdk_enc_context *ec;            /* stored EC from the header (never NULL) */
    const esdk_enc_context *reproduced_ec; /* caller-supplied EC; NULL = none */
    esdk_commitment_policy policy;
} esdk_dec_request;

/* A cryptographic materials manager, same embedding scheme as esdk_keyring:
 * implementations put `esdk_cmm` first, are reference counted and must allow
 * concurrent calls. */
typedef struct esdk_cmm esdk_cmm;

typedef struct {
    const char *name;
    /* Returns fresh materials (*out owned by the caller) whose suite satisfies
     * the request's policy, with a data key, >= 1 EDK, the full EC and (signed
     * suites) the signing key. */
    esdk_status (*get_encryption_materials)(esdk_cmm *cmm, const esdk_enc_request *request,
                                            esdk_enc_materials **out, char *detail,
                                            size_t detail_len);
    /* Returns decryption materials (*out owned by the caller) with the data key,
     * the full EC, the required-EC pairs and (signed suites) the verification key. */
    esdk_status (*decrypt_materials)(esdk_cmm *cmm, const esdk_dec_request *request,
                                     esdk_dec_materials **out, char *detail, size_t detail_len);
    void (*destroy)(esdk_cmm *cmm);
} esdk_cmm_vtable;

struct esdk_cmm {
    const esdk_cmm_vtable *vtable;
    int refs; /* accessed atomically */
};

void esdk_cmm_init(esdk_cmm *cmm, const esdk_cmm_vtable *vtable);
esdk_cmm *esdk_cmm_up_ref(esdk_cmm *cmm);
void esdk_cmm_free(esdk_cmm *cmm);

/* Dispatch helpers: call the vtable, then check the returned materials against
 * the request (suite allowed by policy, materials consistent). */
esdk_status esdk_cmm_get_encryption_materials(esdk_cmm *cmm, const esdk_enc_request *request,
                                              esdk_enc_materials **out, char *detail,
                                              size_t detail_len);
esdk_status esdk_cmm_decrypt_materials(esdk_cmm *cmm, const esdk_dec_request *request,
                                       esdk_dec_materials **out, char *detail, size_t detail_len);

/* The default CMM over a keyring (takes a reference on it).
 * Encrypt: suite = request suite or ESDK_DEFAULT_SUITE; refuses a caller EC with
 * reserved keys (ESDK_ERR_RESERVED_CONTEXT); for signed suites generates an
 * ECDSA key and adds aws-crypto-public-key to a copy of the EC; calls the
 * keyring's on_encrypt.
 * Decrypt: checks the policy; for signed suites requires aws-crypto-public-key
 * in the stored EC and decodes it (forbidden for unsigned suites); merges the
 * reproduced EC: stored keys must agree (ESDK_ERR_CONTEXT_MISMATCH), other
 * reproduced pairs become required-EC pairs; calls the keyring's on_decrypt. */
esdk_status esdk_default_cmm_new(const esdk_crypto *crypto, esdk_keyring *keyring, esdk_cmm **out);

#endif
