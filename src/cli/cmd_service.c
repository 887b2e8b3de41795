/* dmsc service add | remove | list and dmsc gateway (see cmd_service.h). */
#include "cli/cmd_service.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "cli/admin_client.h"
#include "cli/json_view.h"
#include "cli/table.h"
#include "ndn/name.h"

/* Answers to POST and DELETE are one small JSON object. */
#define SVC_RESP_MAX ((size_t)1 << 20)
/* Repeated options of service add; the daemon has its own (lower) limits
 * and says so. */
#define SVC_MAX_OPTS 256
/* Canonical URI of a name: every byte may print as %XX, every component
 * may carry a "TYPE=" prefix. */
#define URI_CAP (3 * DMSC_NAME_MAX_LEN + 8 * DMSC_NAME_MAX_COMPS + 16)

const char dmsc_cli_service_usage[] =
    "  service     gateway service registry: service list | add | remove\n"
    "  gateway     HTTP gateway: listeners, request, segment and Interest counters\n";

static const char usage_service[] =
    "usage: dmsc service list [--json] [--admin HOST:PORT] [--timeout MS]\n"
    "       dmsc service add PREFIX --instance HOST:PORT [--instance HOST:PORT ...]\n"
    "                [--host NAME] [--protocol http1|h2c|grpc] [--health-path PATH]\n"
    "                [--health-interval MS] [--health-timeout MS] [--unhealthy N]\n"
    "                [--healthy N] [--meta KEY=VALUE ...] [--max-connections N]\n"
    "                [--admin HOST:PORT] [--timeout MS]\n"
    "       dmsc service remove PREFIX [--admin HOST:PORT] [--timeout MS]\n"
    "\n"
    "The services of a running dmscd's gateway, through its admin API.\n"
    "  list      the services (prefix, host, protocol, health) and their instances\n"
    "            (state, outstanding and total requests, failures, last error)\n"
    "  add       add a service, or replace the one with the same PREFIX (an NDN name)\n"
    "  remove    remove the service with this PREFIX (alias: rm)\n"
    "options of add:\n"
    "  --instance HOST:PORT   an upstream instance, numeric address (repeat for more)\n"
    "  --host NAME            Host header for instances when a request has none\n"
    "  --protocol P           http1 (default), h2c or grpc\n"
    "  --health-path PATH     active health check: GET PATH (default: TCP connect)\n"
    "  --health-interval MS   between health checks (default 5000)\n"
    "  --health-timeout MS    health check timeout (default 2000)\n"
    "  --unhealthy N          failed checks before an instance is down (default 2)\n"
    "  --healthy N            good checks before an instance is up again (default 1)\n"
    "  --meta KEY=VALUE       service metadata (repeat for more)\n"
    "  --max-connections N    connections per instance (default 64)\n"
    "common options:\n"
    "  --json              list: print the admin API's JSON as received\n"
    "  --admin HOST:PORT   admin API address (default: $DMSC_ADMIN, else 127.0.0.1:7380)\n"
    "  --timeout MS        give up after MS milliseconds (default 5000)\n"
    "exit status: 0 success; 1 error (usage, admin API unreachable, request refused)\n";

static const char usage_gateway[] =
    "usage: dmsc gateway [--json] [--admin HOST:PORT] [--timeout MS]\n"
    "\n"
    "The HTTP gateway of a running dmscd, from its admin API: listeners,\n"
    "egress and ingress requests, errors by kind, segments, pending Interests.\n"
    "  --json              print the admin API's JSON as received\n"
    "  --admin HOST:PORT   admin API address (default: $DMSC_ADMIN, else 127.0.0.1:7380)\n"
    "  --timeout MS        give up after MS milliseconds (default 5000)\n"
    "exit status: 0 success; 1 error (usage, admin API unreachable or answering an error)\n";

/* ---------------------------------------------------------------- helpers */

static const char *str_or_dash(const json_t *o, const char *key)
{
    const char *s = dmsc_cli_str(o, key);
    return *s ? s : "-";
}

/* ---------------------------------------------------------------- views */

