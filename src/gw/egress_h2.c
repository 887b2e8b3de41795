/*
 * Egress over HTTP/2 cleartext (prior knowledge: gRPC clients, curl
 * --http2-prior-knowledge, h2load). Each stream is one named request, as
 * an HTTP/1.1 request is (gw__resolve, gw__express_request); responses come
 * back as HEADERS, DATA and, for gRPC, trailers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "base/err.h"
#include "base/log.h"
#include "gw/gw_int.h"
#include "gw/h2.h"

#define LOGM "gw"

#define H2_QUEUE_PAUSE (512u << 10) /* per-stream send queue: pause the fetch above this */

typedef struct h2req {
    struct h2req *next, **pprev;
    gw_h2conn_t *hc;
    int32_t stream;
    gw_head_copy_t hc_head;
    dmsc_namebuf_t prefix;
    char target[DMSC_HMAP_TARGET_MAX + 1];
    size_t target_len;
    bool stable, is_head, body_ended, responded, streaming;
    dmsc_gw_buf_t body;
    gw_stream_t *bstream;
    dmsc_namebuf_t body_name;
    gw_wait_t *w;
    gw_fetch_t *fetch;
    dmsc_namebuf_t iname;
} h2req_t;

struct gw_h2conn {
    gw_econn_t *c;
    dmsc_h2_t *h;
    h2req_t *reqs;
    bool in_recv;
};

static void flush(gw_h2conn_t *hc)
{
    if (hc->in_recv) return; /* drained by the caller of dmsc_h2_recv */
    const uint8_t *p;
    size_t n;
    while ((n = dmsc_h2_pending(hc->h, &p)) > 0)
        gw__econn_write(hc->c, p, n);
    /* closed by the write callback once the GOAWAY is out (never from
     * here: callers still hold stream state) */
    if (dmsc_h2_want_close(hc->h)) hc->c->want_close = true;
}

static h2req_t *find(gw_h2conn_t *hc, int32_t stream)
{
    for (h2req_t *r = hc->reqs; r; r = r->next)
        if (r->stream == stream) return r;
    return NULL;
}

static void req_free(h2req_t *r)
{
    dmsc_gw_t *g = r->hc->c->g;
    if (r->w) gw__cancel(g, r->w);
    if (r->fetch) gw__fetch_free(r->fetch);
    if (r->bstream) gw__stream_release(r->bstream);
    *r->pprev = r->next;
    if (r->next) r->next->pprev = r->pprev;
    dmsc_gw_buf_free(&r->body);
    free(r->hc_head.store);
    free(r);
}

static void respond_error(h2req_t *r, int kind, const char *detail)
{
    dmsc_gw_t *g = r->hc->c->g;
    g->ctr.egress_errors[kind > 0 && kind <= DMSC_HMAP_ERR_MAX ? kind : DMSC_HMAP_ERR_INTERNAL]++;
    if (r->responded) {
        dmsc_h2_reset(r->hc->h, r->stream, DMSC_H2_INTERNAL_ERROR);
        flush(r->hc);
        return;
    }
    r->responded = true;
    gw_errresp_t e;
    gw__error_response(&e, kind, 0, detail);
    dmsc_h2_respond(r->hc->h, r->stream, e.status, e.f, 2, false);
    dmsc_h2_send_data(r->hc->h, r->stream, (const uint8_t *)e.body, e.len, true);
    flush(r->hc);
}

/* ---- response body fetch ---- */

static int f_data(void *arg, const uint8_t *p, size_t n)
{
    h2req_t *r = arg;
    r->hc->c->g->ctr.body_bytes_out += n;
    if (r->is_head) return 0;
    int rc = dmsc_h2_send_data(r->hc->h, r->stream, p, n, false);
    if (rc) {
        dmsc_h2_reset(r->hc->h, r->stream, DMSC_H2_INTERNAL_ERROR);
        flush(r->hc);
        return 1;
    }
    flush(r->hc);
    return dmsc_h2_queued(r->hc->h, r->stream) > H2_QUEUE_PAUSE || r->hc->c->wq_bytes > (1u << 20)
               ? 1
               : 0;
}

static void f_end(void *arg, const dmsc_http_field_t *trailers, size_t ntrailers)
{
    h2req_t *r = arg;
    if (ntrailers)
        dmsc_h2_send_trailers(r->hc->h, r->stream, trailers, ntrailers);
    else
        dmsc_h2_send_data(r->hc->h, r->stream, NULL, 0, true);
    r->hc->c->g->ctr.egress_responses++;
    flush(r->hc);
}

static void f_error(void *arg, int kind)
{
    h2req_t *r = arg;
    r->hc->c->g->ctr.egress_errors[kind]++;
    dmsc_h2_reset(r->hc->h, r->stream, DMSC_H2_INTERNAL_ERROR);
    flush(r->hc);
}

