/* Credentials chain (explicit, environment, shared files), region and
 * endpoint resolution. Each test sets the environment it needs. */
#include "cunit_run.h"
#include "kms/client/client_internal.h"
#include "kms/client/credentials.h"
#include "kms/client/endpoint.h"
#include "kms/client/shared_profile.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/dekcache-kms-client-XXXXXX";
static char creds_path[128];
static char config_path[128];

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void)
{
    if (mkdtemp(dir) == NULL) {
        return 1;
    }
    snprintf(creds_path, sizeof(creds_path), "%s/credentials", dir);
    snprintf(config_path, sizeof(config_path), "%s/config", dir);
    return 0;
}

static int teardown(void)
{
    unlink(creds_path);
    unlink(config_path);
    rmdir(dir);
    return 0;
}

static void clear_env(void)
{
    static const char *names[] = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                  "AWS_SESSION_TOKEN", "AWS_PROFILE",
                                  "AWS_REGION",        "AWS_DEFAULT_REGION"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        unsetenv(names[i]);
    }
    setenv("AWS_SHARED_CREDENTIALS_FILE", creds_path, 1);
    setenv("AWS_CONFIG_FILE", config_path, 1);
    write_file(creds_path, "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = "
                           "FILESECRET\n\n[work]\n  aws_access_key_id=WORKKEY\n"
                           "aws_secret_access_key= WORKSECRET \naws_session_token = WORKTOKEN\n");
    write_file(config_path, "[default]\nregion = eu-west-1\n[profile cfgonly]\n"
                            "# a comment\naws_access_key_id = CFGKEY\n"
                            "aws_secret_access_key = CFGSECRET\n[cfgonly]\n"
                            "aws_access_key_id = WRONG\n");
}

static void expect_creds(const kms_client_config *config, const char *key, const char *secret,
                         const char *token)
{
    credentials creds;
    char detail[256] = "";
    CU_ASSERT_EQUAL_FATAL(credentials_resolve(config, &creds, detail, sizeof(detail)),
                          KMS_CLIENT_OK);
    CU_ASSERT_STRING_EQUAL(creds.access_key_id, key);
    CU_ASSERT_STRING_EQUAL(creds.secret_access_key, secret);
    if (token == NULL) {
        CU_ASSERT_PTR_NULL(creds.session_token);
    } else {
        CU_ASSERT_STRING_EQUAL(creds.session_token, token);
    }
    credentials_clear(&creds);
}

static void test_explicit_wins(void)
{
    clear_env();
    setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "ENVSECRET", 1);
    kms_client_config config = {.access_key_id = "CFG", .secret_access_key = "CFGS"};
    expect_creds(&config, "CFG", "CFGS", NULL);
}

static void test_environment_before_files(void)
{
    clear_env();
    setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "ENVSECRET", 1);
    setenv("AWS_SESSION_TOKEN", "ENVTOKEN", 1);
    kms_client_config config = {0};
    expect_creds(&config, "ENVKEY", "ENVSECRET", "ENVTOKEN");
}

static void test_half_environment_is_an_error(void)
{
    clear_env();
    setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
    kms_client_config config = {0};
    credentials creds;
    char detail[256] = "";
    CU_ASSERT_EQUAL(credentials_resolve(&config, &creds, detail, sizeof(detail)),
                    KMS_CLIENT_ERR_NO_CREDENTIALS);
    CU_ASSERT_PTR_NOT_NULL(strstr(detail, "environment"));
    CU_ASSERT_PTR_NOT_NULL(strstr(detail, "secret access key missing"));
    CU_ASSERT_PTR_NULL(strstr(detail, "ENVKEY"));
}

/* A CR or LF in a value would inject header lines into every request. */
static void test_control_characters_refused(void)
{
    static const char *const names[] = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                        "AWS_SESSION_TOKEN"};
    for (size_t i = 0; i < 3; i++) {
        clear_env();
        setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
        setenv("AWS_SECRET_ACCESS_KEY", "ENVSECRET", 1);
        setenv(names[i], "tok\r\nX-Injected: 1", 1);
        kms_client_config config = {0};
        credentials creds;
        char detail[256] = "";
        CU_ASSERT_EQUAL(credentials_resolve(&config, &creds, detail, sizeof(detail)),
                        KMS_CLIENT_ERR_NO_CREDENTIALS);
        CU_ASSERT_PTR_NOT_NULL(strstr(detail, "the environment hold a control character"));
        CU_ASSERT_PTR_NULL(strstr(detail, "Injected"));
    }
    clear_env();
    kms_client_config explicit = {.access_key_id = "K", .secret_access_key = "S\tS"};
    credentials creds;
    char detail[256] = "";
    CU_ASSERT_EQUAL(credentials_resolve(&explicit, &creds, detail, sizeof(detail)),
                    KMS_CLIENT_ERR_NO_CREDENTIALS);
    CU_ASSERT_PTR_NOT_NULL(strstr(detail, "explicit configuration"));
}