static int render_list(const json_t *b, FILE *out)
{
    if (!json_is_array(b)) return DMSC_EINVAL;
    size_t i, k;
    const json_t *s, *in;
    json_array_foreach(b, i, s)
    {
        if (!json_is_object(s) || !json_is_string(json_object_get(s, "prefix")) ||
            !json_is_array(json_object_get(s, "instances")))
            return DMSC_EINVAL;
    }
    if (json_array_size(b) == 0) {
        fputs("(no services)\n", out);
        return 0;
    }

    dmsc_cli_table_t t;
    dmsc_cli_table_init(&t, 7);
    const char *h1[] = {"PREFIX", "HOST", "PROTOCOL", "HEALTHY", "UP", "CHECK", "METADATA"};
    for (size_t c = 0; c < 7; c++)
        dmsc_cli_table_cell(&t, "%s", h1[c]);
    json_array_foreach(b, i, s)
    {
        const json_t *insts = json_object_get(s, "instances");
        const json_t *hc = json_object_get(s, "health");
        size_t up = 0;
        json_array_foreach(insts, k, in)
        {
            if (!strcmp(dmsc_cli_str(in, "state"), "up")) up++;
        }
        char meta[1024];
        size_t len = 0;
        const char *key;
        json_t *v;
        meta[0] = '\0';
        json_object_foreach(json_object_get(s, "metadata"), key, v)
        {
            int n = snprintf(meta + len, sizeof meta - len, "%s%s=%s", len ? "," : "", key,
                             json_is_string(v) ? json_string_value(v) : "?");
            if (n < 0 || (size_t)n >= sizeof meta - len) break;
            len += (size_t)n;
        }
        dmsc_cli_table_cell(&t, "%s", dmsc_cli_str(s, "prefix"));
        dmsc_cli_table_cell(&t, "%s", str_or_dash(s, "host"));
        dmsc_cli_table_cell(&t, "%s", str_or_dash(s, "protocol"));
        dmsc_cli_table_cell(&t, "%s", json_is_true(json_object_get(s, "healthy")) ? "yes" : "no");
        dmsc_cli_table_cell(&t, "%zu/%zu", up, json_array_size(insts));
        if (!json_is_object(hc))
            dmsc_cli_table_cell(&t, "-");
        else if (*dmsc_cli_str(hc, "path"))
            dmsc_cli_table_cell(&t, "GET %s every %" PRIu64 " ms", dmsc_cli_str(hc, "path"),
                                dmsc_cli_u64(hc, "interval_ms"));
        else
            dmsc_cli_table_cell(&t, "tcp every %" PRIu64 " ms", dmsc_cli_u64(hc, "interval_ms"));
        dmsc_cli_table_cell(&t, "%s", len ? meta : "-");
    }
    dmsc_cli_table_print(&t, out);
    if (t.err) return DMSC_ENOMEM;

    fputc('\n', out);
    dmsc_cli_table_init(&t, 7);
    const char *h2[] = {"PREFIX",   "INSTANCE", "STATE",     "OUTSTANDING",
                        "REQUESTS", "FAILURES", "LAST ERROR"};
    for (size_t c = 0; c < 7; c++)
        dmsc_cli_table_cell(&t, "%s", h2[c]);
    t.right[3] = t.right[4] = t.right[5] = true;
    size_t ninst = 0;
    json_array_foreach(b, i, s)
    {
        json_array_foreach(json_object_get(s, "instances"), k, in)
        {
            dmsc_cli_table_cell(&t, "%s", dmsc_cli_str(s, "prefix"));
            dmsc_cli_table_cell(&t, "%s", dmsc_cli_str(in, "addr"));
            dmsc_cli_table_cell(&t, "%s", str_or_dash(in, "state"));
            dmsc_cli_table_cell(&t, "%" PRIu64, dmsc_cli_u64(in, "outstanding"));
            dmsc_cli_table_cell(&t, "%" PRIu64, dmsc_cli_u64(in, "requests"));
            dmsc_cli_table_cell(&t, "%" PRIu64, dmsc_cli_u64(in, "failures"));
            dmsc_cli_table_cell(&t, "%s", str_or_dash(in, "last_error"));
            ninst++;
        }
    }
    dmsc_cli_table_print(&t, out);
    if (!ninst) fputs("(no instances)\n", out);
    return t.err ? DMSC_ENOMEM : 0;
}

