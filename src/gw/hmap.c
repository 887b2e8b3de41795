/*
 * HTTP <-> NDN mapping: see hmap.h and docs/http-mapping.md (normative).
 */
#include "gw/hmap.h"

#include <string.h>

#include "base/err.h"

/* ------------------------------------------------------------------------
 * characters and tokens
 * ------------------------------------------------------------------------ */

static inline char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

static bool is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool is_token(const char *s, size_t n)
{
    if (n == 0) return false;
    for (size_t i = 0; i < n; i++)
        if (!is_tchar((unsigned char)s[i])) return false;
    return true;
}

static bool is_lower_token(const char *s, size_t n)
{
    if (!is_token(s, n)) return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] >= 'A' && s[i] <= 'Z') return false;
    return true;
}

/* field-value octets: HTAB, SP, VCHAR, obs-text (no CR, LF, NUL, CTL, DEL) */
static bool is_field_value(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
    }
    return true;
}

/* case-insensitive: counted string == C literal */
static bool ieq(const char *s, size_t n, const char *lit)
{
    size_t m = strlen(lit);
    if (n != m) return false;
    for (size_t i = 0; i < n; i++)
        if (lower(s[i]) != lower(lit[i])) return false;
    return true;
}

static bool iprefix(const char *s, size_t n, const char *lit)
{
    size_t m = strlen(lit);
    if (n < m) return false;
    for (size_t i = 0; i < m; i++)
        if (lower(s[i]) != lower(lit[i])) return false;
    return true;
}

static bool eq(const char *s, size_t n, const char *lit)
{
    return n == strlen(lit) && memcmp(s, lit, n) == 0;
}

static const char *trim(const char *s, size_t *n)
{
    while (*n && (s[0] == ' ' || s[0] == '\t')) {
        s++;
        (*n)--;
    }
    while (*n && (s[*n - 1] == ' ' || s[*n - 1] == '\t'))
        (*n)--;
    return s;
}

/* Iterate the comma-separated elements of a list field value (no quoting:
 * used for Connection, TE, Vary). Returns false at the end. */
static bool list_next(const char **pp, const char *end, const char **el, size_t *len)
{
    const char *p = *pp;
    while (p < end) {
        const char *c = memchr(p, ',', (size_t)(end - p));
        const char *stop = c ? c : end;
        size_t n = (size_t)(stop - p);
        const char *s = trim(p, &n);
        p = c ? c + 1 : end;
        if (n) {
            *el = s;
            *len = n;
            *pp = p;
            return true;
        }
    }
    *pp = end;
    return false;
}

/* ------------------------------------------------------------------------
 * errors
 * ------------------------------------------------------------------------ */

static const struct {
    const char *name;
    int status;
} errtab[DMSC_HMAP_ERR_MAX + 1] = {
    [0] = {"internal", 500},
    [DMSC_HMAP_ERR_NO_ROUTE] = {"no-route", 503},
    [DMSC_HMAP_ERR_NO_HEALTHY_INSTANCE] = {"no-healthy-instance", 503},
    [DMSC_HMAP_ERR_TIMEOUT] = {"timeout", 504},
    [DMSC_HMAP_ERR_UPSTREAM_CONNECT] = {"upstream-connect", 502},
    [DMSC_HMAP_ERR_UPSTREAM_RESET] = {"upstream-reset", 502},
    [DMSC_HMAP_ERR_BODY_TOO_LARGE] = {"body-too-large", 413},
    [DMSC_HMAP_ERR_MALFORMED_REQUEST] = {"malformed-request", 400},
    [DMSC_HMAP_ERR_URI_TOO_LONG] = {"uri-too-long", 414},
    [DMSC_HMAP_ERR_HEADERS_TOO_LARGE] = {"headers-too-large", 431},
    [DMSC_HMAP_ERR_BAD_HOST] = {"bad-host", 400},
    [DMSC_HMAP_ERR_CIRCUIT_OPEN] = {"circuit-open", 503},
    [DMSC_HMAP_ERR_RATE_LIMITED] = {"rate-limited", 429},
    [DMSC_HMAP_ERR_FORBIDDEN] = {"forbidden", 403},
    [DMSC_HMAP_ERR_BAD_RESPONSE] = {"bad-response", 502},
    [DMSC_HMAP_ERR_INTERNAL] = {"internal", 500},
};

const char *dmsc_hmap_error_name(int code)
{
    if (code < 1 || code > DMSC_HMAP_ERR_MAX) return errtab[0].name;
    return errtab[code].name;
}

int dmsc_hmap_error_status(int code)
{
    if (code < 1 || code > DMSC_HMAP_ERR_MAX) return errtab[0].status;
    return errtab[code].status;
}

int dmsc_hmap_error_from_name(const char *s, size_t n)
{
    for (int i = 1; i <= DMSC_HMAP_ERR_MAX; i++)
        if (ieq(s, n, errtab[i].name)) return i;
    return 0;
}

int dmsc_hmap_error_from_rc(int rc)
{
    switch (rc) {
    case DMSC_ENAMELEN:
    case DMSC_ENAMECOMPS:
        return DMSC_HMAP_ERR_URI_TOO_LONG;
    case DMSC_ETOOBIG:
        return DMSC_HMAP_ERR_HEADERS_TOO_LARGE;
    default:
        return DMSC_HMAP_ERR_MALFORMED_REQUEST;
    }
}

/* ------------------------------------------------------------------------
 * Host -> prefix
 * ------------------------------------------------------------------------ */

