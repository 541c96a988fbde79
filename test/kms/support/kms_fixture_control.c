/* Client of dekcache-kms-local's /_control/ API. */
#include "kms_fixture.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

static const char *const op_names[KMS_FIXTURE_N_OPS] = {
    "GenerateDataKey", "GenerateDataKeyWithoutPlaintext",
    "Encrypt",         "Decrypt",
    "ReEncrypt",       "DescribeKey",
    "Unknown"};

const kms_fixture_op_stats *kms_fixture_stats_op(const kms_fixture_stats *s, const char *op)
{
    for (int i = 0; i < KMS_FIXTURE_N_OPS; i++)
        if (strcmp(op, op_names[i]) == 0)
            return &s->ops[i];
    return NULL;
}

long kms_fixture_op_calls(const kms_fixture_server *srv, const char *op)
{
    kms_fixture_stats stats;
    if (kms_fixture_stats_get(srv, &stats) != 0)
        return -1;
    const kms_fixture_op_stats *s = kms_fixture_stats_op(&stats, op);
    if (s == NULL) {
        fprintf(stderr, "kms_fixture: no call counter for operation \"%s\"\n", op);
        return -1;
    }
    return s->calls;
}

static long get_long(json_object *o, const char *name)
{
    json_object *v;
    return json_object_object_get_ex(o, name, &v) ? (long)json_object_get_int64(v) : -1;
}

static void read_ops(json_object *ops, kms_fixture_stats *out)
{
    for (int i = 0; i < KMS_FIXTURE_N_OPS; i++) {
        json_object *op;
        if (json_object_object_get_ex(ops, op_names[i], &op)) {
            out->ops[i].calls = get_long(op, "calls");
            out->ops[i].errors = get_long(op, "errors");
        }
    }
}

int kms_fixture_stats_get(const kms_fixture_server *srv, kms_fixture_stats *out)
{
    kms_fixture_response r;
    memset(out, 0, sizeof(*out));
    if (kms_fixture_http(srv, "GET", KMS_LOCAL_CONTROL_PREFIX "stats", NULL, &r) != 0 ||
        r.status != 200 || r.body == NULL) {
        kms_fixture_response_free(&r);
        fprintf(stderr, "kms_fixture: GET stats failed\n");
        return -1;
    }
    json_object *root = json_tokener_parse(r.body), *ops;
    kms_fixture_response_free(&r);
    if (root == NULL || !json_object_object_get_ex(root, "operations", &ops)) {
        json_object_put(root);
        return -1;
    }
    read_ops(ops, out);
    out->requests = get_long(root, "requests");
    out->errors = get_long(root, "errors");
    out->in_flight = get_long(root, "in_flight");
    out->max_in_flight = get_long(root, "max_in_flight");
    out->connections_open = get_long(root, "connections_open");
    out->connections_accepted = get_long(root, "connections_accepted");
    out->kms_connections = get_long(root, "kms_connections");
    out->faults = get_long(root, "faults");
    json_object_put(root);
    return 0;
}

static int control_post(const kms_fixture_server *srv, const char *method, const char *route,
                        const char *body)
{
    char path[128];
    kms_fixture_response r;
    snprintf(path, sizeof(path), KMS_LOCAL_CONTROL_PREFIX "%s", route);
    int rc = kms_fixture_http(srv, method, path, body, &r);
    if (rc == 0 && r.status != 200) {
        fprintf(stderr, "kms_fixture: %s %s: %ld %s\n", method, path, r.status,
                r.body ? r.body : "");
        rc = -1;
    }
    kms_fixture_response_free(&r);
    return rc;
}

int kms_fixture_reset(const kms_fixture_server *srv)
{
    return control_post(srv, "POST", "reset", NULL);
}

int kms_fixture_clear_faults(const kms_fixture_server *srv)
{
    return control_post(srv, "DELETE", "faults", NULL);
}

int kms_fixture_add_fault(const kms_fixture_server *srv, const kms_fixture_fault *fault)
{
    json_object *o = json_object_new_object();
    if (fault->operation)
        json_object_object_add(o, "operation", json_object_new_string(fault->operation));
    if (fault->action)
        json_object_object_add(o, "action", json_object_new_string(fault->action));
    if (fault->error_type)
        json_object_object_add(o, "error_type", json_object_new_string(fault->error_type));
    json_object_object_add(o, "latency_ms", json_object_new_int64(fault->latency_ms));
    json_object_object_add(o, "rate", json_object_new_double(fault->rate > 0 ? fault->rate : 1));
    if (fault->count > 0)
        json_object_object_add(o, "count", json_object_new_int64(fault->count));
    int rc = control_post(srv, "POST", "faults", json_object_to_json_string(o));
    json_object_put(o);
    return rc;
}