static int render_gateway(const json_t *b, FILE *out)
{
    const json_t *l = json_object_get(b, "listeners"), *eg = json_object_get(b, "egress");
    const json_t *ig = json_object_get(b, "ingress"), *seg = json_object_get(b, "segments");
    const json_t *nd = json_object_get(b, "named");
    if (!json_is_object(b) || !json_is_object(l) || !json_is_object(eg) || !json_is_object(ig))
        return DMSC_EINVAL;
    char line[2048];
    fprintf(out, "%-16s %s\n", "node", dmsc_cli_str(b, "node"));
    if (json_object_size(l) == 0) fprintf(out, "%-16s none\n", "listeners");
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)l, key, v)
    {
        char label[64];
        snprintf(label, sizeof label, "listener %s", key);
        fprintf(out, "%-16s %s\n", label, json_is_string(v) ? json_string_value(v) : "?");
    }
    fprintf(out, "%-16s %" PRIu64 " ms\n", "timeout", dmsc_cli_u64(b, "timeout_ms"));
    fprintf(out,
            "%-16s requests %" PRIu64 ", responses %" PRIu64 ", bad requests %" PRIu64
            ", connections open %" PRIu64 " (total %" PRIu64 ")\n",
            "egress", dmsc_cli_u64(eg, "requests"), dmsc_cli_u64(eg, "responses"),
            dmsc_cli_u64(eg, "bad_requests"), dmsc_cli_u64(eg, "connections_open"),
            dmsc_cli_u64(eg, "connections_total"));
    dmsc_cli_counts_line(json_object_get(eg, "errors"), line, sizeof line);
    fprintf(out, "%-16s %s\n", "egress errors", line);
    fprintf(out,
            "%-16s requests %" PRIu64 ", responses %" PRIu64 ", inline %" PRIu64
            ", segmented %" PRIu64 ", malformed %" PRIu64 "\n",
            "ingress", dmsc_cli_u64(ig, "requests"), dmsc_cli_u64(ig, "responses"),
            dmsc_cli_u64(ig, "inline"), dmsc_cli_u64(ig, "segmented"),
            dmsc_cli_u64(ig, "malformed"));
    dmsc_cli_counts_line(json_object_get(ig, "errors"), line, sizeof line);
    fprintf(out, "%-16s %s\n", "ingress errors", line);
    fprintf(out,
            "%-16s served %" PRIu64 ", fetched %" PRIu64 ", retransmitted %" PRIu64
            ", held %" PRIu64 ", missing %" PRIu64 ", streams %" PRIu64 "\n",
            "segments", dmsc_cli_u64(seg, "served"), dmsc_cli_u64(seg, "fetched"),
            dmsc_cli_u64(seg, "retransmitted"), dmsc_cli_u64(seg, "held"),
            dmsc_cli_u64(seg, "missing"), dmsc_cli_u64(seg, "streams"));
    fprintf(out,
            "%-16s sent %" PRIu64 ", data %" PRIu64 ", nacks %" PRIu64 ", timeouts %" PRIu64
            ", pending %" PRIu64 "\n",
            "interests", dmsc_cli_u64(nd, "interests"), dmsc_cli_u64(nd, "data"),
            dmsc_cli_u64(nd, "nacks"), dmsc_cli_u64(nd, "timeouts"), dmsc_cli_u64(nd, "pending"));
    return 0;
}

int dmsc_cli_service_render(const char *view, const json_t *body, FILE *out)
{
    if (view && !strcmp(view, "list")) return render_list(body, out);
    if (view && !strcmp(view, "gateway")) return render_gateway(body, out);
    return DMSC_EINVAL;
}

bool dmsc_cli_service_is_command(const char *name)
{
    return name && (!strcmp(name, "service") || !strcmp(name, "gateway"));
}

