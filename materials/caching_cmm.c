#include "materials/caching_cmm.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "materials/edk_rank.h"
#include "materials/materials_blob.h"
#include "message/wire.h"

typedef struct {
    esdk_cmm base;
    esdk_cmm *upstream;
    dek_cache *cache;
    dek_cache_partition partition;
    dek_cache_limits limits;
} caching_cmm;

/* What one cache miss needs: the request for the upstream and, for the
 * leader, the materials that were too large to store. */
typedef struct {
    caching_cmm *cmm;
    const esdk_enc_request *enc_request;
    const esdk_dec_request *dec_request;
    esdk_enc_materials *enc_oversized;
    esdk_dec_materials *dec_oversized;
} miss_context;

static int tag_wrapping_keys(dek_cache_value *value, const esdk_edk_list *edks)
{
    for (size_t i = 0; i < edks->count; i++) {
        if (dek_cache_value_add_wrapping_key(value, edks->items[i].provider_info,
                                             edks->items[i].provider_info_len) != DEK_CACHE_OK)
            return 0;
    }
    return 1;
}

/* The sizing pass reports "does not fit" (ESDK_ERR_INVALID_ARGUMENT) by
 * design; any other failure means the materials cannot be stored at all. */
static int sizing_failed(esdk_status sized)
{
    return sized != ESDK_OK && sized != ESDK_ERR_INVALID_ARGUMENT;
}

/* An upstream return for materials that could not be stored, with the reason. */
static int store_failure(esdk_status status, const char *kind, char *detail, size_t detail_cap)
{
    return (int)esdk_fail(detail, detail_cap, status,
                          "%s materials cannot be stored in the cache: %s", kind,
                          esdk_status_string(status));
}

/* What differs between storing encryption and decryption materials. */
typedef struct {
    const char *name;
    esdk_status (*to_blob)(const void *mat, uint8_t *out, size_t cap, size_t *len);
} materials_kind;

static esdk_status enc_to_blob(const void *mat, uint8_t *out, size_t cap, size_t *len)
{
    return materials_enc_to_blob(mat, out, cap, len);
}

static esdk_status dec_to_blob(const void *mat, uint8_t *out, size_t cap, size_t *len)
{
    return materials_dec_to_blob(mat, out, cap, len);
}

static const materials_kind encryption_kind = {"encryption", enc_to_blob};
static const materials_kind decryption_kind = {"decryption", dec_to_blob};

/* Serialises mat into the cache value: 0, DEK_CACHE_UPSTREAM_UNCACHEABLE
 * when it is too large to cache (the caller keeps it aside; waiters fetch
 * their own), or a failure with the reason in detail. */
static int store_materials(const materials_kind *kind, const void *mat, dek_cache_value *value,
                           char *detail, size_t detail_cap)
{
    size_t needed;
    esdk_status status = kind->to_blob(mat, NULL, 0, &needed);
    if (sizing_failed(status))
        return store_failure(status, kind->name, detail, detail_cap);
    if (needed > CACHING_CMM_MAX_BLOB) {
        snprintf(detail, detail_cap, "%s materials of %zu bytes are too large to cache", kind->name,
                 needed);
        return DEK_CACHE_UPSTREAM_UNCACHEABLE;
    }
    uint8_t *blob = dek_cache_value_reserve(value, needed);
    status = blob == NULL ? ESDK_ERR_ALLOC : kind->to_blob(mat, blob, needed, &needed);
    return status == ESDK_OK ? 0 : store_failure(status, kind->name, detail, detail_cap);
}

