/*
 * Admin API: HTTP/1.1 + JSON and Prometheus /metrics (see admin.h).
 *
 * Layout of this file:
 *   1. bounded output buffer
 *   2. Prometheus exposition writer
 *   3. HTTP/1.1 request parser
 *   4. views: faces, totals, JSON bodies, built-in metrics
 *   5. routing and responses (dmsc_admin_process)
 *   6. the libuv server: connections, timeouts, shutdown
 */
#include "mgmt/admin.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "mgmt/version.h"
#include "ndn/name.h"

#define METHOD_MAX 32
#define REJECT_SLACK 16   /* connections past max_conns that still get a 503 */
#define LINGER_MS 2000    /* after a closing response: wait this long for the peer's FIN */
#define URI_BUF 8192      /* fits any name URI (DMSC_NAME_MAX_LEN bytes, escaped) */
#define SWEEP_MAX_MS 1000 /* timeout check period (at most) */
#define NPKT 8            /* packet and byte counters per face (see pkt_fields) */

static const char *const drop_names[DMSC_DROP__COUNT] = {
#define DROP_NAME(n, s) s,
    DMSC_FW_DROP_MAP(DROP_NAME)
#undef DROP_NAME
};

void dmsc_admin_limits_default(dmsc_admin_limits_t *lim)
{
    lim->max_conns = 64;
    lim->max_header_bytes = 8192;
    lim->max_headers = 64;
    lim->max_body_bytes = 64 * 1024;
    lim->max_response_bytes = (size_t)64 << 20;
    lim->idle_timeout_ms = 30000;
    lim->request_timeout_ms = 10000;
    lim->write_timeout_ms = 30000;
}

/* ------------------------------------------------------------------ */
/* 1. bounded output buffer                                            */

typedef struct {
    char *p;
    size_t len, cap, max;
    bool err; /* out of memory or past max: the contents are incomplete */
} abuf_t;

static void abuf_init(abuf_t *b, size_t max)
{
    b->p = NULL;
    b->len = b->cap = 0;
    b->max = max;
    b->err = false;
}

