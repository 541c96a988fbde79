#include "provider_fixture.h"

#include <json-c/json.h>
#include <openssl/err.h>
#include <openssl/provider.h>
#include <openssl/store.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "include/dekcache.h"

const char *fixture_temp_file(const void *data, size_t len, char *path, size_t path_len)
{
    snprintf(path, path_len, "/tmp/dekcache-test-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0)
        return NULL;
    if (write(fd, data, len) != (ssize_t)len) {
        close(fd);
        return NULL;
    }
    close(fd);
    return path;
}

int provider_fixture_start(provider_fixture *fx, const char *section_lines)
{
    memset(fx, 0, sizeof(*fx));
    char text[8192];
    int n = snprintf(text, sizeof(text),
                     "openssl_conf = init\n[init]\nproviders = providers\n"
                     "[providers]\ndefault = default_sect\ndekcache = dekcache_sect\n"
                     "[default_sect]\nactivate = 1\n"
                     "[dekcache_sect]\nmodule = %s/dekcache.so\nactivate = 1\n%s\n",
                     getenv("DEKCACHE_MODULE_DIR"), section_lines);
    if (n <= 0 || (size_t)n >= sizeof(text) ||
        fixture_temp_file(text, (size_t)n, fx->config_path, sizeof(fx->config_path)) == NULL)
        return 0;
    fx->libctx = OSSL_LIB_CTX_new();
    if (fx->libctx == NULL || !OSSL_LIB_CTX_load_config(fx->libctx, fx->config_path))
        return 0;
    fx->cipher = EVP_CIPHER_fetch(fx->libctx, DEKCACHE_CIPHER_NAME, NULL);
    return fx->cipher != NULL;
}

int fixture_stats(const provider_fixture *fx, char *buf, size_t cap)
{
    OSSL_PROVIDER *prov = OSSL_PROVIDER_load(fx->libctx, DEKCACHE_PROVIDER_NAME);
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(DEKCACHE_PROV_PARAM_STATS, buf, cap),
                           OSSL_PARAM_construct_end()};
    int ok = prov != NULL && OSSL_PROVIDER_get_params(prov, params);
    OSSL_PROVIDER_unload(prov);
    return ok;
}

long long fixture_stat(const char *json, const char *path)
{
    json_object *root = json_tokener_parse(json), *node = NULL;
    long long value = root != NULL && json_pointer_get(root, path, &node) == 0 &&
                              json_object_is_type(node, json_type_int)
                          ? (long long)json_object_get_int64(node)
                          : -1;
    json_object_put(root);
    return value;
}

void provider_fixture_stop(provider_fixture *fx)
{
    EVP_CIPHER_free(fx->cipher);
    OSSL_LIB_CTX_free(fx->libctx);
    if (fx->config_path[0] != '\0')
        unlink(fx->config_path);
    memset(fx, 0, sizeof(*fx));
}

/* The cipher's block size: what one update may write beyond its input. */
#define DEKCACHE_BLOCK 4384

/* Room for a whole run: every update may add its input plus one block. */
static size_t output_cap(size_t in_len)
{
    return in_len + (in_len / 16 + 4) * DEKCACHE_BLOCK + 65536;
}

int fixture_cipher(const provider_fixture *fx, int encrypt, const OSSL_PARAM *params,
                   const unsigned char *in, size_t in_len, const size_t *chunks, size_t n_chunks,
                   unsigned char **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    size_t cap = output_cap(in_len);
    unsigned char *buf = OPENSSL_malloc(cap);
    int ok = ctx != NULL && buf != NULL &&
             EVP_CipherInit_ex2(ctx, fx->cipher, (const unsigned char *)"", NULL, encrypt, params);
    size_t done = 0, used = 0, i = 0;
    while (ok && done < in_len) {
        size_t n = chunks == NULL ? in_len - done : chunks[i++ % n_chunks];
        if (n > in_len - done)
            n = in_len - done;
        int outl = 0;
        ok = EVP_CipherUpdate(ctx, buf + used, &outl, in + done, (int)n);
        used += (size_t)outl;
        done += n;
    }
    int outl = 0;
    ok = ok && EVP_CipherFinal_ex(ctx, buf + used, &outl);
    used += (size_t)outl;
    EVP_CIPHER_CTX_free(ctx);
    if (!ok) {
        OPENSSL_clear_free(buf, cap);
        return 0;
    }
    *out = buf;
    *out_len = used;
    return 1;
}

int fixture_encrypt_declared(const provider_fixture *fx, const char *key_id,
                             const unsigned char *plain, size_t len, unsigned char **out,
                             size_t *out_len)
{
    uint64_t declared = len;
    OSSL_PARAM params[3], *p = params;
    if (key_id != NULL)
        *p++ = OSSL_PARAM_construct_utf8_string(DEKCACHE_PARAM_KEY_ID, (char *)key_id, 0);
    *p++ = OSSL_PARAM_construct_uint64(DEKCACHE_PARAM_PLAINTEXT_LENGTH, &declared);
    *p = OSSL_PARAM_construct_end();
    return fixture_cipher(fx, 1, params, plain, len, NULL, 0, out, out_len);
}

