/* Decrypts every test of ../shared/vectors/esdk/<folder>/manifest.json: positive
 * vectors must match their plaintext byte for byte, negative ones must fail.
 * Each message is decrypted one-shot and again in the provider's streaming
 * pattern (4096-byte updates, 4384-byte output budget, a single finish). */
#include <CUnit/CUnit.h>
#include <dirent.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <stdio.h>
#include <string.h>

#include "cunit_run.h"
#include "message/decrypt.h"
#include "vector_keyrings.h"

typedef struct {
    unsigned passed, failed, skipped;
} tally;

static const char *str_field(json_object *obj, const char *name)
{
    json_object *v;
    return json_object_object_get_ex(obj, name, &v) ? json_object_get_string(v) : NULL;
}

/* out = a/b; 0 when it does not fit. */
static int join_path(char *out, size_t cap, const char *a, const char *b)
{
    int n = snprintf(out, cap, "%s/%s", a, b);
    return n > 0 && (size_t)n < cap;
}

static const char *strip_uri(const char *uri)
{
    return strncmp(uri, "file://", 7) == 0 ? uri + 7 : uri;
}

static uint8_t *read_relative(const char *dir, const char *uri, size_t *len)
{
    char path[4096];
    return join_path(path, sizeof(path), dir, strip_uri(uri)) ? read_whole_file(path, len) : NULL;
}

static int load_context(json_object *test, esdk_enc_context *ec)
{
    json_object *obj;
    if (!json_object_object_get_ex(test, "encryption-context", &obj))
        return 0;
    json_object_object_foreach(obj, key, val)
    {
        const char *v = json_object_get_string(val);
        if (esdk_ec_set(ec, key, strlen(key), v, strlen(v)) != ESDK_OK)
            return -1;
    }
    return 1;
}

/* The provider's pattern: updates of <= 4096 bytes, each with a 4384-byte
 * budget. Framed messages with frames of <= 4096 bytes must drain in a single
 * finish; others (bigger frames, non-framed) may call finish again. */
static esdk_status decrypt_streaming(const esdk_decrypt_options *opt, const uint8_t *ct, size_t len,
                                     uint8_t **out, size_t *out_len)
{
    esdk_decryptor *d = NULL;
    esdk_status st = esdk_decrypt_new(opt, &d);
    uint8_t *buf = OPENSSL_malloc(len + 4384);
    size_t total = 0, n = 0;
    for (size_t off = 0; st == ESDK_OK && off < len; off += 4096) {
        size_t chunk = len - off < 4096 ? len - off : 4096;
        st = esdk_decrypt_update(d, ct + off, chunk, buf + total, 4384, &n);
        total += st == ESDK_OK ? n : 0;
    }
    if (st == ESDK_OK)
        st = esdk_decrypt_finish(d, buf + total, 4384, &n);
    total += st == ESDK_OK ? n : 0;
    const esdk_header *h = esdk_decrypt_header(d);
    int small_frames = h && h->content_type == ESDK_CONTENT_FRAMED && h->frame_len <= 4096;
    if (st == ESDK_OK && small_frames && esdk_decrypt_pending(d) != 0)
        st = ESDK_ERR_STATE;
    for (int i = 0; st == ESDK_OK && esdk_decrypt_pending(d) > 0 && i < 100; i++) {
        st = esdk_decrypt_finish(d, buf + total, 4384, &n);
        total += st == ESDK_OK ? n : 0;
    }
    esdk_decrypt_free(d);
    *out = buf;
    *out_len = total;
    return st;
}

static int matches(const uint8_t *got, size_t got_len, const uint8_t *want, size_t want_len)
{
    return got_len == want_len && memcmp(got, want, want_len) == 0;
}