static bool abuf_reserve(abuf_t *b, size_t n)
{
    if (b->err) return false;
    if (n > b->max - b->len) {
        b->err = true;
        return false;
    }
    if (b->len + n + 1 <= b->cap) return true;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + n + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->err = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

static void abuf_add(abuf_t *b, const void *s, size_t n)
{
    if (!abuf_reserve(b, n)) return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void abuf_puts(abuf_t *b, const char *s)
{
    abuf_add(b, s, strlen(s));
}

static void abuf_printf(abuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void abuf_printf(abuf_t *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->err = true;
        return;
    }
    if ((size_t)n < sizeof tmp) {
        abuf_add(b, tmp, (size_t)n);
        return;
    }
    if (!abuf_reserve(b, (size_t)n)) return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

static void abuf_free(abuf_t *b)
{
    free(b->p);
    abuf_init(b, b->max);
}

/* ------------------------------------------------------------------ */
/* 2. Prometheus text exposition format 0.0.4                          */

struct dmsc_metrics {
    abuf_t *out;
    char *family; /* current family name, NULL if none or rejected */
    char **seen;  /* family names written so far */
    size_t nseen, capseen;
};

static bool metric_name_ok(const char *s)
{
    if (!s || !*s) return false;
    for (size_t i = 0; s[i]; i++) {
        char c = s[i];
        bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
        if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
    }
    return true;
}

static bool label_name_ok(const char *s)
{
    if (!s || !*s || (s[0] == '_' && s[1] == '_')) return false;
    for (size_t i = 0; s[i]; i++) {
        char c = s[i];
        bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
    }
    return true;
}

static void metrics_init(dmsc_metrics_t *m, abuf_t *out)
{
    memset(m, 0, sizeof *m);
    m->out = out;
}

static void metrics_fini(dmsc_metrics_t *m)
{
    for (size_t i = 0; i < m->nseen; i++)
        free(m->seen[i]);
    free(m->seen);
    m->family = NULL;
}

int dmsc_metrics_family(dmsc_metrics_t *m, const char *name, const char *type, const char *help)
{
    static const char *const types[] = {"counter", "gauge", "untyped", "histogram", "summary"};
    m->family = NULL;
    bool type_ok = false;
    for (size_t i = 0; type && i < sizeof types / sizeof types[0]; i++)
        type_ok |= strcmp(type, types[i]) == 0;
    if (!type_ok || !metric_name_ok(name)) return DMSC_EINVAL;
    for (size_t i = 0; i < m->nseen; i++)
        if (strcmp(m->seen[i], name) == 0) return DMSC_EINVAL;
    if (m->nseen == m->capseen) {
        size_t cap = m->capseen ? 2 * m->capseen : 32;
        char **v = realloc(m->seen, cap * sizeof *v);
        if (!v) return DMSC_ENOMEM;
        m->seen = v;
        m->capseen = cap;
    }
    char *dup = strdup(name);
    if (!dup) return DMSC_ENOMEM;
    m->seen[m->nseen++] = dup;
    m->family = dup;

    abuf_printf(m->out, "# HELP %s ", name);
    for (const char *h = help ? help : ""; *h; h++) {
        if (*h == '\\')
            abuf_puts(m->out, "\\\\");
        else if (*h == '\n')
            abuf_puts(m->out, "\\n");
        else
            abuf_add(m->out, h, 1);
    }
    abuf_printf(m->out, "\n# TYPE %s %s\n", name, type);
    return 0;
}

/* Writes "name{labels} " or nothing (returns false) if the sample is invalid. */
static bool sample_head(dmsc_metrics_t *m, const char *suffix, const dmsc_metric_label_t *labels,
                        size_t n)
{
    if (!m->family) return false;
    if (suffix && !metric_name_ok(suffix[0] >= '0' && suffix[0] <= '9' ? "x" : suffix))
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!label_name_ok(labels[i].name) || !labels[i].value) return false;
        for (size_t j = 0; j < i; j++)
            if (strcmp(labels[i].name, labels[j].name) == 0) return false;
    }
    abuf_puts(m->out, m->family);
    if (suffix) abuf_puts(m->out, suffix);
    if (n) {
        abuf_add(m->out, "{", 1);
        for (size_t i = 0; i < n; i++) {
            abuf_printf(m->out, "%s%s=\"", i ? "," : "", labels[i].name);
            for (const char *v = labels[i].value; *v; v++) {
                if (*v == '\\')
                    abuf_puts(m->out, "\\\\");
                else if (*v == '"')
                    abuf_puts(m->out, "\\\"");
                else if (*v == '\n')
                    abuf_puts(m->out, "\\n");
                else
                    abuf_add(m->out, v, 1);
            }
            abuf_add(m->out, "\"", 1);
        }
        abuf_add(m->out, "}", 1);
    }
    abuf_add(m->out, " ", 1);
    return true;
}

void dmsc_metrics_u64(dmsc_metrics_t *m, const dmsc_metric_label_t *labels, size_t nlabels,
                      uint64_t value)
{
    if (sample_head(m, NULL, labels, nlabels)) abuf_printf(m->out, "%" PRIu64 "\n", value);
}

static void put_f64(abuf_t *b, double v)
{
    if (isnan(v)) {
        abuf_puts(b, "NaN\n");
    } else if (isinf(v)) {
        abuf_puts(b, v > 0 ? "+Inf\n" : "-Inf\n");
    } else {
        /* the shortest of %.15g / %.17g that reads back exactly */
        char s[40];
        snprintf(s, sizeof s, "%.15g", v);
        if (strtod(s, NULL) != v) snprintf(s, sizeof s, "%.17g", v);
        abuf_printf(b, "%s\n", s);
    }
}

void dmsc_metrics_f64(dmsc_metrics_t *m, const dmsc_metric_label_t *labels, size_t nlabels,
                      double value)
{
    if (sample_head(m, NULL, labels, nlabels)) put_f64(m->out, value);
}

void dmsc_metrics_f64_suffix(dmsc_metrics_t *m, const char *suffix,
                             const dmsc_metric_label_t *labels, size_t nlabels, double value)
{
    if (suffix && sample_head(m, suffix, labels, nlabels)) put_f64(m->out, value);
}

/* ------------------------------------------------------------------ */
/* 3. HTTP/1.1 request parser (RFC 9112)                               */

static bool is_tchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool ieq(const char *a, size_t alen, const char *b)
{
    size_t blen = strlen(b);
    if (alen != blen) return false;
    for (size_t i = 0; i < alen; i++) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = (char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = (char)(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

static int parse_fail(dmsc_admin_http_req_t *req, int status)
{
    req->status = status;
    return DMSC_EINVAL;
}

/* Request line [p, p+n) without its line ending. */
static int parse_request_line(const char *p, size_t n, dmsc_admin_http_req_t *req)
{
    size_t i = 0;
    while (i < n && is_tchar((unsigned char)p[i]))
        i++;
    if (i == 0 || i >= n || p[i] != ' ') return parse_fail(req, 400);
    if (i > METHOD_MAX) return parse_fail(req, 501);
    req->method = p;
    req->method_len = i;
    size_t t = ++i;
    while (i < n && (unsigned char)p[i] > 0x20 && (unsigned char)p[i] < 0x7f)
        i++;
    if (i == t || i >= n || p[i] != ' ') return parse_fail(req, 400);
    const char *target = p + t;
    size_t tlen = i - t;
    i++;
    /* HTTP-version = "HTTP/" DIGIT "." DIGIT */
    if (n - i != 8 || memcmp(p + i, "HTTP/", 5) != 0 || p[i + 5] < '0' || p[i + 5] > '9' ||
        p[i + 6] != '.' || p[i + 7] < '0' || p[i + 7] > '9')
        return parse_fail(req, 400);
    if (p[i + 5] != '1') return parse_fail(req, 505);
    req->minor = p[i + 7] == '0' ? 0 : 1;

    if (target[0] != '/') {
        /* absolute-form (RFC 9112 3.2.2): keep the path of http(s)://authority/path */
        size_t skip = 0;
        if (tlen >= 7 && ieq(target, 7, "http://"))
            skip = 7;
        else if (tlen >= 8 && ieq(target, 8, "https://"))
            skip = 8;
        if (!skip) return parse_fail(req, 400); /* asterisk-form, authority-form, garbage */
        const char *slash = memchr(target + skip, '/', tlen - skip);
        if (slash) {
            tlen -= (size_t)(slash - target);
            target = slash;
        } else {
            target = "/";
            tlen = 1;
        }
    }
    req->target = target;
    req->target_len = tlen;
    return 0;
}

/* One header field line [p, p+n) without its line ending. */
static int parse_field(const char *p, size_t n, dmsc_admin_http_req_t *req, int *host_count,
                       bool *te, bool *have_cl, bool *conn_close, bool *conn_keep)
{
    if (n == 0 || p[0] == ' ' || p[0] == '\t') return parse_fail(req, 400); /* obs-fold */
    size_t i = 0;
    while (i < n && is_tchar((unsigned char)p[i]))
        i++;
    if (i == 0 || i >= n || p[i] != ':') return parse_fail(req, 400);
    const char *name = p;
    size_t name_len = i++;
    while (i < n && (p[i] == ' ' || p[i] == '\t'))
        i++;
    size_t end = n;
    while (end > i && (p[end - 1] == ' ' || p[end - 1] == '\t'))
        end--;
    const char *v = p + i;
    size_t vlen = end - i;
    for (size_t k = 0; k < vlen; k++) {
        unsigned char c = (unsigned char)v[k];
        if ((c < 0x20 && c != '\t') || c == 0x7f) return parse_fail(req, 400);
    }

    if (ieq(name, name_len, "host")) {
        (*host_count)++;
    } else if (ieq(name, name_len, "content-length")) {
        if (vlen == 0) return parse_fail(req, 400);
        size_t cl = 0;
        bool big = false;
        for (size_t k = 0; k < vlen; k++) {
            if (v[k] < '0' || v[k] > '9') return parse_fail(req, 400);
            if (cl > (SIZE_MAX - 9) / 10)
                big = true;
            else
                cl = cl * 10 + (size_t)(v[k] - '0');
        }
        if (big) cl = SIZE_MAX;
        if (*have_cl && cl != req->content_length) return parse_fail(req, 400);
        *have_cl = true;
        req->content_length = cl;
    } else if (ieq(name, name_len, "transfer-encoding")) {
        *te = true;
    } else if (ieq(name, name_len, "connection")) {
        size_t k = 0;
        while (k < vlen) {
            while (k < vlen && (v[k] == ',' || v[k] == ' ' || v[k] == '\t'))
                k++;
            size_t s = k;
            while (k < vlen && v[k] != ',' && v[k] != ' ' && v[k] != '\t')
                k++;
            if (ieq(v + s, k - s, "close"))
                *conn_close = true;
            else if (ieq(v + s, k - s, "keep-alive"))
                *conn_keep = true;
        }
    }
    return 0;
}

int dmsc_admin_http_parse(const uint8_t *buf, size_t len, const dmsc_admin_limits_t *lim,
                          dmsc_admin_http_req_t *req)
{
    dmsc_admin_limits_t dl;
    if (!lim) {
        dmsc_admin_limits_default(&dl);
        lim = &dl;
    }
    memset(req, 0, sizeof *req);
    const char *s = (const char *)buf;
    size_t maxh = lim->max_header_bytes;
    size_t avail = len < maxh ? len : maxh;

    /* RFC 9112 2.2: ignore empty lines before the request line */
    size_t pos = 0;
    for (;;) {
        if (pos < avail && s[pos] == '\n') {
            pos++;
        } else if (pos < avail && s[pos] == '\r') {
            if (pos + 1 >= avail) break;
            if (s[pos + 1] != '\n') return parse_fail(req, 400);
            pos += 2;
        } else {
            break;
        }
    }

    /* Reject what cannot be a request line early (TLS, binary) rather than
     * waiting for a full head: the method must be a token. */
    for (size_t i = pos; i < avail && s[i] != ' '; i++)
        if (!is_tchar((unsigned char)s[i])) return parse_fail(req, 400);

    /* Walk the lines of the head: request line, fields, empty line. */
    int host_count = 0;
    bool te = false, have_cl = false, conn_close = false, conn_keep = false;
    size_t line = pos, head_end = 0;
    bool first = true;
    while (line < avail) {
        const char *nl = memchr(s + line, '\n', avail - line);
        if (!nl) break;
        size_t le = (size_t)(nl - s); /* index of '\n' */
        size_t n = le - line;
        if (n > 0 && s[le - 1] == '\r') n--;
        if (memchr(s + line, '\r', n)) return parse_fail(req, 400); /* bare CR */
        if (first) {
            if (parse_request_line(s + line, n, req)) return DMSC_EINVAL;
            first = false;
        } else if (n == 0) {
            head_end = le + 1;
            break;
        } else {
            if (++req->nfields > lim->max_headers) return parse_fail(req, 431);
            if (parse_field(s + line, n, req, &host_count, &te, &have_cl, &conn_close, &conn_keep))
                return DMSC_EINVAL;
        }
        line = le + 1;
    }
    if (!head_end) {
        if (len >= maxh) return parse_fail(req, 431);
        return 0;
    }

    if (te) return parse_fail(req, have_cl ? 400 : 501);
    if (host_count > 1 || (req->minor == 1 && host_count == 0)) return parse_fail(req, 400);
    req->has_host = host_count == 1;
    req->keep_alive = !conn_close && (req->minor == 1 || conn_keep);
    req->head_len = head_end;
    if (req->content_length > lim->max_body_bytes) return parse_fail(req, 413);
    if (len - head_end < req->content_length) return 0;
    return (int)(head_end + req->content_length);
}

/* ------------------------------------------------------------------ */
/* 4. views                                                            */

typedef struct route {
    char method[METHOD_MAX + 1];
    char *path;  /* as registered: "/x", or "/x/" and an asterisk for a subtree */
    size_t plen; /* subtree: length of the prefix including the trailing '/' */
    bool subtree;
    dmsc_admin_json_fn fn;
    /* built-in non-JSON endpoint (/metrics) */
    int (*raw)(dmsc_admin_t *a, abuf_t *body, const char **ctype);
    void *arg;
} route_t;

typedef struct {
    dmsc_admin_metrics_fn fn;
    void *arg;
} mwriter_t;

typedef struct {
    dmsc_faceid_t id;
    uint64_t c[NPKT];
} snap_t;

typedef struct conn conn_t;

struct dmsc_admin {
    dmsc_fw_t *fw;
    dmsc_facetable_t *ft;
    char *node_name;
    dmsc_admin_limits_t lim;

    dmsc_fw_config_t fwcfg;
    bool have_fwcfg;

    uint64_t (*now_ns)(void *);
    void *clock_ctx;
    uint64_t start_ns;

    dmsc_admin_face_foreach_fn face_foreach;
    void *face_ctx;

    route_t *routes;
    size_t nroutes, caproutes;
    mwriter_t *mw;
    size_t nmw, capmw;

    /* global packet totals: faces gone since the last walk (see totals_update) */
    snap_t *snap;
    size_t nsnap;
    uint64_t retired[NPKT];

    uint64_t requests_total, rejected_total;

    /* server */
    uv_loop_t *loop;
    uv_tcp_t *listener;
    uv_timer_t sweep;
    uv_tcp_t drain; /* accepts and drops a connection when out of memory */
    bool drain_busy, accept_stalled;
    bool listening, stopping;
    int port;
    conn_t *conns;
    size_t nconns;
    int pending_handles;
    void (*done)(void *);
    void *done_arg;
};

static const char *const pkt_fields[NPKT] = {
    "in_interests", "in_data",   "in_nacks", "out_interests",
    "out_data",     "out_nacks", "in_bytes", "out_bytes",
};

static void pkt_counts(const dmsc_fw_face_counters_t *c, uint64_t v[NPKT])
{
    v[0] = c->in_interests;
    v[1] = c->in_data;
    v[2] = c->in_nacks;
    v[3] = c->out_interests;
    v[4] = c->out_data;
    v[5] = c->out_nacks;
    v[6] = c->in_bytes;
    v[7] = c->out_bytes;
}

static const char *scope_name(int s)
{
    return s == DMSC_SCOPE_LOCAL ? "local" : "non-local";
}

static const char *persistency_name(int p)
{
    switch (p) {
    case DMSC_FACE_PERSISTENT:
        return "persistent";
    case DMSC_FACE_ON_DEMAND:
        return "on-demand";
    case DMSC_FACE_PERMANENT:
        return "permanent";
    default:
        return "unknown";
    }
}

static const char *link_type_name(int t)
{
    switch (t) {
    case DMSC_LINK_P2P:
        return "point-to-point";
    case DMSC_LINK_MULTI_ACCESS:
        return "multi-access";
    case DMSC_LINK_AD_HOC:
        return "ad-hoc";
    default:
        return "unknown";
    }
}

static uint64_t default_clock(void *ctx)
{
    (void)ctx;
    return uv_hrtime();
}

static uint64_t uptime_ms(const dmsc_admin_t *a)
{
    uint64_t now = a->now_ns(a->clock_ctx);
    return now > a->start_ns ? (now - a->start_ns) / 1000000u : 0;
}

static const dmsc_fw_counters_t *fw_counters(const dmsc_admin_t *a)
{
    static const dmsc_fw_counters_t zero;
    const dmsc_fw_counters_t *c = a->fw ? dmsc_fw_counters(a->fw) : NULL;
    return c ? c : &zero;
}

/* Faces, sorted by id, each with a counters pointer that is never NULL. */
typedef struct {
    dmsc_face_info_t *v;
    size_t n, cap;
    bool err;
    const dmsc_admin_t *a;
} faces_t;

static int collect_face(void *arg, const dmsc_face_info_t *fi)
{
    static const dmsc_fw_face_counters_t zero;
    faces_t *f = arg;
    if (f->n == f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 16;
        dmsc_face_info_t *v = realloc(f->v, cap * sizeof *v);
        if (!v) {
            f->err = true;
            return 1;
        }
        f->v = v;
        f->cap = cap;
    }
    dmsc_face_info_t *d = &f->v[f->n++];
    *d = *fi;
    d->remote_uri[DMSC_FACE_URI_MAX - 1] = '\0';
    d->local_uri[DMSC_FACE_URI_MAX - 1] = '\0';
    if (!d->counters && f->a->fw) d->counters = dmsc_fw_face_counters(f->a->fw, d->id);
    if (!d->counters) d->counters = &zero;
    return 0;
}

static int cmp_face(const void *x, const void *y)
{
    const dmsc_face_info_t *a = x, *b = y;
    return a->id < b->id ? -1 : a->id > b->id;
}

static int faces_collect(const dmsc_admin_t *a, faces_t *f)
{
    memset(f, 0, sizeof *f);
    f->a = a;
    if (a->face_foreach) a->face_foreach(a->face_ctx, collect_face, f);
    if (f->err) {
        free(f->v);
        return DMSC_ENOMEM;
    }
    if (f->n > 1) qsort(f->v, f->n, sizeof *f->v, cmp_face);
    return 0;
}

/* Node-wide packet and byte totals that never decrease although faces come
 * and go: the sum over current faces plus, for each face gone since the
 * previous walk, its counters as seen then. (Packets a face counted between
 * the last walk and its removal are not in the total.) */
static void totals_update(dmsc_admin_t *a, const faces_t *f, uint64_t total[NPKT])
{
    snap_t *ns = f->n ? malloc(f->n * sizeof *ns) : NULL;
    size_t j = 0;
    for (size_t i = 0; i < f->n; i++) {
        uint64_t cur[NPKT];
        pkt_counts(f->v[i].counters, cur);
        while (ns && j < a->nsnap && a->snap[j].id < f->v[i].id) {
            for (int k = 0; k < NPKT; k++)
                a->retired[k] += a->snap[j].c[k];
            j++;
        }
        if (ns && j < a->nsnap && a->snap[j].id == f->v[i].id) {
            bool reset = false;
            for (int k = 0; k < NPKT; k++)
                reset |= cur[k] < a->snap[j].c[k];
            if (reset) /* same id, new face (or counters reset) */
                for (int k = 0; k < NPKT; k++)
                    a->retired[k] += a->snap[j].c[k];
            j++;
        }
        if (ns) {
            ns[i].id = f->v[i].id;
            memcpy(ns[i].c, cur, sizeof cur);
        }
    }
    if (ns || f->n == 0) {
        for (; j < a->nsnap; j++)
            for (int k = 0; k < NPKT; k++)
                a->retired[k] += a->snap[j].c[k];
        free(a->snap);
        a->snap = ns;
        a->nsnap = f->n;
    }
    for (int k = 0; k < NPKT; k++) {
        total[k] = a->retired[k];
        for (size_t i = 0; i < f->n; i++) {
            uint64_t cur[NPKT];
            pkt_counts(f->v[i].counters, cur);
            total[k] += cur[k];
        }
    }
}

static json_t *ju(uint64_t v)
{
    return json_integer(v > (uint64_t)INT64_MAX ? INT64_MAX : (json_int_t)v);
}

static json_t *drops_json(const uint64_t *drops)
{
    json_t *o = json_object();
    for (int r = 0; r < DMSC_DROP__COUNT; r++)
        json_object_set_new(o, drop_names[r], ju(drops[r]));
    return o;
}

static json_t *face_json(const dmsc_face_info_t *fi)
{
    const dmsc_fw_face_counters_t *c = fi->counters;
    uint64_t v[NPKT];
    pkt_counts(c, v);
    json_t *cnt = json_object();
    for (int k = 0; k < NPKT; k++)
        json_object_set_new(cnt, pkt_fields[k], ju(v[k]));
    json_object_set_new(cnt, "pit_entries", ju(c->pit_entries));
    json_object_set_new(cnt, "drops", drops_json(c->drops));
    const dmsc_face_link_counters_t *l = &fi->link;
    json_t *link = json_pack(
        "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "in_lp_packets",
        (json_int_t)l->in_lp_packets, "in_idle", (json_int_t)l->in_idle, "in_lp_invalid",
        (json_int_t)l->in_lp_invalid, "in_net_invalid", (json_int_t)l->in_net_invalid, "in_frags",
        (json_int_t)l->in_frags, "in_reasm_drops", (json_int_t)l->in_reasm_drops, "out_lp_packets",
        (json_int_t)l->out_lp_packets, "out_frags", (json_int_t)l->out_frags, "out_idle",
        (json_int_t)l->out_idle, "out_drops", (json_int_t)l->out_drops, "out_congestion_marks",
        (json_int_t)l->out_cmarks, "out_queue_bytes", (json_int_t)l->out_queue_bytes);
    if (link) json_object_set_new(cnt, "link", link);
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:{s:b, s:b, s:b}, s:I, s:o}", "id",
                     (json_int_t)fi->id, "remote_uri", fi->remote_uri, "local_uri", fi->local_uri,
                     "scope", scope_name(fi->scope), "persistency",
                     persistency_name(fi->persistency), "link_type", link_type_name(fi->link_type),
                     "flags", "local_fields", (fi->flags & DMSC_FACE_FLAG_LOCAL_FIELDS) != 0,
                     "lp_reliability", (fi->flags & DMSC_FACE_FLAG_LP_RELIABILITY) != 0,
                     "congestion_marking", (fi->flags & DMSC_FACE_FLAG_CONGESTION_MARKING) != 0,
                     "mtu", (json_int_t)fi->mtu, "counters", cnt);
}

static json_t *cap_json(const dmsc_admin_t *a, uint64_t v)
{
    return a->have_fwcfg ? ju(v) : json_null();
}

static int view_status(void *arg, const dmsc_admin_req_t *req, json_t **body)
{
    dmsc_admin_t *a = arg;
    faces_t f;
    if (faces_collect(a, &f)) return 500;
    uint64_t tot[NPKT];
    totals_update(a, &f, tot);
    const dmsc_fw_counters_t *g = fw_counters(a);
    json_t *cnt = json_object();
    for (int k = 0; k < NPKT; k++)
        json_object_set_new(cnt, pkt_fields[k], ju(tot[k]));
    json_object_set_new(cnt, "satisfied_interests", ju(g->satisfied_interests));
    json_object_set_new(cnt, "unsatisfied_interests", ju(g->unsatisfied_interests));
    *body = json_pack("{s:s, s:s, s:I, s:I, s:{s:I, s:o}, s:{s:I, s:I, s:o, s:o, s:I, s:I}, "
                      "s:{s:I, s:o}, s:{s:I}, s:o, s:o}",
                      "node", a->node_name, "version", dmsc_version(), "uptime_ms",
                      (json_int_t)uptime_ms(a), "faces", (json_int_t)f.n, "pit", "entries",
                      (json_int_t)g->pit_size, "capacity", cap_json(a, a->fwcfg.pit_max), "cs",
                      "entries", (json_int_t)g->cs_entries, "bytes", (json_int_t)g->cs_bytes,
                      "capacity_entries", cap_json(a, a->fwcfg.cs_max_entries), "capacity_bytes",
                      cap_json(a, a->fwcfg.cs_max_bytes), "hits", (json_int_t)g->cs_hits, "misses",
                      (json_int_t)g->cs_misses, "fib", "entries", (json_int_t)g->fib_size,
                      "capacity", cap_json(a, a->fwcfg.fib_max), "dnl", "entries",
                      (json_int_t)g->dnl_size, "counters", cnt, "drops", drops_json(g->drops));
    free(f.v);
    return *body ? 200 : 500;
}

static int view_faces(void *arg, const dmsc_admin_req_t *req, json_t **body)
{
    dmsc_admin_t *a = arg;
    faces_t f;
    if (faces_collect(a, &f)) return 500;
    json_t *arr = json_array();
    for (size_t i = 0; i < f.n; i++)
        json_array_append_new(arr, face_json(&f.v[i]));
    free(f.v);
    *body = json_pack("{s:o}", "faces", arr);
    return 200;
}

/* name-keyed entries (FIB, strategy choice), sorted by URI for stable output */
typedef struct {
    char *uri;
    json_t *obj;
} named_t;

typedef struct {
    named_t *v;
    size_t n, cap;
    bool err;
} named_list_t;

static int cmp_named(const void *x, const void *y)
{
    return strcmp(((const named_t *)x)->uri, ((const named_t *)y)->uri);
}

/* Add {key: URI of name, ...rest}; takes rest. */
static void named_add(named_list_t *l, const dmsc_name_t *name, const char *key, json_t *rest)
{
    char uri[URI_BUF];
    json_t *obj = json_object();
    char *dup = NULL;
    if (!rest || !obj || dmsc_name_to_uri(name, DMSC_URI_ALT, uri, sizeof uri) < 0 ||
        json_object_set_new(obj, key, json_string(uri)) || json_object_update(obj, rest) ||
        !(dup = strdup(uri)))
        goto fail;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        named_t *v = realloc(l->v, cap * sizeof *v);
        if (!v) goto fail;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n].uri = dup;
    l->v[l->n].obj = obj;
    l->n++;
    json_decref(rest);
    return;
fail:
    free(dup);
    json_decref(obj);
    json_decref(rest);
    l->err = true;
}

/* The entries sorted by URI as a JSON array (NULL on error); frees l. */
static json_t *named_finish(named_list_t *l)
{
    json_t *arr = l->err ? NULL : json_array();
    if (l->n > 1) qsort(l->v, l->n, sizeof *l->v, cmp_named);
    for (size_t i = 0; i < l->n; i++) {
        if (arr && json_array_append(arr, l->v[i].obj)) {
            json_decref(arr);
            arr = NULL;
        }
        json_decref(l->v[i].obj);
        free(l->v[i].uri);
    }
    free(l->v);
    return arr;
}

static int cmp_nexthop(const void *x, const void *y)
{
    const dmsc_nexthop_t *a = x, *b = y;
    if (a->cost != b->cost) return a->cost < b->cost ? -1 : 1;
    return a->face < b->face ? -1 : a->face > b->face;
}

static int fib_entry(void *arg, const dmsc_name_t *prefix, const dmsc_nexthop_t *nh, size_t n)
{
    named_list_t *l = arg;
    dmsc_nexthop_t *s = n ? malloc(n * sizeof *s) : NULL;
    if (n && !s) {
        l->err = true;
        return 1;
    }
    if (n) memcpy(s, nh, n * sizeof *s);
    if (n > 1) qsort(s, n, sizeof *s, cmp_nexthop);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_pack("{s:I, s:I}", "face", (json_int_t)s[i].face, "cost",
                                             (json_int_t)s[i].cost));
    free(s);
    named_add(l, prefix, "prefix", json_pack("{s:o}", "nexthops", arr));
    return l->err;
}

