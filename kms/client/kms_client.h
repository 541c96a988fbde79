#ifndef DEKCACHE_KMS_CLIENT_H
#define DEKCACHE_KMS_CLIENT_H

/* An AWS KMS client (JSON 1.1 over libcurl, SigV4-signed) for the four calls
 * envelope encryption needs: GenerateDataKey, Encrypt, Decrypt, DescribeKey.
 * One client is safe to share between threads; it keeps its HTTP connections
 * alive across calls and threads. Plaintext data keys come back in OpenSSL's
 * secure heap and are cleansed by kms_client_result_clear(). */

#include <openssl/types.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    KMS_CLIENT_OK = 0,
    KMS_CLIENT_ERR_INVALID_ARGUMENT,
    KMS_CLIENT_ERR_NO_MEMORY,
    KMS_CLIENT_ERR_NO_CREDENTIALS,
    KMS_CLIENT_ERR_NO_REGION,
    KMS_CLIENT_ERR_NOT_FOUND,
    KMS_CLIENT_ERR_DISABLED,
    KMS_CLIENT_ERR_INVALID_STATE, /* KMSInvalidStateException: pending deletion, unavailable, ... */
    KMS_CLIENT_ERR_ACCESS_DENIED,
    KMS_CLIENT_ERR_SIGNATURE_REJECTED,
    KMS_CLIENT_ERR_INVALID_CIPHERTEXT,
    KMS_CLIENT_ERR_INCORRECT_KEY,
    KMS_CLIENT_ERR_VALIDATION,
    KMS_CLIENT_ERR_THROTTLED,
    KMS_CLIENT_ERR_SERVER,
    KMS_CLIENT_ERR_KMS_OTHER,
    KMS_CLIENT_ERR_CONNECTION_REFUSED,
    KMS_CLIENT_ERR_CONNECTION_DROPPED,
    KMS_CLIENT_ERR_NETWORK,
    KMS_CLIENT_ERR_TLS,
    KMS_CLIENT_ERR_TIMEOUT,
    KMS_CLIENT_ERR_BAD_RESPONSE,
} kms_client_status;

/* A short fixed name for a status ("key not found", "timeout", ...). */
const char *kms_client_status_string(kms_client_status status);

/* Zero or NULL fields take the documented default. */
typedef struct {
    /* Region: this, else AWS_REGION, else AWS_DEFAULT_REGION, else the
     * profile's region in the shared config file, else the region in the key
     * ARN of each call. The one chosen must be at most 63 lowercase letters,
     * digits and hyphens: another fails kms_client_new (it is never skipped). */
    const char *region;
    /* Base URL, e.g. "http://127.0.0.1:4566"; default $AWS_ENDPOINT_URL_KMS,
     * $AWS_ENDPOINT_URL, else https://kms.<region>.amazonaws.com */
    const char *endpoint;
    /* Explicit credentials win over the environment and the shared files. */
    const char *access_key_id;
    const char *secret_access_key;
    const char *session_token;
    /* Shared-file profile: this, else AWS_PROFILE, else "default". */
    const char *profile;
    /* Trust anchors for https; default: $AWS_CA_BUNDLE, else libcurl's system store. Verification
     * of the peer and host name is always on. */
    const char *ca_file;
    const char *ca_path;
    long connect_timeout_ms;   /* default 2000 */
    long attempt_timeout_ms;   /* one HTTP exchange; default 5000 */
    long deadline_ms;          /* a whole operation with its retries; default 15000 */
    int max_attempts;          /* default 3 */
    long backoff_base_ms;      /* first retry waits up to this; default 50 */
    long backoff_cap_ms;       /* no retry waits longer; default 2000 */
    size_t max_response_bytes; /* default 65536 */
    /* Benchmarks only: a fresh connection for every call. */
    int disable_connection_reuse;
    /* Where request signing (SHA-256, HMAC) and retry jitter run; NULL = the
     * default library context. Must outlive the client. TLS is libcurl's and
     * uses libssl's default context (libcurl offers no way to pass one). */
    OSSL_LIB_CTX *libctx;
    /* When set, called (on the calling thread, no lock held) after KMS
     * answered GenerateDataKey, Encrypt or Decrypt on key_id (as the caller
     * named it) with NotFoundException or DisabledException: the key cannot
     * be used, so a caller that keeps data keys it wrapped can drop them.
     * Not for KMSInvalidStateException, which also covers passing states (a
     * disconnected custom key store, a multi-region update) that cached
     * data keys should ride out. */
    void (*key_unusable)(void *arg, const char *key_id);
    void *key_unusable_arg;
} kms_client_config;

