/* An unchanged-OpenSSL application's view of dekcache: fetch the DEKCACHE
 * cipher by name from whatever openssl.cnf configures, envelope-encrypt a
 * few messages with their length declared (so the data key cache serves
 * them), decrypt them back, and print the provider's statistics.
 *
 *   OPENSSL_CONF=openssl.cnf ./dekcache_example_evp [messages] [key-id]
 *
 * Only the public header and libcrypto are used. Exit status 0 when every
 * message round-tripped. */
#include <dekcache.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK 4384 /* EVP_CIPHER_get_block_size of DEKCACHE: the most one call may add */

/* One whole message through EVP_CipherUpdate/Final. out must hold
 * in_len + 2 * BLOCK bytes (one update, one final). */
static int run(EVP_CIPHER *cipher, int encrypt, const OSSL_PARAM *params, const unsigned char *in,
               int in_len, unsigned char *out, int *out_len, char *key_arn, size_t arn_cap)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0, m = 0;
    /* The key argument must be non-NULL to start a message; its bytes are unused. */
    int ok = ctx != NULL &&
             EVP_CipherInit_ex2(ctx, cipher, (const unsigned char *)"", NULL, encrypt, params) &&
             EVP_CipherUpdate(ctx, out, &n, in, in_len) && EVP_CipherFinal_ex(ctx, out + n, &m);
    if (ok && key_arn != NULL) {
        OSSL_PARAM get[] = {
            OSSL_PARAM_construct_utf8_string(DEKCACHE_PARAM_KEY_ARN, key_arn, arn_cap),
            OSSL_PARAM_construct_end()};
        ok = EVP_CIPHER_CTX_get_params(ctx, get);
    }
    *out_len = n + m;
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}

static int print_stats(void)
{
    char json[1024];
    OSSL_PROVIDER *prov = OSSL_PROVIDER_load(NULL, DEKCACHE_PROVIDER_NAME);
    OSSL_PARAM get[] = {
        OSSL_PARAM_construct_utf8_string(DEKCACHE_PROV_PARAM_STATS, json, sizeof(json)),
        OSSL_PARAM_construct_end()};
    int ok = prov != NULL && OSSL_PROVIDER_get_params(prov, get);
    if (ok)
        printf("stats: %s\n", json);
    OSSL_PROVIDER_unload(prov);
    return ok;
}

static int round_trips(EVP_CIPHER *cipher, int count, const char *key_id)
{
    static const char text[] = "quarterly figures, tenant acme: revenue up, costs down";
    uint64_t len = sizeof(text);
    OSSL_PARAM params[4], *p = params;
    if (key_id != NULL)
        *p++ = OSSL_PARAM_construct_utf8_string(DEKCACHE_PARAM_KEY_ID, (char *)key_id, 0);
    *p++ = OSSL_PARAM_construct_utf8_string(DEKCACHE_PARAM_ENCRYPTION_CONTEXT, "tenant=acme", 0);
    *p++ = OSSL_PARAM_construct_uint64(DEKCACHE_PARAM_PLAINTEXT_LENGTH, &len);
    *p = OSSL_PARAM_construct_end();
    unsigned char ct[sizeof(text) + 2 * BLOCK], back[sizeof(ct) + 2 * BLOCK];
    char arn[2048] = "";
    for (int i = 0; i < count; i++) {
        int ct_len = 0, back_len = 0;
        if (!run(cipher, 1, params, (const unsigned char *)text, (int)sizeof(text), ct, &ct_len,
                 arn, sizeof(arn)) ||
            !run(cipher, 0, NULL, ct, ct_len, back, &back_len, NULL, 0) ||
            back_len != (int)sizeof(text) || memcmp(back, text, sizeof(text)) != 0)
            return 0;
    }
    printf("%d messages encrypted and decrypted under %s\n", count, arn);
    return 1;
}

int main(int argc, char **argv)
{
    int count = argc > 1 ? atoi(argv[1]) : 25;
    const char *key_id = argc > 2 ? argv[2] : NULL;
    EVP_CIPHER *cipher = EVP_CIPHER_fetch(NULL, DEKCACHE_CIPHER_NAME, NULL);
    int ok = cipher != NULL && count > 0 && count <= 100000 && round_trips(cipher, count, key_id) &&
             print_stats();
    if (!ok) {
        fprintf(stderr, "dekcache example failed:\n");
        ERR_print_errors_fp(stderr);
    }
    EVP_CIPHER_free(cipher);
    return ok ? 0 : 1;
}
