/*
 * Egress: the caller's side of the gateway. Applications send plain
 * HTTP/1.x to their node (gateway.http TCP listener, gateway.unix socket);
 * each request becomes a named request (docs/http-mapping.md) and the
 * answer becomes the HTTP response. One request per connection is in
 * progress at a time; pipelined requests wait in the input buffer and are
 * answered in order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "base/err.h"
#include "base/log.h"
#include "gw/gw_int.h"
#include "ndn/lp.h"

#define LOGM "gw"

#define OUT_PAUSE_BYTES (1u << 20) /* queued to a slow client: pause the fetch */
#define OUT_RESUME_BYTES (256u << 10)
#define IN_MAX_EXTRA (256u << 10) /* pipelined bytes buffered beyond a head */
#define IDLE_TIMEOUT_MS 60000     /* a keep-alive connection with no request in progress */
#define HEAD_HOLD_MS 100          /* a held response head goes out by the sweep after this */
#define HEAD_TIMEOUT_MS 10000     /* from a request's first byte to its complete head */
#define REQUEST_RETX_MS 500       /* a GET/HEAD unanswered this long is sent again (doubling) */

enum { BODY_NONE, BODY_INLINE, BODY_STREAM };

typedef struct ereq {
    gw_econn_t *c;
    gw_head_copy_t hc;
    dmsc_namebuf_t prefix;
    char target[DMSC_HMAP_TARGET_MAX + 1]; /* origin-form, after strip */
    size_t target_len;
    bool stable, is_head, resp_started, done;
    int body_mode;
    dmsc_gw_buf_t body; /* BODY_INLINE */
    gw_stream_t *bstream;
    dmsc_namebuf_t body_name;
    bool body_ended;
    uint64_t body_bytes;
    gw_wait_t *w;
    dmsc_namebuf_t iname; /* the Interest name */
    gw_fetch_t *fetch;
    int resp_framing;
} ereq_t;

typedef struct {
    uv_write_t wr;
    gw_econn_t *c;
    size_t len;
    uint8_t data[];
} wbuf_t;

static void conn_process(gw_econn_t *c);
static void req_free(ereq_t *r);

/* ---- output ---- */

static void on_written(uv_write_t *wr, int status)
{
    wbuf_t *w = (wbuf_t *)wr;
    gw_econn_t *c = w->c;
    c->wq_bytes -= w->len;
    free(w);
    if (status < 0) {
        gw__econn_close(c);
        return;
    }
    if (c->closing) return;
    if (c->h2 && c->wq_bytes < OUT_RESUME_BYTES) gw__h2_writable(c);
    if (c->closing) return;
    if (c->req && c->req->fetch && c->wq_bytes < OUT_RESUME_BYTES) gw__fetch_resume(c->req->fetch);
    /* close once the response in progress (if any) is complete and written */
    if (c->want_close && c->wq_bytes == 0 && (!c->req || c->req->done)) gw__econn_close(c);
}

/* Put c on the gateway's dirty list (flushed at the end of the turn). */
static void dirty_add(gw_econn_t *c)
{
    if (c->dpprev) return;
    dmsc_gw_t *g = c->g;
    c->dnext = g->dirty;
    if (c->dnext) c->dnext->dpprev = &c->dnext;
    c->dpprev = &g->dirty;
    g->dirty = c;
}

int gw__econn_write(gw_econn_t *c, const void *p, size_t n)
{
    if (c->closing || !n) return 0;
    if (dmsc_gw_buf_append(&c->out, p, n)) return DMSC_ENOMEM;
    c->wq_bytes += n;
    dirty_add(c);
    return 0;
}

static void dirty_remove(gw_econn_t *c)
{
    if (!c->dpprev) return;
    *c->dpprev = c->dnext;
    if (c->dnext) c->dnext->dpprev = c->dpprev;
    c->dpprev = NULL;
    c->dnext = NULL;
}

/* Write c->out: directly when nothing is in flight (no copy, and no epoll
 * interest toggling as uv_write does per call), the rest as one uv_write. */
static void conn_flush(gw_econn_t *c)
{
    dirty_remove(c);
    if (c->closing || !c->out.len || c->hold_since) return;
    uv_buf_t b = uv_buf_init((char *)c->out.p, (unsigned)c->out.len);
    int w = uv_try_write(&c->u.s, &b, 1);
    size_t done = w > 0 ? (size_t)w : 0;
    if (w < 0 && w != UV_EAGAIN) {
        gw__econn_close(c);
        return;
    }
    c->wq_bytes -= done;
    if (done < c->out.len) {
        size_t n = c->out.len - done;
        wbuf_t *wb = malloc(sizeof *wb + n);
        if (!wb) {
            gw__econn_close(c);
            return;
        }
        wb->c = c;
        wb->len = n;
        memcpy(wb->data, c->out.p + done, n);
        uv_buf_t rb = uv_buf_init((char *)wb->data, (unsigned)n);
        if (uv_write(&wb->wr, &c->u.s, &rb, 1, on_written)) {
            free(wb);
            gw__econn_close(c);
            return;
        }
    }
    c->out.len = 0;
    if (c->out.cap > (1u << 20)) dmsc_gw_buf_free(&c->out); /* do not keep a burst's buffer */
    if (c->h2 && c->wq_bytes < OUT_RESUME_BYTES) gw__h2_writable(c);
    if (c->closing) return;
    if (c->req && c->req->fetch && c->wq_bytes < OUT_RESUME_BYTES) gw__fetch_resume(c->req->fetch);
    if (c->closing) return;
    if (c->want_close && c->wq_bytes == 0 && (!c->req || c->req->done)) gw__econn_close(c);
}

/* Stop holding c's output back; it goes out with this turn's flush. */
static void hold_release(gw_econn_t *c)
{
    if (!c->hold_since) return;
    c->hold_since = 0;
    if (c->out.len) dirty_add(c);
}