static void respond(h2req_t *r, const gw_answer_t *a)
{
    gw_h2conn_t *hc = r->hc;
    dmsc_gw_t *g = hc->c->g;
    const dmsc_hmap_response_t *rp = a->resp;
    const dmsc_hmap_fieldset_t *fs = a->fs;
    r->responded = true;
    bool has_body = !r->is_head && ((rp->body == DMSC_HMAP_BODY_INLINE && rp->body_data.n) ||
                                    rp->body == DMSC_HMAP_BODY_SEGMENTED);
    bool trailers = rp->has_trailers && rp->ntrailers;
    if (dmsc_h2_respond(hc->h, r->stream, rp->status, fs->f, fs->n, !has_body && !trailers)) {
        dmsc_h2_reset(hc->h, r->stream, DMSC_H2_INTERNAL_ERROR);
        flush(hc);
        return;
    }
    if (rp->body == DMSC_HMAP_BODY_SEGMENTED && !r->is_head) {
        flush(hc);
        gw_fetch_cb_t cb = {f_data, f_end, f_error};
        if (gw__fetch_response(g, &r->iname.name, rp, r->stable, &cb, r, &r->fetch))
            f_error(r, DMSC_HMAP_ERR_INTERNAL);
        return;
    }
    if (has_body) dmsc_h2_send_data(hc->h, r->stream, rp->body_data.p, rp->body_data.n, !trailers);
    if (trailers) dmsc_h2_send_trailers(hc->h, r->stream, rp->trailers, rp->ntrailers);
    g->ctr.egress_responses++;
    flush(hc);
}

static void on_result(void *arg, int result, const dmsc_data_t *d, uint64_t nack_reason)
{
    h2req_t *r = arg;
    r->w = NULL;
    gw_answer_t a;
    gw__answer(r->hc->c->g, &r->prefix.name, result, d, r->is_head, &a);
    if (a.err) {
        respond_error(r, a.err, a.err == DMSC_HMAP_ERR_BAD_RESPONSE ? a.msg : NULL);
        return;
    }
    respond(r, &a);
}

static int express(h2req_t *r)
{
    gw_request_t rq = {.head = &r->hc_head.h,
                       .prefix = &r->prefix.name,
                       .target = r->target,
                       .target_len = r->target_len,
                       .stable = r->stable,
                       .peer = r->hc->c->peer};
    if (r->streaming) {
        rq.body = DMSC_HMAP_BODY_NAMED;
        rq.body_name = &r->body_name.name;
        rq.has_body_length = r->hc_head.h.body == DMSC_HTTP_BODY_LENGTH;
        rq.body_length = r->hc_head.h.content_length;
    } else if (r->body.len || r->hc_head.h.body != DMSC_HTTP_BODY_NONE) {
        rq.body = DMSC_HMAP_BODY_INLINE;
        rq.body_data = dmsc_slice(r->body.p, r->body.len);
    }
    return gw__express_request(r->hc->c->g, &rq, on_result, r, &r->w, &r->iname);
}

/* The body outgrew inline_max: serve it as a stream and send the request now. */
static int go_streaming(h2req_t *r)
{
    dmsc_gw_t *g = r->hc->c->g;
    uint8_t id[12];
    char hex[25];
    randombytes_buf(id, sizeof id);
    sodium_bin2hex(hex, sizeof hex, id, sizeof id);
    dmsc_namebuf_copy(&r->body_name, &g->body_pfx.name);
    if (dmsc_namebuf_append(&r->body_name, DMSC_TT_GENERIC, hex, 24) ||
        gw__stream_new(g, &r->body_name.name, 0, NULL, NULL, &r->bstream))
        return DMSC_HMAP_ERR_INTERNAL;
    r->streaming = true;
    if (gw__stream_write(r->bstream, r->body.p, r->body.len) < 0) return DMSC_HMAP_ERR_INTERNAL;
    dmsc_gw_buf_free(&r->body);
    return express(r);
}

/* ---- session callbacks ---- */

static void on_request(void *arg, int32_t stream, const dmsc_http_head_t *head)
{
    gw_h2conn_t *hc = arg;
    dmsc_gw_t *g = hc->c->g;
    g->ctr.egress_requests++;
    h2req_t *r = calloc(1, sizeof *r);
    if (!r) {
        dmsc_h2_reset(hc->h, stream, DMSC_H2_INTERNAL_ERROR);
        return;
    }
    r->hc = hc;
    r->stream = stream;
    r->next = hc->reqs;
    if (r->next) r->next->pprev = &r->next;
    r->pprev = &hc->reqs;
    hc->reqs = r;
    dmsc_gw_buf_init(&r->body, g->cfg.gateway.inline_max + 1);
    if (gw__head_copy(&r->hc_head, head)) {
        respond_error(r, DMSC_HMAP_ERR_INTERNAL, NULL);
        return;
    }
    r->is_head = dmsc_http_token_eq(head->method, head->method_len, "HEAD");
    r->stable = head->body == DMSC_HTTP_BODY_NONE &&
                dmsc_hmap_method_is_stable(head->method, head->method_len);
    int kind = gw__resolve(g, &r->hc_head.h, &r->prefix, r->target, &r->target_len);
    if (!kind && head->body == DMSC_HTTP_BODY_LENGTH &&
        head->content_length > g->cfg.gateway.body_max)
        kind = DMSC_HMAP_ERR_BODY_TOO_LARGE;
    if (!kind && head->body == DMSC_HTTP_BODY_LENGTH &&
        head->content_length > g->cfg.gateway.inline_max)
        kind = go_streaming(r);
    else if (!kind && head->body == DMSC_HTTP_BODY_NONE) {
        r->body_ended = true;
        kind = express(r);
    }
    if (kind) respond_error(r, kind, NULL);
}

