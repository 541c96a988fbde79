#include "kms/client/shared_profile.h"

#include "kms/client/env.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#define LINE_MAX_BYTES 4096

static char *trim(char *text)
{
    while (*text == ' ' || *text == '\t') {
        text++;
    }
    size_t len = strlen(text);
    while (len > 0 && strchr(" \t\r\n", text[len - 1]) != NULL) {
        text[--len] = '\0';
    }
    return text;
}

/* Whether a "[...]" header (brackets removed, trimmed) opens the profile. */
static int header_names_profile(char *header, shared_file_kind kind, const char *profile)
{
    header = trim(header);
    if (kind == SHARED_FILE_CONFIG && strcmp(profile, "default") != 0) {
        if (strncmp(header, "profile", 7) != 0 || (header[7] != ' ' && header[7] != '\t')) {
            return 0;
        }
        header = trim(header + 7);
    }
    return strcmp(header, profile) == 0;
}

/* Returns 1 if the line is "key = value" for the key (value set), else 0. */
static int line_value(char *line, const char *key, char **value)
{
    char *eq = strchr(line, '=');
    if (eq == NULL) {
        return 0;
    }
    *eq = '\0';
    if (strcmp(trim(line), key) != 0) {
        return 0;
    }
    *value = trim(eq + 1);
    return 1;
}

static int scan(FILE *file, shared_file_kind kind, const char *profile, const char *key, char *out,
                size_t cap, char *line)
{
    int in_profile = 0;
    while (fgets(line, LINE_MAX_BYTES, file) != NULL) {
        char *text = trim(line);
        char *value = NULL;
        if (text[0] == '#' || text[0] == ';' || text[0] == '\0') {
            continue;
        }
        if (text[0] == '[') {
            char *close = strchr(text, ']');
            if (close != NULL) {
                *close = '\0';
            }
            in_profile = close != NULL && header_names_profile(text + 1, kind, profile);
        } else if (in_profile && line_value(text, key, &value)) {
            size_t len = strlen(value);
            if (len >= cap) {
                return -1;
            }
            memcpy(out, value, len + 1);
            return 1;
        }
    }
    return 0;
}

void shared_file_path(shared_file_kind kind, char *out, size_t cap)
{
    int credentials = kind == SHARED_FILE_CREDENTIALS;
    const char *path =
        env_first_set(NULL, credentials ? "AWS_SHARED_CREDENTIALS_FILE" : "AWS_CONFIG_FILE", NULL);
    const char *home = env_first_set(NULL, "HOME", NULL);
    if (path != NULL) {
        snprintf(out, cap, "%s", path);
    } else {
        snprintf(out, cap, "%s/.aws/%s", home != NULL ? home : ".",
                 credentials ? "credentials" : "config");
    }
}

const char *shared_profile_name(const char *configured)
{
    const char *profile = env_first_set(configured, "AWS_PROFILE", NULL);
    return profile != NULL ? profile : "default";
}

int shared_profile_read(FILE *file, shared_file_kind kind, const char *profile, const char *key,
                        char *out, size_t cap)
{
    char line[LINE_MAX_BYTES];
    int found = scan(file, kind, profile, key, out, cap, line);
    OPENSSL_cleanse(line, sizeof(line));
    return found;
}

int shared_profile_get(const char *path, shared_file_kind kind, const char *profile,
                       const char *key, char *out, size_t cap)
{
    FILE *file = fopen(path, "r");
    if (file == NULL) {
        return 0;
    }
    /* stdio's own buffer would keep a copy of the secrets: use ours, cleansed. */
    char stdio_buffer[BUFSIZ];
    setvbuf(file, stdio_buffer, _IOFBF, sizeof(stdio_buffer));
    int found = shared_profile_read(file, kind, profile, key, out, cap);
    fclose(file);
    OPENSSL_cleanse(stdio_buffer, sizeof(stdio_buffer));
    return found;
}