static void flush_all(dmsc_gw_t *g)
{
    gw__streams_cut(g);
    /* a flush can queue more output (a resumed fetch): loop until quiet */
    for (int round = 0; g->dirty && round < 8; round++) {
        gw_econn_t *list = g->dirty;
        while (list) {
            gw_econn_t *c = list;
            list = c->dnext;
            conn_flush(c);
        }
    }
}

static void on_flush(uv_check_t *h)
{
    flush_all(h->data);
}

static void on_flush_prep(uv_prepare_t *h)
{
    flush_all(h->data);
}

static int conn_write_buf(gw_econn_t *c, dmsc_gw_buf_t *b)
{
    int rc = gw__econn_write(c, b->p, b->len);
    dmsc_gw_buf_free(b);
    return rc;
}

void gw__error_response(gw_errresp_t *e, int kind, int status, const char *detail)
{
    const char *name = dmsc_hmap_error_name(kind);
    int n = snprintf(e->body, sizeof e->body, "dmsc: %s%s%s\n", name, detail && *detail ? ": " : "",
                     detail ? detail : "");
    e->len = n < 0 ? 0 : (size_t)n >= sizeof e->body ? sizeof e->body - 1 : (size_t)n;
    e->status = status ? status : dmsc_hmap_error_status(kind);
    e->f[0] = (dmsc_http_field_t){DMSC_HMAP_ERROR_HEADER, sizeof DMSC_HMAP_ERROR_HEADER - 1, name,
                                  strlen(name)};
    e->f[1] = (dmsc_http_field_t){"content-type", 12, "text/plain; charset=utf-8", 25};
}

static int write_errresp(dmsc_gw_buf_t *b, const gw_errresp_t *e, bool keep_alive)
{
    int rc = dmsc_http1_write_response(b, e->status, NULL, e->f, 2, DMSC_HTTP_BODY_LENGTH, e->len,
                                       11, keep_alive);
    if (!rc) rc = dmsc_gw_buf_append(b, e->body, e->len);
    return rc;
}

int gw__write_error(dmsc_gw_buf_t *b, int kind, const char *detail, bool keep_alive)
{
    gw_errresp_t e;
    gw__error_response(&e, kind, 0, detail);
    return write_errresp(b, &e, keep_alive);
}

void gw__answer(dmsc_gw_t *g, const dmsc_name_t *prefix, int result, const dmsc_data_t *d,
                bool is_head, gw_answer_t *a)
{
    static dmsc_hmap_response_t resp;
    static dmsc_hmap_fieldset_t fs;
    a->err = 0;
    a->msg[0] = 0;
    a->resp = NULL;
    a->fs = NULL;
    if (result == GW_RESULT_TIMEOUT) {
        a->err = DMSC_HMAP_ERR_TIMEOUT;
        return;
    }
    if (result == GW_RESULT_NACK) {
        const dmsc_route_t *routes;
        bool routed = dmsc_rib_find(g->rib, prefix, &routes) > 0;
        a->err = routed ? DMSC_HMAP_ERR_NO_HEALTHY_INSTANCE : DMSC_HMAP_ERR_NO_ROUTE;
        return;
    }
    int kind = dmsc_hmap_content_kind(d->content.p, d->content.n);
    if (kind == DMSC_HMAP_TT_ERROR) {
        dmsc_hmap_error_t e;
        if (dmsc_hmap_error_decode(d->content.p, d->content.n, &e)) {
            e.code = DMSC_HMAP_ERR_BAD_RESPONSE;
            e.message_len = 0;
        }
        if (e.message && e.message_len)
            snprintf(a->msg, sizeof a->msg, "%.*s", (int)e.message_len, e.message);
        a->err = e.code > 0 && e.code <= DMSC_HMAP_ERR_MAX ? e.code : DMSC_HMAP_ERR_INTERNAL;
        return;
    }
    if (kind != DMSC_HMAP_TT_RESPONSE ||
        dmsc_hmap_response_decode(d->content.p, d->content.n, &resp)) {
        a->err = DMSC_HMAP_ERR_BAD_RESPONSE;
        snprintf(a->msg, sizeof a->msg, "undecodable response");
        return;
    }
    if (dmsc_hmap_client_response_fields(&resp, is_head || resp.status == 304, g->pseudonym, &fs)) {
        a->err = DMSC_HMAP_ERR_BAD_RESPONSE;
        snprintf(a->msg, sizeof a->msg, "response fields");
        return;
    }
    a->resp = &resp;
    a->fs = &fs;
}

int gw__fetch_response(dmsc_gw_t *g, const dmsc_name_t *iname, const dmsc_hmap_response_t *resp,
                       bool stable, const gw_fetch_cb_t *cb, void *arg, gw_fetch_t **out)
{
    /* segments: the Interest name with its digest made generic, then seg=N */
    dmsc_namebuf_t seg0;
    int rc = dmsc_hmap_segment_name(iname, 0, &seg0);
    if (rc) return rc;
    dmsc_name_t base;
    dmsc_name_get_prefix(&seg0.name, seg0.name.ncomps - 1, &base);
    rc = gw__fetch_new(g, &base, &resp->producer, stable, g->cfg.gateway.body_max,
                       resp->has_last_segment ? resp->last_segment : UINT64_MAX, cb, arg, out);
    if (rc == 0 && resp->has_body_length) gw__fetch_expect_length(*out, resp->body_length);
    return rc;
}

/* Answer the current request with a gateway error. Before the response
 * started: a proper error response (the connection stays open if it can);
 * after: the only honest signal left is closing the connection. */
