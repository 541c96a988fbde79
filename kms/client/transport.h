#ifndef DEKCACHE_KMS_CLIENT_TRANSPORT_H
#define DEKCACHE_KMS_CLIENT_TRANSPORT_H

#include "kms/client/kms_client.h"
#include "kms/client/secure_buffer.h"

/* HTTP POST over libcurl with connections kept alive across calls and threads:
 * a pool of easy handles (each keeps its own live connections; a call borrows
 * one, so steady state needs no new TCP or TLS handshake) plus a share handle
 * for DNS and TLS sessions. TLS peer and host verification are always on. */

/* fork(): connections belong to the process that opened them. A child that
 * uses (or frees) a transport it inherited first sets every inherited idle
 * handle and the share handle aside, untouched and deliberately never freed
 * (cleaning one up would close, or for TLS shut down, the parent's connection),
 * and continues with fresh handles, connections and DNS/TLS-session caches of
 * its own. The parent is unaffected. The child keeps its copies of the
 * parent's socket descriptors until it exits, so the server sees such a
 * connection closed only when both processes have closed it.
 * The usual POSIX rule for fork() in a threaded program applies: fork only
 * while no other thread is inside transport_post on a transport the child
 * will use, since a lock held at the fork (our pool lock, held briefly around
 * each borrow and return) stays held forever in the child. No pthread_atfork
 * handler is installed for it: that would take a global registry of live
 * transports, and libcurl's, OpenSSL's and the caller's own locks would stay
 * exposed the same way regardless. */

/* Copied by transport_new: the strings need not outlive the call. */
typedef struct {
    const char *ca_file;
    const char *ca_path;
    long connect_timeout_ms;
    size_t max_response_bytes;
    int disable_connection_reuse;
} transport_options;

typedef struct transport transport;

/* One finished exchange. status is KMS_CLIENT_OK when an HTTP response came
 * back (any HTTP status); otherwise the network failure, described in error. */
typedef struct {
    kms_client_status status;
    long http_status;
    secure_buffer body;
    char error[256];
} transport_response;

/* Initialises libcurl globally on first use (once per process). */
kms_client_status transport_new(const transport_options *options, transport **out);
void transport_free(transport *t);

/* POSTs body to url with the given "Name: value" header lines, giving up after
 * timeout_ms. resp->body must be released with secure_buffer_free.
 * Secrets: the copies this file makes (the header list, which may hold the
 * session token) are cleansed before they are freed, and the response body
 * lives in a secure_buffer. libcurl's own internal buffers are out of reach:
 * the request it assembles for sending (the header lines, the token included,
 * and possibly the body, which for Encrypt carries plaintext) and its receive
 * buffer (a Decrypt or GenerateDataKey answer's plaintext) are reused and
 * freed by libcurl without cleansing, as are the TLS library's record buffers. */
void transport_post(transport *t, const char *url, const char *const *header_lines,
                    size_t n_headers, const char *body, size_t body_len, long timeout_ms,
                    transport_response *resp);

#endif
