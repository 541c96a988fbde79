#include "materials/edk_rank.h"

#include <openssl/crypto.h>
#include <stdlib.h>
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

long edk_rank_of(const esdk_edk *edks, size_t count, long index)
{
    if (index < 0 || (size_t)index >= count)
        return -1;
    long below = 0; /* how many EDKs sort strictly before it */
    for (size_t i = 0; i < count; i++)
        below += compare_edks(&edks[i], &edks[index]) < 0;
    return below;
}

static int compare_edk_pointers(const void *a, const void *b)
{
    return compare_edks(*(const esdk_edk *const *)a, *(const esdk_edk *const *)b);
}

/* Sorted by content, the first EDK of each run of equal ones sits at its
 * rank; n log n, since this runs on every decryption cache hit and the
 * header may list up to 65535 EDKs. */
long edk_index_of_rank(const esdk_edk *edks, size_t count, long wanted)
{
    if (wanted < 0 || (size_t)wanted >= count)
        return -1;
    if (count == 1)
        return 0; /* the common case: nothing to sort */
    const esdk_edk *stack[16],
        **sorted = count <= 16 ? stack : OPENSSL_malloc(count * sizeof(*sorted));
    if (sorted == NULL)
        return -1;
    for (size_t i = 0; i < count; i++)
        sorted[i] = &edks[i];
    qsort(sorted, count, sizeof(*sorted), compare_edk_pointers);
    long index = (long)(sorted[wanted] - edks);
    if (sorted != stack)
        OPENSSL_free(sorted);
    return index;
}