static int view_fib(void *arg, const dmsc_admin_req_t *req, json_t **body)
{
    dmsc_admin_t *a = arg;
    named_list_t l = {0};
    if (a->fw) dmsc_fw_fib_foreach(a->fw, fib_entry, &l);
    json_t *arr = named_finish(&l);
    if (!arr) return 500;
    *body = json_pack("{s:o}", "fib", arr);
    return 200;
}

static int strategy_entry(void *arg, const dmsc_name_t *prefix, const dmsc_name_t *strategy)
{
    named_list_t *l = arg;
    char uri[URI_BUF];
    if (dmsc_name_to_uri(strategy, DMSC_URI_ALT, uri, sizeof uri) < 0) {
        l->err = true;
        return 1;
    }
    named_add(l, prefix, "prefix", json_pack("{s:s}", "strategy", uri));
    return l->err;
}

static int view_strategy(void *arg, const dmsc_admin_req_t *req, json_t **body)
{
    dmsc_admin_t *a = arg;
    named_list_t l = {0};
    if (a->fw) dmsc_fw_strategy_foreach(a->fw, strategy_entry, &l);
    json_t *arr = named_finish(&l);
    if (!arr) return 500;
    *body = json_pack("{s:o}", "strategies", arr);
    return 200;
}

static int view_pit(void *arg, const dmsc_admin_req_t *req, json_t **body)
{
    dmsc_admin_t *a = arg;
    faces_t f;
    if (faces_collect(a, &f)) return 500;
    const dmsc_fw_counters_t *g = fw_counters(a);
    json_t *per = json_array();
    for (size_t i = 0; i < f.n; i++)
        json_array_append_new(per, json_pack("{s:I, s:I}", "face", (json_int_t)f.v[i].id, "entries",
                                             (json_int_t)f.v[i].counters->pit_entries));
    free(f.v);
    *body = json_pack("{s:I, s:o, s:o, s:I, s:I, s:{s:I, s:I}, s:o}", "entries",
                      (json_int_t)g->pit_size, "capacity", cap_json(a, a->fwcfg.pit_max),
                      "capacity_per_face", cap_json(a, a->fwcfg.pit_max_per_face),
                      "satisfied_interests", (json_int_t)g->satisfied_interests,
                      "unsatisfied_interests", (json_int_t)g->unsatisfied_interests, "drops",
                      drop_names[DMSC_DROP_PIT_FULL], (json_int_t)g->drops[DMSC_DROP_PIT_FULL],
                      drop_names[DMSC_DROP_PIT_FACE_FULL],
                      (json_int_t)g->drops[DMSC_DROP_PIT_FACE_FULL], "faces", per);
    return *body ? 200 : 500;
}

