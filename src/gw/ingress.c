/*
 * Ingress: the callee's side of the gateway. An Interest under a service
 * prefix becomes an HTTP/1.1 request to a healthy local instance (pooled
 * keep-alive connections, upstream.c); the response becomes one Data when
 * it fits, else a head Data naming this node as the producer plus body
 * segments served from a gw_stream (docs/http-mapping.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/err.h"
#include "base/log.h"
#include "gw/gw_int.h"
#include "gw/h2.h"
#include "gw/upstream.h"
#include "ndn/lp.h"
#include "sec/sig.h"

#define LOGM "gw"

/* Body bytes answered inline when the whole response fits one Data: 6 KiB
 * in an 8800-octet packet, the rest left for the name and the fields; a
 * node whose faces carry larger packets (faces.max_packet) answers that
 * much more inline. */
#define INLINE_BODY_MIN 6144
static size_t inline_body_max(const dmsc_gw_t *g)
{
    return INLINE_BODY_MIN + (g->pkt_max - DMSC_TLV_DGRAM_MAX);
}

struct gw_ireq {
    gw_ireq_t *next, **pprev;
    dmsc_gw_t *g;
    uint8_t *wire; /* the Interest (owned copy): req views point into it */
    size_t wire_len;
    uint8_t token[32];
    size_t token_len;
    dmsc_interest_t in;
    dmsc_hmap_request_t req;
    bool stable, is_head, answered, ended, retried;
    dmsc_svc_t *svc;
    dmsc_svc_inst_t *inst;
    dmsc_upstream_req_t *ureq;
    gw_fetch_t *bfetch;
    uint64_t deadline;

    /* h2c / gRPC instances */
    struct h2up *hu;
    gw_ireq_t *hnext; /* on hu's list */
    int32_t h2stream; /* 0: not submitted yet */
    bool h2_live;     /* the stream is open: reset it if we give up */
    void *h2pending;  /* fields kept while the connection comes up */

    /* response */
    int status;
    dmsc_http_field_t *fields;
    size_t nfields;
    char reason[64];
    bool has_length;
    uint64_t length;
    uint64_t freshness;
    dmsc_gw_buf_t acc;
    gw_stream_t *rs;
    uv_timer_t stimer; /* a body of unknown length that keeps coming: stream it */
    bool stimer_on;

    gw_ireq_t *tnext; /* g->ireq_tab chain (stable requests) */
    uint64_t thash;
    bool in_tab;
};

static void ireq_free(gw_ireq_t *r);

/* ---- stable requests in progress, by name: a consumer's retransmission of
 * one reaches us while we still work on it and is dropped (the forwarder's
 * PIT entry gets the one answer) ---- */

static uint64_t iname_hash(const dmsc_name_t *n)
{
    return dmsc_name_hash(n, n->ncomps);
}

static gw_ireq_t *ireq_find(dmsc_gw_t *g, const dmsc_name_t *name)
{
    if (!g->ireq_tab_cap) return NULL;
    uint64_t h = iname_hash(name);
    for (gw_ireq_t *r = g->ireq_tab[h & (g->ireq_tab_cap - 1)]; r; r = r->tnext)
        if (r->thash == h && dmsc_name_equal(&r->in.name, name)) return r;
    return NULL;
}

static void ireq_tab_add(dmsc_gw_t *g, gw_ireq_t *r)
{
    if (g->ireq_tab_n + 1 > g->ireq_tab_cap / 2) {
        size_t cap = g->ireq_tab_cap ? g->ireq_tab_cap * 2 : 64;
        gw_ireq_t **t = calloc(cap, sizeof *t);
        if (!t) return; /* not deduplicated: a copy would only run twice */
        for (size_t i = 0; i < g->ireq_tab_cap; i++)
            for (gw_ireq_t *x = g->ireq_tab[i], *nx; x; x = nx) {
                nx = x->tnext;
                x->tnext = t[x->thash & (cap - 1)];
                t[x->thash & (cap - 1)] = x;
            }
        free(g->ireq_tab);
        g->ireq_tab = t;
        g->ireq_tab_cap = cap;
    }
    r->thash = iname_hash(&r->in.name);
    r->tnext = g->ireq_tab[r->thash & (g->ireq_tab_cap - 1)];
    g->ireq_tab[r->thash & (g->ireq_tab_cap - 1)] = r;
    g->ireq_tab_n++;
    r->in_tab = true;
}

static void ireq_tab_remove(dmsc_gw_t *g, gw_ireq_t *r)
{
    if (!r->in_tab) return;
    gw_ireq_t **pp = &g->ireq_tab[r->thash & (g->ireq_tab_cap - 1)];
    while (*pp && *pp != r)
        pp = &(*pp)->tnext;
    if (*pp) *pp = r->tnext;
    g->ireq_tab_n--;
    r->in_tab = false;
}
static void h2_detach(gw_ireq_t *r);
static void h2_pending_free(void *p);
struct h2up;
static void h2up_close(struct h2up *u);