int fixture_decrypts_to(const provider_fixture *fx, const unsigned char *message, size_t len,
                        const unsigned char *plain, size_t plain_len)
{
    unsigned char *back = NULL;
    size_t back_len = 0;
    int ok = fixture_cipher(fx, 0, NULL, message, len, NULL, 0, &back, &back_len) &&
             back_len == plain_len && (plain_len == 0 || memcmp(back, plain, plain_len) == 0);
    OPENSSL_clear_free(back, back_len);
    return ok;
}

int fixture_cipher_in_place(const provider_fixture *fx, int encrypt, const unsigned char *in,
                            size_t in_len, size_t chunk, unsigned char **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    if (chunk == 0 || chunk > in_len)
        chunk = in_len > 0 ? in_len : 1;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    size_t work_cap = chunk + 2 * DEKCACHE_BLOCK, cap = output_cap(in_len);
    unsigned char *work = OPENSSL_malloc(work_cap), *buf = OPENSSL_malloc(cap);
    int ok = ctx != NULL && work != NULL && buf != NULL &&
             EVP_CipherInit_ex2(ctx, fx->cipher, (const unsigned char *)"", NULL, encrypt, NULL);
    size_t done = 0, used = 0;
    while (ok && done < in_len) {
        size_t n = in_len - done < chunk ? in_len - done : chunk;
        int outl = 0;
        memcpy(work, in + done, n);
        ok = EVP_CipherUpdate(ctx, work, &outl, work, (int)n) && used + (size_t)outl <= cap;
        if (ok)
            memcpy(buf + used, work, (size_t)outl);
        used += (size_t)outl;
        done += n;
    }
    int outl = 0;
    ok = ok && EVP_CipherFinal_ex(ctx, work, &outl) && used + (size_t)outl <= cap;
    if (ok)
        memcpy(buf + used, work, (size_t)outl);
    used += (size_t)outl;
    EVP_CIPHER_CTX_free(ctx);
    OPENSSL_clear_free(work, work_cap);
    if (!ok) {
        OPENSSL_clear_free(buf, cap);
        return 0;
    }
    *out = buf;
    *out_len = used;
    return 1;
}

const char *fixture_last_error(char *buf, size_t len)
{
    const char *data = NULL;
    int flags = 0;
    unsigned long code;
    size_t used = 0;
    if (len > 0)
        buf[0] = '\0';
    while ((code = ERR_get_error_all(NULL, NULL, NULL, &data, &flags)) != 0) {
        char one[512];
        ERR_error_string_n(code, one, sizeof(one));
        if (used < len)
            used += (size_t)snprintf(buf + used, len - used, "%s|%s\n", one,
                                     (flags & ERR_TXT_STRING) ? data : "");
    }
    return buf;
}

EVP_PKEY *fixture_load_key(const provider_fixture *fx, const char *uri)
{
    OSSL_STORE_CTX *store = OSSL_STORE_open_ex(uri, fx->libctx, NULL, NULL, NULL, NULL, NULL, NULL);
    EVP_PKEY *key = NULL;
    while (store != NULL && key == NULL && !OSSL_STORE_eof(store)) {
        OSSL_STORE_INFO *info = OSSL_STORE_load(store);
        if (info != NULL && OSSL_STORE_INFO_get_type(info) == OSSL_STORE_INFO_PKEY)
            key = OSSL_STORE_INFO_get1_PKEY(info);
        OSSL_STORE_INFO_free(info);
        if (info == NULL)
            break;
    }
    OSSL_STORE_close(store);
    return key;
}

int fixture_pkey_cipher(const provider_fixture *fx, EVP_PKEY *key, int encrypt,
                        const OSSL_PARAM *params, const unsigned char *in, size_t in_len,
                        unsigned char **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(fx->libctx, key, NULL);
    size_t size = 0;
    int ok =
        ctx != NULL &&
        (encrypt ? EVP_PKEY_encrypt_init_ex(ctx, params) : EVP_PKEY_decrypt_init_ex(ctx, params)) &&
        (encrypt ? EVP_PKEY_encrypt(ctx, NULL, &size, in, in_len)
                 : EVP_PKEY_decrypt(ctx, NULL, &size, in, in_len)) > 0;
    unsigned char *buf = ok ? OPENSSL_malloc(size + 1) : NULL;
    size_t got = size;
    ok = ok && buf != NULL &&
         (encrypt ? EVP_PKEY_encrypt(ctx, buf, &got, in, in_len)
                  : EVP_PKEY_decrypt(ctx, buf, &got, in, in_len)) > 0 &&
         got == size; /* the size query was exact */
    EVP_PKEY_CTX_free(ctx);
    if (!ok) {
        OPENSSL_free(buf);
        return 0;
    }
    *out = buf;
    *out_len = got;
    return 1;
}
