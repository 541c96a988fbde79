#ifndef DEKCACHE_TEST_PROVIDER_FIXTURE_H
#define DEKCACHE_TEST_PROVIDER_FIXTURE_H

/* Loads dekcache (built in this tree) into a fresh library context from a
 * generated openssl.cnf, and drives the DEKCACHE cipher through EVP. */

#include <openssl/evp.h>
#include <stddef.h>

typedef struct {
    OSSL_LIB_CTX *libctx;
    EVP_CIPHER *cipher;
    char config_path[256];
} provider_fixture;

/* `section_lines` go into the dekcache section (with default and module
 * lines added). Returns 0 when the configuration or the fetch fails. */
int provider_fixture_start(provider_fixture *fx, const char *section_lines);
void provider_fixture_stop(provider_fixture *fx);

/* Writes `len` random bytes to a new temp file; returns its path (static buffer per call slot). */
const char *fixture_temp_file(const void *data, size_t len, char *path, size_t path_len);

/* Runs one EVP encryption or decryption. Input goes in chunks whose sizes
 * cycle through `chunks` (NULL: one update), output is collected in *out
 * (OPENSSL_malloc). params go to the init call. Returns 1 on success; on
 * failure *out is NULL. */
int fixture_cipher(const provider_fixture *fx, int encrypt, const OSSL_PARAM *params,
                   const unsigned char *in, size_t in_len, const size_t *chunks, size_t n_chunks,
                   unsigned char **out, size_t *out_len);

/* One encryption with its plaintext length declared (so that the cache may
 * serve it), under key_id (NULL: the instance's default key). */
int fixture_encrypt_declared(const provider_fixture *fx, const char *key_id,
                             const unsigned char *plain, size_t len, unsigned char **out,
                             size_t *out_len);

/* 1 when message decrypts to exactly plain. */
int fixture_decrypts_to(const provider_fixture *fx, const unsigned char *message, size_t len,
                        const unsigned char *plain, size_t plain_len);

/* The same, in place, as a caller that reads each chunk of `chunk` bytes (0:
 * all) into one work buffer and passes it as both input and output. */
int fixture_cipher_in_place(const provider_fixture *fx, int encrypt, const unsigned char *in,
                            size_t in_len, size_t chunk, unsigned char **out, size_t *out_len);

/* Loads a DEKCACHE key reference ("dekcache:<key-id>[?k=v]") through the
 * OSSL_STORE loader. NULL on failure. */
EVP_PKEY *fixture_load_key(const provider_fixture *fx, const char *uri);

/* One whole message through EVP_PKEY_encrypt/decrypt (what pkeyutl does):
 * a size query, then the call; checks the reported size was exact. */
int fixture_pkey_cipher(const provider_fixture *fx, EVP_PKEY *key, int encrypt,
                        const OSSL_PARAM *params, const unsigned char *in, size_t in_len,
                        unsigned char **out, size_t *out_len);

/* The instance's "stats" provider parameter (a JSON document) into buf. */
int fixture_stats(const provider_fixture *fx, char *buf, size_t cap);
/* One number of that document by its JSON pointer (RFC 6901: "/cache/hits",
 * "/kms/calls/Decrypt"); -1 when the path is missing or not an integer. */
long long fixture_stat(const char *json, const char *path);

/* Every error on the queue as text, one per line ("" if none); clears the queue. */
const char *fixture_last_error(char *buf, size_t len);

#endif
