/*
 * message_bench: ESDK message encryption/decryption speed on one core, each
 * figure beside a baseline of bare libcrypto primitives measured in the same run.
 *
 *   message_bench [-d seconds] [-r repeats] [-m MiB]
 *
 * Small messages (1 KiB, 16 KiB; suite 0x0478, frame 4096): messages/s of
 * esdk_encrypt_new + update + finish (+ free) with materials from a CMM that
 * returns a copy of fixed materials (what a cache hit costs), against the bare
 * primitives such a message needs: a random message ID, HKDF-SHA512 extract and
 * two expands on a reused HMAC context, AES-256-GCM key setup, the header tag
 * and the frames. HKDF through EVP_KDF (two derivations) is printed for scale.
 *
 * Large message (-m MiB, default 64): MB/s of one message encrypted in 1 MiB
 * updates and decrypted in 1 MiB updates, against a bare loop that
 * AES-256-GCM-encrypts (decrypts) the same 4 KiB frames with a new IV and AAD
 * per frame. Each figure is the best of `repeats` runs, library and baseline
 * alternating; times are the thread's CPU time (CLOCK_THREAD_CPUTIME_ID).
 */
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "message/decrypt.h"
#include "message/encrypt.h"
#include "message/raw_aes_keyring.h"

#define FRAME 4096

typedef struct {
    double seconds;
    unsigned repeats;
    size_t large_mib;
} options;

/* CPU time of this thread: on a shared machine it leaves out the time other
 * processes hold the core, which wall-clock figures would count against us. */
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "message_bench: %s failed\n", what);
    exit(1);
}

/* ---- a CMM that hands out copies of fixed materials (a cache hit) ---- */

typedef struct {
    esdk_cmm base;
    esdk_enc_materials *enc;
    esdk_dec_materials *dec;
} fixed_cmm;

static esdk_status fixed_get(esdk_cmm *cmm, const esdk_enc_request *req, esdk_enc_materials **out,
                             char *detail, size_t detail_len)
{
    return esdk_enc_materials_copy(out, ((fixed_cmm *)cmm)->enc);
}

static esdk_status fixed_decrypt(esdk_cmm *cmm, const esdk_dec_request *req,
                                 esdk_dec_materials **out, char *detail, size_t detail_len)
{
    return esdk_dec_materials_copy(out, ((fixed_cmm *)cmm)->dec);
}

static void fixed_destroy(esdk_cmm *cmm)
{
    fixed_cmm *f = (fixed_cmm *)cmm;
    esdk_enc_materials_free(f->enc);
    esdk_dec_materials_free(f->dec);
    free(f);
}

static const esdk_cmm_vtable fixed_vtable = {"fixed", fixed_get, fixed_decrypt, fixed_destroy};

static esdk_cmm *make_fixed_cmm(void)
{
    static const uint8_t wrapping_key[32] = {7};
    esdk_keyring *kr = NULL;
    esdk_cmm *inner = NULL;
    fixed_cmm *f = calloc(1, sizeof(*f));
    esdk_enc_request req = {0x0478, NULL, ESDK_LENGTH_UNKNOWN, 0};
    if (f == NULL ||
        esdk_raw_aes_keyring_new(NULL, "bench", "key", wrapping_key, 32, &kr) != ESDK_OK ||
        esdk_default_cmm_new(NULL, kr, &inner) != ESDK_OK ||
        esdk_cmm_get_encryption_materials(inner, &req, &f->enc, NULL, 0) != ESDK_OK)
        die("materials");
    f->dec = esdk_dec_materials_new(0x0478);
    if (f->dec == NULL ||
        esdk_dec_materials_set_data_key(f->dec, f->enc->data_key, f->enc->data_key_len) != ESDK_OK)
        die("decrypt materials");
    esdk_cmm_free(inner);
    esdk_keyring_free(kr);
    esdk_cmm_init(&f->base, &fixed_vtable);
    return &f->base;
}

/* ---- timing: run `step` in batches until `seconds` pass; best of repeats ---- */

typedef int (*step_fn)(void *ctx);

static double rate_once(const options *o, step_fn step, void *ctx)
{
    double start = now(), elapsed;
    unsigned long count = 0;
    do {
        for (int i = 0; i < 64; i++) {
            if (!step(ctx))
                die("step");
        }
        count += 64;
        elapsed = now() - start;
    } while (elapsed < o->seconds);
    return count / elapsed;
}

/* Best of `repeats` for two steps, measured alternately so both see the same
 * machine conditions. */