int dmsc_hmap_host_to_prefix(const char *host, size_t len, dmsc_namebuf_t *out)
{
    if (!host || len == 0 || host[0] == '[') return DMSC_EINVAL;
    const char *colon = memchr(host, ':', len);
    size_t hl = len;
    if (colon) {
        hl = (size_t)(colon - host);
        const char *port = colon + 1;
        size_t pl = len - hl - 1;
        if (pl > 5) return DMSC_EINVAL;
        unsigned v = 0;
        for (size_t i = 0; i < pl; i++) {
            if (port[i] < '0' || port[i] > '9') return DMSC_EINVAL;
            v = v * 10 + (unsigned)(port[i] - '0');
        }
        if (v > 65535) return DMSC_EINVAL;
    }
    if (hl && host[hl - 1] == '.') hl--;
    if (hl == 0) return DMSC_EINVAL;
    /* label boundaries, validated */
    size_t start[DMSC_HMAP_HOST_MAX_LABELS], end[DMSC_HMAP_HOST_MAX_LABELS];
    size_t nl = 0, s = 0;
    bool all_digits = true;
    for (size_t i = 0; i <= hl; i++) {
        if (i == hl || host[i] == '.') {
            if (i == s || i - s > 63) return DMSC_EINVAL; /* empty or too long (DNS) */
            if (nl == DMSC_HMAP_HOST_MAX_LABELS) return DMSC_EINVAL;
            start[nl] = s;
            end[nl] = i;
            nl++;
            s = i + 1;
            continue;
        }
        char c = lower(host[i]);
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return DMSC_EINVAL;
        if (!(c >= '0' && c <= '9')) all_digits = false;
    }
    if (all_digits) return DMSC_EINVAL; /* an IPv4 literal, not a service */
    dmsc_namebuf_init(out);
    for (size_t k = nl; k-- > 0;) {
        char lab[63];
        size_t n = end[k] - start[k];
        for (size_t i = 0; i < n; i++)
            lab[i] = lower(host[start[k] + i]);
        int rc = dmsc_namebuf_append(out, DMSC_TT_GENERIC, lab, n);
        if (rc) return rc;
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * field classes
 * ------------------------------------------------------------------------ */

bool dmsc_hmap_method_is_stable(const char *method, size_t len)
{
    return method && (eq(method, len, "GET") || eq(method, len, "HEAD"));
}

bool dmsc_hmap_is_key_field(const char *name, size_t len)
{
    static const char *const keys[] = {
        "accept",          "accept-charset", "accept-encoding",
        "accept-language", "authorization",  "content-type",
        "cookie",          "if-match",       "if-modified-since",
        "if-none-match",   "if-range",       "if-unmodified-since",
        "origin",          "range",
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (ieq(name, len, keys[i])) return true;
    if (!iprefix(name, len, "x-")) return false;
    static const char *const unique_x[] = {
        "x-real-ip", "x-request-id", "x-correlation-id", "x-amzn-trace-id", "x-cloud-trace-context",
    };
    for (size_t i = 0; i < sizeof unique_x / sizeof unique_x[0]; i++)
        if (ieq(name, len, unique_x[i])) return false;
    if (iprefix(name, len, "x-forwarded-") || iprefix(name, len, "x-b3-")) return false;
    return true;
}

bool dmsc_hmap_is_hop_field(const char *name, size_t len)
{
    static const char *const hop[] = {
        "connection",        "keep-alive", "proxy-connection",    "te",
        "transfer-encoding", "upgrade",    "proxy-authorization", "proxy-authenticate",
        "trailer",           "host",       "content-length",      "expect",
        "http2-settings",
    };
    if (len == 0 || name[0] == ':') return true;
    if (iprefix(name, len, "dmsc-")) return true;
    for (size_t i = 0; i < sizeof hop / sizeof hop[0]; i++)
        if (ieq(name, len, hop[i])) return true;
    return false;
}

/* ------------------------------------------------------------------------
 * field sets
 * ------------------------------------------------------------------------ */

static void fs_reset(dmsc_hmap_fieldset_t *fs)
{
    fs->n = 0;
    fs->te_trailers = false;
    fs->scratch_used = 0;
}

static int fs_add(dmsc_hmap_fieldset_t *fs, const char *name, size_t nlen, const char *value,
                  size_t vlen)
{
    if (fs->n >= DMSC_HTTP_MAX_FIELDS) return DMSC_ETOOBIG;
    dmsc_http_field_t *f = &fs->f[fs->n++];
    f->name = name;
    f->name_len = nlen;
    f->value = value;
    f->value_len = vlen;
    return 0;
}

/* Scratch writer: values are built at scratch + scratch_used. */
typedef struct {
    dmsc_hmap_fieldset_t *fs;
    size_t start, len;
    bool overflow;
} sw_t;

static void sw_init(sw_t *w, dmsc_hmap_fieldset_t *fs)
{
    w->fs = fs;
    w->start = fs->scratch_used;
    w->len = 0;
    w->overflow = false;
}

static void sw_put(sw_t *w, const char *s, size_t n)
{
    if (w->overflow || n > sizeof w->fs->scratch - w->start - w->len) {
        w->overflow = true;
        return;
    }
    memcpy(w->fs->scratch + w->start + w->len, s, n);
    w->len += n;
}

static int sw_done(sw_t *w, const char **out, size_t *n)
{
    if (w->overflow) return DMSC_ETOOBIG;
    *out = w->fs->scratch + w->start;
    *n = w->len;
    w->fs->scratch_used = w->start + w->len;
    return 0;
}

static bool connection_names(const dmsc_http_field_t *in, size_t n, const char *name, size_t len)
{
    for (size_t i = 0; i < n; i++) {
        if (!ieq(in[i].name, in[i].name_len, "connection")) continue;
        const char *p = in[i].value, *end = in[i].value + in[i].value_len, *el;
        size_t el_len;
        while (list_next(&p, end, &el, &el_len))
            if (el_len == len) {
                size_t k = 0;
                while (k < len && lower(el[k]) == lower(name[k]))
                    k++;
                if (k == len) return true;
            }
    }
    return false;
}

static bool te_has_trailers(const dmsc_http_field_t *f)
{
    const char *p = f->value, *end = f->value + f->value_len, *el;
    size_t n;
    while (list_next(&p, end, &el, &n)) {
        const char *semi = memchr(el, ';', n);
        size_t m = semi ? (size_t)(semi - el) : n;
        trim(el, &m);
        if (ieq(el, m, "trailers")) return true;
    }
    return false;
}

/* Append the end-to-end fields of in[0..n) to out. */
static int filter_into(const dmsc_http_field_t *in, size_t n, unsigned flags,
                       dmsc_hmap_fieldset_t *out)
{
    if (n > DMSC_HTTP_MAX_FIELDS) return DMSC_EINVAL;
    bool has_connection = false;
    for (size_t i = 0; i < n; i++)
        if (ieq(in[i].name, in[i].name_len, "connection")) has_connection = true;
    for (size_t i = 0; i < n; i++) {
        const dmsc_http_field_t *f = &in[i];
        if (ieq(f->name, f->name_len, "te")) {
            if (te_has_trailers(f)) out->te_trailers = true;
            continue;
        }
        if ((flags & DMSC_HMAP_KEEP_CONTENT_LENGTH) &&
            ieq(f->name, f->name_len, "content-length")) {
            /* kept as metadata */
        } else if (dmsc_hmap_is_hop_field(f->name, f->name_len)) {
            continue;
        }
        if (has_connection && connection_names(in, n, f->name, f->name_len)) continue;
        int rc = fs_add(out, f->name, f->name_len, f->value, f->value_len);
        if (rc) return rc;
    }
    return 0;
}

int dmsc_hmap_filter_hop(const dmsc_http_field_t *in, size_t n, unsigned flags,
                         dmsc_hmap_fieldset_t *out)
{
    fs_reset(out);
    return filter_into(in, n, flags, out);
}

/* Merge every field called `name` into one value (in place of the first),
 * with `add` appended as the last list element; a new field if none. */
static int merge_append(dmsc_hmap_fieldset_t *fs, const char *name, const char *add, size_t add_len)
{
    sw_t w;
    sw_init(&w, fs);
    size_t first = fs->n, k = 0;
    for (size_t i = 0; i < fs->n; i++) {
        dmsc_http_field_t *f = &fs->f[i];
        if (!ieq(f->name, f->name_len, name)) {
            fs->f[k++] = *f;
            continue;
        }
        if (first == fs->n) {
            first = k;
            fs->f[k++] = *f;
        }
        if (f->value_len) {
            if (w.len) sw_put(&w, ", ", 2);
            sw_put(&w, f->value, f->value_len);
        }
    }
    bool found = first != fs->n;
    fs->n = k;
    if (w.len) sw_put(&w, ", ", 2);
    sw_put(&w, add, add_len);
    const char *v;
    size_t vn;
    int rc = sw_done(&w, &v, &vn);
    if (rc) return rc;
    if (!found) return fs_add(fs, name, strlen(name), v, vn);
    fs->f[first].value = v;
    fs->f[first].value_len = vn;
    return 0;
}

static bool valid_ip_literal(const char *a, size_t n, bool *v6)
{
    if (n < 2 || n > 45) return false;
    *v6 = false;
    for (size_t i = 0; i < n; i++) {
        char c = lower(a[i]);
        if (c == ':') *v6 = true;
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '.' || c == ':'))
            return false;
    }
    return true;
}

static int add_client_addr(dmsc_hmap_fieldset_t *fs, const char *addr)
{
    size_t n = strlen(addr);
    bool v6;
    if (!valid_ip_literal(addr, n, &v6)) return DMSC_EINVAL;
    int rc = merge_append(fs, "x-forwarded-for", addr, n);
    if (rc) return rc;
    sw_t w;
    sw_init(&w, fs);
    sw_put(&w, v6 ? "for=\"[" : "for=", v6 ? 6 : 4);
    sw_put(&w, addr, n);
    if (v6) sw_put(&w, "]\"", 2);
    const char *v;
    size_t vn;
    rc = sw_done(&w, &v, &vn);
    if (rc) return rc;
    return fs_add(fs, "forwarded", 9, v, vn);
}

static const dmsc_http_field_t *fs_find(const dmsc_hmap_fieldset_t *fs, const char *name)
{
    for (size_t i = 0; i < fs->n; i++)
        if (ieq(fs->f[i].name, fs->f[i].name_len, name)) return &fs->f[i];
    return NULL;
}

int dmsc_hmap_request_fields(const dmsc_http_head_t *h, bool unique, const char *client_addr,
                             dmsc_hmap_fieldset_t *out)
{
    fs_reset(out);
    int rc = filter_into(h->fields, h->nfields, 0, out);
    if (rc) return rc;
    bool stable = !unique && dmsc_hmap_method_is_stable(h->method, h->method_len);
    if (stable) {
        size_t k = 0;
        for (size_t i = 0; i < out->n; i++)
            if (dmsc_hmap_is_key_field(out->f[i].name, out->f[i].name_len)) out->f[k++] = out->f[i];
        out->n = k;
        return 0;
    }
    if (client_addr) return add_client_addr(out, client_addr);
    return 0;
}

/* ------------------------------------------------------------------------
 * request target <-> path components
 * ------------------------------------------------------------------------ */

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c = lower(c);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* Whole target: starts with '/', visible ASCII, no '#', bounded. */
static bool target_chars_ok(const char *t, size_t n)
{
    if (n == 0 || n > DMSC_HMAP_TARGET_MAX || t[0] != '/') return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)t[i];
        if (c <= 0x20 || c >= 0x7f || c == '#') return false;
    }
    return true;
}

