/* Starting and stopping dekcache-kms-local by PID. */
#include "kms_fixture.h"
#include "test/support/sleep_ms.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define START_TIMEOUT_MS 30000 /* sanitizer builds start slowly on a busy CI */
#define STOP_TIMEOUT_MS  10000
#define POLL_MS          10
#define MAX_ARGS         32

extern char **environ;

const char *kms_fixture_server_path(void)
{
    const char *env = getenv("DEKCACHE_KMS_SERVER");
    if (env && *env)
        return env;
#ifdef DEKCACHE_KMS_SERVER
    return DEKCACHE_KMS_SERVER;
#else
    return "dekcache-kms-local";
#endif
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

void kms_fixture_use_credentials(const char *access_key_id, const char *secret, const char *region)
{
    setenv("AWS_ACCESS_KEY_ID", access_key_id, 1);
    setenv("AWS_SECRET_ACCESS_KEY", secret, 1);
    if (region != NULL)
        setenv("AWS_REGION", region, 1);
    unsetenv("AWS_SESSION_TOKEN");
}

static int read_port(const char *path)
{
    FILE *f = fopen(path, "r");
    int port = 0;
    if (f == NULL)
        return 0;
    if (fscanf(f, "%d", &port) != 1)
        port = 0;
    fclose(f);
    return port > 0 && port < 65536 ? port : 0;
}

/* In the forked child, async-signal-safe calls only. The server gets SIGTERM
 * when the test process dies, however it dies (a sanitizer's abort, a
 * timeout's kill): an orphaned server would run forever, since it exits only
 * on a signal. */
static void exec_server(const char *const *argv, const char *log_path, pid_t parent)
{
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
        _exit(127);
    int log = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (log < 0 || dup2(log, 1) < 0)
        _exit(127);
    close(log);
    execve(argv[0], (char *const *)argv, environ);
    _exit(127);
}

static int spawn_server(const kms_fixture_options *opts, kms_fixture_server *srv,
                        const char *port_file)
{
    const char *argv[MAX_ARGS + 1];
    size_t n = 0;
    char log_path[300];
    argv[n++] = kms_fixture_server_path();
    argv[n++] = "--port";
    argv[n++] = "0";
    argv[n++] = "--port-file";
    argv[n++] = port_file;
    if (opts && opts->config_path) {
        argv[n++] = "--config";
        argv[n++] = opts->config_path;
    }
    if (opts && opts->no_signature)
        argv[n++] = "--no-signature";
    for (size_t i = 0; opts && opts->extra_args && opts->extra_args[i] && n < MAX_ARGS; i++)
        argv[n++] = opts->extra_args[i];
    argv[n] = NULL;
    snprintf(log_path, sizeof(log_path), "%s/stdout", srv->workdir);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0)
        exec_server(argv, log_path, parent); /* does not return */
    if (pid < 0) {
        fprintf(stderr, "kms_fixture: cannot start %s: %s\n", argv[0], strerror(errno));
        return -1;
    }
    srv->pid = pid;
    return 0;
}

/* Waits for the port file, watching for an early exit. */
static int wait_for_port(kms_fixture_server *srv, const char *port_file)
{
    long deadline = now_ms() + START_TIMEOUT_MS;
    while (now_ms() < deadline) {
        int status;
        if (waitpid(srv->pid, &status, WNOHANG) == srv->pid) {
            fprintf(stderr, "kms_fixture: server exited during start (status %d)\n", status);
            srv->pid = 0;
            return -1;
        }
        if ((srv->port = read_port(port_file)) > 0)
            return 0;
        sleep_ms(POLL_MS);
    }
    fprintf(stderr, "kms_fixture: server did not write its port within %d ms\n", START_TIMEOUT_MS);
    return -1;
}

static int wait_until_healthy(const kms_fixture_server *srv)
{
    long deadline = now_ms() + START_TIMEOUT_MS;
    while (now_ms() < deadline) {
        kms_fixture_response r = {0, NULL};
        int rc = kms_fixture_http(srv, "GET", KMS_LOCAL_CONTROL_PREFIX "health", NULL, &r);
        long status = r.status;
        kms_fixture_response_free(&r);
        if (rc == 0 && status == 200)
            return 0;
        sleep_ms(POLL_MS);
    }
    fprintf(stderr, "kms_fixture: server did not answer /_control/health\n");
    return -1;
}

static void remove_workdir(kms_fixture_server *srv)
{
    char path[300];
    if (!srv->workdir[0])
        return;
    snprintf(path, sizeof(path), "%s/port", srv->workdir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/stdout", srv->workdir);
    unlink(path);
    rmdir(srv->workdir);
    srv->workdir[0] = '\0';
}

int kms_fixture_start(const kms_fixture_options *opts, kms_fixture_server *out)
{
    char port_file[300];
    const char *tmp = getenv("TMPDIR");
    memset(out, 0, sizeof(*out));
    snprintf(out->workdir, sizeof(out->workdir), "%s/kms-fixture-XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(out->workdir) == NULL) {
        fprintf(stderr, "kms_fixture: mkdtemp: %s\n", strerror(errno));
        return -1;
    }
    snprintf(port_file, sizeof(port_file), "%s/port", out->workdir);
    if (spawn_server(opts, out, port_file) != 0 || wait_for_port(out, port_file) != 0) {
        kms_fixture_stop(out);
        return -1;
    }
    snprintf(out->endpoint, sizeof(out->endpoint), "http://127.0.0.1:%d", out->port);
    if (wait_until_healthy(out) != 0) {
        kms_fixture_stop(out);
        return -1;
    }
    return 0;
}

static int wait_exit(pid_t pid, long timeout_ms, int *status)
{
    long deadline = now_ms() + timeout_ms;
    do {
        pid_t got = waitpid(pid, status, WNOHANG);
        if (got == pid || (got < 0 && errno == ECHILD))
            return got == pid ? 0 : -1;
        sleep_ms(POLL_MS);
    } while (now_ms() < deadline);
    return -1;
}

int kms_fixture_stop(kms_fixture_server *srv)
{
    int status = 0, rc = -1;
    if (srv->pid > 0) {
        kill(srv->pid, SIGTERM);
        if (wait_exit(srv->pid, STOP_TIMEOUT_MS, &status) == 0) {
            rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        } else {
            fprintf(stderr, "kms_fixture: server %d ignored SIGTERM, killing\n", (int)srv->pid);
            kill(srv->pid, SIGKILL);
            waitpid(srv->pid, &status, 0);
        }
        srv->pid = 0;
    }
    remove_workdir(srv);
    return rc;
}