static void rate_pair(const options *o, step_fn a, void *actx, step_fn b, void *bctx, double *ra,
                      double *rb)
{
    *ra = *rb = 0;
    for (unsigned r = 0; r < o->repeats; r++) {
        double x = rate_once(o, a, actx), y = rate_once(o, b, bctx);
        *ra = x > *ra ? x : *ra;
        *rb = y > *rb ? y : *rb;
    }
}

/* ---- one small message through the library ---- */

typedef struct {
    esdk_cmm *cmm;
    uint8_t *pt;
    size_t len;
    uint8_t *out;
    size_t out_cap;
    size_t out_len; /* the last encrypted message, for decrypt_message */
} message_ctx;

static int encrypt_message(void *p)
{
    message_ctx *m = p;
    esdk_encrypt_options eo = {.cmm = m->cmm};
    esdk_encryptor *e = NULL;
    size_t n1 = 0, n2 = 0;
    int ok = esdk_encrypt_new(&eo, &e, NULL, 0) == ESDK_OK &&
             esdk_encrypt_update(e, m->pt, m->len, m->out, m->out_cap, &n1) == ESDK_OK &&
             esdk_encrypt_finish(e, m->out + n1, m->out_cap - n1, &n2) == ESDK_OK;
    m->out_len = n1 + n2;
    esdk_encrypt_free(e);
    return ok;
}

static int decrypt_message(void *p)
{
    message_ctx *m = p;
    esdk_decrypt_options opt = {.cmm = m->cmm};
    esdk_decryptor *d = NULL;
    size_t n1 = 0, n2 = 0;
    int ok = esdk_decrypt_new(&opt, &d) == ESDK_OK &&
             esdk_decrypt_update(d, m->out, m->out_len, m->pt, m->len, &n1) == ESDK_OK &&
             esdk_decrypt_finish(d, m->pt + n1, m->len - n1, &n2) == ESDK_OK && n1 + n2 == m->len;
    esdk_decrypt_free(d);
    return ok;
}

/* ---- the same message's bare primitives ---- */

typedef struct {
    EVP_MAC_CTX *hmac;
    EVP_CIPHER *gcm;
    EVP_CIPHER_CTX *cctx;
    uint8_t data_key[32];
    uint8_t header[200];
    const uint8_t *pt;
    size_t len;
    uint8_t *out;
} bare_ctx;

static int hmac(EVP_MAC_CTX *ctx, const uint8_t *key, size_t key_len, const void *d1, size_t l1,
                const void *d2, size_t l2, uint8_t *out)
{
    size_t n = 0;
    return EVP_MAC_init(ctx, key, key_len, NULL) && EVP_MAC_update(ctx, d1, l1) &&
           EVP_MAC_update(ctx, d2, l2) && EVP_MAC_final(ctx, out, &n, 64);
}

static int seal(EVP_CIPHER_CTX *c, const uint8_t *iv, const uint8_t *aad, size_t aad_len,
                const uint8_t *pt, size_t len, uint8_t *ct)
{
    int n = 0;
    return EVP_EncryptInit_ex(c, NULL, NULL, NULL, iv) &&
           EVP_EncryptUpdate(c, NULL, &n, aad, (int)aad_len) &&
           (len == 0 || EVP_EncryptUpdate(c, ct, &n, pt, (int)len)) &&
           EVP_EncryptFinal_ex(c, ct + len, &n) &&
           EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, ct + len);
}

/* Frames of `len` plaintext: 4096-byte regular frames then a final frame. */
static int seal_frames(EVP_CIPHER_CTX *c, const uint8_t *pt, size_t len, uint8_t *out)
{
    uint8_t iv[12] = {0}, aad[80] = {0};
    size_t off = 0;
    uint32_t seq = 1;
    do {
        size_t n = len - off < FRAME ? len - off : FRAME;
        iv[11] = (uint8_t)seq;
        iv[10] = (uint8_t)(seq >> 8);
        aad[40] = (uint8_t)seq;
        if (!seal(c, iv, aad, 32 + 28 + 12, pt + off, n, out + off + 32 * seq))
            return 0;
        off += n;
        seq++;
    } while (off < len);
    return 1;
}

