#ifndef DEKCACHE_KMS_CLIENT_ENDPOINT_H
#define DEKCACHE_KMS_CLIENT_ENDPOINT_H

#include <stddef.h>

/* Where a call goes: the region and the URL of the KMS endpoint. */

/* The configured region, else AWS_REGION, else AWS_DEFAULT_REGION, else the
 * `region` of the profile (configured, else AWS_PROFILE, else "default") in
 * the shared config file, as the AWS SDKs and CLI resolve it; "" if none.
 * Returns 0 (out "") when the value chosen does not fit in cap or is not
 * lowercase letters, digits and hyphens: a bad region is an error, never a
 * reason to fall through to the next source. */
int endpoint_configured_region(const char *configured, const char *profile, char *out, size_t cap);

/* The client's region if it has one, else the region in the key ARN.
 * Returns 0 when neither gives one. */
int endpoint_region_for_key(const char *client_region, const char *key_id, char *out, size_t cap);

/* The override, else https://kms.<region>.amazonaws.com (0 when the region
 * is not a region name: see kms_region_name_ok). */
int endpoint_url(const char *override, const char *region, char *out, size_t cap);

/* url for a message: user info ("user:password@") replaced by "***". */
void endpoint_redact(const char *url, char *out, size_t cap);

/* The Host header value for a URL ("host" or "host:port" when the port is not
 * the scheme's default). Returns 0 if the URL is not http(s) with path "/" or
 * none, and no query. */
int endpoint_host(const char *url, char *out, size_t cap);

#endif