/* ------------------------------------------------------------ options */

typedef struct {
    const char *cmd; /* "service add", "gateway"... for messages */
    const char *usage;
    const char *admin;
    int timeout_ms;
    bool json;
} common_t;

__attribute__((format(printf, 2, 3))) static int usage_error(const common_t *c, const char *fmt,
                                                             ...)
{
    va_list ap;
    fprintf(stderr, "dmsc: %s: ", c->cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n\n", stderr);
    fputs(c->usage, stderr);
    return 1;
}

__attribute__((format(printf, 2, 3))) static int fail(const common_t *c, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "dmsc: %s: ", c->cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

/* If argv[*k] is opt, as "--opt VALUE" or "--opt=VALUE": 1 with *val set
 * (and *k past the value), -1 if the value is missing. 0 if it is not opt. */
static int opt_arg(int argc, char **argv, int *k, const char *opt, const char **val)
{
    size_t n = strlen(opt);
    const char *a = argv[*k];
    if (strncmp(a, opt, n) != 0) return 0;
    if (a[n] == '=') {
        *val = a + n + 1;
        return 1;
    }
    if (a[n] != '\0') return 0;
    if (*k + 1 >= argc) return -1;
    *val = argv[++*k];
    return 1;
}

static bool is_help(const char *a)
{
    return !strcmp(a, "-h") || !strcmp(a, "--help") || !strcmp(a, "help");
}

/* An integer in [min, max]. */
static bool parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
    if (!s || *s < '0' || *s > '9') return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < min || v > max) return false;
    *out = (uint32_t)v;
    return true;
}

/* The options every command takes: 1 consumed argv[*k] (and maybe its
 * value), 0 not one of them, -1 usage error already printed, 2 help printed. */
static int common_opt(common_t *c, int argc, char **argv, int *k, bool json_ok)
{
    const char *a = argv[*k], *v = NULL;
    int r;
    if (is_help(a)) {
        fputs(c->usage, stdout);
        return 2;
    }
    if (json_ok && (!strcmp(a, "--json") || !strcmp(a, "-j"))) {
        c->json = true;
        return 1;
    }
    if ((r = opt_arg(argc, argv, k, "--admin", &v)) != 0) {
        if (r < 0) return usage_error(c, "--admin needs a value"), -1;
        c->admin = v;
        return 1;
    }
    if ((r = opt_arg(argc, argv, k, "--timeout", &v)) != 0) {
        uint32_t t;
        if (r < 0) return usage_error(c, "--timeout needs a value"), -1;
        if (!parse_u32(v, 1, 3600000, &t))
            return usage_error(c, "--timeout %s: not a number of milliseconds", v), -1;
        c->timeout_ms = (int)t;
        return 1;
    }
    return 0;
}

/* ------------------------------------------------------------ requests */

/* Send the request; on success *body is the parsed JSON answer (may be NULL
 * if not JSON) and *status the HTTP status. Returns 0, or 1 after printing
 * why the admin API could not be reached. */
static int call(const common_t *c, const char *method, const char *path, const char *req_body,
                dmsc_admin_client_resp_t *resp, json_t **body)
{
    *body = NULL;
    dmsc_admin_client_addr_t addr;
    const char *from;
    if (dmsc_admin_client_resolve_addr(c->admin, &addr, &from))
        return usage_error(c, "bad admin address %s (%s): want HOST:PORT",
                           c->admin ? c->admin : getenv(DMSC_ADMIN_CLIENT_ENV), from);
    char err[512];
    int rc = dmsc_admin_client_request(
        &addr, method, path, req_body, req_body ? strlen(req_body) : 0,
        strcmp(method, "GET") ? SVC_RESP_MAX : 0, c->timeout_ms, resp, err, sizeof err);
    if (rc) {
        fprintf(stderr,
                "dmsc: %s: admin API unreachable: %s (is dmscd running? the address comes from "
                "--admin, $%s or the default %s:%s)\n",
                c->cmd, err[0] ? err : dmsc_strerror(rc), DMSC_ADMIN_CLIENT_ENV,
                DMSC_ADMIN_CLIENT_DEFAULT_HOST, DMSC_ADMIN_CLIENT_DEFAULT_PORT);
        return 1;
    }
    *body = json_loadb(resp->body, resp->body_len, 0, NULL);
    return 0;
}

