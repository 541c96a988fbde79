/* libFuzzer: the encryption-context parameter / key-URI parser of the
 * provider (text an application or a command line hands us). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "message/materials.h"
#include "provider/context_param.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    esdk_enc_context ec = {0};
    char detail[256];
    if (dekcache_parse_context_param(text, &ec, detail, sizeof(detail))) {
        /* Whatever parsed is a valid context: it serialises. */
        size_t len = esdk_ec_serialized_size(&ec);
        uint8_t *buf = malloc(len + 1);
        if (buf != NULL && len <= 65535 && esdk_ec_serialize(&ec, buf, len) != ESDK_OK &&
            ec.count <= 65535)
            abort();
        free(buf);
    }
    esdk_ec_clear(&ec);
    free(text);
    return 0;
}
