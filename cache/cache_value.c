/* Values: the blob an upstream produced plus its wrapping-key tags. */
#include "cache/cache_value.h"

#include "cache/cache_alloc.h"

#include <openssl/crypto.h>
#include <string.h>

#define TAG_HEADER 4 /* u32 length before each tag */

void cache_value_init(dek_cache_value *value, const dek_cache_allocator *allocator)
{
    memset(value, 0, sizeof(*value));
    value->allocator = allocator;
}

static void forget(dek_cache_value *value)
{
    OPENSSL_free(value->tags);
    value->blob = NULL;
    value->blob_len = 0;
    value->tags = NULL;
    value->tags_len = 0;
}

void cache_value_release(dek_cache_value *value)
{
    cache_secret_free(value->allocator, value->blob, value->blob_len);
    forget(value);
}

void cache_value_release_cleansed(dek_cache_value *value)
{
    cache_secret_free_cleansed(value->allocator, value->blob, value->blob_len);
    forget(value);
}

unsigned char *dek_cache_value_reserve(dek_cache_value *value, size_t len)
{
    if (value == NULL) {
        return NULL;
    }
    unsigned char *blob = cache_secret_alloc(value->allocator, len);
    if (blob == NULL) {
        return NULL;
    }
    cache_secret_free(value->allocator, value->blob, value->blob_len);
    value->blob = blob;
    value->blob_len = len;
    return blob;
}

dek_cache_status dek_cache_value_set(dek_cache_value *value, const void *blob, size_t len)
{
    if (value == NULL || (blob == NULL && len != 0)) {
        return DEK_CACHE_ERR_ARGUMENT;
    }
    unsigned char *copy = dek_cache_value_reserve(value, len);
    if (copy == NULL) {
        return DEK_CACHE_ERR_NO_MEMORY;
    }
    if (len != 0) {
        memcpy(copy, blob, len);
    }
    return DEK_CACHE_OK;
}

dek_cache_status dek_cache_value_add_wrapping_key(dek_cache_value *value, const void *tag,
                                                  size_t len)
{
    if (value == NULL || (tag == NULL && len != 0) || len > UINT32_MAX ||
        value->tags_len > SIZE_MAX - TAG_HEADER - len) {
        return DEK_CACHE_ERR_ARGUMENT;
    }
    size_t grown = value->tags_len + TAG_HEADER + len;
    unsigned char *tags = OPENSSL_realloc(value->tags, grown);
    if (tags == NULL) {
        return DEK_CACHE_ERR_NO_MEMORY;
    }
    uint32_t len32 = (uint32_t)len;
    memcpy(tags + value->tags_len, &len32, TAG_HEADER);
    if (len != 0) {
        memcpy(tags + value->tags_len + TAG_HEADER, tag, len);
    }
    value->tags = tags;
    value->tags_len = grown;
    return DEK_CACHE_OK;
}

int cache_value_has_wrapping_key(const dek_cache_value *value, const void *tag, size_t len)
{
    size_t at = 0;
    while (at + TAG_HEADER <= value->tags_len) {
        uint32_t tag_len;
        memcpy(&tag_len, value->tags + at, TAG_HEADER);
        at += TAG_HEADER;
        if (tag_len == len && (len == 0 || memcmp(value->tags + at, tag, len) == 0)) {
            return 1;
        }
        at += tag_len;
    }
    return 0;
}
