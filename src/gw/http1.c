/*
 * HTTP/1.1 codec (RFC 9112): a sans-I/O, zero-copy parser for requests and
 * responses, and serializers into a bounded buffer. See http1.h for the API
 * and the contract with the caller.
 *
 * Parsing a head is two passes over bytes already in memory: a scan that
 * finds the empty line ending the head (checking every LF is preceded by
 * CR, bounded by head_max, resumable across calls so a head trickling in
 * byte by byte costs O(n)), then one parse of the complete head. Body
 * states hand out views into the caller's buffer.
 */
#include "gw/http1.h"

#include <stdlib.h>
#include <string.h>

#include "base/err.h"

/* ------------------------------------------------------------------ */
/* character classes                                                   */

enum {
    C_TCHAR = 1,  /* token (RFC 9110 §5.6.2) */
    C_VALUE = 2,  /* field-value byte: HTAB, SP, VCHAR, obs-text */
    C_TARGET = 4, /* request-target byte: VCHAR except '#' (no CTL, SP, DEL, non-ASCII) */
    C_HOST = 8,   /* uri-host [":" port]: unreserved, sub-delims, ':', '[', ']', '%' */
    C_HEX = 16,
};

static const uint8_t ctab[256] = {
    0,  0,  0,  0,  0,  0,  0,  0,  0,  2,  0,  0,  0,  0,  0,  0,  /* 0x00 */
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  /* 0x10 */
    2,  15, 6,  3,  15, 15, 15, 15, 14, 14, 15, 15, 14, 15, 15, 6,  /* 0x20 */
    31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 14, 14, 6,  14, 6,  6,  /* 0x30 */
    6,  31, 31, 31, 31, 31, 31, 15, 15, 15, 15, 15, 15, 15, 15, 15, /* 0x40 */
    15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 14, 6,  14, 7,  15, /* 0x50 */
    7,  31, 31, 31, 31, 31, 31, 15, 15, 15, 15, 15, 15, 15, 15, 15, /* 0x60 */
    15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 6,  7,  6,  15, 0,  /* 0x70 */
    2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  /* 0x80 */
    2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  /* 0x90 */
    2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  /* 0xa0 */
    2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  /* 0xb0 */
    2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  /* 0xc0 */
    2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  /* 0xd0 */
    2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  /* 0xe0 */
    2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,  /* 0xf0 */
};

#define IS(c, cls) (ctab[(uint8_t)(c)] & (cls))
#define IS_WS(c) ((c) == ' ' || (c) == '\t')

/* ------------------------------------------------------------------ */
/* bounded growable buffer                                             */

void dmsc_gw_buf_init(dmsc_gw_buf_t *b, size_t max)
{
    b->p = NULL;
    b->len = b->cap = 0;
    b->max = max ? max : DMSC_GW_BUF_MAX_DEFAULT;
}

void dmsc_gw_buf_free(dmsc_gw_buf_t *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

int dmsc_gw_buf_reserve(dmsc_gw_buf_t *b, size_t n)
{
    size_t max = b->max ? b->max : DMSC_GW_BUF_MAX_DEFAULT;
    if (n > max || b->len > max - n) return DMSC_ENOBUFS;
    if (b->cap - b->len >= n) return 0;
    size_t want = b->len + n;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < want)
        cap = cap > max / 2 ? max : cap * 2;
    if (cap < want) cap = want;
    uint8_t *np = realloc(b->p, cap);
    if (!np) return DMSC_ENOMEM;
    b->p = np;
    b->cap = cap;
    return 0;
}

int dmsc_gw_buf_append(dmsc_gw_buf_t *b, const void *d, size_t n)
{
    if (n == 0) return 0;
    int rc = dmsc_gw_buf_reserve(b, n);
    if (rc < 0) return rc;
    memcpy(b->p + b->len, d, n);
    b->len += n;
    return 0;
}

int dmsc_gw_buf_append_str(dmsc_gw_buf_t *b, const char *s)
{
    return dmsc_gw_buf_append(b, s, strlen(s));
}

void dmsc_gw_buf_drop(dmsc_gw_buf_t *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    if (n == 0) return;
    memmove(b->p, b->p + n, b->len - n);
    b->len -= n;
}

/* ------------------------------------------------------------------ */
/* parser                                                              */

enum {
    ST_HEAD,       /* waiting for a head */
    ST_DONE,       /* the body is complete: END is next */
    ST_LENGTH,     /* Content-Length body */
    ST_CHUNK_SIZE, /* chunk-size line */
    ST_CHUNK_DATA, /* chunk data */
    ST_CHUNK_CRLF, /* CRLF after chunk data */
    ST_TRAILER,    /* trailer section after the last chunk */
    ST_EOF,        /* body until the connection closes */
    ST_ERROR,
};