static void req_error(ereq_t *r, int kind, const char *detail)
{
    gw_econn_t *c = r->c;
    dmsc_gw_t *g = c->g;
    g->ctr.egress_errors[kind <= DMSC_HMAP_ERR_MAX ? kind : DMSC_HMAP_ERR_INTERNAL]++;
    DMSC_LOGD(LOGM, "event=egress-error kind=%s detail=%s", dmsc_hmap_error_name(kind),
              detail ? detail : "");
    if (r->resp_started) {
        c->want_close = true;
        r->done = true;
        if (c->wq_bytes == 0) gw__econn_close(c);
        return;
    }
    /* the unread rest of a request body makes the connection unusable */
    bool keep = r->hc.h.keep_alive && (r->body_mode == BODY_NONE || r->body_ended);
    dmsc_gw_buf_t b;
    dmsc_gw_buf_init(&b, 0);
    if (gw__write_error(&b, kind, detail, keep) == 0)
        conn_write_buf(c, &b);
    else
        dmsc_gw_buf_free(&b);
    r->resp_started = r->done = true;
    if (!keep) c->want_close = true;
}

/* ---- request lifecycle ---- */

int gw__head_copy(gw_head_copy_t *hc, const dmsc_http_head_t *h)
{
    size_t total = h->method_len + h->target_len + h->authority_len + 3;
    for (size_t i = 0; i < h->nfields; i++)
        total += h->fields[i].name_len + h->fields[i].value_len + 2;
    char *s = malloc(total + 1);
    if (!s) return DMSC_ENOMEM;
    hc->h = *h;
    hc->store = s;
#define CP(ptr, len)                                                                               \
    do {                                                                                           \
        if (ptr) {                                                                                 \
            memcpy(s, ptr, len);                                                                   \
            s[len] = 0;                                                                            \
            ptr = s;                                                                               \
            s += (len) + 1;                                                                        \
        }                                                                                          \
    } while (0)
    CP(hc->h.method, h->method_len);
    CP(hc->h.target, h->target_len);
    CP(hc->h.authority, h->authority_len);
    for (size_t i = 0; i < h->nfields; i++) {
        CP(hc->h.fields[i].name, h->fields[i].name_len);
        CP(hc->h.fields[i].value, h->fields[i].value_len);
    }
#undef CP
    return 0;
}

/* Resolve the service prefix and the upstream target of a request.
 * Returns 0 or a DMSC_HMAP_ERR_* kind. */
int gw__resolve(dmsc_gw_t *g, const dmsc_http_head_t *h, dmsc_namebuf_t *prefix, char *target,
                size_t *target_len)
{
    const char *t = h->target;
    size_t tl = h->target_len;
    /* absolute-form: keep the path part */
    if (tl > 7 && (!strncasecmp(t, "http://", 7) || !strncasecmp(t, "https://", 8))) {
        const char *p = memchr(t + 8, '/', tl - 8);
        const char *q = memchr(t + 8, '?', tl - 8);
        if (q && (!p || q < p)) p = q;
        if (!p) {
            t = "/";
            tl = 1;
        } else {
            tl -= (size_t)(p - t);
            t = p;
        }
    }
    if (tl == 0 || (t[0] != '/' && !(tl == 1 && t[0] == '*')))
        return DMSC_HMAP_ERR_MALFORMED_REQUEST;
    if (tl > DMSC_HMAP_TARGET_MAX) return DMSC_HMAP_ERR_URI_TOO_LONG;
    /* path mappings first (longest match) */
    const dmsc_config_gw_path_t *best = NULL;
    size_t best_len = 0;
    for (size_t i = 0; i < g->cfg.gateway.n_paths; i++) {
        const dmsc_config_gw_path_t *pm = &g->cfg.gateway.paths[i];
        size_t n = strlen(pm->path);
        if (n <= tl && !memcmp(t, pm->path, n) && n > best_len &&
            (n == tl || pm->path[n - 1] == '/' || t[n] == '/' || t[n] == '?')) {
            best = pm;
            best_len = n;
        }
    }
    if (best) {
        if (dmsc_namebuf_from_uri(prefix, best->prefix)) return DMSC_HMAP_ERR_INTERNAL;
        if (best->strip) {
            t += best_len;
            tl -= best_len;
            if (best->path[best_len - 1] == '/') { /* keep the slash */
                t--;
                tl++;
            }
            if (tl == 0 || t[0] != '/') {
                target[0] = '/';
                memcpy(target + 1, t, tl);
                *target_len = tl + 1;
                return 0;
            }
        }
        memcpy(target, t, tl);
        *target_len = tl;
        return 0;
    }
    memcpy(target, t, tl);
    *target_len = tl;
    if (!h->authority || !h->authority_len) return DMSC_HMAP_ERR_BAD_HOST;
    /* explicit host mappings, then the reversed-labels rule */
    size_t al = h->authority_len;
    const char *colon = memchr(h->authority, ':', al);
    if (colon && h->authority[0] != '[') al = (size_t)(colon - h->authority);
    for (size_t i = 0; i < g->cfg.gateway.n_hosts; i++) {
        const dmsc_config_gw_host_t *hm = &g->cfg.gateway.hosts[i];
        if (strlen(hm->host) == al && !strncasecmp(hm->host, h->authority, al)) {
            if (dmsc_namebuf_from_uri(prefix, hm->prefix)) return DMSC_HMAP_ERR_INTERNAL;
            return 0;
        }
    }
    if (dmsc_hmap_host_to_prefix(h->authority, h->authority_len, prefix))
        return DMSC_HMAP_ERR_BAD_HOST;
    return 0;
}

static void on_response(void *arg, int result, const dmsc_data_t *d, uint64_t nack_reason);

