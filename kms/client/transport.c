#include "kms/client/transport.h"

#include <curl/curl.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

typedef struct pooled_handle {
    CURL *easy;
    struct pooled_handle *next;
} pooled_handle;

/* What is tied to one process's connections: the idle handles (each holding
 * its live sockets, TLS included) and the share handle (DNS, TLS sessions)
 * with the locks it calls back. After fork() the child replaces the whole of
 * it rather than touching it; see adopt(). */
typedef struct conn_state {
    CURLSH *share;
    pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
    pooled_handle *idle;
    struct conn_state *next_abandoned;
} conn_state;

/* The options are kept as copies: the caller's strings need not outlive
 * transport_new. */
struct transport {
    long connect_timeout_ms;
    size_t max_response_bytes;
    int disable_connection_reuse;
    char *ca_file; /* NULL: libcurl's default trust store */
    char *ca_path;
    pthread_mutex_t pool_lock; /* guards owner and state */
    pid_t owner;               /* the process state's connections belong to */
    conn_state *state;
};

/* Connection states a fork child inherited and set aside. They are kept,
 * reachable, and never freed, on purpose: curl_easy_cleanup of an inherited
 * handle would close its connections, and for TLS send close_notify
 * (SSL_shutdown) or read on a socket the parent is still using, corrupting
 * the parent's session; curl_share_cleanup would refuse anyway while those
 * handles are attached. The memory is a copy that is the child's own, so
 * keeping it costs the child its size and nothing else. Lock-free so that no
 * lock inherited in a held state can block a child here. */
static conn_state *_Atomic abandoned_states;

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_result = CURLE_FAILED_INIT;

static void global_init_once(void)
{
    global_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* Initialises libcurl globally, exactly once per process, on first use. */
static kms_client_status global_init(void)
{
    pthread_once(&global_once, global_init_once);
    return global_result == CURLE_OK ? KMS_CLIENT_OK : KMS_CLIENT_ERR_NETWORK;
}

static void share_lock(CURL *handle, curl_lock_data data, curl_lock_access access, void *user)
{
    (void)handle;
    (void)access;
    conn_state *state = user;
    pthread_mutex_lock(&state->share_locks[data]);
}

static void share_unlock(CURL *handle, curl_lock_data data, void *user)
{
    (void)handle;
    conn_state *state = user;
    pthread_mutex_unlock(&state->share_locks[data]);
}

static int setup_share(conn_state *state)
{
    CURLSH *share = state->share = curl_share_init();
    if (share == NULL) {
        return 0;
    }
    return curl_share_setopt(share, CURLSHOPT_LOCKFUNC, share_lock) == CURLSHE_OK &&
           curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, share_unlock) == CURLSHE_OK &&
           curl_share_setopt(share, CURLSHOPT_USERDATA, state) == CURLSHE_OK &&
           curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) == CURLSHE_OK &&
           curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) == CURLSHE_OK;
}

/* Only the process that made state may call this: it closes connections. */
static void conn_state_free(conn_state *state)
{
    while (state->idle != NULL) {
        pooled_handle *h = state->idle;
        state->idle = h->next;
        curl_easy_cleanup(h->easy);
        free(h);
    }
    if (state->share != NULL) {
        curl_share_cleanup(state->share);
    }
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++) {
        pthread_mutex_destroy(&state->share_locks[i]);
    }
    free(state);
}

static conn_state *conn_state_new(void)
{
    conn_state *state = calloc(1, sizeof(*state));
    if (state == NULL) {
        return NULL;
    }
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++) {
        pthread_mutex_init(&state->share_locks[i], NULL);
    }
    if (!setup_share(state)) {
        conn_state_free(state);
        return NULL;
    }
    return state;
}

/* Sets an inherited state aside without touching it (see abandoned_states). */
static void abandon(conn_state *state)
{
    conn_state *head = atomic_load(&abandoned_states);
    do {
        state->next_abandoned = head;
    } while (!atomic_compare_exchange_weak(&abandoned_states, &head, state));
}