/* The "error" of an error answer, or "". */
static const char *answer_error(const json_t *body)
{
    const char *e = json_string_value(json_object_get(body, "error"));
    return e ? e : "";
}

static const char gw_off_hint[] = " (no gateway on this node: gateway.enabled, docs/config.md)";

/* GET path and print it: as received (--json) or through render. */
static int show(const common_t *c, const char *path, const char *view)
{
    dmsc_admin_client_resp_t resp;
    json_t *body;
    if (call(c, "GET", path, NULL, &resp, &body)) return 1;
    int status = 1;
    if (resp.status != 200) {
        const char *e = answer_error(body);
        fail(c, "admin API answered GET %s with %d%s%s%s", path, resp.status, *e ? " " : "", e,
             resp.status == 404 ? gw_off_hint : "");
    } else if (c->json) {
        fwrite(resp.body, 1, resp.body_len, stdout);
        if (resp.body_len && resp.body[resp.body_len - 1] != '\n') fputc('\n', stdout);
        status = 0;
    } else if (!body) {
        fail(c, "admin API sent invalid JSON for GET %s", path);
    } else if (dmsc_cli_service_render(view, body, stdout)) {
        fail(c, "unexpected response from GET %s (try --json)", path);
    } else {
        status = 0;
    }
    json_decref(body);
    dmsc_admin_client_resp_free(&resp);
    if (fflush(stdout) != 0) status = 1;
    return status;
}

static int cmd_list(int argc, char **argv)
{
    common_t c = {"service list", usage_service, NULL, 5000, false};
    for (int k = 1; k < argc; k++) {
        int r = common_opt(&c, argc, argv, &k, true);
        if (r < 0) return 1;
        if (r == 2) return 0;
        if (r == 0) return usage_error(&c, "unexpected argument %s", argv[k]);
    }
    return show(&c, "/services", "list");
}

static int cmd_gateway(int argc, char **argv)
{
    common_t c = {"gateway", usage_gateway, NULL, 5000, false};
    for (int k = 1; k < argc; k++) {
        int r = common_opt(&c, argc, argv, &k, true);
        if (r < 0) return 1;
        if (r == 2) return 0;
        if (r == 0) return usage_error(&c, "unexpected argument %s", argv[k]);
    }
    return show(&c, "/gateway", "gateway");
}

/* Options of service add that take a number, and where it goes. */
static const struct {
    const char *opt;
    const char *key; /* in "health" when health is true, else at the top */
    bool health;
    const char *what;
} num_opts[] = {
    {"--health-interval", "interval_ms", true, "milliseconds"},
    {"--health-timeout", "timeout_ms", true, "milliseconds"},
    {"--unhealthy", "unhealthy", true, "count"},
    {"--healthy", "healthy", true, "count"},
    {"--max-connections", "max_connections", false, "count"},
};

