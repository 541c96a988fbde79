#ifndef DEKCACHE_KMS_CLIENT_ENV_H
#define DEKCACHE_KMS_CLIENT_ENV_H

/* A setting as the AWS SDKs resolve it: the configured value, else the first
 * of the environment variables env1, env2 that is set. Empty strings count as
 * unset; env1 or env2 may be NULL (skipped). Returns NULL when none is set.
 * The result points into configured or the environment, so use it before
 * the environment changes. */
const char *env_first_set(const char *configured, const char *env1, const char *env2);

#endif