void dmsc_http1_parser_init(dmsc_http1_parser_t *p, bool request, const dmsc_http1_limits_t *lim)
{
    memset(p, 0, sizeof(*p));
    p->request = request;
    if (lim) p->lim = *lim;
    if (p->lim.head_max == 0) p->lim.head_max = DMSC_HTTP_HEAD_MAX_DEFAULT;
    if (p->lim.head_max > DMSC_HTTP_HEAD_MAX_LIMIT) p->lim.head_max = DMSC_HTTP_HEAD_MAX_LIMIT;
    p->state = ST_HEAD;
}

void dmsc_http1_parser_expect_response(dmsc_http1_parser_t *p, bool head_request)
{
    p->head_request = head_request;
}

static int fail(dmsc_http1_parser_t *p, dmsc_http1_event_t *ev, int status, const char *reason)
{
    p->state = ST_ERROR;
    p->err_status = p->request ? status : 502;
    p->err_reason = reason;
    ev->type = DMSC_HTTP1_ERROR;
    ev->status = p->err_status;
    ev->reason = reason;
    ev->data = NULL;
    ev->len = 0;
    return DMSC_HTTP1_ERROR;
}

/* Forget the head scan: the next head (or trailer section) starts at offset 0. */
static void scan_reset(dmsc_http1_parser_t *p)
{
    p->scan = 0;
    p->start = 0;
    p->lead = 0;
    p->line1 = false;
    p->partial = false;
}

/* Request parser, start line not yet complete: the method must be a token
 * followed by SP, and not longer than DMSC_HTTP_METHOD_MAX. Checked on the
 * bytes present so that garbage (TLS to a plain port) fails at once, and so
 * that the result does not depend on how the bytes were split. */
static int method_check(dmsc_http1_parser_t *p, dmsc_http1_event_t *ev, const uint8_t *buf,
                        size_t off, size_t lim)
{
    size_t e = lim < off + DMSC_HTTP_METHOD_MAX + 1 ? lim : off + DMSC_HTTP_METHOD_MAX + 1;
    size_t i = off;
    for (; i < e; i++) {
        uint8_t c = buf[i];
        if (IS(c, C_TCHAR)) continue;
        if (c == ' ' && i > off) return 0;
        if (c == '\r' && i == off) return 0; /* an empty line, maybe */
        fail(p, ev, 400, "malformed request line");
        return -1;
    }
    if (i == off + DMSC_HTTP_METHOD_MAX + 1) {
        fail(p, ev, 501, "method too long");
        return -1;
    }
    return 0;
}

/* Finds the end of a head (trailer: a trailer section) in buf[0..len).
 * 1: complete, *end = offset just past the final CRLF; 0: need more;
 * -1: error (ev filled). Resumes at p->scan. */
static int scan_head(dmsc_http1_parser_t *p, dmsc_http1_event_t *ev, const uint8_t *buf, size_t len,
                     bool trailer, size_t *end)
{
    size_t max = p->lim.head_max;
    size_t lim = len < max ? len : max;
    size_t off = p->scan;
    bool check_method = p->request && !trailer;
    for (;;) {
        if (check_method && !p->line1 && method_check(p, ev, buf, off, lim) < 0) return -1;
        if (off >= lim) break;
        const uint8_t *nl = memchr(buf + off, '\n', lim - off);
        if (!nl) break;
        size_t e = (size_t)(nl - buf);
        if (e == off || buf[e - 1] != '\r') {
            fail(p, ev, 400, "bare LF");
            return -1;
        }
        if (e == off + 1) { /* empty line */
            if (trailer || p->line1) {
                *end = e + 1;
                return 1;
            }
            if (++p->lead > DMSC_HTTP1_LEADING_CRLF_MAX) {
                fail(p, ev, 400, "too many empty lines before the start line");
                return -1;
            }
            p->start = e + 1;
        } else {
            p->line1 = true;
        }
        off = e + 1;
        p->scan = off;
    }
    if (len >= max) {
        if (check_method && !p->line1)
            fail(p, ev, 414, "request line too long");
        else
            fail(p, ev, 431, trailer ? "trailer section too large" : "header section too large");
        return -1;
    }
    return 0;
}

/* HTTP-version: 10, 11; 0 for another well-formed HTTP/d.d; -1 otherwise. */
static int parse_version(const uint8_t *v, size_t n)
{
    if (n != 8 || memcmp(v, "HTTP/", 5) != 0 || v[5] < '0' || v[5] > '9' || v[6] != '.' ||
        v[7] < '0' || v[7] > '9')
        return -1;
    if (v[5] == '1' && v[7] == '0') return 10;
    if (v[5] == '1' && v[7] == '1') return 11;
    return 0;
}

/* Content-Length value: 1#(1*DIGIT) with OWS around commas. Every element
 * must be the same number. 0 and *v, or -1. *count: number of elements. */
static int parse_cl(const char *s, size_t n, uint64_t *v, size_t *count)
{
    size_t i = 0;
    *count = 0;
    for (;;) {
        while (i < n && IS_WS(s[i]))
            i++;
        size_t d0 = i;
        uint64_t x = 0;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
            unsigned d = (unsigned)(s[i] - '0');
            if (x > (UINT64_MAX - d) / 10) return -1;
            x = x * 10 + d;
        }
        if (i == d0) return -1;
        if (*count > 0 && x != *v) return -1;
        *v = x;
        (*count)++;
        while (i < n && IS_WS(s[i]))
            i++;
        if (i == n) return 0;
        if (s[i] != ',') return -1;
        i++;
    }
}

