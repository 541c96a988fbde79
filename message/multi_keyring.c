#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "message/keyring.h"

/* Generator first, then each child wraps the same data key (encrypt) or gets
 * its turn to unwrap (decrypt). */
typedef struct {
    esdk_keyring base;
    esdk_keyring *generator; /* may be NULL */
    esdk_keyring **children;
    size_t child_count;
} multi_keyring;

static esdk_status multi_on_encrypt(esdk_keyring *keyring, esdk_enc_materials *mat, char *detail,
                                    size_t detail_len)
{
    multi_keyring *m = (multi_keyring *)keyring;
    if (m->generator == NULL && mat->data_key == NULL)
        return esdk_fail(detail, detail_len, ESDK_ERR_KEYRING,
                         "multi-keyring has no generator and the materials no data key");
    /* A member that fails fails the whole: esdk_keyring_on_encrypt, around
     * this multi-keyring, undoes what the members before it added. */
    for (size_t i = 0; i <= m->child_count; i++) {
        esdk_keyring *member = i == 0 ? m->generator : m->children[i - 1];
        if (member == NULL)
            continue;
        esdk_status st = esdk_keyring_on_encrypt(member, mat, detail, detail_len);
        if (st != ESDK_OK)
            return st;
    }
    return ESDK_OK;
}

/* How much a member's failure tells the user: a real failure (KMS unreachable,
 * a disabled key) over a refused key over "none of my EDKs". */
static int failure_rank(esdk_status st)
{
    return st == ESDK_ERR_NO_KEYRING_DECRYPT ? 0 : st == ESDK_ERR_KEY_NOT_ALLOWED ? 1 : 2;
}

static esdk_status multi_on_decrypt(esdk_keyring *keyring, esdk_dec_materials *mat,
                                    const esdk_edk *edks, size_t edk_count, char *detail,
                                    size_t detail_len)
{
    multi_keyring *m = (multi_keyring *)keyring;
    esdk_status best = ESDK_ERR_NO_KEYRING_DECRYPT;
    char best_detail[1024] = "";
    for (size_t i = 0; i <= m->child_count; i++) {
        esdk_keyring *member = i == 0 ? m->generator : m->children[i - 1];
        if (member == NULL)
            continue;
        /* Any failure of one member lets the next one try. */
        esdk_status st = esdk_keyring_on_decrypt(member, mat, edks, edk_count, detail, detail_len);
        if (st == ESDK_OK)
            return ESDK_OK;
        if (failure_rank(st) >= failure_rank(best)) {
            best = st;
            snprintf(best_detail, sizeof(best_detail), "%s", detail != NULL ? detail : "");
        }
    }
    if (best == ESDK_ERR_NO_KEYRING_DECRYPT && best_detail[0] == '\0')
        return esdk_fail(detail, detail_len, best, "no member of the multi-keyring decrypted");
    return esdk_fail(detail, detail_len, best, "%s", best_detail);
}

static void multi_destroy(esdk_keyring *keyring)
{
    multi_keyring *m = (multi_keyring *)keyring;
    esdk_keyring_free(m->generator);
    for (size_t i = 0; i < m->child_count; i++)
        esdk_keyring_free(m->children[i]);
    OPENSSL_free(m->children);
    OPENSSL_free(m);
}

static const esdk_keyring_vtable multi_vtable = {"multi", multi_on_encrypt, multi_on_decrypt,
                                                 multi_destroy};

esdk_status esdk_multi_keyring_new(esdk_keyring *generator, esdk_keyring *const *children,
                                   size_t child_count, esdk_keyring **out)
{
    *out = NULL;
    if (generator == NULL && child_count == 0)
        return ESDK_ERR_INVALID_ARGUMENT;
    multi_keyring *m = OPENSSL_zalloc(sizeof(*m));
    if (m == NULL)
        return ESDK_ERR_ALLOC;
    if (child_count > 0) {
        m->children = OPENSSL_malloc(child_count * sizeof(*m->children));
        if (m->children == NULL) {
            OPENSSL_free(m);
            return ESDK_ERR_ALLOC;
        }
    }
    esdk_keyring_init(&m->base, &multi_vtable);
    m->generator = generator ? esdk_keyring_up_ref(generator) : NULL;
    for (size_t i = 0; i < child_count; i++)
        m->children[i] = esdk_keyring_up_ref(children[i]);
    m->child_count = child_count;
    *out = &m->base;
    return ESDK_OK;
}