static void test_shared_files_and_profiles(void)
{
    clear_env();
    kms_client_config config = {0};
    expect_creds(&config, "FILEKEY", "FILESECRET", NULL);
    setenv("AWS_PROFILE", "work", 1);
    expect_creds(&config, "WORKKEY", "WORKSECRET", "WORKTOKEN");
    config.profile = "cfgonly"; /* configuration beats AWS_PROFILE; config file's [profile x] */
    expect_creds(&config, "CFGKEY", "CFGSECRET", NULL);
}

static void test_no_credentials_message(void)
{
    clear_env();
    kms_client_config config = {.profile = "absent"};
    credentials creds;
    char detail[512] = "";
    CU_ASSERT_EQUAL(credentials_resolve(&config, &creds, detail, sizeof(detail)),
                    KMS_CLIENT_ERR_NO_CREDENTIALS);
    CU_ASSERT_PTR_NOT_NULL(strstr(detail, "'absent'"));
    CU_ASSERT_PTR_NOT_NULL(strstr(detail, creds_path));
}

static void test_shared_profile_sections(void)
{
    char value[64];
    clear_env();
    CU_ASSERT_EQUAL(shared_profile_get(config_path, SHARED_FILE_CONFIG, "default", "region", value,
                                       sizeof(value)),
                    1);
    CU_ASSERT_STRING_EQUAL(value, "eu-west-1");
    CU_ASSERT_EQUAL(shared_profile_get(creds_path, SHARED_FILE_CREDENTIALS, "work",
                                       "aws_secret_access_key", value, 4),
                    -1);
    CU_ASSERT_EQUAL(shared_profile_get("/nonexistent/x", SHARED_FILE_CONFIG, "default", "region",
                                       value, sizeof(value)),
                    0);
}

/* A line longer than the reader's buffer must not leave its tail to be read
 * as a line of its own: here a commented-out line would supply the secret. */
static void test_shared_profile_long_line(void)
{
    char path[160], value[64];
    snprintf(path, sizeof(path), "%s/long", dir);
    size_t filler = 5000;
    char *text = malloc(filler + 256);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    strcpy(text, "[default]\n# ");
    memset(text + strlen(text), 'x', filler);
    strcpy(text + strlen("[default]\n# ") + filler,
           "aws_secret_access_key = INJECTED\naws_secret_access_key = real\n");
    write_file(path, text);
    CU_ASSERT_EQUAL(shared_profile_get(path, SHARED_FILE_CREDENTIALS, "default",
                                       "aws_secret_access_key", value, sizeof(value)),
                    1);
    CU_ASSERT_STRING_EQUAL(value, "real");
    /* A value too long for the line buffer is oversized, not cut short. */
    strcpy(text, "[default]\naws_session_token = ");
    memset(text + strlen(text), 'T', filler);
    strcpy(text + strlen("[default]\naws_session_token = ") + filler, "\n");
    write_file(path, text);
    CU_ASSERT_EQUAL(shared_profile_get(path, SHARED_FILE_CREDENTIALS, "default",
                                       "aws_session_token", value, sizeof(value)),
                    -1);
    /* A header cut short closes the profile before it. */
    strcpy(text, "[default]\n[");
    memset(text + strlen(text), 'p', filler);
    strcpy(text + strlen("[default]\n[") + filler, "]\nregion = wrong\n");
    write_file(path, text);
    CU_ASSERT_EQUAL(
        shared_profile_get(path, SHARED_FILE_CONFIG, "default", "region", value, sizeof(value)), 0);
    /* A NUL byte cannot hide a newline: the next line is a line of its own. */
    static const char with_nul[] = "[default]\n#x\0y\n[evil]\naws_secret_access_key = E\n"
                                   "[default]\nregion = r\0x\n";
    FILE *f = fopen(path, "w");
    CU_ASSERT_FATAL(f != NULL);
    fwrite(with_nul, 1, sizeof(with_nul) - 1, f);
    fclose(f);
    CU_ASSERT_EQUAL(shared_profile_get(path, SHARED_FILE_CREDENTIALS, "default",
                                       "aws_secret_access_key", value, sizeof(value)),
                    0);
    /* A value holding a NUL is refused, not cut short. */
    CU_ASSERT_EQUAL(shared_profile_get(path, SHARED_FILE_CREDENTIALS, "default", "region", value,
                                       sizeof(value)),
                    -1);
    free(text);
    unlink(path);
}

