#include "message/suite.h"

#include <openssl/obj_mac.h>

#define V1_PLAIN(id_, len_)                                                                        \
    {                                                                                              \
        id_, 1, len_, ESDK_KDF_IDENTITY, NULL, 0, NULL, NULL, 0, 0, 16                             \
    }
#define V1_HKDF(id_, len_)                                                                         \
    {                                                                                              \
        id_, 1, len_, ESDK_KDF_HKDF, "SHA256", 0, NULL, NULL, 0, 0, 16                             \
    }

static const esdk_suite suites[] = {
    V1_PLAIN(0x0014, 16),
    V1_PLAIN(0x0046, 24),
    V1_PLAIN(0x0078, 32),
    V1_HKDF(0x0114, 16),
    V1_HKDF(0x0146, 24),
    V1_HKDF(0x0178, 32),
    {0x0214, 1, 16, ESDK_KDF_HKDF, "SHA256", 0, "P-256", "SHA256", NID_X9_62_prime256v1, 71, 16},
    {0x0346, 1, 24, ESDK_KDF_HKDF, "SHA384", 0, "P-384", "SHA384", NID_secp384r1, 103, 16},
    {0x0378, 1, 32, ESDK_KDF_HKDF, "SHA384", 0, "P-384", "SHA384", NID_secp384r1, 103, 16},
    {0x0478, 2, 32, ESDK_KDF_HKDF, "SHA512", 1, NULL, NULL, 0, 0, 32},
    {0x0578, 2, 32, ESDK_KDF_HKDF, "SHA512", 1, "P-384", "SHA384", NID_secp384r1, 103, 32},
};

const esdk_suite *esdk_suite_by_id(uint16_t id)
{
    for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
        if (suites[i].id == id)
            return &suites[i];
    }
    return NULL;
}

int esdk_suite_is_signed(const esdk_suite *suite)
{
    return suite->sig_nid != 0;
}

int esdk_policy_allows_encrypt(esdk_commitment_policy policy, const esdk_suite *suite)
{
    if (policy == ESDK_POLICY_FORBID_ENCRYPT_ALLOW_DECRYPT)
        return !suite->committing;
    return suite->committing;
}

int esdk_policy_allows_decrypt(esdk_commitment_policy policy, const esdk_suite *suite)
{
    if (policy == ESDK_POLICY_REQUIRE_ENCRYPT_REQUIRE_DECRYPT)
        return suite->committing;
    return policy == ESDK_POLICY_REQUIRE_ENCRYPT_ALLOW_DECRYPT ||
           policy == ESDK_POLICY_FORBID_ENCRYPT_ALLOW_DECRYPT;
}
