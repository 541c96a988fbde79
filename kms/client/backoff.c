#include "kms/client/backoff.h"

#include <errno.h>
#include <openssl/rand.h>
#include <stdint.h>
#include <time.h>

long backoff_ceiling_ms(int retry, long base_ms, long cap_ms)
{
    long ceiling = base_ms;
    for (int i = 1; i < retry && ceiling < cap_ms; i++) {
        ceiling *= 2;
    }
    return ceiling < cap_ms ? ceiling : cap_ms;
}

long backoff_delay_ms(OSSL_LIB_CTX *libctx, int retry, long base_ms, long cap_ms)
{
    long ceiling = backoff_ceiling_ms(retry, base_ms, cap_ms);
    uint32_t r = 0;
    if (ceiling <= 0 || RAND_bytes_ex(libctx, (unsigned char *)&r, sizeof(r), 0) != 1) {
        return ceiling > 0 ? ceiling : 0;
    }
    return (long)((uint64_t)r * (uint64_t)(ceiling + 1) >> 32);
}

long long backoff_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void backoff_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (ms > 0 && nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}
