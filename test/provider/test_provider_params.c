/* The provider loads, reports its parameters, registers its reason strings,
 * and refuses a bad configuration value with an error naming the key. */
#include <CUnit/CUnit.h>
#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/params.h>
#include <openssl/provider.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cunit_run.h"
#include "include/dekcache.h"

static OSSL_LIB_CTX *new_libctx_with_module_path(void)
{
    OSSL_LIB_CTX *libctx = OSSL_LIB_CTX_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(libctx);
    CU_ASSERT_FATAL(OSSL_PROVIDER_set_default_search_path(libctx, getenv("DEKCACHE_MODULE_DIR")));
    return libctx;
}

static void test_get_params(void)
{
    OSSL_LIB_CTX *libctx = new_libctx_with_module_path();
    OSSL_PROVIDER *prov = OSSL_PROVIDER_load(libctx, DEKCACHE_PROVIDER_NAME);
    CU_ASSERT_PTR_NOT_NULL_FATAL(prov);

    const char *name = NULL, *version = NULL, *buildinfo = NULL;
    int status = 0;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_ptr(OSSL_PROV_PARAM_NAME, (char **)&name, 0),
        OSSL_PARAM_construct_utf8_ptr(OSSL_PROV_PARAM_VERSION, (char **)&version, 0),
        OSSL_PARAM_construct_utf8_ptr(OSSL_PROV_PARAM_BUILDINFO, (char **)&buildinfo, 0),
        OSSL_PARAM_construct_int(OSSL_PROV_PARAM_STATUS, &status),
        OSSL_PARAM_construct_end(),
    };
    CU_ASSERT_FATAL(OSSL_PROVIDER_get_params(prov, params));
    CU_ASSERT_STRING_EQUAL(name, "dekcache");
    CU_ASSERT_STRING_EQUAL(version, EXPECTED_VERSION);
    CU_ASSERT_PTR_NOT_NULL(strstr(buildinfo, EXPECTED_VERSION));
    CU_ASSERT_EQUAL(status, 1);
    CU_ASSERT(OSSL_PROVIDER_available(libctx, DEKCACHE_PROVIDER_NAME));

    CU_ASSERT(OSSL_PROVIDER_unload(prov));
    OSSL_LIB_CTX_free(libctx);
}

static const OSSL_ITEM *reason_strings_of(OSSL_PROVIDER *prov)
{
    for (const OSSL_DISPATCH *fn = OSSL_PROVIDER_get0_dispatch(prov); fn->function_id != 0; fn++) {
        if (fn->function_id == OSSL_FUNC_PROVIDER_GET_REASON_STRINGS)
            return OSSL_FUNC_provider_get_reason_strings(fn)(OSSL_PROVIDER_get0_provider_ctx(prov));
    }
    return NULL;
}

static void test_reason_strings(void)
{
    OSSL_LIB_CTX *libctx = new_libctx_with_module_path();
    OSSL_PROVIDER *prov = OSSL_PROVIDER_load(libctx, DEKCACHE_PROVIDER_NAME);
    CU_ASSERT_PTR_NOT_NULL_FATAL(prov);
    const OSSL_ITEM *items = reason_strings_of(prov);
    CU_ASSERT_PTR_NOT_NULL_FATAL(items);

    /* Every public reason code has exactly one non-empty, distinct string. */
    for (unsigned reason = DEKCACHE_R_INTERNAL_ERROR; reason <= DEKCACHE_R_NO_DECRYPTION_KEY;
         reason++) {
        int found = 0;
        for (const OSSL_ITEM *it = items; it->ptr != NULL; it++) {
            if (it->id != reason)
                continue;
            found++;
            CU_ASSERT(strlen(it->ptr) > 5);
            for (const OSSL_ITEM *other = items; other->ptr != NULL; other++)
                CU_ASSERT(other == it || strcmp(other->ptr, it->ptr) != 0);
        }
        CU_ASSERT_EQUAL(found, 1);
    }
    OSSL_PROVIDER_unload(prov);
    OSSL_LIB_CTX_free(libctx);
}

/* Loads dekcache with a configuration whose section holds `line`; returns
 * whether the provider loaded and leaves the error text (if any) in `error`.
 * The section has no `activate`: OpenSSL 3.0 drops the errors of a provider
 * that fails to activate from the configuration, so we load it by name. */