/* Runs one test; returns 1 passed, 0 failed, -1 skipped. */
static int run_test(const char *dir, const char *name, json_object *test, json_object *keys,
                    int expect_header_auth)
{
    json_object *mks, *result, *output;
    const char *why = NULL;
    if (!json_object_object_get_ex(test, "master-keys", &mks) ||
        !json_object_object_get_ex(test, "result", &result))
        return 0;
    esdk_cmm *cmm = vector_cmm(mks, keys, &why);
    if (cmm == NULL) {
        printf("  SKIP %s: %s\n", name, why);
        return -1;
    }
    esdk_enc_context ec = {0};
    int has_ec = load_context(test, &ec);
    size_t ct_len = 0, pt_len = 0;
    uint8_t *ct = read_relative(dir, str_field(test, "ciphertext"), &ct_len);
    int positive = json_object_object_get_ex(result, "output", &output);
    uint8_t *want = positive ? read_relative(dir, str_field(output, "plaintext"), &pt_len) : NULL;
    esdk_decrypt_options opt = {.cmm = cmm,
                                .policy = ESDK_POLICY_REQUIRE_ENCRYPT_ALLOW_DECRYPT,
                                .reproduced_ec = has_ec > 0 ? &ec : NULL};
    uint8_t *got = NULL, *streamed = NULL;
    size_t got_len = 0, streamed_len = 0;
    char detail[256] = "";
    esdk_status st = ESDK_ERR_INVALID_ARGUMENT, st2 = ESDK_ERR_INVALID_ARGUMENT;
    if (ct != NULL && has_ec >= 0 && (!positive || want != NULL)) {
        ERR_clear_error();
        st = esdk_decrypt_oneshot(&opt, ct, ct_len, &got, &got_len, detail, sizeof(detail));
        /* Trying EDKs that do not unwrap must not leave OpenSSL errors behind. */
        if (st == ESDK_OK && ERR_peek_error() != 0) {
            printf("  %s: OpenSSL error queue not empty after success\n", name);
            st = ESDK_ERR_CRYPTO;
        }
        st2 = decrypt_streaming(&opt, ct, ct_len, &streamed, &streamed_len);
    }
    int ok;
    if (positive)
        ok = st == ESDK_OK && st2 == ESDK_OK && matches(got, got_len, want, pt_len) &&
             matches(streamed, streamed_len, want, pt_len);
    else
        ok = st != ESDK_OK && st2 != ESDK_OK && st == st2 &&
             (!expect_header_auth || st == ESDK_ERR_HEADER_AUTH);
    if (!ok)
        printf("  FAIL %s: one-shot %s (%s), streaming %s\n", name, esdk_status_string(st), detail,
               esdk_status_string(st2));
    OPENSSL_free(got);
    OPENSSL_free(streamed);
    OPENSSL_free(want);
    OPENSSL_free(ct);
    esdk_ec_clear(&ec);
    esdk_cmm_free(cmm);
    return ok;
}

static void run_folder(const char *dir, const char *folder)
{
    char path[4096];
    json_object *manifest = NULL, *keys_manifest = NULL, *tests, *keys_obj, *keys;
    if (join_path(path, sizeof(path), dir, "manifest.json"))
        manifest = json_object_from_file(path);
    const char *keys_uri = manifest ? str_field(manifest, "keys") : NULL;
    if (join_path(path, sizeof(path), dir, keys_uri ? strip_uri(keys_uri) : "keys.json"))
        keys_manifest = json_object_from_file(path);
    CU_ASSERT_FATAL(manifest != NULL && keys_manifest != NULL);
    CU_ASSERT_FATAL(json_object_object_get_ex(manifest, "tests", &tests));
    CU_ASSERT_FATAL(json_object_object_get_ex(keys_manifest, "keys", &keys_obj));
    keys = keys_obj;
    /* The net-4.0.0-invalid messages carry the ESDK-NET 4.0.0 bugs, which only the
     * header authentication tag can catch. */
    int expect_header_auth = strcmp(folder, "net-4.0.0-invalid") == 0;
    tally t = {0, 0, 0};
    json_object_object_foreach(tests, name, test)
    {
        int r = run_test(dir, name, test, keys, expect_header_auth);
        if (r > 0)
            t.passed++;
        else if (r == 0)
            t.failed++;
        else
            t.skipped++;
    }
    printf("\n  %s: %u passed, %u failed, %u skipped\n", folder, t.passed, t.failed, t.skipped);
    CU_ASSERT(t.failed == 0);
    CU_ASSERT(t.skipped == 0);
    CU_ASSERT(t.passed > 0);
    json_object_put(manifest);
    json_object_put(keys_manifest);
}

static void test_every_vector_folder(void)
{
    char root[4096];
    snprintf(root, sizeof(root), "%s", dekcache_shared_path("vectors/esdk"));
    DIR *dir = opendir(root);
    CU_ASSERT_FATAL(dir != NULL);
    struct dirent *entry;
    int folders = 0;
    while ((entry = readdir(dir)) != NULL) {
        char sub[4096], manifest[4096];
        FILE *f = NULL;
        if (entry->d_name[0] != '.' && join_path(sub, sizeof(sub), root, entry->d_name) &&
            join_path(manifest, sizeof(manifest), sub, "manifest.json"))
            f = fopen(manifest, "r");
        if (f == NULL)
            continue;
        fclose(f);
        run_folder(sub, entry->d_name);
        folders++;
    }
    closedir(dir);
    CU_ASSERT(folders >= 3);
}