typedef struct {
    const char *p, *end; /* remaining path; p == NULL when done */
} seg_iter_t;

static void seg_iter_init(seg_iter_t *it, const char *target, size_t n)
{
    const char *q = memchr(target, '?', n);
    size_t pl = q ? (size_t)(q - target) : n;
    /* "/" (or an empty path before '?': not origin-form, rejected earlier) */
    if (pl <= 1) {
        it->p = NULL;
        it->end = NULL;
        return;
    }
    it->p = target + 1;
    it->end = target + pl;
}

/* Next raw segment: 1 with *s and *n set, 0 when done. */
static int seg_next(seg_iter_t *it, const char **s, size_t *n)
{
    if (!it->p) return 0;
    const char *slash = memchr(it->p, '/', (size_t)(it->end - it->p));
    const char *stop = slash ? slash : it->end;
    *s = it->p;
    *n = (size_t)(stop - it->p);
    it->p = slash ? slash + 1 : NULL;
    return 1;
}

/* Percent-decode one segment into out (room for n bytes). */
static int seg_decode(const char *s, size_t n, uint8_t *out, size_t *outn)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = (uint8_t)s[i];
        if (c == '%') {
            if (i + 2 >= n) return DMSC_EINVAL;
            int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
            if (hi < 0 || lo < 0) return DMSC_EINVAL;
            c = (uint8_t)(hi << 4 | lo);
            i += 2;
        }
        if (c == 0) return DMSC_EINVAL;
        out[k++] = c;
    }
    if ((k == 1 && out[0] == '.') || (k == 2 && out[0] == '.' && out[1] == '.')) return DMSC_EINVAL;
    *outn = k;
    return 0;
}

int dmsc_hmap_target_to_name(const char *target, size_t len, dmsc_namebuf_t *nb)
{
    if (!target || !target_chars_ok(target, len)) return DMSC_EINVAL;
    seg_iter_t it;
    seg_iter_init(&it, target, len);
    const char *s;
    size_t n;
    uint8_t tmp[DMSC_HMAP_TARGET_MAX];
    while (seg_next(&it, &s, &n)) {
        size_t dn;
        int rc = seg_decode(s, n, tmp, &dn);
        if (rc) return rc;
        rc = dmsc_namebuf_append(nb, DMSC_TT_GENERIC, tmp, dn);
        if (rc) return rc;
    }
    return 0;
}

/* Validate the target's path without building a name; count segments. */
static int target_check(const char *target, size_t len, size_t *nseg)
{
    if (!target_chars_ok(target, len)) return DMSC_EVALUE;
    seg_iter_t it;
    seg_iter_init(&it, target, len);
    const char *s;
    size_t n, k = 0;
    uint8_t tmp[DMSC_HMAP_TARGET_MAX];
    while (seg_next(&it, &s, &n)) {
        size_t dn;
        if (seg_decode(s, n, tmp, &dn)) return DMSC_EVALUE;
        k++;
    }
    *nseg = k;
    return 0;
}

/* ------------------------------------------------------------------------
 * request head validation (shared by encoder and decoder)
 * ------------------------------------------------------------------------ */

static bool authority_ok(const char *a, size_t n)
{
    if (n == 0 || n > 255) return false;
    for (size_t i = 0; i < n; i++) {
        char c = a[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) continue;
        if (!strchr("-._~!$&'()*+,;=:[]%", c) || c == 0) return false;
    }
    return true;
}

static bool scheme_ok(const char *s, size_t n)
{
    if (n == 0 || n > 16) return false;
    char c0 = lower(s[0]);
    if (c0 < 'a' || c0 > 'z') return false;
    for (size_t i = 1; i < n; i++) {
        char c = lower(s[i]);
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'))
            return false;
    }
    return true;
}

static bool method_ok(const char *m, size_t n)
{
    return m && n <= DMSC_HTTP_METHOD_MAX && is_token(m, n);
}