static int load_config_with(const char *line, char *error, size_t error_len)
{
    char path[] = "/tmp/dekcache-test-cnf-XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f,
            "openssl_conf = init\n[init]\nproviders = providers\n"
            "[providers]\ndekcache = dekcache_sect\n"
            "[dekcache_sect]\nmodule = %s/dekcache.so\n%s\n",
            getenv("DEKCACHE_MODULE_DIR"), line);
    fclose(f);

    OSSL_LIB_CTX *libctx = OSSL_LIB_CTX_new();
    CU_ASSERT_FATAL(OSSL_LIB_CTX_load_config(libctx, path));
    ERR_clear_error();
    OSSL_PROVIDER *prov = OSSL_PROVIDER_load(libctx, DEKCACHE_PROVIDER_NAME);
    int ok = prov != NULL;
    error[0] = '\0';
    unsigned long code;
    const char *data = NULL;
    int flags = 0;
    size_t used = 0;
    while ((code = ERR_get_error_all(NULL, NULL, NULL, &data, &flags)) != 0 && used < error_len) {
        char buf[256];
        ERR_error_string_n(code, buf, sizeof(buf));
        used += (size_t)snprintf(error + used, error_len - used, "%s|%s\n", buf,
                                 (flags & ERR_TXT_STRING) ? data : "");
    }
    OSSL_PROVIDER_unload(prov);
    OSSL_LIB_CTX_free(libctx);
    unlink(path);
    return ok;
}

static void test_good_config_loads(void)
{
    char error[4096];
    CU_ASSERT(load_config_with("cache_max_messages = 10\ncache_stripes = 8\n"
                               "commitment_policy = require-encrypt-allow-decrypt",
                               error, sizeof(error)));
    /* The largest stripe count the cache takes is accepted at load. */
    CU_ASSERT(load_config_with("cache_stripes = 1024", error, sizeof(error)));
    /* Numbers are decimal (a leading zero is not octal), or hex after 0x. */
    CU_ASSERT(load_config_with("frame_length = 0999\ncache_max_age = 0x12c", error, sizeof(error)));
}

static void expect_refused(const char *line, const char *expected_detail)
{
    char error[4096];
    CU_ASSERT_FALSE(load_config_with(line, error, sizeof(error)));
    CU_ASSERT_PTR_NOT_NULL(strstr(error, "invalid configuration value"));
    CU_ASSERT_PTR_NOT_NULL(strstr(error, expected_detail));
    if (strstr(error, expected_detail) == NULL)
        fprintf(stderr, "errors were:\n%s", error);
}

