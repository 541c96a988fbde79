#ifndef DEKCACHE_PROVIDER_ERRORS_H
#define DEKCACHE_PROVIDER_ERRORS_H

#include <openssl/core.h>
#include <openssl/core_dispatch.h>

#include "include/dekcache.h"

/* Keeps the core's error upcalls; called once from OSSL_provider_init. */
void dekcache_errors_bind(const OSSL_DISPATCH *in);

/* The reason strings the core registers for this provider. */
const OSSL_ITEM *dekcache_reason_strings(void);

/* Puts an error with our reason code and a printf-style detail on the
 * application's error queue. Never pass key bytes or credentials. */
void dekcache_raise(const OSSL_CORE_HANDLE *handle, const char *file, int line, const char *func,
                    int reason, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;

#define DEKCACHE_RAISE(handle, reason, ...)                                                        \
    dekcache_raise((handle), __FILE__, __LINE__, __func__, (reason), __VA_ARGS__)

#endif
