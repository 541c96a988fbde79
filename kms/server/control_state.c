#include "kms/server/control_state.h"

#include <json-c/json.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    long calls;
    long errors;
} op_counter;

struct control_state {
    pthread_mutex_t lock;
    op_counter ops[KMS_SERVER_OP_COUNT + 1]; /* + unknown operations */
    long in_flight, max_in_flight;
    long connections_open, connections_accepted, kms_connections;
    unsigned long generation; /* bumped by reset; starts at 1 */
    fault_rule faults[CONTROL_MAX_FAULTS];
    int n_faults;
};

control_state *control_state_new(void)
{
    control_state *s = calloc(1, sizeof(*s));
    if (s != NULL && pthread_mutex_init(&s->lock, NULL) != 0) {
        free(s);
        return NULL;
    }
    if (s)
        s->generation = 1;
    return s;
}

void control_state_free(control_state *s)
{
    if (s == NULL)
        return;
    pthread_mutex_destroy(&s->lock);
    free(s);
}

void control_request_begin(control_state *s, kms_operation op)
{
    pthread_mutex_lock(&s->lock);
    s->ops[op].calls++;
    if (++s->in_flight > s->max_in_flight)
        s->max_in_flight = s->in_flight;
    pthread_mutex_unlock(&s->lock);
}

void control_request_end(control_state *s, kms_operation op, int failed)
{
    pthread_mutex_lock(&s->lock);
    s->ops[op].errors += failed != 0;
    s->in_flight--;
    pthread_mutex_unlock(&s->lock);
}

int control_fault_add(control_state *s, const fault_rule *rule)
{
    pthread_mutex_lock(&s->lock);
    int n = -1;
    if (s->n_faults < CONTROL_MAX_FAULTS) {
        s->faults[s->n_faults++] = *rule;
        n = s->n_faults;
    }
    pthread_mutex_unlock(&s->lock);
    return n;
}

void control_fault_clear(control_state *s)
{
    pthread_mutex_lock(&s->lock);
    s->n_faults = 0;
    pthread_mutex_unlock(&s->lock);
}

static int hit(double rate)
{
    uint32_t r;
    if (rate >= 1.0)
        return 1;
    if (rate <= 0.0 || RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
        return 0;
    return (double)r / 4294967296.0 < rate;
}

void control_fault_pick(control_state *s, kms_operation op, fault_decision *out)
{
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&s->lock);
    for (int i = 0; i < s->n_faults; i++) {
        fault_rule *f = &s->faults[i];
        if ((f->operation != -1 && f->operation != (int)op) || f->remaining == 0 || !hit(f->rate))
            continue;
        if (f->remaining > 0)
            f->remaining--;
        out->latency_ms = f->latency_ms;
        out->action = f->action;
        memcpy(out->error_type, f->error_type, sizeof(out->error_type));
        break;
    }
    pthread_mutex_unlock(&s->lock);
}

void control_reset(control_state *s)
{
    pthread_mutex_lock(&s->lock);
    memset(s->ops, 0, sizeof(s->ops));
    s->max_in_flight = s->in_flight;
    s->connections_accepted = 0;
    s->kms_connections = 0;
    s->generation++;
    s->n_faults = 0;
    pthread_mutex_unlock(&s->lock);
}

void control_connection_opened(control_state *s)
{
    pthread_mutex_lock(&s->lock);
    s->connections_open++;
    s->connections_accepted++;
    pthread_mutex_unlock(&s->lock);
}

void control_connection_closed(control_state *s)
{
    pthread_mutex_lock(&s->lock);
    s->connections_open--;
    pthread_mutex_unlock(&s->lock);
}

unsigned long control_connection_used(control_state *s, unsigned long remembered)
{
    pthread_mutex_lock(&s->lock);
    unsigned long generation = s->generation;
    if (remembered != generation)
        s->kms_connections++;
    pthread_mutex_unlock(&s->lock);
    return generation;
}

static void add_long(json_object *o, const char *name, long v)
{
    json_object_object_add(o, name, json_object_new_int64(v));
}

char *control_stats_json(control_state *s)
{
    json_object *root = json_object_new_object(), *ops = json_object_new_object();
    long requests = 0, errors = 0;
    pthread_mutex_lock(&s->lock);
    for (int op = 0; op <= KMS_SERVER_OP_COUNT; op++) {
        json_object *c = json_object_new_object();
        add_long(c, "calls", s->ops[op].calls);
        add_long(c, "errors", s->ops[op].errors);
        json_object_object_add(ops, kms_operation_name((kms_operation)op), c);
        requests += s->ops[op].calls;
        errors += s->ops[op].errors;
    }
    json_object_object_add(root, "operations", ops);
    add_long(root, "requests", requests);
    add_long(root, "errors", errors);
    add_long(root, "in_flight", s->in_flight);
    add_long(root, "max_in_flight", s->max_in_flight);
    add_long(root, "connections_open", s->connections_open);
    add_long(root, "connections_accepted", s->connections_accepted);
    add_long(root, "kms_connections", s->kms_connections);
    add_long(root, "faults", s->n_faults);
    pthread_mutex_unlock(&s->lock);
    char *out = strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
                                                                JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(root);
    return out;
}
