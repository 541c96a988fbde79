#ifndef DEKCACHE_KMS_CLIENT_REQUEST_JSON_H
#define DEKCACHE_KMS_CLIENT_REQUEST_JSON_H

#include "kms/client/kms_client.h"
#include "kms/client/secure_buffer.h"

/* Request bodies of the KMS JSON 1.1 protocol. The body may carry plaintext key
 * bytes (Encrypt), hence the cleansing buffer. Each returns 1, or 0 when out
 * of memory. */

int request_json_generate_data_key(secure_buffer *out, const char *key_id, size_t n_bytes,
                                   const kms_client_context *context);
int request_json_encrypt(secure_buffer *out, const char *key_id, const unsigned char *plaintext,
                         size_t plaintext_len, const kms_client_context *context);
int request_json_decrypt(secure_buffer *out, const char *key_id, const unsigned char *ciphertext,
                         size_t ciphertext_len, const kms_client_context *context);
int request_json_describe_key(secure_buffer *out, const char *key_id);

#endif