static int view_cs(void *arg, const dmsc_admin_req_t *req, json_t **body)
{
    dmsc_admin_t *a = arg;
    const dmsc_fw_counters_t *g = fw_counters(a);
    uint64_t lookups = g->cs_hits + g->cs_misses;
    *body = json_pack(
        "{s:I, s:I, s:o, s:o, s:I, s:I, s:o, s:I, s:I}", "entries", (json_int_t)g->cs_entries,
        "bytes", (json_int_t)g->cs_bytes, "capacity_entries", cap_json(a, a->fwcfg.cs_max_entries),
        "capacity_bytes", cap_json(a, a->fwcfg.cs_max_bytes), "hits", (json_int_t)g->cs_hits,
        "misses", (json_int_t)g->cs_misses, "hit_ratio",
        lookups ? json_real((double)g->cs_hits / (double)lookups) : json_null(), "inserts",
        (json_int_t)g->cs_inserts, "evictions", (json_int_t)g->cs_evictions);
    return *body ? 200 : 500;
}

static int view_index(void *arg, const dmsc_admin_req_t *req, json_t **body);

/* ---- built-in metrics ---- */

static void gauge1(dmsc_metrics_t *m, const char *name, const char *help, uint64_t v)
{
    if (dmsc_metrics_family(m, name, "gauge", help) == 0) dmsc_metrics_u64(m, NULL, 0, v);
}

static void counter1(dmsc_metrics_t *m, const char *name, const char *help, uint64_t v)
{
    if (dmsc_metrics_family(m, name, "counter", help) == 0) dmsc_metrics_u64(m, NULL, 0, v);
}

static const char *const dir_names[2] = {"in", "out"};
static const char *const type_names[3] = {"interest", "data", "nack"};

