#include "provider/config_list.h"

#include <openssl/crypto.h>
#include <string.h>

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* The item in [start, end) without its surrounding blanks, NUL-terminated
 * in place; NULL when nothing is left. */
static const char *trimmed(char *start, char *end)
{
    while (start < end && is_blank(*start))
        start++;
    while (end > start && is_blank(end[-1]))
        end--;
    *end = '\0';
    return start < end ? start : NULL;
}

dekcache_list_status dekcache_list_split(const char *value, dekcache_list *list)
{
    memset(list, 0, sizeof(*list));
    if ((list->text = OPENSSL_strdup(value)) == NULL)
        return DEKCACHE_LIST_NO_MEMORY;
    char *start = list->text;
    for (;;) {
        char *comma = strchr(start, ',');
        char *end = comma != NULL ? comma : start + strlen(start);
        const char *item = trimmed(start, end);
        if (item != NULL && list->n == DEKCACHE_MAX_LIST_ITEMS) {
            dekcache_list_free(list);
            return DEKCACHE_LIST_TOO_LONG;
        }
        if (item != NULL)
            list->items[list->n++] = item;
        if (comma == NULL)
            return DEKCACHE_LIST_OK;
        start = comma + 1;
    }
}

void dekcache_list_free(dekcache_list *list)
{
    OPENSSL_free(list->text);
    memset(list, 0, sizeof(*list));
}
