/* Per-thread memo of the last encryption cache ID. */
#include "cache/cache_id_memo.h"

#include <stdbool.h>
#include <string.h>

/* Contexts up to this size are remembered; typical ones are far smaller. */
#define MEMO_MAX_EC 2048

typedef struct {
    bool valid;
    int32_t suite_id;
    size_t ec_len;
    dek_cache_partition partition;
    dek_cache_id id;
    unsigned char ec[MEMO_MAX_EC];
} id_memo;

static _Thread_local id_memo memo;

int cache_id_memo_find(const dek_cache_partition *partition, int32_t suite_id, const void *ec,
                       size_t ec_len, dek_cache_id *out)
{
    if (!memo.valid || memo.suite_id != suite_id || memo.ec_len != ec_len ||
        memcmp(memo.partition.hash, partition->hash, sizeof(partition->hash)) != 0 ||
        (ec_len != 0 && memcmp(memo.ec, ec, ec_len) != 0)) {
        return 0;
    }
    *out = memo.id;
    return 1;
}

void cache_id_memo_keep(const dek_cache_partition *partition, int32_t suite_id, const void *ec,
                        size_t ec_len, const dek_cache_id *id)
{
    if (ec_len > MEMO_MAX_EC) {
        memo.valid = false;
        return;
    }
    memo.suite_id = suite_id;
    memo.ec_len = ec_len;
    memo.partition = *partition;
    memo.id = *id;
    if (ec_len != 0) {
        memcpy(memo.ec, ec, ec_len);
    }
    memo.valid = true;
}