static int fetch_encryption(void *arg, dek_cache_value *value, char *detail, size_t detail_cap)
{
    miss_context *miss = arg;
    esdk_enc_materials *mat = NULL;
    esdk_status status = esdk_cmm_get_encryption_materials(miss->cmm->upstream, miss->enc_request,
                                                           &mat, detail, detail_cap);
    if (status != ESDK_OK)
        return (int)status;
    int rc = store_materials(&encryption_kind, mat, value, detail, detail_cap);
    if (rc == 0 && !tag_wrapping_keys(value, &mat->edks))
        rc = store_failure(ESDK_ERR_ALLOC, encryption_kind.name, detail, detail_cap);
    if (rc == DEK_CACHE_UPSTREAM_UNCACHEABLE)
        miss->enc_oversized = mat;
    else
        esdk_enc_materials_free(mat);
    return rc;
}

/* Decryption entries are tagged with the wrapping key of the EDK used. */
static int tag_used_edk(dek_cache_value *value, const esdk_dec_materials *mat,
                        const esdk_dec_request *request)
{
    if (mat->edk_index < 0 || (size_t)mat->edk_index >= request->edk_count)
        return 1;
    const esdk_edk *edk = &request->edks[mat->edk_index];
    return dek_cache_value_add_wrapping_key(value, edk->provider_info, edk->provider_info_len) ==
           DEK_CACHE_OK;
}

static int fetch_decryption(void *arg, dek_cache_value *value, char *detail, size_t detail_cap)
{
    miss_context *miss = arg;
    esdk_dec_materials *mat = NULL;
    esdk_status status = esdk_cmm_decrypt_materials(miss->cmm->upstream, miss->dec_request, &mat,
                                                    detail, detail_cap);
    if (status != ESDK_OK)
        return (int)status;
    /* Stored by rank: a waiter or a later hit may list the same EDKs in
     * another order. The materials keep their own index for this caller. */
    long used = mat->edk_index;
    mat->edk_index =
        edk_rank_of(miss->dec_request->edks, miss->dec_request->edk_count, mat->edk_index);
    int rc = store_materials(&decryption_kind, mat, value, detail, detail_cap);
    mat->edk_index = used;
    if (rc == 0 && !tag_used_edk(value, mat, miss->dec_request))
        rc = store_failure(ESDK_ERR_ALLOC, decryption_kind.name, detail, detail_cap);
    if (rc == DEK_CACHE_UPSTREAM_UNCACHEABLE)
        miss->dec_oversized = mat;
    else
        esdk_dec_materials_free(mat);
    return rc;
}

/* Maps a cache failure to the message layer's status and detail. */
static esdk_status cache_failure(dek_cache_status status, const dek_cache_result *result,
                                 char *detail, size_t detail_len)
{
    if (status == DEK_CACHE_ERR_UPSTREAM && result->upstream_error > 0 &&
        result->upstream_error < ESDK_STATUS_COUNT)
        return esdk_fail(detail, detail_len, (esdk_status)result->upstream_error, "%s",
                         result->detail);
    if (status == DEK_CACHE_ERR_NO_MEMORY)
        return esdk_fail(detail, detail_len, ESDK_ERR_ALLOC, "data key cache: %s",
                         dek_cache_status_string(status));
    return esdk_fail(detail, detail_len, ESDK_ERR_BAD_MATERIALS, "data key cache: %s%s%s",
                     dek_cache_status_string(status), result->detail[0] ? ": " : "",
                     result->detail);
}

static esdk_status serialize_ec(const esdk_enc_context *ec, uint8_t **out, size_t *len,
                                uint8_t *stack_buf, size_t stack_len)
{
    *len = ec == NULL ? 0 : esdk_ec_serialized_size(ec);
    *out = *len <= stack_len ? stack_buf : OPENSSL_malloc(*len);
    if (*out == NULL)
        return ESDK_ERR_ALLOC;
    return *len == 0 ? ESDK_OK : esdk_ec_serialize(ec, *out, *len);
}

/* Frees a buffer that was allocated because the stack one was too small. */
static void free_unless_stack(const void *buf, const void *stack_buf)
{
    if (buf != stack_buf)
        OPENSSL_free((void *)buf);
}

