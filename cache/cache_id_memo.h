#ifndef DEKCACHE_CACHE_CACHE_ID_MEMO_H
#define DEKCACHE_CACHE_CACHE_ID_MEMO_H

/*
 * A per-thread memo of the last encryption ID computed: a thread that encrypts
 * message after message under one context pays a memcmp instead of two
 * SHA-512s (about 2 us). Nothing in it is secret (partition hash, suite, the
 * serialised encryption context and the ID derived from them).
 */

#include "cache/dek_cache_id.h"

/* 1 and *out set when the memo holds exactly these inputs. */
int cache_id_memo_find(const dek_cache_partition *partition, int32_t suite_id, const void *ec,
                       size_t ec_len, dek_cache_id *out);

/* Remembers the ID of these inputs (contexts too large to keep are skipped). */
void cache_id_memo_keep(const dek_cache_partition *partition, int32_t suite_id, const void *ec,
                        size_t ec_len, const dek_cache_id *id);

#endif