static int cmd_add(int argc, char **argv)
{
    common_t c = {"service add", usage_service, NULL, 5000, false};
    const char *prefix = NULL;
    json_t *req = json_object(), *insts = json_array(), *health = json_object();
    json_t *meta = json_object();
    int rc = 1;
    if (!req || !insts || !health || !meta) {
        fail(&c, "out of memory");
        goto out;
    }
    for (int k = 1; k < argc; k++) {
        const char *a = argv[k], *v = NULL;
        int r = common_opt(&c, argc, argv, &k, false);
        if (r < 0) goto out;
        if (r == 2) {
            rc = 0;
            goto out;
        }
        if (r == 1) continue;
        if ((r = opt_arg(argc, argv, &k, "--instance", &v)) ||
            (r = opt_arg(argc, argv, &k, "--host", &v)) ||
            (r = opt_arg(argc, argv, &k, "--protocol", &v)) ||
            (r = opt_arg(argc, argv, &k, "--health-path", &v)) ||
            (r = opt_arg(argc, argv, &k, "--meta", &v))) {
            if (r < 0) {
                usage_error(&c, "%s needs a value", a);
                goto out;
            }
            if (!strncmp(a, "--instance", 10)) {
                if (!*v) {
                    usage_error(&c, "--instance needs HOST:PORT");
                    goto out;
                }
                if (json_array_size(insts) >= SVC_MAX_OPTS) {
                    usage_error(&c, "too many --instance options");
                    goto out;
                }
                json_array_append_new(insts, json_string(v));
            } else if (!strncmp(a, "--host", 6)) {
                json_object_set_new(req, "host", json_string(v));
            } else if (!strncmp(a, "--protocol", 10)) {
                json_object_set_new(req, "protocol", json_string(v));
            } else if (!strncmp(a, "--health-path", 13)) {
                json_object_set_new(health, "path", json_string(v));
            } else {
                const char *eq = strchr(v, '=');
                if (!eq || eq == v) {
                    usage_error(&c, "--meta %s: want KEY=VALUE", v);
                    goto out;
                }
                char *key = strndup(v, (size_t)(eq - v));
                if (!key) {
                    fail(&c, "out of memory");
                    goto out;
                }
                bool dup = json_object_get(meta, key) != NULL;
                if (!dup && json_object_size(meta) < SVC_MAX_OPTS)
                    json_object_set_new(meta, key, json_string(eq + 1));
                free(key);
                if (dup || json_object_size(meta) >= SVC_MAX_OPTS) {
                    usage_error(&c, "--meta %s: %s", v, dup ? "key given twice" : "too many");
                    goto out;
                }
            }
            continue;
        }
        bool matched = false;
        for (size_t i = 0; i < sizeof num_opts / sizeof num_opts[0] && !matched; i++) {
            if (!(r = opt_arg(argc, argv, &k, num_opts[i].opt, &v))) continue;
            matched = true;
            uint32_t n;
            if (r < 0) {
                usage_error(&c, "%s needs a value", num_opts[i].opt);
                goto out;
            }
            if (!parse_u32(v, 1, UINT32_MAX, &n)) {
                usage_error(&c, "%s %s: not a positive %s", num_opts[i].opt, v, num_opts[i].what);
                goto out;
            }
            json_object_set_new(num_opts[i].health ? health : req, num_opts[i].key,
                                json_integer(n));
        }
        if (matched) continue;
        if (a[0] == '-' && a[1] != '\0') {
            usage_error(&c, "unknown option %s", a);
            goto out;
        }
        if (prefix) {
            usage_error(&c, "unexpected argument %s (one PREFIX per command)", a);
            goto out;
        }
        prefix = a;
    }
    if (!prefix) {
        usage_error(&c, "missing PREFIX (the service's NDN name, e.g. /shop/cart)");
        goto out;
    }
    if (json_array_size(insts) == 0) {
        usage_error(&c, "at least one --instance HOST:PORT is required");
        goto out;
    }
    json_object_set_new(req, "prefix", json_string(prefix));
    json_object_set(req, "instances", insts);
    if (json_object_size(health)) json_object_set(req, "health", health);
    if (json_object_size(meta)) json_object_set(req, "metadata", meta);
    char *text = json_dumps(req, JSON_COMPACT);
    if (!text) {
        fail(&c, "out of memory");
        goto out;
    }
    dmsc_admin_client_resp_t resp;
    json_t *body;
    if (call(&c, "POST", "/services", text, &resp, &body) == 0) {
        const char *e = answer_error(body);
        if (resp.status == 200) {
            const char *p = json_string_value(json_object_get(body, "added"));
            size_t n = json_array_size(insts);
            printf("added %s (%zu instance%s)\n", p ? p : prefix, n, n == 1 ? "" : "s");
            rc = fflush(stdout) == 0 ? 0 : 1;
        } else if (resp.status == 400 && *e) {
            fail(&c, "%s: %s", prefix, e);
        } else {
            fail(&c, "admin API answered POST /services with %d%s%s%s", resp.status, *e ? " " : "",
                 e, resp.status == 404 || resp.status == 405 ? gw_off_hint : "");
        }
        json_decref(body);
        dmsc_admin_client_resp_free(&resp);
    }
    free(text);
out:
    json_decref(req);
    json_decref(insts);
    json_decref(health);
    json_decref(meta);
    return rc;
}