/* What botocore accepts: [profile default], key names in any case; and what
 * it does not: an indented line after an option continues that option. */
static void test_shared_profile_forms(void)
{
    char path[160], key[64], secret[64], token[64];
    snprintf(path, sizeof(path), "%s/forms", dir);
    write_file(path, "[profile default]\nAWS_ACCESS_KEY_ID = UPPER\ns3 =\n"
                     "  aws_secret_access_key = NESTED\naws_secret_access_key = TOP\n");
    shared_profile_field fields[] = {{"aws_access_key_id", key, sizeof(key), 0},
                                     {"aws_secret_access_key", secret, sizeof(secret), 0},
                                     {"aws_session_token", token, sizeof(token), 0}};
    CU_ASSERT_EQUAL(shared_profile_get_fields(path, SHARED_FILE_CONFIG, "default", fields, 3), 1);
    CU_ASSERT_EQUAL(fields[0].found, 1);
    CU_ASSERT_STRING_EQUAL(key, "UPPER");
    CU_ASSERT_EQUAL(fields[1].found, 1);
    CU_ASSERT_STRING_EQUAL(secret, "TOP");
    CU_ASSERT_EQUAL(fields[2].found, 0);
    /* Keys indented alike are keys, not continuations. */
    write_file(path, "[default]\n  aws_access_key_id = A\n  aws_secret_access_key = S\n"
                     "    nested = deeper\n");
    CU_ASSERT_EQUAL(shared_profile_get_fields(path, SHARED_FILE_CREDENTIALS, "default", fields, 3),
                    1);
    CU_ASSERT_EQUAL(fields[0].found, 1);
    CU_ASSERT_EQUAL(fields[1].found, 1);
    CU_ASSERT_STRING_EQUAL(secret, "S");
    /* In the credentials file "[profile default]" is a profile of that name. */
    write_file(path, "[profile default]\naws_access_key_id = UPPER\n");
    CU_ASSERT_EQUAL(shared_profile_get_fields(path, SHARED_FILE_CREDENTIALS, "default", fields, 3),
                    0);
    unlink(path);
}

/* "~/" in the file variables is the home directory; without HOME the
 * password database gives it, and never the current directory. */
static void test_shared_file_home(void)
{
    char path[512];
    char *saved_home = getenv("HOME") != NULL ? strdup(getenv("HOME")) : NULL;
    clear_env();
    setenv("HOME", "/home/someone", 1);
    setenv("AWS_CONFIG_FILE", "~/cfg/aws", 1);
    shared_file_path(SHARED_FILE_CONFIG, path, sizeof(path));
    CU_ASSERT_STRING_EQUAL(path, "/home/someone/cfg/aws");
    unsetenv("AWS_SHARED_CREDENTIALS_FILE");
    shared_file_path(SHARED_FILE_CREDENTIALS, path, sizeof(path));
    CU_ASSERT_STRING_EQUAL(path, "/home/someone/.aws/credentials");
    unsetenv("HOME");
    shared_file_path(SHARED_FILE_CREDENTIALS, path, sizeof(path));
    const struct passwd *pw = getpwuid(getuid());
    char expected[512] = "";
    if (pw != NULL && pw->pw_dir != NULL && pw->pw_dir[0] != '\0')
        snprintf(expected, sizeof(expected), "%s/.aws/credentials", pw->pw_dir);
    CU_ASSERT_STRING_EQUAL(path, expected); /* "" without an entry: never ./.aws */
    if (saved_home != NULL) {
        setenv("HOME", saved_home, 1);
        free(saved_home);
    }
    clear_env();
}

