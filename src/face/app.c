/*
 * In-process app faces: the daemon's own modules (management, ping
 * responder) talk to the forwarder through them. Local scope, LocalFields
 * on, permanent.
 *
 * Forwarder -> app: the packet and its fields are copied into a bounded
 * ring (app_queue_max bytes) and handed to the app's callback from the
 * table's deferred-work callback on a later loop turn, never from inside
 * io->send (fw.h: the forwarder must not be re-entered).
 * App -> forwarder: straight into dmsc_fw_receive (zero copy), unless the
 * call happens while the face layer is inside the forwarder; then it is
 * copied and queued for the next turn.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "face/face_int.h"

typedef struct {
    uint8_t kind;
    uint8_t no_cache;
    uint8_t tok_len;
    uint8_t pad;
    uint32_t len;
    uint64_t nack_reason, next_hop, incoming, cmark;
    uint8_t tok[DMSC_LP_PIT_TOKEN_MAX];
} meta_t;

typedef struct {
    dmsc__face_t base; /* first */
    dmsc_app_recv_cb cb;
    void *arg;
    dmsc__ring_t q;   /* forwarder -> app */
    dmsc__ring_t inq; /* app -> forwarder, deferred */
    bool delivering;
} app_face_t;

static int app_send_pkt(dmsc__face_t *f, const dmsc_pkt_t *pkt);
static void app_close(dmsc__face_t *f);
static void app_stats(const dmsc__face_t *f, dmsc_face_link_counters_t *out);

static const dmsc__transport_ops_t app_ops = {
    .kind = "app",
    .send_pkt = app_send_pkt,
    .close = app_close,
    .stats = app_stats,
};

static int push(dmsc_facetable_t *ft, dmsc__ring_t *r, const dmsc_pkt_t *pkt)
{
    if (!r->buf && dmsc__ring_alloc(r, ft->cfg.app_queue_max + 2 * (ft->cfg.max_packet + 128)))
        return DMSC_ENOMEM;
    if (r->bytes + pkt->len > ft->cfg.app_queue_max) return DMSC_ENOBUFS;
    meta_t *m = dmsc__ring_push(r, sizeof(meta_t) + pkt->len);
    if (!m) return DMSC_ENOBUFS;
    m->kind = pkt->kind;
    m->no_cache = pkt->no_cache;
    m->tok_len = (uint8_t)(pkt->pit_token.n <= DMSC_LP_PIT_TOKEN_MAX ? pkt->pit_token.n : 0);
    m->pad = 0;
    m->len = (uint32_t)pkt->len;
    m->nack_reason = pkt->nack_reason;
    m->next_hop = pkt->next_hop_face;
    m->incoming = pkt->incoming_face;
    m->cmark = pkt->congestion_mark;
    if (m->tok_len) memcpy(m->tok, pkt->pit_token.p, m->tok_len);
    memcpy(m + 1, pkt->wire, pkt->len);
    return 0;
}

static void unpack(const meta_t *m, dmsc_pkt_t *pkt)
{
    memset(pkt, 0, sizeof *pkt);
    pkt->kind = m->kind;
    pkt->no_cache = m->no_cache;
    pkt->wire = (const uint8_t *)(m + 1);
    pkt->len = m->len;
    pkt->pit_token = dmsc_slice(m->tok, m->tok_len);
    pkt->nack_reason = m->nack_reason;
    pkt->next_hop_face = m->next_hop;
    pkt->incoming_face = m->incoming;
    pkt->congestion_mark = m->cmark;
}

static bool valid_pkt(const dmsc_pkt_t *pkt)
{
    return pkt && pkt->wire && pkt->len > 0 && pkt->len <= UINT32_MAX &&
           (pkt->kind == DMSC_PKT_INTEREST || pkt->kind == DMSC_PKT_DATA ||
            pkt->kind == DMSC_PKT_NACK);
}

static int app_send_pkt(dmsc__face_t *f, const dmsc_pkt_t *pkt)
{
    app_face_t *af = (app_face_t *)f;
    if (!valid_pkt(pkt)) return DMSC_EINVAL;
    int rc = push(f->ft, &af->q, pkt);
    if (rc) {
        f->lc.out_drops++;
        return rc;
    }
    f->lc.out_lp_packets++;
    f->want_deliver = true;
    dmsc__face_schedule(f);
    return 0;
}

static void release_rings(app_face_t *af)
{
    dmsc__ring_release(&af->q);
    dmsc__ring_release(&af->inq);
}