static void count_error(dmsc_gw_t *g, int kind)
{
    g->ctr.ingress_errors[kind > 0 && kind <= DMSC_HMAP_ERR_MAX ? kind : DMSC_HMAP_ERR_INTERNAL]++;
}

static void send_error(gw_ireq_t *r, int kind, const char *msg)
{
    dmsc_gw_t *g = r->g;
    count_error(g, kind);
    if (r->answered) {
        if (r->rs) gw__stream_abort(r->rs);
        return;
    }
    r->answered = true;
    dmsc_hmap_error_t e = {.code = kind, .message = msg, .message_len = msg ? strlen(msg) : 0};
    uint8_t cbuf[512];
    dmsc_slice_t content, wire;
    if (dmsc_hmap_error_encode(&e, cbuf, sizeof cbuf, &content)) return;
    dmsc_data_t d;
    dmsc_hmap_data_init(&d, &r->in.name, content, 0, false);
    if (dmsc_data_encode(&d, dmsc_sig_digest_signer(), g->buf, g->pkt_max, &wire)) return;
    gw__send_data(g, wire.p, wire.n, dmsc_slice(r->token, r->token_len), true);
}

/* Does another node serve this service too (a route to it that is not our
 * own producer face)? Then a Nack lets the caller's network try it; else
 * the caller gets the precise error. */
static bool served_elsewhere(gw_ireq_t *r)
{
    const dmsc_route_t *routes;
    size_t n = dmsc_rib_find(r->g->rib, dmsc_svc_name(r->svc), &routes);
    for (size_t i = 0; i < n; i++)
        if (routes[i].face != r->g->pface) return true;
    return false;
}

static void send_nack(gw_ireq_t *r)
{
    if (r->answered) return;
    r->answered = true;
    gw__send_nack(r->g, r->wire, r->wire_len, dmsc_slice(r->token, r->token_len),
                  DMSC_LP_NACK_NO_ROUTE);
}

static int kind_of_upstream(int err)
{
    switch (err) {
    case DMSC_UPSTREAM_ECONNREFUSED:
        return DMSC_HMAP_ERR_UPSTREAM_CONNECT;
    case DMSC_UPSTREAM_ECONNRESET:
        return DMSC_HMAP_ERR_UPSTREAM_RESET;
    case DMSC_UPSTREAM_ETIMEDOUT:
        return DMSC_HMAP_ERR_TIMEOUT;
    case DMSC_UPSTREAM_EPROTO:
        return DMSC_HMAP_ERR_BAD_RESPONSE;
    case DMSC_UPSTREAM_ENOCAPACITY:
        return DMSC_HMAP_ERR_NO_HEALTHY_INSTANCE;
    default:
        return DMSC_HMAP_ERR_INTERNAL;
    }
}

/* Encode the response head Data (inline body or segmented descriptor) and
 * send it. Returns 0, or DMSC_ENOBUFS when it does not fit one packet. */
static int send_head(gw_ireq_t *r, bool segmented, const dmsc_http_field_t *trailers,
                     size_t ntrailers)
{
    dmsc_gw_t *g = r->g;
    static dmsc_hmap_response_t resp;
    dmsc_hmap_response_init(&resp);
    resp.status = r->status;
    resp.reason = r->reason;
    resp.reason_len = strlen(r->reason);
    if (r->nfields) memcpy(resp.fields, r->fields, r->nfields * sizeof *r->fields);
    resp.nfields = r->nfields;
    if (segmented) {
        resp.body = DMSC_HMAP_BODY_SEGMENTED;
        resp.has_body_length = r->has_length;
        resp.body_length = r->length;
        /* the consumer sizes its first window by it instead of asking
         * past the end */
        resp.has_last_segment = gw__stream_last_segment(r->rs, &resp.last_segment);
        resp.producer = g->node.name;
    } else {
        resp.body = r->acc.len ? DMSC_HMAP_BODY_INLINE : DMSC_HMAP_BODY_NONE;
        resp.body_data = dmsc_slice(r->acc.p, r->acc.len);
        if (ntrailers) {
            resp.has_trailers = true;
            memcpy(resp.trailers, trailers, ntrailers * sizeof *trailers);
            resp.ntrailers = ntrailers;
        }
    }
    /* built where the Data's Content goes: an inline body is copied once */
    dmsc_slice_t content, wire;
    int rc = dmsc_hmap_response_encode(&resp, g->buf, g->pkt_max - g->data_tail, &content);
    if (rc) return rc == DMSC_ENOBUFS || rc == DMSC_ETOOBIG ? DMSC_ENOBUFS : rc;
    dmsc_data_t d;
    dmsc_hmap_data_init(&d, &r->in.name, content, r->freshness, false);
    rc = dmsc_data_encode(&d, dmsc_sig_digest_signer(), g->buf, g->pkt_max, &wire);
    if (rc) return DMSC_ENOBUFS;
    r->answered = true;
    /* a segmented head is kept: the consumer asks again if it is lost */
    if (segmented) gw__stream_set_head(r->rs, wire.p, wire.n);
    gw__send_data(g, wire.p, wire.n, dmsc_slice(r->token, r->token_len), r->freshness == 0);
    g->ctr.ingress_responses++;
    if (segmented)
        g->ctr.ingress_segmented++;
    else
        g->ctr.ingress_inline++;
    return 0;
}