int gw__express_request(dmsc_gw_t *g, const gw_request_t *rq, gw_result_cb cb, void *arg,
                        gw_wait_t **w, dmsc_namebuf_t *iname)
{
    static dmsc_hmap_fieldset_t fs;
    static dmsc_hmap_request_t q;
    dmsc_hmap_request_init(&q);
    int rc = dmsc_hmap_request_fields(rq->head, !rq->stable,
                                      rq->peer && rq->peer[0] ? rq->peer : NULL, &fs);
    if (rc)
        return rc == DMSC_ETOOBIG ? DMSC_HMAP_ERR_HEADERS_TOO_LARGE
                                  : DMSC_HMAP_ERR_MALFORMED_REQUEST;
    q.method = rq->head->method;
    q.method_len = rq->head->method_len;
    q.target = rq->target;
    q.target_len = rq->target_len;
    q.authority = rq->head->authority;
    q.authority_len = rq->head->authority ? rq->head->authority_len : 0;
    q.scheme = "http";
    q.scheme_len = 4;
    q.version = rq->head->version;
    q.te_trailers = fs.te_trailers;
    memcpy(q.fields, fs.f, fs.n * sizeof *fs.f);
    q.nfields = fs.n;
    if (!rq->stable) {
        q.has_request_id = true;
        randombytes_buf(q.request_id, sizeof q.request_id);
    }
    q.body = rq->body;
    q.body_data = rq->body_data;
    if (rq->body == DMSC_HMAP_BODY_NAMED) {
        q.body_name = *rq->body_name;
        q.has_body_length = rq->has_body_length;
        q.body_length = rq->body_length;
    }
    static uint8_t buf[4 * DMSC_TLV_DGRAM_MAX];
    dmsc_slice_t wire;
    uint32_t nonce = gw__nonce(g);
    rc = dmsc_hmap_request_encode(rq->prefix, &q, nonce, g->cfg.gateway.timeout_ms, -1, buf,
                                  sizeof buf, &wire);
    if (rc == DMSC_ENAMELEN || rc == DMSC_ENAMECOMPS) return DMSC_HMAP_ERR_URI_TOO_LONG;
    if (rc == DMSC_ETOOBIG || rc == DMSC_ENOBUFS) return DMSC_HMAP_ERR_HEADERS_TOO_LARGE;
    if (rc) return DMSC_HMAP_ERR_MALFORMED_REQUEST;
    if (wire.n > DMSC_TLV_DGRAM_MAX) return DMSC_HMAP_ERR_HEADERS_TOO_LARGE;
    dmsc_interest_t in;
    if (dmsc_interest_decode(&in, wire.p, wire.n, DMSC_TLV_MAX_PACKET))
        return DMSC_HMAP_ERR_INTERNAL;
    dmsc_namebuf_copy(iname, &in.name);
    /* a GET or HEAD may reach the service twice: sent again while pending,
     * so one lost packet does not cost the whole timeout; other methods
     * are sent once (a copy could run the request twice) */
    if (rq->stable)
        rc = gw__express_retx(g, wire.p, wire.n, &in.name, g->cfg.gateway.timeout_ms,
                              REQUEST_RETX_MS, cb, arg, w);
    else
        rc = gw__express(g, wire.p, wire.n, &in.name, g->cfg.gateway.timeout_ms, cb, arg, w);
    if (rc) return DMSC_HMAP_ERR_INTERNAL;
    return 0;
}

static int send_interest(ereq_t *r)
{
    gw_econn_t *c = r->c;
    gw_request_t rq = {.head = &r->hc.h,
                       .prefix = &r->prefix.name,
                       .target = r->target,
                       .target_len = r->target_len,
                       .stable = r->stable,
                       .peer = c->peer};
    if (r->body_mode == BODY_INLINE) {
        rq.body = DMSC_HMAP_BODY_INLINE;
        rq.body_data = dmsc_slice(r->body.p, r->body.len);
    } else if (r->body_mode == BODY_STREAM) {
        rq.body = DMSC_HMAP_BODY_NAMED;
        rq.body_name = &r->body_name.name;
        rq.has_body_length = r->hc.h.body == DMSC_HTTP_BODY_LENGTH;
        rq.body_length = r->hc.h.content_length;
    }
    int kind = gw__express_request(c->g, &rq, on_response, r, &r->w, &r->iname);
    return kind;
}

/* ---- response body ---- */

static int fetch_data(void *arg, const uint8_t *p, size_t n)
{
    ereq_t *r = arg;
    gw_econn_t *c = r->c;
    c->g->ctr.body_bytes_out += n;
    if (r->is_head) return 0;
    hold_release(c);
    if (r->resp_framing == DMSC_HTTP_BODY_CHUNKED) {
        dmsc_gw_buf_t b;
        dmsc_gw_buf_init(&b, 0);
        dmsc_http1_write_chunk_header(&b, n);
        conn_write_buf(c, &b);
        gw__econn_write(c, p, n);
        gw__econn_write(c, DMSC_HTTP1_CRLF, 2);
    } else {
        gw__econn_write(c, p, n);
    }
    return c->wq_bytes > OUT_PAUSE_BYTES ? 1 : 0;
}

static void req_complete(ereq_t *r);

/* req_error, then the request is complete, unless the error closed the
 * connection (a response already started: r is freed then). */
static void req_fail(ereq_t *r, int kind, const char *detail)
{
    gw_econn_t *c = r->c;
    req_error(r, kind, detail);
    if (!c->closing) req_complete(r);
}

static void fetch_end(void *arg, const dmsc_http_field_t *trailers, size_t ntrailers)
{
    ereq_t *r = arg;
    gw_econn_t *c = r->c;
    if (r->resp_framing == DMSC_HTTP_BODY_CHUNKED && !r->is_head) {
        dmsc_gw_buf_t b;
        dmsc_gw_buf_init(&b, 0);
        dmsc_http1_write_last_chunk(&b, trailers, ntrailers);
        conn_write_buf(c, &b);
    }
    if (r->resp_framing == DMSC_HTTP_BODY_EOF) c->want_close = true;
    req_complete(r);
}

