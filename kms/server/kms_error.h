/* An AWS-style error: HTTP status, "__type" and message. */
#ifndef DEKCACHE_KMS_SERVER_ERROR_H
#define DEKCACHE_KMS_SERVER_ERROR_H

typedef struct {
    int http_status; /* 0 while no error is set */
    char type[64];
    char message[256];
} kms_error;

/* Sets the error; the HTTP status is 500 for KMSInternalException, 400 otherwise. */
void kms_error_set(kms_error *e, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The JSON body {"__type": ..., "message": ...}; malloc'd, NULL on allocation failure. */
char *kms_error_json(const kms_error *e);

#endif
