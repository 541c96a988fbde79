/* sleep_ms for test programs (header only, like start_gate.h). */
#ifndef DEKCACHE_TEST_SLEEP_MS_H
#define DEKCACHE_TEST_SLEEP_MS_H

#include <time.h>

static inline void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

#endif
