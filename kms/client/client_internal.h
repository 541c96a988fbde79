#ifndef DEKCACHE_KMS_CLIENT_INTERNAL_H
#define DEKCACHE_KMS_CLIENT_INTERNAL_H

#include "kms/client/credentials_holder.h"
#include "kms/client/kms_arn.h"
#include "kms/client/kms_client.h"
#include "kms/client/secure_buffer.h"
#include "kms/client/transport.h"

#include <stdatomic.h>

struct kms_client {
    atomic_int refs;
    credentials_holder creds;
    int creds_configured; /* explicit credentials: nothing to renew them from */
    char *profile;        /* the configured profile (NULL: AWS_PROFILE, default) */
    /* "" : take it from each call's key ARN */
    char region[KMS_REGION_NAME_MAX + 1];
    char *endpoint; /* NULL: derived from the region */
    transport *transport;
    long attempt_timeout_ms;
    long deadline_ms;
    int max_attempts;
    long backoff_base_ms;
    long backoff_cap_ms;
    OSSL_LIB_CTX *libctx;
    void (*key_unusable)(void *arg, const char *key_id);
    void *key_unusable_arg;
    _Atomic uint64_t calls[KMS_OP_COUNT];
    _Atomic uint64_t failures[KMS_OP_COUNT];
    _Atomic uint64_t retries;
};

/* One KMS operation with its retries: signs and POSTs body with X-Amz-Target
 * TrentService.<kms_client_operation_name(op)>, counts it in the client's
 * stats, and on HTTP 2xx hands the body over in response (released by the
 * caller with secure_buffer_free). Any failure is described in detail, naming
 * the operation and key. */
kms_client_status kms_call(kms_client *client, kms_client_operation op, const char *key_id,
                           const secure_buffer *body, secure_buffer *response, char *detail,
                           size_t detail_cap);

#endif
