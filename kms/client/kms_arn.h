#ifndef DEKCACHE_KMS_ARN_H
#define DEKCACHE_KMS_ARN_H

#include <stddef.h>

/* The parts of arn:<partition>:kms:<region>:<account>:<type>/<id>. */
typedef struct {
    char partition[32];
    char region[64];
    char account[32];
    char resource_type[16]; /* "key" or "alias" */
    char resource_id[256];
} kms_arn;

/* 1 if text can be a region: at most 63 lowercase letters, digits and
 * hyphens (what kms_client_config.region accepts). A
 * region becomes part of the endpoint's host name, so nothing else may pass
 * (a region "evil.example#" would send a signed request to evil.example). */
int kms_region_name_ok(const char *text);

/* 1 if text is a well-formed KMS ARN (resource type "key" or "alias") whose
 * region passes kms_region_name_ok. */
int kms_arn_parse(const char *text, kms_arn *out);

/* 1 if text is a KMS ARN naming a key (not an alias). */
int kms_arn_is_key_arn(const char *text);

#endif