static int bare_message(void *p)
{
    bare_ctx *b = p;
    static const uint8_t one = 1;
    uint8_t id[32], prk[64], key[64], commit[64], info[12] = {4, 0x78};
    memcpy(info + 2, "DERIVEKEY", 9);
    info[11] = 1;
    int ok = RAND_bytes(id, 32) == 1 && hmac(b->hmac, id, 32, b->data_key, 32, NULL, 0, prk) &&
             hmac(b->hmac, prk, 64, info, 12, NULL, 0, key) &&
             hmac(b->hmac, NULL, 0, "COMMITKEY", 9, &one, 1, commit) &&
             EVP_EncryptInit_ex(b->cctx, b->gcm, NULL, key, NULL) &&
             seal(b->cctx, (const uint8_t[12]){0}, b->header, sizeof(b->header), NULL, 0, b->out) &&
             seal_frames(b->cctx, b->pt, b->len, b->out);
    OPENSSL_cleanse(key, sizeof(key));
    return ok;
}

/* Two HKDF-SHA512 derivations through EVP_KDF, for scale. */
static int kdf_pair(void *p)
{
    bare_ctx *b = p;
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *ctx = EVP_KDF_CTX_new(kdf);
    uint8_t id[32] = {1}, out[32];
    int ok = ctx != NULL;
    for (int i = 0; ok && i < 2; i++) {
        OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA512", 0),
            OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, b->data_key, 32),
            OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, id, 32),
            OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, i ? "COMMITKEY" : "DERIVEKEY",
                                              9),
            OSSL_PARAM_construct_end()};
        ok = EVP_KDF_derive(ctx, out, 32, params) > 0;
    }
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
    return ok;
}

static void small_messages(const options *o, esdk_cmm *cmm, size_t len)
{
    uint8_t *pt = calloc(1, len + 1), *out = malloc(len * 2 + 4096);
    message_ctx m = {cmm, pt, len, out, len * 2 + 4096, 0};
    bare_ctx b = {.pt = pt, .len = len, .out = out};
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA512", 0),
                           OSSL_PARAM_construct_end()};
    b.hmac = EVP_MAC_CTX_new(mac);
    b.gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
    b.cctx = EVP_CIPHER_CTX_new();
    if (b.hmac == NULL || !EVP_MAC_CTX_set_params(b.hmac, params) || b.cctx == NULL)
        die("bare setup");
    double lib, bare, dec, bare2;
    rate_pair(o, encrypt_message, &m, bare_message, &b, &lib, &bare);
    printf("%3zu KiB message, suite 0x0478: %9.0f messages/s   bare primitives %9.0f/s   "
           "ratio %.2f\n",
           len / 1024, lib, bare, lib / bare);
    /* The decrypt side needs the same primitives (the tags are checked, not made). */
    if (!encrypt_message(&m)) /* the baseline reused `out`: encrypt once more */
        die("encrypt");
    uint8_t *ct_copy = malloc(m.out_len + 1);
    memcpy(ct_copy, out, m.out_len);
    message_ctx md = {cmm, pt, len, ct_copy, m.out_len, m.out_len};
    rate_pair(o, decrypt_message, &md, bare_message, &b, &dec, &bare2);
    printf("        decrypt of it:        %9.0f messages/s   bare primitives %9.0f/s   ratio "
           "%.2f\n",
           dec, bare2, dec / bare2);
    free(ct_copy);
    if (len == 1024) {
        double kdf, unused;
        rate_pair(o, kdf_pair, &b, kdf_pair, &b, &kdf, &unused);
        printf("        for scale: 2 HKDF-SHA512 via EVP_KDF %9.0f/s (%.1f us per pair)\n", kdf,
               1e6 / kdf);
    }
    EVP_MAC_CTX_free(b.hmac);
    EVP_MAC_free(mac);
    EVP_CIPHER_free(b.gcm);
    EVP_CIPHER_CTX_free(b.cctx);
    free(pt);
    free(out);
}

/* ---- one large message ---- */

static double encrypt_large(esdk_cmm *cmm, const uint8_t *pt, size_t len, uint8_t *out,
                            size_t *out_len)
{
    esdk_encrypt_options eo = {.cmm = cmm};
    esdk_encryptor *e = NULL;
    size_t total = 0, n = 0, step = 1 << 20;
    double start = now();
    if (esdk_encrypt_new(&eo, &e, NULL, 0) != ESDK_OK)
        die("encrypt_new");
    for (size_t off = 0; off < len; off += step) {
        if (esdk_encrypt_update(e, pt + off, step, out + total, step + 4096, &n) != ESDK_OK)
            die("encrypt_update");
        total += n;
    }
    if (esdk_encrypt_finish(e, out + total, 1 << 20, &n) != ESDK_OK || esdk_encrypt_pending(e))
        die("encrypt_finish");
    double t = now() - start;
    *out_len = total + n;
    esdk_encrypt_free(e);
    return t;
}

