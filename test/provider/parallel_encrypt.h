#ifndef DEKCACHE_TEST_PARALLEL_ENCRYPT_H
#define DEKCACHE_TEST_PARALLEL_ENCRYPT_H

#include <stddef.h>

#include "provider_fixture.h"

/* What a parallel run of encryptions used, read back from the message
 * headers: each message's first EDK identifies its data key. */
typedef struct {
    size_t messages;      /* messages encrypted and parsed */
    size_t distinct_keys; /* data keys (distinct EDK ciphertexts) */
    size_t busiest_key;   /* most messages one data key served */
    int failures;
} key_usage;

/* `threads` threads each encrypt `per_thread` 1 KiB messages with their
 * length declared (so the cache is used), starting together. When a thread
 * cannot be created, none encrypts and every message counts in failures. */
void parallel_encrypt(const provider_fixture *fx, int threads, int per_thread, key_usage *out);

#endif
