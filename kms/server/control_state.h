/* What the test-control API observes and injects: per-operation counters,
 * in-flight gauges, connection counts and fault rules. Thread-safe. */
#ifndef DEKCACHE_KMS_SERVER_CONTROL_STATE_H
#define DEKCACHE_KMS_SERVER_CONTROL_STATE_H

#include "kms/server/kms_operations.h"

#define CONTROL_MAX_FAULTS 32

typedef enum {
    FAULT_NONE,      /* latency only */
    FAULT_AWS_ERROR, /* HTTP 400 (500 for KMSInternalException) with error_type */
    FAULT_HTTP_500,
    FAULT_HTTP_503,
    FAULT_DROP, /* close the connection without a response */
} fault_action;

typedef struct {
    int operation; /* a kms_operation, or -1 for every operation */
    unsigned latency_ms;
    fault_action action;
    char error_type[64];
    double rate;    /* probability in [0, 1] that a matching call is hit */
    long remaining; /* calls left to hit; -1 = unlimited */
} fault_rule;

typedef struct {
    unsigned latency_ms;
    fault_action action;
    char error_type[64];
} fault_decision;

typedef struct control_state control_state;

control_state *control_state_new(void);
void control_state_free(control_state *s);

void control_request_begin(control_state *s, kms_operation op);
void control_request_end(control_state *s, kms_operation op, int failed);

/* Returns the number of rules after adding, or -1 when full. */
int control_fault_add(control_state *s, const fault_rule *rule);
void control_fault_clear(control_state *s);
/* The first matching rule with calls left decides (and uses up one call). */
void control_fault_pick(control_state *s, kms_operation op, fault_decision *out);

/* Zeroes the counters (not the open-connection gauge) and clears faults. */
void control_reset(control_state *s);

void control_connection_opened(control_state *s);
void control_connection_closed(control_state *s);
/* Called on each KMS request with the connection's remembered generation:
 * counts the connection once per reset generation; returns the generation
 * the connection should remember. */
unsigned long control_connection_used(control_state *s, unsigned long remembered);

/* {"operations": {...}, "requests", "errors", "in_flight", "max_in_flight",
 *  "connections_open", "connections_accepted", "kms_connections", "faults"}; malloc'd. */
char *control_stats_json(control_state *s);

#endif
