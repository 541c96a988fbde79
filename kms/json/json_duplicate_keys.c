#include "kms/json/json_duplicate_keys.h"

#include <openssl/crypto.h>
#include <stdint.h>
#include <string.h>

/* A member name, unescaped, so that "a" and "\u0061" count as one (json-c
 * compares them unescaped too). */
typedef struct {
    uint64_t hash;
    char *bytes;
    size_t len;
} member_name;

typedef struct {
    int is_object;
    int expect_name; /* in an object, the next string is a member name */
    member_name *names;
    size_t n, cap;
    /* Open addressing over names (index + 1; 0 = empty), so an object with
     * many members costs linear time, not quadratic. */
    size_t *slots;
    size_t slot_mask;
} level;

typedef struct {
    const char *p, *end;
    level *levels;
    int depth; /* -1: outside every container */
    int max_depth;
    char *buf; /* one name being unescaped */
    size_t buf_len, buf_cap;
} scanner;

typedef enum { SCAN_GO_ON, SCAN_STOP, SCAN_REPEATED, SCAN_NO_MEMORY } scan_step;

static uint64_t fnv1a(const char *bytes, size_t len)
{
    uint64_t h = UINT64_C(14695981039346656037);
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)bytes[i]) * UINT64_C(1099511628211);
    return h;
}

static int buf_put(scanner *s, const char *bytes, size_t n)
{
    if (s->buf_len + n > s->buf_cap) {
        size_t cap = (s->buf_len + n) * 2 + 32;
        char *grown = OPENSSL_realloc(s->buf, cap);
        if (grown == NULL)
            return 0;
        s->buf = grown;
        s->buf_cap = cap;
    }
    memcpy(s->buf + s->buf_len, bytes, n);
    s->buf_len += n;
    return 1;
}

static int hex4(const char *p, const char *end, unsigned *out)
{
    unsigned v = 0;
    if (end - p < 4)
        return 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
                     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                     : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
                                            : 16u;
        if (d == 16)
            return 0;
        v = v * 16 + d;
    }
    *out = v;
    return 1;
}

static int put_utf8(scanner *s, unsigned cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return buf_put(s, u, n);
}

/* \uXXXX at p (after the backslash and 'u'), with a following low surrogate
 * joined to a high one; an unpaired surrogate stands for U+FFFD. Returns the
 * position after it, or NULL when malformed. */
static const char *unicode_escape(scanner *s, const char *p, int *ok)
{
    unsigned cp, low;
    if (!hex4(p, s->end, &cp))
        return NULL;
    p += 4;
    if (cp >= 0xD800 && cp < 0xDC00 && s->end - p >= 6 && p[0] == '\\' && p[1] == 'u' &&
        hex4(p + 2, s->end, &low) && low >= 0xDC00 && low < 0xE000) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        p += 6;
    } else if (cp >= 0xD800 && cp < 0xE000) {
        cp = 0xFFFD;
    }
    *ok = put_utf8(s, cp);
    return p;
}

static char simple_escape(char c)
{
    switch (c) {
    case '"':
    case '\\':
    case '/':
        return c;
    case 'b':
        return '\b';
    case 'f':
        return '\f';
    case 'n':
        return '\n';
    case 'r':
        return '\r';
    case 't':
        return '\t';
    default:
        return 0;
    }
}

/* The string whose opening quote s->p is on; unescaped into s->buf when
 * keep is set. SCAN_STOP when it does not end properly. */
static scan_step string(scanner *s, int keep)
{
    const char *p = s->p + 1;
    s->buf_len = 0;
    while (p < s->end && *p != '"') {
        if (*p != '\\') {
            const char *run = p;
            while (p < s->end && *p != '"' && *p != '\\')
                p++;
            if (keep && !buf_put(s, run, (size_t)(p - run)))
                return SCAN_NO_MEMORY;
            continue;
        }
        if (s->end - p < 2)
            return SCAN_STOP;
        int ok = 1;
        char c = p[1];
        if (c == 'u') {
            p = keep ? unicode_escape(s, p + 2, &ok) : p + 6;
            if (p == NULL || p > s->end)
                return SCAN_STOP;
        } else {
            char decoded = simple_escape(c);
            if (decoded == 0)
                return SCAN_STOP;
            ok = !keep || buf_put(s, &decoded, 1);
            p += 2;
        }
        if (!ok)
            return SCAN_NO_MEMORY;
    }
    if (p >= s->end)
        return SCAN_STOP;
    s->p = p + 1;
    return SCAN_GO_ON;
}

static int same_name(const member_name *m, uint64_t hash, const char *bytes, size_t len)
{
    return m->hash == hash && m->len == len && (len == 0 || memcmp(m->bytes, bytes, len) == 0);
}

static void slot_put(level *l, size_t index)
{
    size_t i = (size_t)l->names[index].hash & l->slot_mask;
    while (l->slots[i] != 0)
        i = (i + 1) & l->slot_mask;
    l->slots[i] = index + 1;
}

