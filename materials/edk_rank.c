#include "materials/edk_rank.h"

#include <string.h>

static int compare_field(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
    if (a_len != b_len)
        return a_len < b_len ? -1 : 1;
    return a_len == 0 ? 0 : memcmp(a, b, a_len);
}

/* A total order on EDK contents. */
static int compare_edks(const esdk_edk *a, const esdk_edk *b)
{
    int c = compare_field(a->provider_id, a->provider_id_len, b->provider_id, b->provider_id_len);
    if (c == 0)
        c = compare_field(a->provider_info, a->provider_info_len, b->provider_info,
                          b->provider_info_len);
    if (c == 0)
        c = compare_field(a->ciphertext, a->ciphertext_len, b->ciphertext, b->ciphertext_len);
    return c;
}

/* How many EDKs sort strictly before edk. */
static long rank(const esdk_edk *edks, size_t count, const esdk_edk *edk)
{
    long below = 0;
    for (size_t i = 0; i < count; i++)
        below += compare_edks(&edks[i], edk) < 0;
    return below;
}

long edk_rank_of(const esdk_edk *edks, size_t count, long index)
{
    if (index < 0 || (size_t)index >= count)
        return -1;
    return rank(edks, count, &edks[index]);
}

long edk_index_of_rank(const esdk_edk *edks, size_t count, long wanted)
{
    for (size_t i = 0; wanted >= 0 && i < count; i++)
        if (rank(edks, count, &edks[i]) == wanted)
            return (long)i;
    return -1;
}
