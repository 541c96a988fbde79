/* kms/base64: the strict base64 shared by the KMS client and the local
 * server. */
#include "cunit_run.h"
#include "kms/base64/base64.h"

#include <openssl/crypto.h>
#include <string.h>

static void test_round_trip(void)
{
    const unsigned char bytes[] = {0x00, 0xff, 0x10, 0x80, 0x7f};
    for (size_t len = 0; len <= sizeof(bytes); len++) {
        char text[16];
        unsigned char back[16];
        size_t back_len = 99;
        kms_base64_encode(bytes, len, text);
        CU_ASSERT_EQUAL(strlen(text), kms_base64_encoded_len(len));
        CU_ASSERT_TRUE(kms_base64_decoded_max(strlen(text)) <= sizeof(back));
        CU_ASSERT_TRUE(kms_base64_decode(text, strlen(text), back, &back_len));
        CU_ASSERT_EQUAL(back_len, len);
        CU_ASSERT_EQUAL(memcmp(back, bytes, len), 0);
    }
}

/* Everything the client's and the server's former decoders refused. */
static void test_rejects_non_canonical(void)
{
    static const char *bad[] = {
        /* length not a multiple of 4 */
        "QUJ",
        "aGk",
        /* whitespace */
        "QUJD\n",
        "aGk=\n",
        "aG k",
        "QUJD QUJD",
        /* outside the standard alphabet (URL-safe) */
        "QU-_",
        /* too much padding */
        "Q===",
        "====",
        "aGk==",
        /* '=' before the end */
        "QU=D",
        "a=Gk",
        "aG=k",
        "=AAA",
        "AA=A",
        "QUI=QUI=",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        unsigned char out[16];
        size_t len = 99;
        CU_ASSERT_FALSE(kms_base64_decode(bad[i], strlen(bad[i]), out, &len));
        CU_ASSERT_EQUAL(len, 0);
        CU_ASSERT_FALSE(kms_base64_is_strict(bad[i], strlen(bad[i])));
        unsigned char *buf = (unsigned char *)"not touched";
        len = 99;
        CU_ASSERT_EQUAL(kms_base64_decode_new(bad[i], strlen(bad[i]), 0, 0, 64, &buf, &len), 0);
        CU_ASSERT_PTR_NULL(buf);
        CU_ASSERT_EQUAL(len, 0);
    }
    /* A NUL inside the given length is not base64 either. */
    unsigned char out[16];
    size_t len = 99;
    CU_ASSERT_FALSE(kms_base64_decode("QU\0=", 4, out, &len));

    CU_ASSERT_FALSE(kms_base64_is_strict("QU\0=", 4));
    CU_ASSERT_TRUE(kms_base64_is_strict("QUI=", 4));
    CU_ASSERT_TRUE(kms_base64_decode("QUI=", 4, out, &len));
    CU_ASSERT_EQUAL(len, 2);
    CU_ASSERT_EQUAL(memcmp(out, "AB", 2), 0);
    CU_ASSERT_TRUE(kms_base64_decode("", 0, out, &len));
    CU_ASSERT_EQUAL(len, 0);
}

/* A fresh buffer, on the secure heap when asked, with nothing past the
 * decoded bytes (so a clear_free of the decoded length cleanses it all). */
static void test_decode_new(void)
{
    static const char text[] = "aGk=";
    for (int secure = 0; secure <= 1; secure++) {
        unsigned char *out = NULL;
        size_t len = 0;
        CU_ASSERT_EQUAL_FATAL(kms_base64_decode_new(text, strlen(text), secure, 1, 2, &out, &len),
                              1);
        CU_ASSERT_EQUAL(len, 2);
        CU_ASSERT_EQUAL(memcmp(out, "hi", 2), 0);
        size_t cap = kms_base64_decoded_max(strlen(text));
        for (size_t i = len; i < cap; i++)
            CU_ASSERT_EQUAL(out[i], 0);
        if (secure && CRYPTO_secure_malloc_initialized())
            CU_ASSERT_TRUE(CRYPTO_secure_allocated(out));
        kms_base64_free(out, len, secure);
    }
    unsigned char *out = NULL;
    size_t len = 99;
    CU_ASSERT_EQUAL(kms_base64_decode_new("", 0, 1, 0, 2, &out, &len), 1);
    CU_ASSERT_PTR_NOT_NULL(out);
    CU_ASSERT_EQUAL(len, 0);
    kms_base64_free(out, 0, 1);
    /* The bounds: a length outside them allocates nothing, and text longer
     * than the largest result can take is refused before decoding. */
    static const struct {
        size_t min, max;
        int rc;
    } bounds[] = {{3, 4, 0}, {1, 1, 0}, {2, 2, 1}, {0, 1, 0}};
    for (size_t i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++) {
        out = (unsigned char *)"not touched";
        len = 99;
        CU_ASSERT_EQUAL(
            kms_base64_decode_new(text, strlen(text), 0, bounds[i].min, bounds[i].max, &out, &len),
            bounds[i].rc);
        CU_ASSERT(bounds[i].rc == 1 ? out != NULL && len == 2 : out == NULL && len == 0);
        if (bounds[i].rc == 1)
            kms_base64_free(out, len, 0);
    }
}

int main(void)
{
    /* A small secure heap, so the secure path is really taken. */
    CRYPTO_secure_malloc_init(1 << 16, 16);
    static const dekcache_test_case tests[] = {
        {"round trip", test_round_trip},
        {"rejects non-canonical text", test_rejects_non_canonical},
        {"decode into a fresh buffer", test_decode_new},
        {NULL, NULL}};
    dekcache_add_suite("kms_base64", NULL, NULL, tests);
    int rc = dekcache_run_tests();
    CRYPTO_secure_malloc_done();
    return rc;
}
