#ifndef DEKCACHE_PROVIDER_KEYMGMT_H
#define DEKCACHE_PROVIDER_KEYMGMT_H

#include <openssl/core.h>

/* DEKCACHE keymgmt, the "dekcache:" store loader and the DEKCACHE
 * asymmetric cipher (`openssl pkeyutl -encrypt/-decrypt`). */
extern const OSSL_DISPATCH dekcache_keymgmt_functions[];
extern const OSSL_DISPATCH dekcache_store_functions[];
extern const OSSL_DISPATCH dekcache_asym_cipher_functions[];

#endif
