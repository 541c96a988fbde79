/* The built-in default keystore, loaded once per fuzzer process. */
#ifndef DEKCACHE_FUZZ_KMS_KEYSTORE_H
#define DEKCACHE_FUZZ_KMS_KEYSTORE_H

#include "kms/server/keystore.h"

#include <stdlib.h>

static inline const keystore *fuzz_default_keystore(void)
{
    static keystore ks;
    static int loaded;
    char detail[256];
    if (!loaded) {
        if (keystore_load_defaults(&ks, detail, sizeof(detail)) != 0)
            abort();
        loaded = 1;
    }
    return &ks;
}

#endif
