/* dmsc status | faces | routes | cs | strategy | neighbors | lsdb (see cmd_node.h). */
#include "cli/cmd_node.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "cli/admin_client.h"
#include "cli/json_view.h"
#include "cli/table.h"

const char dmsc_cli_node_usage[] =
    "  status      node summary: name, uptime, table sizes, counters, drops\n"
    "  faces       faces with their counters and drops by reason\n"
    "  routes      FIB: name prefixes and their nexthops\n"
    "  cs          Content Store: entries, bytes, capacity, hits and misses\n"
    "  strategy    strategy choice per name prefix\n"
    "  neighbors   routing: LSDB digest and the neighbors with state, RTT and cost\n"
    "  lsdb        routing: the LSAs (origin, sequence, distance) and computed routes\n";

static const char usage_node[] =
    "usage: dmsc status|faces|routes|cs|strategy|neighbors|lsdb [--json] [--admin HOST:PORT] "
    "[--timeout MS]\n"
    "\n"
    "Read-only views of a running dmscd, from its admin API.\n"
    "  --json              print the admin API's JSON as received\n"
    "  --admin HOST:PORT   admin API address (default: $DMSC_ADMIN, else 127.0.0.1:7380)\n"
    "  --timeout MS        give up after MS milliseconds (default 5000)\n"
    "exit status: 0 success; 1 error (usage, admin API unreachable or answering an error)\n";

typedef struct {
    const char *cmd;
    const char *path;
    int (*render)(const json_t *body, FILE *out);
} view_t;

/* ---------------------------------------------------------------- helpers */

static void human_bytes(uint64_t b, char *out, size_t cap)
{
    static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    if (b < 1024) {
        snprintf(out, cap, "%" PRIu64 " B", b);
        return;
    }
    double v = (double)b;
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        u++;
    }
    snprintf(out, cap, "%.1f %s", v, unit[u]);
}

static void human_duration(uint64_t ms, char *out, size_t cap)
{
    uint64_t s = ms / 1000, d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60;
    if (d)
        snprintf(out, cap, "%" PRIu64 "d%02" PRIu64 "h%02" PRIu64 "m%02" PRIu64 "s", d, h, m,
                 s % 60);
    else if (h)
        snprintf(out, cap, "%" PRIu64 "h%02" PRIu64 "m%02" PRIu64 "s", h, m, s % 60);
    else if (m)
        snprintf(out, cap, "%" PRIu64 "m%02" PRIu64 "s", m, s % 60);
    else
        snprintf(out, cap, "%" PRIu64 ".%03" PRIu64 "s", s, ms % 1000);
}

static uint64_t drops_total(const json_t *drops)
{
    uint64_t t = 0;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)drops, key, v)
    {
        if (json_is_integer(v) && json_integer_value(v) > 0) t += (uint64_t)json_integer_value(v);
    }
    return t;
}

/* ---------------------------------------------------------------- views */

