#include "provider/error_map.h"

#include "include/dekcache.h"
#include "provider/errors.h"

int dekcache_reason_for_esdk(esdk_status status)
{
    switch (status) {
    case ESDK_ERR_ALLOC:
        return DEKCACHE_R_MALLOC_FAILURE;
    case ESDK_ERR_TRUNCATED:
    case ESDK_ERR_TRAILING_BYTES:
    case ESDK_ERR_BAD_VERSION:
    case ESDK_ERR_BAD_HEADER:
    case ESDK_ERR_BAD_EDK:
    case ESDK_ERR_TOO_MANY_EDKS:
    case ESDK_ERR_HEADER_TOO_LARGE:
    case ESDK_ERR_CONTEXT_TOO_LARGE:
    case ESDK_ERR_BAD_CONTEXT:
    case ESDK_ERR_FRAME_TOO_LARGE:
    case ESDK_ERR_TOO_MANY_FRAMES:
    case ESDK_ERR_BAD_FRAME:
    case ESDK_ERR_BODY_TOO_LARGE:
    case ESDK_ERR_PUBLIC_KEY:
        return DEKCACHE_R_MESSAGE_MALFORMED;
    case ESDK_ERR_COMMITMENT:
    case ESDK_ERR_HEADER_AUTH:
    case ESDK_ERR_FRAME_AUTH:
    case ESDK_ERR_SIGNATURE:
    case ESDK_ERR_CONTEXT_MISMATCH:
        return DEKCACHE_R_AUTHENTICATION_FAILED;
    case ESDK_ERR_UNSUPPORTED_SUITE:
    case ESDK_ERR_POLICY:
        return DEKCACHE_R_UNSUPPORTED;
    case ESDK_ERR_NO_KEYRING_DECRYPT:
        return DEKCACHE_R_NO_DECRYPTION_KEY;
    case ESDK_ERR_KEY_NOT_ALLOWED:
        return DEKCACHE_R_KEY_NOT_ALLOWED;
    case ESDK_ERR_KEYRING:
        return DEKCACHE_R_KMS_ERROR;
    case ESDK_ERR_RESERVED_CONTEXT:
    case ESDK_ERR_INVALID_ARGUMENT:
        return DEKCACHE_R_INVALID_PARAMETER;
    case ESDK_ERR_PLAINTEXT_LENGTH:
        return DEKCACHE_R_LENGTH_MISMATCH;
    default:
        return DEKCACHE_R_INTERNAL_ERROR;
    }
}

void dekcache_raise_esdk(const OSSL_CORE_HANDLE *handle, esdk_status status, const char *what,
                         const char *detail)
{
    int has_detail = detail != NULL && detail[0] != '\0';
    DEKCACHE_RAISE(handle, dekcache_reason_for_esdk(status), "%s: %s%s%s", what,
                   esdk_status_string(status), has_detail ? ": " : "", has_detail ? detail : "");
}
