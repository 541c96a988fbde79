#include "provider/input_copy.h"

#include <openssl/crypto.h>
#include <stdint.h>
#include <string.h>

static int ranges_overlap(const unsigned char *a, size_t a_len, const unsigned char *b,
                          size_t b_len)
{
    uintptr_t a0 = (uintptr_t)a, b0 = (uintptr_t)b;
    return a_len > 0 && b_len > 0 && a0 < b0 + b_len && b0 < a0 + a_len;
}

int dekcache_input_copy_if_aliased(const unsigned char *in, size_t in_len, const unsigned char *out,
                                   size_t out_len, unsigned char **copy)
{
    *copy = NULL;
    if (in == NULL || out == NULL || !ranges_overlap(in, in_len, out, out_len))
        return 1;
    if ((*copy = OPENSSL_malloc(in_len)) == NULL)
        return 0;
    memcpy(*copy, in, in_len);
    return 1;
}

void dekcache_input_copy_free(unsigned char *copy, size_t in_len)
{
    OPENSSL_clear_free(copy, in_len);
}
