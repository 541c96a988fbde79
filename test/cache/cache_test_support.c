#include "cache_test_support.h"

#include <CUnit/CUnit.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define GATE_LIMIT_MS 5000

uint64_t test_clock_read(void *arg)
{
    return atomic_load(&((test_clock *)arg)->now);
}

static void *checking_alloc(size_t size, void *arg)
{
    checking_allocator *state = arg;
    atomic_fetch_add(&state->live, 1);
    atomic_fetch_add(&state->allocs, 1);
    return OPENSSL_malloc(size);
}

static void checking_free(void *ptr, size_t size, void *arg)
{
    checking_allocator *state = arg;
    const unsigned char *bytes = ptr;
    for (size_t i = 0; i < size; i++) {
        if (bytes[i] != 0) {
            atomic_fetch_add(&state->dirty_frees, 1);
            break;
        }
    }
    atomic_fetch_sub(&state->live, 1);
    atomic_fetch_add(&state->frees, 1);
    OPENSSL_free(ptr);
}

void checking_allocator_init(checking_allocator *state, dek_cache_allocator *hooks)
{
    atomic_init(&state->live, 0);
    atomic_init(&state->allocs, 0);
    atomic_init(&state->frees, 0);
    atomic_init(&state->dirty_frees, 0);
    hooks->alloc = checking_alloc;
    hooks->free = checking_free;
    hooks->arg = state;
}

void sleep_ms(unsigned ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Holds the caller until enough others wait on flights, or the gate limit. */
static void wait_for_gate(counting_upstream *up)
{
    for (int ms = 0; ms < GATE_LIMIT_MS; ms++) {
        dek_cache_stats stats;
        dek_cache_get_stats(up->gate_cache, &stats);
        if (stats.coalesced_waits >= (uint64_t)up->gate_waiters) {
            return;
        }
        sleep_ms(1);
    }
}

int counting_upstream_fn(void *arg, dek_cache_value *out, char *detail, size_t detail_cap)
{
    counting_upstream *up = arg;
    int call = atomic_fetch_add(&up->calls, 1) + 1;
    if (up->gate_cache != NULL) {
        wait_for_gate(up);
    }
    for (int ms = 0; atomic_load(&up->hold) && ms < GATE_LIMIT_MS; ms++) {
        sleep_ms(1); /* nanosleep: a cancellation point */
    }
    int serial = atomic_fetch_add(&up->serial, 1) + 1;
    size_t len = up->blob_len != 0 ? up->blob_len : 32;
    unsigned char *blob = dek_cache_value_reserve(out, len);
    if (blob == NULL) {
        snprintf(detail, detail_cap, "test upstream: out of memory");
        return 99;
    }
    memset(blob, serial & 0xFF, len);
    char head[16];
    int n = snprintf(head, sizeof(head), "DEK-%d", serial);
    memcpy(blob, head, (size_t)n < len ? (size_t)n + 1 : len);
    if (up->wrapping_key != NULL) {
        dek_cache_value_add_wrapping_key(out, up->wrapping_key, strlen(up->wrapping_key));
    }
    if (call <= up->uncacheable_calls) {
        return DEK_CACHE_UPSTREAM_UNCACHEABLE; /* the blob set above must be cleansed */
    }
    if (up->fail_with != 0) {
        /* The blob set above must still be cleansed by the cache. */
        snprintf(detail, detail_cap, "test upstream: KMS said no (call %d)", serial);
        return up->fail_with;
    }
    return 0;
}

int blob_serial(const unsigned char *blob, size_t len)
{
    int serial = -1;
    if (len >= 5 && memcmp(blob, "DEK-", 4) == 0) {
        sscanf((const char *)blob + 4, "%d", &serial);
    }
    return serial;
}

dek_cache *make_cache(size_t capacity, unsigned stripes, test_clock *clock,
                      const dek_cache_allocator *allocator, uint32_t wait_timeout_ms)
{
    dek_cache_config cfg = {.capacity = capacity,
                            .stripes = stripes,
                            .wait_timeout_ms = wait_timeout_ms,
                            .clock = clock != NULL ? test_clock_read : NULL,
                            .clock_arg = clock,
                            .allocator = allocator};
    dek_cache *cache = NULL;
    char detail[128];
    dek_cache_status status = dek_cache_new(&cfg, &cache, detail, sizeof(detail));
    CU_ASSERT_EQUAL_FATAL(status, DEK_CACHE_OK);
    return cache;
}

dek_cache_id test_id(unsigned n)
{
    dek_cache_id id;
    for (size_t i = 0; i < sizeof(id.bytes); i++) {
        id.bytes[i] = (unsigned char)((n * 2654435761u) >> ((i % 4) * 8)) ^ (unsigned char)i;
    }
    return id;
}
