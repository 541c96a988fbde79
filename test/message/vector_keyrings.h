#ifndef DEKCACHE_TEST_MESSAGE_VECTOR_KEYRINGS_H
#define DEKCACHE_TEST_MESSAGE_VECTOR_KEYRINGS_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "message/cmm.h"
#include "message/keyring.h"

/* Reads a whole file into an OPENSSL_malloc buffer (NUL-terminated); NULL on error. */
uint8_t *read_whole_file(const char *path, size_t *len);

/* A default CMM over the keyrings that the test's "master-keys" describe
 * (keys from the keys manifest; keys with "decrypt": false are left out).
 * NULL when none can be built; *why says why. */
esdk_cmm *vector_cmm(json_object *master_keys, json_object *keys, const char **why);

#endif