static int render_status(const json_t *b, FILE *out)
{
    if (!json_is_object(b) || !json_is_string(json_object_get(b, "node"))) return DMSC_EINVAL;
    const json_t *pit = json_object_get(b, "pit"), *cs = json_object_get(b, "cs");
    const json_t *cnt = json_object_get(b, "counters");
    char t1[64], t2[64], line[1024];

    human_duration(dmsc_cli_u64(b, "uptime_ms"), t1, sizeof t1);
    fprintf(out, "%-12s %s\n", "node", dmsc_cli_str(b, "node"));
    fprintf(out, "%-12s %s\n", "version", dmsc_cli_str(b, "version"));
    fprintf(out, "%-12s %s\n", "uptime", t1);
    fprintf(out, "%-12s %" PRIu64 "\n", "faces", dmsc_cli_u64(b, "faces"));
    fprintf(out, "%-12s %" PRIu64 " entries", "pit", dmsc_cli_u64(pit, "entries"));
    if (json_is_integer(json_object_get(pit, "capacity")))
        fprintf(out, " (capacity %" PRIu64 ")", dmsc_cli_u64(pit, "capacity"));
    fputc('\n', out);
    human_bytes(dmsc_cli_u64(cs, "bytes"), t1, sizeof t1);
    fprintf(out, "%-12s %" PRIu64 " entries, %s", "cs", dmsc_cli_u64(cs, "entries"), t1);
    if (json_is_integer(json_object_get(cs, "capacity_entries"))) {
        human_bytes(dmsc_cli_u64(cs, "capacity_bytes"), t2, sizeof t2);
        fprintf(out, " (capacity %" PRIu64 " entries, %s)", dmsc_cli_u64(cs, "capacity_entries"),
                t2);
    }
    fputc('\n', out);
    uint64_t hits = dmsc_cli_u64(cs, "hits"), misses = dmsc_cli_u64(cs, "misses");
    fprintf(out, "%-12s %" PRIu64 " hits, %" PRIu64 " misses", "cs lookups", hits, misses);
    if (hits + misses)
        fprintf(out, " (%.1f%% hits)", 100.0 * (double)hits / (double)(hits + misses));
    fputc('\n', out);
    const json_t *fib = json_object_get(b, "fib");
    fprintf(out, "%-12s %" PRIu64 " entries", "fib", dmsc_cli_u64(fib, "entries"));
    if (json_is_integer(json_object_get(fib, "capacity")))
        fprintf(out, " (capacity %" PRIu64 ")", dmsc_cli_u64(fib, "capacity"));
    fputc('\n', out);
    fprintf(out, "%-12s %" PRIu64 " entries\n", "dnl",
            dmsc_cli_u64(json_object_get(b, "dnl"), "entries"));
    fprintf(out, "%-12s in %" PRIu64 ", out %" PRIu64 "\n", "interests",
            dmsc_cli_u64(cnt, "in_interests"), dmsc_cli_u64(cnt, "out_interests"));
    fprintf(out, "%-12s in %" PRIu64 ", out %" PRIu64 "\n", "data", dmsc_cli_u64(cnt, "in_data"),
            dmsc_cli_u64(cnt, "out_data"));
    fprintf(out, "%-12s in %" PRIu64 ", out %" PRIu64 "\n", "nacks", dmsc_cli_u64(cnt, "in_nacks"),
            dmsc_cli_u64(cnt, "out_nacks"));
    fprintf(out, "%-12s in %" PRIu64 ", out %" PRIu64 "\n", "bytes", dmsc_cli_u64(cnt, "in_bytes"),
            dmsc_cli_u64(cnt, "out_bytes"));
    fprintf(out, "%-12s %" PRIu64 " satisfied, %" PRIu64 " unsatisfied\n", "pit results",
            dmsc_cli_u64(cnt, "satisfied_interests"), dmsc_cli_u64(cnt, "unsatisfied_interests"));
    dmsc_cli_counts_line(json_object_get(b, "drops"), line, sizeof line);
    fprintf(out, "%-12s %s\n", "drops", line);
    return 0;
}