static void fetch_error(void *arg, int kind)
{
    ereq_t *r = arg;
    req_fail(r, kind, "while fetching the response body");
}

static void respond(ereq_t *r, const gw_answer_t *a)
{
    gw_econn_t *c = r->c;
    dmsc_gw_t *g = c->g;
    const dmsc_hmap_response_t *rp = a->resp;
    const dmsc_hmap_fieldset_t *fs = a->fs;
    uint8_t ver = r->hc.h.version;
    bool keep = r->hc.h.keep_alive && (r->body_mode == BODY_NONE || r->body_ended);
    dmsc_gw_buf_t b;
    dmsc_gw_buf_init(&b, 16u << 20);
    int framing;
    uint64_t len = 0;
    bool nobody = rp->status < 200 || rp->status == 204 || rp->status == 304;
    if (r->is_head || nobody) {
        /* state the length the upstream declared, send no body */
        const dmsc_http_field_t *cl = NULL;
        for (size_t i = 0; i < rp->nfields; i++)
            if (dmsc_http_token_eq(rp->fields[i].name, rp->fields[i].name_len, "content-length"))
                cl = &rp->fields[i];
        framing = DMSC_HTTP_BODY_NONE;
        if (cl && !nobody) {
            framing = DMSC_HTTP_BODY_LENGTH;
            for (size_t i = 0; i < cl->value_len && cl->value[i] >= '0' && cl->value[i] <= '9'; i++)
                len = len * 10 + (uint64_t)(cl->value[i] - '0');
        }
    } else if (rp->body == DMSC_HMAP_BODY_SEGMENTED) {
        framing = dmsc_http1_response_body(ver, rp->has_body_length);
        len = rp->body_length;
    } else {
        framing = DMSC_HTTP_BODY_LENGTH;
        len = rp->body == DMSC_HMAP_BODY_INLINE ? rp->body_data.n : 0;
    }
    if (framing == DMSC_HTTP_BODY_EOF) keep = false;
    char reason[128];
    snprintf(reason, sizeof reason, "%.*s", (int)(rp->reason_len < 127 ? rp->reason_len : 127),
             rp->reason ? rp->reason : "");
    int rc = dmsc_http1_write_response(&b, rp->status, reason[0] ? reason : NULL, fs->f, fs->n,
                                       framing, len, ver, keep);
    if (rc) {
        dmsc_gw_buf_free(&b);
        req_fail(r, DMSC_HMAP_ERR_BAD_RESPONSE, "response head");
        return;
    }
    r->resp_started = true;
    r->resp_framing = framing;
    if (!keep) c->want_close = true;
    /* A segmented body of known length: its first segments are one round
     * trip away. The head waits for them (released by the first body bytes,
     * the end, an error, or the sweep): one write instead of two. */
    if (rp->body == DMSC_HMAP_BODY_SEGMENTED && !r->is_head && !nobody &&
        framing == DMSC_HTTP_BODY_LENGTH && len > 0)
        c->hold_since = gw__now_ms(g) | 1; /* never 0 (0: not held) */
    if (rp->body == DMSC_HMAP_BODY_INLINE && !r->is_head && !nobody)
        dmsc_gw_buf_append(&b, rp->body_data.p, rp->body_data.n);
    conn_write_buf(c, &b);
    if (rp->body != DMSC_HMAP_BODY_SEGMENTED || r->is_head || nobody) {
        req_complete(r);
        return;
    }
    gw_fetch_cb_t cb = {fetch_data, fetch_end, fetch_error};
    if (gw__fetch_response(g, &r->iname.name, rp, r->stable, &cb, r, &r->fetch)) {
        req_fail(r, DMSC_HMAP_ERR_INTERNAL, "fetch");
    }
}

static void on_response(void *arg, int result, const dmsc_data_t *d, uint64_t nack_reason)
{
    ereq_t *r = arg;
    r->w = NULL;
    gw_answer_t a;
    gw__answer(r->c->g, &r->prefix.name, result, d, r->is_head, &a);
    if (a.err) {
        req_fail(r, a.err, a.msg[0] ? a.msg : NULL);
        return;
    }
    respond(r, &a);
}

/* The response is complete (or failed): the next pipelined request may go. */
static void req_complete(ereq_t *r)
{
    gw_econn_t *c = r->c;
    hold_release(c);
    r->done = true;
    c->g->ctr.egress_responses++;
    if (!r->body_ended && r->body_mode != BODY_NONE) c->want_close = true;
    if (c->req == r && !c->closing) {
        /* defer freeing the fetch when called from inside it */
        c->req = NULL;
        req_free(r);
        c->blocked = false;
        if (c->want_close) {
            if (c->wq_bytes == 0) gw__econn_close(c);
            return;
        }
        conn_process(c);
    }
}

static void req_free(ereq_t *r)
{
    if (!r) return;
    dmsc_gw_t *g = r->c->g;
    if (r->w) gw__cancel(g, r->w);
    if (r->fetch) gw__fetch_free(r->fetch);
    if (r->bstream) gw__stream_release(r->bstream);
    dmsc_gw_buf_free(&r->body);
    free(r->hc.store);
    free(r);
}

static void bstream_drain(void *arg)
{
    ereq_t *r = arg;
    gw_econn_t *c = r->c;
    if (!c->reading && !c->closing) {
        conn_process(c);
    }
}

static const gw_stream_cb_t bstream_cb = {bstream_drain};

