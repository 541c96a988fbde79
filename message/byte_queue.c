#include "message/byte_queue.h"

#include <openssl/crypto.h>
#include <string.h>

uint8_t *esdk_queue_reserve(esdk_byte_queue *q, size_t n)
{
    if (q->buf != NULL && q->cap - q->tail >= n)
        return q->buf + q->tail;
    size_t len = esdk_queue_len(q);
    if (q->head > 0 && q->cap - len >= n) {
        memmove(q->buf, q->buf + q->head, len);
        if (!q->ciphertext_only)
            OPENSSL_cleanse(q->buf + len, q->cap - len);
        q->head = 0;
        q->tail = len;
        return q->buf + q->tail;
    }
    if (len + n < len)
        return NULL;
    size_t cap = q->cap ? q->cap : 4096;
    while (cap < len + n)
        cap = cap * 2 > cap ? cap * 2 : len + n;
    uint8_t *grown = OPENSSL_malloc(cap);
    if (grown == NULL)
        return NULL;
    if (len > 0)
        memcpy(grown, q->buf + q->head, len);
    OPENSSL_clear_free(q->buf, q->cap);
    q->buf = grown;
    q->cap = cap;
    q->head = 0;
    q->tail = len;
    return q->buf + q->tail;
}

void esdk_queue_commit(esdk_byte_queue *q, size_t used)
{
    q->tail += used;
}

int esdk_queue_push(esdk_byte_queue *q, const uint8_t *data, size_t n)
{
    if (n == 0)
        return 1;
    uint8_t *p = esdk_queue_reserve(q, n);
    if (p == NULL)
        return 0;
    memcpy(p, data, n);
    q->tail += n;
    return 1;
}

void esdk_queue_consume(esdk_byte_queue *q, size_t n)
{
    if (!q->ciphertext_only)
        OPENSSL_cleanse(q->buf + q->head, n);
    q->head += n;
    if (q->head == q->tail)
        q->head = q->tail = 0;
}

size_t esdk_queue_pop(esdk_byte_queue *q, uint8_t *out, size_t cap)
{
    size_t n = esdk_queue_len(q);
    if (n > cap)
        n = cap;
    if (n == 0)
        return 0;
    memcpy(out, q->buf + q->head, n);
    esdk_queue_consume(q, n);
    return n;
}

void esdk_queue_free(esdk_byte_queue *q)
{
    OPENSSL_clear_free(q->buf, q->cap);
    memset(q, 0, sizeof(*q));
}