/* Fields to encode: names tokens (any case), values valid, ceilings. */
static int fields_check(const dmsc_http_field_t *f, size_t n)
{
    if (n > DMSC_HTTP_MAX_FIELDS) return DMSC_ETOOBIG;
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++) {
        if (!f[i].name || !is_token(f[i].name, f[i].name_len)) return DMSC_EINVAL;
        if (f[i].value_len && !f[i].value) return DMSC_EINVAL;
        if (!is_field_value(f[i].value, f[i].value_len)) return DMSC_EINVAL;
        bytes += f[i].name_len + f[i].value_len;
        if (bytes > DMSC_HMAP_FIELD_BYTES_MAX) return DMSC_ETOOBIG;
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * encoding
 * ------------------------------------------------------------------------ */

static int name_icmp(const dmsc_http_field_t *a, const dmsc_http_field_t *b)
{
    size_t n = a->name_len < b->name_len ? a->name_len : b->name_len;
    for (size_t i = 0; i < n; i++) {
        unsigned char x = (unsigned char)lower(a->name[i]), y = (unsigned char)lower(b->name[i]);
        if (x != y) return x < y ? -1 : 1;
    }
    return a->name_len < b->name_len ? -1 : a->name_len > b->name_len ? 1 : 0;
}

/* Prepend Field elements for f[order[i]] (order NULL: identity), names
 * lowercased. */
static void enc_fields(dmsc_enc_t *e, const dmsc_http_field_t *f, size_t n, const uint8_t *order)
{
    for (size_t k = n; k-- > 0;) {
        const dmsc_http_field_t *x = &f[order ? order[k] : k];
        size_t mark = dmsc_enc_mark(e);
        dmsc_enc_prepend_tlv(e, DMSC_HMAP_TT_FIELD_VALUE, x->value, x->value_len);
        dmsc_enc_prepend(e, x->name, x->name_len);
        if (!e->overflow) {
            char *p = (char *)dmsc_enc_data(e);
            for (size_t i = 0; i < x->name_len; i++)
                p[i] = lower(p[i]);
        }
        dmsc_enc_prepend_hdr(e, DMSC_HMAP_TT_FIELD_NAME, x->name_len);
        dmsc_enc_prepend_hdr(e, DMSC_HMAP_TT_FIELD, mark - dmsc_enc_mark(e));
    }
}

static void enc_name_value(dmsc_enc_t *e, uint64_t type, const dmsc_name_t *n)
{
    dmsc_enc_prepend(e, n->value, n->len);
    dmsc_enc_prepend_hdr(e, type, n->len);
}

void dmsc_hmap_request_init(dmsc_hmap_request_t *r)
{
    memset(r, 0, sizeof *r);
    dmsc_name_init(&r->body_name);
}

bool dmsc_hmap_request_is_stable(const dmsc_hmap_request_t *r)
{
    return !r->has_request_id && dmsc_hmap_method_is_stable(r->method, r->method_len);
}

static int request_check(const dmsc_hmap_request_t *r)
{
    if (!method_ok(r->method, r->method_len)) return DMSC_EINVAL;
    if (!r->target || !target_chars_ok(r->target, r->target_len)) return DMSC_EINVAL;
    size_t nseg;
    if (target_check(r->target, r->target_len, &nseg)) return DMSC_EINVAL;
    if (r->authority && !authority_ok(r->authority, r->authority_len)) return DMSC_EINVAL;
    if (r->scheme && !scheme_ok(r->scheme, r->scheme_len)) return DMSC_EINVAL;
    if (r->version > 99) return DMSC_EINVAL;
    if (!r->has_request_id && !dmsc_hmap_method_is_stable(r->method, r->method_len))
        return DMSC_EINVAL;
    switch (r->body) {
    case DMSC_HMAP_BODY_NONE:
        break;
    case DMSC_HMAP_BODY_INLINE:
        if (r->body_data.n && !r->body_data.p) return DMSC_EINVAL;
        break;
    case DMSC_HMAP_BODY_NAMED:
        if (r->body_name.ncomps == 0) return DMSC_EINVAL;
        break;
    default:
        return DMSC_EINVAL;
    }
    return fields_check(r->fields, r->nfields);
}

int dmsc_hmap_params_encode(const dmsc_hmap_request_t *r, uint8_t *buf, size_t cap,
                            dmsc_slice_t *out)
{
    int rc = request_check(r);
    if (rc) return rc;
    bool stable = dmsc_hmap_request_is_stable(r);
    uint8_t order[DMSC_HTTP_MAX_FIELDS];
    for (size_t i = 0; i < r->nfields; i++)
        order[i] = (uint8_t)i;
    if (stable) { /* insertion sort: stable, n <= 128 */
        for (size_t i = 1; i < r->nfields; i++) {
            uint8_t x = order[i];
            size_t j = i;
            while (j > 0 && name_icmp(&r->fields[order[j - 1]], &r->fields[x]) > 0) {
                order[j] = order[j - 1];
                j--;
            }
            order[j] = x;
        }
    }
    dmsc_enc_t e;
    dmsc_enc_init(&e, buf, cap);
    size_t end = dmsc_enc_mark(&e);
    if (r->body == DMSC_HMAP_BODY_INLINE) {
        dmsc_enc_prepend_tlv(&e, DMSC_HMAP_TT_BODY, r->body_data.p, r->body_data.n);
    } else if (r->body == DMSC_HMAP_BODY_NAMED) {
        if (r->has_body_length)
            dmsc_enc_prepend_nni_tlv(&e, DMSC_HMAP_TT_BODY_LENGTH, r->body_length);
        enc_name_value(&e, DMSC_HMAP_TT_BODY_NAME, &r->body_name);
    }
    enc_fields(&e, r->fields, r->nfields, order);
    if (r->te_trailers) dmsc_enc_prepend_hdr(&e, DMSC_HMAP_TT_TE_TRAILERS, 0);
    if (r->has_request_id)
        dmsc_enc_prepend_tlv(&e, DMSC_HMAP_TT_REQUEST_ID, r->request_id, DMSC_HMAP_REQUEST_ID_LEN);
    if (r->scheme) {
        dmsc_enc_prepend(&e, r->scheme, r->scheme_len);
        if (!e.overflow) { /* schemes are case-insensitive: canonical lowercase */
            char *p = (char *)dmsc_enc_data(&e);
            for (size_t i = 0; i < r->scheme_len; i++)
                p[i] = lower(p[i]);
        }
        dmsc_enc_prepend_hdr(&e, DMSC_HMAP_TT_SCHEME, r->scheme_len);
    }
    if (r->version && !stable) dmsc_enc_prepend_nni_tlv(&e, DMSC_HMAP_TT_VERSION, r->version);
    if (r->authority)
        dmsc_enc_prepend_tlv(&e, DMSC_HMAP_TT_AUTHORITY, r->authority, r->authority_len);
    dmsc_enc_prepend_tlv(&e, DMSC_HMAP_TT_TARGET, r->target, r->target_len);
    dmsc_enc_prepend_tlv(&e, DMSC_HMAP_TT_METHOD, r->method, r->method_len);
    dmsc_enc_prepend_hdr(&e, DMSC_HMAP_TT_REQUEST, end - dmsc_enc_mark(&e));
    if ((rc = dmsc_enc_error(&e))) return rc;
    *out = dmsc_slice(dmsc_enc_data(&e), end - dmsc_enc_mark(&e));
    return 0;
}

int dmsc_hmap_request_name(const dmsc_name_t *prefix, const dmsc_hmap_request_t *r,
                           dmsc_namebuf_t *nb)
{
    if (!method_ok(r->method, r->method_len)) return DMSC_EINVAL;
    int rc = dmsc_namebuf_copy(nb, prefix);
    if (rc) return rc;
    if ((rc = dmsc_hmap_target_to_name(r->target, r->target_len, nb))) return rc;
    if ((rc = dmsc_namebuf_append(nb, DMSC_TT_KEYWORD, r->method, r->method_len))) return rc;
    /* room for the ParametersSha256DigestComponent */
    if (nb->name.ncomps + 1 > DMSC_NAME_MAX_COMPS) return DMSC_ENAMECOMPS;
    if ((size_t)nb->name.len + 2 + DMSC_DIGEST_LEN > DMSC_NAME_MAX_LEN) return DMSC_ENAMELEN;
    return 0;
}

int dmsc_hmap_request_encode(const dmsc_name_t *prefix, const dmsc_hmap_request_t *r,
                             uint32_t nonce, uint64_t lifetime_ms, int hop_limit, uint8_t *buf,
                             size_t cap, dmsc_slice_t *out)
{
    if (!prefix || prefix->ncomps == 0) return DMSC_EINVAL;
    dmsc_namebuf_t nb;
    int rc = dmsc_hmap_request_name(prefix, r, &nb);
    if (rc) return rc;
    dmsc_slice_t params;
    if ((rc = dmsc_hmap_params_encode(r, buf, cap, &params))) return rc;
    memmove(buf, params.p, params.n);
    dmsc_interest_t in;
    dmsc_interest_init(&in);
    in.name = nb.name;
    in.must_be_fresh = dmsc_hmap_request_is_stable(r);
    in.has_nonce = true;
    in.nonce = nonce;
    in.has_lifetime = true;
    in.lifetime = lifetime_ms;
    if (hop_limit >= 0) {
        if (hop_limit > 255) return DMSC_EINVAL;
        in.has_hop_limit = true;
        in.hop_limit = (uint8_t)hop_limit;
    }
    in.has_app_params = true;
    in.app_params = dmsc_slice(buf, params.n);
    return dmsc_interest_encode(&in, NULL, buf + params.n, cap - params.n, out);
}

/* ------------------------------------------------------------------------
 * decoding
 * ------------------------------------------------------------------------ */

typedef struct {
    uint64_t type;
    bool repeat;
} rule_t;

/* Next known element of a container whose elements follow `rules` in order.
 * Returns 1 (element in *el, its rule index in *idx), 0 at the end, or a
 * negative code. Unknown non-critical elements are skipped. */
static int next_el(dmsc_tlv_reader_t *rd, const rule_t *rules, size_t nrules, int *last,
                   dmsc_tlv_t *el, int *idx)
{
    while (!dmsc_tlv_reader_eof(rd)) {
        int rc = dmsc_tlv_read(rd, el);
        if (rc) return rc;
        int k = -1;
        for (size_t i = 0; i < nrules; i++)
            if (rules[i].type == el->type) {
                k = (int)i;
                break;
            }
        if (k < 0) {
            if (dmsc_tlv_is_critical(el->type)) return DMSC_ECRITICAL;
            continue;
        }
        if (k < *last) return DMSC_EORDER;
        if (k == *last && !rules[k].repeat) return DMSC_EDUP;
        *last = k;
        *idx = k;
        return 1;
    }
    return 0;
}

static int open_top(const uint8_t *p, size_t n, uint64_t type, dmsc_tlv_reader_t *rd)
{
    if (!p || n == 0) return DMSC_ETRUNC;
    dmsc_tlv_t t;
    int rc = dmsc_tlv_decode_one(p, n, &t);
    if (rc) return rc;
    if (t.type != type) return DMSC_ETYPE;
    dmsc_tlv_reader_init(rd, t.value, t.len);
    return 0;
}

static int get_nni(const dmsc_tlv_t *el, uint64_t *v)
{
    return dmsc_nni_decode(el->value, el->len, v);
}

/* One Field element. *bytes accumulates name + value octets. */
static int decode_field(const dmsc_tlv_t *el, dmsc_http_field_t *fields, size_t *nf, size_t *bytes)
{
    static const rule_t rules[] = {{DMSC_HMAP_TT_FIELD_NAME, false},
                                   {DMSC_HMAP_TT_FIELD_VALUE, false}};
    if (*nf >= DMSC_HTTP_MAX_FIELDS) return DMSC_ETOOBIG;
    dmsc_tlv_reader_t rd;
    dmsc_tlv_reader_init(&rd, el->value, el->len);
    dmsc_tlv_t x;
    int last = -1, idx = -1, rc;
    bool have[2] = {false, false};
    dmsc_http_field_t f = {NULL, 0, "", 0};
    while ((rc = next_el(&rd, rules, 2, &last, &x, &idx)) == 1) {
        have[idx] = true;
        if (idx == 0) {
            f.name = (const char *)x.value;
            f.name_len = x.len;
            if (!is_lower_token(f.name, f.name_len)) return DMSC_EVALUE;
        } else {
            f.value = x.len ? (const char *)x.value : "";
            f.value_len = x.len;
            if (!is_field_value(f.value, f.value_len)) return DMSC_EVALUE;
        }
    }
    if (rc < 0) return rc;
    if (!have[0] || !have[1]) return DMSC_EMISSING;
    *bytes += f.name_len + f.value_len;
    if (*bytes > DMSC_HMAP_FIELD_BYTES_MAX) return DMSC_ETOOBIG;
    fields[(*nf)++] = f;
    return 0;
}

static int decode_trailers(const dmsc_tlv_t *el, dmsc_http_field_t *fields, size_t *nf)
{
    static const rule_t rules[] = {{DMSC_HMAP_TT_FIELD, true}};
    dmsc_tlv_reader_t rd;
    dmsc_tlv_reader_init(&rd, el->value, el->len);
    dmsc_tlv_t x;
    int last = -1, idx = -1, rc;
    size_t bytes = 0;
    *nf = 0;
    while ((rc = next_el(&rd, rules, 1, &last, &x, &idx)) == 1)
        if ((rc = decode_field(&x, fields, nf, &bytes))) return rc;
    return rc;
}

static int decode_name_value(const dmsc_tlv_t *el, dmsc_name_t *n)
{
    int rc = dmsc_name_from_value(n, el->value, el->len);
    if (rc) return rc;
    return n->ncomps ? 0 : DMSC_EVALUE;
}

enum {
    RQ_METHOD,
    RQ_TARGET,
    RQ_AUTHORITY,
    RQ_VERSION,
    RQ_SCHEME,
    RQ_REQUEST_ID,
    RQ_TE,
    RQ_FIELD,
    RQ_BODY,
    RQ_BODY_NAME,
    RQ_BODY_LENGTH,
};

int dmsc_hmap_params_decode(const uint8_t *p, size_t n, dmsc_hmap_request_t *r)
{
    static const rule_t rules[] = {
        [RQ_METHOD] = {DMSC_HMAP_TT_METHOD, false},
        [RQ_TARGET] = {DMSC_HMAP_TT_TARGET, false},
        [RQ_AUTHORITY] = {DMSC_HMAP_TT_AUTHORITY, false},
        [RQ_VERSION] = {DMSC_HMAP_TT_VERSION, false},
        [RQ_SCHEME] = {DMSC_HMAP_TT_SCHEME, false},
        [RQ_REQUEST_ID] = {DMSC_HMAP_TT_REQUEST_ID, false},
        [RQ_TE] = {DMSC_HMAP_TT_TE_TRAILERS, false},
        [RQ_FIELD] = {DMSC_HMAP_TT_FIELD, true},
        [RQ_BODY] = {DMSC_HMAP_TT_BODY, false},
        [RQ_BODY_NAME] = {DMSC_HMAP_TT_BODY_NAME, false},
        [RQ_BODY_LENGTH] = {DMSC_HMAP_TT_BODY_LENGTH, false},
    };
    dmsc_hmap_request_init(r);
    dmsc_tlv_reader_t rd;
    int rc = open_top(p, n, DMSC_HMAP_TT_REQUEST, &rd);
    if (rc) return rc;
    dmsc_tlv_t el;
    int last = -1, idx = -1;
    size_t bytes = 0;
    uint64_t v;
    while ((rc = next_el(&rd, rules, sizeof rules / sizeof rules[0], &last, &el, &idx)) == 1) {
        const char *s = (const char *)el.value;
        switch (idx) {
        case RQ_METHOD:
            if (!method_ok(s, el.len)) return DMSC_EVALUE;
            r->method = s;
            r->method_len = el.len;
            break;
        case RQ_TARGET: {
            size_t nseg;
            if (el.len == 0 || target_check(s, el.len, &nseg)) return DMSC_EVALUE;
            r->target = s;
            r->target_len = el.len;
            break;
        }
        case RQ_AUTHORITY:
            if (!authority_ok(s, el.len)) return DMSC_EVALUE;
            r->authority = s;
            r->authority_len = el.len;
            break;
        case RQ_VERSION:
            if ((rc = get_nni(&el, &v))) return rc;
            if (v == 0 || v > 99) return DMSC_EVALUE;
            r->version = (uint8_t)v;
            break;
        case RQ_SCHEME:
            if (!scheme_ok(s, el.len)) return DMSC_EVALUE;
            for (size_t i = 0; i < el.len; i++)
                if (s[i] >= 'A' && s[i] <= 'Z') return DMSC_EVALUE;
            r->scheme = s;
            r->scheme_len = el.len;
            break;
        case RQ_REQUEST_ID:
            if (el.len != DMSC_HMAP_REQUEST_ID_LEN) return DMSC_EVALUE;
            r->has_request_id = true;
            memcpy(r->request_id, el.value, DMSC_HMAP_REQUEST_ID_LEN);
            break;
        case RQ_TE:
            if (el.len) return DMSC_EVALUE;
            r->te_trailers = true;
            break;
        case RQ_FIELD:
            if ((rc = decode_field(&el, r->fields, &r->nfields, &bytes))) return rc;
            break;
        case RQ_BODY:
            if (r->body) return DMSC_EVALUE;
            r->body = DMSC_HMAP_BODY_INLINE;
            r->body_data = dmsc_slice(el.len ? el.value : (const uint8_t *)"", el.len);
            break;
        case RQ_BODY_NAME:
            if (r->body) return DMSC_EVALUE;
            if ((rc = decode_name_value(&el, &r->body_name))) return rc;
            r->body = DMSC_HMAP_BODY_NAMED;
            break;
        case RQ_BODY_LENGTH:
            if (r->body != DMSC_HMAP_BODY_NAMED) return DMSC_EVALUE;
            if ((rc = get_nni(&el, &r->body_length))) return rc;
            r->has_body_length = true;
            break;
        }
    }
    if (rc < 0) return rc;
    if (!r->method || !r->target) return DMSC_EMISSING;
    if (!r->has_request_id && !dmsc_hmap_method_is_stable(r->method, r->method_len))
        return DMSC_EMISSING;
    return 0;
}

int dmsc_hmap_request_decode(const dmsc_interest_t *in, dmsc_hmap_request_t *r)
{
    if (!in->has_app_params) return DMSC_EMISSING;
    int rc = dmsc_hmap_params_decode(in->app_params.p, in->app_params.n, r);
    if (rc) return rc;
    const dmsc_name_t *nm = &in->name;
    size_t nc = nm->ncomps;
    if (nc < 1 || in->params_digest_idx != (int)nc - 1) return DMSC_EDIGEST;
    dmsc_comp_t d = dmsc_name_comp(nm, nc - 1);
    if (d.type != DMSC_TT_PARAMS_DIGEST) return DMSC_EDIGEST;
    if (nc < 3) return DMSC_EVALUE;
    dmsc_comp_t kw = dmsc_name_comp(nm, nc - 2);
    if (kw.type != DMSC_TT_KEYWORD || kw.len != r->method_len ||
        memcmp(kw.value, r->method, r->method_len) != 0)
        return DMSC_EVALUE;
    size_t nseg = 0;
    if (target_check(r->target, r->target_len, &nseg)) return DMSC_EVALUE;
    if (nseg + 3 > nc) return DMSC_EVALUE; /* at least one prefix component */
    size_t first = nc - 2 - nseg;
    seg_iter_t it;
    seg_iter_init(&it, r->target, r->target_len);
    const char *s;
    size_t sn, i = first;
    uint8_t tmp[DMSC_HMAP_TARGET_MAX];
    while (seg_next(&it, &s, &sn)) {
        size_t dn;
        if (seg_decode(s, sn, tmp, &dn)) return DMSC_EVALUE;
        dmsc_comp_t c = dmsc_name_comp(nm, i++);
        if (c.type != DMSC_TT_GENERIC || c.len != dn || (dn && memcmp(c.value, tmp, dn) != 0))
            return DMSC_EVALUE;
    }
    r->prefix_ncomps = first;
    r->path_ncomps = nseg;
    return 0;
}

/* ------------------------------------------------------------------------
 * upstream / client field lists
 * ------------------------------------------------------------------------ */

static int add_via(dmsc_hmap_fieldset_t *fs, const char *pseudonym)
{
    size_t pn = strlen(pseudonym);
    if (!is_token(pseudonym, pn)) return DMSC_EINVAL;
    char via[300];
    if (pn > sizeof via - 5) return DMSC_EINVAL;
    memcpy(via, "1.1 ", 4);
    memcpy(via + 4, pseudonym, pn);
    return merge_append(fs, "via", via, pn + 4);
}

int dmsc_hmap_upstream_fields(const dmsc_hmap_request_t *r, const char *authority,
                              size_t authority_len, const char *pseudonym, const char *client_addr,
                              dmsc_hmap_fieldset_t *out)
{
    fs_reset(out);
    const char *a = r->authority ? r->authority : authority;
    size_t an = r->authority ? r->authority_len : authority_len;
    if (!a || !authority_ok(a, an) || !pseudonym) return DMSC_EINVAL;
    if (!is_token(pseudonym, strlen(pseudonym))) return DMSC_EINVAL;
    int rc = fs_add(out, "host", 4, a, an);
    if (rc) return rc;
    if ((rc = filter_into(r->fields, r->nfields, 0, out))) return rc;
    out->te_trailers = false; /* only r->te_trailers counts */
    if ((rc = add_via(out, pseudonym))) return rc;
    if (client_addr && (rc = add_client_addr(out, client_addr))) return rc;
    if (r->scheme && !fs_find(out, "x-forwarded-proto") &&
        (rc = fs_add(out, "x-forwarded-proto", 17, r->scheme, r->scheme_len)))
        return rc;
    if (r->te_trailers) {
        if ((rc = fs_add(out, "te", 2, "trailers", 8))) return rc;
        out->te_trailers = true;
    }
    return 0;
}

int dmsc_hmap_client_response_fields(const dmsc_hmap_response_t *r, bool keep_content_length,
                                     const char *pseudonym, dmsc_hmap_fieldset_t *out)
{
    fs_reset(out);
    if (!pseudonym) return DMSC_EINVAL;
    int rc = filter_into(r->fields, r->nfields,
                         keep_content_length ? DMSC_HMAP_KEEP_CONTENT_LENGTH : 0, out);
    if (rc) return rc;
    return add_via(out, pseudonym);
}

/* ------------------------------------------------------------------------
 * response, segment, error
 * ------------------------------------------------------------------------ */

void dmsc_hmap_response_init(dmsc_hmap_response_t *r)
{
    memset(r, 0, sizeof *r);
    r->status = 200;
    dmsc_name_init(&r->producer);
}

static void enc_trailers(dmsc_enc_t *e, const dmsc_http_field_t *f, size_t n)
{
    size_t mark = dmsc_enc_mark(e);
    enc_fields(e, f, n, NULL);
    dmsc_enc_prepend_hdr(e, DMSC_HMAP_TT_TRAILERS, mark - dmsc_enc_mark(e));
}

int dmsc_hmap_response_encode(const dmsc_hmap_response_t *r, uint8_t *buf, size_t cap,
                              dmsc_slice_t *out)
{
    if (r->status < 200 || r->status > 999) return DMSC_EINVAL;
    if (r->reason && (r->reason_len > 1024 || !is_field_value(r->reason, r->reason_len)))
        return DMSC_EINVAL;
    int rc = fields_check(r->fields, r->nfields);
    if (rc) return rc;
    if (r->has_trailers && (rc = fields_check(r->trailers, r->ntrailers))) return rc;
    dmsc_enc_t e;
    dmsc_enc_init(&e, buf, cap);
    size_t end = dmsc_enc_mark(&e);
    switch (r->body) {
    case DMSC_HMAP_BODY_NONE:
    case DMSC_HMAP_BODY_INLINE:
        if (r->has_trailers) enc_trailers(&e, r->trailers, r->ntrailers);
        if (r->body == DMSC_HMAP_BODY_INLINE) {
            if (r->body_data.n && !r->body_data.p) return DMSC_EINVAL;
            dmsc_enc_prepend_tlv(&e, DMSC_HMAP_TT_BODY, r->body_data.p, r->body_data.n);
        }
        break;
    case DMSC_HMAP_BODY_SEGMENTED: {
        if (r->has_trailers || r->producer.ncomps == 0) return DMSC_EINVAL;
        size_t mark = dmsc_enc_mark(&e);
        enc_name_value(&e, DMSC_HMAP_TT_PRODUCER, &r->producer);
        if (r->has_last_segment)
            dmsc_enc_prepend_nni_tlv(&e, DMSC_HMAP_TT_LAST_SEGMENT, r->last_segment);
        if (r->has_body_length)
            dmsc_enc_prepend_nni_tlv(&e, DMSC_HMAP_TT_BODY_LENGTH, r->body_length);
        dmsc_enc_prepend_hdr(&e, DMSC_HMAP_TT_SEGMENTED_BODY, mark - dmsc_enc_mark(&e));
        break;
    }
    default:
        return DMSC_EINVAL;
    }
    enc_fields(&e, r->fields, r->nfields, NULL);
    if (r->reason) dmsc_enc_prepend_tlv(&e, DMSC_HMAP_TT_REASON, r->reason, r->reason_len);
    dmsc_enc_prepend_nni_tlv(&e, DMSC_HMAP_TT_STATUS, (uint64_t)r->status);
    dmsc_enc_prepend_hdr(&e, DMSC_HMAP_TT_RESPONSE, end - dmsc_enc_mark(&e));
    if ((rc = dmsc_enc_error(&e))) return rc;
    *out = dmsc_slice(dmsc_enc_data(&e), end - dmsc_enc_mark(&e));
    return 0;
}

static int decode_segmented(const dmsc_tlv_t *el, dmsc_hmap_response_t *r)
{
    static const rule_t rules[] = {{DMSC_HMAP_TT_BODY_LENGTH, false},
                                   {DMSC_HMAP_TT_LAST_SEGMENT, false},
                                   {DMSC_HMAP_TT_PRODUCER, false}};
    dmsc_tlv_reader_t rd;
    dmsc_tlv_reader_init(&rd, el->value, el->len);
    dmsc_tlv_t x;
    int last = -1, idx = -1, rc;
    while ((rc = next_el(&rd, rules, 3, &last, &x, &idx)) == 1) {
        if (idx == 0) {
            if ((rc = get_nni(&x, &r->body_length))) return rc;
            r->has_body_length = true;
        } else if (idx == 1) {
            if ((rc = get_nni(&x, &r->last_segment))) return rc;
            r->has_last_segment = true;
        } else if ((rc = decode_name_value(&x, &r->producer))) {
            return rc;
        }
    }
    if (rc < 0) return rc;
    return r->producer.ncomps ? 0 : DMSC_EMISSING;
}

enum { RS_STATUS, RS_REASON, RS_FIELD, RS_BODY, RS_TRAILERS, RS_SEGMENTED };

int dmsc_hmap_response_decode(const uint8_t *p, size_t n, dmsc_hmap_response_t *r)
{
    static const rule_t rules[] = {
        [RS_STATUS] = {DMSC_HMAP_TT_STATUS, false},
        [RS_REASON] = {DMSC_HMAP_TT_REASON, false},
        [RS_FIELD] = {DMSC_HMAP_TT_FIELD, true},
        [RS_BODY] = {DMSC_HMAP_TT_BODY, false},
        [RS_TRAILERS] = {DMSC_HMAP_TT_TRAILERS, false},
        [RS_SEGMENTED] = {DMSC_HMAP_TT_SEGMENTED_BODY, false},
    };
    dmsc_hmap_response_init(r);
    r->status = 0;
    dmsc_tlv_reader_t rd;
    int rc = open_top(p, n, DMSC_HMAP_TT_RESPONSE, &rd);
    if (rc) return rc;
    dmsc_tlv_t el;
    int last = -1, idx = -1;
    size_t bytes = 0;
    uint64_t v;
    while ((rc = next_el(&rd, rules, sizeof rules / sizeof rules[0], &last, &el, &idx)) == 1) {
        switch (idx) {
        case RS_STATUS:
            if ((rc = get_nni(&el, &v))) return rc;
            if (v < 200 || v > 999) return DMSC_EVALUE;
            r->status = (int)v;
            break;
        case RS_REASON:
            if (el.len > 1024 || !is_field_value((const char *)el.value, el.len))
                return DMSC_EVALUE;
            r->reason = el.len ? (const char *)el.value : "";
            r->reason_len = el.len;
            break;
        case RS_FIELD:
            if ((rc = decode_field(&el, r->fields, &r->nfields, &bytes))) return rc;
            break;
        case RS_BODY:
            r->body = DMSC_HMAP_BODY_INLINE;
            r->body_data = dmsc_slice(el.len ? el.value : (const uint8_t *)"", el.len);
            break;
        case RS_TRAILERS:
            if ((rc = decode_trailers(&el, r->trailers, &r->ntrailers))) return rc;
            r->has_trailers = true;
            break;
        case RS_SEGMENTED:
            if (r->body || r->has_trailers) return DMSC_EVALUE;
            if ((rc = decode_segmented(&el, r))) return rc;
            r->body = DMSC_HMAP_BODY_SEGMENTED;
            break;
        }
    }
    if (rc < 0) return rc;
    return r->status ? 0 : DMSC_EMISSING;
}

int dmsc_hmap_segment_encode(const dmsc_hmap_segment_t *s, uint8_t *buf, size_t cap,
                             dmsc_slice_t *out)
{
    int rc;
    if (s->has_trailers && (rc = fields_check(s->trailers, s->ntrailers))) return rc;
    if (s->body.n && !s->body.p) return DMSC_EINVAL;
    dmsc_enc_t e;
    dmsc_enc_init(&e, buf, cap);
    size_t end = dmsc_enc_mark(&e);
    if (s->has_trailers) enc_trailers(&e, s->trailers, s->ntrailers);
    dmsc_enc_prepend_tlv(&e, DMSC_HMAP_TT_BODY, s->body.p, s->body.n);
    dmsc_enc_prepend_hdr(&e, DMSC_HMAP_TT_SEGMENT, end - dmsc_enc_mark(&e));
    if ((rc = dmsc_enc_error(&e))) return rc;
    *out = dmsc_slice(dmsc_enc_data(&e), end - dmsc_enc_mark(&e));
    return 0;
}

int dmsc_hmap_segment_decode(const uint8_t *p, size_t n, dmsc_hmap_segment_t *s)
{
    static const rule_t rules[] = {{DMSC_HMAP_TT_BODY, false}, {DMSC_HMAP_TT_TRAILERS, false}};
    memset(s, 0, sizeof *s);
    s->body = dmsc_slice("", 0);
    dmsc_tlv_reader_t rd;
    int rc = open_top(p, n, DMSC_HMAP_TT_SEGMENT, &rd);
    if (rc) return rc;
    dmsc_tlv_t el;
    int last = -1, idx = -1;
    while ((rc = next_el(&rd, rules, 2, &last, &el, &idx)) == 1) {
        if (idx == 0) {
            if (el.len) s->body = dmsc_slice(el.value, el.len);
        } else {
            if ((rc = decode_trailers(&el, s->trailers, &s->ntrailers))) return rc;
            s->has_trailers = true;
        }
    }
    return rc < 0 ? rc : 0;
}

int dmsc_hmap_error_encode(const dmsc_hmap_error_t *er, uint8_t *buf, size_t cap, dmsc_slice_t *out)
{
    if (er->code < 1) return DMSC_EINVAL;
    if (er->message && (er->message_len > 1024 || !is_field_value(er->message, er->message_len)))
        return DMSC_EINVAL;
    dmsc_enc_t e;
    dmsc_enc_init(&e, buf, cap);
    size_t end = dmsc_enc_mark(&e);
    if (er->message)
        dmsc_enc_prepend_tlv(&e, DMSC_HMAP_TT_ERROR_MESSAGE, er->message, er->message_len);
    dmsc_enc_prepend_nni_tlv(&e, DMSC_HMAP_TT_ERROR_CODE, (uint64_t)er->code);
    dmsc_enc_prepend_hdr(&e, DMSC_HMAP_TT_ERROR, end - dmsc_enc_mark(&e));
    int rc = dmsc_enc_error(&e);
    if (rc) return rc;
    *out = dmsc_slice(dmsc_enc_data(&e), end - dmsc_enc_mark(&e));
    return 0;
}

int dmsc_hmap_error_decode(const uint8_t *p, size_t n, dmsc_hmap_error_t *er)
{
    static const rule_t rules[] = {{DMSC_HMAP_TT_ERROR_CODE, false},
                                   {DMSC_HMAP_TT_ERROR_MESSAGE, false}};
    memset(er, 0, sizeof *er);
    dmsc_tlv_reader_t rd;
    int rc = open_top(p, n, DMSC_HMAP_TT_ERROR, &rd);
    if (rc) return rc;
    dmsc_tlv_t el;
    int last = -1, idx = -1;
    uint64_t v;
    while ((rc = next_el(&rd, rules, 2, &last, &el, &idx)) == 1) {
        if (idx == 0) {
            if ((rc = get_nni(&el, &v))) return rc;
            if (v == 0 || v > INT32_MAX) return DMSC_EVALUE;
            er->code = (int)v;
        } else {
            if (el.len > 1024 || !is_field_value((const char *)el.value, el.len))
                return DMSC_EVALUE;
            er->message = el.len ? (const char *)el.value : "";
            er->message_len = el.len;
        }
    }
    if (rc < 0) return rc;
    return er->code ? 0 : DMSC_EMISSING;
}

int dmsc_hmap_content_kind(const uint8_t *p, size_t n)
{
    if (!p || n == 0) return DMSC_ETRUNC;
    dmsc_tlv_t t;
    int rc = dmsc_tlv_decode_one(p, n, &t);
    if (rc) return rc;
    if (t.type == DMSC_HMAP_TT_RESPONSE || t.type == DMSC_HMAP_TT_ERROR ||
        t.type == DMSC_HMAP_TT_SEGMENT)
        return (int)t.type;
    return DMSC_ETYPE;
}

/* ------------------------------------------------------------------------
 * segment names, Data
 * ------------------------------------------------------------------------ */

int dmsc_hmap_segment_name(const dmsc_name_t *interest_name, uint64_t seg, dmsc_namebuf_t *out)
{
    size_t nc = interest_name->ncomps;
    if (nc == 0) return DMSC_EDIGEST;
    dmsc_comp_t d = dmsc_name_comp(interest_name, nc - 1);
    if (d.type != DMSC_TT_PARAMS_DIGEST || d.len != DMSC_DIGEST_LEN) return DMSC_EDIGEST;
    dmsc_name_t pre;
    dmsc_name_get_prefix(interest_name, nc - 1, &pre);
    int rc = dmsc_namebuf_copy(out, &pre);
    if (rc) return rc;
    if ((rc = dmsc_namebuf_append(out, DMSC_TT_GENERIC, d.value, d.len))) return rc;
    return dmsc_namebuf_append_nni(out, DMSC_TT_SEGMENT, seg);
}

int dmsc_hmap_body_segment_name(const dmsc_name_t *body_name, uint64_t seg, dmsc_namebuf_t *out)
{
    if (body_name->ncomps == 0) return DMSC_EINVAL;
    int rc = dmsc_namebuf_copy(out, body_name);
    if (rc) return rc;
    return dmsc_namebuf_append_nni(out, DMSC_TT_SEGMENT, seg);
}

int dmsc_hmap_segment_match(const dmsc_name_t *base, bool is_body, const dmsc_name_t *name,
                            uint64_t *seg)
{
    size_t k = base->ncomps;
    if (k == 0 || name->ncomps != k + 1) return 0;
    dmsc_comp_t last = dmsc_name_comp(name, k);
    if (last.type != DMSC_TT_SEGMENT) return 0;
    uint64_t v;
    if (dmsc_nni_decode(last.value, last.len, &v)) return 0;
    if (is_body) {
        if (!dmsc_name_is_prefix(base, name)) return 0;
    } else {
        dmsc_comp_t d = dmsc_name_comp(base, k - 1), g = dmsc_name_comp(name, k - 1);
        if (d.type != DMSC_TT_PARAMS_DIGEST || g.type != DMSC_TT_GENERIC || d.len != g.len ||
            memcmp(d.value, g.value, d.len) != 0)
            return 0;
        if (base->off[k - 1] != name->off[k - 1] ||
            (base->off[k - 1] && memcmp(base->value, name->value, base->off[k - 1]) != 0))
            return 0;
    }
    *seg = v;
    return 1;
}

void dmsc_hmap_data_init(dmsc_data_t *d, const dmsc_name_t *name, dmsc_slice_t content,
                         uint64_t freshness_ms, bool final)
{
    dmsc_data_init(d);
    d->name = *name;
    d->has_meta_info = true;
    d->has_freshness = true;
    d->freshness = freshness_ms;
    d->has_content = true;
    d->content = content;
    if (final && name->ncomps) {
        d->has_final_block = true;
        d->final_block = dmsc_name_comp(name, name->ncomps - 1u);
    }
}

/* ------------------------------------------------------------------------
 * freshness
 * ------------------------------------------------------------------------ */

/* Cache-Control directive iterator: name, optional value (token or
 * quoted-string, quotes removed, escapes left in). */
static bool cc_next(const char **pp, const char *end, const char **name, size_t *nlen,
                    const char **val, size_t *vlen)
{
    const char *p = *pp;
    for (;;) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
            p++;
        if (p >= end) {
            *pp = end;
            return false;
        }
        const char *s = p;
        while (p < end && is_tchar((unsigned char)*p))
            p++;
        *name = s;
        *nlen = (size_t)(p - s);
        *val = NULL;
        *vlen = 0;
        if (p < end && *p == '=') {
            p++;
            if (p < end && *p == '"') {
                const char *vs = ++p;
                while (p < end && *p != '"') {
                    if (*p == '\\' && p + 1 < end) p++;
                    p++;
                }
                *val = vs;
                *vlen = (size_t)(p - vs);
                if (p < end) p++; /* closing quote */
            } else {
                const char *vs = p;
                while (p < end && is_tchar((unsigned char)*p))
                    p++;
                *val = vs;
                *vlen = (size_t)(p - vs);
            }
        }
        /* skip anything malformed up to the next comma */
        bool junk = false;
        while (p < end && *p != ',') {
            if (*p != ' ' && *p != '\t') junk = true;
            p++;
        }
        *pp = p;
        if (*nlen == 0 || junk) continue;
        return true;
    }
}