static void rs_drain(void *arg)
{
    gw_ireq_t *r = arg;
    if (r->ureq) dmsc_upstream_pause(r->ureq, false);
}

static const gw_stream_cb_t rs_cb = {rs_drain};

/* Switch to a segmented response: head Data now, bytes so far into the stream. */
static int go_segmented(gw_ireq_t *r)
{
    dmsc_gw_t *g = r->g;
    dmsc_namebuf_t seg0;
    int rc = dmsc_hmap_segment_name(&r->in.name, 0, &seg0);
    if (rc) return rc;
    dmsc_name_t base;
    dmsc_name_get_prefix(&seg0.name, seg0.name.ncomps - 1, &base);
    if ((rc = gw__stream_new(g, &base, r->freshness, &rs_cb, r, &r->rs))) return rc;
    if (r->has_length) gw__stream_set_total(r->rs, r->length);
    if ((rc = send_head(r, true, NULL, 0))) {
        gw__stream_abort(r->rs);
        gw__stream_release(r->rs);
        r->rs = NULL;
        return rc;
    }
    rc = gw__stream_write(r->rs, r->acc.p, r->acc.len);
    dmsc_gw_buf_free(&r->acc);
    if (rc == 1 && r->ureq) dmsc_upstream_pause(r->ureq, true);
    return rc < 0 ? rc : 0;
}

#define STREAM_START_MS 20

static void on_stimer(uv_timer_t *t)
{
    gw_ireq_t *r = t->data;
    if (r->answered || r->rs || r->ended) return;
    if (go_segmented(r)) send_error(r, DMSC_HMAP_ERR_BAD_RESPONSE, "response head too large");
}

static void start_stimer(gw_ireq_t *r)
{
    if (!r->stimer_on) {
        uv_timer_init(r->g->loop, &r->stimer);
        r->stimer.data = r;
        r->stimer_on = true;
    }
    uv_timer_start(&r->stimer, on_stimer, STREAM_START_MS, 0);
}

static void on_up_head(void *arg, dmsc_upstream_req_t *req, const dmsc_http_head_t *h)
{
    gw_ireq_t *r = arg;
    r->status = h->status;
    snprintf(r->reason, sizeof r->reason, "%.*s", (int)(h->reason_len < 63 ? h->reason_len : 63),
             h->reason ? h->reason : "");
    /* keep the end-to-end fields (content-length kept for HEAD/304) */
    static dmsc_hmap_fieldset_t fs;
    unsigned flags = (r->is_head || h->status == 304) ? DMSC_HMAP_KEEP_CONTENT_LENGTH : 0;
    if (dmsc_hmap_filter_hop(h->fields, h->nfields, flags, &fs)) fs.n = 0;
    if (fs.n && !(r->fields = dmsc_http_fields_dup(fs.f, fs.n))) {
        send_error(r, DMSC_HMAP_ERR_INTERNAL, "out of memory");
        return;
    }
    r->nfields = fs.n;
    r->has_length = h->body == DMSC_HTTP_BODY_LENGTH;
    r->length = h->content_length;
    bool cacheable;
    r->freshness = dmsc_hmap_freshness(r->stable, r->req.fields, r->req.nfields, h->status,
                                       h->fields, h->nfields, (int64_t)time(NULL), &cacheable);
    if (!cacheable) r->freshness = 0;
    /* a body of unknown length (chunked, h2/gRPC): if it has not ended
     * shortly, stream it (server streaming must not wait for the end) */
    if (!r->has_length && h->body != DMSC_HTTP_BODY_NONE && !r->is_head) start_stimer(r);
    /* a body known to be large: segmented from the start */
    if (r->has_length && r->length > inline_body_max(r->g) && !r->is_head && go_segmented(r))
        send_error(r, DMSC_HMAP_ERR_BAD_RESPONSE, "response head too large");
}

static void on_up_body(void *arg, dmsc_upstream_req_t *req, const uint8_t *p, size_t n)
{
    gw_ireq_t *r = arg;
    if (r->answered && !r->rs) return; /* failed already */
    if (r->rs) {
        int rc = gw__stream_write(r->rs, p, n);
        if (rc == 1 && req) dmsc_upstream_pause(req, true);
        return;
    }
    if (dmsc_gw_buf_append(&r->acc, p, n) || r->acc.len > inline_body_max(r->g)) {
        if (r->acc.len <= inline_body_max(r->g)) { /* out of memory appending */
            send_error(r, DMSC_HMAP_ERR_INTERNAL, "out of memory");
            return;
        }
        if (go_segmented(r)) send_error(r, DMSC_HMAP_ERR_BAD_RESPONSE, "response head too large");
    }
}

