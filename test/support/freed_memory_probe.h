#ifndef DEKCACHE_TEST_FREED_MEMORY_PROBE_H
#define DEKCACHE_TEST_FREED_MEMORY_PROBE_H

/* Replaces malloc/calloc/realloc/free in the test binary that links it, so
 * that every block given back to the heap (by free, or by a realloc that
 * moves it) is searched for secrets first. A secret that turns up in freed
 * memory is a copy somebody forgot to cleanse. Not for sanitizer builds:
 * they own the allocator; not thread-safe (the tests using it free from one
 * thread). */

#include <stddef.h>

/* Searches freed blocks for these bytes from now on (at most 4 needles;
 * the bytes are copied). Returns 0, or -1 when full or too long. */
int freed_probe_watch(const void *needle, size_t len);
/* Blocks freed while a needle was watched and that held one. */
unsigned freed_probe_hits(void);
/* Forgets every needle (cleansing the probe's copies) and resets the
 * counts; releases held blocks unsearched. */
void freed_probe_reset(void);

/* For a secret that is only known after the code under test ran (a data key
 * made inside it): from now on freed blocks are held, not given back, up to
 * a bound (blocks freed beyond it are counted by freed_probe_unchecked). */
void freed_probe_hold(void);
/* Searches every held block for the needles watched now, gives them back
 * and stops holding. */
void freed_probe_release_held(void);
/* Blocks freed while holding that could not be held, so were not searched. */
unsigned freed_probe_unchecked(void);

#endif
