/* Ciphertext blob parsing and opening on arbitrary bytes: never a crash,
 * and a blob nobody sealed never authenticates. */
#include "fuzz_kms_keystore.h"
#include "kms/server/ciphertext_blob.h"

#include <openssl/crypto.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const keystore *ks = fuzz_default_keystore();
    blob_view view;
    kms_error err;
    if (blob_parse(data, size, &view, &err) != 0)
        return 0;
    const kms_key *key = keystore_find_key(ks, view.key_id);
    const unsigned char context[2] = {0, 0};
    unsigned char *plaintext = NULL;
    size_t len = 0;
    if (key != NULL && blob_open(&view, key, context, sizeof(context), &plaintext, &len, &err) == 0)
        abort(); /* forging an AES-GCM tag by chance is not a thing */
    return 0;
}
