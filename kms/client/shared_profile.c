#include "kms/client/shared_profile.h"

#include "kms/client/env.h"

#include <openssl/crypto.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

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

/* Whether a "[...]" header (brackets removed) opens the profile. */
static int header_names_profile(char *header, shared_file_kind kind, const char *profile)
{
    header = trim(header);
    if (kind == SHARED_FILE_CONFIG && strncmp(header, "profile", 7) == 0 &&
        (header[7] == ' ' || header[7] == '\t')) {
        return strcmp(trim(header + 7), profile) == 0;
    }
    /* In the config file only the default profile goes without the prefix. */
    return (kind == SHARED_FILE_CREDENTIALS || strcmp(profile, "default") == 0) &&
           strcmp(header, profile) == 0;
}

/* The field a "key = value" line sets, still unfound; NULL for other lines. */
static shared_profile_field *line_field(char *line, shared_profile_field *fields, size_t n,
                                        char **value)
{
    char *eq = strchr(line, '=');
    if (eq == NULL) {
        return NULL;
    }
    *eq = '\0';
    const char *key = trim(line);
    for (size_t i = 0; i < n; i++) {
        if (fields[i].found == 0 && strcasecmp(key, fields[i].key) == 0) {
            *value = trim(eq + 1);
            return &fields[i];
        }
    }
    return NULL;
}

/* Reads one line into line (NUL-terminated, the newline dropped); 1 if it is
 * whole, 0 if it was longer than the buffer or held a NUL byte (what fits is
 * in line, the rest is consumed), -1 at the end of the file. Byte by byte,
 * so that a NUL cannot hide a newline and make the next line a tail. */
static int read_line(FILE *file, char *line)
{
    size_t len = 0;
    int c, whole = 1;
    while ((c = getc(file)) != EOF && c != '\n') {
        if (c == '\0') {
            whole = 0; /* a value would be cut short at it */
        }
        if (len + 1 < LINE_MAX_BYTES) {
            line[len++] = (char)c;
        } else {
            whole = 0;
        }
    }
    line[len] = '\0';
    if (c == EOF && ferror(file)) {
        return len == 0 ? -1 : 0; /* a read error: what was read may be cut short */
    }
    return c == EOF && len == 0 && whole ? -1 : whole;
}

static size_t indent_of(const char *line)
{
    return strspn(line, " \t");
}

typedef struct {
    int in_profile;
    int after_option;     /* a line indented deeper than an option continues it */
    size_t option_indent; /* that option line's indent */
} scan_state;

/* Applies one line; -1 when a wanted value does not fit. */
static int apply_line(char *line, int whole, scan_state *st, shared_file_kind kind,
                      const char *profile, shared_profile_field *fields, size_t n)
{
    size_t indent = indent_of(line);
    char *text = trim(line);
    char *value = NULL;
    if (text[0] == '#' || text[0] == ';' || text[0] == '\0') {
        return 0;
    }
    if (st->after_option && indent > st->option_indent) {
        return 0;
    }
    st->after_option = 0;
    if (text[0] == '[') {
        char *close = strchr(text, ']');
        if (close != NULL) {
            *close = '\0';
        }
        /* A header cut short names no profile we can trust. */
        st->in_profile = whole && close != NULL && header_names_profile(text + 1, kind, profile);
        return 0;
    }
    st->after_option = strchr(text, '=') != NULL;
    st->option_indent = indent;
    shared_profile_field *field = st->in_profile ? line_field(text, fields, n, &value) : NULL;
    if (field == NULL) {
        return 0;
    }
    size_t len = strlen(value);
    if (!whole || len >= field->cap) {
        field->found = -1;
        return -1;
    }
    memcpy(field->out, value, len + 1);
    field->found = 1;
    return 0;
}

int shared_profile_read_fields(FILE *file, shared_file_kind kind, const char *profile,
                               shared_profile_field *fields, size_t n)
{
    char line[LINE_MAX_BYTES];
    scan_state st = {0, 0, 0};
    int rc = 0, whole;
    for (size_t i = 0; i < n; i++) {
        fields[i].found = 0;
    }
    while (rc == 0 && (whole = read_line(file, line)) >= 0) {
        rc = apply_line(line, whole, &st, kind, profile, fields, n);
    }
    OPENSSL_cleanse(line, sizeof(line));
    if (rc < 0) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (fields[i].found == 1) {
            return 1;
        }
    }
    return 0;
}

int shared_profile_get_fields(const char *path, shared_file_kind kind, const char *profile,
                              shared_profile_field *fields, size_t n)
{
    FILE *file = path[0] != '\0' ? fopen(path, "r") : NULL;
    if (file == NULL) {
        for (size_t i = 0; i < n; i++) {
            fields[i].found = 0; /* shared_profile_read_fields resets them otherwise */
        }
        return 0;
    }
    /* stdio's own buffer would keep a copy of the secrets: use ours, cleansed. */
    char stdio_buffer[BUFSIZ];
    setvbuf(file, stdio_buffer, _IOFBF, sizeof(stdio_buffer));
    int found = shared_profile_read_fields(file, kind, profile, fields, n);
    fclose(file);
    OPENSSL_cleanse(stdio_buffer, sizeof(stdio_buffer));
    return found;
}

int shared_profile_get(const char *path, shared_file_kind kind, const char *profile,
                       const char *key, char *out, size_t cap)
{
    shared_profile_field field = {key, out, cap, 0};
    return shared_profile_get_fields(path, kind, profile, &field, 1);
}

/* $HOME, else the password database, as SDKs expand "~"; NULL with neither. */
static const char *home_directory(char *buf, size_t cap)
{
    const char *home = env_first_set(NULL, "HOME", NULL);
    struct passwd pw, *found = NULL;
    if (home != NULL) {
        return home;
    }
    if (getpwuid_r(getuid(), &pw, buf, cap, &found) != 0 || found == NULL ||
        found->pw_dir == NULL || found->pw_dir[0] == '\0') {
        return NULL;
    }
    return found->pw_dir;
}

void shared_file_path(shared_file_kind kind, char *out, size_t cap)
{
    int credentials = kind == SHARED_FILE_CREDENTIALS;
    const char *path =
        env_first_set(NULL, credentials ? "AWS_SHARED_CREDENTIALS_FILE" : "AWS_CONFIG_FILE", NULL);
    char pwbuf[4096];
    const char *home = NULL;
    out[0] = '\0';
    if (path != NULL && strncmp(path, "~/", 2) != 0) {
        snprintf(out, cap, "%s", path);
        return;
    }
    if ((home = home_directory(pwbuf, sizeof(pwbuf))) == NULL) {
        return;
    }
    if (path != NULL) {
        snprintf(out, cap, "%s%s", home, path + 1);
    } else {
        snprintf(out, cap, "%s/.aws/%s", home, credentials ? "credentials" : "config");
    }
}

const char *shared_profile_name(const char *configured)
{
    const char *profile = env_first_set(configured, "AWS_PROFILE", NULL);
    return profile != NULL ? profile : "default";
}