static void finish(gw_ireq_t *r, int err)
{
    if (r->inst) {
        dmsc_svc_report(r->inst, err);
        r->inst = NULL;
    }
    r->ureq = NULL; /* terminal callback: the upstream request is gone */
    r->ended = true;
    ireq_free(r);
}

static void on_up_end(void *arg, dmsc_upstream_req_t *req, const dmsc_http_field_t *trailers,
                      size_t ntrailers)
{
    gw_ireq_t *r = arg;
    if (r->rs) {
        gw__stream_end(r->rs, trailers, ntrailers);
    } else if (!r->answered) {
        int rc = send_head(r, false, trailers, ntrailers);
        if (rc == DMSC_ENOBUFS) {
            /* does not fit one Data: segmented after all, of a length now known */
            r->has_length = true;
            r->length = r->acc.len;
            if (go_segmented(r) == 0)
                gw__stream_end(r->rs, trailers, ntrailers);
            else
                send_error(r, DMSC_HMAP_ERR_BAD_RESPONSE, "response head too large");
        } else if (rc) {
            send_error(r, DMSC_HMAP_ERR_BAD_RESPONSE, "response not encodable");
        }
    }
    finish(r, 0);
}

static int start_upstream(gw_ireq_t *r);

static void on_up_error(void *arg, dmsc_upstream_req_t *req, int err)
{
    gw_ireq_t *r = arg;
    r->ureq = NULL;
    if (r->inst) {
        dmsc_svc_report(r->inst, err);
        r->inst = NULL;
    }
    /* refused before anything reached an instance: another local
     * instance, else a Nack so the network can try another node */
    if (err == DMSC_UPSTREAM_ECONNREFUSED && !r->answered && !r->bfetch) {
        if (!r->retried) {
            r->retried = true;
            if (start_upstream(r) == 0) return;
        }
        if (served_elsewhere(r)) {
            count_error(r->g, DMSC_HMAP_ERR_UPSTREAM_CONNECT);
            send_nack(r);
        } else {
            send_error(r, DMSC_HMAP_ERR_UPSTREAM_CONNECT, dmsc_upstream_strerror(err));
        }
        r->ended = true;
        ireq_free(r);
        return;
    }
    DMSC_LOGD(LOGM, "event=upstream-error err=%s", dmsc_upstream_errname(err));
    send_error(r, kind_of_upstream(err), dmsc_upstream_strerror(err));
    r->ended = true;
    ireq_free(r);
}

static void on_up_drain(void *arg, dmsc_upstream_req_t *req)
{
    gw_ireq_t *r = arg;
    if (r->bfetch) gw__fetch_resume(r->bfetch);
}

static const dmsc_upstream_cb_t up_cb = {on_up_head, on_up_body, on_up_end, on_up_error,
                                         on_up_drain};

/* ---- request body, fetched from the caller's node ---- */

static int h2_body_data(gw_ireq_t *r, const uint8_t *p, size_t n);
static void h2_body_end(gw_ireq_t *r);

static int bf_data(void *arg, const uint8_t *p, size_t n)
{
    gw_ireq_t *r = arg;
    if (r->hu) return h2_body_data(r, p, n);
    if (!r->ureq) return 0;
    int rc = dmsc_upstream_write(r->ureq, p, n);
    return rc == 1 ? 1 : 0;
}

static void bf_end(void *arg, const dmsc_http_field_t *trailers, size_t ntrailers)
{
    gw_ireq_t *r = arg;
    gw_fetch_t *f = r->bfetch;
    r->bfetch = NULL;
    gw__fetch_free(f);
    if (r->hu) h2_body_end(r);
    if (r->ureq) dmsc_upstream_end(r->ureq, trailers, ntrailers);
}

static void bf_error(void *arg, int kind)
{
    gw_ireq_t *r = arg;
    gw_fetch_t *f = r->bfetch;
    r->bfetch = NULL;
    gw__fetch_free(f);
    if (r->ureq) {
        dmsc_upstream_cancel(r->ureq);
        r->ureq = NULL;
    }
    if (r->inst) {
        dmsc_svc_report(r->inst, DMSC_UPSTREAM_ECANCELED);
        r->inst = NULL;
    }
    char msg[96];
    snprintf(msg, sizeof msg, "could not fetch the request body (%s)", dmsc_hmap_error_name(kind));
    send_error(r, kind == DMSC_HMAP_ERR_BODY_TOO_LARGE ? kind : DMSC_HMAP_ERR_TIMEOUT, msg);
    r->ended = true;
    ireq_free(r);
}

static const gw_fetch_cb_t bf_cb = {bf_data, bf_end, bf_error};

static int h2_start(gw_ireq_t *r, const dmsc_http_field_t *f, size_t n, const char *auth);