typedef struct {
    size_t n;          /* codings seen */
    bool chunked_last; /* the last coding is chunked */
    bool chunked_mid;  /* chunked appears before the last coding */
    bool bad;          /* syntax error */
} te_t;

/* Transfer-Encoding value: 1#( token *( OWS ";" OWS token "=" (token / quoted-string) ) ).
 * Parameters are only checked for being tokens; quoted strings are not
 * accepted in a coding's parameters (no registered coding has any). */
static void parse_te(te_t *t, const char *s, size_t n)
{
    size_t i = 0;
    for (;;) {
        while (i < n && IS_WS(s[i]))
            i++;
        size_t t0 = i;
        while (i < n && IS(s[i], C_TCHAR))
            i++;
        if (i == t0) {
            t->bad = true;
            return;
        }
        bool chunked = dmsc_http_token_eq(s + t0, i - t0, "chunked");
        if (t->chunked_last) t->chunked_mid = true;
        t->chunked_last = chunked;
        t->n++;
        for (;;) {
            while (i < n && IS_WS(s[i]))
                i++;
            if (i == n || s[i] != ';') break;
            i++;
            while (i < n && IS_WS(s[i]))
                i++;
            size_t p0 = i;
            while (i < n && IS(s[i], C_TCHAR))
                i++;
            if (i == p0 || i == n || s[i] != '=') {
                t->bad = true;
                return;
            }
            i++;
            p0 = i;
            while (i < n && IS(s[i], C_TCHAR))
                i++;
            if (i == p0 || chunked) { /* chunked takes no parameters */
                t->bad = true;
                return;
            }
        }
        if (i == n) return;
        if (s[i] != ',') {
            t->bad = true;
            return;
        }
        i++;
    }
}

/* Connection value: comma list of tokens; notes close / keep-alive. */
static void parse_connection(const char *s, size_t n, bool *close, bool *keep)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && (IS_WS(s[i]) || s[i] == ','))
            i++;
        size_t t0 = i;
        while (i < n && s[i] != ',')
            i++;
        size_t t1 = i;
        while (t1 > t0 && IS_WS(s[t1 - 1]))
            t1--;
        if (dmsc_http_token_eq(s + t0, t1 - t0, "close")) *close = true;
        if (dmsc_http_token_eq(s + t0, t1 - t0, "keep-alive")) *keep = true;
    }
}

/* Parses the field lines of buf[from..to) (each ends in CRLF) into h. 0 or -1. */
static int parse_fields(dmsc_http1_parser_t *p, dmsc_http1_event_t *ev, dmsc_http_head_t *h,
                        const uint8_t *buf, size_t from, size_t to)
{
    size_t nf = 0;
    size_t off = from;
    while (off < to) {
        const uint8_t *ls = buf + off;
        const uint8_t *nl = memchr(ls, '\n', to - off); /* scan_head proved it is there */
        const uint8_t *le = nl - 1;                     /* the CR */
        off = (size_t)(nl - buf) + 1;
        if (IS_WS(*ls)) return fail(p, ev, 400, "obsolete line folding"), -1;
        const uint8_t *q = ls;
        while (IS(*q, C_TCHAR))
            q++;
        if (q == ls) return fail(p, ev, 400, "malformed field name"), -1;
        if (*q != ':') {
            if (IS_WS(*q)) return fail(p, ev, 400, "whitespace before colon"), -1;
            return fail(p, ev, 400, "malformed field name"), -1;
        }
        const uint8_t *v = q + 1;
        while (v < le && IS_WS(*v))
            v++;
        const uint8_t *ve = le;
        while (ve > v && IS_WS(ve[-1]))
            ve--;
        for (const uint8_t *x = v; x < ve; x++)
            if (!IS(*x, C_VALUE)) return fail(p, ev, 400, "invalid character in field value"), -1;
        if (nf == DMSC_HTTP_MAX_FIELDS) return fail(p, ev, 431, "too many fields"), -1;
        dmsc_http_field_t *f = &h->fields[nf++];
        f->name = (const char *)ls;
        f->name_len = (size_t)(q - ls);
        f->value = (const char *)v;
        f->value_len = (size_t)(ve - v);
    }
    h->nfields = nf;
    return 0;
}

