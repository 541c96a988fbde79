/* Every official ESDK decrypt vector through the provider, with the raw
 * wrapping key named in an openssl.cnf: through the EVP API with whole
 * buffers, and through BIO_f_cipher (what `openssl enc` uses) wherever the
 * message's frames fit its 4 KiB chunks. Positive vectors must match byte for
 * byte, negative ones must fail both ways. */
#include <CUnit/CUnit.h>
#include <json-c/json.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/params.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cunit_run.h"
#include "include/dekcache.h"
#include "provider_fixture.h"

enum {
    COL_ID,
    COL_SUITE,
    COL_FORMAT,
    COL_CONTENT,
    COL_FRAME,
    COL_FRAMES,
    COL_EDKS,
    COL_PROVIDERS,
    COL_CMM,
    COL_KEY,
    COL_KEY_NAME,
    COL_WRAPPING,
    COL_SIGNED,
    COL_EC_PAIRS,
    COL_REPRODUCED,
    COL_EXPECT,
    COL_CIPHERTEXT,
    COL_PLAINTEXT,
    N_COLS
};

static unsigned char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc((size_t)size + 1);
    *len = fread(buf, 1, (size_t)size, f);
    fclose(f);
    return buf;
}

/* The namespace of the key we hold: the provider ID that is not the legacy
 * vectors' unpublished ephemeral key. */
static void our_namespace(const char *providers, char *out, size_t len)
{
    char copy[512];
    snprintf(copy, sizeof(copy), "%s", providers);
    snprintf(out, len, "%s", strtok(copy, ","));
    for (char *p = strtok(NULL, ","); p != NULL; p = strtok(NULL, ","))
        if (strcmp(out, "ephemeral-aws-xcompat") == 0)
            snprintf(out, len, "%s", p);
}

static const char *rsa_padding(const char *wrapping)
{
    if (strcmp(wrapping, "rsa-pkcs1") == 0)
        return "pkcs1";
    return wrapping + strlen("rsa-"); /* rsa-oaep-shaN -> oaep-shaN */
}

static void config_lines(const char *dir, char **col, char *out, size_t len)
{
    char ns[128];
    our_namespace(col[COL_PROVIDERS], ns, sizeof(ns));
    int aes = strcmp(col[COL_WRAPPING], "aes-gcm") == 0;
    int n =
        snprintf(out, len,
                 "commitment_policy = require-encrypt-allow-decrypt\n"
                 "%s_key_file = %s/keys/%s.%s\n%s_key_namespace = %s\n%s_key_name = %s\n",
                 aes ? "raw_aes" : "raw_rsa", dir, col[COL_KEY], aes ? "bin" : "pem",
                 aes ? "raw_aes" : "raw_rsa", ns, aes ? "raw_aes" : "raw_rsa", col[COL_KEY_NAME]);
    if (!aes)
        snprintf(out + n, len - (size_t)n, "raw_rsa_padding = %s\n",
                 rsa_padding(col[COL_WRAPPING]));
}

