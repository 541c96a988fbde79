#ifndef DEKCACHE_PROVIDER_CONFIG_LIST_H
#define DEKCACHE_PROVIDER_CONFIG_LIST_H

#include <stddef.h>

/* Most items in decrypt_keys and in discovery_accounts. */
#define DEKCACHE_MAX_LIST_ITEMS 64

/* A comma-separated configuration value, split once when the configuration
 * loads; the keyrings take the items as they are. */
typedef struct {
    char *text; /* owned: a copy of the value, cut into the items */
    const char *items[DEKCACHE_MAX_LIST_ITEMS];
    size_t n;
} dekcache_list;

typedef enum {
    DEKCACHE_LIST_OK,
    DEKCACHE_LIST_TOO_LONG, /* more than DEKCACHE_MAX_LIST_ITEMS items */
    DEKCACHE_LIST_NO_MEMORY,
} dekcache_list_status;

/* Splits value at commas; blanks (spaces, tabs) around an item are dropped
 * and empty items skipped. On an error the list is left empty: an item
 * dropped silently would narrow the allow-list or widen discovery. */
dekcache_list_status dekcache_list_split(const char *value, dekcache_list *list);

/* Frees the copy and empties the list; an empty list is a no-op. */
void dekcache_list_free(dekcache_list *list);

#endif