static int start_upstream(gw_ireq_t *r)
{
    dmsc_gw_t *g = r->g;
    r->inst = dmsc_svc_pick(r->svc);
    if (!r->inst) return DMSC_EINVAL;
    const dmsc_svc_config_t *sc = dmsc_svc_config(r->svc);
    static dmsc_hmap_fieldset_t fs;
    const char *auth = sc->host[0] ? sc->host : dmsc_svc_inst_addr(r->inst);
    int rc = dmsc_hmap_upstream_fields(&r->req, auth, strlen(auth), g->pseudonym, NULL, &fs);
    if (rc) {
        r->inst = NULL;
        return DMSC_EVALUE;
    }
    dmsc_upstream_reqspec_t spec = {
        .method = r->req.method,
        .method_len = r->req.method_len,
        .target = r->req.target,
        .target_len = r->req.target_len,
        .fields = fs.f,
        .nfields = fs.n,
    };
    uint64_t now = gw__now_ms(g);
    spec.response_timeout_ms = r->deadline > now + 200 ? r->deadline - now - 100 : 100;
    if (r->req.body == DMSC_HMAP_BODY_INLINE) {
        spec.body = DMSC_HTTP_BODY_LENGTH;
        spec.content_length = r->req.body_data.n;
    } else if (r->req.body == DMSC_HMAP_BODY_NAMED) {
        spec.body = r->req.has_body_length ? DMSC_HTTP_BODY_LENGTH : DMSC_HTTP_BODY_CHUNKED;
        spec.content_length = r->req.body_length;
    } else {
        spec.body = DMSC_HTTP_BODY_NONE;
    }
    dmsc_svc_inst_begin(r->inst);
    if (sc->protocol != DMSC_SVC_PROTO_HTTP1) return h2_start(r, fs.f, fs.n, auth);
    rc = dmsc_upstream_request(dmsc_svc_inst_pool(r->inst), &spec, &up_cb, r, &r->ureq);
    if (rc) {
        dmsc_svc_report(r->inst, rc);
        r->inst = NULL;
        r->ureq = NULL;
        return rc;
    }
    if (r->req.body == DMSC_HMAP_BODY_INLINE) {
        if (r->req.body_data.n)
            dmsc_upstream_write(r->ureq, r->req.body_data.p, r->req.body_data.n);
        dmsc_upstream_end(r->ureq, NULL, 0);
    } else if (r->req.body == DMSC_HMAP_BODY_NONE) {
        dmsc_upstream_end(r->ureq, NULL, 0);
    } else if (!r->bfetch) {
        rc = gw__fetch_new(g, &r->req.body_name, NULL, false, g->cfg.gateway.body_max, UINT64_MAX,
                           &bf_cb, r, &r->bfetch);
        if (rc == 0 && r->req.has_body_length)
            gw__fetch_expect_length(r->bfetch, r->req.body_length);
        if (rc) {
            dmsc_upstream_cancel(r->ureq);
            r->ureq = NULL;
            dmsc_svc_report(r->inst, DMSC_UPSTREAM_ECANCELED);
            r->inst = NULL;
            return rc;
        }
    }
    return 0;
}

void gw__ingress_on_interest(dmsc_gw_t *g, const dmsc_interest_t *in, const dmsc_pkt_t *pkt)
{
    dmsc_svc_t *svc = dmsc_svcreg_find_lpm(g->svcs, &in->name);
    if (!svc) {
        gw__send_nack(g, pkt->wire, pkt->len, pkt->pit_token, DMSC_LP_NACK_NO_ROUTE);
        return;
    }
    /* a consumer's retransmission of a request: answered by what is under
     * way (its head again, if that was lost), not run twice */
    if (gw__stream_resend_head(g, &in->name, pkt->pit_token)) return;
    gw_ireq_t *dup = ireq_find(g, &in->name);
    if (dup && !dup->answered) {
        g->ctr.ingress_duplicates++;
        return;
    }
    g->ctr.ingress_requests++;
    gw_ireq_t *r = calloc(1, sizeof *r);
    if (!r || !(r->wire = malloc(pkt->len))) {
        free(r);
        return;
    }
    r->g = g;
    memcpy(r->wire, pkt->wire, pkt->len);
    r->wire_len = pkt->len;
    if (pkt->pit_token.n <= sizeof r->token) {
        memcpy(r->token, pkt->pit_token.p, pkt->pit_token.n);
        r->token_len = pkt->pit_token.n;
    }
    r->next = g->ireqs;
    if (r->next) r->next->pprev = &r->next;
    r->pprev = &g->ireqs;
    g->ireqs = r;
    g->n_ireqs++;
    dmsc_gw_buf_init(&r->acc, inline_body_max(g) + 65536 * 2);
    if (dmsc_interest_decode(&r->in, r->wire, r->wire_len, DMSC_TLV_MAX_PACKET)) {
        r->ended = true;
        ireq_free(r);
        return;
    }
    r->svc = svc;
    r->deadline = gw__now_ms(g) + r->in.lifetime;
    int rc = dmsc_hmap_request_decode(&r->in, &r->req);
    if (rc || r->req.prefix_ncomps < dmsc_svc_name(svc)->ncomps) {
        g->ctr.ingress_malformed++;
        send_error(r, DMSC_HMAP_ERR_MALFORMED_REQUEST, dmsc_strerror(rc));
        r->ended = true;
        ireq_free(r);
        return;
    }
    r->stable = dmsc_hmap_request_is_stable(&r->req);
    if (r->stable && !dup) ireq_tab_add(g, r);
    r->is_head = dmsc_http_token_eq(r->req.method, r->req.method_len, "HEAD");
    rc = start_upstream(r);
    if (rc == DMSC_EINVAL) { /* no healthy instance here: let the network try elsewhere */
        g->ctr.ingress_nack_no_instance++;
        if (served_elsewhere(r)) {
            count_error(g, DMSC_HMAP_ERR_NO_HEALTHY_INSTANCE);
            send_nack(r);
        } else {
            send_error(r, DMSC_HMAP_ERR_NO_HEALTHY_INSTANCE, NULL);
        }
        r->ended = true;
        ireq_free(r);
    } else if (rc) {
        send_error(r, rc == DMSC_EVALUE ? DMSC_HMAP_ERR_MALFORMED_REQUEST : kind_of_upstream(rc),
                   "upstream request");
        r->ended = true;
        ireq_free(r);
    }
}

