#include "message_test_util.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "message/raw_aes_keyring.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

void test_rand_seed_from_env(void)
{
    const char *env = getenv("DEKCACHE_TEST_SEED");
    uint64_t seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL);
    printf("\n  random seed %llu (set DEKCACHE_TEST_SEED to repeat)\n", (unsigned long long)seed);
    rng_state = seed ? seed : 1;
}

uint64_t test_rand(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

size_t test_rand_range(size_t lo, size_t hi)
{
    return lo + (size_t)(test_rand() % (uint64_t)(hi - lo + 1));
}

esdk_cmm *test_aes_cmm(const char *key_name)
{
    static const uint8_t key[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                                    17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
    esdk_keyring *kr = NULL;
    esdk_cmm *cmm = NULL;
    if (esdk_raw_aes_keyring_new(NULL, "test-ns", key_name, key, sizeof(key), &kr) == ESDK_OK)
        esdk_default_cmm_new(NULL, kr, &cmm);
    esdk_keyring_free(kr);
    return cmm;
}

/* A budget that is sometimes 0, sometimes tiny, sometimes generous. */
static size_t random_budget(void)
{
    switch (test_rand() % 4) {
    case 0:
        return 0;
    case 1:
        return test_rand_range(1, 64);
    case 2:
        return test_rand_range(1, 5000);
    default:
        return test_rand_range(1, 200000);
    }
}

esdk_status test_encrypt_chunked(const esdk_encrypt_options *opt, const uint8_t *pt, size_t len,
                                 uint8_t **out, size_t *out_len)
{
    esdk_encryptor *e = NULL;
    *out = NULL;
    *out_len = 0;
    esdk_status st = esdk_encrypt_new(opt, &e, NULL, 0);
    if (st != ESDK_OK)
        return st;
    /* Room for the whole message plus the largest budget we may pass. */
    size_t f = opt->frame_len ? opt->frame_len : ESDK_DEFAULT_FRAME_LEN;
    size_t cap = esdk_encrypt_header_len(e) + len + (len / f + 1) * ESDK_FINAL_OVERHEAD +
                 ESDK_FOOTER_MAX_LEN + 200000;
    uint8_t *buf = OPENSSL_malloc(cap);
    size_t total = 0, n = 0, off = 0;
    while (st == ESDK_OK && off < len) {
        size_t chunk = test_rand_range(0, len - off < 70000 ? len - off : 70000);
        st = esdk_encrypt_update(e, pt + off, chunk, buf + total, random_budget(), &n);
        off += chunk;
        total += n;
    }
    /* Each finish writes at least one byte while anything is pending. */
    for (size_t i = 0; st == ESDK_OK && (i == 0 || esdk_encrypt_pending(e) > 0); i++) {
        size_t budget = random_budget();
        st = esdk_encrypt_finish(e, buf + total, budget ? budget : 1, &n);
        total += n;
    }
    esdk_encrypt_free(e);
    *out = buf;
    *out_len = total;
    return st;
}

esdk_status test_decrypt_chunked(const esdk_decrypt_options *opt, const uint8_t *ct, size_t len,
                                 size_t max_chunk, uint8_t **released, size_t *released_len)
{
    esdk_decryptor *d = NULL;
    *released = OPENSSL_malloc(len + 200001);
    *released_len = 0;
    esdk_status st = esdk_decrypt_new(opt, &d);
    size_t n = 0, off = 0;
    while (st == ESDK_OK && off < len) {
        size_t chunk = test_rand_range(0, len - off < max_chunk ? len - off : max_chunk);
        size_t budget = random_budget();
        st = esdk_decrypt_update(d, ct + off, chunk, *released + *released_len, budget, &n);
        off += chunk;
        *released_len += n;
    }
    for (size_t i = 0; st == ESDK_OK && (i == 0 || esdk_decrypt_pending(d) > 0); i++) {
        size_t budget = random_budget();
        st = esdk_decrypt_finish(d, *released + *released_len, budget ? budget : 1, &n);
        *released_len += n;
    }
    esdk_decrypt_free(d);
    return st;
}