static void test_region_order(void)
{
    char region[64];
    clear_env();
    /* Nothing else set: the profile's region in the shared config file. */
    CU_ASSERT_TRUE(endpoint_configured_region(NULL, NULL, region, sizeof(region)));
    CU_ASSERT_STRING_EQUAL(region, "eu-west-1");
    CU_ASSERT_TRUE(endpoint_configured_region(NULL, "cfgonly", region, sizeof(region)));
    CU_ASSERT_STRING_EQUAL(region, ""); /* that profile names no region */
    setenv("AWS_PROFILE", "cfgonly", 1);
    CU_ASSERT_TRUE(endpoint_configured_region(NULL, NULL, region, sizeof(region)));
    CU_ASSERT_STRING_EQUAL(region, "");
    CU_ASSERT_TRUE(endpoint_configured_region(NULL, "default", region, sizeof(region)));
    CU_ASSERT_STRING_EQUAL(region, "eu-west-1"); /* the configured profile wins */
    unsetenv("AWS_PROFILE");
    setenv("AWS_CONFIG_FILE", "/nonexistent/config", 1);
    CU_ASSERT_TRUE(endpoint_configured_region(NULL, NULL, region, sizeof(region)));
    CU_ASSERT_STRING_EQUAL(region, "");
    setenv("AWS_CONFIG_FILE", config_path, 1);
    setenv("AWS_DEFAULT_REGION", "us-east-2", 1);
    CU_ASSERT_TRUE(endpoint_configured_region(NULL, NULL, region, sizeof(region)));
    CU_ASSERT_STRING_EQUAL(region, "us-east-2");
    setenv("AWS_REGION", "ap-south-1", 1);
    CU_ASSERT_TRUE(endpoint_configured_region(NULL, NULL, region, sizeof(region)));
    CU_ASSERT_STRING_EQUAL(region, "ap-south-1");
    CU_ASSERT_TRUE(endpoint_configured_region("", NULL, region, sizeof(region))); /* "" is unset */
    CU_ASSERT_STRING_EQUAL(region, "ap-south-1");
    CU_ASSERT_TRUE(endpoint_configured_region("eu-north-1", NULL, region, sizeof(region)));
    CU_ASSERT_STRING_EQUAL(region, "eu-north-1");
    CU_ASSERT_TRUE(endpoint_region_for_key("", "arn:aws:kms:sa-east-1:111122223333:key/k", region,
                                           sizeof(region)));
    CU_ASSERT_STRING_EQUAL(region, "sa-east-1");
    CU_ASSERT_FALSE(endpoint_region_for_key("", "alias/x", region, sizeof(region)));
}

/* An over-long region is refused wherever it comes from; it never falls
 * through to the next source. */
static void test_region_too_long(void)
{
    char region[64], long_region[80], detail[256] = "";
    memset(long_region, 'a', sizeof(long_region) - 1);
    long_region[sizeof(long_region) - 1] = '\0';
    clear_env();
    setenv("AWS_REGION", "ap-south-1", 1);
    setenv("AWS_DEFAULT_REGION", "us-east-2", 1);
    CU_ASSERT_FALSE(endpoint_configured_region(long_region, NULL, region, sizeof(region)));
    CU_ASSERT_STRING_EQUAL(region, "");
    setenv("AWS_REGION", long_region, 1);
    CU_ASSERT_FALSE(endpoint_configured_region(NULL, NULL, region, sizeof(region)));
    CU_ASSERT_STRING_EQUAL(region, "");
    unsetenv("AWS_REGION");
    unsetenv("AWS_DEFAULT_REGION");
    char file[160];
    snprintf(file, sizeof(file), "[default]\nregion = %s\n", long_region);
    write_file(config_path, file);
    CU_ASSERT_FALSE(endpoint_configured_region(NULL, NULL, region, sizeof(region)));
    CU_ASSERT_STRING_EQUAL(region, "");
    /* Wherever it comes from, a region is only [a-z0-9-]: it becomes part of
     * the endpoint's host name. */
    write_file(config_path, "[default]\nregion = evil.example#\n");
    CU_ASSERT_FALSE(endpoint_configured_region(NULL, NULL, region, sizeof(region)));
    CU_ASSERT_STRING_EQUAL(region, "");
    setenv("AWS_DEFAULT_REGION", "us-east-1/x", 1);
    CU_ASSERT_FALSE(endpoint_configured_region(NULL, NULL, region, sizeof(region)));
    CU_ASSERT_FALSE(endpoint_configured_region("US-EAST-1", NULL, region, sizeof(region)));
    unsetenv("AWS_DEFAULT_REGION");
    setenv("AWS_REGION", long_region, 1);
    /* 63 bytes still fit. */
    long_region[63] = '\0';
    CU_ASSERT_TRUE(endpoint_configured_region(long_region, NULL, region, sizeof(region)));
    CU_ASSERT_STRING_EQUAL(region, long_region);
    kms_client_config config = {.access_key_id = "AKID", .secret_access_key = "secret"};
    kms_client *c = NULL;
    CU_ASSERT_EQUAL(kms_client_new(&config, &c, detail, sizeof(detail)),
                    KMS_CLIENT_ERR_INVALID_ARGUMENT);
    CU_ASSERT_PTR_NULL(c);
    CU_ASSERT_PTR_NOT_NULL(strstr(detail, "region"));
    CU_ASSERT_PTR_NOT_NULL(strstr(detail, "at most 63 lowercase letters"));
    unsetenv("AWS_REGION");
    unsetenv("AWS_DEFAULT_REGION");
}

