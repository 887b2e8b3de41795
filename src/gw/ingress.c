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
#include "gw/upstream.h"
#include "ndn/lp.h"
#include "sec/sig.h"

#define LOGM "gw"

/* Body bytes answered inline when the whole response fits one Data. */
#define INLINE_BODY_MAX 6144

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

    /* response */
    int status;
    char *head_store;
    dmsc_http_field_t *fields;
    size_t nfields;
    char reason[64];
    bool has_length;
    uint64_t length;
    uint64_t freshness;
    dmsc_gw_buf_t acc;
    gw_stream_t *rs;
};

static void ireq_free(gw_ireq_t *r);

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
    if (dmsc_data_encode(&d, dmsc_sig_digest_signer(), g->buf, sizeof g->buf, &wire)) return;
    gw__send_data(g, wire.p, wire.n, dmsc_slice(r->token, r->token_len));
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
    memcpy(resp.fields, r->fields, r->nfields * sizeof *r->fields);
    resp.nfields = r->nfields;
    if (segmented) {
        resp.body = DMSC_HMAP_BODY_SEGMENTED;
        resp.has_body_length = r->has_length;
        resp.body_length = r->length;
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
    static uint8_t cbuf[DMSC_TLV_DGRAM_MAX];
    dmsc_slice_t content, wire;
    int rc = dmsc_hmap_response_encode(&resp, cbuf, sizeof cbuf, &content);
    if (rc) return rc == DMSC_ENOBUFS || rc == DMSC_ETOOBIG ? DMSC_ENOBUFS : rc;
    dmsc_data_t d;
    dmsc_hmap_data_init(&d, &r->in.name, content, r->freshness, false);
    rc = dmsc_data_encode(&d, dmsc_sig_digest_signer(), g->buf, sizeof g->buf, &wire);
    if (rc) return DMSC_ENOBUFS;
    if (wire.n > DMSC_TLV_DGRAM_MAX) return DMSC_ENOBUFS;
    r->answered = true;
    gw__send_data(g, wire.p, wire.n, dmsc_slice(r->token, r->token_len));
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

static const gw_stream_cb_t rs_cb = {rs_drain, NULL};

/* Switch to a segmented response: head Data now, bytes so far into the stream. */
static int go_segmented(gw_ireq_t *r)
{
    dmsc_gw_t *g = r->g;
    int rc = send_head(r, true, NULL, 0);
    if (rc) return rc;
    dmsc_namebuf_t seg0;
    if ((rc = dmsc_hmap_segment_name(&r->in.name, 0, &seg0))) return rc;
    dmsc_name_t base;
    dmsc_name_get_prefix(&seg0.name, seg0.name.ncomps - 1, &base);
    if ((rc = gw__stream_new(g, &base, r->freshness, &rs_cb, r, &r->rs))) return rc;
    rc = gw__stream_write(r->rs, r->acc.p, r->acc.len);
    dmsc_gw_buf_free(&r->acc);
    if (rc == 1 && r->ureq) dmsc_upstream_pause(r->ureq, true);
    return rc < 0 ? rc : 0;
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
    size_t total = 0;
    for (size_t i = 0; i < fs.n; i++)
        total += fs.f[i].name_len + fs.f[i].value_len;
    r->head_store = malloc(total + 1);
    r->fields = calloc(fs.n ? fs.n : 1, sizeof *r->fields);
    if (!r->head_store || !r->fields) {
        send_error(r, DMSC_HMAP_ERR_INTERNAL, "out of memory");
        return;
    }
    char *q = r->head_store;
    for (size_t i = 0; i < fs.n; i++) {
        memcpy(q, fs.f[i].name, fs.f[i].name_len);
        r->fields[i].name = q;
        r->fields[i].name_len = fs.f[i].name_len;
        q += fs.f[i].name_len;
        memcpy(q, fs.f[i].value, fs.f[i].value_len);
        r->fields[i].value = q;
        r->fields[i].value_len = fs.f[i].value_len;
        q += fs.f[i].value_len;
    }
    r->nfields = fs.n;
    r->has_length = h->body == DMSC_HTTP_BODY_LENGTH;
    r->length = h->content_length;
    bool cacheable;
    r->freshness = dmsc_hmap_freshness(r->stable, r->req.fields, r->req.nfields, h->status,
                                       h->fields, h->nfields, (int64_t)time(NULL), &cacheable);
    if (!cacheable) r->freshness = 0;
    /* a body known to be large: segmented from the start */
    if (r->has_length && r->length > INLINE_BODY_MAX && !r->is_head && go_segmented(r))
        send_error(r, DMSC_HMAP_ERR_BAD_RESPONSE, "response head too large");
}

static void on_up_body(void *arg, dmsc_upstream_req_t *req, const uint8_t *p, size_t n)
{
    gw_ireq_t *r = arg;
    if (r->answered && !r->rs) return; /* failed already */
    if (r->rs) {
        int rc = gw__stream_write(r->rs, p, n);
        if (rc == 1) dmsc_upstream_pause(req, true);
        return;
    }
    if (dmsc_gw_buf_append(&r->acc, p, n) || r->acc.len > INLINE_BODY_MAX) {
        if (r->acc.len <= INLINE_BODY_MAX) { /* out of memory appending */
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
            /* does not fit one Data: segmented after all */
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
        count_error(r->g, DMSC_HMAP_ERR_UPSTREAM_CONNECT);
        send_nack(r);
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

static int bf_data(void *arg, const uint8_t *p, size_t n)
{
    gw_ireq_t *r = arg;
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
        rc = gw__fetch_new(g, &r->req.body_name, NULL, false, g->cfg.gateway.body_max, &bf_cb, r,
                           &r->bfetch);
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
    dmsc_gw_buf_init(&r->acc, INLINE_BODY_MAX + 65536 * 2);
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
    r->is_head = dmsc_http_token_eq(r->req.method, r->req.method_len, "HEAD");
    rc = start_upstream(r);
    if (rc == DMSC_EINVAL) { /* no healthy instance here: let the network try elsewhere */
        g->ctr.ingress_nack_no_instance++;
        count_error(g, DMSC_HMAP_ERR_NO_HEALTHY_INSTANCE);
        send_nack(r);
        r->ended = true;
        ireq_free(r);
    } else if (rc) {
        send_error(r, rc == DMSC_EVALUE ? DMSC_HMAP_ERR_MALFORMED_REQUEST : kind_of_upstream(rc),
                   "upstream request");
        r->ended = true;
        ireq_free(r);
    }
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
    if (r->inst) dmsc_svc_report(r->inst, DMSC_UPSTREAM_ECANCELED);
    if (r->rs) gw__stream_release(r->rs);
    *r->pprev = r->next;
    if (r->next) r->next->pprev = r->pprev;
    g->n_ireqs--;
    dmsc_gw_buf_free(&r->acc);
    free(r->head_store);
    free(r->fields);
    free(r->wire);
    free(r);
}

void gw__ingress_stop(dmsc_gw_t *g)
{
    while (g->ireqs) {
        g->ireqs->ended = true;
        ireq_free(g->ireqs);
    }
}
