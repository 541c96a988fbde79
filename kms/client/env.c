#include "kms/client/env.h"

#include <stdlib.h>

static const char *non_empty(const char *text)
{
    return text != NULL && text[0] != '\0' ? text : NULL;
}

static const char *env_value(const char *name)
{
    return name != NULL ? non_empty(getenv(name)) : NULL;
}

const char *env_first_set(const char *configured, const char *env1, const char *env2)
{
    const char *v = non_empty(configured);
    if (v == NULL) {
        v = env_value(env1);
    }
    if (v == NULL) {
        v = env_value(env2);
    }
    return v;
}