static void on_stimer_closed(uv_handle_t *h)
{
    free(h->data);
}

static void ireq_free(gw_ireq_t *r)
{
    if (!r->ended) return;
    dmsc_gw_t *g = r->g;
    if (r->bfetch) {
        gw__fetch_free(r->bfetch);
        r->bfetch = NULL;
    }
    if (r->ureq) {
        dmsc_upstream_cancel(r->ureq);
        r->ureq = NULL;
    }
    if (r->hu) h2_detach(r);
    h2_pending_free(r->h2pending);
    if (r->inst) dmsc_svc_report(r->inst, DMSC_UPSTREAM_ECANCELED);
    if (r->rs) gw__stream_release(r->rs);
    ireq_tab_remove(g, r);
    *r->pprev = r->next;
    if (r->next) r->next->pprev = r->pprev;
    g->n_ireqs--;
    dmsc_gw_buf_free(&r->acc);
    free(r->fields);
    free(r->wire);
    r->fields = NULL;
    r->wire = NULL;
    if (r->stimer_on) { /* freed when libuv has closed the timer */
        uv_timer_stop(&r->stimer);
        uv_close((uv_handle_t *)&r->stimer, on_stimer_closed);
        return;
    }
    free(r);
}

void gw__ingress_stop(dmsc_gw_t *g)
{
    while (g->ireqs) {
        g->ireqs->ended = true;
        ireq_free(g->ireqs);
    }
    while (g->h2ups)
        h2up_close(g->h2ups);
    free(g->ireq_tab);
    g->ireq_tab = NULL;
    g->ireq_tab_cap = g->ireq_tab_n = 0;
}

/* ================= h2c / gRPC instances =================
 * One HTTP/2 connection per instance address, shared by all requests
 * (streams). Opened on first use; when it fails, every stream on it fails
 * (a refused connect before anything was sent goes through the same
 * Nack-or-retry path as HTTP/1.1). */

typedef struct h2up {
    struct h2up *next;
    dmsc_gw_t *g;
    char addr[DMSC_SVC_ADDR_MAX];
    uv_tcp_t tcp;
    uv_connect_t creq;
    dmsc_h2_t *h;
    bool connected, closing;
    gw_ireq_t *reqs;
    uint8_t rbuf[65536];
} h2up_t;

typedef struct {
    uv_write_t wr;
    uint8_t data[];
} h2w_t;

static void h2up_fail(h2up_t *u, int err);

static void h2w_done(uv_write_t *wr, int status)
{
    free(wr);
}

static void h2up_flush(h2up_t *u)
{
    const uint8_t *p;
    size_t n;
    while (u->connected && !u->closing && (n = dmsc_h2_pending(u->h, &p)) > 0) {
        h2w_t *w = malloc(sizeof *w + n);
        if (!w) break;
        memcpy(w->data, p, n);
        uv_buf_t b = uv_buf_init((char *)w->data, (unsigned)n);
        if (uv_write(&w->wr, (uv_stream_t *)&u->tcp, &b, 1, h2w_done)) free(w);
    }
}

static gw_ireq_t *h2_find(h2up_t *u, int32_t stream)
{
    for (gw_ireq_t *r = u->reqs; r; r = r->hnext)
        if (r->h2stream == stream) return r;
    return NULL;
}

