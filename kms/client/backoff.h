#ifndef DEKCACHE_KMS_CLIENT_BACKOFF_H
#define DEKCACHE_KMS_CLIENT_BACKOFF_H

#include <openssl/types.h>

/* Capped exponential backoff with full jitter: before retry n (1, 2, ...) wait a
 * uniformly random time in [0, min(cap, base * 2^(n-1))] milliseconds. */
long backoff_ceiling_ms(int retry, long base_ms, long cap_ms);

/* A random wait for the retry, drawn with RAND_bytes_ex from libctx. */
long backoff_delay_ms(OSSL_LIB_CTX *libctx, int retry, long base_ms, long cap_ms);

/* Milliseconds on the monotonic clock. */
long long backoff_now_ms(void);
void backoff_sleep_ms(long ms);

#endif