static esdk_status encryption_id(const caching_cmm *cmm, const esdk_enc_request *request,
                                 dek_cache_id *id)
{
    uint8_t stack_buf[1024];
    uint8_t *ec;
    size_t ec_len;
    esdk_status status = serialize_ec(request->ec, &ec, &ec_len, stack_buf, sizeof(stack_buf));
    if (status != ESDK_OK)
        return status;
    int32_t suite = request->suite_id == 0 ? DEK_CACHE_SUITE_NONE : request->suite_id;
    if (dek_cache_encryption_id(&cmm->partition, suite, ec, ec_len, id) != DEK_CACHE_OK)
        status = ESDK_ERR_CRYPTO;
    free_unless_stack(ec, stack_buf);
    return status;
}

/* A caller that waited its bound for another's upstream call goes back to
 * the cache once, with a fresh bound: the first to do so replaces a flight
 * that old as its leader and the others join it, so a stuck or slow call
 * costs one more upstream call per max_messages waiters, not one per waiter
 * (asking the upstream directly would send every timed-out waiter to KMS at
 * once). */
static int retry_after_wait_timeout(dek_cache_status status)
{
    return status == DEK_CACHE_ERR_WAIT_TIMEOUT;
}

static esdk_status bypass_encryption(caching_cmm *cmm, const esdk_enc_request *request,
                                     esdk_enc_materials **out, char *detail, size_t detail_len)
{
    esdk_status status =
        esdk_cmm_get_encryption_materials(cmm->upstream, request, out, detail, detail_len);
    dek_cache_count_bypass(cmm->cache, status != ESDK_OK);
    return status;
}

static esdk_status get_encryption_materials(esdk_cmm *base, const esdk_enc_request *request,
                                            esdk_enc_materials **out, char *detail,
                                            size_t detail_len)
{
    caching_cmm *cmm = (caching_cmm *)base;
    if (request->plaintext_len == ESDK_LENGTH_UNKNOWN ||
        (request->suite_id != 0 && !dek_cache_suite_is_cacheable(request->suite_id)))
        return bypass_encryption(cmm, request, out, detail, detail_len);

    dek_cache_id id;
    esdk_status status = encryption_id(cmm, request, &id);
    if (status != ESDK_OK)
        return esdk_fail(detail, detail_len, status, "computing the cache ID");

    miss_context miss = {.cmm = cmm, .enc_request = request};
    dek_cache_enc_request cache_request = {request->plaintext_len, cmm->limits};
    uint8_t blob[CACHING_CMM_MAX_BLOB];
    size_t blob_len = 0;
    dek_cache_result result;
    dek_cache_status cs;
    for (int tries = 0; tries < 2; tries++) {
        cs = dek_cache_get_encryption(cmm->cache, &id, &cache_request, fetch_encryption, &miss,
                                      blob, sizeof(blob), &blob_len, &result);
        if (!retry_after_wait_timeout(cs))
            break;
    }
    if (cs == DEK_CACHE_OK)
        status = materials_enc_from_blob(cmm->partition.libctx, blob, blob_len, out);
    else if (miss.enc_oversized != NULL) {
        *out = miss.enc_oversized;
        miss.enc_oversized = NULL;
        status = ESDK_OK;
    } else
        status = cache_failure(cs, &result, detail, detail_len);
    OPENSSL_cleanse(blob, blob_len < sizeof(blob) ? blob_len : sizeof(blob));
    esdk_enc_materials_free(miss.enc_oversized);
    return status;
}

#define ID_EDKS_ON_STACK  8
#define ID_BYTES_ON_STACK 4096

/* The request's EDKs in their header encoding, all in one buffer (on the
 * stack for common sizes): this runs on every decryption, hits included. */
