/* libFuzzer target: the reader of the AWS shared credentials and config files
 * (INI text a user or a tool wrote). The first byte picks the file kind, the
 * profile, the keys looked up (one or two in one pass), and how small the
 * first output buffer is. */
#include "kms/client/shared_profile.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const profiles[] = {"default", "work", "a b", ""};
    static const char *const keys[] = {"aws_access_key_id", "aws_secret_access_key", "region",
                                       "aws_session_token"};
    if (size < 2) {
        return 0;
    }
    uint8_t pick = data[0];
    FILE *file = fmemopen((void *)(data + 1), size - 1, "r");
    if (file == NULL) {
        return 0;
    }
    char out[64], other[64];
    size_t cap = (pick & 0x40) ? 8 : sizeof(out);
    shared_file_kind kind = (pick & 1) ? SHARED_FILE_CONFIG : SHARED_FILE_CREDENTIALS;
    shared_profile_field fields[] = {
        {keys[(pick >> 3) & 3], out, cap, 0},
        {keys[((pick >> 3) + 1) & 3], other, sizeof(other), 0},
    };
    int found = shared_profile_read_fields(file, kind, profiles[(pick >> 1) & 3], fields,
                                           (pick & 0x80) ? 2 : 1);
    /* A value found is a terminated string that fit its buffer. */
    if (found == 1 && ((fields[0].found == 1 && strlen(out) >= cap) ||
                       ((pick & 0x80) && fields[1].found == 1 && strlen(other) >= sizeof(other)))) {
        __builtin_trap();
    }
    fclose(file);
    return 0;
}
