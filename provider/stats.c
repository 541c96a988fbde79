#include "provider/stats.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "cache/dek_cache.h"
#include "kms/client/kms_client.h"

typedef struct {
    char *out;
    size_t cap;
    size_t len;
    int overflow;
} json_writer;

static void append(json_writer *w, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Appends to the document unless it has already overflowed. */
static void append(json_writer *w, const char *fmt, ...)
{
    if (w->overflow)
        return;
    va_list args;
    va_start(args, fmt);
    int n = vsnprintf(w->out + w->len, w->cap - w->len, fmt, args);
    va_end(args);
    if (n < 0 || (size_t)n >= w->cap - w->len)
        w->overflow = 1;
    else
        w->len += (size_t)n;
}

static void put(json_writer *w, const char *key, uint64_t value, const char *after)
{
    append(w, "\"%s\": %" PRIu64 "%s", key, value, after);
}

static void put_cache(json_writer *w, const dek_cache *cache)
{
    dek_cache_stats s;
    dek_cache_get_stats(cache, &s); /* made at provider init, never NULL here */
    append(w, "\"cache\": {");
    put(w, "hits", s.hits, ", ");
    put(w, "misses", s.misses, ", ");
    put(w, "coalesced_waits", s.coalesced_waits, ", ");
    put(w, "bypasses", s.bypasses, ", ");
    put(w, "upstream_calls", s.upstream_calls, ", ");
    put(w, "upstream_failures", s.upstream_failures, ", ");
    put(w, "wait_timeouts", s.wait_timeouts, ", ");
    put(w, "entries", s.entries, ", ");
    append(w, "\"evictions\": {");
    put(w, "lru", s.evicted_lru, ", ");
    put(w, "ttl", s.evicted_ttl, ", ");
    put(w, "exhausted", s.evicted_exhausted, ", ");
    put(w, "invalidated", s.evicted_invalidated, ", ");
    put(w, "fork", s.evicted_fork, "}}");
}

/* "name": {"GenerateDataKey": n, ...}, */
static void put_per_operation(json_writer *w, const char *name, const uint64_t *counts)
{
    append(w, "\"%s\": {", name);
    for (int op = 0; op < KMS_OP_COUNT; op++)
        put(w, kms_client_operation_name(op), counts[op], op + 1 < KMS_OP_COUNT ? ", " : "}, ");
}

/* Zeros before the first KMS call: the client is made on first use. */
static void put_kms(json_writer *w, const kms_client *client)
{
    kms_client_stats s = {0};
    if (client != NULL)
        kms_client_get_stats(client, &s);
    append(w, "\"kms\": {");
    put_per_operation(w, "calls", s.calls);
    put_per_operation(w, "failures", s.failures);
    put(w, "retries", s.retries, "}");
}

int dekcache_stats_json(const dekcache_provctx *ctx, char *out, size_t cap)
{
    json_writer w = {out, cap, 0, cap == 0};
    append(&w, "{");
    put_cache(&w, ctx->cache);
    append(&w, ", ");
    put_kms(&w, __atomic_load_n(&ctx->kms, __ATOMIC_ACQUIRE));
    append(&w, "}");
    return !w.overflow;
}
