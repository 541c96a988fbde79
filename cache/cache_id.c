/* ESDK caching-CMM cache IDs; see cache/dek_cache_id.h for the formulas. */
#include "cache/dek_cache_id.h"

#include "cache/cache_id_memo.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#define SHA512_LEN DEK_CACHE_ID_LEN

static int sha512(OSSL_LIB_CTX *libctx, const void *data, size_t len, unsigned char out[SHA512_LEN])
{
    return EVP_Q_digest(libctx, "SHA512", NULL, data, len, out, NULL) == 1;
}

/* Hashes the concatenation of count parts. */
static dek_cache_status sha512_parts(OSSL_LIB_CTX *libctx, const dek_cache_bytes *parts,
                                     size_t count, unsigned char out[SHA512_LEN])
{
    EVP_MD *md = EVP_MD_fetch(libctx, "SHA512", NULL);
    EVP_MD_CTX *ctx = md != NULL ? EVP_MD_CTX_new() : NULL;
    int ok = ctx != NULL && EVP_DigestInit_ex(ctx, md, NULL) == 1;
    for (size_t i = 0; ok && i < count; i++) {
        ok = EVP_DigestUpdate(ctx, parts[i].data, parts[i].len) == 1;
    }
    ok = ok && EVP_DigestFinal_ex(ctx, out, NULL) == 1;
    EVP_MD_CTX_free(ctx);
    EVP_MD_free(md);
    return ok ? DEK_CACHE_OK : DEK_CACHE_ERR_CRYPTO;
}

dek_cache_status dek_cache_partition_from_name(OSSL_LIB_CTX *libctx, const void *name, size_t len,
                                               dek_cache_partition *out)
{
    if (out == NULL || (name == NULL && len != 0)) {
        return DEK_CACHE_ERR_ARGUMENT;
    }
    out->libctx = libctx;
    return sha512(libctx, name != NULL ? name : "", len, out->hash) ? DEK_CACHE_OK
                                                                    : DEK_CACHE_ERR_CRYPTO;
}

dek_cache_status dek_cache_partition_random(OSSL_LIB_CTX *libctx, dek_cache_partition *out)
{
    if (out == NULL) {
        return DEK_CACHE_ERR_ARGUMENT;
    }
    out->libctx = libctx;
    return RAND_bytes_ex(libctx, out->hash, sizeof(out->hash), 0) == 1 ? DEK_CACHE_OK
                                                                       : DEK_CACHE_ERR_CRYPTO;
}

dek_cache_status dek_cache_encryption_id(const dek_cache_partition *partition, int32_t suite_id,
                                         const void *serialized_ec, size_t ec_len,
                                         dek_cache_id *out)
{
    if (partition == NULL || out == NULL || (serialized_ec == NULL && ec_len != 0) ||
        suite_id < DEK_CACHE_SUITE_NONE || suite_id > 0xFFFF) {
        return DEK_CACHE_ERR_ARGUMENT;
    }
    const dek_cache_bytes inputs[] = {
        {partition->hash, SHA512_LEN}, {&suite_id, sizeof(suite_id)}, {serialized_ec, ec_len}};
    if (cache_id_memo_find(MEMO_ENCRYPTION, inputs, 3, NULL, 0, out)) {
        return DEK_CACHE_OK;
    }
    unsigned char ec_hash[SHA512_LEN];
    if (!sha512(partition->libctx, serialized_ec != NULL ? serialized_ec : "", ec_len, ec_hash)) {
        return DEK_CACHE_ERR_CRYPTO;
    }
    unsigned char suite[3] = {0, (unsigned char)(suite_id >> 8), (unsigned char)suite_id};
    size_t suite_len = 1;
    if (suite_id != DEK_CACHE_SUITE_NONE) {
        suite[0] = 1;
        suite_len = 3;
    }
    const dek_cache_bytes parts[] = {
        {partition->hash, SHA512_LEN}, {suite, suite_len}, {ec_hash, SHA512_LEN}};
    dek_cache_status status =
        sha512_parts(partition->libctx, parts, sizeof(parts) / sizeof(parts[0]), out->bytes);
    if (status == DEK_CACHE_OK) {
        cache_id_memo_keep(MEMO_ENCRYPTION, inputs, 3, NULL, 0, out);
    }
    return status;
}

