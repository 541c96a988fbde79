#include "provider/message_params.h"

#include <openssl/params.h>
#include <stdio.h>

#include "message/decrypt.h"
#include "message/encrypt.h"
#include "provider/context_param.h"
#include "provider/errors.h"

int dekcache_param_refuse(const OSSL_CORE_HANDLE *handle, const OSSL_PARAM *p, const char *why)
{
    DEKCACHE_RAISE(handle, DEKCACHE_R_INVALID_PARAMETER, "%s: %s", p->key, why);
    return 0;
}

int dekcache_param_find(const OSSL_CORE_HANDLE *handle, const OSSL_PARAM params[], const char *name,
                        const OSSL_PARAM **out)
{
    *out = params != NULL ? OSSL_PARAM_locate_const(params, name) : NULL;
    if (*out != NULL && (*out)->data == NULL)
        return dekcache_param_refuse(handle, *out, "has no data");
    return 1;
}

int dekcache_param_text(const OSSL_CORE_HANDLE *handle, const OSSL_PARAM *p, const char **text)
{
    *text = NULL;
    if (!OSSL_PARAM_get_utf8_string_ptr(p, text) || *text == NULL)
        return dekcache_param_refuse(handle, p, "must be a UTF-8 string");
    return 1;
}

int dekcache_param_context(const OSSL_CORE_HANDLE *handle, const OSSL_PARAM *p,
                           esdk_enc_context *ec)
{
    const char *text;
    if (!dekcache_param_text(handle, p, &text))
        return 0;
    esdk_enc_context parsed = {0};
    char detail[256] = "";
    if (!dekcache_parse_context_param(text, &parsed, detail, sizeof(detail))) {
        esdk_ec_clear(&parsed);
        return dekcache_param_refuse(handle, p, detail);
    }
    esdk_ec_clear(ec);
    *ec = parsed;
    return 1;
}

int dekcache_param_suite(const OSSL_CORE_HANDLE *handle, const OSSL_PARAM *p, uint16_t *suite_id)
{
    unsigned int suite = 0;
    if (!OSSL_PARAM_get_uint(p, &suite) || (suite != 0x0478 && suite != 0x0578))
        return dekcache_param_refuse(handle, p, "allowed 0x0478 or 0x0578");
    *suite_id = (uint16_t)suite;
    return 1;
}

int dekcache_param_frame_length(const OSSL_CORE_HANDLE *handle, const OSSL_PARAM *p, uint32_t min,
                                uint32_t max, uint32_t *frame_len)
{
    unsigned int frame = 0;
    if (!OSSL_PARAM_get_uint(p, &frame) || frame < min || frame > max) {
        char allowed[64];
        snprintf(allowed, sizeof(allowed), "allowed %u to %u", (unsigned)min, (unsigned)max);
        return dekcache_param_refuse(handle, p, allowed);
    }
    *frame_len = frame;
    return 1;
}
