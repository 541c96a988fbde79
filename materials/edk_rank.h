#ifndef DEKCACHE_MATERIALS_EDK_RANK_H
#define DEKCACHE_MATERIALS_EDK_RANK_H

#include "message/materials.h"

/* A decryption cache entry is shared by every message with the same set of
 * EDKs in any order (the cache ID sorts them), so the EDK that was used is
 * stored by its rank in a fixed order of the EDKs' contents, and found again
 * in each message's own order. Identical EDKs share a rank. */

/* The rank of edks[index] (-1 stays -1). */
long edk_rank_of(const esdk_edk *edks, size_t count, long index);

/* An index in edks with that rank (among identical EDKs, any); -1 when the
 * rank is out of range or memory runs out. */
long edk_index_of_rank(const esdk_edk *edks, size_t count, long rank);

#endif
