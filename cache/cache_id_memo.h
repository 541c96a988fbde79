#ifndef DEKCACHE_CACHE_CACHE_ID_MEMO_H
#define DEKCACHE_CACHE_CACHE_ID_MEMO_H

/*
 * A per-thread memo of the last encryption ID and the last decryption ID: a
 * thread that handles message after message under one context (and, to
 * decrypt, one set of EDKs) pays a memcmp of the inputs instead of two or more
 * SHA-512s (about 1 us each). Nothing in it is secret: the partition hash,
 * suite, serialised context and EDKs, and the ID derived from them.
 */

#include "cache/dek_cache_id.h"

typedef enum { MEMO_ENCRYPTION = 0, MEMO_DECRYPTION = 1 } memo_slot;

/* 1 and *out set when the slot holds exactly the inputs head then tail. */
int cache_id_memo_find(memo_slot slot, const dek_cache_bytes *head, size_t head_count,
                       const dek_cache_bytes *tail, size_t tail_count, dek_cache_id *out);

/* Remembers the ID of these inputs (inputs too large to keep are skipped). */
void cache_id_memo_keep(memo_slot slot, const dek_cache_bytes *head, size_t head_count,
                        const dek_cache_bytes *tail, size_t tail_count, const dek_cache_id *id);

#endif