/* Under the default policy every v1 (non-committing) vector must be refused. */
static void test_default_policy_refuses_v1(void)
{
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", dekcache_shared_path("vectors/esdk/python-1.3.0-legacy"));
    char path[4096];
    CU_ASSERT_FATAL(join_path(path, sizeof(path), dir, "ciphertexts/0178/small/4096"));
    DIR *d = opendir(path);
    CU_ASSERT_FATAL(d != NULL);
    struct dirent *entry;
    int checked = 0;
    while ((entry = readdir(d)) != NULL && checked < 3) {
        if (entry->d_name[0] == '.')
            continue;
        char file[4096];
        size_t len = 0;
        uint8_t *ct =
            join_path(file, sizeof(file), path, entry->d_name) ? read_whole_file(file, &len) : NULL;
        uint8_t *pt = NULL;
        size_t pt_len = 0;
        /* No CMM needed: the policy check comes before materials. */
        esdk_decrypt_options opt = {0};
        esdk_decryptor *dec = NULL;
        CU_ASSERT_FATAL(ct != NULL && esdk_decrypt_new(&opt, &dec) == ESDK_OK);
        CU_ASSERT(esdk_decrypt_update(dec, ct, len, NULL, 0, &pt_len) == ESDK_ERR_POLICY);
        esdk_decrypt_free(dec);
        (void)pt;
        OPENSSL_free(ct);
        checked++;
    }
    closedir(d);
    CU_ASSERT(checked == 3);
}

/* A non-framed legacy message above max_body_len fails with its own error. */
static void test_body_limit(void)
{
    char dir[4096], path[4096];
    snprintf(dir, sizeof(dir), "%s", dekcache_shared_path("vectors/esdk/python-1.3.0-legacy"));
    json_object *manifest = NULL, *keys_manifest = NULL, *tests, *keys;
    if (join_path(path, sizeof(path), dir, "manifest.json"))
        manifest = json_object_from_file(path);
    if (join_path(path, sizeof(path), dir, "keys.json"))
        keys_manifest = json_object_from_file(path);
    CU_ASSERT_FATAL(manifest && keys_manifest);
    CU_ASSERT_FATAL(json_object_object_get_ex(manifest, "tests", &tests));
    CU_ASSERT_FATAL(json_object_object_get_ex(keys_manifest, "keys", &keys));
    int checked = 0;
    json_object_object_foreach(tests, name, test)
    {
        json_object *mks;
        const char *ct_uri = str_field(test, "ciphertext");
        if (checked > 0 || ct_uri == NULL || strstr(ct_uri, "/small/0/") == NULL ||
            !json_object_object_get_ex(test, "master-keys", &mks))
            continue;
        const char *why;
        esdk_cmm *cmm = vector_cmm(mks, keys, &why);
        size_t len = 0;
        uint8_t *ct = read_relative(dir, ct_uri, &len), *out = NULL;
        size_t out_len = 0;
        esdk_decrypt_options opt = {
            .cmm = cmm, .policy = ESDK_POLICY_REQUIRE_ENCRYPT_ALLOW_DECRYPT, .max_body_len = 10000};
        CU_ASSERT(esdk_decrypt_oneshot(&opt, ct, len, &out, &out_len, NULL, 0) ==
                  ESDK_ERR_BODY_TOO_LARGE);
        opt.max_body_len = 10240;
        CU_ASSERT(esdk_decrypt_oneshot(&opt, ct, len, &out, &out_len, NULL, 0) == ESDK_OK);
        printf("\n  %s: non-framed body limit checked\n", name);
        OPENSSL_free(out);
        OPENSSL_free(ct);
        esdk_cmm_free(cmm);
        checked++;
    }
    CU_ASSERT(checked == 1);
    json_object_put(manifest);
    json_object_put(keys_manifest);
}

int main(void)
{
    static const dekcache_test_case tests[] = {
        {"every manifest test of every vector folder", test_every_vector_folder},
        {"default policy refuses v1 suites", test_default_policy_refuses_v1},
        {"non-framed body limit", test_body_limit},
        {NULL, NULL}};
    dekcache_add_suite("esdk vectors", NULL, NULL, tests);
    return dekcache_run_tests();
}
