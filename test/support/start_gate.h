/* A start line for worker threads that must begin together. Unlike a pthread
 * barrier for n threads it can be called off: when one of the n cannot be
 * created, a barrier would keep the others waiting for ever, while the gate
 * lets them go, told not to run. Header only, so that any test program or
 * test library can use it without a build change. */
#ifndef DEKCACHE_TEST_START_GATE_H
#define DEKCACHE_TEST_START_GATE_H

#include <pthread.h>
#include <time.h>

/* The longest the creating thread waits for the started workers to reach
 * the gate (they have next to nothing to do before it), so that the wait is
 * bounded; it then opens the gate anyway. */
#define START_GATE_WAIT_S 30

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int waiting; /* workers at the gate */
    int state;   /* 0 closed, 1 open, -1 called off */
} start_gate;

static inline void start_gate_init(start_gate *g)
{
    pthread_mutex_init(&g->lock, NULL);
    pthread_cond_init(&g->cond, NULL);
    g->waiting = 0;
    g->state = 0;
}

/* After every worker has been joined. */
static inline void start_gate_destroy(start_gate *g)
{
    pthread_cond_destroy(&g->cond);
    pthread_mutex_destroy(&g->lock);
}

/* In a worker: blocks until the gate opens (returns 1) or is called off (0). */
static inline int start_gate_wait(start_gate *g)
{
    pthread_mutex_lock(&g->lock);
    g->waiting++;
    pthread_cond_broadcast(&g->cond);
    while (g->state == 0)
        pthread_cond_wait(&g->cond, &g->lock);
    int go = g->state > 0;
    pthread_mutex_unlock(&g->lock);
    return go;
}

/* In the creating thread, which must call it once it has tried to create
 * `wanted` workers, `started` of them successfully: when all started, opens
 * the gate once they all wait at it (so they start together, as from a
 * barrier); otherwise calls it off. Returns 1 when it opened the gate. */
static inline int start_gate_release(start_gate *g, int started, int wanted)
{
    struct timespec deadline;
    int rc = 0, open = started == wanted;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += START_GATE_WAIT_S;
    pthread_mutex_lock(&g->lock);
    while (open && g->waiting < started && rc == 0)
        rc = pthread_cond_timedwait(&g->cond, &g->lock, &deadline);
    g->state = open ? 1 : -1;
    pthread_cond_broadcast(&g->cond);
    pthread_mutex_unlock(&g->lock);
    return open;
}

#endif