static void on_head(gw_econn_t *c, const dmsc_http_head_t *h)
{
    dmsc_gw_t *g = c->g;
    g->ctr.egress_requests++;
    ereq_t *r = calloc(1, sizeof *r);
    if (!r || gw__head_copy(&r->hc, h)) {
        free(r);
        c->want_close = true;
        gw__econn_close(c);
        return;
    }
    r->c = c;
    c->req = r;
    dmsc_gw_buf_init(&r->body, g->cfg.gateway.inline_max + 1);
    r->stable = dmsc_hmap_method_is_stable(h->method, h->method_len);
    r->is_head = dmsc_http_token_eq(h->method, h->method_len, "HEAD");
    if (h->body == DMSC_HTTP_BODY_NONE)
        r->body_mode = BODY_NONE, r->body_ended = true;
    else if (h->body == DMSC_HTTP_BODY_LENGTH && h->content_length <= g->cfg.gateway.inline_max)
        r->body_mode = BODY_INLINE;
    else
        r->body_mode = BODY_STREAM;
    if (r->body_mode != BODY_NONE) r->stable = false; /* a body makes it unique */
    int kind = gw__resolve(g, &r->hc.h, &r->prefix, r->target, &r->target_len);
    if (kind) {
        req_error(r, kind, NULL);
        return;
    }
    if (h->body == DMSC_HTTP_BODY_LENGTH && h->content_length > g->cfg.gateway.body_max) {
        req_error(r, DMSC_HMAP_ERR_BODY_TOO_LARGE, NULL);
        return;
    }
    if (h->expect_continue) {
        dmsc_gw_buf_t b;
        dmsc_gw_buf_init(&b, 0);
        dmsc_http1_write_continue(&b);
        conn_write_buf(c, &b);
    }
    if (r->body_mode == BODY_STREAM) {
        uint8_t id[12];
        char hex[25];
        randombytes_buf(id, sizeof id);
        sodium_bin2hex(hex, sizeof hex, id, sizeof id);
        dmsc_namebuf_copy(&r->body_name, &g->body_pfx.name);
        if (dmsc_namebuf_append(&r->body_name, DMSC_TT_GENERIC, hex, 24) ||
            gw__stream_new(g, &r->body_name.name, 0, &bstream_cb, r, &r->bstream)) {
            req_error(r, DMSC_HMAP_ERR_INTERNAL, "body stream");
            return;
        }
    }
    if (r->body_mode != BODY_INLINE) {
        kind = send_interest(r);
        if (kind) req_error(r, kind, NULL);
    }
}

/* Returns 1 to stop parsing for now (back-pressure), 0 to go on. */
static int on_body(gw_econn_t *c, const uint8_t *p, size_t n)
{
    ereq_t *r = c->req;
    if (!r) return 0;
    r->body_bytes += n;
    c->g->ctr.body_bytes_in += n;
    if (r->done) return 0; /* answered already (error): discard */
    if (r->body_bytes > c->g->cfg.gateway.body_max) {
        req_error(r, DMSC_HMAP_ERR_BODY_TOO_LARGE, NULL);
        c->want_close = true;
        return 0;
    }
    if (r->body_mode == BODY_INLINE) {
        if (dmsc_gw_buf_append(&r->body, p, n)) req_error(r, DMSC_HMAP_ERR_INTERNAL, "body");
        return 0;
    }
    int rc = gw__stream_write(r->bstream, p, n);
    if (rc < 0) {
        req_error(r, DMSC_HMAP_ERR_INTERNAL, "body stream");
        return 0;
    }
    return rc == 1;
}

static void on_end(gw_econn_t *c, const dmsc_http_head_t *trailers)
{
    ereq_t *r = c->req;
    if (!r) return;
    r->body_ended = true;
    c->blocked = true; /* next request waits for this response */
    if (r->done) {
        req_complete(r);
        return;
    }
    if (r->body_mode == BODY_STREAM) {
        gw__stream_end(r->bstream, trailers->fields, trailers->nfields);
    } else if (r->body_mode == BODY_INLINE) {
        int kind = send_interest(r);
        if (kind) {
            req_fail(r, kind, NULL);
        }
    }
}

static void bad_request(gw_econn_t *c, const dmsc_http1_event_t *ev)
{
    dmsc_gw_t *g = c->g;
    g->ctr.egress_bad_requests++;
    int kind = ev->status == 413   ? DMSC_HMAP_ERR_BODY_TOO_LARGE
               : ev->status == 414 ? DMSC_HMAP_ERR_URI_TOO_LONG
               : ev->status == 431 ? DMSC_HMAP_ERR_HEADERS_TOO_LARGE
                                   : DMSC_HMAP_ERR_MALFORMED_REQUEST;
    g->ctr.egress_errors[kind]++;
    DMSC_LOGD(LOGM, "event=bad-request peer=%s status=%d reason=%s", c->peer, ev->status,
              ev->reason ? ev->reason : "");
    if (c->req && c->req->resp_started) {
        c->want_close = true;
        return;
    }
    dmsc_gw_buf_t b;
    dmsc_gw_buf_init(&b, 0);
    gw_errresp_t e;
    gw__error_response(&e, kind, ev->status, ev->reason ? ev->reason : "");
    write_errresp(&b, &e, false);
    conn_write_buf(c, &b);
    if (c->req) {
        ereq_t *r = c->req;
        c->req = NULL;
        req_free(r);
    }
    c->want_close = true;
    if (c->wq_bytes == 0) gw__econn_close(c);
}

/* May the parser run? Not while a response is pending (pipelined requests
 * wait), and once the connection is to close only to finish reading the
 * body of the request in progress (its response may already be streaming). */
static bool may_parse(const gw_econn_t *c)
{
    if (c->closing || c->blocked) return false;
    return !c->want_close || (c->req && !c->req->body_ended);
}

