/*
 * NDNLPv2 link service (NFD's GenericLinkService semantics):
 *
 * Receive: bare Interest/Data or LpPacket; IDLE (no Fragment) is counted and
 * ignored; fragments are reassembled (any face; the reassembler is keyed by
 * face id); then per NFD:
 *   Interest: NextHopFaceId honoured on local faces with LocalFields, else
 *             the packet is dropped; CachePolicy -> drop; IncomingFaceId ignored
 *   Data:     Nack or NextHopFaceId -> drop; CachePolicy NoCache -> no_cache
 *   Nack:     NextHopFaceId or CachePolicy -> drop
 *   all:      PitToken and CongestionMark passed up
 * Send: PitToken, Nack, CongestionMark, CachePolicy (Data), IncomingFaceId
 * (local faces with LocalFields only) in one LpPacket header, written in
 * front of the packet with scatter-gather (no copy of the packet); bare
 * packet when there is no field. Datagram faces fragment above their MTU.
 *
 * Congestion marking (faces with the CongestionMarking flag and a send
 * queue: TCP, Unix), as NFD's GenericLinkService: while the queue stays
 * above CM_THRESHOLD bytes, the first packet sent CM_INTERVAL_US after it
 * rose above gets CongestionMark=1, then one every CM_INTERVAL_US /
 * sqrt(marks + 1) (CoDel's control law); the episode ends when a send finds
 * the queue below the threshold. A mark already on the packet (propagated
 * from upstream by the forwarder) is kept.
 */
#include <math.h>
#include <string.h>
#include <uv.h>

#include "base/err.h"
#include "face/face_int.h"

#define CM_THRESHOLD (64 * 1024) /* NFD's DefaultCongestionThreshold (bytes) */
#define CM_INTERVAL_US 100000    /* NFD's BaseCongestionMarkingInterval (100 ms) */

/* Largest LP header we write in front of a whole packet. */
#define TX_HDR_MAX 128
/* FragCount ceiling when sending (NFD's reassembler accepts 400). */
#define TX_MAX_FRAGS 400

static void rx_drop(dmsc__face_t *f, int reason, int err, const char *where)
{
    dmsc__drop(f->ft, f->id, reason, err, where);
}

