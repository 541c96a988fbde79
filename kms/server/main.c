/* dekcache-kms-local: a local AWS-KMS-compatible server (see kms/README.md). */
#include "kms/server/control_state.h"
#include "kms/server/http_server.h"
#include "kms/server/keystore.h"
#include "kms/server/kms_local_defaults.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *host;
    int port;
    const char *port_file;
    const char *config;
    int require_signature;
    long max_skew_s;
} options;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: dekcache-kms-local [--host ADDR] [--port N] [--port-file PATH]\n"
            "                          [--config FILE] [--no-signature] [--max-skew SECONDS]\n"
            "  --host ADDR        IPv4 address to bind (default %s)\n"
            "  --port N           TCP port, 0 = any free port (default %d)\n"
            "  --port-file PATH   write the bound port to PATH once listening\n"
            "  --config FILE      keys, aliases, credentials (default: built-in key %s)\n"
            "  --no-signature     accept requests without SigV4 verification\n"
            "  --max-skew SECONDS allowed clock skew of signed requests (default %d)\n",
            KMS_LOCAL_DEFAULT_HOST, KMS_LOCAL_DEFAULT_PORT, KMS_LOCAL_DEFAULT_ALIAS,
            KMS_LOCAL_DEFAULT_MAX_SKEW_S);
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *s == '\0' || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int parse_options(int argc, char **argv, options *o)
{
    static const struct option longopts[] = {{"host", required_argument, NULL, 'h'},
                                             {"port", required_argument, NULL, 'p'},
                                             {"port-file", required_argument, NULL, 'f'},
                                             {"config", required_argument, NULL, 'c'},
                                             {"no-signature", no_argument, NULL, 'n'},
                                             {"max-skew", required_argument, NULL, 's'},
                                             {"help", no_argument, NULL, 'H'},
                                             {NULL, 0, NULL, 0}};
    long v;
    int ch;
    *o = (options){KMS_LOCAL_DEFAULT_HOST,      KMS_LOCAL_DEFAULT_PORT, NULL, NULL, 1,
                   KMS_LOCAL_DEFAULT_MAX_SKEW_S};
    while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (ch == 'h')
            o->host = optarg;
        else if (ch == 'p' && parse_long(optarg, 0, 65535, &v) == 0)
            o->port = (int)v;
        else if (ch == 'f')
            o->port_file = optarg;
        else if (ch == 'c')
            o->config = optarg;
        else if (ch == 'n')
            o->require_signature = 0;
        else if (ch == 's' && parse_long(optarg, 0, 7 * 86400, &v) == 0)
            o->max_skew_s = v;
        else if (ch == 'H')
            return usage(stdout), 1;
        else
            return usage(stderr), -1;
    }
    return optind == argc ? 0 : (usage(stderr), -1);
}

/* Written to a temporary name and renamed, so a reader never sees half a port. */
static int write_port_file(const char *path, int port)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        return -1;
    int ok = fprintf(f, "%d\n", port) > 0;
    ok = (fclose(f) == 0) && ok;
    return ok && rename(tmp, path) == 0 ? 0 : -1;
}

static int wait_for_shutdown_signal(const sigset_t *set)
{
    int sig = 0;
    while (sigwait(set, &sig) != 0)
        ;
    return sig;
}

static int serve(const options *o, const keystore *ks, const sigset_t *signals)
{
    char detail[256] = "";
    control_state *control = control_state_new();
    kms_server_config cfg = {ks, control, o->require_signature, o->max_skew_s};
    kms_http_server *server =
        control ? kms_http_server_start(&cfg, o->host, o->port, detail, sizeof(detail)) : NULL;
    if (server == NULL) {
        fprintf(stderr, "dekcache-kms-local: %s\n", detail[0] ? detail : "out of memory");
        control_state_free(control);
        return 1;
    }
    int port = kms_http_server_port(server);
    printf("dekcache-kms-local listening on http://%s:%d (region %s, SigV4 %s)\n", o->host, port,
           ks->region, o->require_signature ? "on" : "off");
    fflush(stdout);
    int rc = 0;
    if (o->port_file && write_port_file(o->port_file, port) != 0) {
        fprintf(stderr, "dekcache-kms-local: cannot write %s\n", o->port_file);
        rc = 1;
    } else {
        int sig = wait_for_shutdown_signal(signals);
        fprintf(stderr, "dekcache-kms-local: signal %d, shutting down\n", sig);
    }
    kms_http_server_stop(server);
    control_state_free(control);
    return rc;
}

int main(int argc, char **argv)
{
    options o;
    keystore ks;
    char detail[256];
    int rc = parse_options(argc, argv, &o);
    if (rc != 0)
        return rc > 0 ? 0 : 2;
    /* Blocked before any thread starts, so only sigwait sees them. */
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, NULL);
    signal(SIGPIPE, SIG_IGN);
    if ((o.config ? keystore_load_file(&ks, o.config, detail, sizeof(detail))
                  : keystore_load_defaults(&ks, detail, sizeof(detail))) != 0) {
        fprintf(stderr, "dekcache-kms-local: %s\n", detail);
        return 2;
    }
    rc = serve(&o, &ks, &signals);
    keystore_free(&ks);
    return rc;
}
