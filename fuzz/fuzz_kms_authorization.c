/* sigv4_parse_authorization on arbitrary header values; whatever parses is
 * then verified against a fixed request (canonical request over the fuzzed
 * SignedHeaders list). */
#include "kms/sigv4/sigv4.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const sigv4_header headers[] = {{"Host", "127.0.0.1:8710"},
                                           {"X-Amz-Date", "20240102T030405Z"},
                                           {"X-Amz-Target", "TrentService.Decrypt"},
                                           {"Content-Type", "application/x-amz-json-1.1"}};
    char *value = malloc(size + 1);
    sigv4_parsed_authorization parsed;
    if (value == NULL)
        return 0;
    memcpy(value, data, size);
    value[size] = '\0';
    if (sigv4_parse_authorization(value, &parsed) == SIGV4_OK) {
        sigv4_request req = {
            "POST",  "/", "",
            headers, 4,   "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"};
        int rc = sigv4_verify(NULL, &req, &parsed, "secret", "20240102T030405Z");
        if (rc == SIGV4_OK)
            abort(); /* a forged signature must never verify */
    }
    free(value);
    return 0;
}
