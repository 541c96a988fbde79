#ifndef DEKCACHE_MESSAGE_BYTE_QUEUE_H
#define DEKCACHE_MESSAGE_BYTE_QUEUE_H

/* Internal: a FIFO of bytes. A queue that may hold plaintext cleanses every
 * byte it drops; one marked ciphertext_only (message bytes, public anyway)
 * skips that work on the per-frame path. */

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint8_t *buf;
    size_t cap;
    size_t head;         /* first unread byte */
    size_t tail;         /* one past the last byte */
    int ciphertext_only; /* set by the owner: nothing secret ever enters */
} esdk_byte_queue;

static inline size_t esdk_queue_len(const esdk_byte_queue *q)
{
    return q->tail - q->head;
}

static inline const uint8_t *esdk_queue_data(const esdk_byte_queue *q)
{
    return q->buf + q->head;
}

/* Room for n more bytes at the tail (NULL when out of memory); esdk_queue_commit
 * makes the first `used` of them part of the queue. */
uint8_t *esdk_queue_reserve(esdk_byte_queue *q, size_t n);
void esdk_queue_commit(esdk_byte_queue *q, size_t used);
int esdk_queue_push(esdk_byte_queue *q, const uint8_t *data, size_t n);
/* Copies up to cap bytes out and removes them; returns the count. */
size_t esdk_queue_pop(esdk_byte_queue *q, uint8_t *out, size_t cap);
/* Removes n bytes from the head without copying (cleansing them). */
void esdk_queue_consume(esdk_byte_queue *q, size_t n);
void esdk_queue_free(esdk_byte_queue *q);

#endif