static void test_bad_config_values_refused(void)
{
    expect_refused("cache_max_messages = 0",
                   "cache_max_messages = \"0\": allowed an integer from 1 to 4294967296");
    expect_refused("cache_max_messages = 4294967297", "cache_max_messages = \"4294967297\"");
    expect_refused("frame_length = ten", "frame_length = \"ten\"");
    /* Frames the cipher cannot carry within each call's output. */
    expect_refused("frame_length = 511",
                   "frame_length = \"511\": allowed an integer from 512 to 4096");
    expect_refused("cache_stripes = 3", "cache_stripes = 3");
    expect_refused("max_encrypted_data_keys = 65536",
                   "max_encrypted_data_keys = \"65536\": allowed an integer from 0 to 65535");
    /* Beyond what the cache takes: refused here, naming the range, not by the cache. */
    expect_refused("cache_stripes = 2048", "cache_stripes = \"2048\": allowed an integer from 0 "
                                           "to 1024");
    expect_refused("algorithm_suite = 0x0500", "algorithm_suite = 0x0500");
    expect_refused("discovery = maybe", "discovery = \"maybe\": allowed yes/no");
    expect_refused("discovery = yes\ndecrypt_keys = alias/a",
                   "decrypt_keys with discovery = yes: allowed one or the other");
    expect_refused("commitment_policy = anything", "one of require-encrypt-require-decrypt");
    expect_refused("kms_timeout_ms = -5", "kms_timeout_ms = \"-5\"");
    expect_refused("cache_capacity = 0", "cache_capacity = \"0\": allowed an integer from 1");
    expect_refused("cache_max_age = 31536001", "cache_max_age = \"31536001\"");
    expect_refused("cache_max_bytes = 0", "cache_max_bytes = \"0\"");
    expect_refused("kms_max_attempts = 11",
                   "kms_max_attempts = \"11\": allowed an integer from 1 to 10");
    expect_refused("kms_endpoint = localhost:4566",
                   "kms_endpoint = \"localhost:4566\": allowed an http:// or https:// URL");
    /* What the KMS client would refuse at the first message is refused at load. */
    expect_refused("kms_endpoint = http://127.0.0.1:4566/kms", "kms_endpoint = ");
    expect_refused("kms_endpoint = http://127.0.0.1:4566/?a=b", "with no path, query or user info");
    /* User info is refused, and its password never shows in the message. */
    char refused[4096];
    CU_ASSERT_FALSE(load_config_with("kms_endpoint = http://user:s3cret@127.0.0.1:4566", refused,
                                     sizeof(refused)));
    CU_ASSERT_PTR_NOT_NULL(strstr(refused, "kms_endpoint = \"http://***@127.0.0.1:4566\""));
    CU_ASSERT_PTR_NULL(strstr(refused, "s3cret"));
    /* Only the endpoint is redacted: other values are shown as given. */
    expect_refused("region = me@home", "region = \"me@home\"");
    expect_refused("kms_endpoint = ftp://127.0.0.1/", "kms_endpoint = ");
    expect_refused("region = US East", "region = \"US East\": allowed an AWS region name");
    expect_refused("discovery_accounts = 1234,abc", "discovery_accounts = \"1234,abc\"");
    expect_refused("discovery_accounts = 111122223333 4", "allowed 1 to 64 comma-separated 12");
    /* A list without one item is a mistake, not an empty allow-list. */
    expect_refused("decrypt_keys = , ,", "decrypt_keys = \", ,\": allowed 1 to 64");
    expect_refused("discovery_partition = 42", "discovery_partition = \"42\"");
    /* More than the allow-list or the account filter holds: never dropped
     * silently (that would widen discovery or narrow the allow-list). */
    char line[2048];
    int at = snprintf(line, sizeof(line), "discovery_accounts = ");
    for (int i = 0; i < 65; i++)
        at += snprintf(line + at, sizeof(line) - (size_t)at, "%s%012d", i ? ", " : "", 100000 + i);
    expect_refused(line, "allowed 1 to 64 comma-separated 12-digit AWS account IDs");
    line[at - 14] = '\0'; /* 64 accounts */
    char error[4096];
    CU_ASSERT_TRUE(load_config_with(line, error, sizeof(error)));
    at = snprintf(line, sizeof(line), "decrypt_keys = ");
    for (int i = 0; i < 65; i++)
        at += snprintf(line + at, sizeof(line) - (size_t)at, "%salias/k%d", i ? "," : "", i);
    expect_refused(line, "allowed 1 to 64 comma-separated key IDs");
    /* The KMS client takes regions of at most 63 bytes: 64 is refused at load. */
    at = snprintf(line, sizeof(line), "region = ");
    memset(line + at, 'a', 64);
    line[at + 64] = '\0';
    expect_refused(line, "allowed an AWS region name");
    expect_refused("ca_file = /nonexistent/ca.pem",
                   "ca_file = \"/nonexistent/ca.pem\": allowed a readable file");
    expect_refused("raw_aes_key_file = /etc/passwd",
                   "raw_aes_key_file = \"/etc/passwd\": allowed a readable file of 16, 24 or 32");
    expect_refused("raw_rsa_key_file = /nonexistent.pem",
                   "raw_rsa_key_file = \"/nonexistent.pem\"");
    expect_refused("raw_rsa_padding = oaep-md5", "raw_rsa_padding = \"oaep-md5\": allowed one of");
}

static void test_checked_strings_accept_good_values(void)
{
    char error[4096];
    CU_ASSERT(load_config_with("kms_endpoint = https://kms.eu-west-1.amazonaws.com\n"
                               "region = eu-west-1\n"
                               "discovery_accounts = 111122223333,\t444455556666 ,,\n"
                               "discovery_partition = aws-cn\nraw_rsa_padding = OAEP-SHA256",
                               error, sizeof(error)));
    if (error[0] != '\0')
        fprintf(stderr, "errors were:\n%s", error);
}

int main(void)
{
    static const dekcache_test_case tests[] = {
        {"provider reports name, version, build info and status", test_get_params},
        {"every reason code has one distinct string", test_reason_strings},
        {"a valid configuration loads", test_good_config_loads},
        {"bad configuration values are refused with key, value and range",
         test_bad_config_values_refused},
        {"checked string values accept what users write", test_checked_strings_accept_good_values},
        {NULL, NULL},
    };
    dekcache_add_suite("provider", NULL, NULL, tests);
    return dekcache_run_tests();
}