/* Called with pool_lock held, before the pool is used. In a fork child, the
 * inherited idle handles' sockets are the parent's: reusing one would put the
 * child's requests on the parent's connection (for TLS, two processes driving
 * one session: desynchronised records, reused nonces). So the child sets the
 * inherited state aside and starts an empty one of its own. The share handle
 * is replaced too, giving up its TLS session cache: resuming is not unsafe
 * (each handshake has fresh randoms and keys), but parent and child would
 * present the same TLS 1.3 ticket, which RFC 8446 C.4 advises against
 * (linkable, and single-use tickets get rejected); and the fresh share comes
 * with fresh locks, where an inherited one may have been held by another
 * thread of the parent at the fork. The cost is one full handshake per child.
 * Returns 0 when memory runs out (the inherited state stays untouched). */
static int adopt(transport *t)
{
    pid_t self = getpid();
    if (t->owner == self) {
        return 1;
    }
    conn_state *fresh = conn_state_new();
    if (fresh == NULL) {
        return 0;
    }
    abandon(t->state);
    t->state = fresh;
    t->owner = self;
    return 1;
}

static char *dup_or_null(const char *text)
{
    return text != NULL ? strdup(text) : NULL;
}

kms_client_status transport_new(const transport_options *options, transport **out)
{
    *out = NULL;
    if (global_init() != KMS_CLIENT_OK) {
        return KMS_CLIENT_ERR_NETWORK;
    }
    transport *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        return KMS_CLIENT_ERR_NO_MEMORY;
    }
    t->connect_timeout_ms = options->connect_timeout_ms;
    t->max_response_bytes = options->max_response_bytes;
    t->disable_connection_reuse = options->disable_connection_reuse;
    t->ca_file = dup_or_null(options->ca_file);
    t->ca_path = dup_or_null(options->ca_path);
    pthread_mutex_init(&t->pool_lock, NULL);
    t->owner = getpid();
    t->state = conn_state_new();
    if ((options->ca_file != NULL && t->ca_file == NULL) ||
        (options->ca_path != NULL && t->ca_path == NULL) || t->state == NULL) {
        transport_free(t);
        return KMS_CLIENT_ERR_NO_MEMORY;
    }
    *out = t;
    return KMS_CLIENT_OK;
}

void transport_free(transport *t)
{
    if (t == NULL) {
        return;
    }
    /* In a fork child that never adopted, the state is the parent's. */
    if (t->state != NULL && t->owner == getpid()) {
        conn_state_free(t->state);
    } else if (t->state != NULL) {
        abandon(t->state);
    }
    pthread_mutex_destroy(&t->pool_lock);
    free(t->ca_file);
    free(t->ca_path);
    free(t);
}

static pooled_handle *new_handle(void)
{
    pooled_handle *h = calloc(1, sizeof(*h));
    if (h == NULL) {
        return NULL;
    }
    if ((h->easy = curl_easy_init()) == NULL) {
        free(h);
        return NULL;
    }
    return h;
}

/* A handle of the current process's connection state, and in *share that
 * state's share handle (read under the lock: a fork child replaces the state,
 * never a process's own; see adopt()). NULL when memory runs out. */
static pooled_handle *borrow(transport *t, CURLSH **share)
{
    pooled_handle *h = NULL;
    *share = NULL;
    pthread_mutex_lock(&t->pool_lock);
    if (adopt(t)) {
        *share = t->state->share;
        h = t->state->idle;
        if (h != NULL) {
            t->state->idle = h->next;
        }
    }
    pthread_mutex_unlock(&t->pool_lock);
    if (h != NULL || *share == NULL) {
        return h;
    }
    return new_handle();
}

/* h comes back in the process that borrowed it (only the forking thread lives
 * on in a child, and it does not fork from inside transport_post), so it
 * belongs to the current state: borrow() adopted before handing it out. */
static void give_back(transport *t, pooled_handle *h)
{
    pthread_mutex_lock(&t->pool_lock);
    h->next = t->state->idle;
    t->state->idle = h;
    pthread_mutex_unlock(&t->pool_lock);
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *user)
{
    secure_buffer *body = user;
    size_t len = size * nmemb;
    /* A short count makes libcurl stop with CURLE_WRITE_ERROR. */
    return secure_buffer_append(body, data, len) ? len : 0;
}

