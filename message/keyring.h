#ifndef DEKCACHE_MESSAGE_KEYRING_H
#define DEKCACHE_MESSAGE_KEYRING_H

#include <stddef.h>

#include "message/crypto.h"
#include "message/materials.h"
#include "message/status.h"

/* A keyring generates or wraps data keys on encrypt and unwraps them on
 * decrypt. Implementations embed `esdk_keyring` as their FIRST member and
 * fill in a static vtable:
 *
 *     typedef struct { esdk_keyring base; ... } my_keyring;
 *     static const esdk_keyring_vtable my_vtable = {"my", my_on_encrypt, my_on_decrypt,
 *                                                   my_destroy};
 *     esdk_keyring_init(&k->base, &my_vtable);
 *
 * Keyrings are reference counted (esdk_keyring_up_ref / esdk_keyring_free) and
 * must allow concurrent on_encrypt/on_decrypt calls from several threads. */
typedef struct esdk_keyring esdk_keyring;

typedef struct {
    const char *name; /* for error messages: "raw-aes", "aws-kms", ... */
    /* If mat->data_key is NULL: generate one of the suite's length (secure memory,
     * via esdk_enc_materials_set_data_key) and add an EDK for it. Otherwise wrap
     * the existing data key and add an EDK. On failure, whatever it added is
     * taken back by esdk_keyring_on_encrypt, the only caller. The EC to bind
     * is mat->ec (the full EC). */
    esdk_status (*on_encrypt)(esdk_keyring *keyring, esdk_enc_materials *mat, char *detail,
                              size_t detail_len);
    /* If mat->data_key is already set: return ESDK_OK without doing anything.
     * Otherwise try the EDKs in order, skipping those that are not this
     * keyring's; on the first that unwraps to a key of the suite's length, set
     * the data key and mat->edk_index and return ESDK_OK. When none does, return
     * ESDK_ERR_NO_KEYRING_DECRYPT (the detail may list per-EDK errors), or
     * ESDK_ERR_KEY_NOT_ALLOWED when every EDK it could have tried is under a key
     * its policy refuses (strict allow-list, discovery filter), or
     * ESDK_ERR_KEYRING when the service it asked failed (KMS unreachable, key
     * disabled, request refused); other
     * codes are hard failures (e.g. a malformed KMS ARN). The EC to bind is
     * mat->ec (stored plus required pairs). */
    esdk_status (*on_decrypt)(esdk_keyring *keyring, esdk_dec_materials *mat, const esdk_edk *edks,
                              size_t edk_count, char *detail, size_t detail_len);
    /* Frees the implementation (called when the last reference goes). */
    void (*destroy)(esdk_keyring *keyring);
} esdk_keyring_vtable;

struct esdk_keyring {
    const esdk_keyring_vtable *vtable;
    int refs; /* accessed atomically */
};

/* Sets the vtable and a reference count of 1. */
void esdk_keyring_init(esdk_keyring *keyring, const esdk_keyring_vtable *vtable);
esdk_keyring *esdk_keyring_up_ref(esdk_keyring *keyring);
/* Drops one reference; destroys the keyring on the last. NULL is ignored. */
void esdk_keyring_free(esdk_keyring *keyring);

/* Dispatch helpers (also validate the result: data key length, new EDK). */
esdk_status esdk_keyring_on_encrypt(esdk_keyring *keyring, esdk_enc_materials *mat, char *detail,
                                    size_t detail_len);
esdk_status esdk_keyring_on_decrypt(esdk_keyring *keyring, esdk_dec_materials *mat,
                                    const esdk_edk *edks, size_t edk_count, char *detail,
                                    size_t detail_len);

/* For keyrings that wrap locally (raw AES, raw RSA): generates a random data
 * key of the suite's length when the materials have none, then calls wrap();
 * if wrap fails a key generated here is removed again, so a failure leaves the
 * materials as they were. */
typedef esdk_status (*esdk_wrap_fn)(esdk_keyring *keyring, esdk_enc_materials *mat, char *detail,
                                    size_t detail_len);
esdk_status esdk_keyring_generate_and_wrap(const esdk_crypto *crypto, esdk_keyring *keyring,
                                           esdk_enc_materials *mat, esdk_wrap_fn wrap, char *detail,
                                           size_t detail_len);

/* Multi-keyring: on encrypt the generator (may be NULL if the materials already
 * carry a data key) runs first, then every child wraps the same data key; any
 * failure fails the call. On decrypt the generator then each child is tried
 * until one sets the data key. Takes a new reference on every keyring given. */
esdk_status esdk_multi_keyring_new(esdk_keyring *generator, esdk_keyring *const *children,
                                   size_t child_count, esdk_keyring **out);

#endif
