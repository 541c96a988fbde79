/* The HTTP side of dekcache-kms-local: a libmicrohttpd daemon (one thread per
 * connection, keep-alive) routing POST / to the KMS operations and
 * /_control/ to the test-control API. */
#ifndef DEKCACHE_KMS_SERVER_HTTP_SERVER_H
#define DEKCACHE_KMS_SERVER_HTTP_SERVER_H

#include "kms/server/control_state.h"
#include "kms/server/keystore.h"

#include <stddef.h>

typedef struct {
    const keystore *ks;
    control_state *control;
    int require_signature;
    long max_skew_s;
} kms_server_config;

typedef struct kms_http_server kms_http_server;

/* Binds host:port (port 0 = any free port) and starts serving. NULL with
 * detail set on failure. cfg must outlive the server. */
kms_http_server *kms_http_server_start(const kms_server_config *cfg, const char *host, int port,
                                       char *detail, size_t detail_cap);
int kms_http_server_port(const kms_http_server *s);
/* Stops accepting, closes connections and joins the threads. */
void kms_http_server_stop(kms_http_server *s);

#endif