static void h2_detach(gw_ireq_t *r)
{
    h2up_t *u = r->hu;
    gw_ireq_t **pp = &u->reqs;
    while (*pp && *pp != r)
        pp = &(*pp)->hnext;
    if (*pp) *pp = r->hnext;
    if (r->h2_live && u->h && !u->closing) {
        dmsc_h2_reset(u->h, r->h2stream, DMSC_H2_CANCEL);
        h2up_flush(u);
    }
    r->hu = NULL;
}

static int h2_submit(gw_ireq_t *r, const dmsc_http_field_t *f, size_t n, const char *auth)
{
    h2up_t *u = r->hu;
    static dmsc_http_head_t head;
    memset(&head, 0, sizeof head);
    head.is_request = true;
    head.version = 20;
    head.method = r->req.method;
    head.method_len = r->req.method_len;
    head.target = r->req.target;
    head.target_len = r->req.target_len;
    head.authority = auth;
    head.authority_len = strlen(auth);
    for (size_t i = 0; i < n && head.nfields < DMSC_HTTP_MAX_FIELDS; i++)
        if (!dmsc_http_token_eq(f[i].name, f[i].name_len, "host"))
            head.fields[head.nfields++] = f[i];
    bool body = r->req.body != DMSC_HMAP_BODY_NONE;
    head.body = body ? DMSC_HTTP_BODY_CHUNKED : DMSC_HTTP_BODY_NONE;
    int32_t id = dmsc_h2_request(u->h, &head, !body);
    if (id <= 0) return DMSC_EINVAL;
    r->h2stream = id;
    r->h2_live = true;
    if (r->req.body == DMSC_HMAP_BODY_INLINE) {
        dmsc_h2_send_data(u->h, id, r->req.body_data.p, r->req.body_data.n, true);
    } else if (r->req.body == DMSC_HMAP_BODY_NAMED) {
        int rc = gw__fetch_new(r->g, &r->req.body_name, NULL, false, r->g->cfg.gateway.body_max,
                               UINT64_MAX, &bf_cb, r, &r->bfetch);
        if (rc) return rc;
        if (r->req.has_body_length) gw__fetch_expect_length(r->bfetch, r->req.body_length);
    }
    h2up_flush(u);
    return 0;
}

static int h2_body_data(gw_ireq_t *r, const uint8_t *p, size_t n)
{
    if (!r->h2_live) return 0;
    if (dmsc_h2_send_data(r->hu->h, r->h2stream, p, n, false)) return 0;
    h2up_flush(r->hu);
    return dmsc_h2_queued(r->hu->h, r->h2stream) > (512u << 10) ? 1 : 0;
}

static void h2_body_end(gw_ireq_t *r)
{
    if (!r->h2_live) return;
    dmsc_h2_send_data(r->hu->h, r->h2stream, NULL, 0, true);
    h2up_flush(r->hu);
}

/* pending submission data kept while connecting */
typedef struct {
    dmsc_http_field_t *f; /* dmsc_http_fields_dup */
    size_t n;
    char auth[DMSC_SVC_HOST_MAX];
} h2_pending_t;

static void h2_pending_free(void *p)
{
    h2_pending_t *pd = p;
    if (!pd) return;
    free(pd->f);
    free(pd);
}

static void h2_on_response(void *arg, int32_t stream, const dmsc_http_head_t *head)
{
    gw_ireq_t *r = h2_find(arg, stream);
    if (r) on_up_head(r, NULL, head);
}

static void h2_on_data(void *arg, int32_t stream, const uint8_t *p, size_t n)
{
    h2up_t *u = arg;
    dmsc_h2_consumed(u->h, stream, n);
    gw_ireq_t *r = h2_find(u, stream);
    if (r) on_up_body(r, NULL, p, n);
}

static void h2_on_trailers(void *arg, int32_t stream, const dmsc_http_head_t *t)
{
    h2up_t *u = arg;
    gw_ireq_t *r = h2_find(u, stream);
    if (!r) return;
    r->h2_live = false;
    h2_detach(r);
    on_up_end(r, NULL, t->fields, t->nfields);
}

static void h2_on_end(void *arg, int32_t stream)
{
    h2up_t *u = arg;
    gw_ireq_t *r = h2_find(u, stream);
    if (!r) return;
    r->h2_live = false;
    h2_detach(r);
    on_up_end(r, NULL, NULL, 0);
}

static void h2_on_close(void *arg, int32_t stream, uint32_t code)
{
    h2up_t *u = arg;
    gw_ireq_t *r = h2_find(u, stream);
    if (!r) return;
    r->h2_live = false;
    h2_detach(r);
    on_up_error(r, NULL, DMSC_UPSTREAM_ECONNRESET);
}

static void h2_on_writable(void *arg, int32_t stream)
{
    gw_ireq_t *r = h2_find(arg, stream);
    if (r && r->bfetch) gw__fetch_resume(r->bfetch);
}

static void h2up_closed(uv_handle_t *h)
{
    h2up_t *u = h->data;
    dmsc_h2_free(u->h);
    free(u);
}