static void set_options(transport *t, CURL *easy, CURLSH *share, const char *url,
                        struct curl_slist *headers, const char *body, size_t body_len,
                        long timeout_ms, transport_response *resp)
{
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_SHARE, share);
    curl_easy_setopt(easy, CURLOPT_POST, 1L);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, t->connect_timeout_ms);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
    if (t->ca_file != NULL) {
        curl_easy_setopt(easy, CURLOPT_CAINFO, t->ca_file);
    }
    if (t->ca_path != NULL) {
        curl_easy_setopt(easy, CURLOPT_CAPATH, t->ca_path);
    }
    if (t->disable_connection_reuse) {
        curl_easy_setopt(easy, CURLOPT_FRESH_CONNECT, 1L);
        curl_easy_setopt(easy, CURLOPT_FORBID_REUSE, 1L);
    }
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &resp->body);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, resp->error);
}

static kms_client_status classify(CURL *easy, CURLcode code, const transport_response *resp)
{
    long os_errno = 0;
    switch (code) {
    case CURLE_OK:
        return KMS_CLIENT_OK;
    case CURLE_COULDNT_CONNECT:
        curl_easy_getinfo(easy, CURLINFO_OS_ERRNO, &os_errno);
        return os_errno == ECONNREFUSED ? KMS_CLIENT_ERR_CONNECTION_REFUSED
                                        : KMS_CLIENT_ERR_NETWORK;
    case CURLE_OPERATION_TIMEDOUT:
        return KMS_CLIENT_ERR_TIMEOUT;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
        return KMS_CLIENT_ERR_TLS;
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
        return KMS_CLIENT_ERR_CONNECTION_DROPPED;
    case CURLE_WRITE_ERROR:
        return resp->body.failed ? KMS_CLIENT_ERR_BAD_RESPONSE : KMS_CLIENT_ERR_NETWORK;
    default:
        return KMS_CLIENT_ERR_NETWORK;
    }
}

/* The lines may carry the session token (kept in the secure heap by the
 * caller); curl_slist_append made plain-heap copies, cleansed here. */
static void free_header_list(struct curl_slist *list)
{
    for (struct curl_slist *item = list; item != NULL; item = item->next) {
        if (item->data != NULL) {
            OPENSSL_cleanse(item->data, strlen(item->data));
        }
    }
    curl_slist_free_all(list);
}

static struct curl_slist *header_list(const char *const *lines, size_t n)
{
    struct curl_slist *list = NULL;
    for (size_t i = 0; i < n; i++) {
        struct curl_slist *grown = curl_slist_append(list, lines[i]);
        if (grown == NULL) {
            free_header_list(list);
            return NULL;
        }
        list = grown;
    }
    return list;
}

static void describe_failure(CURLcode code, transport_response *resp)
{
    if (resp->status == KMS_CLIENT_ERR_BAD_RESPONSE) {
        snprintf(resp->error, sizeof(resp->error), "response larger than %zu bytes",
                 resp->body.limit);
    } else if (resp->error[0] == '\0') {
        snprintf(resp->error, sizeof(resp->error), "%s", curl_easy_strerror(code));
    }
}

void transport_post(transport *t, const char *url, const char *const *header_lines,
                    size_t n_headers, const char *body, size_t body_len, long timeout_ms,
                    transport_response *resp)
{
    memset(resp, 0, sizeof(*resp));
    secure_buffer_init(&resp->body, t->max_response_bytes);
    struct curl_slist *headers = header_list(header_lines, n_headers);
    CURLSH *share = NULL;
    pooled_handle *h = borrow(t, &share);
    if (headers == NULL || h == NULL) {
        resp->status = KMS_CLIENT_ERR_NO_MEMORY;
        snprintf(resp->error, sizeof(resp->error), "out of memory");
        free_header_list(headers);
        if (h != NULL) {
            give_back(t, h);
        }
        return;
    }
    /* reset keeps the handle's live connections; only the options go. */
    curl_easy_reset(h->easy);
    set_options(t, h->easy, share, url, headers, body, body_len, timeout_ms, resp);
    CURLcode code = curl_easy_perform(h->easy);
    resp->status = classify(h->easy, code, resp);
    if (resp->status == KMS_CLIENT_OK) {
        curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &resp->http_status);
        secure_buffer_terminate(&resp->body);
    } else {
        describe_failure(code, resp);
    }
    curl_easy_setopt(h->easy, CURLOPT_ERRORBUFFER, NULL);
    free_header_list(headers);
    give_back(t, h);
}