/* Request line in buf[s..e) (e: the CR). Fills method/target/version. 0 or -1. */
static int parse_request_line(dmsc_http1_parser_t *p, dmsc_http1_event_t *ev, dmsc_http_head_t *h,
                              const uint8_t *s, const uint8_t *e, bool *absolute)
{
    const uint8_t *q = s;
    while (q < e && IS(*q, C_TCHAR))
        q++;
    if (q == s || q == e || *q != ' ') return fail(p, ev, 400, "malformed request line"), -1;
    if ((size_t)(q - s) > DMSC_HTTP_METHOD_MAX) return fail(p, ev, 501, "method too long"), -1;
    h->method = (const char *)s;
    h->method_len = (size_t)(q - s);
    const uint8_t *t = ++q;
    while (q < e && IS(*q, C_TARGET))
        q++;
    if (q == t || q == e || *q != ' ') return fail(p, ev, 400, "malformed request target"), -1;
    h->target = (const char *)t;
    h->target_len = (size_t)(q - t);
    q++;
    int v = parse_version(q, (size_t)(e - q));
    if (v < 0) return fail(p, ev, 400, "malformed HTTP version"), -1;
    if (v == 0) return fail(p, ev, 505, "HTTP version not supported"), -1;
    h->version = (uint8_t)v;

    if (h->method_len == 7 && memcmp(h->method, "CONNECT", 7) == 0)
        return fail(p, ev, 501, "CONNECT not supported"), -1;
    *absolute = false;
    if (t[0] == '/') return 0; /* origin-form */
    if (t[0] == '*' && h->target_len == 1) {
        if (h->method_len == 7 && memcmp(h->method, "OPTIONS", 7) == 0) return 0;
        return fail(p, ev, 400, "asterisk-form target without OPTIONS"), -1;
    }
    /* absolute-form: http[s]://authority[/path][?query] */
    const uint8_t *te = t + h->target_len;
    const uint8_t *c = t;
    while (c < te && *c != ':')
        c++;
    if (!(dmsc_http_token_eq((const char *)t, (size_t)(c - t), "http") ||
          dmsc_http_token_eq((const char *)t, (size_t)(c - t), "https")) ||
        te - c < 3 || c[1] != '/' || c[2] != '/')
        return fail(p, ev, 400, "malformed request target"), -1;
    const uint8_t *a = c + 3, *ae = a;
    while (ae < te && *ae != '/' && *ae != '?') {
        if (!IS(*ae, C_HOST)) return fail(p, ev, 400, "malformed authority in target"), -1;
        ae++;
    }
    if (ae == a) return fail(p, ev, 400, "empty authority in target"), -1;
    h->authority = (const char *)a;
    h->authority_len = (size_t)(ae - a);
    *absolute = true;
    return 0;
}

/* Status line in buf[s..e). 0 or -1. */
static int parse_status_line(dmsc_http1_parser_t *p, dmsc_http1_event_t *ev, dmsc_http_head_t *h,
                             const uint8_t *s, const uint8_t *e)
{
    if (e - s < 12) return fail(p, ev, 502, "malformed status line"), -1;
    int v = parse_version(s, 8);
    if (v < 0 || s[8] != ' ') return fail(p, ev, 502, "malformed status line"), -1;
    if (v == 0) return fail(p, ev, 502, "unsupported HTTP version in response"), -1;
    h->version = (uint8_t)v;
    const uint8_t *d = s + 9;
    if (d[0] < '1' || d[0] > '9' || d[1] < '0' || d[1] > '9' || d[2] < '0' || d[2] > '9')
        return fail(p, ev, 502, "malformed status code"), -1;
    h->status = (d[0] - '0') * 100 + (d[1] - '0') * 10 + (d[2] - '0');
    const uint8_t *r = d + 3;
    if (r < e && *r++ != ' ') return fail(p, ev, 502, "malformed status line"), -1;
    for (const uint8_t *x = r; x < e; x++)
        if (!IS(*x, C_VALUE)) return fail(p, ev, 502, "invalid character in reason phrase"), -1;
    h->reason = (const char *)r;
    h->reason_len = (size_t)(e - r);
    if (h->status == 101) return fail(p, ev, 502, "protocol upgrade not supported"), -1;
    return 0;
}