static int compare_hashes(const void *a, const void *b)
{
    return memcmp(a, b, SHA512_LEN);
}

/* The per-EDK hashes, sorted byte-wise; the caller frees *out (not secret). */
static dek_cache_status sorted_edk_hashes(OSSL_LIB_CTX *libctx, const dek_cache_bytes *edks,
                                          size_t count, unsigned char **out)
{
    if (count > SIZE_MAX / SHA512_LEN) {
        return DEK_CACHE_ERR_ARGUMENT;
    }
    unsigned char *hashes = OPENSSL_malloc(count * SHA512_LEN + 1);
    if (hashes == NULL) {
        return DEK_CACHE_ERR_NO_MEMORY;
    }
    for (size_t i = 0; i < count; i++) {
        if (!sha512(libctx, edks[i].data != NULL ? edks[i].data : "", edks[i].len,
                    hashes + i * SHA512_LEN)) {
            OPENSSL_free(hashes);
            return DEK_CACHE_ERR_CRYPTO;
        }
    }
    qsort(hashes, count, SHA512_LEN, compare_hashes);
    *out = hashes;
    return DEK_CACHE_OK;
}

/* Every EDK has its bytes (checked before the memo compares them). */
static int edks_valid(const dek_cache_bytes *edks, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (edks[i].data == NULL && edks[i].len != 0) {
            return 0;
        }
    }
    return 1;
}

dek_cache_status dek_cache_decryption_id(const dek_cache_partition *partition, uint16_t suite_id,
                                         const dek_cache_bytes *serialized_edks, size_t edk_count,
                                         const void *serialized_ec, size_t ec_len,
                                         dek_cache_id *out)
{
    if (partition == NULL || out == NULL || (serialized_edks == NULL && edk_count != 0) ||
        (serialized_ec == NULL && ec_len != 0) || !edks_valid(serialized_edks, edk_count)) {
        return DEK_CACHE_ERR_ARGUMENT;
    }
    const dek_cache_bytes inputs[] = {
        {partition->hash, SHA512_LEN}, {&suite_id, sizeof(suite_id)}, {serialized_ec, ec_len}};
    if (cache_id_memo_find(MEMO_DECRYPTION, inputs, 3, serialized_edks, edk_count, out)) {
        return DEK_CACHE_OK;
    }
    unsigned char ec_hash[SHA512_LEN];
    if (!sha512(partition->libctx, serialized_ec != NULL ? serialized_ec : "", ec_len, ec_hash)) {
        return DEK_CACHE_ERR_CRYPTO;
    }
    unsigned char *edk_hashes = NULL;
    dek_cache_status status =
        sorted_edk_hashes(partition->libctx, serialized_edks, edk_count, &edk_hashes);
    if (status != DEK_CACHE_OK) {
        return status;
    }
    static const unsigned char zero_pad[SHA512_LEN] = {0};
    const unsigned char suite[2] = {(unsigned char)(suite_id >> 8), (unsigned char)suite_id};
    const dek_cache_bytes parts[] = {{partition->hash, SHA512_LEN},
                                     {suite, sizeof(suite)},
                                     {edk_hashes, edk_count * SHA512_LEN},
                                     {zero_pad, SHA512_LEN},
                                     {ec_hash, SHA512_LEN}};
    status = sha512_parts(partition->libctx, parts, sizeof(parts) / sizeof(parts[0]), out->bytes);
    OPENSSL_free(edk_hashes);
    if (status == DEK_CACHE_OK) {
        cache_id_memo_keep(MEMO_DECRYPTION, inputs, 3, serialized_edks, edk_count, out);
    }
    return status;
}

int dek_cache_suite_is_cacheable(uint16_t suite_id)
{
    return suite_id != 0x0014 && suite_id != 0x0046 && suite_id != 0x0078;
}
