#include "kms/client/kms_client.h"

const char *kms_client_status_string(kms_client_status status)
{
    switch (status) {
    case KMS_CLIENT_OK:
        return "ok";
    case KMS_CLIENT_ERR_INVALID_ARGUMENT:
        return "invalid argument";
    case KMS_CLIENT_ERR_NO_MEMORY:
        return "out of memory";
    case KMS_CLIENT_ERR_NO_CREDENTIALS:
        return "no AWS credentials";
    case KMS_CLIENT_ERR_NO_REGION:
        return "no AWS region";
    case KMS_CLIENT_ERR_NOT_FOUND:
        return "key not found";
    case KMS_CLIENT_ERR_DISABLED:
        return "key disabled";
    case KMS_CLIENT_ERR_INVALID_STATE:
        return "key not in a usable state";
    case KMS_CLIENT_ERR_ACCESS_DENIED:
        return "access denied";
    case KMS_CLIENT_ERR_SIGNATURE_REJECTED:
        return "request signature or credentials rejected";
    case KMS_CLIENT_ERR_INVALID_CIPHERTEXT:
        return "invalid ciphertext";
    case KMS_CLIENT_ERR_INCORRECT_KEY:
        return "ciphertext belongs to another key";
    case KMS_CLIENT_ERR_VALIDATION:
        return "request rejected as invalid";
    case KMS_CLIENT_ERR_THROTTLED:
        return "throttled";
    case KMS_CLIENT_ERR_SERVER:
        return "KMS server error";
    case KMS_CLIENT_ERR_KMS_OTHER:
        return "KMS error";
    case KMS_CLIENT_ERR_CONNECTION_REFUSED:
        return "connection refused";
    case KMS_CLIENT_ERR_CONNECTION_DROPPED:
        return "connection dropped";
    case KMS_CLIENT_ERR_NETWORK:
        return "network error";
    case KMS_CLIENT_ERR_TLS:
        return "TLS verification failed";
    case KMS_CLIENT_ERR_TIMEOUT:
        return "timeout";
    case KMS_CLIENT_ERR_BAD_RESPONSE:
        return "malformed KMS response";
    }
    return "unknown status";
}
