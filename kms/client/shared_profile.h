#ifndef DEKCACHE_KMS_CLIENT_SHARED_PROFILE_H
#define DEKCACHE_KMS_CLIENT_SHARED_PROFILE_H

#include <stddef.h>
#include <stdio.h>

/* Reads the AWS shared files (INI): ~/.aws/credentials names sections
 * [<profile>], ~/.aws/config names them [profile <profile>], and the default
 * profile [default] or [profile default]. Key names match in any case, and a
 * line indented deeper than the option line above it continues that option,
 * as in botocore; the first value of a key in the profile counts. */

typedef enum {
    SHARED_FILE_CREDENTIALS,
    SHARED_FILE_CONFIG,
} shared_file_kind;

/* One key to look up: its value lands in out (at most cap-1 bytes). */
typedef struct {
    const char *key;
    char *out;
    size_t cap;
    int found; /* set by the read: 1 found, 0 absent, -1 the value does not fit */
} shared_profile_field;

/* Reads all fields in one pass over the file, so values a tool rewrites
 * together are read together. Returns 1 if any field was found, 0 if none
 * (or the file is unreadable), -1 if a field's value does not fit. The line
 * and stdio buffers it reads through are cleansed. */
int shared_profile_get_fields(const char *path, shared_file_kind kind, const char *profile,
                              shared_profile_field *fields, size_t n);

/* The same, from an open stream (the fuzz target reads from memory). */
int shared_profile_read_fields(FILE *file, shared_file_kind kind, const char *profile,
                               shared_profile_field *fields, size_t n);

/* One field: 1 found, 0 absent, -1 oversized. */
int shared_profile_get(const char *path, shared_file_kind kind, const char *profile,
                       const char *key, char *out, size_t cap);

/* The file's path: AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE (a leading
 * "~/" is the home directory), else ~/.aws/credentials / ~/.aws/config. The
 * home directory is $HOME, else the user's entry in the password database;
 * with neither, out is empty (never a path relative to the current directory). */
void shared_file_path(shared_file_kind kind, char *out, size_t cap);

/* The profile: the configured one, else AWS_PROFILE, else "default". */
const char *shared_profile_name(const char *configured);

#endif
