#ifndef DEKCACHE_TEST_FREED_MEMORY_PROBE_H
#define DEKCACHE_TEST_FREED_MEMORY_PROBE_H

/* Replaces malloc/calloc/realloc/free in the test binary that links it, so
 * that every block given back to the heap (by free, or by a realloc that
 * moves it) is searched for secrets first. A secret that turns up in freed
 * memory is a copy somebody forgot to cleanse. Not for sanitizer builds:
 * they own the allocator. */

#include <stddef.h>

/* Searches freed blocks for these bytes from now on (at most 4 needles;
 * the bytes are copied). Returns 0, or -1 when full or too long. */
int freed_probe_watch(const void *needle, size_t len);
/* Blocks freed while a needle was watched and that held one. */
unsigned freed_probe_hits(void);
/* Forgets every needle (cleansing the probe's copies) and resets the count. */
void freed_probe_reset(void);

#endif