static void conn_process(gw_econn_t *c)
{
    if (c->h2) {
        gw__h2_input(c);
        return;
    }
    if (!c->h1 && c->in.len) { /* HTTP/2 with prior knowledge (h2c, gRPC)? */
        static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
        size_t n = c->in.len < sizeof preface - 1 ? c->in.len : sizeof preface - 1;
        if (!memcmp(c->in.p, preface, n)) {
            if (n < sizeof preface - 1) {
                if (c->peer_eof)
                    gw__econn_close(c);
                else
                    gw__econn_start_read(c);
                return;
            }
            if (gw__h2_attach(c)) {
                gw__econn_close(c);
                return;
            }
            gw__h2_input(c);
            return;
        }
        c->h1 = true;
    }
    while (may_parse(c)) {
        dmsc_http1_event_t ev;
        size_t used = 0;
        int t = dmsc_http1_parse(&c->parser, c->in.p ? c->in.p : (const uint8_t *)"", c->in.len,
                                 &used, &ev);
        int stop = 0;
        switch (t) {
        case DMSC_HTTP1_HEAD:
            on_head(c, &ev.head);
            break;
        case DMSC_HTTP1_BODY:
            stop = on_body(c, ev.data, ev.len);
            break;
        case DMSC_HTTP1_END:
            on_end(c, &ev.head);
            break;
        case DMSC_HTTP1_ERROR:
            dmsc_gw_buf_drop(&c->in, used);
            bad_request(c, &ev);
            return;
        }
        dmsc_gw_buf_drop(&c->in, used);
        if (t == DMSC_HTTP1_NEED_MORE) break;
        if (stop) {
            if (c->reading) uv_read_stop(&c->u.s);
            c->reading = false;
            return;
        }
    }
    if (!may_parse(c) && (c->closing || c->want_close)) return;
    if (c->peer_eof) {
        if (!c->req && c->in.len == 0)
            gw__econn_close(c);
        else if (!c->req || (!c->req->body_ended && !c->blocked)) {
            dmsc_http1_event_t ev;
            if (dmsc_http1_parse_eof(&c->parser, &ev) == DMSC_HTTP1_ERROR)
                bad_request(c, &ev);
            else if (!c->req)
                gw__econn_close(c);
        }
        return;
    }
    /* read more unless the input is already full of pipelined requests */
    bool want = c->in.len < c->g->cfg.gateway.head_max + IN_MAX_EXTRA;
    if (want && !c->reading) {
        gw__econn_start_read(c);
    } else if (!want && c->reading) {
        uv_read_stop(&c->u.s);
        c->reading = false;
    }
}

/* ---- sockets ---- */

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    gw_econn_t *c = h->data;
    (void)hint;
    if (dmsc_gw_buf_reserve(&c->in, 65536)) {
        buf->base = NULL;
        buf->len = 0;
        return;
    }
    buf->base = (char *)c->in.p + c->in.len;
    buf->len = c->in.cap - c->in.len;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    gw_econn_t *c = s->data;
    (void)buf;
    if (n == UV_ENOBUFS) { /* input ceiling: stop reading until it drains */
        uv_read_stop(s);
        c->reading = false;
        return;
    }
    if (n < 0) {
        uv_read_stop(s);
        c->reading = false;
        if (n != UV_EOF) {
            gw__econn_close(c);
            return;
        }
        c->peer_eof = true;
        conn_process(c);
        return;
    }
    c->in.len += (size_t)n;
    c->last_rx = gw__now_ms(c->g);
    conn_process(c);
}

void gw__econn_start_read(gw_econn_t *c)
{
    if (c->closing || c->reading || c->peer_eof) return;
    if (uv_read_start(&c->u.s, on_alloc, on_read) == 0) c->reading = true;
}

static void on_conn_closed(uv_handle_t *h)
{
    gw_econn_t *c = h->data;
    dmsc_gw_buf_free(&c->in);
    dmsc_gw_buf_free(&c->out);
    free(c);
}

void gw__econn_close(gw_econn_t *c)
{
    if (c->closing) return;
    c->closing = true;
    dmsc_gw_t *g = c->g;
    dirty_remove(c);
    if (c->h2) gw__h2_detach(c);
    if (c->req) {
        ereq_t *r = c->req;
        c->req = NULL;
        req_free(r);
    }
    *c->pprev = c->next;
    if (c->next) c->next->pprev = c->pprev;
    g->n_econns--;
    uv_close(&c->u.h, on_conn_closed);
}

static void on_connection(uv_stream_t *server, int status)
{
    dmsc_gw_t *g = server->data;
    if (status < 0) return;
    gw_econn_t *c = calloc(1, sizeof *c);
    if (!c) return;
    c->g = g;
    bool is_unix = server == (uv_stream_t *)&g->http_unix;
    if (is_unix)
        uv_pipe_init(g->loop, &c->u.pipe, 0);
    else
        uv_tcp_init(g->loop, &c->u.tcp);
    c->u.h.data = c;
    if (uv_accept(server, &c->u.s) || g->n_econns >= g->cfg.gateway.max_connections) {
        c->closing = true;
        uv_close(&c->u.h, on_conn_closed);
        return;
    }
    if (!is_unix) {
        uv_tcp_nodelay(&c->u.tcp, 1);
        struct sockaddr_storage ss;
        int len = sizeof ss;
        if (uv_tcp_getpeername(&c->u.tcp, (struct sockaddr *)&ss, &len) == 0) {
            if (ss.ss_family == AF_INET)
                uv_ip4_name((struct sockaddr_in *)&ss, c->peer, sizeof c->peer);
            else if (ss.ss_family == AF_INET6)
                uv_ip6_name((struct sockaddr_in6 *)&ss, c->peer, sizeof c->peer);
        }
    }
    dmsc_http1_limits_t lim = {.head_max = g->cfg.gateway.head_max,
                               .body_max = g->cfg.gateway.body_max};
    dmsc_http1_parser_init(&c->parser, true, &lim);
    dmsc_gw_buf_init(&c->in, g->cfg.gateway.head_max + IN_MAX_EXTRA + 65536);
    dmsc_gw_buf_init(&c->out, (size_t)64 << 20);
    c->next = g->econns;
    if (c->next) c->next->pprev = &c->next;
    c->pprev = &g->econns;
    g->econns = c;
    g->n_econns++;
    g->ctr.egress_conns++;
    c->last_rx = gw__now_ms(g);
    gw__econn_start_read(c);
}