static void app_close(dmsc__face_t *f)
{
    app_face_t *af = (app_face_t *)f;
    if (!af->delivering) release_rings(af);
    dmsc__face_release(f);
}

static void app_stats(const dmsc__face_t *f, dmsc_face_link_counters_t *out)
{
    const app_face_t *af = (const app_face_t *)f;
    out->out_queue_bytes = af->q.bytes;
}

void dmsc__app_deliver(dmsc__face_t *f)
{
    app_face_t *af = (app_face_t *)f;
    dmsc_facetable_t *ft = f->ft;
    af->delivering = true;
    /* app -> forwarder first: those were sent earlier */
    uint32_t n = af->inq.count;
    uint64_t now_ns = uv_hrtime();
    for (uint32_t i = 0; i < n && f->state == DMSC__FACE_UP; i++) {
        size_t sz;
        meta_t *m = dmsc__ring_peek(&af->inq, &sz);
        dmsc_pkt_t pkt;
        unpack(m, &pkt);
        f->lc.in_lp_packets++;
        dmsc__deliver(f, &pkt, now_ns);
        dmsc__ring_pop(&af->inq);
    }
    n = af->q.count;
    for (uint32_t i = 0; i < n && f->state == DMSC__FACE_UP; i++) {
        size_t sz;
        meta_t *m = dmsc__ring_peek(&af->q, &sz);
        dmsc_pkt_t pkt;
        unpack(m, &pkt);
        af->cb(af->arg, f->id, &pkt);
        if (f->state != DMSC__FACE_UP) break; /* the app closed its face */
        dmsc__ring_pop(&af->q);
    }
    af->delivering = false;
    if (f->state != DMSC__FACE_UP) {
        release_rings(af);
        return;
    }
    if (af->q.count || af->inq.count) {
        /* more arrived meanwhile: next turn, so the loop gets to poll */
        f->want_deliver = true;
        dmsc__face_schedule(f);
    }
    (void)ft;
}

int dmsc_facetable_app_new(dmsc_facetable_t *ft, const char *name, dmsc_faceid_t want_id,
                           dmsc_app_recv_cb cb, void *arg, dmsc_faceid_t *out_id)
{
    if (!cb || want_id >= DMSC_FACEID_CONTENT_STORE) return DMSC_EINVAL;
    if (want_id == 0) {
        for (dmsc_faceid_t id = 2; id < DMSC_FACEID_CONTENT_STORE; id++) {
            if (!dmsc__map_get(&ft->byid, id)) {
                want_id = id;
                break;
            }
        }
        if (want_id == 0) return DMSC_EINVAL;
    }
    app_face_t *af = calloc(1, sizeof *af);
    if (!af) return DMSC_ENOMEM;
    dmsc__face_t *f = &af->base;
    dmsc__face_init(f, ft, &app_ops);
    af->cb = cb;
    af->arg = arg;
    f->scope = DMSC_SCOPE_LOCAL;
    f->persistency = DMSC_FACE_PERMANENT;
    f->flags = DMSC_FACE_FLAG_LOCAL_FIELDS;
    f->tx_max = DMSC_TLV_MAX_PACKET;
    f->rx_max = DMSC_TLV_MAX_PACKET;
    snprintf(f->remote_uri, sizeof f->remote_uri, "app://%s", name ? name : "app");
    snprintf(f->local_uri, sizeof f->local_uri, "app://");
    int rc = dmsc__face_add(f, want_id);
    if (rc) {
        free(af);
        return rc;
    }
    if (out_id) *out_id = f->id;
    return 0;
}

int dmsc_facetable_app_send(dmsc_facetable_t *ft, dmsc_faceid_t id, const dmsc_pkt_t *pkt)
{
    dmsc__face_t *f = dmsc__face_get(ft, id);
    if (!f || f->ops != &app_ops || !valid_pkt(pkt)) return DMSC_EINVAL;
    app_face_t *af = (app_face_t *)f;
    if (ft->in_fw > 0 || af->inq.count > 0) {
        /* inside the forwarder (or behind earlier deferred packets): queue */
        int rc = push(ft, &af->inq, pkt);
        if (rc) return rc;
        f->want_deliver = true;
        dmsc__face_schedule(f);
        return 0;
    }
    f->lc.in_lp_packets++;
    dmsc__deliver(f, pkt, uv_hrtime());
    return 0;
}
