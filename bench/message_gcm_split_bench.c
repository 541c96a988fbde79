/*
 * message_gcm_split_bench: could a second core make frame decryption faster?
 *
 *   message_gcm_split_bench [-n frames] [-r repeats]
 *
 * `openssl enc -d -dekcache` must verify each 4 KiB frame before it releases
 * the frame, and OpenSSL 3.0's AES-256-GCM runs at about 40% of AES-256-CTR
 * on CPUs without AVX-512. This measures, per 4096-byte frame, wall clock:
 *   - gcm:      EVP AES-256-GCM decryption with its tag check (what we do);
 *   - ctr:      AES-256-CTR alone over the same frame (the plaintext half);
 *   - gmac:     AES-256-GCM over AAD only, the AAD being the frame's padded
 *               AAD then its ciphertext (the tag half);
 *   - parallel: ctr on this thread while a second thread computes the gmac,
 *               handed over by spinning on atomics (no blocking);
 *   - shared:   parallel without the copy below, so both cores already
 *               cache the data (the best case for a split).
 * The gmac tag differs from the GCM tag by a term fixed by the key and the
 * two lengths; the bench checks that, and the ctr plaintext, before timing.
 * Every kind first copies the frame's ciphertext into the buffer it decrypts,
 * from a ring of 64 frames, as `openssl enc` reads each frame into its buffer
 * just before the cipher sees it: the second core has to fetch that data.
 * Each figure is the best of `repeats` runs; the ratios are gcm / parallel
 * and gcm / shared.
 */
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A spin-wait hint where the CPU has one (x86 PAUSE); nothing elsewhere. */
static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

#define FRAME      4096
#define AAD_LEN    70 /* message ID, frame string, sequence number, length */
#define AAD_PADDED 80

typedef struct {
    EVP_CIPHER_CTX *seal, *gcm, *ctr, *gmac;
    unsigned char key[32], iv[12], aad[AAD_PADDED];
    unsigned char plain[FRAME], cipher[FRAME], out[FRAME], tag[16], gmac_tag[16];
} frame_state;

#define RING 64

static frame_state st;
static unsigned char ring[RING][FRAME];
static _Atomic unsigned long go, done;
static _Atomic int quit;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "message_gcm_split_bench: %s failed\n", what);
        exit(1);
    }
}

static void gcm_decrypt(void)
{
    int len;
    check(EVP_DecryptInit_ex(st.gcm, NULL, NULL, NULL, st.iv) == 1 &&
              EVP_DecryptUpdate(st.gcm, NULL, &len, st.aad, AAD_LEN) == 1 &&
              EVP_DecryptUpdate(st.gcm, st.out, &len, st.cipher, FRAME) == 1 &&
              EVP_CIPHER_CTX_ctrl(st.gcm, EVP_CTRL_GCM_SET_TAG, 16, st.tag) == 1 &&
              EVP_DecryptFinal_ex(st.gcm, st.out + len, &len) == 1,
          "gcm decrypt");
}

/* GCM's data counter starts at IV || 2 (IV || 1 encrypts the tag). */
static void ctr_decrypt(void)
{
    unsigned char counter[16] = {0};
    int len;
    memcpy(counter, st.iv, 12);
    counter[15] = 2;
    check(EVP_DecryptInit_ex(st.ctr, NULL, NULL, NULL, counter) == 1 &&
              EVP_DecryptUpdate(st.ctr, st.out, &len, st.cipher, FRAME) == 1,
          "ctr decrypt");
}

static void gmac(void)
{
    int len;
    check(EVP_EncryptInit_ex(st.gmac, NULL, NULL, NULL, st.iv) == 1 &&
              EVP_EncryptUpdate(st.gmac, NULL, &len, st.aad, AAD_PADDED) == 1 &&
              EVP_EncryptUpdate(st.gmac, NULL, &len, st.cipher, FRAME) == 1 &&
              EVP_EncryptFinal_ex(st.gmac, NULL, &len) == 1 &&
              EVP_CIPHER_CTX_ctrl(st.gmac, EVP_CTRL_GCM_GET_TAG, 16, st.gmac_tag) == 1,
          "gmac");
}

static void *gmac_worker(void *arg)
{
    unsigned long seen = 0;
    (void)arg;
    for (;;) {
        unsigned long wanted;
        while ((wanted = atomic_load_explicit(&go, memory_order_acquire)) == seen) {
            if (atomic_load_explicit(&quit, memory_order_relaxed))
                return NULL;
            cpu_relax();
        }
        seen = wanted;
        gmac();
        atomic_store_explicit(&done, wanted, memory_order_release);
    }
}

static void parallel_decrypt(unsigned long round)
{
    atomic_store_explicit(&go, round, memory_order_release);
    ctr_decrypt();
    while (atomic_load_explicit(&done, memory_order_acquire) != round)
        cpu_relax();
}