static esdk_status serialize_edks(const esdk_dec_request *request, dek_cache_bytes *parts,
                                  uint8_t *stack_buf, uint8_t **buf)
{
    size_t total = 0;
    for (size_t i = 0; i < request->edk_count; i++)
        total += esdk_edk_serialized_size(&request->edks[i]);
    *buf = total <= ID_BYTES_ON_STACK ? stack_buf : OPENSSL_malloc(total);
    if (*buf == NULL)
        return ESDK_ERR_ALLOC;
    uint8_t *p = *buf;
    for (size_t i = 0; i < request->edk_count; i++) {
        parts[i].data = p;
        p = esdk_edk_serialize(p, &request->edks[i]);
        parts[i].len = (size_t)(p - (const uint8_t *)parts[i].data);
    }
    return ESDK_OK;
}

/* The context part of a decryption ID: ser(stored) alone when nothing is
 * required (the ESDK's ID), else len64(ser(stored)) || ser(stored) ||
 * ser(required). The second form starts with two zero bytes, which no plain
 * serialisation does (it is empty or starts with a non-zero pair count), so
 * the two never collide, and the length keeps {a} stored apart from {a}
 * required. */
static esdk_status serialize_id_context(const esdk_enc_context *stored,
                                        const esdk_enc_context *required, uint8_t **out,
                                        size_t *len, uint8_t *stack_buf, size_t stack_len)
{
    if (required->count == 0)
        return serialize_ec(stored, out, len, stack_buf, stack_len);
    size_t stored_len = esdk_ec_serialized_size(stored);
    size_t required_len = esdk_ec_serialized_size(required);
    *len = 8 + stored_len + required_len;
    *out = *len <= stack_len ? stack_buf : OPENSSL_malloc(*len);
    if (*out == NULL)
        return ESDK_ERR_ALLOC;
    esdk_put_u64(*out, stored_len);
    esdk_status st = stored_len == 0 ? ESDK_OK : esdk_ec_serialize(stored, *out + 8, stored_len);
    return st != ESDK_OK ? st : esdk_ec_serialize(required, *out + 8 + stored_len, required_len);
}

static esdk_status decryption_id(const caching_cmm *cmm, const esdk_dec_request *request,
                                 const esdk_enc_context *required, dek_cache_id *id)
{
    uint8_t ec_stack[1024], edk_stack[ID_BYTES_ON_STACK];
    dek_cache_bytes parts_stack[ID_EDKS_ON_STACK];
    uint8_t *ec = NULL, *edk_bytes = NULL;
    size_t ec_len = 0;
    dek_cache_bytes *parts = request->edk_count <= ID_EDKS_ON_STACK
                                 ? parts_stack
                                 : OPENSSL_malloc(sizeof(*parts) * request->edk_count);
    esdk_status status = parts == NULL ? ESDK_ERR_ALLOC
                                       : serialize_id_context(request->ec, required, &ec, &ec_len,
                                                              ec_stack, sizeof(ec_stack));
    if (status == ESDK_OK)
        status = serialize_edks(request, parts, edk_stack, &edk_bytes);
    if (status == ESDK_OK &&
        dek_cache_decryption_id(&cmm->partition, request->suite_id, parts, request->edk_count, ec,
                                ec_len, id) != DEK_CACHE_OK)
        status = ESDK_ERR_CRYPTO;
    free_unless_stack(edk_bytes, edk_stack);
    free_unless_stack(parts, parts_stack);
    free_unless_stack(ec, ec_stack);
    return status;
}

static esdk_status bypass_decryption(caching_cmm *cmm, const esdk_dec_request *request,
                                     esdk_dec_materials **out, char *detail, size_t detail_len)
{
    esdk_status status =
        esdk_cmm_decrypt_materials(cmm->upstream, request, out, detail, detail_len);
    dek_cache_count_bypass(cmm->cache, status != ESDK_OK);
    return status;
}

