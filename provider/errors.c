#include "provider/errors.h"

#include <stdarg.h>
#include <stddef.h>

static OSSL_FUNC_core_new_error_fn *core_new_error;
static OSSL_FUNC_core_set_error_debug_fn *core_set_error_debug;
static OSSL_FUNC_core_vset_error_fn *core_vset_error;

static const OSSL_ITEM reason_strings[] = {
    {DEKCACHE_R_INTERNAL_ERROR, "internal error"},
    {DEKCACHE_R_BAD_CONFIGURATION, "invalid configuration value"},
    {DEKCACHE_R_MALLOC_FAILURE, "out of memory"},
    {DEKCACHE_R_INVALID_PARAMETER, "invalid parameter"},
    {DEKCACHE_R_KMS_ERROR, "KMS request failed"},
    {DEKCACHE_R_CACHE_ERROR, "data key cache failure"},
    {DEKCACHE_R_MESSAGE_MALFORMED, "malformed or truncated message"},
    {DEKCACHE_R_AUTHENTICATION_FAILED, "message authentication failed"},
    {DEKCACHE_R_KEY_NOT_ALLOWED, "wrapping key not allowed"},
    {DEKCACHE_R_LENGTH_MISMATCH, "plaintext length differs from declared length"},
    {DEKCACHE_R_OUTPUT_TOO_LARGE, "output exceeds the caller's buffer"},
    {DEKCACHE_R_UNSUPPORTED, "unsupported operation or algorithm suite"},
    {DEKCACHE_R_NO_KEY_CONFIGURED, "no wrapping key configured"},
    {DEKCACHE_R_NO_DECRYPTION_KEY, "no configured key can decrypt the data key"},
    {0, NULL},
};

void dekcache_errors_bind(const OSSL_DISPATCH *in)
{
    for (; in->function_id != 0; in++) {
        switch (in->function_id) {
        case OSSL_FUNC_CORE_NEW_ERROR:
            core_new_error = OSSL_FUNC_core_new_error(in);
            break;
        case OSSL_FUNC_CORE_SET_ERROR_DEBUG:
            core_set_error_debug = OSSL_FUNC_core_set_error_debug(in);
            break;
        case OSSL_FUNC_CORE_VSET_ERROR:
            core_vset_error = OSSL_FUNC_core_vset_error(in);
            break;
        default:
            break;
        }
    }
}

const OSSL_ITEM *dekcache_reason_strings(void)
{
    return reason_strings;
}

void dekcache_raise(const OSSL_CORE_HANDLE *handle, const char *file, int line, const char *func,
                    int reason, const char *fmt, ...)
{
    if (core_new_error == NULL || core_set_error_debug == NULL || core_vset_error == NULL)
        return;
    va_list args;
    va_start(args, fmt);
    core_new_error(handle);
    core_set_error_debug(handle, file, line, func);
    core_vset_error(handle, (uint32_t)reason, fmt, args);
    va_end(args);
}
