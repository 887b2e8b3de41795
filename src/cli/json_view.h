/*
 * Reading admin-API JSON for display, shared by the node and service
 * commands (cmd_node.c, cmd_service.c). Header-only (static inline) for the
 * same reason as table.h: tests/unit/test_admin.c compiles cmd_node.c into
 * its own program.
 */
#ifndef DMSC_CLI_JSON_VIEW_H
#define DMSC_CLI_JSON_VIEW_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

/* o[key] as a count: a positive integer, else 0. */
static inline uint64_t dmsc_cli_u64(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) && json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v) : 0;
}

/* o[key] as a string, "" when absent or not a string. */
static inline const char *dmsc_cli_str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* "key n, key n" for the positive integers of an object, or "none". */
static inline void dmsc_cli_counts_line(const json_t *o, char *out, size_t cap)
{
    size_t len = 0;
    const char *key;
    json_t *v;
    out[0] = '\0';
    json_object_foreach((json_t *)o, key, v)
    {
        if (!json_is_integer(v) || json_integer_value(v) <= 0) continue;
        int n = snprintf(out + len, cap - len, "%s%s %" JSON_INTEGER_FORMAT, len ? ", " : "", key,
                         json_integer_value(v));
        if (n < 0 || (size_t)n >= cap - len) break;
        len += (size_t)n;
    }
    if (!len) snprintf(out, cap, "none");
}

#endif