static int cmd_remove(int argc, char **argv)
{
    common_t c = {"service remove", usage_service, NULL, 5000, false};
    const char *prefix = NULL;
    for (int k = 1; k < argc; k++) {
        int r = common_opt(&c, argc, argv, &k, false);
        if (r < 0) return 1;
        if (r == 2) return 0;
        if (r == 1) continue;
        const char *a = argv[k];
        if (a[0] == '-' && a[1] != '\0') return usage_error(&c, "unknown option %s", a);
        if (prefix) return usage_error(&c, "unexpected argument %s (one PREFIX per command)", a);
        prefix = a;
    }
    if (!prefix) return usage_error(&c, "missing PREFIX (the service's NDN name, e.g. /shop/cart)");

    /* The path carries the canonical URI: NDN percent-encoding keeps it
     * within the characters an HTTP request target allows. */
    dmsc_namebuf_t *nb = malloc(sizeof *nb);
    char *uri = malloc(URI_CAP);
    char *path = NULL;
    int rc = 1;
    if (!nb || !uri) {
        fail(&c, "out of memory");
        goto out;
    }
    int r = dmsc_namebuf_from_uri(nb, prefix);
    if (r) {
        fail(&c, "%s: not an NDN name: %s (%s)", prefix, dmsc_strerror(r), dmsc_errname(r));
        goto out;
    }
    if (nb->name.ncomps == 0) {
        fail(&c, "%s: the root name is not a service prefix", prefix);
        goto out;
    }
    r = dmsc_name_to_uri(&nb->name, DMSC_URI_CANONICAL, uri, URI_CAP);
    if (r < 0 || asprintf(&path, "/services%s", uri) < 0) {
        path = NULL;
        fail(&c, "%s: cannot print the name", prefix);
        goto out;
    }
    dmsc_admin_client_resp_t resp;
    json_t *body;
    dmsc_name_to_uri(&nb->name, DMSC_URI_ALT, uri, URI_CAP); /* for messages: v=3, seg=1 */
    if (call(&c, "DELETE", path, NULL, &resp, &body) == 0) {
        const char *e = answer_error(body);
        if (resp.status == 200) {
            printf("removed %s\n", uri);
            rc = fflush(stdout) == 0 ? 0 : 1;
        } else if (resp.status == 404 && !strcmp(e, "no such service")) {
            fail(&c, "no service %s on this node (see dmsc service list)", uri);
        } else {
            fail(&c, "admin API answered DELETE %s with %d%s%s%s", path, resp.status, *e ? " " : "",
                 e, resp.status == 404 || resp.status == 405 ? gw_off_hint : "");
        }
        json_decref(body);
        dmsc_admin_client_resp_free(&resp);
    }
out:
    free(path);
    free(uri);
    free(nb);
    return rc;
}

/* ---------------------------------------------------------------- main */

int dmsc_cli_service_main(int argc, char **argv)
{
    if (argc > 0 && !strcmp(argv[0], "gateway")) return cmd_gateway(argc, argv);
    common_t c = {"service", usage_service, NULL, 5000, false};
    if (argc < 2) {
        fputs(usage_service, stderr);
        return 1;
    }
    const char *sub = argv[1];
    if (is_help(sub)) {
        fputs(usage_service, stdout);
        return 0;
    }
    if (!strcmp(sub, "list") || !strcmp(sub, "ls")) return cmd_list(argc - 1, argv + 1);
    if (!strcmp(sub, "add")) return cmd_add(argc - 1, argv + 1);
    if (!strcmp(sub, "remove") || !strcmp(sub, "rm")) return cmd_remove(argc - 1, argv + 1);
    return usage_error(&c, "unknown subcommand %s", sub);
}