static double decrypt_large(esdk_cmm *cmm, const uint8_t *ct, size_t len, uint8_t *out)
{
    esdk_decrypt_options opt = {.cmm = cmm};
    esdk_decryptor *d = NULL;
    size_t total = 0, n = 0, step = 1 << 20;
    double start = now();
    if (esdk_decrypt_new(&opt, &d) != ESDK_OK)
        die("decrypt_new");
    for (size_t off = 0; off < len; off += step) {
        size_t chunk = len - off < step ? len - off : step;
        if (esdk_decrypt_update(d, ct + off, chunk, out + total, step + 4096, &n) != ESDK_OK)
            die("decrypt_update");
        total += n;
    }
    if (esdk_decrypt_finish(d, out + total, 1 << 20, &n) != ESDK_OK)
        die("decrypt_finish");
    double t = now() - start;
    esdk_decrypt_free(d);
    return t;
}

static double bare_frames(const uint8_t *in, size_t len, uint8_t *out, int encrypt)
{
    EVP_CIPHER *gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    uint8_t key[32] = {3}, iv[12] = {0}, aad[72] = {0}, tag[16] = {0};
    int n = 0;
    double start = now();
    if (!EVP_CipherInit_ex(c, gcm, NULL, key, NULL, encrypt))
        die("bare init");
    for (size_t off = 0, seq = 1; off < len; off += FRAME, seq++) {
        iv[11] = aad[63] = (uint8_t)seq;
        iv[10] = aad[62] = (uint8_t)(seq >> 8);
        EVP_CipherInit_ex(c, NULL, NULL, NULL, iv, encrypt);
        EVP_CipherUpdate(c, NULL, &n, aad, sizeof(aad));
        EVP_CipherUpdate(c, out + off, &n, in + off, FRAME);
        if (!encrypt)
            EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag);
        EVP_CipherFinal_ex(c, out + off, &n); /* decrypt: the dummy tag fails, same cost */
        if (encrypt)
            EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag);
    }
    double t = now() - start;
    EVP_CIPHER_CTX_free(c);
    EVP_CIPHER_free(gcm);
    return t;
}

static void large_message(const options *o, esdk_cmm *cmm)
{
    size_t len = o->large_mib << 20;
    uint8_t *pt = malloc(len), *ct = malloc(len + len / 64 + 8192), *back = malloc(len + 8192);
    if (pt == NULL || ct == NULL || back == NULL)
        die("allocation");
    memset(pt, 0x5a, len);
    double enc = 1e9, dec = 1e9, bare_enc = 1e9, bare_dec = 1e9;
    size_t ct_len = 0;
    for (unsigned r = 0; r < o->repeats; r++) {
        double t = encrypt_large(cmm, pt, len, ct, &ct_len);
        enc = t < enc ? t : enc;
        t = bare_frames(pt, len, back, 1);
        bare_enc = t < bare_enc ? t : bare_enc;
        t = decrypt_large(cmm, ct, ct_len, back);
        dec = t < dec ? t : dec;
        t = bare_frames(ct, len, back, 0);
        bare_dec = t < bare_dec ? t : bare_dec;
    }
    double mb = (double)len / 1e6;
    printf("%zu MiB message encrypt: %7.0f MB/s   bare 4 KiB GCM frame loop %7.0f MB/s   ratio "
           "%.2f\n",
           o->large_mib, mb / enc, mb / bare_enc, bare_enc / enc);
    printf("%zu MiB message decrypt: %7.0f MB/s   bare 4 KiB GCM frame loop %7.0f MB/s   ratio "
           "%.2f\n",
           o->large_mib, mb / dec, mb / bare_dec, bare_dec / dec);
    free(pt);
    free(ct);
    free(back);
}

int main(int argc, char **argv)
{
    options o = {1.0, 3, 64};
    int c;
    while ((c = getopt(argc, argv, "d:r:m:")) != -1) {
        if (c == 'd')
            o.seconds = atof(optarg);
        else if (c == 'r')
            o.repeats = (unsigned)atoi(optarg);
        else if (c == 'm')
            o.large_mib = (size_t)atoi(optarg);
        else
            return 2;
    }
    if (o.seconds <= 0 || o.repeats == 0 || o.large_mib == 0)
        return 2;
    esdk_cmm *cmm = make_fixed_cmm();
    small_messages(&o, cmm, 1024);
    small_messages(&o, cmm, 16384);
    large_message(&o, cmm);
    esdk_cmm_free(cmm);
    return 0;
}