static void builtin_metrics(dmsc_admin_t *a, dmsc_metrics_t *m, const faces_t *f,
                            const uint64_t tot[NPKT])
{
    const dmsc_fw_counters_t *g = fw_counters(a);
    char id[16];

    if (dmsc_metrics_family(m, "dmsc_build_info", "gauge",
                            "Node name and software version; always 1.") == 0) {
        dmsc_metric_label_t l[] = {{"node", a->node_name}, {"version", dmsc_version()}};
        dmsc_metrics_u64(m, l, 2, 1);
    }
    if (dmsc_metrics_family(m, "dmsc_uptime_seconds", "gauge",
                            "Seconds since the admin API started.") == 0)
        dmsc_metrics_f64(m, NULL, 0, (double)uptime_ms(a) / 1000.0);
    gauge1(m, "dmsc_faces", "Faces in the face table.", f->n);

    if (dmsc_metrics_family(m, "dmsc_face_info", "gauge", "Face attributes as labels; always 1.") ==
        0) {
        for (size_t i = 0; i < f->n; i++) {
            const dmsc_face_info_t *fi = &f->v[i];
            snprintf(id, sizeof id, "%" PRIu32, fi->id);
            dmsc_metric_label_t l[] = {{"face", id},
                                       {"remote_uri", fi->remote_uri},
                                       {"local_uri", fi->local_uri},
                                       {"scope", scope_name(fi->scope)},
                                       {"persistency", persistency_name(fi->persistency)},
                                       {"link_type", link_type_name(fi->link_type)}};
            dmsc_metrics_u64(m, l, 6, 1);
        }
    }
    if (dmsc_metrics_family(m, "dmsc_face_packets_total", "counter",
                            "Network-layer packets received (in) and sent (out) on a face, by "
                            "packet type.") == 0) {
        for (size_t i = 0; i < f->n; i++) {
            uint64_t v[NPKT];
            pkt_counts(f->v[i].counters, v);
            snprintf(id, sizeof id, "%" PRIu32, f->v[i].id);
            for (int k = 0; k < 6; k++) {
                dmsc_metric_label_t l[] = {
                    {"face", id}, {"direction", dir_names[k / 3]}, {"type", type_names[k % 3]}};
                dmsc_metrics_u64(m, l, 3, v[k]);
            }
        }
    }
    if (dmsc_metrics_family(m, "dmsc_face_bytes_total", "counter",
                            "Bytes received (in) and sent (out) on a face.") == 0) {
        for (size_t i = 0; i < f->n; i++) {
            snprintf(id, sizeof id, "%" PRIu32, f->v[i].id);
            dmsc_metric_label_t l[] = {{"face", id}, {"direction", "in"}};
            dmsc_metrics_u64(m, l, 2, f->v[i].counters->in_bytes);
            l[1].value = "out";
            dmsc_metrics_u64(m, l, 2, f->v[i].counters->out_bytes);
        }
    }
    if (dmsc_metrics_family(m, "dmsc_face_drops_total", "counter",
                            "Packets from or to a face that were dropped, by reason.") == 0) {
        for (size_t i = 0; i < f->n; i++) {
            snprintf(id, sizeof id, "%" PRIu32, f->v[i].id);
            for (int r = 0; r < DMSC_DROP__COUNT; r++) {
                dmsc_metric_label_t l[] = {{"face", id}, {"reason", drop_names[r]}};
                dmsc_metrics_u64(m, l, 2, f->v[i].counters->drops[r]);
            }
        }
    }
    if (dmsc_metrics_family(m, "dmsc_face_pit_entries", "gauge",
                            "PIT in-records currently held for a downstream face.") == 0) {
        for (size_t i = 0; i < f->n; i++) {
            snprintf(id, sizeof id, "%" PRIu32, f->v[i].id);
            dmsc_metric_label_t l[] = {{"face", id}};
            dmsc_metrics_u64(m, l, 1, f->v[i].counters->pit_entries);
        }
    }
    if (dmsc_metrics_family(m, "dmsc_packets_total", "counter",
                            "Network-layer packets received and sent on all faces, by packet "
                            "type (faces since closed included).") == 0) {
        for (int k = 0; k < 6; k++) {
            dmsc_metric_label_t l[] = {{"direction", dir_names[k / 3]},
                                       {"type", type_names[k % 3]}};
            dmsc_metrics_u64(m, l, 2, tot[k]);
        }
    }
    if (dmsc_metrics_family(m, "dmsc_bytes_total", "counter",
                            "Bytes received and sent on all faces (faces since closed "
                            "included).") == 0) {
        dmsc_metric_label_t l[] = {{"direction", "in"}};
        dmsc_metrics_u64(m, l, 1, tot[6]);
        l[0].value = "out";
        dmsc_metrics_u64(m, l, 1, tot[7]);
    }
    if (dmsc_metrics_family(m, "dmsc_drops_total", "counter",
                            "Packets dropped by the node, by reason.") == 0) {
        for (int r = 0; r < DMSC_DROP__COUNT; r++) {
            dmsc_metric_label_t l[] = {{"reason", drop_names[r]}};
            dmsc_metrics_u64(m, l, 1, g->drops[r]);
        }
    }
    gauge1(m, "dmsc_pit_entries", "Pending Interest Table entries.", g->pit_size);
    if (a->have_fwcfg)
        gauge1(m, "dmsc_pit_capacity", "Configured maximum of PIT entries.", a->fwcfg.pit_max);
    counter1(m, "dmsc_pit_satisfied_total", "PIT entries satisfied by Data.",
             g->satisfied_interests);
    counter1(m, "dmsc_pit_unsatisfied_total", "PIT entries that expired or were Nacked.",
             g->unsatisfied_interests);
    gauge1(m, "dmsc_cs_entries", "Content Store entries.", g->cs_entries);
    gauge1(m, "dmsc_cs_bytes", "Bytes of Data held in the Content Store.", g->cs_bytes);
    if (a->have_fwcfg) {
        gauge1(m, "dmsc_cs_capacity_entries", "Configured maximum of Content Store entries.",
               a->fwcfg.cs_max_entries);
        gauge1(m, "dmsc_cs_capacity_bytes", "Configured maximum of Content Store bytes.",
               a->fwcfg.cs_max_bytes);
    }
    counter1(m, "dmsc_cs_hits_total", "Interests answered from the Content Store.", g->cs_hits);
    counter1(m, "dmsc_cs_misses_total", "Content Store lookups that found nothing.", g->cs_misses);
    counter1(m, "dmsc_cs_inserts_total", "Data admitted to the Content Store.", g->cs_inserts);
    counter1(m, "dmsc_cs_evictions_total", "Content Store entries evicted.", g->cs_evictions);
    gauge1(m, "dmsc_fib_entries", "FIB entries (name prefixes with nexthops).", g->fib_size);
    if (a->have_fwcfg)
        gauge1(m, "dmsc_fib_capacity", "Configured maximum of FIB entries.", a->fwcfg.fib_max);
    gauge1(m, "dmsc_dnl_entries", "Dead Nonce List entries.", g->dnl_size);
    gauge1(m, "dmsc_admin_connections", "Open admin API connections.", a->nconns);
    counter1(m, "dmsc_admin_requests_total", "Admin API requests answered.", a->requests_total);
    counter1(m, "dmsc_admin_connections_rejected_total",
             "Admin API connections refused at the connection limit.", a->rejected_total);
}

static int view_metrics(dmsc_admin_t *a, abuf_t *body, const char **ctype)
{
    faces_t f;
    if (faces_collect(a, &f)) return 500;
    uint64_t tot[NPKT];
    totals_update(a, &f, tot);
    dmsc_metrics_t m;
    metrics_init(&m, body);
    builtin_metrics(a, &m, &f, tot);
    free(f.v);
    for (size_t i = 0; i < a->nmw; i++) {
        a->mw[i].fn(a->mw[i].arg, &m);
        m.family = NULL; /* a writer cannot add samples to another's family */
    }
    metrics_fini(&m);
    *ctype = "text/plain; version=0.0.4; charset=utf-8";
    return 200;
}

/* ------------------------------------------------------------------ */
/* 5. routing and responses                                            */

static bool method_ok(const char *m)
{
    size_t n = m ? strlen(m) : 0;
    if (n == 0 || n > METHOD_MAX) return false;
    for (size_t i = 0; i < n; i++)
        if (!is_tchar((unsigned char)m[i])) return false;
    return true;
}

static bool path_ok(const char *p)
{
    if (!p || p[0] != '/') return false;
    for (size_t i = 0; p[i]; i++)
        if ((unsigned char)p[i] <= 0x20 || (unsigned char)p[i] >= 0x7f || p[i] == '?') return false;
    return true;
}