static esdk_status decrypt_materials(esdk_cmm *base, const esdk_dec_request *request,
                                     esdk_dec_materials **out, char *detail, size_t detail_len)
{
    caching_cmm *cmm = (caching_cmm *)base;
    if (!dek_cache_suite_is_cacheable(request->suite_id))
        return bypass_decryption(cmm, request, out, detail, detail_len);
    /* Required pairs change the materials, so they belong in the ID; a
     * contradicting reproduced pair is not the cache's to answer. A view,
     * not a copy: this runs on every decryption, hits included. */
    size_t n_reproduced = request->reproduced_ec != NULL ? request->reproduced_ec->count : 0;
    esdk_ec_pair pairs_stack[16];
    esdk_ec_pair *pairs =
        n_reproduced <= 16 ? pairs_stack : OPENSSL_malloc(n_reproduced * sizeof(*pairs));
    esdk_enc_context required;
    esdk_status status = pairs == NULL ? ESDK_ERR_ALLOC
                                       : esdk_ec_required_view(request->ec, request->reproduced_ec,
                                                               pairs, &required, NULL);
    dek_cache_id id;
    if (status == ESDK_OK)
        status = decryption_id(cmm, request, &required, &id);
    free_unless_stack(pairs, pairs_stack);
    if (status == ESDK_ERR_CONTEXT_MISMATCH)
        return bypass_decryption(cmm, request, out, detail, detail_len);
    if (status != ESDK_OK)
        return esdk_fail(detail, detail_len, status, "computing the cache ID");

    miss_context miss = {.cmm = cmm, .dec_request = request};
    uint8_t blob[CACHING_CMM_MAX_BLOB];
    size_t blob_len = 0;
    dek_cache_result result;
    dek_cache_status cs;
    for (int tries = 0; tries < 2; tries++) {
        cs = dek_cache_get_decryption(cmm->cache, &id, cmm->limits.max_age_ns, fetch_decryption,
                                      &miss, blob, sizeof(blob), &blob_len, &result);
        if (!retry_after_wait_timeout(cs))
            break;
    }
    if (cs == DEK_CACHE_OK) {
        status = materials_dec_from_blob(cmm->partition.libctx, blob, blob_len, out);
        if (status == ESDK_OK)
            (*out)->edk_index =
                edk_index_of_rank(request->edks, request->edk_count, (*out)->edk_index);
    } else if (miss.dec_oversized != NULL) {
        *out = miss.dec_oversized;
        miss.dec_oversized = NULL;
        status = ESDK_OK;
    } else
        status = cache_failure(cs, &result, detail, detail_len);
    OPENSSL_cleanse(blob, blob_len < sizeof(blob) ? blob_len : sizeof(blob));
    esdk_dec_materials_free(miss.dec_oversized);
    return status;
}

static void destroy(esdk_cmm *base)
{
    caching_cmm *cmm = (caching_cmm *)base;
    esdk_cmm_free(cmm->upstream);
    OPENSSL_free(cmm);
}

static const esdk_cmm_vtable caching_cmm_vtable = {"caching", get_encryption_materials,
                                                   decrypt_materials, destroy};

esdk_status caching_cmm_new(const caching_cmm_config *config, esdk_cmm **out)
{
    if (config->upstream == NULL || config->cache == NULL || config->partition == NULL ||
        config->max_age_ns == 0 || config->max_messages == 0 ||
        config->max_messages > DEK_CACHE_MAX_MESSAGES_LIMIT || config->max_bytes == 0 ||
        config->max_bytes > DEK_CACHE_MAX_BYTES_LIMIT)
        return ESDK_ERR_INVALID_ARGUMENT;
    caching_cmm *cmm = OPENSSL_zalloc(sizeof(*cmm));
    if (cmm == NULL)
        return ESDK_ERR_ALLOC;
    esdk_cmm_init(&cmm->base, &caching_cmm_vtable);
    cmm->upstream = esdk_cmm_up_ref(config->upstream);
    cmm->cache = config->cache;
    cmm->partition = *config->partition;
    cmm->limits.max_age_ns = config->max_age_ns;
    cmm->limits.max_messages = config->max_messages;
    cmm->limits.max_bytes = config->max_bytes;
    *out = &cmm->base;
    return ESDK_OK;
}