/* Parses the complete head buf[p->start..end) into ev->head and decides the framing. */
static int parse_head(dmsc_http1_parser_t *p, dmsc_http1_event_t *ev, const uint8_t *buf,
                      size_t end)
{
    dmsc_http_head_t *h = &ev->head;
    h->is_request = p->request;
    h->method = h->target = h->authority = h->reason = NULL;
    h->method_len = h->target_len = h->authority_len = h->reason_len = 0;
    h->status = 0;
    h->nfields = 0;
    h->content_length = 0;
    h->expect_continue = false;

    const uint8_t *s = buf + p->start;
    const uint8_t *nl = memchr(s, '\n', end - p->start);
    bool absolute = false;
    if (p->request) {
        if (parse_request_line(p, ev, h, s, nl - 1, &absolute) < 0) return -1;
    } else {
        if (parse_status_line(p, ev, h, s, nl - 1) < 0) return -1;
    }
    if (parse_fields(p, ev, h, buf, (size_t)(nl - buf) + 1, end - 2) < 0) return -1;

    /* the fields that matter to framing and routing */
    size_t ncl = 0, nhost = 0, nte = 0;
    uint64_t cl = 0;
    bool cl_bad = false, close = false, keep = false, expect = false;
    te_t te = {0};
    const dmsc_http_field_t *host = NULL;
    for (size_t i = 0; i < h->nfields; i++) {
        const dmsc_http_field_t *f = &h->fields[i];
        switch (f->name_len) {
        case 4:
            if (dmsc_http_token_eq(f->name, 4, "host")) {
                nhost++;
                host = f;
            }
            break;
        case 6:
            if (dmsc_http_token_eq(f->name, 6, "expect") &&
                dmsc_http_token_eq(f->value, f->value_len, "100-continue"))
                expect = true;
            break;
        case 10:
            if (dmsc_http_token_eq(f->name, 10, "connection"))
                parse_connection(f->value, f->value_len, &close, &keep);
            break;
        case 14:
            if (dmsc_http_token_eq(f->name, 14, "content-length")) {
                uint64_t v = 0;
                size_t cnt = 0;
                if (parse_cl(f->value, f->value_len, &v, &cnt) < 0 || (ncl > 0 && v != cl) ||
                    (p->request && (ncl > 0 || cnt > 1)))
                    cl_bad = true;
                cl = v;
                ncl++;
            }
            break;
        case 17:
            if (dmsc_http_token_eq(f->name, 17, "transfer-encoding")) {
                nte++;
                parse_te(&te, f->value, f->value_len);
            }
            break;
        default:
            break;
        }
    }

    if (nte) {
        if (h->version == 10)
            return fail(p, ev, 400, "Transfer-Encoding in an HTTP/1.0 message"), -1;
        if (ncl) return fail(p, ev, 400, "both Content-Length and Transfer-Encoding"), -1;
        if (te.bad) return fail(p, ev, 400, "malformed Transfer-Encoding"), -1;
        if (!te.chunked_last || te.chunked_mid)
            return fail(p, ev, 400, "chunked is not the final transfer coding"), -1;
        if (te.n > 1) return fail(p, ev, 501, "transfer coding not supported"), -1;
        h->body = DMSC_HTTP_BODY_CHUNKED;
    } else if (ncl) {
        if (cl_bad) return fail(p, ev, 400, "invalid or duplicate Content-Length"), -1;
        h->body = DMSC_HTTP_BODY_LENGTH;
        h->content_length = cl;
    } else {
        h->body = p->request ? DMSC_HTTP_BODY_NONE : DMSC_HTTP_BODY_EOF;
    }

    p->interim = false;
    if (p->request) {
        if (nhost > 1) return fail(p, ev, 400, "more than one Host"), -1;
        if (nhost == 0 && h->version == 11) return fail(p, ev, 400, "missing Host"), -1;
        if (host) {
            for (size_t i = 0; i < host->value_len; i++)
                if (!IS(host->value[i], C_HOST)) return fail(p, ev, 400, "malformed Host"), -1;
            if (!absolute && host->value_len) {
                h->authority = host->value;
                h->authority_len = host->value_len;
            }
        }
        h->expect_continue = expect && h->version == 11 &&
                             (h->body == DMSC_HTTP_BODY_CHUNKED ||
                              (h->body == DMSC_HTTP_BODY_LENGTH && h->content_length > 0));
    } else {
        if (h->status < 200) p->interim = true;
        if (p->interim || h->status == 204 || h->status == 304 || p->head_request)
            h->body = DMSC_HTTP_BODY_NONE;
    }
    h->keep_alive = h->version == 11 ? !close : (keep && !close);
    if (h->body == DMSC_HTTP_BODY_EOF) h->keep_alive = false;
    if (h->body == DMSC_HTTP_BODY_LENGTH && p->lim.body_max && h->content_length > p->lim.body_max)
        return fail(p, ev, 413, "body larger than allowed"), -1;
    return 0;
}

static int end_message(dmsc_http1_parser_t *p, dmsc_http1_event_t *ev)
{
    ev->type = DMSC_HTTP1_END;
    ev->data = NULL;
    ev->len = 0;
    p->state = ST_HEAD;
    scan_reset(p);
    if (!p->request && !p->interim) p->head_request = false;
    p->interim = false;
    return DMSC_HTTP1_END;
}

/* Chunk-size line [s, e) without CRLF: 1*16HEXDIG then chunk extensions
 * *( BWS ";" BWS token [ BWS "=" BWS ( token / quoted-string ) ] ). */
