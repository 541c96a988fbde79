#ifndef DEKCACHE_CACHE_CACHE_FORK_H
#define DEKCACHE_CACHE_CACHE_FORK_H

/*
 * Process generation: changes exactly once in a child after fork(), detected by
 * a MADV_WIPEONFORK page (works for raw clone() too) and by pthread_atfork.
 */

#include <stdint.h>

/* Sets up the page and the atfork handler once; returns 0 if that failed. */
int cache_fork_guard_init(void);

/* Cheap: one load of the page and one of the counter. Needs cache_fork_guard_init. */
uint64_t cache_fork_generation(void);

#endif