typedef struct kms_client kms_client;

/* 1 when kms_client_new would accept url as config.endpoint: http or https,
 * a host, path "/" or none, no query, no user info. Lets a caller check its configuration
 * before it creates a client. */
int kms_client_endpoint_ok(const char *url);

/* url with any user info ("user:password@") replaced by "***", for messages. */
void kms_client_endpoint_redact(const char *url, char *out, size_t cap);

/* Resolves credentials and region now; fails with a detail message naming the
 * missing piece (never a secret). */
kms_client_status kms_client_new(const kms_client_config *config, kms_client **out, char *detail,
                                 size_t detail_cap);
/* Clients are reference counted: up_ref adds a holder, free drops one and
 * releases the client with the last. NULL is ignored. */
kms_client *kms_client_up_ref(kms_client *client);
void kms_client_free(kms_client *client);

/* The encryption context (a string map, sent as is) and grant tokens of a call. */
typedef struct {
    const char *key;
    const char *value;
} kms_client_context_pair;

typedef struct {
    const kms_client_context_pair *pairs;
    size_t n_pairs;
    const char *const *grant_tokens;
    size_t n_grant_tokens;
} kms_client_context;

#define KMS_CLIENT_ARN_MAX 2048

/* What a call returns; fields a call does not produce stay empty. */
typedef struct {
    char key_arn[KMS_CLIENT_ARN_MAX]; /* the KeyId KMS answered with: a key ARN */
    unsigned char *plaintext;         /* secure heap */
    size_t plaintext_len;
    unsigned char *ciphertext; /* CiphertextBlob, opaque */
    size_t ciphertext_len;
} kms_client_result;

/* Cleanses and frees what a result holds; safe on a zeroed or cleared result. */
void kms_client_result_clear(kms_client_result *result);

/* GenerateDataKey{KeyId, NumberOfBytes, EncryptionContext, GrantTokens}:
 * a fresh data key of exactly n_bytes (1..1024), in plaintext and wrapped. */
kms_client_status kms_client_generate_data_key(kms_client *client, const char *key_id,
                                               size_t n_bytes, const kms_client_context *context,
                                               kms_client_result *out, char *detail,
                                               size_t detail_cap);

/* Encrypt{KeyId, Plaintext, EncryptionContext, GrantTokens}: fills ciphertext. */
kms_client_status kms_client_encrypt(kms_client *client, const char *key_id,
                                     const unsigned char *plaintext, size_t plaintext_len,
                                     const kms_client_context *context, kms_client_result *out,
                                     char *detail, size_t detail_cap);

/* Decrypt{KeyId, CiphertextBlob, EncryptionContext, GrantTokens}: always names
 * the key, and requires the plaintext to be exactly expected_len bytes (0: any). */
kms_client_status kms_client_decrypt(kms_client *client, const char *key_id,
                                     const unsigned char *ciphertext, size_t ciphertext_len,
                                     const kms_client_context *context, size_t expected_len,
                                     kms_client_result *out, char *detail, size_t detail_cap);

typedef struct {
    char key_arn[KMS_CLIENT_ARN_MAX];
    char key_state[32]; /* "Enabled", "Disabled", ... */
    int enabled;
} kms_client_key_info;

/* DescribeKey{KeyId}: resolves an alias or key id to the key's ARN. */
kms_client_status kms_client_describe_key(kms_client *client, const char *key_id,
                                          kms_client_key_info *out, char *detail,
                                          size_t detail_cap);

typedef enum {
    KMS_OP_GENERATE_DATA_KEY,
    KMS_OP_ENCRYPT,
    KMS_OP_DECRYPT,
    KMS_OP_DESCRIBE_KEY,
    KMS_OP_COUNT
} kms_client_operation;

/* Counters since the client was made. An operation counts once however many
 * attempts it took; retries counts the attempts beyond the first. */
typedef struct {
    uint64_t calls[KMS_OP_COUNT];
    uint64_t failures[KMS_OP_COUNT]; /* operations that failed after their retries */
    uint64_t retries;
} kms_client_stats;

/* The wire name of an operation ("GenerateDataKey", ...). */
const char *kms_client_operation_name(kms_client_operation op);

/* Each counter is exact; the set is not one snapshot while calls run. Thread-safe. */
void kms_client_get_stats(const kms_client *client, kms_client_stats *out);

#endif
