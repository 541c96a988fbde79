/* libFuzzer target: the ESDK decryptor (header parser, framing, body, footer)
 * on arbitrary bytes. The first input byte picks the piece size and output
 * budget of the streaming calls; the rest is the message. The keyring holds
 * the public test key of the shared ESDK vectors (aws-raw-vectors-persistant /
 * aes-256), and the seeds in corpus/ were encrypted under it, so mutations reach
 * the authenticated parts too: the seed-0478 and seed-0578 ones by our encrypt
 * (v2, framed), the seed-v1 and seed-v2-nonframed ones, which our encrypt
 * cannot write, by test/message/make_fuzz_seeds.c (to reach the non-framed
 * body and the v1 paths). */
#include <openssl/crypto.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "message/decrypt.h"
#include "message/header.h"
#include "message/raw_aes_keyring.h"

static esdk_cmm *fuzz_cmm(void)
{
    static esdk_cmm *cmm;
    if (cmm == NULL) {
        static const uint8_t key[32] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  16,
                                        17, 18, 19, 20, 21, 22, 23, 24, 25, 32, 33,
                                        34, 35, 36, 37, 38, 39, 40, 41, 48, 49};
        esdk_keyring *kr = NULL;
        if (esdk_raw_aes_keyring_new(NULL, "aws-raw-vectors-persistant", "aes-256", key,
                                     sizeof(key), &kr) != ESDK_OK)
            abort();
        if (esdk_default_cmm_new(NULL, kr, &cmm) != ESDK_OK)
            abort();
        esdk_keyring_free(kr);
    }
    return cmm;
}

static void decrypt_streaming(const uint8_t *msg, size_t len, size_t piece, size_t budget)
{
    esdk_decrypt_options opt = {.cmm = fuzz_cmm(),
                                .policy = ESDK_POLICY_REQUIRE_ENCRYPT_ALLOW_DECRYPT,
                                .max_frame_len = 1 << 16,
                                .max_body_len = 1 << 20};
    esdk_decryptor *d = NULL;
    if (esdk_decrypt_new(&opt, &d) != ESDK_OK)
        abort();
    uint8_t *out = malloc(budget + 1);
    size_t n = 0;
    esdk_status st = ESDK_OK;
    for (size_t off = 0; st == ESDK_OK && off < len; off += piece) {
        size_t chunk = len - off < piece ? len - off : piece;
        st = esdk_decrypt_update(d, msg + off, chunk, out, budget, &n);
        if (n > budget)
            abort();
    }
    for (int i = 0; st == ESDK_OK && i < 4096; i++) {
        st = esdk_decrypt_finish(d, out, budget, &n);
        if (n > budget)
            abort();
        if (esdk_decrypt_pending(d) == 0)
            break;
    }
    free(out);
    esdk_decrypt_free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const size_t pieces[8] = {1, 3, 64, 511, 4096, 4128, 65536, (size_t)-1};
    static const size_t budgets[4] = {1, 100, 4384, 1 << 17};
    size_t piece = pieces[data[0] & 7];
    size_t budget = budgets[(data[0] >> 3) & 3];
    const uint8_t *msg = data + 1;
    size_t len = size - 1;

    esdk_header h;
    size_t consumed = 0;
    if (esdk_header_parse(msg, len, NULL, &h, &consumed, NULL, 0) == ESDK_OK) {
        if (consumed > len)
            abort();
        esdk_header_clear(&h);
    }
    decrypt_streaming(msg, len, piece, budget);
    return 0;
}
