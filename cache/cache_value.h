#ifndef DEKCACHE_CACHE_CACHE_VALUE_H
#define DEKCACHE_CACHE_CACHE_VALUE_H

/* A value under construction by an upstream, then owned by an entry. */

#include "cache/cache_internal.h"

void cache_value_init(dek_cache_value *value, const dek_cache_allocator *allocator);

/* Cleanses and frees the blob, frees the tags, leaves the value empty. */
void cache_value_release(dek_cache_value *value);
/* The same for a value whose blob is already cleansed (cache_entry_unref). */
void cache_value_release_cleansed(dek_cache_value *value);

/* 1 when the value carries this wrapping-key tag. */
int cache_value_has_wrapping_key(const dek_cache_value *value, const void *tag, size_t len);

#endif