void gw__egress_sweep(dmsc_gw_t *g)
{
    uint64_t now = gw__now_ms(g);
    for (gw_econn_t *c = g->econns, *nx; c; c = nx) {
        nx = c->next;
        if (c->hold_since && now - c->hold_since >= HEAD_HOLD_MS) hold_release(c);
        if (c->closing || c->want_close || c->req || c->wq_bytes) continue;
        if (c->h2) {
            if (now - c->last_rx > IDLE_TIMEOUT_MS) gw__econn_close(c);
            continue;
        }
        if (c->in.len && now - c->last_rx > HEAD_TIMEOUT_MS) {
            /* part of a head and nothing more for a while */
            g->ctr.egress_errors[DMSC_HMAP_ERR_TIMEOUT]++;
            static const char r408[] = "HTTP/1.1 408 Request Timeout\r\n"
                                       "dmsc-error: timeout\r\n"
                                       "Content-Length: 0\r\nConnection: close\r\n\r\n";
            gw__econn_write(c, r408, sizeof r408 - 1);
            c->want_close = true;
        } else if (!c->in.len && now - c->last_rx > IDLE_TIMEOUT_MS) {
            gw__econn_close(c);
        }
    }
}

int gw__egress_start(dmsc_gw_t *g)
{
    const dmsc_config_t *cfg = &g->cfg;
    if (!cfg->gateway.enabled) return 0;
    uv_check_init(g->loop, &g->flush);
    g->flush.data = g;
    uv_check_start(&g->flush, on_flush);
    uv_prepare_init(g->loop, &g->flush_prep);
    g->flush_prep.data = g;
    uv_prepare_start(&g->flush_prep, on_flush_prep);
    if (cfg->gateway.http.enabled) {
        struct sockaddr_storage ss;
        if (uv_ip4_addr(cfg->gateway.http.bind, cfg->gateway.http.port,
                        (struct sockaddr_in *)&ss) &&
            uv_ip6_addr(cfg->gateway.http.bind, cfg->gateway.http.port, (struct sockaddr_in6 *)&ss))
            return DMSC_EINVAL;
        uv_tcp_init(g->loop, &g->http_tcp);
        g->http_tcp.data = g;
        g->http_tcp_open = true;
        int rc = uv_tcp_bind(&g->http_tcp, (struct sockaddr *)&ss, 0);
        if (!rc) rc = uv_listen((uv_stream_t *)&g->http_tcp, 256, on_connection);
        if (rc == UV_EADDRINUSE && cfg->gateway.http.port == DMSC_DEFAULT_GW_PORT) {
            /* the default port is taken (another node on this host): the
             * node runs without a TCP gateway listener rather than not at all;
             * configure gateway.http.port to get one */
            DMSC_LOGW(LOGM, "event=listen proto=http bind=%s port=%u result=%s action=disabled",
                      cfg->gateway.http.bind, cfg->gateway.http.port, uv_err_name(rc));
            uv_close((uv_handle_t *)&g->http_tcp, NULL);
            g->http_tcp_open = false;
        } else if (rc) {
            DMSC_LOGE(LOGM, "event=listen proto=http bind=%s port=%u result=%s",
                      cfg->gateway.http.bind, cfg->gateway.http.port, uv_err_name(rc));
            return DMSC_ENOTSUP;
        }
        if (g->http_tcp_open) {
            struct sockaddr_storage b;
            int bl = sizeof b;
            uv_tcp_getsockname(&g->http_tcp, (struct sockaddr *)&b, &bl);
            g->http_port = ntohs(b.ss_family == AF_INET ? ((struct sockaddr_in *)&b)->sin_port
                                                        : ((struct sockaddr_in6 *)&b)->sin6_port);
            DMSC_LOGI(LOGM, "event=gateway-listen url=http://%s:%d/", cfg->gateway.http.bind,
                      g->http_port);
        }
    }
    if (cfg->gateway.unix_enabled && cfg->gateway.unix_path[0]) {
        uv_pipe_init(g->loop, &g->http_unix, 0);
        g->http_unix.data = g;
        g->http_unix_open = true;
        unlink(cfg->gateway.unix_path); /* stale socket from a previous run */
        int rc = uv_pipe_bind(&g->http_unix, cfg->gateway.unix_path);
        if (!rc) rc = uv_listen((uv_stream_t *)&g->http_unix, 256, on_connection);
        if (rc) {
            DMSC_LOGE(LOGM, "event=listen proto=http-unix path=%s result=%s",
                      cfg->gateway.unix_path, uv_err_name(rc));
            return DMSC_ENOTSUP;
        }
        chmod(cfg->gateway.unix_path, 0666);
        DMSC_LOGI(LOGM, "event=gateway-listen url=unix://%s", cfg->gateway.unix_path);
    }
    return 0;
}

static void on_listener_closed(uv_handle_t *h)
{
    (void)h;
}

void gw__egress_stop(dmsc_gw_t *g)
{
    if (g->flush.data) {
        uv_check_stop(&g->flush);
        uv_close((uv_handle_t *)&g->flush, on_listener_closed);
        uv_prepare_stop(&g->flush_prep);
        uv_close((uv_handle_t *)&g->flush_prep, on_listener_closed);
    }
    if (g->http_tcp_open) uv_close((uv_handle_t *)&g->http_tcp, on_listener_closed);
    if (g->http_unix_open) {
        uv_close((uv_handle_t *)&g->http_unix, on_listener_closed);
        unlink(g->cfg.gateway.unix_path);
    }
    g->http_tcp_open = g->http_unix_open = false;
    while (g->econns)
        gw__econn_close(g->econns);
}