static void test_endpoint(void)
{
    char url[128], host[128];
    CU_ASSERT_TRUE(endpoint_url(NULL, "us-west-2", url, sizeof(url)));
    CU_ASSERT_STRING_EQUAL(url, "https://kms.us-west-2.amazonaws.com/");
    CU_ASSERT_TRUE(endpoint_host(url, host, sizeof(host)));
    CU_ASSERT_STRING_EQUAL(host, "kms.us-west-2.amazonaws.com");
    CU_ASSERT_TRUE(endpoint_host("http://127.0.0.1:4566", host, sizeof(host)));
    CU_ASSERT_STRING_EQUAL(host, "127.0.0.1:4566");
    CU_ASSERT_TRUE(endpoint_host("https://kms.example:443/", host, sizeof(host)));
    CU_ASSERT_STRING_EQUAL(host, "kms.example");
    CU_ASSERT_FALSE(endpoint_host("ftp://127.0.0.1/", host, sizeof(host)));
    /* "https://kms.evil.example#x.amazonaws.com/" would go to evil.example. */
    CU_ASSERT_FALSE(endpoint_url(NULL, "evil.example#x", url, sizeof(url)));
    CU_ASSERT_TRUE(endpoint_url("http://127.0.0.1:4566", "evil.example#x", url, sizeof(url)));
    CU_ASSERT_FALSE(endpoint_host("http://127.0.0.1/kms", host, sizeof(host)));
    CU_ASSERT_FALSE(endpoint_host("http://127.0.0.1/?a=b", host, sizeof(host)));
    /* Regions outside the aws partition have their own DNS suffix. */
    CU_ASSERT_TRUE(endpoint_url(NULL, "cn-north-1", url, sizeof(url)));
    CU_ASSERT_STRING_EQUAL(url, "https://kms.cn-north-1.amazonaws.com.cn/");
    CU_ASSERT_TRUE(endpoint_url(NULL, "us-iso-east-1", url, sizeof(url)));
    CU_ASSERT_STRING_EQUAL(url, "https://kms.us-iso-east-1.c2s.ic.gov/");
    CU_ASSERT_TRUE(endpoint_url(NULL, "us-isob-east-1", url, sizeof(url)));
    CU_ASSERT_STRING_EQUAL(url, "https://kms.us-isob-east-1.sc2s.sgov.gov/");
    CU_ASSERT_TRUE(endpoint_url(NULL, "us-gov-west-1", url, sizeof(url)));
    CU_ASSERT_STRING_EQUAL(url, "https://kms.us-gov-west-1.amazonaws.com/");
    /* User info is refused, and redacted wherever a URL is shown. */
    CU_ASSERT_FALSE(endpoint_host("http://user:pw@127.0.0.1:4566/", host, sizeof(host)));
    CU_ASSERT_FALSE(endpoint_host("http://user@127.0.0.1:4566/", host, sizeof(host)));
    endpoint_redact("http://user:pw@127.0.0.1:4566/", url, sizeof(url));
    CU_ASSERT_STRING_EQUAL(url, "http://***@127.0.0.1:4566/");
    endpoint_redact("https://a:b@c@kms.example/", url, sizeof(url));
    CU_ASSERT_STRING_EQUAL(url, "https://***@kms.example/");
    /* A password holding '/', '?' or '#' hides nothing. */
    endpoint_redact("https://user:pa/ss@host/", url, sizeof(url));
    CU_ASSERT_STRING_EQUAL(url, "https://***@host/");
    endpoint_redact("https://user:p?w#x@host", url, sizeof(url));
    CU_ASSERT_STRING_EQUAL(url, "https://***@host");
    endpoint_redact("http://127.0.0.1:4566/", url, sizeof(url));
    CU_ASSERT_STRING_EQUAL(url, "http://127.0.0.1:4566/");
    kms_client_config config = {.endpoint = "http://u:s3cret@127.0.0.1:1/",
                                .region = "us-east-1",
                                .access_key_id = "AKID",
                                .secret_access_key = "secret"};
    kms_client *c = NULL;
    char detail[512] = "";
    CU_ASSERT_EQUAL(kms_client_new(&config, &c, detail, sizeof(detail)),
                    KMS_CLIENT_ERR_INVALID_ARGUMENT);
    CU_ASSERT_PTR_NULL(strstr(detail, "s3cret"));
    CU_ASSERT_PTR_NOT_NULL(strstr(detail, "user info"));
}

