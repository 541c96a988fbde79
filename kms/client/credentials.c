#include "kms/client/credentials.h"

#include "kms/client/env.h"
#include "kms/client/shared_profile.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SECRET_MAX 2048

static char *secure_strdup(const char *text)
{
    size_t len = strlen(text);
    char *copy = OPENSSL_secure_malloc(len + 1);
    if (copy != NULL) {
        memcpy(copy, text, len + 1);
    }
    return copy;
}

static void secure_strfree(char *text)
{
    if (text != NULL) {
        OPENSSL_secure_clear_free(text, strlen(text) + 1);
    }
}

void credentials_clear(credentials *creds)
{
    secure_strfree(creds->access_key_id);
    secure_strfree(creds->secret_access_key);
    secure_strfree(creds->session_token);
    memset(creds, 0, sizeof(*creds));
}

static int non_empty(const char *text)
{
    return text != NULL && text[0] != '\0';
}

static kms_client_status take(const char *key_id, const char *secret, const char *token,
                              const char *source, credentials *out)
{
    out->access_key_id = secure_strdup(key_id);
    out->secret_access_key = secure_strdup(secret);
    out->session_token = non_empty(token) ? secure_strdup(token) : NULL;
    snprintf(out->source, sizeof(out->source), "%s", source);
    if (out->access_key_id == NULL || out->secret_access_key == NULL ||
        (non_empty(token) && out->session_token == NULL)) {
        credentials_clear(out);
        return KMS_CLIENT_ERR_NO_MEMORY;
    }
    return KMS_CLIENT_OK;
}

/* Control characters (CR and LF above all) would end the header line that
 * carries the value and start another one of the sender's choosing. */
static int printable(const char *text)
{
    for (const unsigned char *p = (const unsigned char *)text; p != NULL && *p != '\0'; p++)
        if (*p < 0x20 || *p == 0x7f)
            return 0;
    return 1;
}

/* A half-given pair is a mistake worth naming rather than skipping silently;
 * so is a value that cannot go into an HTTP header (named, never shown). */
static kms_client_status from_pair(const char *key_id, const char *secret, const char *token,
                                   const char *source, credentials *out, char *detail,
                                   size_t detail_cap, int *found)
{
    *found = non_empty(key_id) || non_empty(secret);
    if (!*found) {
        return KMS_CLIENT_OK;
    }
    if (!non_empty(key_id) || !non_empty(secret)) {
        snprintf(detail, detail_cap, "incomplete credentials in %s: %s missing", source,
                 non_empty(key_id) ? "secret access key" : "access key id");
        return KMS_CLIENT_ERR_NO_CREDENTIALS;
    }
    if (!printable(key_id) || !printable(secret) || !printable(token)) {
        snprintf(detail, detail_cap, "credentials in %s hold a control character", source);
        return KMS_CLIENT_ERR_NO_CREDENTIALS;
    }
    return take(key_id, secret, token, source, out);
}

typedef struct {
    char key_id[SECRET_MAX];
    char secret[SECRET_MAX];
    char token[SECRET_MAX];
} file_secrets;

/* Reads one shared file's profile in one pass; -1 if a value is oversized. */
static int read_profile(const char *path, shared_file_kind kind, const char *profile,
                        file_secrets *s)
{
    shared_profile_field fields[] = {
        {"aws_access_key_id", s->key_id, SECRET_MAX, 0},
        {"aws_secret_access_key", s->secret, SECRET_MAX, 0},
        {"aws_session_token", s->token, SECRET_MAX, 0},
    };
    return shared_profile_get_fields(path, kind, profile, fields, 3) < 0 ? -1 : 0;
}

static kms_client_status from_shared_file(const char *path, shared_file_kind kind,
                                          const char *profile, credentials *out, char *detail,
                                          size_t detail_cap, int *found)
{
    file_secrets *s = OPENSSL_zalloc(sizeof(*s));
    char source[64];
    kms_client_status status = KMS_CLIENT_ERR_NO_MEMORY;
    *found = 0;
    if (s == NULL) {
        return status;
    }
    snprintf(source, sizeof(source), "profile '%.20s' of the shared %s file", profile,
             kind == SHARED_FILE_CREDENTIALS ? "credentials" : "config");
    if (read_profile(path, kind, profile, s) < 0) {
        *found = 1;
        snprintf(detail, detail_cap, "oversized value in %s", source);
        status = KMS_CLIENT_ERR_NO_CREDENTIALS;
    } else {
        status = from_pair(s->key_id, s->secret, s->token, source, out, detail, detail_cap, found);
    }
    OPENSSL_clear_free(s, sizeof(*s));
    return status;
}

static kms_client_status from_shared_files(const kms_client_config *config, credentials *out,
                                           char *detail, size_t detail_cap)
{
    char creds_path[1024];
    char config_path[1024];
    const char *profile = shared_profile_name(config->profile);
    int found = 0;
    shared_file_path(SHARED_FILE_CREDENTIALS, creds_path, sizeof(creds_path));
    shared_file_path(SHARED_FILE_CONFIG, config_path, sizeof(config_path));
    kms_client_status status = from_shared_file(creds_path, SHARED_FILE_CREDENTIALS, profile, out,
                                                detail, detail_cap, &found);
    if (found) {
        return status;
    }
    status =
        from_shared_file(config_path, SHARED_FILE_CONFIG, profile, out, detail, detail_cap, &found);
    if (found) {
        return status;
    }
    snprintf(detail, detail_cap,
             "no AWS credentials: none configured, AWS_ACCESS_KEY_ID unset, and profile '%s' "
             "has none in %s or %s",
             profile, creds_path, config_path);
    return KMS_CLIENT_ERR_NO_CREDENTIALS;
}

kms_client_status credentials_resolve(const kms_client_config *config, credentials *out,
                                      char *detail, size_t detail_cap)
{
    int found = 0;
    memset(out, 0, sizeof(*out));
    kms_client_status status =
        from_pair(config->access_key_id, config->secret_access_key, config->session_token,
                  "the explicit configuration", out, detail, detail_cap, &found);
    if (found) {
        return status;
    }
    status =
        from_pair(getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"),
                  getenv("AWS_SESSION_TOKEN"), "the environment", out, detail, detail_cap, &found);
    if (found) {
        return status;
    }
    return from_shared_files(config, out, detail, detail_cap);
}
