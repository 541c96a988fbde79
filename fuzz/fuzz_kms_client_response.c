/* libFuzzer target: the KMS client's parsers of response bodies (untrusted
 * bytes from the network). The first byte picks the parser and expectations. */
#include "kms/client/response_json.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    const char *body = (const char *)data + 1;
    size_t len = size - 1;
    char reason[160];
    kms_client_result result;
    kms_client_key_info info;
    char type[96], message[256];
    switch (data[0] % 4) {
    case 0: {
        response_json_expect expect = {1, 32, 1};
        response_json_parse_key_op(body, len, &expect, &result, reason, sizeof(reason));
        kms_client_result_clear(&result);
        break;
    }
    case 1: {
        response_json_expect expect = {1, 0, 0};
        response_json_parse_key_op(body, len, &expect, &result, reason, sizeof(reason));
        kms_client_result_clear(&result);
        break;
    }
    case 2:
        response_json_parse_describe_key(body, len, &info, reason, sizeof(reason));
        break;
    default:
        response_json_parse_error(body, len, type, sizeof(type), message, sizeof(message));
        break;
    }
    return 0;
}
