/* TLS verification through the client, against `openssl s_server` on a free
 * loopback port with a throw-away self-signed certificate for 127.0.0.1:
 * untrusted peer fails, the configured CA file makes it trusted, and a host
 * name the certificate does not name fails even then. */
#include "cunit_run.h"
#include "kms/client/backoff.h"
#include "kms/client/kms_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define REFUSAL_DEADLINE_MS 10000

static char dir[] = "/tmp/dekcache-kms-tls-XXXXXX";
static char cert[128], key[128];
static pid_t server_pid;
static int port;

static const char *openssl_program(void)
{
    const char *p = getenv("OPENSSL_PROGRAM");
    return p != NULL && p[0] != '\0' ? p : "openssl";
}

static int run(char *const argv[])
{
    pid_t pid = fork();
    if (pid == 0) {
        freopen("/dev/null", "w", stdout);
        freopen("/dev/null", "w", stderr);
        execvp(argv[0], argv);
        _exit(127);
    }
    int status = 0;
    return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
                   WEXITSTATUS(status) == 0
               ? 0
               : -1;
}

static int free_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int p = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
                    getsockname(fd, (struct sockaddr *)&a, &len) == 0
                ? ntohs(a.sin_port)
                : -1;
    if (fd >= 0) {
        close(fd);
    }
    return p;
}

static int can_connect(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    if (fd >= 0) {
        close(fd);
    }
    return ok;
}

static int start_tls_server(void)
{
    char accept[32];
    snprintf(accept, sizeof(accept), "127.0.0.1:%d", port);
    char *const argv[] = {(char *)openssl_program(),
                          "s_server",
                          "-quiet",
                          "-accept",
                          accept,
                          "-cert",
                          cert,
                          "-key",
                          key,
                          "-www",
                          NULL};
    server_pid = fork();
    if (server_pid == 0) {
        freopen("/dev/null", "w", stdout);
        freopen("/dev/null", "w", stderr);
        execvp(argv[0], argv);
        _exit(127);
    }
    /* Bounded wait until it accepts: 100 tries, 50 ms apart. */
    for (int i = 0; i < 100 && server_pid > 0; i++) {
        if (can_connect()) {
            return 0;
        }
        backoff_sleep_ms(50);
    }
    return -1;
}

/* SIGTERM, then SIGKILL after 5 s: a server that ignores the first must not
 * hang the suite. */
static void stop_tls_server(void)
{
    pid_t got = 0;
    if (server_pid <= 0) {
        return;
    }
    kill(server_pid, SIGTERM);
    for (int i = 0; i < 100 && got == 0; i++) {
        got = waitpid(server_pid, NULL, WNOHANG);
        if (got == 0) {
            backoff_sleep_ms(50);
        }
    }
    if (got == 0) {
        kill(server_pid, SIGKILL);
        waitpid(server_pid, NULL, 0);
    }
    server_pid = 0;
}

static int teardown(void)
{
    stop_tls_server();
    unlink(cert);
    unlink(key);
    rmdir(dir);
    return 0;
}

static int setup(void)
{
    if (mkdtemp(dir) == NULL) {
        return 1;
    }
    snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
    snprintf(key, sizeof(key), "%s/key.pem", dir);
    char *const req[] = {(char *)openssl_program(),
                         "req",
                         "-x509",
                         "-newkey",
                         "ec",
                         "-pkeyopt",
                         "ec_paramgen_curve:P-256",
                         "-nodes",
                         "-days",
                         "1",
                         "-subj",
                         "/CN=127.0.0.1",
                         "-addext",
                         "subjectAltName=IP:127.0.0.1",
                         "-keyout",
                         key,
                         "-out",
                         cert,
                         NULL};
    port = free_port();
    if (run(req) != 0 || port <= 0 || start_tls_server() != 0) {
        teardown(); /* CUnit skips it when setup fails: the server must not outlive us */
        return 1;
    }
    return 0;
}

/* A refused handshake fails at once; a trusted one runs into the deadline
 * (see test_configured_ca_is_trusted). The attempt timeout is long enough
 * that a loaded machine does not turn a refusal into a timeout and retry. */
static kms_client_status describe_via(const char *host, const char *ca_file, unsigned deadline_ms,
                                      char *detail, size_t cap)
{
    char endpoint[128];
    kms_client *c = NULL;
    kms_client_key_info info;
    snprintf(endpoint, sizeof(endpoint), "https://%s:%d", host, port);
    kms_client_config config = {.region = "us-east-1",
                                .endpoint = endpoint,
                                .access_key_id = "AKIDTLS",
                                .secret_access_key = "tls-secret",
                                .ca_file = ca_file,
                                .max_attempts = 3,
                                .backoff_base_ms = 5,
                                .attempt_timeout_ms = deadline_ms,
                                .deadline_ms = deadline_ms};
    kms_client_status st = kms_client_new(&config, &c, detail, cap);
    if (st == KMS_CLIENT_OK) {
        st = kms_client_describe_key(c, "alias/x", &info, detail, cap);
    }
    kms_client_free(c);
    return st;
}

static void test_untrusted_certificate(void)
{
    char detail[512] = "";
    CU_ASSERT_EQUAL(describe_via("127.0.0.1", NULL, REFUSAL_DEADLINE_MS, detail, sizeof(detail)),
                    KMS_CLIENT_ERR_TLS);
    CU_ASSERT_PTR_NOT_NULL(strstr(detail, "TLS verification failed"));
    CU_ASSERT_PTR_NULL(strstr(detail, "attempts")); /* not retried */
    CU_ASSERT_PTR_NULL(strstr(detail, "tls-secret"));
}

static void test_configured_ca_is_trusted(void)
{
    char detail[512] = "";
    /* The handshake succeeds; s_server -www then never answers a POST, so the
     * call runs into its deadline instead of failing verification. */
    CU_ASSERT_EQUAL(describe_via("127.0.0.1", cert, 1500, detail, sizeof(detail)),
                    KMS_CLIENT_ERR_TIMEOUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(detail, "0 bytes received"));
}

static void test_host_name_checked(void)
{
    char detail[512] = "";
    CU_ASSERT_EQUAL(describe_via("localhost", cert, REFUSAL_DEADLINE_MS, detail, sizeof(detail)),
                    KMS_CLIENT_ERR_TLS);
}

int main(void)
{
    static const dekcache_test_case tests[] = {
        {"untrusted certificate refused", test_untrusted_certificate},
        {"configured CA file trusted", test_configured_ca_is_trusted},
        {"host name verified", test_host_name_checked},
        {NULL, NULL},
    };
    dekcache_add_suite("kms client TLS verification", setup, teardown, tests);
    return dekcache_run_tests();
}
