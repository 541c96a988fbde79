/* Per-thread memo of the last cache ID of each kind. */
#include "cache/cache_id_memo.h"

#include <stdbool.h>
#include <string.h>

/* Inputs up to this size (with an 8-byte length per part) are remembered;
 * typical contexts and EDK lists are far smaller. */
#define MEMO_MAX 4096

typedef struct {
    bool valid;
    size_t used;
    dek_cache_id id;
    unsigned char inputs[MEMO_MAX]; /* per part: u64 length, then the bytes */
} id_memo;

static _Thread_local id_memo memos[2];

/* Compares parts with the memo's inputs from *at on, advancing *at. */
static int parts_match(const id_memo *m, size_t *at, const dek_cache_bytes *parts, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        uint64_t len;
        if (m->used - *at < sizeof(len)) {
            return 0;
        }
        memcpy(&len, m->inputs + *at, sizeof(len));
        *at += sizeof(len);
        if (len != parts[i].len || m->used - *at < len ||
            (len != 0 && memcmp(m->inputs + *at, parts[i].data, len) != 0)) {
            return 0;
        }
        *at += len;
    }
    return 1;
}

int cache_id_memo_find(memo_slot slot, const dek_cache_bytes *head, size_t head_count,
                       const dek_cache_bytes *tail, size_t tail_count, dek_cache_id *out)
{
    const id_memo *m = &memos[slot];
    size_t at = 0;
    if (!m->valid || !parts_match(m, &at, head, head_count) ||
        !parts_match(m, &at, tail, tail_count) || at != m->used) {
        return 0;
    }
    *out = m->id;
    return 1;
}

/* Appends parts to the memo's inputs; 0 when they do not fit. */
static int append_parts(id_memo *m, const dek_cache_bytes *parts, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        uint64_t len = parts[i].len;
        if (MEMO_MAX - m->used < sizeof(len) || MEMO_MAX - m->used - sizeof(len) < len) {
            return 0;
        }
        memcpy(m->inputs + m->used, &len, sizeof(len));
        m->used += sizeof(len);
        if (len != 0) {
            memcpy(m->inputs + m->used, parts[i].data, len);
        }
        m->used += len;
    }
    return 1;
}

void cache_id_memo_keep(memo_slot slot, const dek_cache_bytes *head, size_t head_count,
                        const dek_cache_bytes *tail, size_t tail_count, const dek_cache_id *id)
{
    id_memo *m = &memos[slot];
    m->used = 0;
    m->valid = append_parts(m, head, head_count) && append_parts(m, tail, tail_count);
    m->id = *id;
}
