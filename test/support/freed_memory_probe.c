#include "freed_memory_probe.h"

#include <malloc.h>
#include <string.h>

/* glibc's own entry points, which the replacements below forward to. */
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t count, size_t n);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);

enum { MAX_NEEDLES = 4, MAX_NEEDLE_LEN = 256 };

static unsigned char needles[MAX_NEEDLES][MAX_NEEDLE_LEN];
static size_t needle_lens[MAX_NEEDLES];
static size_t needle_count;
static unsigned hits;

/* Blocks held back from the heap by freed_probe_hold. */
enum { MAX_HELD = 1 << 16 };
static void *held[MAX_HELD];
static size_t held_count;
static int holding;
static unsigned unchecked;

int freed_probe_watch(const void *needle, size_t len)
{
    if (needle_count == MAX_NEEDLES || len == 0 || len > MAX_NEEDLE_LEN)
        return -1;
    memcpy(needles[needle_count], needle, len);
    needle_lens[needle_count++] = len;
    return 0;
}

unsigned freed_probe_hits(void)
{
    return hits;
}

static void give_back_held(int search);

void freed_probe_reset(void)
{
    give_back_held(0);
    unchecked = 0;
    /* volatile: the compiler may not drop a clear of memory it sees unused */
    volatile unsigned char *p = &needles[0][0];
    for (size_t i = 0; i < sizeof(needles); i++)
        p[i] = 0;
    memset(needle_lens, 0, sizeof(needle_lens));
    needle_count = 0;
    hits = 0;
}

/* A place for a debugger's breakpoint: its caller freed the copy. */
__attribute__((noinline)) static void probe_hit(void)
{
    hits++;
    __asm__ volatile("" ::: "memory");
}

static void search_block(const void *block)
{
    size_t size = malloc_usable_size((void *)block);
    for (size_t i = 0; i < needle_count; i++)
        if (memmem(block, size, needles[i], needle_lens[i]) != NULL) {
            probe_hit();
            return;
        }
}

void *malloc(size_t n)
{
    return __libc_malloc(n);
}

void *calloc(size_t count, size_t n)
{
    return __libc_calloc(count, n);
}

/* Holds p if it is holding and there is room; 1 when held. */
static int hold_block(void *p)
{
    if (!holding)
        return 0;
    if (held_count == MAX_HELD) {
        unchecked++;
        return 0;
    }
    held[held_count++] = p;
    return 1;
}

void free(void *p)
{
    if (p == NULL || hold_block(p))
        return;
    if (needle_count > 0)
        search_block(p);
    __libc_free(p);
}

static void give_back_held(int search)
{
    holding = 0;
    for (size_t i = 0; i < held_count; i++) {
        if (search && needle_count > 0)
            search_block(held[i]);
        __libc_free(held[i]);
    }
    held_count = 0;
}

void freed_probe_hold(void)
{
    holding = 1;
}

void freed_probe_release_held(void)
{
    give_back_held(1);
}

unsigned freed_probe_unchecked(void)
{
    return unchecked;
}

/* Always moves the block, so that the old one passes through free. */
void *realloc(void *p, size_t n)
{
    if (p == NULL || (needle_count == 0 && !holding))
        return __libc_realloc(p, n);
    if (n == 0) {
        free(p);
        return NULL;
    }
    void *moved = __libc_malloc(n);
    if (moved == NULL)
        return NULL;
    size_t old = malloc_usable_size(p);
    memcpy(moved, p, old < n ? old : n);
    free(p);
    return moved;
}
