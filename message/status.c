#include "message/status.h"

#include <stdarg.h>
#include <stdio.h>

static const char *const status_names[ESDK_STATUS_COUNT] = {
    [ESDK_OK] = "ok",
    [ESDK_ERR_ALLOC] = "out of memory",
    [ESDK_ERR_CRYPTO] = "cryptographic primitive failed",
    [ESDK_ERR_INVALID_ARGUMENT] = "invalid argument",
    [ESDK_ERR_TRUNCATED] = "message truncated",
    [ESDK_ERR_TRAILING_BYTES] = "trailing bytes after the message",
    [ESDK_ERR_BAD_VERSION] = "unsupported message format version or type",
    [ESDK_ERR_UNSUPPORTED_SUITE] = "unsupported algorithm suite",
    [ESDK_ERR_BAD_HEADER] = "malformed message header",
    [ESDK_ERR_BAD_EDK] = "malformed encrypted data key",
    [ESDK_ERR_TOO_MANY_EDKS] = "too many encrypted data keys",
    [ESDK_ERR_HEADER_TOO_LARGE] = "message header too large",
    [ESDK_ERR_CONTEXT_TOO_LARGE] = "encryption context too large",
    [ESDK_ERR_BAD_CONTEXT] = "malformed encryption context",
    [ESDK_ERR_RESERVED_CONTEXT] = "encryption context uses a reserved key",
    [ESDK_ERR_CONTEXT_MISMATCH] = "encryption context does not match the message",
    [ESDK_ERR_PUBLIC_KEY] = "signature public key missing, forbidden or invalid",
    [ESDK_ERR_POLICY] = "commitment policy forbids this algorithm suite",
    [ESDK_ERR_COMMITMENT] = "key commitment mismatch",
    [ESDK_ERR_HEADER_AUTH] = "header authentication failed",
    [ESDK_ERR_FRAME_TOO_LARGE] = "frame length too large",
    [ESDK_ERR_TOO_MANY_FRAMES] = "too many frames",
    [ESDK_ERR_BAD_FRAME] = "malformed frame",
    [ESDK_ERR_BODY_TOO_LARGE] = "message body too large",
    [ESDK_ERR_FRAME_AUTH] = "frame authentication failed",
    [ESDK_ERR_SIGNATURE] = "signature verification failed",
    [ESDK_ERR_NO_KEYRING_DECRYPT] = "no keyring could decrypt a data key",
    [ESDK_ERR_KEY_NOT_ALLOWED] = "the message's wrapping keys are not allowed",
    [ESDK_ERR_KEYRING] = "keyring failed to provide a data key",
    [ESDK_ERR_BAD_MATERIALS] = "inconsistent cryptographic materials",
    [ESDK_ERR_PLAINTEXT_LENGTH] = "plaintext length differs from the declared length",
    [ESDK_ERR_STATE] = "operation not allowed in this state",
};

const char *esdk_status_string(esdk_status status)
{
    if ((unsigned)status >= ESDK_STATUS_COUNT || status_names[status] == NULL)
        return "unknown message status";
    return status_names[status];
}

esdk_status esdk_fail(char *detail, size_t detail_len, esdk_status status, const char *fmt, ...)
{
    if (detail != NULL && detail_len > 0) {
        va_list args;
        va_start(args, fmt);
        vsnprintf(detail, detail_len, fmt, args);
        va_end(args);
    }
    return status;
}
