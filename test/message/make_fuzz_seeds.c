/* Writes seeds for fuzz/fuzz_message_decrypt.c that our encrypt cannot make:
 * format v1 (framed and non-framed, signed with either curve) and non-framed
 * v2, forged under the harness's keyring (the public "aes-256" test key of
 * the shared ESDK vectors), so mutations reach past the header tag into the
 * v1 and non-framed paths. Each file is the harness's selector byte (piece
 * size and output budget) and then the message.
 * Usage: message_fuzz_seeds DIR (e.g. fuzz/corpus/fuzz_message_decrypt). */
#include <openssl/crypto.h>
#include <stdio.h>

#include "forge_message.h"
#include "message/raw_aes_keyring.h"

static int write_seed(const char *dir, const char *name, uint8_t selector, const uint8_t *msg,
                      size_t len)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    int ok = f != NULL && fwrite(&selector, 1, 1, f) == 1 && fwrite(msg, 1, len, f) == len;
    if (f != NULL && fclose(f) != 0)
        ok = 0;
    if (ok)
        printf("%s: %zu bytes\n", path, len + 1);
    return ok;
}

int main(int argc, char **argv)
{
    static const uint8_t key[32] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  16, 17, 18, 19, 20, 21,
                                    22, 23, 24, 25, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 48, 49};
    static const struct {
        const char *name;
        uint16_t suite;
        uint32_t frame_len;
        uint8_t selector; /* bits 0-2: piece size, 3-4: budget (see the harness) */
    } seeds[] = {
        {"seed-v2-nonframed-0478", 0x0478, 0, 0x14}, {"seed-v2-nonframed-0578", 0x0578, 0, 0x02},
        {"seed-v1-framed-0014", 0x0014, 16, 0x0b},   {"seed-v1-nonframed-0178", 0x0178, 0, 0x17},
        {"seed-v1-framed-0378", 0x0378, 16, 0x1c},   {"seed-v1-nonframed-0214", 0x0214, 0, 0x09},
    };
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    esdk_keyring *kr = NULL;
    esdk_cmm *cmm = NULL;
    if (esdk_raw_aes_keyring_new(NULL, "aws-raw-vectors-persistant", "aes-256", key, sizeof(key),
                                 &kr) != ESDK_OK ||
        esdk_default_cmm_new(NULL, kr, &cmm) != ESDK_OK)
        return 1;
    esdk_keyring_free(kr);
    static const uint8_t pt[] = "forty bytes of plaintext for fuzz seeds";
    int ok = 1;
    for (size_t i = 0; ok && i < sizeof(seeds) / sizeof(seeds[0]); i++) {
        forge_spec spec = {cmm, seeds[i].suite, seeds[i].frame_len, NULL};
        uint8_t *msg = NULL;
        size_t len = 0;
        ok = forge_message(&spec, pt, sizeof(pt) - 1, &msg, &len) == ESDK_OK &&
             write_seed(argv[1], seeds[i].name, seeds[i].selector, msg, len);
        OPENSSL_free(msg);
    }
    esdk_cmm_free(cmm);
    return ok ? 0 : 1;
}
