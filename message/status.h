#ifndef DEKCACHE_MESSAGE_STATUS_H
#define DEKCACHE_MESSAGE_STATUS_H

#include <stddef.h>

/* Status codes of the message/ leaf: 0 is success, every failure has its own
 * code so callers (the provider's error mapping, tests) can tell them apart. */
typedef enum {
    ESDK_OK = 0,
    ESDK_ERR_ALLOC,              /* out of memory */
    ESDK_ERR_CRYPTO,             /* a libcrypto primitive failed unexpectedly */
    ESDK_ERR_INVALID_ARGUMENT,   /* caller misuse: NULL, bad option, wrong state */
    ESDK_ERR_TRUNCATED,          /* input ended before the message did */
    ESDK_ERR_TRAILING_BYTES,     /* bytes after the end of the message */
    ESDK_ERR_BAD_VERSION,        /* unknown format version or type byte */
    ESDK_ERR_UNSUPPORTED_SUITE,  /* unknown suite, or version does not match suite */
    ESDK_ERR_BAD_HEADER,         /* a fixed header field has a forbidden value */
    ESDK_ERR_BAD_EDK,            /* malformed encrypted data key entry */
    ESDK_ERR_TOO_MANY_EDKS,      /* EDK count above the configured cap */
    ESDK_ERR_HEADER_TOO_LARGE,   /* header larger than the configured cap */
    ESDK_ERR_CONTEXT_TOO_LARGE,  /* encryption context larger than the cap / 65535 */
    ESDK_ERR_BAD_CONTEXT,        /* EC encoding: not UTF-8, duplicate key, bad count */
    ESDK_ERR_RESERVED_CONTEXT,   /* caller EC uses a reserved aws-crypto- key */
    ESDK_ERR_CONTEXT_MISMATCH,   /* reproduced EC disagrees with the stored EC */
    ESDK_ERR_PUBLIC_KEY,         /* aws-crypto-public-key missing/forbidden/invalid */
    ESDK_ERR_POLICY,             /* commitment policy forbids this suite */
    ESDK_ERR_COMMITMENT,         /* commit key in the header does not match */
    ESDK_ERR_HEADER_AUTH,        /* header authentication tag does not verify */
    ESDK_ERR_FRAME_TOO_LARGE,    /* frame length above the configured cap */
    ESDK_ERR_TOO_MANY_FRAMES,    /* frame count above the cap or 2^32-1 */
    ESDK_ERR_BAD_FRAME,          /* sequence gap, wrong IV, final frame too long */
    ESDK_ERR_BODY_TOO_LARGE,     /* non-framed body above the configured cap */
    ESDK_ERR_FRAME_AUTH,         /* a body tag does not verify */
    ESDK_ERR_SIGNATURE,          /* footer signature missing, malformed or invalid */
    ESDK_ERR_NO_KEYRING_DECRYPT, /* no keyring could decrypt any EDK */
    ESDK_ERR_KEY_NOT_ALLOWED,    /* the EDKs' wrapping keys are refused by the keyring's policy */
    ESDK_ERR_KEYRING,            /* a keyring failed on encrypt (wrap/generate) */
    ESDK_ERR_BAD_MATERIALS,      /* CMM/keyring returned inconsistent materials */
    ESDK_ERR_PLAINTEXT_LENGTH,   /* input differs from the declared plaintext length */
    ESDK_ERR_STATE,              /* call not allowed in the object's current state */
    ESDK_STATUS_COUNT
} esdk_status;

/* A constant, human-readable name of a status ("frame authentication failed"). */
const char *esdk_status_string(esdk_status status);

/* Formats a detail message into a caller buffer (NULL or 0 size allowed) and
 * returns status, so error paths read `return esdk_fail(detail, n, ESDK_..., "...")`. */
esdk_status esdk_fail(char *detail, size_t detail_len, esdk_status status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