static int add_route(dmsc_admin_t *a, const char *method, const char *path, dmsc_admin_json_fn fn,
                     int (*raw)(dmsc_admin_t *, abuf_t *, const char **), void *arg)
{
    if (!method_ok(method) || !path_ok(path) || (!fn && !raw)) return DMSC_EINVAL;
    for (size_t i = 0; i < a->nroutes; i++)
        if (strcmp(a->routes[i].method, method) == 0 && strcmp(a->routes[i].path, path) == 0)
            return DMSC_EINVAL;
    if (a->nroutes == a->caproutes) {
        size_t cap = a->caproutes ? 2 * a->caproutes : 16;
        route_t *v = realloc(a->routes, cap * sizeof *v);
        if (!v) return DMSC_ENOMEM;
        a->routes = v;
        a->caproutes = cap;
    }
    route_t *r = &a->routes[a->nroutes];
    memset(r, 0, sizeof *r);
    r->path = strdup(path);
    if (!r->path) return DMSC_ENOMEM;
    size_t n = strlen(path);
    r->subtree = n >= 2 && path[n - 2] == '/' && path[n - 1] == '*';
    r->plen = r->subtree ? n - 1 : n;
    snprintf(r->method, sizeof r->method, "%s", method);
    r->fn = fn;
    r->raw = raw;
    r->arg = arg;
    a->nroutes++;
    return 0;
}

int dmsc_admin_add_route(dmsc_admin_t *a, const char *method, const char *path,
                         dmsc_admin_json_fn fn, void *arg)
{
    if (!a || !fn) return DMSC_EINVAL;
    return add_route(a, method, path, fn, NULL, arg);
}

int dmsc_admin_remove_route(dmsc_admin_t *a, const char *method, const char *path)
{
    if (!a || !method || !path) return DMSC_EINVAL;
    for (size_t i = 0; i < a->nroutes; i++) {
        if (strcmp(a->routes[i].method, method) == 0 && strcmp(a->routes[i].path, path) == 0) {
            free(a->routes[i].path);
            memmove(&a->routes[i], &a->routes[i + 1], (a->nroutes - i - 1) * sizeof *a->routes);
            a->nroutes--;
            return 0;
        }
    }
    return DMSC_EINVAL;
}

int dmsc_admin_add_metrics(dmsc_admin_t *a, dmsc_admin_metrics_fn fn, void *arg)
{
    if (!a || !fn) return DMSC_EINVAL;
    for (size_t i = 0; i < a->nmw; i++)
        if (a->mw[i].fn == fn && a->mw[i].arg == arg) return DMSC_EINVAL;
    if (a->nmw == a->capmw) {
        size_t cap = a->capmw ? 2 * a->capmw : 8;
        mwriter_t *v = realloc(a->mw, cap * sizeof *v);
        if (!v) return DMSC_ENOMEM;
        a->mw = v;
        a->capmw = cap;
    }
    a->mw[a->nmw].fn = fn;
    a->mw[a->nmw].arg = arg;
    a->nmw++;
    return 0;
}

int dmsc_admin_remove_metrics(dmsc_admin_t *a, dmsc_admin_metrics_fn fn, void *arg)
{
    if (!a) return DMSC_EINVAL;
    for (size_t i = 0; i < a->nmw; i++) {
        if (a->mw[i].fn == fn && a->mw[i].arg == arg) {
            memmove(&a->mw[i], &a->mw[i + 1], (a->nmw - i - 1) * sizeof *a->mw);
            a->nmw--;
            return 0;
        }
    }
    return DMSC_EINVAL;
}

static bool route_matches(const route_t *r, const char *path)
{
    if (r->subtree) return strncmp(path, r->path, r->plen) == 0;
    return strcmp(path, r->path) == 0;
}

/* The registered path that serves `path` best: exact, else the longest
 * matching subtree. NULL if none. */
static const char *best_path(const dmsc_admin_t *a, const char *path)
{
    const route_t *best = NULL;
    for (size_t i = 0; i < a->nroutes; i++) {
        const route_t *r = &a->routes[i];
        if (!route_matches(r, path)) continue;
        if (!r->subtree) return r->path;
        if (!best || r->plen > best->plen) best = r;
    }
    return best ? best->path : NULL;
}

static const route_t *find_route(const dmsc_admin_t *a, const char *rpath, const char *method)
{
    for (size_t i = 0; i < a->nroutes; i++)
        if (strcmp(a->routes[i].path, rpath) == 0 && strcmp(a->routes[i].method, method) == 0)
            return &a->routes[i];
    return NULL;
}

static const char *reason_phrase(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 413:
        return "Content Too Large";
    case 422:
        return "Unprocessable Content";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return status < 300 ? "OK" : status < 500 ? "Client Error" : "Server Error";
    }
}

static const char *error_text(int status)
{
    switch (status) {
    case 400:
        return "bad request";
    case 404:
        return "not found";
    case 405:
        return "method not allowed";
    case 408:
        return "request timeout";
    case 413:
        return "request body too large";
    case 431:
        return "request header too large";
    case 501:
        return "not implemented";
    case 503:
        return "too many connections";
    case 505:
        return "HTTP version not supported";
    default:
        return status >= 500 ? "internal error" : "error";
    }
}

static void error_body(abuf_t *b, int status)
{
    abuf_printf(b, "{\"error\":\"%s\",\"status\":%d}\n", error_text(status), status);
}

/* Assemble status line, headers and body into out. */
static int finish(dmsc_admin_out_t *out, int status, const char *ctype, const abuf_t *body,
                  bool head_only, bool close, bool http10_keep, const char *allow)
{
    abuf_t r;
    abuf_init(&r, SIZE_MAX);
    abuf_printf(&r, "HTTP/1.1 %d %s\r\n", status, reason_phrase(status));
    abuf_printf(&r, "Content-Type: %s\r\n", ctype);
    abuf_printf(&r, "Content-Length: %zu\r\n", body->len);
    abuf_puts(&r, "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n");
    if (allow) abuf_printf(&r, "Allow: %s\r\n", allow);
    if (close)
        abuf_puts(&r, "Connection: close\r\n");
    else if (http10_keep)
        abuf_puts(&r, "Connection: keep-alive\r\n");
    abuf_puts(&r, "\r\n");
    if (!head_only && body->len) abuf_add(&r, body->p, body->len);
    if (r.err) {
        abuf_free(&r);
        return DMSC_ENOMEM;
    }
    out->data = r.p;
    out->len = r.len;
    out->status = status;
    out->close = close;
    return 0;
}

static int error_response(dmsc_admin_out_t *out, int status, bool close, const char *allow,
                          bool head_only, bool http10_keep)
{
    abuf_t b;
    abuf_init(&b, SIZE_MAX);
    error_body(&b, status);
    int rc =
        b.err ? DMSC_ENOMEM
              : finish(out, status, "application/json", &b, head_only, close, http10_keep, allow);
    abuf_free(&b);
    return rc;
}

static int json_append(const char *buf, size_t size, void *data)
{
    abuf_t *b = data;
    abuf_add(b, buf, size);
    return b->err ? -1 : 0;
}

static bool query_has(const char *q, const char *key)
{
    size_t n = strlen(key);
    while (*q) {
        if (strncmp(q, key, n) == 0 && (q[n] == '\0' || q[n] == '&' || q[n] == '=')) return true;
        q = strchr(q, '&');
        if (!q) break;
        q++;
    }
    return false;
}

void dmsc_admin_out_free(dmsc_admin_out_t *out)
{
    if (!out) return;
    free(out->data);
    out->data = NULL;
    out->len = 0;
}