static void on_data(void *arg, int32_t stream, const uint8_t *p, size_t n)
{
    gw_h2conn_t *hc = arg;
    dmsc_h2_consumed(hc->h, stream, n);
    h2req_t *r = find(hc, stream);
    if (!r || r->responded) return;
    dmsc_gw_t *g = hc->c->g;
    g->ctr.body_bytes_in += n;
    int kind = 0;
    if (r->streaming) {
        if (gw__stream_bytes(r->bstream) + n > g->cfg.gateway.body_max)
            kind = DMSC_HMAP_ERR_BODY_TOO_LARGE;
        else if (gw__stream_write(r->bstream, p, n) < 0)
            kind = DMSC_HMAP_ERR_INTERNAL;
    } else if (r->body.len + n > g->cfg.gateway.inline_max) {
        if (dmsc_gw_buf_reserve(&r->body, 0) == 0) {
            r->body.max = r->body.len + n; /* room for this piece, then stream it all */
            dmsc_gw_buf_append(&r->body, p, n);
        }
        kind = go_streaming(r);
    } else if (dmsc_gw_buf_append(&r->body, p, n)) {
        kind = DMSC_HMAP_ERR_INTERNAL;
    }
    if (kind) respond_error(r, kind, NULL);
}

static void on_end(void *arg, int32_t stream)
{
    gw_h2conn_t *hc = arg;
    h2req_t *r = find(hc, stream);
    if (!r || r->body_ended) return;
    r->body_ended = true;
    if (r->responded) return;
    int kind = 0;
    if (r->streaming)
        gw__stream_end(r->bstream, NULL, 0);
    else
        kind = express(r);
    if (kind) respond_error(r, kind, NULL);
}

static void on_close(void *arg, int32_t stream, uint32_t code)
{
    gw_h2conn_t *hc = arg;
    h2req_t *r = find(hc, stream);
    if (r) req_free(r);
}

static void on_writable(void *arg, int32_t stream)
{
    gw_h2conn_t *hc = arg;
    h2req_t *r = find(hc, stream);
    if (r && r->fetch) gw__fetch_resume(r->fetch);
}

/* ---- connection ---- */

int gw__h2_attach(gw_econn_t *c)
{
    gw_h2conn_t *hc = calloc(1, sizeof *hc);
    if (!hc) return DMSC_ENOMEM;
    hc->c = c;
    static const dmsc_h2_callbacks_t cb = {
        .on_request = on_request,
        .on_data = on_data,
        .on_end = on_end,
        .on_close = on_close,
        .on_writable = on_writable,
    };
    dmsc_h2_limits_t lim;
    memset(&lim, 0, sizeof lim);
    lim.max_header_list = (uint32_t)c->g->cfg.gateway.head_max;
    int rc = dmsc_h2_server_new(&hc->h, &cb, hc, &lim);
    if (rc) {
        free(hc);
        return rc;
    }
    c->h2 = hc;
    return 0;
}

void gw__h2_input(gw_econn_t *c)
{
    gw_h2conn_t *hc = c->h2;
    if (c->in.len) {
        hc->in_recv = true;
        int rc = dmsc_h2_recv(hc->h, c->in.p, c->in.len);
        hc->in_recv = false;
        dmsc_gw_buf_drop(&c->in, c->in.len);
        flush(hc);
        if (c->closing) return;
        if (rc) {
            DMSC_LOGD(LOGM, "event=h2-error peer=%s detail=%s", c->peer, dmsc_h2_last_error(hc->h));
            c->want_close = true;
            if (c->wq_bytes == 0) gw__econn_close(c);
            return;
        }
    }
    if (c->peer_eof) {
        gw__econn_close(c);
        return;
    }
    gw__econn_start_read(c);
}

void gw__h2_writable(gw_econn_t *c)
{
    gw_h2conn_t *hc = c->h2;
    for (h2req_t *r = hc->reqs; r; r = r->next)
        if (r->fetch && dmsc_h2_queued(hc->h, r->stream) <= H2_QUEUE_PAUSE)
            gw__fetch_resume(r->fetch);
    flush(hc);
}

void gw__h2_detach(gw_econn_t *c)
{
    gw_h2conn_t *hc = c->h2;
    if (!hc) return;
    while (hc->reqs)
        req_free(hc->reqs);
    dmsc_h2_free(hc->h);
    free(hc);
    c->h2 = NULL;
}