static int render_faces(const json_t *b, FILE *out)
{
    const json_t *faces = json_object_get(b, "faces");
    if (!json_is_array(faces)) return DMSC_EINVAL;
    dmsc_cli_table_t t;
    dmsc_cli_table_init(&t, 9);
    const char *hdr[] = {"FACEID",   "REMOTE",    "LOCAL",        "SCOPE", "PERSISTENCY",
                         "IN i/d/n", "OUT i/d/n", "BYTES in/out", "DROPS"};
    for (size_t c = 0; c < 9; c++)
        dmsc_cli_table_cell(&t, "%s", hdr[c]);
    t.right[0] = t.right[8] = true;
    size_t i;
    const json_t *f;
    json_array_foreach(faces, i, f)
    {
        const json_t *c = json_object_get(f, "counters");
        dmsc_cli_table_cell(&t, "%" PRIu64, dmsc_cli_u64(f, "id"));
        dmsc_cli_table_cell(&t, "%s", dmsc_cli_str(f, "remote_uri"));
        dmsc_cli_table_cell(&t, "%s", dmsc_cli_str(f, "local_uri"));
        dmsc_cli_table_cell(&t, "%s", dmsc_cli_str(f, "scope"));
        dmsc_cli_table_cell(&t, "%s", dmsc_cli_str(f, "persistency"));
        dmsc_cli_table_cell(&t, "%" PRIu64 "/%" PRIu64 "/%" PRIu64, dmsc_cli_u64(c, "in_interests"),
                            dmsc_cli_u64(c, "in_data"), dmsc_cli_u64(c, "in_nacks"));
        dmsc_cli_table_cell(&t, "%" PRIu64 "/%" PRIu64 "/%" PRIu64,
                            dmsc_cli_u64(c, "out_interests"), dmsc_cli_u64(c, "out_data"),
                            dmsc_cli_u64(c, "out_nacks"));
        dmsc_cli_table_cell(&t, "%" PRIu64 "/%" PRIu64, dmsc_cli_u64(c, "in_bytes"),
                            dmsc_cli_u64(c, "out_bytes"));
        dmsc_cli_table_cell(&t, "%" PRIu64, drops_total(json_object_get(c, "drops")));
    }
    dmsc_cli_table_print(&t, out);
    if (json_array_size(faces) == 0) fputs("(no faces)\n", out);
    json_array_foreach(faces, i, f)
    {
        const json_t *d = json_object_get(json_object_get(f, "counters"), "drops");
        if (drops_total(d) == 0) continue;
        char line[1024];
        dmsc_cli_counts_line(d, line, sizeof line);
        fprintf(out, "face %" PRIu64 " drops: %s\n", dmsc_cli_u64(f, "id"), line);
    }
    return t.err ? DMSC_ENOMEM : 0;
}

static int render_routes(const json_t *b, FILE *out)
{
    const json_t *fib = json_object_get(b, "fib");
    if (!json_is_array(fib)) return DMSC_EINVAL;
    dmsc_cli_table_t t;
    dmsc_cli_table_init(&t, 2);
    dmsc_cli_table_cell(&t, "PREFIX");
    dmsc_cli_table_cell(&t, "NEXTHOPS");
    size_t i, k;
    const json_t *e, *nh;
    json_array_foreach(fib, i, e)
    {
        char line[4096];
        size_t len = 0;
        line[0] = '\0';
        json_array_foreach(json_object_get(e, "nexthops"), k, nh)
        {
            int n = snprintf(line + len, sizeof line - len, "%sface %" PRIu64 " cost %" PRIu64,
                             len ? ", " : "", dmsc_cli_u64(nh, "face"), dmsc_cli_u64(nh, "cost"));
            if (n < 0 || (size_t)n >= sizeof line - len) break;
            len += (size_t)n;
        }
        dmsc_cli_table_cell(&t, "%s", dmsc_cli_str(e, "prefix"));
        dmsc_cli_table_cell(&t, "%s", len ? line : "(none)");
    }
    dmsc_cli_table_print(&t, out);
    if (json_array_size(fib) == 0) fputs("(no routes)\n", out);
    return t.err ? DMSC_ENOMEM : 0;
}

static int render_cs(const json_t *b, FILE *out)
{
    if (!json_is_object(b) || !json_is_integer(json_object_get(b, "entries"))) return DMSC_EINVAL;
    char t1[64], t2[64];
    fprintf(out, "%-10s %" PRIu64, "entries", dmsc_cli_u64(b, "entries"));
    if (json_is_integer(json_object_get(b, "capacity_entries")))
        fprintf(out, " of %" PRIu64, dmsc_cli_u64(b, "capacity_entries"));
    fputc('\n', out);
    human_bytes(dmsc_cli_u64(b, "bytes"), t1, sizeof t1);
    fprintf(out, "%-10s %s", "bytes", t1);
    if (json_is_integer(json_object_get(b, "capacity_bytes"))) {
        human_bytes(dmsc_cli_u64(b, "capacity_bytes"), t2, sizeof t2);
        fprintf(out, " of %s", t2);
    }
    fputc('\n', out);
    fprintf(out, "%-10s %" PRIu64 "\n", "hits", dmsc_cli_u64(b, "hits"));
    fprintf(out, "%-10s %" PRIu64 "\n", "misses", dmsc_cli_u64(b, "misses"));
    const json_t *r = json_object_get(b, "hit_ratio");
    if (json_is_number(r))
        fprintf(out, "%-10s %.1f%%\n", "hit ratio", 100.0 * json_number_value(r));
    else
        fprintf(out, "%-10s -\n", "hit ratio");
    fprintf(out, "%-10s %" PRIu64 "\n", "inserts", dmsc_cli_u64(b, "inserts"));
    fprintf(out, "%-10s %" PRIu64 "\n", "evictions", dmsc_cli_u64(b, "evictions"));
    return 0;
}

