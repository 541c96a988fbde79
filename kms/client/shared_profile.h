#ifndef DEKCACHE_KMS_CLIENT_SHARED_PROFILE_H
#define DEKCACHE_KMS_CLIENT_SHARED_PROFILE_H

#include <stddef.h>
#include <stdio.h>

/* Reads the AWS shared files (INI): ~/.aws/credentials names sections
 * [<profile>], ~/.aws/config names them [profile <profile>] except [default]. */

typedef enum {
    SHARED_FILE_CREDENTIALS,
    SHARED_FILE_CONFIG,
} shared_file_kind;

/* Copies the value of key in the profile's section into out (at most cap-1
 * bytes). Returns 1 if found, 0 if absent (or the file is unreadable), -1 if
 * the value does not fit. The line buffers it reads are cleansed. */
int shared_profile_get(const char *path, shared_file_kind kind, const char *profile,
                       const char *key, char *out, size_t cap);

/* The same, from an open stream (the fuzz target reads from memory). */
int shared_profile_read(FILE *file, shared_file_kind kind, const char *profile, const char *key,
                        char *out, size_t cap);

/* The file's path: AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE, else
 * $HOME/.aws/credentials / $HOME/.aws/config. */
void shared_file_path(shared_file_kind kind, char *out, size_t cap);

/* The profile: the configured one, else AWS_PROFILE, else "default". */
const char *shared_profile_name(const char *configured);

#endif
