#include "kms/server/ciphertext_blob.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC_LEN 4

static int invalid(kms_error *err, const char *why)
{
    kms_error_set(err, "InvalidCiphertextException", "ciphertext blob is invalid: %s", why);
    return -1;
}

int blob_parse(const unsigned char *blob, size_t len, blob_view *view, kms_error *err)
{
    memset(view, 0, sizeof(*view));
    if (blob == NULL || len < MAGIC_LEN + 2 || memcmp(blob, BLOB_MAGIC, MAGIC_LEN) != 0)
        return invalid(err, "not a dekcache-kms-local blob");
    if (blob[MAGIC_LEN] != BLOB_VERSION)
        return invalid(err, "unknown version");
    size_t id_len = blob[MAGIC_LEN + 1];
    size_t header_len = MAGIC_LEN + 2 + id_len;
    if (id_len == 0 || id_len > KMS_KEY_ID_MAX || len < header_len + BLOB_IV_LEN + BLOB_TAG_LEN)
        return invalid(err, "truncated");
    if (len - header_len - BLOB_IV_LEN - BLOB_TAG_LEN > BLOB_MAX_PLAINTEXT)
        return invalid(err, "too long");
    memcpy(view->key_id, blob + MAGIC_LEN + 2, id_len);
    if (memchr(view->key_id, '\0', id_len) != NULL)
        return invalid(err, "bad key id");
    view->header = blob;
    view->header_len = header_len;
    view->iv = blob + header_len;
    view->ciphertext = view->iv + BLOB_IV_LEN;
    view->ciphertext_len = len - header_len - BLOB_IV_LEN - BLOB_TAG_LEN;
    view->tag = view->ciphertext + view->ciphertext_len;
    return 0;
}

/* Runs AES-256-GCM over header||context as AAD and the data; enc selects direction. */
static int gcm(int enc, const kms_key *key, const unsigned char *iv, const unsigned char *header,
               size_t header_len, const unsigned char *context, size_t context_len,
               const unsigned char *in, size_t in_len, unsigned char *out, unsigned char *tag)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int len = 0, ok = ctx != NULL;
    ok = ok && EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, key->material, iv, enc);
    ok = ok && EVP_CipherUpdate(ctx, NULL, &len, header, (int)header_len);
    ok = ok && EVP_CipherUpdate(ctx, NULL, &len, context, (int)context_len);
    ok = ok && (in_len == 0 || EVP_CipherUpdate(ctx, out, &len, in, (int)in_len));
    if (ok && !enc)
        ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, BLOB_TAG_LEN, tag);
    ok = ok && EVP_CipherFinal_ex(ctx, out + (in_len ? len : 0), &len);
    if (ok && enc)
        ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, BLOB_TAG_LEN, tag);
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}

int blob_seal(const kms_key *key, const unsigned char *context, size_t context_len,
              const unsigned char *plaintext, size_t plaintext_len, unsigned char **out,
              size_t *out_len, kms_error *err)
{
    size_t id_len = strlen(key->id);
    size_t header_len = MAGIC_LEN + 2 + id_len;
    size_t len = header_len + BLOB_IV_LEN + plaintext_len + BLOB_TAG_LEN;
    unsigned char *blob = malloc(len);
    if (blob == NULL) {
        kms_error_set(err, "KMSInternalException", "out of memory");
        return -1;
    }
    memcpy(blob, BLOB_MAGIC, MAGIC_LEN);
    blob[MAGIC_LEN] = BLOB_VERSION;
    blob[MAGIC_LEN + 1] = (unsigned char)id_len;
    memcpy(blob + MAGIC_LEN + 2, key->id, id_len);
    unsigned char *iv = blob + header_len, *ct = iv + BLOB_IV_LEN;
    if (RAND_bytes(iv, BLOB_IV_LEN) != 1 ||
        !gcm(1, key, iv, blob, header_len, context, context_len, plaintext, plaintext_len, ct,
             ct + plaintext_len)) {
        free(blob);
        kms_error_set(err, "KMSInternalException", "encryption failed");
        return -1;
    }
    *out = blob;
    *out_len = len;
    return 0;
}

int blob_open(const blob_view *view, const kms_key *key, const unsigned char *context,
              size_t context_len, unsigned char **plaintext, size_t *plaintext_len, kms_error *err)
{
    unsigned char tag[BLOB_TAG_LEN];
    size_t cap = view->ciphertext_len ? view->ciphertext_len : 1;
    unsigned char *pt = OPENSSL_secure_malloc(cap);
    if (pt == NULL) {
        kms_error_set(err, "KMSInternalException", "out of memory");
        return -1;
    }
    memcpy(tag, view->tag, BLOB_TAG_LEN);
    if (strcmp(view->key_id, key->id) != 0 ||
        !gcm(0, key, view->iv, view->header, view->header_len, context, context_len,
             view->ciphertext, view->ciphertext_len, pt, tag)) {
        OPENSSL_secure_clear_free(pt, cap);
        return invalid(err, "authentication failed (wrong encryption context or tampered)");
    }
    *plaintext = pt;
    *plaintext_len = view->ciphertext_len;
    return 0;
}
