/* The suite fixture of a kms client test program against dekcache-kms-local:
 * the program's server and client, and the CUnit suite setup and teardown that
 * start and stop them (test_client_start / test_client_stop: the server on
 * 127.0.0.1 and a free port, stopped by PID; on a setup failure half-way,
 * nothing is left running). Pass kms_client_suite_setup and
 * kms_client_suite_teardown to dekcache_add_suite; the tests use `server`
 * and `client`. Header only, like test/support/start_gate.h, so that a client
 * test program needs no build change: include it once, from the program's
 * test file (it defines the two objects), and link kms_client_test_server.c. */
#ifndef DEKCACHE_TEST_KMS_CLIENT_SUITE_H
#define DEKCACHE_TEST_KMS_CLIENT_SUITE_H

#include "kms_client_test_server.h"

static kms_fixture_server server;
static kms_client *client;

static inline int kms_client_suite_setup(void)
{
    return test_client_start(&server, &client);
}

static inline int kms_client_suite_teardown(void)
{
    test_client_stop(&server, &client);
    return 0;
}

#endif
