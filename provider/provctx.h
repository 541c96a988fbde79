#ifndef DEKCACHE_PROVIDER_PROVCTX_H
#define DEKCACHE_PROVIDER_PROVCTX_H

#include <openssl/core.h>
#include <openssl/types.h>

#include "provider/config.h"

/* One provider instance: openssl.cnf may load the module under several
 * section names, each with its own configuration and context. */
typedef struct dekcache_provctx {
    const OSSL_CORE_HANDLE *handle;
    OSSL_LIB_CTX *libctx; /* child of the application's library context */
    char *instance_name;  /* provider name as loaded (section name) */
    dekcache_config config;
} dekcache_provctx;

#endif