/* Keeps the table at most half full. */
static int slots_make_room(level *l)
{
    size_t size = l->slots != NULL ? l->slot_mask + 1 : 0;
    if ((l->n + 1) * 2 <= size)
        return 1;
    size_t grown = size != 0 ? size * 2 : 16;
    size_t *slots = OPENSSL_zalloc(grown * sizeof(*slots));
    if (slots == NULL)
        return 0;
    OPENSSL_free(l->slots);
    l->slots = slots;
    l->slot_mask = grown - 1;
    for (size_t k = 0; k < l->n; k++)
        slot_put(l, k);
    return 1;
}

static scan_step add_name(scanner *s, level *l)
{
    uint64_t hash = fnv1a(s->buf, s->buf_len);
    if (!slots_make_room(l))
        return SCAN_NO_MEMORY;
    for (size_t i = (size_t)hash & l->slot_mask; l->slots[i] != 0; i = (i + 1) & l->slot_mask) {
        if (same_name(&l->names[l->slots[i] - 1], hash, s->buf, s->buf_len))
            return SCAN_REPEATED;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap * 2 + 8;
        member_name *grown = OPENSSL_realloc(l->names, cap * sizeof(*grown));
        if (grown == NULL)
            return SCAN_NO_MEMORY;
        l->names = grown;
        l->cap = cap;
    }
    char *copy = OPENSSL_memdup(s->buf_len > 0 ? s->buf : "", s->buf_len > 0 ? s->buf_len : 1);
    if (copy == NULL)
        return SCAN_NO_MEMORY;
    l->names[l->n] = (member_name){hash, copy, s->buf_len};
    slot_put(l, l->n++);
    return SCAN_GO_ON;
}

static void clear_level(level *l)
{
    for (size_t i = 0; i < l->n; i++)
        OPENSSL_free(l->names[i].bytes);
    l->n = 0;
    /* Freed, not zeroed: a sibling object must not pay for a large one. */
    OPENSSL_free(l->slots);
    l->slots = NULL;
    l->slot_mask = 0;
}

/* Beyond max_depth json-c stops with an error before building anything
 * deeper, so the scan stops there too: every name it could keep was checked
 * as it was met. */
static scan_step open_container(scanner *s, int is_object)
{
    if (s->depth + 1 > s->max_depth)
        return SCAN_STOP;
    level *l = &s->levels[++s->depth];
    l->is_object = is_object;
    l->expect_name = is_object;
    s->p++;
    return SCAN_GO_ON;
}

static scan_step close_container(scanner *s)
{
    if (s->depth < 0)
        return SCAN_STOP;
    clear_level(&s->levels[s->depth--]);
    s->p++;
    return SCAN_GO_ON;
}

static scan_step at_string(scanner *s)
{
    level *l = s->depth >= 0 ? &s->levels[s->depth] : NULL;
    int is_name = l != NULL && l->is_object && l->expect_name;
    scan_step step = string(s, is_name);
    if (step != SCAN_GO_ON || !is_name)
        return step;
    l->expect_name = 0;
    return add_name(s, l);
}

static scan_step step(scanner *s)
{
    level *l = s->depth >= 0 ? &s->levels[s->depth] : NULL;
    switch (*s->p) {
    case '{':
        return open_container(s, 1);
    case '[':
        return open_container(s, 0);
    case '}':
    case ']':
        return close_container(s);
    case '"':
        return at_string(s);
    case ',':
        if (l != NULL && l->is_object)
            l->expect_name = 1;
        s->p++;
        return SCAN_GO_ON;
    default:
        s->p++; /* numbers, literals, ':' and whitespace hold no names */
        return SCAN_GO_ON;
    }
}

json_keys_verdict json_duplicate_keys_scan(const char *text, size_t len, int max_depth)
{
    scanner s = {text, text + len, NULL, -1, max_depth > 0 ? max_depth : 1, NULL, 0, 0};
    /* One level more than json-c can build: never short of the parser. */
    s.levels = OPENSSL_zalloc(((size_t)s.max_depth + 1) * sizeof(*s.levels));
    if (s.levels == NULL)
        return JSON_KEYS_NO_MEMORY;
    scan_step st = SCAN_GO_ON;
    while (st == SCAN_GO_ON && s.p < s.end)
        st = step(&s);
    for (int i = 0; i <= s.max_depth; i++) {
        clear_level(&s.levels[i]);
        OPENSSL_free(s.levels[i].names);
    }
    OPENSSL_free(s.levels);
    OPENSSL_free(s.buf);
    return st == SCAN_REPEATED    ? JSON_KEYS_REPEATED
           : st == SCAN_NO_MEMORY ? JSON_KEYS_NO_MEMORY
                                  : JSON_KEYS_DISTINCT;
}
