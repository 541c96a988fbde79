#include <openssl/crypto.h>
#include <string.h>

#include "message/materials.h"
#include "message/wire.h"

esdk_status esdk_edk_init(esdk_edk *edk, const void *provider_id, size_t provider_id_len,
                          const void *provider_info, size_t provider_info_len,
                          const void *ciphertext, size_t ciphertext_len)
{
    memset(edk, 0, sizeof(*edk));
    if (provider_id_len > 0xFFFF || provider_info_len > 0xFFFF || ciphertext_len > 0xFFFF)
        return ESDK_ERR_BAD_EDK;
    edk->provider_id = esdk_dup_bytes(provider_id, provider_id_len);
    edk->provider_info = esdk_dup_bytes(provider_info, provider_info_len);
    edk->ciphertext = esdk_dup_bytes(ciphertext, ciphertext_len);
    if (edk->provider_id == NULL || edk->provider_info == NULL || edk->ciphertext == NULL) {
        esdk_edk_clear(edk);
        return ESDK_ERR_ALLOC;
    }
    edk->provider_id_len = provider_id_len;
    edk->provider_info_len = provider_info_len;
    edk->ciphertext_len = ciphertext_len;
    return ESDK_OK;
}

size_t esdk_edk_serialized_size(const esdk_edk *edk)
{
    return 6 + edk->provider_id_len + edk->provider_info_len + edk->ciphertext_len;
}

uint8_t *esdk_edk_serialize(uint8_t *p, const esdk_edk *edk)
{
    p = esdk_put_lv16(p, edk->provider_id, edk->provider_id_len);
    p = esdk_put_lv16(p, edk->provider_info, edk->provider_info_len);
    return esdk_put_lv16(p, edk->ciphertext, edk->ciphertext_len);
}

esdk_status esdk_edk_copy(esdk_edk *dst, const esdk_edk *src)
{
    return esdk_edk_init(dst, src->provider_id, src->provider_id_len, src->provider_info,
                         src->provider_info_len, src->ciphertext, src->ciphertext_len);
}

void esdk_edk_clear(esdk_edk *edk)
{
    OPENSSL_free(edk->provider_id);
    OPENSSL_free(edk->provider_info);
    OPENSSL_free(edk->ciphertext);
    memset(edk, 0, sizeof(*edk));
}

static esdk_status reserve(esdk_edk_list *list)
{
    if (list->count < list->capacity)
        return ESDK_OK;
    size_t cap = list->capacity ? list->capacity * 2 : 4;
    esdk_edk *items = OPENSSL_realloc(list->items, cap * sizeof(*items));
    if (items == NULL)
        return ESDK_ERR_ALLOC;
    list->items = items;
    list->capacity = cap;
    return ESDK_OK;
}

esdk_status esdk_edk_list_add(esdk_edk_list *list, const void *provider_id, size_t provider_id_len,
                              const void *provider_info, size_t provider_info_len,
                              const void *ciphertext, size_t ciphertext_len)
{
    esdk_status st = reserve(list);
    if (st != ESDK_OK)
        return st;
    st = esdk_edk_init(&list->items[list->count], provider_id, provider_id_len, provider_info,
                       provider_info_len, ciphertext, ciphertext_len);
    if (st == ESDK_OK)
        list->count++;
    return st;
}

esdk_status esdk_edk_list_copy(esdk_edk_list *dst, const esdk_edk_list *src)
{
    memset(dst, 0, sizeof(*dst));
    for (size_t i = 0; i < src->count; i++) {
        const esdk_edk *e = &src->items[i];
        esdk_status st =
            esdk_edk_list_add(dst, e->provider_id, e->provider_id_len, e->provider_info,
                              e->provider_info_len, e->ciphertext, e->ciphertext_len);
        if (st != ESDK_OK) {
            esdk_edk_list_clear(dst);
            return st;
        }
    }
    return ESDK_OK;
}

void esdk_edk_list_truncate(esdk_edk_list *list, size_t count)
{
    while (list->count > count)
        esdk_edk_clear(&list->items[--list->count]);
}

void esdk_edk_list_clear(esdk_edk_list *list)
{
    for (size_t i = 0; i < list->count; i++)
        esdk_edk_clear(&list->items[i]);
    OPENSSL_free(list->items);
    memset(list, 0, sizeof(*list));
}
