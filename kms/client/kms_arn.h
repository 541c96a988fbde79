#ifndef DEKCACHE_KMS_ARN_H
#define DEKCACHE_KMS_ARN_H

#include <stddef.h>

/* The longest region name accepted. A region becomes one label of the
 * endpoint's host name (kms.<region>.amazonaws.com), and a DNS label holds at
 * most 63 characters; AWS's own names are far shorter (ap-southeast-2 is 14),
 * so the bound only stops parsing and copying unbounded text. */
#define KMS_REGION_NAME_MAX 63

/* The parts of arn:<partition>:kms:<region>:<account>:<type>/<id>. */
typedef struct {
    char partition[32];
    char region[KMS_REGION_NAME_MAX + 1];
    char account[32];
    char resource_type[16]; /* "key" or "alias" */
    char resource_id[256];
} kms_arn;

/* 1 if text can be a region: at most KMS_REGION_NAME_MAX lowercase letters,
 * digits and hyphens (what kms_client_config.region accepts). A
 * region becomes part of the endpoint's host name, so nothing else may pass
 * (a region "evil.example#" would send a signed request to evil.example). */
int kms_region_name_ok(const char *text);

/* The DNS suffix of the region's partition: regions outside aws proper do not
 * live under amazonaws.com. */
const char *kms_region_dns_suffix(const char *region);

/* 1 if text is a well-formed KMS ARN: resource type "key" or "alias", a
 * region that passes kms_region_name_ok and belongs to the partition named
 * (for the partitions kms_arn.c lists), a 12-digit account, and a resource ID
 * without ':' ('/' only in alias names). Discovery takes ARNs from messages,
 * so nothing looser may reach KMS. */
int kms_arn_parse(const char *text, kms_arn *out);

/* 1 if text is a KMS ARN naming a key (not an alias). */
int kms_arn_is_key_arn(const char *text);

#endif
