#ifndef DEKCACHE_TEST_KMS_CLIENT_SERVER_H
#define DEKCACHE_TEST_KMS_CLIENT_SERVER_H

/* The local KMS server the client tests talk to: started once per program on
 * a free port with a config of three keys (one disabled), an alias and three
 * credentials (one with a session token, one expired). */

#include "kms/client/kms_client.h"
#include "kms_fixture.h"

#define TEST_ACCOUNT       "111122223333"
#define TEST_REGION        "us-east-1"
#define TEST_ARN_PREFIX    "arn:aws:kms:" TEST_REGION ":" TEST_ACCOUNT ":key/"
#define TEST_KEY_ID        "0b5a2c9e-1111-4a6b-9c1d-000000000001"
#define TEST_KEY_ARN       TEST_ARN_PREFIX TEST_KEY_ID
#define TEST_SECOND_KEY_ID "0b5a2c9e-2222-4a6b-9c1d-000000000002"
#define TEST_SECOND_ARN    TEST_ARN_PREFIX TEST_SECOND_KEY_ID
#define TEST_DISABLED_ID   "0b5a2c9e-3333-4a6b-9c1d-000000000003"
#define TEST_ALIAS         "alias/dekcache-test"
#define TEST_ACCESS_KEY    "AKIDCLIENTTEST"
#define TEST_SECRET        "client-test-secret-0123456789"
#define TEST_TOKEN_KEY     "ASIACLIENTTEST"
#define TEST_TOKEN_SECRET  "client-test-token-secret"
#define TEST_TOKEN         "client-test-session-token+/="
/* A credential the server answers with ExpiredTokenException. */
#define TEST_EXPIRED_KEY    "ASIAEXPIREDTEST"
#define TEST_EXPIRED_SECRET "client-test-expired-secret"
#define TEST_EXPIRED_TOKEN  "client-test-expired-token"

/* Writes a shared credentials file whose [default] profile holds the pair
 * and token; 0 on success. Replaces the file in one rename, as tools do. */
int test_write_credentials_file(const char *path, const char *key_id, const char *secret,
                                const char *token);

/* A shared credentials file of its own for a test: makes a temporary
 * directory, writes the file there with the pair and token, and points the
 * environment at it (no AWS_ACCESS_KEY_ID, AWS_PROFILE or config file).
 * test_credentials_file_remove undoes all of it. 0 on success. */
typedef struct {
    char dir[64];
    char path[128];
} test_credentials_file;
int test_credentials_file_use(test_credentials_file *f, const char *key_id, const char *secret,
                              const char *token);
void test_credentials_file_remove(test_credentials_file *f);

/* Starts the server; 0 on success. */
int test_server_start(kms_fixture_server *srv);
void test_server_stop(kms_fixture_server *srv);

/* A client config for the server: explicit test credentials, fast retries. */
kms_client_config test_client_config(const kms_fixture_server *srv);

/* Suite setup shared by the tests against the server: starts it and makes a
 * client with test_client_config. 0 on success; on failure nothing is left
 * running (CUnit skips the cleanup of a suite whose setup failed) and the
 * reason is on stderr. */
int test_client_start(kms_fixture_server *srv, kms_client **client);
/* Frees the client (*client becomes NULL) and stops the server. */
void test_client_stop(kms_fixture_server *srv, kms_client **client);

#endif
