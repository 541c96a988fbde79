/* Fork detection without relying on pthread_atfork alone. */
#include "cache/cache_fork.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK 18
#endif

static pthread_once_t guard_once = PTHREAD_ONCE_INIT;
static int guard_ok;
/* Non-zero in the process that armed it; a child reads 0 (WIPEONFORK). */
static _Atomic uint64_t *armed_word;
static _Atomic uint64_t generation;

/* Runs in the child: count the fork and re-arm, so the page does not count it again. */
static void on_fork_child(void)
{
    atomic_fetch_add(&generation, 1);
    if (armed_word != NULL) {
        atomic_store(armed_word, 1);
    }
}

static void guard_setup(void)
{
    long page = sysconf(_SC_PAGESIZE);
    void *map =
        mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map != MAP_FAILED && madvise(map, (size_t)page, MADV_WIPEONFORK) == 0) {
        armed_word = map;
        atomic_store(armed_word, 1);
    } else if (map != MAP_FAILED) {
        munmap(map, (size_t)page); /* kernel < 4.14: pthread_atfork alone */
    }
    guard_ok = pthread_atfork(NULL, NULL, on_fork_child) == 0;
}

int cache_fork_guard_init(void)
{
    return pthread_once(&guard_once, guard_setup) == 0 && guard_ok;
}

uint64_t cache_fork_generation(void)
{
    if (armed_word != NULL && atomic_load_explicit(armed_word, memory_order_acquire) == 0) {
        /* A fork that skipped the atfork handlers (raw clone): count it once. */
        uint64_t expected = 0;
        if (atomic_compare_exchange_strong(armed_word, &expected, 1)) {
            atomic_fetch_add(&generation, 1);
        }
    }
    return atomic_load_explicit(&generation, memory_order_acquire);
}