static void h2up_close(h2up_t *u)
{
    if (u->closing) return;
    h2up_fail(u, DMSC_UPSTREAM_ECANCELED);
}

/* Take u out of service: fail its streams, close the socket. */
static void h2up_fail(h2up_t *u, int err)
{
    if (u->closing) return;
    u->closing = true;
    h2up_t **pp = &u->g->h2ups;
    while (*pp && *pp != u)
        pp = &(*pp)->next;
    if (*pp) *pp = u->next;
    while (u->reqs) {
        gw_ireq_t *r = u->reqs;
        u->reqs = r->hnext;
        r->hu = NULL;
        r->h2_live = false;
        h2_pending_free(r->h2pending);
        r->h2pending = NULL;
        if (err == DMSC_UPSTREAM_ECANCELED) {
            r->ended = true;
            ireq_free(r);
        } else {
            on_up_error(r, NULL, r->h2stream ? err : DMSC_UPSTREAM_ECONNREFUSED);
        }
    }
    uv_close((uv_handle_t *)&u->tcp, h2up_closed);
}

static void h2up_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    h2up_t *u = h->data;
    *b = uv_buf_init((char *)u->rbuf, sizeof u->rbuf);
}

static void h2up_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    h2up_t *u = s->data;
    if (n < 0) {
        h2up_fail(u, DMSC_UPSTREAM_ECONNRESET);
        return;
    }
    if (dmsc_h2_recv(u->h, u->rbuf, (size_t)n)) {
        h2up_flush(u);
        h2up_fail(u, DMSC_UPSTREAM_EPROTO);
        return;
    }
    h2up_flush(u);
    if (dmsc_h2_want_close(u->h)) h2up_fail(u, DMSC_UPSTREAM_ECONNRESET);
}

static void h2up_connected(uv_connect_t *cr, int status)
{
    h2up_t *u = cr->data;
    if (u->closing) return;
    if (status < 0) {
        h2up_fail(u, DMSC_UPSTREAM_ECONNREFUSED);
        return;
    }
    u->connected = true;
    uv_tcp_nodelay(&u->tcp, 1);
    uv_read_start((uv_stream_t *)&u->tcp, h2up_alloc, h2up_read);
    /* submit what waited for the connection */
    for (gw_ireq_t *r = u->reqs, *nx; r; r = nx) {
        nx = r->hnext;
        h2_pending_t *pd = r->h2pending;
        if (!pd) continue;
        r->h2pending = NULL;
        int rc = h2_submit(r, pd->f, pd->n, pd->auth);
        h2_pending_free(pd);
        if (rc) {
            h2_detach(r);
            on_up_error(r, NULL, DMSC_UPSTREAM_EPROTO);
        }
    }
    h2up_flush(u);
}

static h2up_t *h2up_get(dmsc_gw_t *g, const char *addr)
{
    for (h2up_t *u = g->h2ups; u; u = u->next)
        if (!strcmp(u->addr, addr)) return u;
    struct sockaddr_storage ss;
    if (dmsc_svc_parse_addr(addr, &ss)) return NULL;
    h2up_t *u = calloc(1, sizeof *u);
    if (!u) return NULL;
    u->g = g;
    snprintf(u->addr, sizeof u->addr, "%s", addr);
    static const dmsc_h2_callbacks_t cb = {
        .on_response = h2_on_response,
        .on_data = h2_on_data,
        .on_trailers = h2_on_trailers,
        .on_end = h2_on_end,
        .on_close = h2_on_close,
        .on_writable = h2_on_writable,
    };
    if (dmsc_h2_client_new(&u->h, &cb, u, NULL)) {
        free(u);
        return NULL;
    }
    uv_tcp_init(g->loop, &u->tcp);
    u->tcp.data = u;
    u->creq.data = u;
    if (uv_tcp_connect(&u->creq, &u->tcp, (struct sockaddr *)&ss, h2up_connected)) {
        u->closing = true;
        uv_close((uv_handle_t *)&u->tcp, h2up_closed);
        return NULL;
    }
    u->next = g->h2ups;
    g->h2ups = u;
    return u;
}

static int h2_start(gw_ireq_t *r, const dmsc_http_field_t *f, size_t n, const char *auth)
{
    h2up_t *u = h2up_get(r->g, dmsc_svc_inst_addr(r->inst));
    if (!u) return DMSC_UPSTREAM_ECONNREFUSED;
    r->hu = u;
    r->hnext = u->reqs;
    u->reqs = r;
    if (u->connected) return h2_submit(r, f, n, auth);
    /* keep a copy of the fields until the connection is up */
    h2_pending_t *pd = calloc(1, sizeof *pd);
    if (!pd || (n && !(pd->f = dmsc_http_fields_dup(f, n)))) {
        free(pd);
        return DMSC_ENOMEM;
    }
    pd->n = n;
    snprintf(pd->auth, sizeof pd->auth, "%s", auth);
    r->h2pending = pd;
    return 0;
}