static int is_plain(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* {"k":"v",...} as the encryption-context parameter (%-escaping every byte
 * that is not alphanumeric keeps it exact). */
static void context_param(const char *json, char *out, size_t len)
{
    out[0] = '\0';
    if (strcmp(json, "-") == 0)
        return;
    json_object *obj = json_tokener_parse(json);
    size_t used = 0;
    json_object_object_foreach(obj, key, value)
    {
        const char *parts[2] = {key, json_object_get_string(value)};
        if (used > 0)
            used += (size_t)snprintf(out + used, len - used, ",");
        for (int p = 0; p < 2; p++) {
            for (const unsigned char *c = (const unsigned char *)parts[p]; *c; c++)
                used +=
                    (size_t)snprintf(out + used, len - used, is_plain(*c) ? "%c" : "%%%02X", *c);
            if (p == 0)
                used += (size_t)snprintf(out + used, len - used, "=");
        }
    }
    json_object_put(obj);
}

/* Decrypts through BIO_f_cipher's write path, as `openssl enc -d` does. */
static int decrypt_via_bio(const provider_fixture *fx, const OSSL_PARAM *params,
                           const unsigned char *ct, size_t ct_len, unsigned char **out,
                           size_t *out_len)
{
    BIO *mem = BIO_new(BIO_s_mem());
    BIO *cipher = BIO_new(BIO_f_cipher());
    EVP_CIPHER_CTX *cctx = NULL;
    BIO_get_cipher_ctx(cipher, &cctx);
    int ok = EVP_CipherInit_ex2(cctx, fx->cipher, (const unsigned char *)"", NULL, 0, params);
    BIO_push(cipher, mem);
    for (size_t done = 0; ok && done < ct_len;) {
        int n = (int)(ct_len - done < 4096 ? ct_len - done : 4096);
        ok = BIO_write(cipher, ct + done, n) == n;
        done += (size_t)n;
    }
    ok = ok && BIO_flush(cipher) == 1 && BIO_get_cipher_status(cipher) == 1;
    char *data = NULL;
    long len = BIO_get_mem_data(mem, &data);
    *out = ok ? OPENSSL_memdup(data, (size_t)len) : NULL;
    *out_len = ok ? (size_t)len : 0;
    BIO_free_all(cipher);
    return ok;
}

typedef struct {
    int passed, failed;
} tally;

static int decrypts_to(int ok, const unsigned char *out, size_t out_len,
                       const unsigned char *expected, size_t expected_len)
{
    return ok && out_len == expected_len && memcmp(out, expected, out_len) == 0;
}

/* EVP's Final may write only BLOCK_SIZE (4384) bytes, and a signed message's
 * last frame (a non-framed body: all of it) is released only once Final has
 * verified the signature. Such messages with more than 4384 bytes there need
 * the one-shot interface (pkeyutl), not the cipher API. */
static int beyond_cipher_contract(char **col, size_t plaintext_len)
{
    if (strcmp(col[COL_SIGNED], "1") != 0)
        return 0;
    size_t frame = (size_t)atol(col[COL_FRAME]);
    size_t last = strcmp(col[COL_CONTENT], "framed") != 0 ? plaintext_len : plaintext_len % frame;
    return last > 4384;
}

/* One vector: 1 passed, 0 failed. Every vector also goes through the
 * asymmetric cipher (EVP_PKEY_decrypt, as pkeyutl does); the cipher API too
 * where its contract allows. */
static int run_vector(const char *dir, char **col, int *used_bio, int *used_cipher)
{
    char lines[2048], ec[1024], path[1024];
    config_lines(dir, col, lines, sizeof(lines));
    context_param(col[COL_REPRODUCED], ec, sizeof(ec));
    provider_fixture fx;
    if (!provider_fixture_start(&fx, lines)) {
        char err[2048];
        fprintf(stderr, "%s: provider did not start: %s\n", col[COL_ID],
                fixture_last_error(err, sizeof(err)));
        provider_fixture_stop(&fx);
        return 0;
    }
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(DEKCACHE_PARAM_ENCRYPTION_CONTEXT, ec, 0),
        OSSL_PARAM_construct_end()};
    size_t ct_len = 0, pt_len = 0, out_len = 0;
    snprintf(path, sizeof(path), "%s/%s", dir, col[COL_CIPHERTEXT]);
    unsigned char *ct = read_file(path, &ct_len), *pt = NULL, *out = NULL;
    int expect_ok = strcmp(col[COL_EXPECT], "ok") == 0;
    if (expect_ok) {
        snprintf(path, sizeof(path), "%s/%s", dir, col[COL_PLAINTEXT]);
        pt = read_file(path, &pt_len);
    }
    EVP_PKEY *key = fixture_load_key(&fx, "dekcache:");
    int pkey_ok = key != NULL && fixture_pkey_cipher(&fx, key, 0, ec[0] ? params : NULL, ct, ct_len,
                                                     &out, &out_len);
    int pass = expect_ok ? decrypts_to(pkey_ok, out, out_len, pt, pt_len) : !pkey_ok;
    EVP_PKEY_free(key);
    OPENSSL_free(out);
    out = NULL;
    if (!beyond_cipher_contract(col, pt_len)) {
        *used_cipher = 1;
        int evp_ok =
            fixture_cipher(&fx, 0, ec[0] ? params : NULL, ct, ct_len, NULL, 0, &out, &out_len);
        pass = pass && (expect_ok ? decrypts_to(evp_ok, out, out_len, pt, pt_len) : !evp_ok);
        OPENSSL_free(out);
    }
    /* BIO_f_cipher carries at most 4096 bytes per call: framed messages whose
     * frames fit (the notes in docs/provider.md explain why). */
    if (strcmp(col[COL_CONTENT], "framed") == 0 && atoi(col[COL_FRAME]) <= 4096) {
        *used_bio = 1;
        int bio_ok = decrypt_via_bio(&fx, ec[0] ? params : NULL, ct, ct_len, &out, &out_len);
        pass = pass && (expect_ok ? decrypts_to(bio_ok, out, out_len, pt, pt_len) : !bio_ok);
        OPENSSL_free(out);
    }
    ERR_clear_error();
    if (!pass)
        fprintf(stderr, "vector %s/%s: expected %s\n", dir, col[COL_ID], col[COL_EXPECT]);
    free(ct);
    free(pt);
    provider_fixture_stop(&fx);
    return pass;
}

