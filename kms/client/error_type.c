#include "kms/client/error_type.h"

#include <string.h>

typedef struct {
    const char *type;
    kms_client_status status;
} type_status;

static const type_status known_types[] = {
    {"NotFoundException", KMS_CLIENT_ERR_NOT_FOUND},
    {"DisabledException", KMS_CLIENT_ERR_DISABLED},
    {"KMSInvalidStateException", KMS_CLIENT_ERR_INVALID_STATE},
    {"AccessDeniedException", KMS_CLIENT_ERR_ACCESS_DENIED},
    {"UnrecognizedClientException", KMS_CLIENT_ERR_SIGNATURE_REJECTED},
    {"InvalidSignatureException", KMS_CLIENT_ERR_SIGNATURE_REJECTED},
    {"IncompleteSignatureException", KMS_CLIENT_ERR_SIGNATURE_REJECTED},
    {"MissingAuthenticationTokenException", KMS_CLIENT_ERR_SIGNATURE_REJECTED},
    {"ExpiredTokenException", KMS_CLIENT_ERR_SIGNATURE_REJECTED},
    {"InvalidCiphertextException", KMS_CLIENT_ERR_INVALID_CIPHERTEXT},
    {"IncorrectKeyException", KMS_CLIENT_ERR_INCORRECT_KEY},
    {"ValidationException", KMS_CLIENT_ERR_VALIDATION},
    {"InvalidKeyUsageException", KMS_CLIENT_ERR_VALIDATION},
    {"InvalidGrantTokenException", KMS_CLIENT_ERR_VALIDATION},
    {"ThrottlingException", KMS_CLIENT_ERR_THROTTLED},
    {"LimitExceededException", KMS_CLIENT_ERR_THROTTLED},
    {"KMSInternalException", KMS_CLIENT_ERR_SERVER},
    {"DependencyTimeoutException", KMS_CLIENT_ERR_SERVER},
    {"KeyUnavailableException", KMS_CLIENT_ERR_SERVER},
};

kms_client_status error_type_status(const char *kms_type, long http_status)
{
    for (size_t i = 0; kms_type != NULL && i < sizeof(known_types) / sizeof(known_types[0]); i++) {
        if (strcmp(kms_type, known_types[i].type) == 0) {
            return known_types[i].status;
        }
    }
    if (http_status == 429) {
        return KMS_CLIENT_ERR_THROTTLED;
    }
    if (http_status >= 500) {
        return KMS_CLIENT_ERR_SERVER;
    }
    if (http_status == 403) {
        return KMS_CLIENT_ERR_ACCESS_DENIED;
    }
    return KMS_CLIENT_ERR_KMS_OTHER;
}

int error_type_is_retryable(kms_client_status status)
{
    switch (status) {
    case KMS_CLIENT_ERR_THROTTLED:
    case KMS_CLIENT_ERR_SERVER:
    case KMS_CLIENT_ERR_CONNECTION_REFUSED:
    case KMS_CLIENT_ERR_CONNECTION_DROPPED:
    case KMS_CLIENT_ERR_NETWORK:
    case KMS_CLIENT_ERR_TIMEOUT:
        return 1;
    default:
        return 0;
    }
}
