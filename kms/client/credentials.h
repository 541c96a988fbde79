#ifndef DEKCACHE_KMS_CLIENT_CREDENTIALS_H
#define DEKCACHE_KMS_CLIENT_CREDENTIALS_H

#include "kms/client/kms_client.h"

/* AWS credentials, resolved in the order AWS SDKs use: explicit configuration,
 * the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN),
 * then the shared credentials and config files for the profile. The strings
 * live in the secure heap. */
typedef struct {
    char *access_key_id;
    char *secret_access_key;
    char *session_token; /* NULL when there is none */
    char source[64];     /* where they came from, for messages */
} credentials;

kms_client_status credentials_resolve(const kms_client_config *config, credentials *out,
                                      char *detail, size_t detail_cap);
void credentials_clear(credentials *creds);

#endif
