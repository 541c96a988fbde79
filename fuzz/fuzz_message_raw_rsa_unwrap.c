/* libFuzzer: the raw RSA keyring's unwrap of attacker-supplied EDK
 * ciphertext (message/raw_rsa_keyring.c). The first input byte picks the
 * padding (bits 0-2, modulo 5) and the suite (bits 3-4: a data key of 16, 24
 * or 32 bytes); the rest is the ciphertext of the second of two EDKs (the
 * first names another key, so it must be skipped). The keyrings hold a fixed
 * 2048-bit test key (made for this harness, used nowhere else) and the seeds
 * are its wrappings of data keys, so mutations start from valid padding. A
 * success must come from that EDK, with a data key of the suite's length. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "message/keyring.h"
#include "message/raw_rsa_keyring.h"
#include "message/rsa_private_key.h"
#include "message/suite.h"

static const char test_key[] = "-----BEGIN PRIVATE KEY-----\n"
                               "MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQCgUvZd0ld2OToE\n"
                               "JGDKV7PYnxlDNCtXzZJEZQbR5lOJVSegeVPbBg8CmZg2q7DwzMtws9CP54FoveIx\n"
                               "DyOE/BXTYlENrZVfDzRWfeea0cTgrzN0TkwwoiuILOOU7eioBpcDbZb4pTa9GKin\n"
                               "SDbvfZVFi4gHlurDeuqkbj1VCgoMYFTyhJTmfo3RLVPqatoVAi37xvbqzrkrnP32\n"
                               "/KTE5n+UqGIvIzw1z0FMwPjiwuBE6+52VHCpYSn+059xU2tXUC5e1r9eoIT4DDTj\n"
                               "k49NCYv7195s086D7Ky0mUEtyPDOftknFY+PbpD1cdBs1Wk7PXV8fDYFyrlY/bgZ\n"
                               "SzkqSDilAgMBAAECggEABK7dCBk4eXlAdZXZHJqlOThPKkRgLmdl1LOdbbeBodWn\n"
                               "8QBk76qPTlnNisNHHtw3O7/fjA83cNIjGksWlDAyNFjUhJwZFzbAJkqf354trGEn\n"
                               "FUhNjMTKlWa3mxu78Qndkrm6cDbl5hjN9wedUITlkwDOuhIGzNZOplDwtQbfC5of\n"
                               "htx3t7IkQ7/0rv6sW9+uVKOzqyK1RC9bBhNN9zcCWPQ8fxkoM4mJlUX73Zb4A7Fq\n"
                               "S5O8M19XhRqputUzB3NTku8UMwvcr4pIQYc/k7PNRhm+bgg9e3fMFFrOGvsd+EUs\n"
                               "6cF4x9st4B/TK78mpvu/Fimii/1ojkYrjwp2axPD4QKBgQDfyiIU9dh63vK758Vv\n"
                               "bCU+gHWy7LcUV1JYRjhjHtklun9hPS9XVAv84SDXGYgbcS0INup/kj0cRAqJdsNx\n"
                               "T/Jnq99tbLBMyX3aTKT/agvAbDWJ62RSTu09QoMMM5Yd+c3igu/iJtr2hApt8yjz\n"
                               "2vp5BdQoG7rJ5kiP13jKmIiMqQKBgQC3ZlidmxTlLmCDvB+vlxJmO+GmkmQVIWoA\n"
                               "NhgZMX1ALmt+092cTvbexJFnP3efm1gb1D/CDF665HCJGMte0T+Be3iHMler78C1\n"
                               "Gqz6B1v8yTlTxxt60dLJPvk3MK9rin9Tab7nC8ZSdOu8ZdbAmjOkhvbFFSxYsJ2k\n"
                               "usxltzZtnQKBgBR3vkpAef4y6ex5tDsOnxFqWll1AQGhQuzD72BRb/bdac0Q9YV9\n"
                               "MGN+i6xgr2wjG8VGkIf+bgxpxLTx4co5T6hftd2iNTWwsAwJOoYJwu1keDkXCGPm\n"
                               "yBf0P1wcU7yGHmh7JUl/2EL3rKSFutcizgnHmLHaZ2kT4MsXH/sXnFWRAoGAC43+\n"
                               "LUfVBC9s0z/p+yUYeqpxKA53EcG+LO87i3LLwlxqV14/yxZKhXR6+LdN8RdXcMFp\n"
                               "lu8ylLHJyUlvnrSuPJkr2dC5J1L+oCpjFYmbKQ0AeJ/FwnIvxpAaIXkGxE7AgN/b\n"
                               "sDDUuOM26vK7mfzdHhOGvpn75kaSWAuQzyPA4R0CgYA+nZ9CozB5YNo5r24s+Vbs\n"
                               "R2zZk1z5q46hV6ZH6andGmUbmY3dlC4NEbnQToN0ijZFgO8xxa0r3MMsRxB28eP2\n"
                               "yQPrgm+gj3UHj3j6hiBC4Aayg2t+fuTk6Rjf2Mz2weKF5R3QgPOwteEPDt5MdH4P\n"
                               "WpYELkmMZ+34IxTeQsbEdg==\n"
                               "-----END PRIVATE KEY-----\n";

#define N_PADDINGS 5

/* One keyring per padding, made once. */
static esdk_keyring *keyring(unsigned padding)
{
    static esdk_keyring *rings[N_PADDINGS];
    if (rings[0] == NULL) {
        EVP_PKEY *key = NULL;
        if (esdk_rsa_private_key_from_pem(NULL, test_key, sizeof(test_key) - 1, &key, NULL, 0) !=
            ESDK_OK)
            abort();
        for (unsigned i = 0; i < N_PADDINGS; i++)
            if (esdk_raw_rsa_keyring_new(NULL, "fuzz-rsa", "fuzz-key", (esdk_rsa_padding)i, NULL,
                                         key, &rings[i]) != ESDK_OK)
                abort();
        EVP_PKEY_free(key);
    }
    return rings[padding];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint16_t suites[4] = {0x0014, 0x0046, 0x0478, 0x0478};
    if (size < 1 || size > 4096)
        return 0;
    const esdk_suite *suite = esdk_suite_by_id(suites[(data[0] >> 3) & 3]);
    esdk_edk edks[2];
    if (esdk_edk_init(&edks[0], "fuzz-rsa", 8, "other-key", 9, data + 1, size - 1) != ESDK_OK)
        abort();
    if (esdk_edk_init(&edks[1], "fuzz-rsa", 8, "fuzz-key", 8, data + 1, size - 1) != ESDK_OK)
        abort();
    esdk_dec_materials *mat = esdk_dec_materials_new(suite->id);
    if (mat == NULL)
        abort();
    char detail[256];
    esdk_status st = esdk_keyring_on_decrypt(keyring((data[0] & 7) % N_PADDINGS), mat, edks, 2,
                                             detail, sizeof(detail));
    if (st == ESDK_OK && (mat->edk_index != 1 || mat->data_key_len != suite->key_len))
        abort();
    esdk_dec_materials_free(mat);
    esdk_edk_clear(&edks[0]);
    esdk_edk_clear(&edks[1]);
    return 0;
}
