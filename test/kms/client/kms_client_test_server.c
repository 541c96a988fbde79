#include "kms_client_test_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char config_path[300];

static int write_config(const char *dir)
{
    snprintf(config_path, sizeof(config_path), "%s/kms-client-test.json", dir);
    FILE *f = fopen(config_path, "w");
    if (f == NULL) {
        return -1;
    }
    fprintf(
        f,
        "{\"region\": \"%s\", \"account\": \"%s\", \"seed\": \"kms client tests\",\n"
        " \"keys\": [{\"id\": \"%s\"}, {\"id\": \"%s\"}, {\"id\": \"%s\", \"enabled\": false}],\n"
        " \"aliases\": {\"%s\": \"%s\"},\n"
        " \"credentials\": [{\"access_key_id\": \"%s\", \"secret_access_key\": \"%s\"},\n"
        "   {\"access_key_id\": \"%s\", \"secret_access_key\": \"%s\", \"session_token\": "
        "\"%s\"},\n"
        "   {\"access_key_id\": \"%s\", \"secret_access_key\": \"%s\", \"session_token\": "
        "\"%s\", \"expired\": true}]}\n",
        TEST_REGION, TEST_ACCOUNT, TEST_KEY_ID, TEST_SECOND_KEY_ID, TEST_DISABLED_ID, TEST_ALIAS,
        TEST_KEY_ID, TEST_ACCESS_KEY, TEST_SECRET, TEST_TOKEN_KEY, TEST_TOKEN_SECRET, TEST_TOKEN,
        TEST_EXPIRED_KEY, TEST_EXPIRED_SECRET, TEST_EXPIRED_TOKEN);
    return fclose(f) == 0 ? 0 : -1;
}

int test_write_credentials_file(const char *path, const char *key_id, const char *secret,
                                const char *token)
{
    char tmp[512];
    snprintf(tmp, sizeof(tmp), "%s.new", path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL) {
        return -1;
    }
    fprintf(f, "[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n", key_id, secret);
    if (token != NULL) {
        fprintf(f, "aws_session_token = %s\n", token);
    }
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

int test_credentials_file_use(test_credentials_file *f, const char *key_id, const char *secret,
                              const char *token)
{
    snprintf(f->dir, sizeof(f->dir), "/tmp/dekcache-kms-creds-XXXXXX");
    if (mkdtemp(f->dir) == NULL) {
        return -1;
    }
    snprintf(f->path, sizeof(f->path), "%s/credentials", f->dir);
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    unsetenv("AWS_PROFILE");
    setenv("AWS_SHARED_CREDENTIALS_FILE", f->path, 1);
    setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config", 1);
    return test_write_credentials_file(f->path, key_id, secret, token);
}

void test_credentials_file_remove(test_credentials_file *f)
{
    unsetenv("AWS_SHARED_CREDENTIALS_FILE");
    unsetenv("AWS_CONFIG_FILE");
    unlink(f->path);
    rmdir(f->dir);
}

int test_server_start(kms_fixture_server *srv)
{
    char dir[] = "/tmp/dekcache-kms-client-test-XXXXXX";
    if (mkdtemp(dir) == NULL || write_config(dir) != 0) {
        return -1;
    }
    kms_fixture_options opts = {.config_path = config_path};
    int rc = kms_fixture_start(&opts, srv);
    unlink(config_path); /* the server has read it */
    rmdir(dir);
    return rc;
}

void test_server_stop(kms_fixture_server *srv)
{
    if (srv->pid > 0) {
        kms_fixture_stop(srv);
        srv->pid = 0;
    }
}

kms_client_config test_client_config(const kms_fixture_server *srv)
{
    kms_client_config config = {
        .region = TEST_REGION,
        .endpoint = srv->endpoint,
        .access_key_id = TEST_ACCESS_KEY,
        .secret_access_key = TEST_SECRET,
        .attempt_timeout_ms = 5000,
        .deadline_ms = 20000,
        .max_attempts = 3,
        .backoff_base_ms = 5,
        .backoff_cap_ms = 40,
    };
    return config;
}

int test_client_start(kms_fixture_server *srv, kms_client **client)
{
    char detail[512] = "";
    *client = NULL;
    if (test_server_start(srv) != 0) {
        fprintf(stderr, "cannot start dekcache-kms-local\n");
        return 1;
    }
    kms_client_config config = test_client_config(srv);
    if (kms_client_new(&config, client, detail, sizeof(detail)) != KMS_CLIENT_OK) {
        fprintf(stderr, "kms_client_new: %s\n", detail);
        test_server_stop(srv);
        return 1;
    }
    return 0;
}

void test_client_stop(kms_fixture_server *srv, kms_client **client)
{
    kms_client_free(*client);
    *client = NULL;
    test_server_stop(srv);
}