static int render_strategy(const json_t *b, FILE *out)
{
    const json_t *v = json_object_get(b, "strategies");
    if (!json_is_array(v)) return DMSC_EINVAL;
    dmsc_cli_table_t t;
    dmsc_cli_table_init(&t, 2);
    dmsc_cli_table_cell(&t, "PREFIX");
    dmsc_cli_table_cell(&t, "STRATEGY");
    size_t i;
    const json_t *e;
    json_array_foreach(v, i, e)
    {
        dmsc_cli_table_cell(&t, "%s", dmsc_cli_str(e, "prefix"));
        dmsc_cli_table_cell(&t, "%s", dmsc_cli_str(e, "strategy"));
    }
    dmsc_cli_table_print(&t, out);
    return t.err ? DMSC_ENOMEM : 0;
}

static void routing_summary(const json_t *b, FILE *out)
{
    const json_t *st = json_object_get(b, "status");
    fprintf(out,
            "node %s  lsdb digest %s version %" PRIu64 " (%" PRIu64 " LSAs, changed %" PRIu64
            " ms ago)  neighbors full %" PRIu64 " up %" PRIu64 "  reachable %" PRIu64 "\n",
            dmsc_cli_str(b, "node"), dmsc_cli_str(st, "digest"), dmsc_cli_u64(st, "version"),
            dmsc_cli_u64(st, "lsas"), dmsc_cli_u64(st, "last_changed_ms_ago"),
            dmsc_cli_u64(st, "neighbors_full"), dmsc_cli_u64(st, "neighbors_up"),
            dmsc_cli_u64(st, "reachable"));
}

static int render_neighbors(const json_t *b, FILE *out)
{
    const json_t *v = json_object_get(b, "neighbors");
    if (!json_is_array(v) || !json_is_object(json_object_get(b, "status"))) return DMSC_EINVAL;
    routing_summary(b, out);
    dmsc_cli_table_t t;
    dmsc_cli_table_init(&t, 7);
    const char *h[] = {"FACE", "STATE", "NODE", "RTT", "COST", "MISSES", "DIGEST"};
    for (size_t c = 0; c < 7; c++)
        dmsc_cli_table_cell(&t, "%s", h[c]);
    t.right[0] = t.right[3] = t.right[4] = t.right[5] = true;
    size_t i;
    const json_t *e;
    json_array_foreach(v, i, e)
    {
        dmsc_cli_table_cell(&t, "%" PRIu64, dmsc_cli_u64(e, "face"));
        dmsc_cli_table_cell(&t, "%s", dmsc_cli_str(e, "state"));
        dmsc_cli_table_cell(
            &t, "%s", json_is_string(json_object_get(e, "node")) ? dmsc_cli_str(e, "node") : "-");
        dmsc_cli_table_cell(&t, "%.2f ms", (double)dmsc_cli_u64(e, "rtt_us") / 1000.0);
        dmsc_cli_table_cell(&t, "%" PRIu64, dmsc_cli_u64(e, "cost"));
        dmsc_cli_table_cell(&t, "%" PRIu64, dmsc_cli_u64(e, "misses"));
        dmsc_cli_table_cell(&t, "%s",
                            json_is_string(json_object_get(e, "digest")) ? dmsc_cli_str(e, "digest")
                                                                         : "-");
    }
    dmsc_cli_table_print(&t, out);
    if (json_array_size(v) == 0) fputs("(no neighbors)\n", out);
    return t.err ? DMSC_ENOMEM : 0;
}

