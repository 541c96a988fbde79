#include "kms/server/control_api.h"

#include "kms/json/json_member.h"
#include "kms/json/json_secret.h"
#include "kms/server/kms_local_defaults.h"

#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LATENCY_MS 60000

static char *message_json(const char *key, const char *value)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, key, json_object_new_string(value));
    char *out = strdup(
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    return out;
}

static int parse_action(const char *name, fault_action *out)
{
    static const struct {
        const char *name;
        fault_action action;
    } actions[] = {{"none", FAULT_NONE},
                   {"error", FAULT_AWS_ERROR},
                   {"http500", FAULT_HTTP_500},
                   {"http503", FAULT_HTTP_503},
                   {"drop", FAULT_DROP}};
    for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
        if (strcmp(name, actions[i].name) == 0) {
            *out = actions[i].action;
            return 0;
        }
    return -1;
}

/* A fault rule is the test's own format, not AWS's: a member set to null is
 * a mistake, not a member left out. */
static json_member_status string_member(json_object *o, const char *key, const char **out)
{
    return json_member_string(o, key, JSON_MEMBER_NULL_IS_WRONG_TYPE, out, NULL);
}

static int fault_fields(json_object *o, fault_rule *rule, char *detail, size_t cap)
{
    const char *text;
    json_member_status has = string_member(o, "operation", &text);
    if (has == JSON_MEMBER_WRONG_TYPE ||
        (has == JSON_MEMBER_FOUND &&
         (rule->operation = kms_operation_from_name(text)) == KMS_SERVER_OP_UNKNOWN))
        return snprintf(detail, cap, "unknown operation"), -1;
    has = string_member(o, "error_type", &text);
    if (has == JSON_MEMBER_WRONG_TYPE ||
        (has == JSON_MEMBER_FOUND && (!*text || strlen(text) >= sizeof(rule->error_type))))
        return snprintf(detail, cap, "error_type must be a short string"), -1;
    if (has == JSON_MEMBER_FOUND) {
        snprintf(rule->error_type, sizeof(rule->error_type), "%s", text);
        rule->action = FAULT_AWS_ERROR;
    }
    has = string_member(o, "action", &text);
    if (has == JSON_MEMBER_WRONG_TYPE ||
        (has == JSON_MEMBER_FOUND && parse_action(text, &rule->action) != 0))
        return snprintf(detail, cap, "action must be none|error|http500|http503|drop"), -1;
    if (rule->action == FAULT_AWS_ERROR && !rule->error_type[0])
        return snprintf(detail, cap, "action error needs error_type"), -1;
    return 0;
}

/* An optional integer member in min..max; null is a mistake here too. */
static int optional_int(json_object *o, const char *key, int64_t min, int64_t max, int64_t *out)
{
    return json_member_int_in(o, key, JSON_MEMBER_NULL_IS_WRONG_TYPE, min, max, out);
}

static int fault_numbers(json_object *o, fault_rule *rule, char *detail, size_t cap)
{
    json_object *v;
    int64_t ms = rule->latency_ms, count = rule->remaining;
    if (optional_int(o, "latency_ms", 0, MAX_LATENCY_MS, &ms) != 0)
        return snprintf(detail, cap, "latency_ms must be 0..%d", MAX_LATENCY_MS), -1;
    rule->latency_ms = (unsigned)ms;
    json_member_status has =
        json_member_get(o, "rate", json_type_double, JSON_MEMBER_NULL_IS_WRONG_TYPE, &v);
    if (has == JSON_MEMBER_FOUND)
        rule->rate = json_object_get_double(v);
    if (has == JSON_MEMBER_WRONG_TYPE || rule->rate < 0.0 || rule->rate > 1.0)
        return snprintf(detail, cap, "rate must be a number in 0..1"), -1;
    if (optional_int(o, "count", 1, LONG_MAX, &count) != 0)
        return snprintf(detail, cap, "count must be a positive integer"), -1;
    rule->remaining = (long)count;
    return 0;
}

int control_parse_fault(const char *body, size_t body_len, fault_rule *rule, char *detail,
                        size_t detail_cap)
{
    memset(rule, 0, sizeof(*rule));
    rule->operation = -1;
    rule->rate = 1.0;
    rule->remaining = -1;
    json_object *o = body_len <= 65536 ? json_secret_parse_object(body, body_len, 8, NULL) : NULL;
    int rc = -1;
    if (o == NULL)
        snprintf(detail, detail_cap, "fault must be a JSON object");
    else
        rc = fault_fields(o, rule, detail, detail_cap) == 0 &&
                     fault_numbers(o, rule, detail, detail_cap) == 0
                 ? 0
                 : -1;
    json_object_put(o);
    return rc;
}

static char *count_json(int n)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "faults", json_object_new_int(n));
    char *out = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
    return out;
}

static int add_fault(control_state *s, const char *body, size_t body_len, char **response)
{
    fault_rule rule;
    char detail[160];
    if (control_parse_fault(body, body_len, &rule, detail, sizeof(detail)) != 0) {
        *response = message_json("error", detail);
        return 400;
    }
    int n = control_fault_add(s, &rule);
    if (n < 0) {
        *response = message_json("error", "too many fault rules");
        return 400;
    }
    *response = count_json(n);
    return 200;
}

int control_api_handle(control_state *s, const char *method, const char *path, const char *body,
                       size_t body_len, char **response)
{
    const char *route = path + strlen(KMS_LOCAL_CONTROL_PREFIX);
    int get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;
    if (get && strcmp(route, "health") == 0) {
        *response = message_json("status", "ok");
        return 200;
    }
    if (get && strcmp(route, "stats") == 0) {
        *response = control_stats_json(s);
        return 200;
    }
    if (post && strcmp(route, "reset") == 0) {
        control_reset(s);
        *response = message_json("status", "reset");
        return 200;
    }
    if (post && strcmp(route, "faults") == 0)
        return add_fault(s, body, body_len, response);
    if (strcmp(method, "DELETE") == 0 && strcmp(route, "faults") == 0) {
        control_fault_clear(s);
        *response = count_json(0);
        return 200;
    }
    *response = message_json("error", "no such control route");
    return 404;
}
