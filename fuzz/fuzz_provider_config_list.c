/* libFuzzer: the comma-separated configuration lists (decrypt_keys,
 * discovery_accounts) as provider/config_list.c splits them. Checks what
 * the keyrings rely on: every item non-empty, without a comma or surrounding
 * blanks, found in the text in order, and never more than the limit; a list
 * that does not fit is refused whole. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "provider/config_list.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Items with something besides blanks, counted independently of the parser. */
static size_t count_items(const char *text)
{
    size_t n = 0;
    int in_item = 0;
    for (const char *c = text; *c != '\0'; c++) {
        if (*c == ',')
            in_item = 0;
        else if (!is_blank(*c) && !in_item) {
            in_item = 1;
            n++;
        }
    }
    return n;
}

static void check_items(const char *text, const dekcache_list *list)
{
    const char *from = text;
    for (size_t i = 0; i < list->n; i++) {
        const char *item = list->items[i];
        size_t len = strlen(item);
        if (len == 0 || strchr(item, ',') != NULL || is_blank(item[0]) || is_blank(item[len - 1]))
            abort();
        const char *at = strstr(from, item);
        if (at == NULL)
            abort();
        from = at + len;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0'; /* a configuration value ends at its first NUL */
    dekcache_list list;
    dekcache_list_status status = dekcache_list_split(text, &list);
    size_t expected = count_items(text);
    if (status == DEKCACHE_LIST_OK) {
        if (list.n != expected || list.n > DEKCACHE_MAX_LIST_ITEMS)
            abort();
        check_items(text, &list);
    } else if (status == DEKCACHE_LIST_TOO_LONG) {
        if (expected <= DEKCACHE_MAX_LIST_ITEMS || list.n != 0 || list.text != NULL)
            abort();
    }
    dekcache_list_free(&list);
    free(text);
    return 0;
}
