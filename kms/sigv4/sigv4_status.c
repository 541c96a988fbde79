#include "kms/sigv4/sigv4.h"

const char *sigv4_status_string(int status)
{
    switch (status) {
    case SIGV4_OK:
        return "ok";
    case SIGV4_ERR_ARGUMENT:
        return "invalid argument";
    case SIGV4_ERR_BUFFER_TOO_SMALL:
        return "output buffer too small";
    case SIGV4_ERR_NO_MEMORY:
        return "out of memory";
    case SIGV4_ERR_CRYPTO:
        return "libcrypto failure";
    case SIGV4_ERR_MALFORMED_AUTH:
        return "malformed Authorization header";
    case SIGV4_ERR_MISSING_HEADER:
        return "a signed header is missing from the request";
    case SIGV4_ERR_SIGNATURE_MISMATCH:
        return "signature does not match";
    }
    return "unknown sigv4 status";
}
