#include "kms/client/endpoint.h"

#include "kms/client/env.h"
#include "kms/client/kms_arn.h"
#include "kms/client/shared_profile.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

static int copy_if_set(const char *text, char *out, size_t cap)
{
    if (text == NULL || text[0] == '\0' || strlen(text) >= cap) {
        return 0;
    }
    memcpy(out, text, strlen(text) + 1);
    return 1;
}

static int read_region(const char *configured, const char *profile, char *out, size_t cap)
{
    const char *region = env_first_set(configured, "AWS_REGION", "AWS_DEFAULT_REGION");
    if (region != NULL)
        return copy_if_set(region, out, cap);
    char path[1024];
    shared_file_path(SHARED_FILE_CONFIG, path, sizeof(path));
    return shared_profile_get(path, SHARED_FILE_CONFIG, shared_profile_name(profile), "region", out,
                              cap) >= 0;
}

int endpoint_configured_region(const char *configured, const char *profile, char *out, size_t cap)
{
    out[0] = '\0';
    if (read_region(configured, profile, out, cap) && kms_region_name_ok(out))
        return 1;
    out[0] = '\0';
    return 0;
}

int endpoint_region_for_key(const char *client_region, const char *key_id, char *out, size_t cap)
{
    kms_arn arn;
    if (copy_if_set(client_region, out, cap)) {
        return 1;
    }
    return kms_arn_parse(key_id, &arn) && copy_if_set(arn.region, out, cap);
}

int endpoint_url(const char *override, const char *region, char *out, size_t cap)
{
    int own = override != NULL && override[0] != '\0';
    if (!own && !kms_region_name_ok(region))
        return 0;
    int n = own ? snprintf(out, cap, "%s", override)
                : snprintf(out, cap, "https://kms.%s.%s/", region, kms_region_dns_suffix(region));
    return n > 0 && (size_t)n < cap;
}

/* Everything between "://" and the last '@' goes: a password may itself hold
 * '/', '?' or '#' (unescaped), which would otherwise end the search early. */
void endpoint_redact(const char *url, char *out, size_t cap)
{
    const char *authority = strstr(url, "://");
    authority = authority != NULL ? authority + 3 : url;
    const char *at = strrchr(authority, '@');
    if (at == NULL)
        snprintf(out, cap, "%s", url);
    else
        snprintf(out, cap, "%.*s***%s", (int)(authority - url), url, at);
}

static int is_default_port(const char *scheme, const char *port)
{
    return (strcmp(scheme, "https") == 0 && strcmp(port, "443") == 0) ||
           (strcmp(scheme, "http") == 0 && strcmp(port, "80") == 0);
}

static int format_host(CURLU *u, char *out, size_t cap)
{
    char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL, *query = NULL, *user = NULL;
    /* User info would go to libcurl as HTTP credentials and into our error
     * messages; SigV4 is the only authentication KMS takes. */
    int ok = curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_NO_USER &&
             curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
             curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
             curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK &&
             curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_NO_QUERY &&
             (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0) &&
             strcmp(path, "/") == 0;
    if (ok) {
        int has_port = curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK &&
                       !is_default_port(scheme, port);
        int n = has_port ? snprintf(out, cap, "%s:%s", host, port) : snprintf(out, cap, "%s", host);
        ok = n > 0 && (size_t)n < cap;
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(path);
    curl_free(query);
    curl_free(user);
    return ok;
}

int endpoint_host(const char *url, char *out, size_t cap)
{
    CURLU *u = curl_url();
    if (u == NULL) {
        return 0;
    }
    int ok = curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK && format_host(u, out, cap);
    curl_url_cleanup(u);
    return ok;
}
