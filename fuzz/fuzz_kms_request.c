/* Request bodies of every KMS operation and the control API's fault rules.
 * The first byte picks the operation; the rest is the JSON body. */
#include "fuzz_kms_keystore.h"
#include "kms/server/control_api.h"
#include "kms/server/kms_operations.h"

#include <openssl/crypto.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const keystore *ks = fuzz_default_keystore();
    if (size < 1)
        return 0;
    kms_operation op = (kms_operation)(data[0] % (KMS_SERVER_OP_COUNT + 1));
    const char *body = (const char *)data + 1;
    kms_error err = {0};
    char *resp = kms_operation_run(ks, op, body, size - 1, &err);
    if (resp != NULL) {
        OPENSSL_cleanse(resp, strlen(resp));
        free(resp);
    } else if (err.http_status == 0) {
        abort(); /* every failure must carry an AWS error */
    }
    fault_rule rule;
    char detail[160];
    control_parse_fault(body, size - 1, &rule, detail, sizeof(detail));
    return 0;
}