#define DELTA_MAX 2147483648ull /* RFC 9111 §1.2.2 */

/* delta-seconds; false if malformed */
static bool parse_delta(const char *s, size_t n, uint64_t *out)
{
    if (!s || n == 0) return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        if (v < DELTA_MAX) v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v > DELTA_MAX ? DELTA_MAX : v;
    return true;
}

static const dmsc_http_field_t *ffind(const dmsc_http_field_t *f, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (ieq(f[i].name, f[i].name_len, name)) return &f[i];
    return NULL;
}

/* days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant) */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int num(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int dmsc_hmap_parse_http_date(const char *s, size_t n, int64_t *out)
{
    static const char *const days[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    /* "Sun, 06 Nov 1994 08:49:37 GMT" */
    if (!s || n != 29) return DMSC_EINVAL;
    bool ok = false;
    for (int i = 0; i < 7; i++)
        if (memcmp(s, days[i], 3) == 0) ok = true;
    if (!ok || memcmp(s + 3, ", ", 2) || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
        s[19] != ':' || s[22] != ':' || memcmp(s + 25, " GMT", 4))
        return DMSC_EINVAL;
    int mon = -1;
    for (int i = 0; i < 12; i++)
        if (memcmp(s + 8, months[i], 3) == 0) mon = i + 1;
    int day = num(s + 5, 2), year = num(s + 12, 4), hh = num(s + 17, 2), mm = num(s + 20, 2),
        ss = num(s + 23, 2);
    if (mon < 0 || day < 1 || day > 31 || year < 0 || hh < 0 || hh > 23 || mm < 0 || mm > 59 ||
        ss < 0 || ss > 60)
        return DMSC_EINVAL;
    int64_t days_n = days_from_civil(year, mon, day);
    *out = days_n * 86400 + hh * 3600 + mm * 60 + ss;
    return 0;
}

static bool status_cacheable(int status)
{
    static const int ok[] = {200, 203, 204, 206, 300, 301, 302, 303,
                             307, 308, 404, 405, 410, 414, 451, 501};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (ok[i] == status) return true;
    return false;
}

uint64_t dmsc_hmap_freshness(bool stable, const dmsc_http_field_t *req_fields, size_t nreq,
                             int status, const dmsc_http_field_t *resp_fields, size_t nresp,
                             int64_t now, bool *cacheable)
{
    *cacheable = false;
    if (!stable || !status_cacheable(status)) return 0;
    bool no_store = false, no_cache = false, priv = false, pub = false, must_reval = false;
    bool has_max = false, has_s = false, bad_age = false;
    uint64_t max_age = 0, s_max = 0;
    for (size_t i = 0; i < nresp; i++) {
        const dmsc_http_field_t *f = &resp_fields[i];
        if (ieq(f->name, f->name_len, "set-cookie")) return 0;
        if (ieq(f->name, f->name_len, "vary")) {
            const char *p = f->value, *end = f->value + f->value_len, *el;
            size_t n;
            while (list_next(&p, end, &el, &n))
                if (n == 1 && el[0] == '*') return 0;
            continue;
        }
        if (!ieq(f->name, f->name_len, "cache-control")) continue;
        const char *p = f->value, *end = f->value + f->value_len, *dn, *dv;
        size_t dnl, dvl;
        while (cc_next(&p, end, &dn, &dnl, &dv, &dvl)) {
            if (ieq(dn, dnl, "no-store")) {
                no_store = true;
            } else if (ieq(dn, dnl, "no-cache")) {
                no_cache = true;
            } else if (ieq(dn, dnl, "private")) {
                priv = true;
            } else if (ieq(dn, dnl, "public")) {
                pub = true;
            } else if (ieq(dn, dnl, "must-revalidate")) {
                must_reval = true;
            } else if (ieq(dn, dnl, "max-age") && !has_max) {
                has_max = true;
                if (!parse_delta(dv, dvl, &max_age)) bad_age = true;
            } else if (ieq(dn, dnl, "s-maxage") && !has_s) {
                has_s = true;
                if (!parse_delta(dv, dvl, &s_max)) bad_age = true;
            }
        }
    }
    if (no_store || no_cache || priv || bad_age) return 0;
    if ((ffind(req_fields, nreq, "authorization") || ffind(req_fields, nreq, "cookie")) &&
        !(pub || has_s || must_reval))
        return 0;
    uint64_t lifetime; /* seconds */
    if (has_s) {
        lifetime = s_max;
    } else if (has_max) {
        lifetime = max_age;
    } else {
        const dmsc_http_field_t *ex = ffind(resp_fields, nresp, "expires");
        if (!ex) return 0; /* no heuristic freshness */
        int64_t exp, date;
        if (dmsc_hmap_parse_http_date(ex->value, ex->value_len, &exp)) return 0;
        const dmsc_http_field_t *df = ffind(resp_fields, nresp, "date");
        if (df && dmsc_hmap_parse_http_date(df->value, df->value_len, &date) == 0) {
            /* ok */
        } else if (now > 0) {
            date = now;
        } else {
            return 0;
        }
        if (exp <= date) return 0;
        lifetime = (uint64_t)(exp - date);
        if (lifetime > DELTA_MAX) lifetime = DELTA_MAX;
    }
    const dmsc_http_field_t *af = ffind(resp_fields, nresp, "age");
    uint64_t age = 0;
    if (af && !parse_delta(af->value, af->value_len, &age)) age = 0;
    if (age >= lifetime) return 0;
    *cacheable = true;
    return (lifetime - age) * 1000;
}