void dmsc__link_rx(dmsc__face_t *f, const uint8_t *p, size_t n, uint64_t now_ns)
{
    dmsc_facetable_t *ft = f->ft;
    dmsc_lp_t lp;
    f->lc.in_lp_packets++;
    f->last_rx_ms = dmsc__now_ms(ft);

    int rc = dmsc_lp_decode(p, n, f->rx_max, &lp);
    if (rc) {
        f->lc.in_lp_invalid++;
        rx_drop(f, rc == DMSC_ETOOBIG ? DMSC_DROP_TOO_BIG : DMSC_DROP_MALFORMED, rc, "lp");
        return;
    }
    if (!(lp.has & DMSC_LP_HAS_FRAGMENT)) {
        f->lc.in_idle++;
        return;
    }

    dmsc_lp_t whole;
    const dmsc_lp_t *net = &lp;
    if (lp.frag_count > 1) {
        f->lc.in_frags++;
        rc = dmsc_lpfrag_reasm_push(ft->reasm, f->id, &lp, dmsc__now_ms(ft), ft->reasm_out,
                                    ft->reasm_out_cap, &whole);
        if (rc == DMSC_LPFRAG_PENDING) return;
        if (rc < 0) {
            f->lc.in_reasm_drops++;
            if (rc == DMSC_ETOOBIG)
                rx_drop(f, DMSC_DROP_TOO_BIG, rc, "reassembly");
            else if (rc == DMSC_ELPFRAG)
                rx_drop(f, DMSC_DROP_MALFORMED, rc, "reassembly");
            return; /* duplicates and memory pressure: counted, not "malformed" */
        }
        net = &whole;
    }
    if (net->fragment.n > f->tx_max) {
        /* datagram faces: a network packet above 8800 bytes arrived whole */
        f->lc.in_net_invalid++;
        rx_drop(f, DMSC_DROP_TOO_BIG, DMSC_ETOOBIG, "net");
        return;
    }

    dmsc_tlv_t el;
    rc = dmsc_tlv_decode_one(net->fragment.p, net->fragment.n, &el);
    if (rc) {
        f->lc.in_net_invalid++;
        rx_drop(f, DMSC_DROP_MALFORMED, rc, "net");
        return;
    }

    dmsc_pkt_t pkt;
    memset(&pkt, 0, sizeof pkt);
    pkt.wire = net->fragment.p;
    pkt.len = net->fragment.n;
    uint32_t has = net->has;
    bool local_fields = f->scope == DMSC_SCOPE_LOCAL && (f->flags & DMSC_FACE_FLAG_LOCAL_FIELDS);

    if (el.type == DMSC_TT_INTEREST) {
        if (has & DMSC_LP_HAS_NACK) {
            if (has & (DMSC_LP_HAS_NEXT_HOP_FACE_ID | DMSC_LP_HAS_CACHE_POLICY)) {
                f->lc.in_lp_invalid++;
                rx_drop(f, DMSC_DROP_MALFORMED, DMSC_ELPHDR, "nack-field");
                return;
            }
            pkt.kind = DMSC_PKT_NACK;
            pkt.nack_reason = net->nack_reason;
        } else {
            if (has & DMSC_LP_HAS_CACHE_POLICY) {
                f->lc.in_lp_invalid++;
                rx_drop(f, DMSC_DROP_MALFORMED, DMSC_ELPHDR, "interest-cachepolicy");
                return;
            }
            if (has & DMSC_LP_HAS_NEXT_HOP_FACE_ID) {
                if (!local_fields) {
                    f->lc.in_lp_invalid++;
                    rx_drop(f, DMSC_DROP_SCOPE, DMSC_ELPHDR, "nexthopfaceid");
                    return;
                }
                pkt.next_hop_face = net->next_hop_face_id;
            }
            pkt.kind = DMSC_PKT_INTEREST;
        }
    } else if (el.type == DMSC_TT_DATA) {
        if (has & (DMSC_LP_HAS_NACK | DMSC_LP_HAS_NEXT_HOP_FACE_ID)) {
            f->lc.in_lp_invalid++;
            rx_drop(f, DMSC_DROP_MALFORMED, DMSC_ELPHDR, "data-field");
            return;
        }
        pkt.kind = DMSC_PKT_DATA;
        if (has & DMSC_LP_HAS_CACHE_POLICY)
            pkt.no_cache = net->cache_policy == DMSC_LP_CACHE_NO_CACHE;
    } else {
        f->lc.in_net_invalid++;
        rx_drop(f, DMSC_DROP_MALFORMED, DMSC_ETYPE, "net-type");
        return;
    }
    if (has & DMSC_LP_HAS_PIT_TOKEN) pkt.pit_token = net->pit_token;
    if (has & DMSC_LP_HAS_CONGESTION_MARK) pkt.congestion_mark = net->congestion_mark;
    /* IncomingFaceId from a peer is ignored (NFD) */

    dmsc__deliver(f, &pkt, now_ns);
}

/* Whether the packet f sends now gets a CongestionMark (see the top). */
static bool congestion_mark(dmsc__face_t *f)
{
    if (!(f->flags & DMSC_FACE_FLAG_CONGESTION_MARKING) || !f->ops->queued) return false;
    size_t q = f->ops->queued(f);
    if (q <= CM_THRESHOLD) {
        f->cm_next_us = 0; /* the episode (if any) is over */
        f->cm_marked = 0;
        return false;
    }
    if (q >= f->ft->cfg.send_queue_max / 2) {
        /* a burst half-way to drops: every packet is marked until the
         * queue drains (consumers decrease once per round trip) */
        f->lc.out_cmarks++;
        return true;
    }
    uint64_t now = uv_hrtime() / 1000;
    if (f->cm_next_us == 0) {
        f->cm_next_us = now + CM_INTERVAL_US;
        return false;
    }
    if (now < f->cm_next_us) return false;
    f->cm_marked++;
    f->cm_next_us += (uint64_t)(CM_INTERVAL_US / sqrt((double)f->cm_marked + 1));
    f->lc.out_cmarks++;
    return true;
}

/* Header fields for pkt on f; returns the presence bits. */
static uint32_t tx_fields(const dmsc__face_t *f, const dmsc_pkt_t *pkt, uint64_t cmark,
                          dmsc_lp_t *h)
{
    h->has = 0;
    if (pkt->pit_token.n >= DMSC_LP_PIT_TOKEN_MIN && pkt->pit_token.n <= DMSC_LP_PIT_TOKEN_MAX) {
        h->has |= DMSC_LP_HAS_PIT_TOKEN;
        h->pit_token = pkt->pit_token;
    }
    if (pkt->kind == DMSC_PKT_NACK) {
        h->has |= DMSC_LP_HAS_NACK;
        h->nack_reason = pkt->nack_reason;
    }
    if (pkt->incoming_face && f->scope == DMSC_SCOPE_LOCAL &&
        (f->flags & DMSC_FACE_FLAG_LOCAL_FIELDS)) {
        h->has |= DMSC_LP_HAS_INCOMING_FACE_ID;
        h->incoming_face_id = pkt->incoming_face;
    }
    if (pkt->kind == DMSC_PKT_DATA && pkt->no_cache) {
        h->has |= DMSC_LP_HAS_CACHE_POLICY;
        h->cache_policy = DMSC_LP_CACHE_NO_CACHE;
    }
    if (cmark) {
        h->has |= DMSC_LP_HAS_CONGESTION_MARK;
        h->congestion_mark = cmark;
    }
    return h->has;
}