static int render_lsdb(const json_t *b, FILE *out)
{
    const json_t *v = json_object_get(b, "lsas"), *r = json_object_get(b, "routes");
    if (!json_is_array(v) || !json_is_array(r) || !json_is_object(json_object_get(b, "status")))
        return DMSC_EINVAL;
    routing_summary(b, out);
    dmsc_cli_table_t t;
    dmsc_cli_table_init(&t, 6);
    const char *h[] = {"ORIGIN", "SEQ", "DIST", "ADJ", "PREFIXES", "EXPIRES"};
    for (size_t c = 0; c < 6; c++)
        dmsc_cli_table_cell(&t, "%s", h[c]);
    for (size_t c = 1; c < 6; c++)
        t.right[c] = true;
    size_t i, k;
    const json_t *e, *nh;
    json_array_foreach(v, i, e)
    {
        json_int_t d = json_integer_value(json_object_get(e, "dist"));
        char rem[64];
        human_duration(dmsc_cli_u64(e, "remaining_ms"), rem, sizeof rem);
        dmsc_cli_table_cell(&t, "%s%s", dmsc_cli_str(e, "origin"),
                            json_is_true(json_object_get(e, "self")) ? " (self)" : "");
        dmsc_cli_table_cell(&t, "%" PRIu64, dmsc_cli_u64(e, "seq"));
        if (d < 0)
            dmsc_cli_table_cell(&t, "unreachable");
        else
            dmsc_cli_table_cell(&t, "%" PRIu64, (uint64_t)d);
        dmsc_cli_table_cell(&t, "%" PRIu64, dmsc_cli_u64(e, "adjacencies"));
        dmsc_cli_table_cell(&t, "%" PRIu64, dmsc_cli_u64(e, "prefixes"));
        dmsc_cli_table_cell(&t, "%s", rem);
    }
    dmsc_cli_table_print(&t, out);
    fputc('\n', out);
    dmsc_cli_table_init(&t, 2);
    dmsc_cli_table_cell(&t, "ROUTE");
    dmsc_cli_table_cell(&t, "NEXTHOPS (face cost via origin)");
    json_array_foreach(r, i, e)
    {
        char line[4096];
        size_t len = 0;
        line[0] = '\0';
        json_array_foreach(json_object_get(e, "nexthops"), k, nh)
        {
            int n = snprintf(line + len, sizeof line - len, "%s%" PRIu64 " %" PRIu64 " %s",
                             len ? ", " : "", dmsc_cli_u64(nh, "face"), dmsc_cli_u64(nh, "cost"),
                             dmsc_cli_str(nh, "origin"));
            if (n < 0 || (size_t)n >= sizeof line - len) break;
            len += (size_t)n;
        }
        dmsc_cli_table_cell(&t, "%s", dmsc_cli_str(e, "prefix"));
        dmsc_cli_table_cell(&t, "%s", len ? line : "(none)");
    }
    dmsc_cli_table_print(&t, out);
    if (json_array_size(r) == 0) fputs("(no routes)\n", out);
    return t.err ? DMSC_ENOMEM : 0;
}

static const view_t views[] = {
    {"status", "/status", render_status},       {"faces", "/faces", render_faces},
    {"routes", "/fib", render_routes},          {"cs", "/cs", render_cs},
    {"strategy", "/strategy", render_strategy}, {"neighbors", "/routing", render_neighbors},
    {"lsdb", "/routing", render_lsdb},
};

static const view_t *find_view(const char *cmd)
{
    for (size_t i = 0; cmd && i < sizeof views / sizeof views[0]; i++)
        if (strcmp(views[i].cmd, cmd) == 0) return &views[i];
    return NULL;
}

bool dmsc_cli_node_is_command(const char *name)
{
    return find_view(name) != NULL;
}

