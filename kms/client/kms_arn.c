#include "kms/client/kms_arn.h"

#include <string.h>

/* Copies the text up to the next ':' (or the end when last) into out; returns
 * the position after the separator, or NULL if the field is empty or too long. */
static const char *take_field(const char *p, char *out, size_t cap, int last)
{
    const char *end = last ? p + strlen(p) : strchr(p, ':');
    if (end == NULL) {
        return NULL;
    }
    size_t len = (size_t)(end - p);
    if (len == 0 || len >= cap) {
        return NULL;
    }
    memcpy(out, p, len);
    out[len] = '\0';
    return last ? end : end + 1;
}

static int split_resource(const char *resource, kms_arn *out)
{
    const char *slash = strchr(resource, '/');
    if (slash == NULL) {
        return 0;
    }
    size_t type_len = (size_t)(slash - resource);
    size_t id_len = strlen(slash + 1);
    if (type_len == 0 || type_len >= sizeof(out->resource_type) || id_len == 0 ||
        id_len >= sizeof(out->resource_id)) {
        return 0;
    }
    memcpy(out->resource_type, resource, type_len);
    out->resource_type[type_len] = '\0';
    memcpy(out->resource_id, slash + 1, id_len + 1);
    /* Key IDs are UUIDs or mrk- IDs; alias names may hold '/', never ':'. */
    int is_key = strcmp(out->resource_type, "key") == 0;
    return (is_key || strcmp(out->resource_type, "alias") == 0) &&
           strchr(out->resource_id, ':') == NULL && (!is_key || strchr(slash + 1, '/') == NULL);
}

/* Regions outside the aws partition, by prefix: an ARN naming one of these
 * partitions must name one of its regions and the other way round, and the
 * endpoint's DNS suffix follows from the region. Partitions not listed here
 * are not checked. */
static const struct {
    const char *region_prefix, *partition, *dns_suffix;
} partitions[] = {
    {"cn-", "aws-cn", "amazonaws.com.cn"},
    {"us-gov-", "aws-us-gov", "amazonaws.com"},
    {"us-isob-", "aws-iso-b", "sc2s.sgov.gov"},
    {"us-iso-", "aws-iso", "c2s.ic.gov"},
};
#define N_PARTITIONS (sizeof(partitions) / sizeof(partitions[0]))

static int has_prefix(const char *text, const char *prefix)
{
    return strncmp(text, prefix, strlen(prefix)) == 0;
}

const char *kms_region_dns_suffix(const char *region)
{
    for (size_t i = 0; i < N_PARTITIONS; i++)
        if (has_prefix(region, partitions[i].region_prefix))
            return partitions[i].dns_suffix;
    return "amazonaws.com";
}

static int partition_matches_region(const char *partition, const char *region)
{
    for (size_t i = 0; i < N_PARTITIONS; i++) {
        int in_region = has_prefix(region, partitions[i].region_prefix);
        int in_partition = strcmp(partition, partitions[i].partition) == 0;
        if (in_region != in_partition)
            return 0;
        if (in_region)
            return 1;
    }
    return 1; /* aws, or a partition not listed: not ours to judge */
}

static int is_account_id(const char *text)
{
    return strlen(text) == 12 && strspn(text, "0123456789") == 12;
}

int kms_region_name_ok(const char *text)
{
    size_t len = strlen(text);
    return len <= KMS_REGION_NAME_MAX &&
           strspn(text, "abcdefghijklmnopqrstuvwxyz0123456789-") == len;
}

int kms_arn_parse(const char *text, kms_arn *out)
{
    char service[8];
    char resource[sizeof(out->resource_type) + sizeof(out->resource_id)];
    memset(out, 0, sizeof(*out));
    if (text == NULL || strncmp(text, "arn:", 4) != 0) {
        return 0;
    }
    const char *p = text + 4;
    if ((p = take_field(p, out->partition, sizeof(out->partition), 0)) == NULL ||
        (p = take_field(p, service, sizeof(service), 0)) == NULL ||
        (p = take_field(p, out->region, sizeof(out->region), 0)) == NULL ||
        (p = take_field(p, out->account, sizeof(out->account), 0)) == NULL ||
        take_field(p, resource, sizeof(resource), 1) == NULL) {
        return 0;
    }
    return strcmp(service, "kms") == 0 && kms_region_name_ok(out->region) &&
           is_account_id(out->account) && partition_matches_region(out->partition, out->region) &&
           split_resource(resource, out);
}

int kms_arn_is_key_arn(const char *text)
{
    kms_arn arn;
    return kms_arn_parse(text, &arn) && strcmp(arn.resource_type, "key") == 0;
}