static int tx_fail(dmsc__face_t *f, int rc)
{
    f->lc.out_drops++;
    return rc;
}

static int tx_one(dmsc__face_t *f, const struct iovec *iov, int iovcnt, size_t len)
{
    int rc = f->ops->send(f, iov, iovcnt, len);
    if (rc) return tx_fail(f, rc);
    f->lc.out_lp_packets++;
    f->last_tx_ms = dmsc__now_ms(f->ft);
    return 0;
}

int dmsc__link_tx(dmsc__face_t *f, const dmsc_pkt_t *pkt)
{
    if (!pkt->wire || pkt->len == 0) return tx_fail(f, DMSC_EINVAL);
    if (pkt->len > f->tx_max) return tx_fail(f, DMSC_ETOOBIG);

    dmsc_lp_t h;
    /* only the fields tx_fields() sets and the encoder reads are initialised:
     * dmsc_lp_init() would clear ~300 bytes per packet */
    h.frag_index = 0;
    h.frag_count = 1;
    h.n_acks = 0;
    h.acks_ext = NULL;
    struct iovec iov[2];
    uint64_t cmark = pkt->congestion_mark;
    if (!cmark && congestion_mark(f)) cmark = 1;
    uint32_t has = tx_fields(f, pkt, cmark, &h);

    if (has == 0 && (!f->datagram || pkt->len <= f->mtu)) {
        iov[0].iov_base = (void *)pkt->wire;
        iov[0].iov_len = pkt->len;
        return tx_one(f, iov, 1, pkt->len);
    }
    if (has) {
        uint8_t buf[TX_HDR_MAX];
        dmsc_enc_t e;
        dmsc_enc_init(&e, buf, sizeof buf);
        h.has |= DMSC_LP_HAS_FRAGMENT;
        h.fragment = dmsc_slice(pkt->wire, pkt->len);
        int rc = dmsc_lp_encode_hdr(&e, &h);
        if (rc) return tx_fail(f, rc);
        size_t hl = sizeof buf - dmsc_enc_mark(&e);
        size_t total = hl + pkt->len;
        if (!f->datagram && total > f->ft->cfg.max_packet) return tx_fail(f, DMSC_ETOOBIG);
        if (!f->datagram || total <= f->mtu) {
            iov[0].iov_base = dmsc_enc_data(&e);
            iov[0].iov_len = hl;
            iov[1].iov_base = (void *)pkt->wire;
            iov[1].iov_len = pkt->len;
            return tx_one(f, iov, 2, total);
        }
    }

    /* datagram face and the packet does not fit the MTU: fragment */
    dmsc_lp_t full;
    dmsc_lp_init(&full);
    tx_fields(f, pkt, cmark, &full);
    dmsc_lpfrag_split_t s;
    int rc = dmsc_lpfrag_split_init(&s, has ? &full : NULL, dmsc_slice(pkt->wire, pkt->len), f->mtu,
                                    TX_MAX_FRAGS, &f->frag_seq);
    if (rc) return tx_fail(f, rc);
    for (uint32_t i = 0; i < s.count; i++) {
        uint8_t buf[DMSC_LPFRAG_HDR_MAX + 64];
        dmsc_enc_t e;
        dmsc_slice_t payload;
        dmsc_enc_init(&e, buf, sizeof buf);
        rc = dmsc_lpfrag_split_encode_hdr(&s, i, &e, &payload);
        if (rc) return tx_fail(f, rc);
        size_t hl = sizeof buf - dmsc_enc_mark(&e);
        iov[0].iov_base = dmsc_enc_data(&e);
        iov[0].iov_len = hl;
        iov[1].iov_base = (void *)payload.p;
        iov[1].iov_len = payload.n;
        rc = tx_one(f, iov, 2, hl + payload.n);
        if (rc) return rc;
        f->lc.out_frags++;
    }
    return 0;
}

void dmsc__link_tx_idle(dmsc__face_t *f)
{
    static const uint8_t idle[2] = {DMSC_TT_LP_PACKET, 0x00};
    struct iovec iov = {(void *)idle, sizeof idle};
    if (tx_one(f, &iov, 1, sizeof idle) == 0) f->lc.out_idle++;
}
