#include <openssl/crypto.h>
#include <string.h>

#include "message/materials.h"
#include "message/wire.h"

/* Byte order of keys: memcmp over the common prefix, then the shorter first. */
static int compare_keys(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;
    if (c != 0)
        return c;
    return alen < blen ? -1 : (alen > blen ? 1 : 0);
}

/* Index of the key if present (*found = 1), else the index to insert it at. */
static size_t find_slot(const esdk_enc_context *ec, const void *key, size_t key_len, int *found)
{
    size_t lo = 0, hi = ec->count;
    *found = 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = compare_keys(ec->pairs[mid].key, ec->pairs[mid].key_len, key, key_len);
        if (c == 0) {
            *found = 1;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static esdk_status reserve(esdk_enc_context *ec)
{
    if (ec->count < ec->capacity)
        return ESDK_OK;
    size_t cap = ec->capacity ? ec->capacity * 2 : 4;
    esdk_ec_pair *pairs = OPENSSL_realloc(ec->pairs, cap * sizeof(*pairs));
    if (pairs == NULL)
        return ESDK_ERR_ALLOC;
    ec->pairs = pairs;
    ec->capacity = cap;
    return ESDK_OK;
}

/* Sets key to value; a key already present is replaced, or (replace == 0)
 * refused as a duplicate. */
static esdk_status put_pair(esdk_enc_context *ec, const void *key, size_t key_len,
                            const void *value, size_t value_len, int replace)
{
    if (key_len > 0xFFFF || value_len > 0xFFFF || !esdk_utf8_valid(key, key_len) ||
        !esdk_utf8_valid(value, value_len))
        return ESDK_ERR_BAD_CONTEXT;
    int found;
    size_t slot = find_slot(ec, key, key_len, &found);
    if (found && !replace)
        return ESDK_ERR_BAD_CONTEXT;
    uint8_t *v = esdk_dup_bytes(value, value_len);
    if (v == NULL)
        return ESDK_ERR_ALLOC;
    if (found) {
        OPENSSL_free(ec->pairs[slot].value);
        ec->pairs[slot].value = v;
        ec->pairs[slot].value_len = value_len;
        return ESDK_OK;
    }
    uint8_t *k = esdk_dup_bytes(key, key_len);
    if (k == NULL || reserve(ec) != ESDK_OK) {
        OPENSSL_free(k);
        OPENSSL_free(v);
        return ESDK_ERR_ALLOC;
    }
    memmove(&ec->pairs[slot + 1], &ec->pairs[slot], (ec->count - slot) * sizeof(ec->pairs[0]));
    ec->pairs[slot] = (esdk_ec_pair){k, key_len, v, value_len};
    ec->count++;
    return ESDK_OK;
}

esdk_status esdk_ec_set(esdk_enc_context *ec, const void *key, size_t key_len, const void *value,
                        size_t value_len)
{
    return put_pair(ec, key, key_len, value, value_len, 1);
}

esdk_status esdk_ec_set_str(esdk_enc_context *ec, const char *key, const char *value)
{
    return esdk_ec_set(ec, key, strlen(key), value, strlen(value));
}

const esdk_ec_pair *esdk_ec_get(const esdk_enc_context *ec, const void *key, size_t key_len)
{
    int found;
    size_t slot = find_slot(ec, key, key_len, &found);
    return found ? &ec->pairs[slot] : NULL;
}

int esdk_ec_remove(esdk_enc_context *ec, const void *key, size_t key_len)
{
    int found;
    size_t slot = find_slot(ec, key, key_len, &found);
    if (!found)
        return 0;
    OPENSSL_free(ec->pairs[slot].key);
    OPENSSL_free(ec->pairs[slot].value);
    memmove(&ec->pairs[slot], &ec->pairs[slot + 1], (ec->count - slot - 1) * sizeof(ec->pairs[0]));
    ec->count--;
    return 1;
}

int esdk_ec_has_reserved_key(const esdk_enc_context *ec)
{
    size_t plen = strlen(ESDK_EC_RESERVED_PREFIX);
    for (size_t i = 0; i < ec->count; i++) {
        if (ec->pairs[i].key_len >= plen &&
            memcmp(ec->pairs[i].key, ESDK_EC_RESERVED_PREFIX, plen) == 0)
            return 1;
    }
    return 0;
}

esdk_status esdk_ec_copy(esdk_enc_context *dst, const esdk_enc_context *src)
{
    memset(dst, 0, sizeof(*dst));
    for (size_t i = 0; i < src->count; i++) {
        const esdk_ec_pair *p = &src->pairs[i];
        esdk_status st = esdk_ec_set(dst, p->key, p->key_len, p->value, p->value_len);
        if (st != ESDK_OK) {
            esdk_ec_clear(dst);
            return st;
        }
    }
    return ESDK_OK;
}

esdk_status esdk_ec_required_view(const esdk_enc_context *stored,
                                  const esdk_enc_context *reproduced, esdk_ec_pair *pairs,
                                  esdk_enc_context *view, const esdk_ec_pair **conflict)
{
    *view = (esdk_enc_context){pairs, 0, 0};
    for (size_t i = 0; reproduced != NULL && i < reproduced->count; i++) {
        const esdk_ec_pair *r = &reproduced->pairs[i];
        const esdk_ec_pair *s = esdk_ec_get(stored, r->key, r->key_len);
        if (s == NULL) {
            pairs[view->count++] = *r; /* in key order, as reproduced is */
        } else if (s->value_len != r->value_len || memcmp(s->value, r->value, r->value_len) != 0) {
            if (conflict != NULL)
                *conflict = r;
            return ESDK_ERR_CONTEXT_MISMATCH;
        }
    }
    return ESDK_OK;
}

int esdk_ec_equal(const esdk_enc_context *a, const esdk_enc_context *b)
{
    if (a->count != b->count)
        return 0;
    for (size_t i = 0; i < a->count; i++) {
        const esdk_ec_pair *x = &a->pairs[i], *y = &b->pairs[i];
        if (compare_keys(x->key, x->key_len, y->key, y->key_len) != 0 ||
            compare_keys(x->value, x->value_len, y->value, y->value_len) != 0)
            return 0;
    }
    return 1;
}

void esdk_ec_clear(esdk_enc_context *ec)
{
    for (size_t i = 0; i < ec->count; i++) {
        OPENSSL_free(ec->pairs[i].key);
        OPENSSL_free(ec->pairs[i].value);
    }
    OPENSSL_free(ec->pairs);
    memset(ec, 0, sizeof(*ec));
}

size_t esdk_ec_serialized_size(const esdk_enc_context *ec)
{
    if (ec->count == 0)
        return 0;
    size_t n = 2;
    for (size_t i = 0; i < ec->count; i++)
        n += 4 + ec->pairs[i].key_len + ec->pairs[i].value_len;
    return n;
}

esdk_status esdk_ec_serialize(const esdk_enc_context *ec, uint8_t *out, size_t out_len)
{
    size_t need = esdk_ec_serialized_size(ec);
    if (need > 0xFFFF || ec->count > 0xFFFF)
        return ESDK_ERR_CONTEXT_TOO_LARGE;
    if (out_len < need)
        return ESDK_ERR_INVALID_ARGUMENT;
    if (need == 0)
        return ESDK_OK;
    esdk_put_u16(out, (uint16_t)ec->count);
    uint8_t *p = out + 2;
    for (size_t i = 0; i < ec->count; i++) {
        p = esdk_put_lv16(p, ec->pairs[i].key, ec->pairs[i].key_len);
        p = esdk_put_lv16(p, ec->pairs[i].value, ec->pairs[i].value_len);
    }
    return ESDK_OK;
}

/* Reads a u16-length-prefixed string (put_pair checks its UTF-8). */
static const uint8_t *take_string(esdk_reader *r, size_t *len)
{
    const uint8_t *lp = esdk_take(r, 2);
    if (lp == NULL)
        return NULL;
    *len = esdk_get_u16(lp);
    return esdk_take(r, *len);
}

esdk_status esdk_ec_parse(esdk_enc_context *ec, const uint8_t *in, size_t len, char *detail,
                          size_t detail_len)
{
    memset(ec, 0, sizeof(*ec));
    if (len == 0)
        return ESDK_OK;
    esdk_reader r = {in, len, 0};
    const uint8_t *cp = esdk_take(&r, 2);
    size_t count = cp ? esdk_get_u16(cp) : 0;
    if (count == 0)
        return esdk_fail(detail, detail_len, ESDK_ERR_BAD_CONTEXT,
                         "encryption context: pair count missing or zero");
    for (size_t i = 0; i < count; i++) {
        size_t klen, vlen;
        const uint8_t *k = take_string(&r, &klen);
        const uint8_t *v = k ? take_string(&r, &vlen) : NULL;
        esdk_status st = v == NULL ? ESDK_ERR_BAD_CONTEXT : put_pair(ec, k, klen, v, vlen, 0);
        if (st != ESDK_OK) {
            esdk_ec_clear(ec);
            return st != ESDK_ERR_BAD_CONTEXT
                       ? st
                       : esdk_fail(detail, detail_len, st,
                                   "encryption context: pair %zu truncated, not UTF-8 or "
                                   "duplicate",
                                   i);
        }
    }
    if (r.pos != len) {
        esdk_ec_clear(ec);
        return esdk_fail(detail, detail_len, ESDK_ERR_BAD_CONTEXT,
                         "encryption context: %zu trailing bytes", len - r.pos);
    }
    return ESDK_OK;
}
