#ifndef DEKCACHE_MESSAGE_WIRE_H
#define DEKCACHE_MESSAGE_WIRE_H

/* Internal: big-endian integers and a bounds-checked reader for parsing
 * untrusted bytes. Not part of the public API. */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline void esdk_put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void esdk_put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline void esdk_put_u64(uint8_t *p, uint64_t v)
{
    esdk_put_u32(p, (uint32_t)(v >> 32));
    esdk_put_u32(p + 4, (uint32_t)v);
}

static inline uint16_t esdk_get_u16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t esdk_get_u32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline uint64_t esdk_get_u64(const uint8_t *p)
{
    return ((uint64_t)esdk_get_u32(p) << 32) | esdk_get_u32(p + 4);
}

/* A cursor over untrusted input: every take fails (returns NULL) instead of
 * reading past the end. */
typedef struct {
    const uint8_t *data;
    size_t len;
    size_t pos;
} esdk_reader;

static inline const uint8_t *esdk_take(esdk_reader *r, size_t n)
{
    if (r->len - r->pos < n)
        return NULL;
    const uint8_t *p = r->data + r->pos;
    r->pos += n;
    return p;
}

/* Writes a u16 length followed by the bytes; returns the position after them. */
static inline uint8_t *esdk_put_lv16(uint8_t *p, const uint8_t *bytes, size_t len)
{
    esdk_put_u16(p, (uint16_t)len);
    if (len > 0)
        memcpy(p + 2, bytes, len);
    return p + 2 + len;
}

/* A heap copy of len bytes plus one NUL (a printing convenience); NULL when out of memory. */
uint8_t *esdk_dup_bytes(const void *src, size_t len);

/* Strict UTF-8 (no overlong forms, surrogates or code points above U+10FFFF). */
int esdk_utf8_valid(const uint8_t *s, size_t len);

#endif