int dmsc_cli_node_render(const char *cmd, const json_t *body, FILE *out)
{
    const view_t *v = find_view(cmd);
    return v ? v->render(body, out) : DMSC_EINVAL;
}

/* ---------------------------------------------------------------- main */

__attribute__((format(printf, 1, 2))) static int node_usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs("dmsc: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n\n", stderr);
    fputs(usage_node, stderr);
    return 1;
}

int dmsc_cli_node_main(int argc, char **argv)
{
    const view_t *v = argc > 0 ? find_view(argv[0]) : NULL;
    if (!v) return node_usage_error("unknown command %s", argc > 0 ? argv[0] : "(none)");
    bool json = false;
    const char *admin = NULL;
    int timeout_ms = 5000;
    for (int k = 1; k < argc; k++) {
        const char *a = argv[k];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage_node, stdout);
            return 0;
        } else if (strcmp(a, "--json") == 0 || strcmp(a, "-j") == 0) {
            json = true;
        } else if (strcmp(a, "--admin") == 0 || strcmp(a, "--timeout") == 0) {
            if (k + 1 >= argc) return node_usage_error("%s: %s needs a value", v->cmd, a);
            if (a[2] == 'a') {
                admin = argv[++k];
            } else {
                char *end;
                long t = strtol(argv[++k], &end, 10);
                if (*end || t <= 0 || t > 3600000)
                    return node_usage_error("%s: --timeout %s: not a number of milliseconds",
                                            v->cmd, argv[k]);
                timeout_ms = (int)t;
            }
        } else if (strncmp(a, "--admin=", 8) == 0) {
            admin = a + 8;
        } else {
            return node_usage_error("%s: unexpected argument %s", v->cmd, a);
        }
    }

    dmsc_admin_client_addr_t addr;
    const char *from;
    if (dmsc_admin_client_resolve_addr(admin, &addr, &from))
        return node_usage_error("%s: bad admin address %s (%s): want HOST:PORT", v->cmd,
                                admin ? admin : getenv(DMSC_ADMIN_CLIENT_ENV), from);

    dmsc_admin_client_resp_t resp;
    char err[512];
    int rc = dmsc_admin_client_get(&addr, v->path, timeout_ms, &resp, err, sizeof err);
    if (rc) {
        fprintf(stderr,
                "dmsc: %s: admin API unreachable: %s (is dmscd running? the address comes from "
                "--admin, $%s or the default %s:%s)\n",
                v->cmd, err[0] ? err : dmsc_strerror(rc), DMSC_ADMIN_CLIENT_ENV,
                DMSC_ADMIN_CLIENT_DEFAULT_HOST, DMSC_ADMIN_CLIENT_DEFAULT_PORT);
        return 1;
    }
    int status = 1;
    json_error_t jerr;
    json_t *body = json_loadb(resp.body, resp.body_len, 0, &jerr);
    if (resp.status != 200) {
        const char *e = json_string_value(json_object_get(body, "error"));
        fprintf(stderr, "dmsc: %s: admin API answered GET %s with %d%s%s%s\n", v->cmd, v->path,
                resp.status, e ? " " : "", e ? e : "",
                resp.status == 404 && !strcmp(v->path, "/routing")
                    ? " (routing is off on this node: routing.enabled, docs/config.md)"
                    : "");
    } else if (json) {
        fwrite(resp.body, 1, resp.body_len, stdout);
        if (resp.body_len && resp.body[resp.body_len - 1] != '\n') fputc('\n', stdout);
        status = 0;
    } else if (!body) {
        fprintf(stderr, "dmsc: %s: admin API sent invalid JSON: %s (line %d)\n", v->cmd, jerr.text,
                jerr.line);
    } else if (v->render(body, stdout)) {
        fprintf(stderr, "dmsc: %s: unexpected response from GET %s (try --json)\n", v->cmd,
                v->path);
    } else {
        status = 0;
    }
    json_decref(body);
    dmsc_admin_client_resp_free(&resp);
    if (fflush(stdout) != 0) status = 1;
    return status;
}