static int parse_chunk_line(const uint8_t *s, const uint8_t *e, uint64_t *size)
{
    const uint8_t *q = s;
    uint64_t v = 0;
    while (q < e && IS(*q, C_HEX)) {
        if (q - s == 16) return -1;
        uint8_t c = *q++;
        v = v << 4 | (uint64_t)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    if (q == s) return -1;
    *size = v;
    while (q < e) {
        while (q < e && IS_WS(*q))
            q++;
        if (q == e || *q != ';') return -1;
        q++;
        while (q < e && IS_WS(*q))
            q++;
        const uint8_t *n0 = q;
        while (q < e && IS(*q, C_TCHAR))
            q++;
        if (q == n0) return -1;
        const uint8_t *r = q;
        while (r < e && IS_WS(*r))
            r++;
        if (r == e || *r != '=') continue;
        q = r + 1;
        while (q < e && IS_WS(*q))
            q++;
        if (q < e && *q == '"') {
            q++;
            for (;;) {
                if (q == e) return -1;
                uint8_t c = *q++;
                if (c == '"') break;
                if (c == '\\') {
                    if (q == e || !IS(*q, C_VALUE)) return -1;
                    q++;
                } else if (!IS(c, C_VALUE)) {
                    return -1;
                }
            }
        } else {
            const uint8_t *v0 = q;
            while (q < e && IS(*q, C_TCHAR))
                q++;
            if (q == v0) return -1;
        }
    }
    return 0;
}

static int body_event(dmsc_http1_event_t *ev, const uint8_t *d, size_t n)
{
    ev->type = DMSC_HTTP1_BODY;
    ev->data = d;
    ev->len = n;
    return DMSC_HTTP1_BODY;
}

int dmsc_http1_parse(dmsc_http1_parser_t *p, const uint8_t *buf, size_t len, size_t *consumed,
                     dmsc_http1_event_t *ev)
{
    size_t off = 0;
    *consumed = 0;
    for (;;) {
        size_t avail = len - off;
        switch (p->state) {
        case ST_HEAD: {
            size_t end;
            int r = scan_head(p, ev, buf, len, false, &end);
            if (r < 0) return DMSC_HTTP1_ERROR;
            if (r == 0) {
                p->partial = len > p->start;
                ev->type = DMSC_HTTP1_NEED_MORE;
                return DMSC_HTTP1_NEED_MORE;
            }
            if (parse_head(p, ev, buf, end) < 0) return DMSC_HTTP1_ERROR;
            scan_reset(p);
            p->total = 0;
            switch (ev->head.body) {
            case DMSC_HTTP_BODY_LENGTH:
                p->remain = ev->head.content_length;
                p->state = p->remain ? ST_LENGTH : ST_DONE;
                break;
            case DMSC_HTTP_BODY_CHUNKED:
                p->state = ST_CHUNK_SIZE;
                break;
            case DMSC_HTTP_BODY_EOF:
                p->state = ST_EOF;
                break;
            default:
                p->state = ST_DONE;
                break;
            }
            *consumed = end;
            ev->type = DMSC_HTTP1_HEAD;
            ev->data = NULL;
            ev->len = 0;
            return DMSC_HTTP1_HEAD;
        }
        case ST_DONE:
            *consumed = off;
            ev->head.nfields = 0;
            return end_message(p, ev);
        case ST_LENGTH:
        case ST_CHUNK_DATA: {
            if (avail == 0) goto need_more;
            size_t n = p->remain < avail ? (size_t)p->remain : avail;
            p->remain -= n;
            p->total += n;
            if (p->remain == 0) p->state = p->state == ST_LENGTH ? ST_DONE : ST_CHUNK_CRLF;
            *consumed = off + n;
            return body_event(ev, buf + off, n);
        }
        case ST_CHUNK_SIZE: {
            size_t lim = avail < DMSC_HTTP1_CHUNK_LINE_MAX ? avail : DMSC_HTTP1_CHUNK_LINE_MAX;
            const uint8_t *s = buf + off;
            const uint8_t *nl = lim ? memchr(s, '\n', lim) : NULL;
            if (!nl) {
                if (avail >= DMSC_HTTP1_CHUNK_LINE_MAX)
                    return fail(p, ev, 400, "chunk-size line too long");
                goto need_more;
            }
            if (nl == s || nl[-1] != '\r') return fail(p, ev, 400, "bare LF in chunk-size line");
            uint64_t size;
            if (parse_chunk_line(s, nl - 1, &size) < 0)
                return fail(p, ev, 400, "malformed chunk-size line");
            if (p->lim.body_max && size > p->lim.body_max - p->total)
                return fail(p, ev, 413, "body larger than allowed");
            off += (size_t)(nl - s) + 1;
            if (size == 0) {
                p->state = ST_TRAILER;
                scan_reset(p);
            } else {
                p->remain = size;
                p->state = ST_CHUNK_DATA;
            }
            continue;
        }
        case ST_CHUNK_CRLF:
            if (avail == 0) goto need_more;
            if (buf[off] != '\r' || (avail > 1 && buf[off + 1] != '\n'))
                return fail(p, ev, 400, "chunk data not followed by CRLF");
            if (avail < 2) goto need_more;
            off += 2;
            p->state = ST_CHUNK_SIZE;
            continue;
        case ST_TRAILER: {
            size_t end;
            int r = scan_head(p, ev, buf + off, avail, true, &end);
            if (r < 0) return DMSC_HTTP1_ERROR;
            if (r == 0) goto need_more;
            if (parse_fields(p, ev, &ev->head, buf + off, 0, end - 2) < 0) return DMSC_HTTP1_ERROR;
            *consumed = off + end;
            return end_message(p, ev);
        }
        case ST_EOF: {
            if (avail == 0) goto need_more;
            size_t n = avail;
            if (p->lim.body_max && n > p->lim.body_max - p->total) {
                if (p->total == p->lim.body_max)
                    return fail(p, ev, 413, "body larger than allowed");
                n = (size_t)(p->lim.body_max - p->total);
            }
            p->total += n;
            *consumed = off + n;
            return body_event(ev, buf + off, n);
        }
        default: /* ST_ERROR */
            ev->type = DMSC_HTTP1_ERROR;
            ev->status = p->err_status;
            ev->reason = p->err_reason;
            ev->data = NULL;
            ev->len = 0;
            return DMSC_HTTP1_ERROR;
        }
    }
need_more:
    *consumed = off;
    ev->type = DMSC_HTTP1_NEED_MORE;
    return DMSC_HTTP1_NEED_MORE;
}

int dmsc_http1_parse_eof(dmsc_http1_parser_t *p, dmsc_http1_event_t *ev)
{
    switch (p->state) {
    case ST_EOF:
    case ST_DONE:
        ev->head.nfields = 0;
        return end_message(p, ev);
    case ST_HEAD:
        if (!p->partial) {
            ev->type = DMSC_HTTP1_NEED_MORE;
            return DMSC_HTTP1_NEED_MORE;
        }
        return fail(p, ev, 400, "truncated head");
    case ST_ERROR: {
        size_t c;
        return dmsc_http1_parse(p, NULL, 0, &c, ev);
    }
    default:
        return fail(p, ev, 400, "truncated body");
    }
}

/* ------------------------------------------------------------------ */
/* serializers                                                         */

static const struct {
    int status;
    const char *text;
} reasons[] = {
    {100, "Continue"},
    {101, "Switching Protocols"},
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {203, "Non-Authoritative Information"},
    {204, "No Content"},
    {205, "Reset Content"},
    {206, "Partial Content"},
    {300, "Multiple Choices"},
    {301, "Moved Permanently"},
    {302, "Found"},
    {303, "See Other"},
    {304, "Not Modified"},
    {307, "Temporary Redirect"},
    {308, "Permanent Redirect"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {402, "Payment Required"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {406, "Not Acceptable"},
    {407, "Proxy Authentication Required"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {410, "Gone"},
    {411, "Length Required"},
    {412, "Precondition Failed"},
    {413, "Content Too Large"},
    {414, "URI Too Long"},
    {415, "Unsupported Media Type"},
    {416, "Range Not Satisfiable"},
    {417, "Expectation Failed"},
    {421, "Misdirected Request"},
    {422, "Unprocessable Content"},
    {425, "Too Early"},
    {426, "Upgrade Required"},
    {428, "Precondition Required"},
    {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
    {505, "HTTP Version Not Supported"},
};

const char *dmsc_http1_reason(int status)
{
    for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
        if (reasons[i].status == status) return reasons[i].text;
    return "";
}

int dmsc_http1_response_body(uint8_t version, bool length_known)
{
    if (length_known) return DMSC_HTTP_BODY_LENGTH;
    return version >= 11 ? DMSC_HTTP_BODY_CHUNKED : DMSC_HTTP_BODY_EOF;
}

static bool all_of(const char *s, size_t n, int cls)
{
    for (size_t i = 0; i < n; i++)
        if (!IS(s[i], cls)) return false;
    return true;
}

/* Fields the serializer writes itself. */
static bool framing_field(const dmsc_http_field_t *f)
{
    return (f->name_len == 14 && dmsc_http_token_eq(f->name, 14, "content-length")) ||
           (f->name_len == 17 && dmsc_http_token_eq(f->name, 17, "transfer-encoding")) ||
           (f->name_len == 10 && dmsc_http_token_eq(f->name, 10, "connection"));
}

static int put_fields(dmsc_gw_buf_t *b, const dmsc_http_field_t *fields, size_t n)
{
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const dmsc_http_field_t *f = &fields[i];
        if (f->name_len == 0 || !all_of(f->name, f->name_len, C_TCHAR) ||
            !all_of(f->value, f->value_len, C_VALUE))
            return DMSC_EINVAL;
        if (framing_field(f)) continue;
        if ((rc = dmsc_gw_buf_append(b, f->name, f->name_len)) == 0 &&
            (rc = dmsc_gw_buf_append(b, ": ", 2)) == 0 &&
            (rc = dmsc_gw_buf_append(b, f->value, f->value_len)) == 0)
            rc = dmsc_gw_buf_append(b, "\r\n", 2);
    }
    return rc;
}

static int put_u64(dmsc_gw_buf_t *b, uint64_t v, unsigned base)
{
    char tmp[24];
    size_t i = sizeof(tmp);
    do {
        tmp[--i] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    return dmsc_gw_buf_append(b, tmp + i, sizeof(tmp) - i);
}

/* Framing fields, the Connection field and the empty line. */
static int put_framing(dmsc_gw_buf_t *b, int body, uint64_t cl, const char *conn)
{
    int rc = 0;
    if (body == DMSC_HTTP_BODY_LENGTH) {
        if ((rc = dmsc_gw_buf_append_str(b, "Content-Length: ")) == 0 &&
            (rc = put_u64(b, cl, 10)) == 0)
            rc = dmsc_gw_buf_append(b, "\r\n", 2);
    } else if (body == DMSC_HTTP_BODY_CHUNKED) {
        rc = dmsc_gw_buf_append_str(b, "Transfer-Encoding: chunked\r\n");
    }
    if (rc == 0 && conn) {
        if ((rc = dmsc_gw_buf_append_str(b, "Connection: ")) == 0 &&
            (rc = dmsc_gw_buf_append_str(b, conn)) == 0)
            rc = dmsc_gw_buf_append(b, "\r\n", 2);
    }
    if (rc == 0) rc = dmsc_gw_buf_append(b, "\r\n", 2);
    return rc;
}

int dmsc_http1_write_request(dmsc_gw_buf_t *b, const char *method, size_t method_len,
                             const char *target, size_t target_len, const dmsc_http_field_t *fields,
                             size_t nfields, int body, uint64_t content_length, bool keep_alive)
{
    if (method_len == 0 || method_len > DMSC_HTTP_METHOD_MAX ||
        !all_of(method, method_len, C_TCHAR) || target_len == 0 ||
        !all_of(target, target_len, C_TARGET) ||
        (body != DMSC_HTTP_BODY_NONE && body != DMSC_HTTP_BODY_LENGTH &&
         body != DMSC_HTTP_BODY_CHUNKED))
        return DMSC_EINVAL;
    size_t mark = b->len;
    int rc;
    if ((rc = dmsc_gw_buf_append(b, method, method_len)) == 0 &&
        (rc = dmsc_gw_buf_append(b, " ", 1)) == 0 &&
        (rc = dmsc_gw_buf_append(b, target, target_len)) == 0 &&
        (rc = dmsc_gw_buf_append_str(b, " HTTP/1.1\r\n")) == 0 &&
        (rc = put_fields(b, fields, nfields)) == 0)
        rc = put_framing(b, body, content_length, keep_alive ? NULL : "close");
    if (rc < 0) b->len = mark;
    return rc;
}

int dmsc_http1_write_response(dmsc_gw_buf_t *b, int status, const char *reason,
                              const dmsc_http_field_t *fields, size_t nfields, int body,
                              uint64_t content_length, uint8_t version, bool keep_alive)
{
    if (status < 100 || status > 999 || (version != 10 && version != 11) ||
        (body != DMSC_HTTP_BODY_NONE && body != DMSC_HTTP_BODY_LENGTH &&
         body != DMSC_HTTP_BODY_CHUNKED && body != DMSC_HTTP_BODY_EOF) ||
        (body == DMSC_HTTP_BODY_CHUNKED && version == 10))
        return DMSC_EINVAL;
    if (!reason) reason = dmsc_http1_reason(status);
    size_t rlen = strlen(reason);
    if (!all_of(reason, rlen, C_VALUE)) return DMSC_EINVAL;
    const char *conn = NULL;
    if (status < 200 || status == 204 || status == 304) body = DMSC_HTTP_BODY_NONE;
    if (status >= 200) {
        if (!keep_alive || body == DMSC_HTTP_BODY_EOF)
            conn = "close";
        else if (version == 10)
            conn = "keep-alive";
    }
    char line[16] = "HTTP/1.1 000 ";
    line[9] = (char)('0' + status / 100);
    line[10] = (char)('0' + status / 10 % 10);
    line[11] = (char)('0' + status % 10);
    size_t mark = b->len;
    int rc;
    if ((rc = dmsc_gw_buf_append(b, line, 13)) == 0 &&
        (rc = dmsc_gw_buf_append(b, reason, rlen)) == 0 &&
        (rc = dmsc_gw_buf_append(b, "\r\n", 2)) == 0 && (rc = put_fields(b, fields, nfields)) == 0)
        rc = put_framing(b, body, content_length, conn);
    if (rc < 0) b->len = mark;
    return rc;
}

int dmsc_http1_write_chunk_header(dmsc_gw_buf_t *b, uint64_t n)
{
    if (n == 0) return DMSC_EINVAL;
    size_t mark = b->len;
    int rc = put_u64(b, n, 16);
    if (rc == 0) rc = dmsc_gw_buf_append(b, "\r\n", 2);
    if (rc < 0) b->len = mark;
    return rc;
}

int dmsc_http1_write_last_chunk(dmsc_gw_buf_t *b, const dmsc_http_field_t *trailers,
                                size_t ntrailers)
{
    size_t mark = b->len;
    int rc = dmsc_gw_buf_append(b, "0\r\n", 3);
    if (rc == 0 && ntrailers) rc = put_fields(b, trailers, ntrailers);
    if (rc == 0) rc = dmsc_gw_buf_append(b, "\r\n", 2);
    if (rc < 0) b->len = mark;
    return rc;
}

int dmsc_http1_write_continue(dmsc_gw_buf_t *b)
{
    return dmsc_gw_buf_append_str(b, "HTTP/1.1 100 Continue\r\n\r\n");
}
