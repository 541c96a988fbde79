/* Test fixture for dekcache-kms-local: start it on a free port, talk to it
 * (signed KMS calls and the /_control/ API), stop it by PID.
 * Link dekcache_kms_test_fixture; it defines DEKCACHE_KMS_SERVER (the
 * server binary), which the environment variable of the same name overrides.
 * Functions return 0 on success and -1 on failure (reason on stderr). */
#ifndef DEKCACHE_TEST_KMS_FIXTURE_H
#define DEKCACHE_TEST_KMS_FIXTURE_H

#include "kms/server/kms_local_defaults.h"
#include "kms/sigv4/sigv4.h"

#include <stddef.h>
#include <sys/types.h>

typedef struct {
    pid_t pid;
    int port;
    char endpoint[64]; /* "http://127.0.0.1:<port>" */
    char workdir[256]; /* temporary directory: port file, server stdout */
} kms_fixture_server;

typedef struct {
    const char *config_path;       /* NULL: the built-in default key and credentials */
    int no_signature;              /* pass --no-signature */
    const char *const *extra_args; /* NULL-terminated extra arguments, or NULL */
} kms_fixture_options;

/* The server binary: $DEKCACHE_KMS_SERVER or the build's dekcache-kms-local. */
const char *kms_fixture_server_path(void);
/* Starts the server (--port 0) and waits (bounded) until /_control/health answers. */
int kms_fixture_start(const kms_fixture_options *opts, kms_fixture_server *out);
/* SIGTERM, then SIGKILL after 10 s. Returns the exit status (0 = clean
 * shutdown), or -1 when it had to be killed or was already gone. */
int kms_fixture_stop(kms_fixture_server *srv);

/* Points the AWS environment at these credentials for the code under test
 * (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION unless region is
 * NULL) and unsets AWS_SESSION_TOKEN. */
void kms_fixture_use_credentials(const char *access_key_id, const char *secret, const char *region);

/* The built-in credentials (kms_local_defaults.h) for region us-east-1. */
const sigv4_credentials *kms_fixture_default_credentials(void);

typedef struct {
    long status; /* HTTP status; 0 when no response (e.g. dropped connection) */
    char *body;  /* NUL-terminated, malloc'd; NULL when none */
} kms_fixture_response;
void kms_fixture_response_free(kms_fixture_response *r);

/* A keep-alive HTTP client (one libcurl handle); one per thread. */
typedef struct kms_fixture_client kms_fixture_client;
kms_fixture_client *kms_fixture_client_new(const kms_fixture_server *srv);
void kms_fixture_client_free(kms_fixture_client *c);
/* POST / with X-Amz-Target: TrentService.<operation>, signed with creds
 * (NULL: unsigned). Returns 0 when an HTTP response arrived (any status). */
int kms_fixture_client_call(kms_fixture_client *c, const sigv4_credentials *creds,
                            const char *operation, const char *json_body,
                            kms_fixture_response *out);
/* The same on a fresh connection. */
int kms_fixture_kms_call(const kms_fixture_server *srv, const sigv4_credentials *creds,
                         const char *operation, const char *json_body, kms_fixture_response *out);
/* Any request to the server (path like "/_control/stats"); body may be NULL. */
int kms_fixture_http(const kms_fixture_server *srv, const char *method, const char *path,
                     const char *body, kms_fixture_response *out);

/* --- test-control API --- */
#define KMS_FIXTURE_N_OPS 7 /* the six operations + "Unknown" */
typedef struct {
    long calls;
    long errors;
} kms_fixture_op_stats;

typedef struct {
    kms_fixture_op_stats ops[KMS_FIXTURE_N_OPS];
    long requests, errors;
    long in_flight, max_in_flight;
    long connections_open;     /* TCP connections open now (any route) */
    long connections_accepted; /* TCP connections accepted since reset */
    long kms_connections;      /* connections that carried a KMS call since reset */
    long faults;               /* fault rules installed */
} kms_fixture_stats;

int kms_fixture_stats_get(const kms_fixture_server *srv, kms_fixture_stats *out);
/* Counters of one operation ("Decrypt", ..., "Unknown"); NULL for other names. */
const kms_fixture_op_stats *kms_fixture_stats_op(const kms_fixture_stats *s, const char *op);
/* Calls of one operation since the last reset; -1 (reason on stderr) when the
 * server cannot tell or op names no operation, so that a test comparing it
 * with the count it expects fails. */
long kms_fixture_op_calls(const kms_fixture_server *srv, const char *op);
/* Zeroes counters and removes fault rules. */
int kms_fixture_reset(const kms_fixture_server *srv);

typedef struct {
    const char *operation;  /* NULL: every operation */
    const char *action;     /* "none" | "error" | "http500" | "http503" | "drop" */
    const char *error_type; /* AWS __type for action "error" */
    unsigned latency_ms;    /* added before the action */
    double rate;            /* 0 < rate <= 1; 0 means 1 (always) */
    long count;             /* calls to hit; 0 = unlimited */
} kms_fixture_fault;

int kms_fixture_add_fault(const kms_fixture_server *srv, const kms_fixture_fault *fault);
int kms_fixture_clear_faults(const kms_fixture_server *srv);

#endif
