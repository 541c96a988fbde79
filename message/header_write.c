#include <openssl/crypto.h>
#include <string.h>

#include "message/header_internal.h"
#include "message/wire.h"

/* The stored EC: the materials' EC without the required (unstored) pairs. */
static esdk_status stored_context(const esdk_enc_materials *mat, esdk_enc_context *stored)
{
    esdk_status st = esdk_ec_copy(stored, &mat->ec);
    for (size_t i = 0; st == ESDK_OK && i < mat->required_ec.count; i++)
        esdk_ec_remove(stored, mat->required_ec.pairs[i].key, mat->required_ec.pairs[i].key_len);
    return st;
}

static size_t edks_size(const esdk_edk_list *edks)
{
    size_t n = 2;
    for (size_t i = 0; i < edks->count; i++)
        n += esdk_edk_serialized_size(&edks->items[i]);
    return n;
}

static uint8_t *write_edks(uint8_t *p, const esdk_edk_list *edks)
{
    esdk_put_u16(p, (uint16_t)edks->count);
    p += 2;
    for (size_t i = 0; i < edks->count; i++)
        p = esdk_edk_serialize(p, &edks->items[i]);
    return p;
}

esdk_status esdk_header_write_v2(const esdk_enc_materials *mat, const uint8_t message_id[32],
                                 uint32_t frame_len, const uint8_t commit_key[32], uint8_t **out,
                                 size_t *out_len, char *detail, size_t detail_len)
{
    esdk_enc_context stored = {0};
    *out = NULL;
    esdk_status st = stored_context(mat, &stored);
    if (st != ESDK_OK)
        return st;
    size_t ec_len = esdk_ec_serialized_size(&stored);
    if (ec_len > 0xFFFF || stored.count > 0xFFFF) {
        esdk_ec_clear(&stored);
        return esdk_fail(detail, detail_len, ESDK_ERR_CONTEXT_TOO_LARGE,
                         "encryption context serialises to %zu bytes (max 65535)", ec_len);
    }
    if (mat->edks.count == 0 || mat->edks.count > 0xFFFF) {
        esdk_ec_clear(&stored);
        return esdk_fail(detail, detail_len, ESDK_ERR_BAD_MATERIALS, "%zu EDKs", mat->edks.count);
    }
    size_t body_len = 1 + 2 + 32 + 2 + ec_len + edks_size(&mat->edks) + 1 + 4 + 32;
    uint8_t *buf = OPENSSL_malloc(body_len + 16);
    if (buf == NULL) {
        esdk_ec_clear(&stored);
        return ESDK_ERR_ALLOC;
    }
    uint8_t *p = buf;
    *p++ = 2;
    esdk_put_u16(p, mat->suite_id);
    memcpy(p + 2, message_id, 32);
    esdk_put_u16(p + 34, (uint16_t)ec_len);
    p += 36;
    esdk_ec_serialize(&stored, p, ec_len);
    p = write_edks(p + ec_len, &mat->edks);
    *p++ = ESDK_CONTENT_FRAMED;
    esdk_put_u32(p, frame_len);
    memcpy(p + 4, commit_key, 32);
    esdk_ec_clear(&stored);
    *out = buf;
    *out_len = body_len;
    return ESDK_OK;
}