int dmsc_admin_process(dmsc_admin_t *a, const uint8_t *in, size_t len, dmsc_admin_out_t *out)
{
    if (len > INT32_MAX) len = INT32_MAX;
    dmsc_admin_http_req_t hr;
    int n = dmsc_admin_http_parse(in, len, &a->lim, &hr);
    if (n == 0) return 0;
    if (n < 0) {
        a->requests_total++;
        if (error_response(out, hr.status, true, NULL, false, false)) return DMSC_ENOMEM;
        return (int)len;
    }
    a->requests_total++;

    char method[METHOD_MAX + 1];
    memcpy(method, hr.method, hr.method_len);
    method[hr.method_len] = '\0';
    char *path = malloc(hr.target_len + 1);
    if (!path) return DMSC_ENOMEM;
    memcpy(path, hr.target, hr.target_len);
    path[hr.target_len] = '\0';
    char *query = strchr(path, '?');
    if (query)
        *query++ = '\0';
    else
        query = path + hr.target_len;

    bool head = strcmp(method, "HEAD") == 0;
    bool close = !hr.keep_alive;
    bool keep10 = hr.keep_alive && hr.minor == 0;
    int rc;
    const char *rpath = best_path(a, path);
    const route_t *r = rpath ? find_route(a, rpath, method) : NULL;
    if (!r && rpath && head) r = find_route(a, rpath, "GET");

    if (!rpath) {
        rc = error_response(out, 404, close, NULL, head, keep10);
    } else if (!r) {
        /* 405 with the methods this path has */
        abuf_t allow;
        abuf_init(&allow, 1024);
        bool get = false;
        for (size_t i = 0; i < a->nroutes; i++) {
            if (strcmp(a->routes[i].path, rpath) != 0) continue;
            abuf_printf(&allow, "%s%s", allow.len ? ", " : "", a->routes[i].method);
            get |= strcmp(a->routes[i].method, "GET") == 0;
        }
        if (get) abuf_puts(&allow, ", HEAD");
        rc = error_response(out, 405, close, allow.p ? allow.p : "", head, keep10);
        abuf_free(&allow);
    } else {
        abuf_t body;
        abuf_init(&body, a->lim.max_response_bytes);
        const char *ctype = "application/json";
        int status;
        if (r->raw) {
            status = r->raw(a, &body, &ctype);
        } else {
            dmsc_admin_req_t req = {method, path, query, in + hr.head_len, hr.content_length};
            json_t *j = NULL;
            status = r->fn(r->arg, &req, &j);
            if (status < 100 || status > 599) status = 500;
            if (j) {
                size_t flags = JSON_COMPACT;
                if (query_has(query, "pretty")) flags = JSON_INDENT(2);
                if (json_dump_callback(j, json_append, &body, flags) == 0) abuf_add(&body, "\n", 1);
                json_decref(j);
            } else if (status >= 400) {
                error_body(&body, status);
            } else if (status != 204) {
                abuf_puts(&body, "{}\n");
            }
        }
        if (body.err || status >= 500) {
            if (body.err) status = 500;
            if (body.err || body.len == 0) {
                abuf_free(&body);
                abuf_init(&body, SIZE_MAX);
                ctype = "application/json";
                error_body(&body, status);
            }
        }
        rc = finish(out, status, ctype, &body, head, close, keep10, NULL);
        abuf_free(&body);
    }
    free(path);
    return rc ? rc : n;
}

/* GET /: what this node serves, built-ins and extensions alike */
static int view_index(void *arg, const dmsc_admin_req_t *req, json_t **body)
{
    dmsc_admin_t *a = arg;
    json_t *arr = json_array();
    for (size_t i = 0; i < a->nroutes; i++)
        json_array_append_new(
            arr, json_pack("{s:s, s:s}", "method", a->routes[i].method, "path", a->routes[i].path));
    *body = json_pack("{s:s, s:s, s:o}", "node", a->node_name, "version", dmsc_version(),
                      "endpoints", arr);
    return *body ? 200 : 500;
}

/* ------------------------------------------------------------------ */
/* lifecycle (no I/O)                                                  */

static void ft_foreach(void *ctx, dmsc_admin_face_cb cb, void *arg)
{
    dmsc_facetable_foreach(ctx, cb, arg);
}

dmsc_admin_t *dmsc_admin_new(dmsc_fw_t *fw, dmsc_facetable_t *ft, const char *node_name)
{
    dmsc_admin_t *a = calloc(1, sizeof *a);
    if (!a) goto fail_alloc;
    a->node_name = strdup(node_name ? node_name : "");
    if (!a->node_name) goto fail_name;
    a->fw = fw;
    a->ft = ft;
    if (ft) {
        a->face_foreach = ft_foreach;
        a->face_ctx = ft;
    }
    dmsc_admin_limits_default(&a->lim);
    a->now_ns = default_clock;
    a->start_ns = a->now_ns(NULL);
    static const struct {
        const char *path;
        dmsc_admin_json_fn fn;
    } views[] = {
        {"/", view_index},
        {"/status", view_status},
        {"/faces", view_faces},
        {"/fib", view_fib},
        {"/pit", view_pit},
        {"/cs", view_cs},
        {"/strategy", view_strategy},
    };
    for (size_t i = 0; i < sizeof views / sizeof views[0]; i++)
        if (add_route(a, "GET", views[i].path, views[i].fn, NULL, a)) goto fail_routes;
    if (add_route(a, "GET", "/metrics", NULL, view_metrics, a)) goto fail_routes;
    return a;

fail_routes:
    for (size_t i = 0; i < a->nroutes; i++)
        free(a->routes[i].path);
    free(a->routes);
    free(a->node_name);
fail_name:
    free(a);
fail_alloc:
    return NULL;
}

static void admin_release(dmsc_admin_t *a)
{
    for (size_t i = 0; i < a->nroutes; i++)
        free(a->routes[i].path);
    free(a->routes);
    free(a->mw);
    free(a->snap);
    free(a->node_name);
    free(a);
}

void dmsc_admin_free(dmsc_admin_t *a)
{
    if (!a || a->listening) return; /* a listening admin must be stopped */
    admin_release(a);
}

int dmsc_admin_port(const dmsc_admin_t *a)
{
    return a && a->listening ? a->port : 0;
}

void dmsc_admin_set_limits(dmsc_admin_t *a, const dmsc_admin_limits_t *lim)
{
#define KEEP(f)                                                                                    \
    if (lim->f) a->lim.f = lim->f
    KEEP(max_conns);
    KEEP(max_header_bytes);
    KEEP(max_headers);
    KEEP(max_body_bytes);
    KEEP(max_response_bytes);
    KEEP(idle_timeout_ms);
    KEEP(request_timeout_ms);
    KEEP(write_timeout_ms);
#undef KEEP
}

void dmsc_admin_set_fw_config(dmsc_admin_t *a, const dmsc_fw_config_t *cfg)
{
    a->have_fwcfg = cfg != NULL;
    if (cfg) a->fwcfg = *cfg;
}

int dmsc_admin_set_node_name(dmsc_admin_t *a, const char *node_name)
{
    char *dup = strdup(node_name ? node_name : "");
    if (!dup) return DMSC_ENOMEM;
    free(a->node_name);
    a->node_name = dup;
    return 0;
}

void dmsc_admin_set_clock(dmsc_admin_t *a, uint64_t (*now_ns)(void *ctx), void *ctx)
{
    a->now_ns = now_ns ? now_ns : default_clock;
    a->clock_ctx = now_ns ? ctx : NULL;
    a->start_ns = a->now_ns(a->clock_ctx);
}

void dmsc_admin_set_face_source(dmsc_admin_t *a, dmsc_admin_face_foreach_fn foreach, void *ctx)
{
    a->face_foreach = foreach;
    a->face_ctx = ctx;
}

/* ------------------------------------------------------------------ */
/* 6. the libuv server                                                 */

enum { C_READ, C_WRITE, C_LINGER, C_CLOSED };

struct conn {
    uv_tcp_t tcp;
    dmsc_admin_t *a;
    conn_t *prev, *next;
    uint8_t *in;
    size_t in_len, in_cap;
    dmsc_admin_out_t out; /* response being written */
    uv_write_t wreq;
    uv_shutdown_t sreq;
    int state;
    bool reading;
    uint64_t deadline; /* uv_now() ms */
};

static void maybe_finish_stop(dmsc_admin_t *a)
{
    if (!a->stopping || a->pending_handles > 0 || a->nconns > 0) return;
    void (*done)(void *) = a->done;
    void *arg = a->done_arg;
    a->listening = false;
    admin_release(a);
    if (done) done(arg);
}

static void conn_closed(uv_handle_t *h)
{
    conn_t *c = h->data;
    dmsc_admin_t *a = c->a;
    if (c->prev)
        c->prev->next = c->next;
    else
        a->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    a->nconns--;
    dmsc_admin_out_free(&c->out);
    free(c->in);
    free(c);
    maybe_finish_stop(a);
}

static void conn_close(conn_t *c)
{
    if (c->state == C_CLOSED) return;
    c->state = C_CLOSED;
    uv_close((uv_handle_t *)&c->tcp, conn_closed);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    conn_t *c = h->data;
    size_t max = c->a->lim.max_header_bytes + c->a->lim.max_body_bytes;
    if (c->state == C_LINGER) c->in_len = 0; /* discard */
    if (c->in_cap - c->in_len < 1024 && c->in_cap < max) {
        size_t cap = c->in_cap ? 2 * c->in_cap : 4096;
        if (cap > max) cap = max;
        uint8_t *p = realloc(c->in, cap);
        if (p) {
            c->in = p;
            c->in_cap = cap;
        }
    }
    *buf = uv_buf_init((char *)c->in + c->in_len, (unsigned)(c->in_cap - c->in_len));
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);
static void on_write(uv_write_t *w, int status);

static void read_start(conn_t *c)
{
    if (!c->reading && c->state != C_CLOSED) {
        if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0)
            c->reading = true;
        else
            conn_close(c);
    }
}

static void read_stop(conn_t *c)
{
    if (c->reading) {
        uv_read_stop((uv_stream_t *)&c->tcp);
        c->reading = false;
    }
}