static void run_folder(const char *name)
{
    char dir[1024], path[1100], line[8192];
    snprintf(dir, sizeof(dir), "%s", dekcache_shared_path("vectors/esdk"));
    snprintf(dir + strlen(dir), sizeof(dir) - strlen(dir), "/%s", name);
    snprintf(path, sizeof(path), "%s/index.tsv", dir);
    FILE *f = fopen(path, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    tally t = {0, 0};
    int bio_runs = 0, cipher_runs = 0;
    CU_ASSERT_FATAL(fgets(line, sizeof(line), f) != NULL); /* header */
    while (fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        char *col[N_COLS];
        int n = 0;
        for (char *save = NULL, *tok = strtok_r(line, "\t", &save); tok != NULL && n < N_COLS;
             tok = strtok_r(NULL, "\t", &save))
            col[n++] = tok;
        CU_ASSERT_EQUAL_FATAL(n, N_COLS);
        int used_bio = 0, used_cipher = 0;
        int result = run_vector(dir, col, &used_bio, &used_cipher);
        t.passed += result == 1;
        t.failed += result == 0;
        bio_runs += used_bio;
        cipher_runs += used_cipher;
    }
    fclose(f);
    printf("\n  %s: %d passed, %d failed, 0 skipped; all through EVP_PKEY_decrypt, %d also "
           "through the cipher API, %d also through BIO_f_cipher\n",
           name, t.passed, t.failed, cipher_runs, bio_runs);
    CU_ASSERT_EQUAL(t.failed, 0);
    CU_ASSERT(t.passed > 0);
}

static void test_net_vectors(void)
{
    run_folder("net-4.0.x");
}

static void test_net_invalid_vectors(void)
{
    run_folder("net-4.0.0-invalid");
}

static void test_legacy_vectors(void)
{
    run_folder("python-1.3.0-legacy");
}

int main(void)
{
    static const dekcache_test_case tests[] = {
        {"net-4.0.x vectors (all 11 suites)", test_net_vectors},
        {"net-4.0.0-invalid vectors must fail", test_net_invalid_vectors},
        {"python-1.3.0 legacy vectors", test_legacy_vectors},
        {NULL, NULL},
    };
    dekcache_add_suite("ESDK vectors through the provider", NULL, NULL, tests);
    return dekcache_run_tests();
}