static void seal(void)
{
    int len;
    check(EVP_EncryptInit_ex(st.seal, NULL, NULL, NULL, st.iv) == 1 &&
              EVP_EncryptUpdate(st.seal, NULL, &len, st.aad, AAD_LEN) == 1 &&
              EVP_EncryptUpdate(st.seal, st.cipher, &len, st.plain, FRAME) == 1 &&
              EVP_EncryptFinal_ex(st.seal, st.cipher + len, &len) == 1 &&
              EVP_CIPHER_CTX_ctrl(st.seal, EVP_CTRL_GCM_GET_TAG, 16, st.tag) == 1,
          "gcm encrypt");
}

static void setup(void)
{
    EVP_CIPHER *gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
    EVP_CIPHER *ctr = EVP_CIPHER_fetch(NULL, "AES-256-CTR", NULL);
    check(gcm != NULL && ctr != NULL, "fetch");
    for (size_t i = 0; i < sizeof st.key; i++)
        st.key[i] = (unsigned char)(i * 13 + 1);
    for (size_t i = 0; i < FRAME; i++)
        st.plain[i] = (unsigned char)(i * 7);
    memset(st.aad, 0x5a, AAD_LEN);
    memset(st.iv, 0x09, sizeof st.iv);
    st.seal = EVP_CIPHER_CTX_new();
    st.gcm = EVP_CIPHER_CTX_new();
    st.ctr = EVP_CIPHER_CTX_new();
    st.gmac = EVP_CIPHER_CTX_new();
    check(st.seal && st.gcm && st.ctr && st.gmac, "context");
    check(EVP_EncryptInit_ex(st.seal, gcm, NULL, st.key, NULL) == 1 &&
              EVP_DecryptInit_ex(st.gcm, gcm, NULL, st.key, NULL) == 1 &&
              EVP_DecryptInit_ex(st.ctr, ctr, NULL, st.key, NULL) == 1 &&
              EVP_EncryptInit_ex(st.gmac, gcm, NULL, st.key, NULL) == 1,
          "key setup");
    EVP_CIPHER_free(gcm);
    EVP_CIPHER_free(ctr);
    seal();
}

/* The split is only worth timing if it gives GCM's plaintext and tag: the
 * correction taken from one frame must hold for another IV and other data. */
static void check_split_is_gcm(void)
{
    unsigned char delta[16];
    gmac();
    for (int i = 0; i < 16; i++)
        delta[i] = st.tag[i] ^ st.gmac_tag[i];
    st.iv[0] ^= 0x80;
    st.plain[100] ^= 1;
    seal();
    ctr_decrypt();
    check(memcmp(st.out, st.plain, FRAME) == 0, "ctr plaintext check");
    gmac();
    for (int i = 0; i < 16; i++)
        check((st.gmac_tag[i] ^ delta[i]) == st.tag[i], "gmac tag check");
}

typedef void (*frame_fn)(unsigned long round);

static void read_frame(unsigned long round)
{
    memcpy(st.cipher, ring[round % RING], FRAME);
}

static void run_gcm(unsigned long round)
{
    read_frame(round);
    gcm_decrypt();
}

static void run_ctr(unsigned long round)
{
    read_frame(round);
    ctr_decrypt();
}

static void run_gmac(unsigned long round)
{
    read_frame(round);
    gmac();
}

static void run_parallel(unsigned long round)
{
    read_frame(round);
    parallel_decrypt(round);
}

static void run_shared(unsigned long round)
{
    parallel_decrypt(round);
}

static double ns_per_frame(frame_fn fn, unsigned long frames, unsigned long *round)
{
    double start = now();
    for (unsigned long i = 0; i < frames; i++)
        fn(++*round);
    return (now() - start) * 1e9 / (double)frames;
}

int main(int argc, char **argv)
{
    unsigned long frames = 200000, repeats = 5, round = 0;
    int opt;
    while ((opt = getopt(argc, argv, "n:r:")) != -1) {
        if (opt == 'n')
            frames = strtoul(optarg, NULL, 10);
        else if (opt == 'r')
            repeats = strtoul(optarg, NULL, 10);
        else
            return 2;
    }
    check(frames > 0 && frames <= 100000000 && repeats > 0 && repeats <= 100, "options");
    setup();
    check_split_is_gcm();
    for (int i = 0; i < RING; i++)
        memcpy(ring[i], st.cipher, FRAME);
    pthread_t worker;
    check(pthread_create(&worker, NULL, gmac_worker, NULL) == 0, "pthread_create");
    static const struct {
        const char *name;
        frame_fn fn;
    } kinds[] = {{"gcm", run_gcm},
                 {"ctr", run_ctr},
                 {"gmac", run_gmac},
                 {"parallel", run_parallel},
                 {"shared", run_shared}};
    double best[5] = {0};
    for (unsigned long r = 0; r < repeats; r++)
        for (int k = 0; k < 5; k++) {
            double ns = ns_per_frame(kinds[k].fn, frames, &round);
            if (r == 0 || ns < best[k])
                best[k] = ns;
        }
    atomic_store(&quit, 1);
    pthread_join(worker, NULL);
    for (int k = 0; k < 5; k++)
        printf("%-9s %7.0f ns per 4096-byte frame\n", kinds[k].name, best[k]);
    printf("gcm / parallel: %.2f, gcm / shared: %.2f (above 1: the split is faster)\n",
           best[0] / best[3], best[0] / best[4]);
    return 0;
}