/* The endpoint a new client uses: configured, else AWS_ENDPOINT_URL_KMS, else
 * AWS_ENDPOINT_URL ("" when none). */
static kms_client_status endpoint_of(const char *configured, char *out, size_t cap)
{
    kms_client_config config = {.endpoint = configured,
                                .region = "us-east-1",
                                .access_key_id = "AKID",
                                .secret_access_key = "secret"};
    kms_client *c = NULL;
    char detail[256] = "";
    kms_client_status status = kms_client_new(&config, &c, detail, sizeof(detail));
    snprintf(out, cap, "%s", c != NULL && c->endpoint != NULL ? c->endpoint : "");
    kms_client_free(c);
    return status;
}

static void test_endpoint_from_environment(void)
{
    char endpoint[128];
    unsetenv("AWS_ENDPOINT_URL_KMS");
    unsetenv("AWS_ENDPOINT_URL");
    CU_ASSERT_EQUAL(endpoint_of(NULL, endpoint, sizeof(endpoint)), KMS_CLIENT_OK);
    CU_ASSERT_STRING_EQUAL(endpoint, "");
    setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1001", 1);
    CU_ASSERT_EQUAL(endpoint_of(NULL, endpoint, sizeof(endpoint)), KMS_CLIENT_OK);
    CU_ASSERT_STRING_EQUAL(endpoint, "http://127.0.0.1:1001");
    setenv("AWS_ENDPOINT_URL_KMS", "http://127.0.0.1:1002", 1);
    CU_ASSERT_EQUAL(endpoint_of(NULL, endpoint, sizeof(endpoint)), KMS_CLIENT_OK);
    CU_ASSERT_STRING_EQUAL(endpoint, "http://127.0.0.1:1002");
    CU_ASSERT_EQUAL(endpoint_of("http://127.0.0.1:1003", endpoint, sizeof(endpoint)),
                    KMS_CLIENT_OK);
    CU_ASSERT_STRING_EQUAL(endpoint, "http://127.0.0.1:1003");
    setenv("AWS_ENDPOINT_URL_KMS", "ftp://127.0.0.1/", 1);
    CU_ASSERT_NOT_EQUAL(endpoint_of(NULL, endpoint, sizeof(endpoint)), KMS_CLIENT_OK);
    unsetenv("AWS_ENDPOINT_URL_KMS");
    unsetenv("AWS_ENDPOINT_URL");
}

int main(void)
{
    static const dekcache_test_case tests[] = {
        {"explicit credentials win", test_explicit_wins},
        {"environment before shared files", test_environment_before_files},
        {"half-set environment is named", test_half_environment_is_an_error},
        {"control characters in credentials are refused", test_control_characters_refused},
        {"shared files and profiles", test_shared_files_and_profiles},
        {"no credentials: clear message", test_no_credentials_message},
        {"shared profile sections", test_shared_profile_sections},
        {"shared profile: over-long lines", test_shared_profile_long_line},
        {"shared profile: botocore forms", test_shared_profile_forms},
        {"shared file paths and home", test_shared_file_home},
        {"region order", test_region_order},
        {"over-long region refused", test_region_too_long},
        {"endpoint URL and Host", test_endpoint},
        {"endpoint from AWS_ENDPOINT_URL_KMS / AWS_ENDPOINT_URL", test_endpoint_from_environment},
        {NULL, NULL},
    };
    dekcache_add_suite("kms client configuration", setup, teardown, tests);
    return dekcache_run_tests();
}