/* Write c->out; the connection reads nothing meanwhile. */
static void conn_send(conn_t *c)
{
    read_stop(c);
    c->state = C_WRITE;
    c->deadline = uv_now(c->a->loop) + c->a->lim.write_timeout_ms;
    uv_buf_t b = uv_buf_init(c->out.data, (unsigned)c->out.len);
    c->wreq.data = c;
    if (uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, on_write)) conn_close(c);
}

static void conn_send_error(conn_t *c, int status)
{
    if (error_response(&c->out, status, true, NULL, false, false)) {
        conn_close(c);
        return;
    }
    conn_send(c);
}

/* Serve the next buffered request, if complete. */
static void conn_process(conn_t *c)
{
    dmsc_admin_t *a = c->a;
    uint64_t now = uv_now(a->loop);
    if (c->in_len == 0) {
        c->deadline = now + a->lim.idle_timeout_ms;
        read_start(c);
        return;
    }
    dmsc_admin_out_t out;
    int n = dmsc_admin_process(a, c->in, c->in_len, &out);
    if (n < 0) {
        conn_close(c);
        return;
    }
    if (n == 0) {
        read_start(c);
        return;
    }
    memmove(c->in, c->in + n, c->in_len - (size_t)n);
    c->in_len -= (size_t)n;
    c->out = out;
    conn_send(c);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    conn_t *c = req->data;
    if (status < 0) conn_close(c);
}

static void on_write(uv_write_t *w, int status)
{
    conn_t *c = w->data;
    bool close = c->out.close;
    dmsc_admin_out_free(&c->out);
    if (c->state == C_CLOSED) return;
    if (status < 0) {
        conn_close(c);
        return;
    }
    if (close) {
        /* lingering close: send FIN, drain what the peer still sends, then close,
         * so that our response is not destroyed by a RST */
        c->state = C_LINGER;
        c->deadline = uv_now(c->a->loop) + LINGER_MS;
        c->sreq.data = c;
        if (uv_shutdown(&c->sreq, (uv_stream_t *)&c->tcp, on_shutdown)) {
            conn_close(c);
            return;
        }
        c->in_len = 0;
        read_start(c);
        return;
    }
    c->state = C_READ;
    if (c->in_len) c->deadline = uv_now(c->a->loop) + c->a->lim.request_timeout_ms;
    conn_process(c); /* a pipelined request, if any */
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    conn_t *c = s->data;
    if (nread == 0 || c->state == C_CLOSED) return;
    if (nread < 0) { /* EOF, reset, or a full buffer (UV_ENOBUFS) */
        conn_close(c);
        return;
    }
    if (c->state == C_LINGER) return;
    if (c->state != C_READ) return; /* not reached: reading stops while writing */
    if (c->in_len == 0) c->deadline = uv_now(c->a->loop) + c->a->lim.request_timeout_ms;
    c->in_len += (size_t)nread;
    conn_process(c);
}

static void on_connection(uv_stream_t *server, int status);

static void drain_closed(uv_handle_t *h)
{
    dmsc_admin_t *a = h->data;
    a->drain_busy = false;
    a->pending_handles--;
    if (a->accept_stalled && !a->stopping) {
        a->accept_stalled = false;
        on_connection((uv_stream_t *)a->listener, 0);
    }
    maybe_finish_stop(a);
}

static void on_connection(uv_stream_t *server, int status)
{
    dmsc_admin_t *a = server->data;
    if (status < 0 || a->stopping) return;
    conn_t *c = calloc(1, sizeof *c);
    if (!c) {
        /* Out of memory: accept and drop (libuv stops accepting until we do). */
        if (a->drain_busy) {
            a->accept_stalled = true;
            return;
        }
        a->drain_busy = true;
        a->pending_handles++;
        uv_tcp_init(a->loop, &a->drain);
        a->drain.data = a;
        uv_accept(server, (uv_stream_t *)&a->drain);
        uv_close((uv_handle_t *)&a->drain, drain_closed);
        return;
    }
    c->a = a;
    uv_tcp_init(a->loop, &c->tcp);
    c->tcp.data = c;
    c->wreq.data = c;
    c->next = a->conns;
    if (a->conns) a->conns->prev = c;
    a->conns = c;
    a->nconns++;
    c->state = C_READ;
    if (uv_accept(server, (uv_stream_t *)&c->tcp)) {
        conn_close(c);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    if (a->nconns > a->lim.max_conns) {
        a->rejected_total++;
        if (a->nconns > a->lim.max_conns + REJECT_SLACK)
            conn_close(c);
        else
            conn_send_error(c, 503);
        return;
    }
    c->deadline = uv_now(a->loop) + a->lim.idle_timeout_ms;
    read_start(c);
}

static void on_sweep(uv_timer_t *t)
{
    dmsc_admin_t *a = t->data;
    uint64_t now = uv_now(a->loop);
    for (conn_t *c = a->conns, *next; c; c = next) {
        next = c->next;
        if (c->state == C_CLOSED || now < c->deadline) continue;
        if (c->state == C_READ && c->in_len > 0) {
            read_stop(c);
            c->in_len = 0;
            conn_send_error(c, 408);
        } else {
            conn_close(c);
        }
    }
}

static void handle_closed(uv_handle_t *h)
{
    dmsc_admin_t *a = h->data;
    if ((uv_handle_t *)a->listener == h) {
        free(a->listener);
        a->listener = NULL;
    }
    a->pending_handles--;
    maybe_finish_stop(a);
}

static void failed_listener_closed(uv_handle_t *h)
{
    free(h);
}

int dmsc_admin_listen(dmsc_admin_t *a, uv_loop_t *loop, const char *addr, int port)
{
    if (!a || !loop || a->listening || a->stopping || port < 0 || port > 65535) return DMSC_EINVAL;
    if (!addr) addr = DMSC_ADMIN_DEFAULT_ADDR;
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    if (strchr(addr, ':')) {
        if (uv_ip6_addr(addr, port, (struct sockaddr_in6 *)&ss)) return DMSC_EINVAL;
    } else if (uv_ip4_addr(addr, port, (struct sockaddr_in *)&ss)) {
        return DMSC_EINVAL;
    }
    uv_tcp_t *l = malloc(sizeof *l);
    if (!l) return DMSC_ENOMEM;
    int rc = uv_tcp_init(loop, l);
    if (rc) {
        free(l);
        return rc == UV_ENOMEM ? DMSC_ENOMEM : DMSC_EINVAL;
    }
    rc = uv_tcp_bind(l, (const struct sockaddr *)&ss, 0);
    if (!rc) rc = uv_listen((uv_stream_t *)l, 128, on_connection);
    struct sockaddr_storage bound;
    int blen = sizeof bound;
    if (!rc) rc = uv_tcp_getsockname(l, (struct sockaddr *)&bound, &blen);
    if (rc) {
        uv_close((uv_handle_t *)l, failed_listener_closed);
        if (rc == UV_ENOMEM) return DMSC_ENOMEM;
        errno = -rc; /* libuv codes are negated errno values on Unix */
        return DMSC_EIO;
    }
    a->port = bound.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&bound)->sin6_port)
                                          : ntohs(((struct sockaddr_in *)&bound)->sin_port);
    l->data = a;
    a->listener = l;
    a->loop = loop;
    uv_timer_init(loop, &a->sweep);
    a->sweep.data = a;
    uint64_t period = SWEEP_MAX_MS;
    const uint64_t t[] = {a->lim.idle_timeout_ms, a->lim.request_timeout_ms,
                          a->lim.write_timeout_ms};
    for (size_t i = 0; i < 3; i++)
        if (t[i] / 2 < period) period = t[i] / 2 ? t[i] / 2 : 1;
    uv_timer_start(&a->sweep, on_sweep, period, period);
    a->pending_handles += 2;
    a->listening = true;
    return 0;
}

dmsc_admin_t *dmsc_admin_start(uv_loop_t *loop, const char *addr, int port, dmsc_fw_t *fw,
                               dmsc_facetable_t *ft, const char *node_name, int *err)
{
    int rc = DMSC_ENOMEM;
    dmsc_admin_t *a = dmsc_admin_new(fw, ft, node_name);
    if (!a) goto fail;
    rc = dmsc_admin_listen(a, loop, addr, port);
    if (rc) goto fail_listen;
    if (err) *err = 0;
    return a;

fail_listen:
    dmsc_admin_free(a);
fail:
    if (err) *err = rc;
    return NULL;
}

void dmsc_admin_stop(dmsc_admin_t *a, void (*done)(void *arg), void *arg)
{
    if (!a) return;
    if (!a->listening) {
        admin_release(a);
        if (done) done(arg);
        return;
    }
    if (a->stopping) return;
    a->stopping = true;
    a->done = done;
    a->done_arg = arg;
    a->nmw = 0;
    uv_close((uv_handle_t *)a->listener, handle_closed);
    uv_close((uv_handle_t *)&a->sweep, handle_closed);
    for (conn_t *c = a->conns; c; c = c->next)
        conn_close(c);
}
