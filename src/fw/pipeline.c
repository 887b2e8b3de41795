/*
 * The forwarding pipelines (NFD's, in the order ARCHITECTURE.md section 4
 * gives): incoming Interest, Data and Nack, the actions strategies use, and
 * the expiry timers.
 */
#include "fw/fw_int.h"

#include <string.h>

#include "base/err.h"
#include "ndn/data.h"
#include "ndn/interest.h"
#include "ndn/lp.h"

static const uint8_t localhost_comp[] = {0x08, 9, 'l', 'o', 'c', 'a', 'l', 'h', 'o', 's', 't'};
static const uint8_t localhop_comp[] = {0x08, 8, 'l', 'o', 'c', 'a', 'l', 'h', 'o', 'p'};

static bool first_comp_is(const dmsc_name_t *n, const uint8_t *c, size_t len)
{
    return n->ncomps > 0 && n->off[1] == len && memcmp(n->value, c, len) == 0;
}

static inline uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* ---- output ---- */

static int send_pkt(dmsc_fw_t *fw, dmsc_fw_face_t *f, const dmsc_pkt_t *p)
{
    int rc = fw->io.send(fw->io.ctx, f->id, p);
    if (rc < 0) {
        dmsc__fw_drop(fw, f, DMSC_DROP_FACE_DOWN);
        return rc;
    }
    f->ctr.out_bytes += p->len;
    if (p->kind == DMSC_PKT_INTEREST)
        f->ctr.out_interests++;
    else if (p->kind == DMSC_PKT_DATA)
        f->ctr.out_data++;
    else
        f->ctr.out_nacks++;
    return 0;
}

static void send_nack(dmsc_fw_t *fw, dmsc_fw_face_t *f, const uint8_t *wire, size_t len,
                      dmsc_slice_t tok, uint64_t reason)
{
    dmsc_pkt_t p;
    memset(&p, 0, sizeof p);
    p.kind = DMSC_PKT_NACK;
    p.wire = wire;
    p.len = len;
    p.pit_token = tok;
    p.nack_reason = reason;
    send_pkt(fw, f, &p);
}

/* no_cache: the Data came with CachePolicy NoCache; cmark: its
 * CongestionMark. Both go on with it, as NFD keeps the CachePolicy and
 * CongestionMark tags on the Data it forwards (a consumer learns of
 * congestion at any hop upstream) */
static void send_data(dmsc_fw_t *fw, dmsc_fw_face_t *f, const uint8_t *wire, size_t len,
                      dmsc_slice_t tok, dmsc_faceid_t from, bool no_cache, uint64_t cmark)
{
    dmsc_pkt_t p;
    memset(&p, 0, sizeof p);
    p.kind = DMSC_PKT_DATA;
    p.wire = wire;
    p.len = len;
    p.pit_token = tok;
    p.incoming_face = from;
    p.no_cache = no_cache;
    p.congestion_mark = cmark;
    send_pkt(fw, f, &p);
}

/* ---- Dead Nonce List (NFD insertDeadNonceList) ---- */

static void dnl_insert_out(dmsc_fw_t *fw, dmsc_pit_entry_t *e, uint64_t now)
{
    for (uint16_t i = 0; i < e->n_out; i++)
        dmsc_dnl_add(&fw->dnl, dmsc_dnl_key(e->node.hash, e->out[i].nonce), now);
}

/* ---- entry end of life ---- */

void dmsc__fw_erase(dmsc_fw_t *fw, dmsc_pit_entry_t *e)
{
    if (e->strategy && e->strategy->before_erase) e->strategy->before_erase(fw, e);
    for (uint16_t i = 0; i < e->n_in; i++) {
        dmsc_fw_face_t *f = dmsc__fw_face(fw, e->in[i].face);
        if (f && f->ctr.pit_entries) f->ctr.pit_entries--;
    }
    dmsc_pit_erase(&fw->pit, e);
}

void dmsc__fw_reject(dmsc_fw_t *fw, dmsc_pit_entry_t *e, uint64_t reason, uint64_t now)
{
    uint32_t copy_nonce = e->nonce_off ? rd32(e->wire + e->nonce_off) : 0;
    for (uint16_t i = 0; i < e->n_in; i++) {
        dmsc_inrec_t *r = &e->in[i];
        if (r->expiry <= now) continue;
        dmsc_fw_face_t *f = dmsc__fw_face(fw, r->face);
        if (!f) continue;
        const uint8_t *w = e->wire;
        if (e->nonce_off && r->nonce != copy_nonce) {
            /* the downstream's own Nonce, so that it recognizes its Interest */
            memcpy(fw->scratch, e->wire, e->wire_len);
            wr32(fw->scratch + e->nonce_off, r->nonce);
            w = fw->scratch;
        }
        send_nack(fw, f, w, e->wire_len, dmsc_slice(r->tok, r->tok_len), reason);
    }
    dnl_insert_out(fw, e, now);
    fw->ctr.unsatisfied_interests++;
    dmsc__fw_erase(fw, e);
}

void dmsc__fw_no_route(dmsc_fw_t *fw, dmsc_pit_entry_t *e, dmsc_faceid_t in_face, uint64_t now)
{
    dmsc__fw_drop(fw, dmsc__fw_face(fw, in_face), DMSC_DROP_NO_ROUTE);
    dmsc__fw_reject(fw, e, DMSC_LP_NACK_NO_ROUTE, now);
}

/* ---- actions for strategies ---- */

bool dmsc__fw_eligible(const dmsc_fw_t *fw, const dmsc_pit_entry_t *e, dmsc_faceid_t face)
{
    const dmsc_fw_face_t *f = dmsc__fw_face(fw, face);
    if (!f) return false;
    for (uint16_t i = 0; i < e->n_in; i++)
        if (e->in[i].face == face) return false; /* never back to a downstream */
    if (f->scope != DMSC_SCOPE_LOCAL) {
        if (e->flags & (DMSC_PIT_F_LOCALHOST | DMSC_PIT_F_LOCALHOP)) return false;
        if (e->has_hop && e->out_hop == 0) return false;
    }
    return true;
}

int dmsc__fw_send_interest(dmsc_fw_t *fw, dmsc_pit_entry_t *e, dmsc_faceid_t face, uint64_t now)
{
    dmsc_fw_face_t *f = dmsc__fw_face(fw, face);
    if (!f) return DMSC_EINVAL;
    uint8_t tok[DMSC_PIT_TOKEN_LEN];
    dmsc_pit_token(e, tok);
    dmsc_pkt_t p;
    memset(&p, 0, sizeof p);
    p.kind = DMSC_PKT_INTEREST;
    p.wire = e->wire;
    p.len = e->wire_len;
    p.pit_token = dmsc_slice(tok, sizeof tok);
    p.incoming_face = e->last_in;
    int rc = send_pkt(fw, f, &p);
    if (rc) return rc;
    dmsc_outrec_t *o = dmsc_pit_outrec_find(e, face);
    if (!o) o = dmsc_pit_outrec_add(&fw->pit, e, face);
    if (!o) return 0; /* sent; Data still finds the entry by token or name */
    o->nonce = e->nonce_off ? rd32(e->wire + e->nonce_off) : 0;
    o->sent = now;
    o->expiry = now + e->lifetime;
    o->flags &= (uint8_t)~DMSC_OUT_NACKED;
    o->nack_reason = 0;
    return 0;
}

dmsc_fib_entry_t *dmsc__fw_fib_of(dmsc_fw_t *fw, dmsc_pit_entry_t *e)
{
    if (e->has_fib) {
        dmsc_fib_entry_t *f = dmsc_fib_get(&fw->fib, e->fib_idx, e->fib_gen);
        if (f) return f;
    }
    dmsc_name_t name;
    dmsc_pit_entry_name(e, &name);
    dmsc_fib_entry_t *f = dmsc_fib_lpm(&fw->fib, &name);
    if (f) {
        e->has_fib = true;
        e->fib_idx = f->slot.idx;
        e->fib_gen = f->slot.gen;
    }
    return f;
}

/* ---- incoming Interest ---- */

/* The Interest with a Nonce added (a forwarder must send one), written into
 * fw->scratch right after Name/CanBePrefix/MustBeFresh/ForwardingHint. */
static int add_nonce(dmsc_fw_t *fw, const dmsc_pkt_t *pkt, const dmsc_interest_t *in,
                     uint32_t nonce, size_t *out_len, size_t *name_off)
{
    dmsc_tlv_t t;
    if (dmsc_tlv_decode_one(pkt->wire, pkt->len, &t) != 0) return DMSC_EINVAL;
    dmsc_tlv_reader_t r;
    dmsc_tlv_reader_init(&r, t.value, t.len);
    size_t ins = 0;
    while (!dmsc_tlv_reader_eof(&r)) {
        dmsc_tlv_t el;
        if (dmsc_tlv_read(&r, &el) != 0) break;
        if (el.type != DMSC_TT_NAME && el.type != DMSC_TT_CAN_BE_PREFIX &&
            el.type != DMSC_TT_MUST_BE_FRESH && el.type != DMSC_TT_FORWARDING_HINT)
            break;
        ins = (size_t)(r.p - t.value);
    }
    size_t vlen = t.len + 6;
    if (dmsc_varnum_size(vlen) * 2 + vlen + 1 > fw->scratch_cap) return DMSC_ENOBUFS;
    size_t hdr = dmsc_tlv_write_hdr(fw->scratch, DMSC_TT_INTEREST, vlen);
    uint8_t *p = fw->scratch + hdr;
    memcpy(p, t.value, ins);
    p += ins;
    *p++ = DMSC_TT_NONCE;
    *p++ = 4;
    wr32(p, nonce);
    p += 4;
    memcpy(p, t.value + ins, t.len - ins);
    *out_len = hdr + vlen;
    *name_off = hdr + (size_t)(in->name.value - t.value);
    return 0;
}

/* After a new copy: find its Nonce and HopLimit, decrement the HopLimit of
 * an Interest that came from a non-local face (NFD: the hop is counted on
 * ingress from the network; an app's Interest keeps its HopLimit). */
static void finish_copy(dmsc_pit_entry_t *e, const dmsc_interest_t *in, bool local,
                        uint64_t lifetime)
{
    dmsc_tlv_t t;
    e->nonce_off = 0;
    e->has_hop = false;
    e->lifetime = lifetime;
    if (dmsc_tlv_decode_one(e->wire, e->wire_len, &t) != 0) return;
    dmsc_tlv_reader_t r;
    dmsc_tlv_reader_init(&r, t.value, t.len);
    bool hop_seen = false;
    while (!dmsc_tlv_reader_eof(&r)) {
        dmsc_tlv_t el;
        if (dmsc_tlv_read(&r, &el) != 0) break;
        if (el.type == DMSC_TT_NONCE && !e->nonce_off && el.len == 4) {
            e->nonce_off = (uint32_t)(el.value - e->wire);
        } else if (el.type == DMSC_TT_HOP_LIMIT && !hop_seen) {
            hop_seen = true;
            if (in->has_hop_limit && el.len == 1) {
                uint8_t *hv = e->wire + (el.value - e->wire);
                if (!local && *hv > 0) (*hv)--;
                e->has_hop = true;
                e->out_hop = *hv;
            }
        }
    }
}

static bool live_out(const dmsc_pit_entry_t *e, uint64_t now)
{
    for (uint16_t i = 0; i < e->n_out; i++)
        if (!(e->out[i].flags & DMSC_OUT_NACKED) && e->out[i].expiry > now) return true;
    return false;
}

static void update_expiry(dmsc_fw_t *fw, dmsc_pit_entry_t *e)
{
    uint64_t mx = 0;
    for (uint16_t i = 0; i < e->n_in; i++)
        if (e->in[i].expiry > mx) mx = e->in[i].expiry;
    dmsc_pit_set_expiry(&fw->pit, e, mx);
}

static void loop_detected(dmsc_fw_t *fw, dmsc_fw_face_t *f, const dmsc_pkt_t *pkt)
{
    dmsc__fw_drop(fw, f, DMSC_DROP_LOOP);
    send_nack(fw, f, pkt->wire, pkt->len, pkt->pit_token, DMSC_LP_NACK_DUPLICATE);
}

static bool in_region(const dmsc_fw_t *fw, const dmsc_name_t *del)
{
    for (size_t i = 0; i < fw->n_regions; i++) {
        size_t l = fw->region_len[i];
        if (l > del->len || (l && memcmp(fw->region[i], del->value, l) != 0)) continue;
        for (size_t k = 0; k <= del->ncomps; k++)
            if (del->off[k] == l) return true;
    }
    return false;
}

static dmsc_fib_entry_t *fib_lookup(dmsc_fw_t *fw, const dmsc_interest_t *in)
{
    if (in->has_fwhint) {
        dmsc_fwhint_iter_t it;
        dmsc_name_t del;
        bool region = false;
        dmsc_fwhint_iter_init(&it, in);
        while (!region && dmsc_fwhint_next(&it, &del) == 1)
            region = in_region(fw, &del);
        if (!region) {
            dmsc_fwhint_iter_init(&it, in);
            while (dmsc_fwhint_next(&it, &del) == 1) {
                dmsc_fib_entry_t *f = dmsc_fib_lpm(&fw->fib, &del);
                if (f && f->n_nh) return f;
            }
        }
    }
    return dmsc_fib_lpm(&fw->fib, &in->name);
}

static void on_interest(dmsc_fw_t *fw, dmsc_fw_face_t *f, const dmsc_pkt_t *pkt, uint64_t now)
{
    dmsc_interest_t in;
    int rc = dmsc_interest_decode(&in, pkt->wire, pkt->len, fw->cfg.max_packet);
    if (rc) {
        dmsc__fw_drop(fw, f, rc == DMSC_ETOOBIG ? DMSC_DROP_TOO_BIG : DMSC_DROP_MALFORMED);
        return;
    }
    bool local = f->scope == DMSC_SCOPE_LOCAL;
    bool localhost = first_comp_is(&in.name, localhost_comp, sizeof localhost_comp);
    if (localhost && !local) {
        dmsc__fw_drop(fw, f, DMSC_DROP_SCOPE);
        return;
    }
    if (in.has_hop_limit && in.hop_limit == 0 && !local) {
        dmsc__fw_drop(fw, f, DMSC_DROP_HOP_LIMIT);
        return;
    }
    uint64_t h = dmsc_name_hash(&in.name, in.name.ncomps);
    uint32_t nonce = in.has_nonce ? in.nonce : (uint32_t)dmsc__fw_rand(fw);
    if (in.has_nonce && dmsc_dnl_has(&fw->dnl, dmsc_dnl_key(h, nonce))) {
        loop_detected(fw, f, pkt);
        return;
    }
    uint8_t tag = dmsc_pit_tag(in.can_be_prefix, in.must_be_fresh);
    dmsc_pit_entry_t *e = dmsc_pit_find(&fw->pit, &in.name, h, tag);
    dmsc_inrec_t *r = NULL;
    if (e) {
        /* NFD findDuplicateNonce; on a point-to-point link the same Nonce from
         * the same downstream is a retransmission, not a loop */
        bool in_same = false, other = false;
        for (uint16_t i = 0; i < e->n_in; i++)
            if (e->in[i].nonce == nonce) {
                if (e->in[i].face == f->id)
                    in_same = true;
                else
                    other = true;
            }
        for (uint16_t i = 0; i < e->n_out; i++)
            if (e->out[i].nonce == nonce) other = true;
        if (other && !in_same) {
            loop_detected(fw, f, pkt);
            return;
        }
        r = dmsc_pit_inrec_find(e, f->id);
    }
    if (!e || e->n_in == 0) {
        dmsc_cs_entry_t *c =
            dmsc_cs_lookup(&fw->cs, &in.name, in.can_be_prefix, in.must_be_fresh, now);
        if (c) {
            send_data(fw, f, c->wire, c->len, pkt->pit_token, DMSC_FACEID_CONTENT_STORE, false, 0);
            fw->ctr.satisfied_interests++;
            return;
        }
    }
    /* management keeps a small reserve: see DMSC_FW_PIT_LOCALHOST_RESERVE */
    if (!e && dmsc_pit_size(&fw->pit) >=
                  fw->cfg.pit_max + (localhost && local ? DMSC_FW_PIT_LOCALHOST_RESERVE : 0)) {
        dmsc__fw_drop(fw, f, DMSC_DROP_PIT_FULL);
        return;
    }
    if (!r && f->ctr.pit_entries >= fw->cfg.pit_max_per_face) {
        dmsc__fw_drop(fw, f, DMSC_DROP_PIT_FACE_FULL);
        return;
    }
    uint64_t life = in.lifetime;
    life = life > fw->cfg.max_lifetime_ns / 1000000u ? fw->cfg.max_lifetime_ns : life * 1000000u;
    bool retx = r != NULL;
    bool aggregate = e && !retx && live_out(e, now);
    bool created = false;
    if (!aggregate) {
        /* the copy to forward: the Interest as received, plus a Nonce if it
         * had none, minus one HopLimit if it came from the network */
        const uint8_t *src = pkt->wire;
        size_t slen = pkt->len, name_off = (size_t)(in.name.value - pkt->wire);
        if (!in.has_nonce && add_nonce(fw, pkt, &in, nonce, &slen, &name_off) == 0)
            src = fw->scratch;
        if (!e) {
            e = dmsc_pit_insert(&fw->pit, &in.name, h, tag, src, slen, name_off);
            if (!e) {
                dmsc__fw_drop(fw, f, DMSC_DROP_PIT_FULL);
                return;
            }
            created = true;
            e->strategy = dmsc_sc_find(&fw->sc, &in.name);
            if (localhost) e->flags |= DMSC_PIT_F_LOCALHOST;
        } else if (dmsc_pit_set_wire(&fw->pit, e, src, slen, name_off) != 0) {
            dmsc__fw_drop(fw, f, DMSC_DROP_PIT_FULL);
            return;
        }
        finish_copy(e, &in, local, life);
        e->last_in = f->id;
    }
    if (!local && first_comp_is(&in.name, localhop_comp, sizeof localhop_comp))
        e->flags |= DMSC_PIT_F_LOCALHOP;
    if (!r) {
        r = dmsc_pit_inrec_add(&fw->pit, e, f->id);
        if (!r) {
            if (created) dmsc_pit_erase(&fw->pit, e);
            dmsc__fw_drop(fw, f, DMSC_DROP_PIT_FACE_FULL);
            return;
        }
        f->ctr.pit_entries++;
    }
    r->nonce = nonce;
    r->expiry = now + life;
    r->tok_len = 0;
    if (pkt->pit_token.n && pkt->pit_token.n <= sizeof r->tok) {
        memcpy(r->tok, pkt->pit_token.p, pkt->pit_token.n);
        r->tok_len = (uint8_t)pkt->pit_token.n;
    }
    update_expiry(fw, e);
    if (aggregate) return;

    if (local && pkt->next_hop_face) {
        /* NextHopFaceId: the app chose the face; no strategy */
        dmsc_faceid_t nh = pkt->next_hop_face <= UINT32_MAX ? (dmsc_faceid_t)pkt->next_hop_face : 0;
        if (nh && dmsc__fw_eligible(fw, e, nh) && dmsc__fw_send_interest(fw, e, nh, now) == 0)
            return;
        dmsc__fw_no_route(fw, e, f->id, now);
        return;
    }
    dmsc_fib_entry_t *fib = fib_lookup(fw, &in);
    e->has_fib = fib != NULL;
    if (fib) {
        e->fib_idx = fib->slot.idx;
        e->fib_gen = fib->slot.gen;
    }
    e->strategy->after_receive_interest(fw, e, f->id, retx, fib, now);
}

/* ---- incoming Data ---- */

static void on_data(dmsc_fw_t *fw, dmsc_fw_face_t *f, const dmsc_pkt_t *pkt, uint64_t now)
{
    dmsc_data_t d;
    int rc = dmsc_data_decode(&d, pkt->wire, pkt->len, fw->cfg.max_packet);
    if (rc) {
        dmsc__fw_drop(fw, f, rc == DMSC_ETOOBIG ? DMSC_DROP_TOO_BIG : DMSC_DROP_MALFORMED);
        return;
    }
    if (f->scope != DMSC_SCOPE_LOCAL &&
        first_comp_is(&d.name, localhost_comp, sizeof localhost_comp)) {
        dmsc__fw_drop(fw, f, DMSC_DROP_SCOPE);
        return;
    }
    dmsc_slice_t wire = dmsc_slice(pkt->wire, pkt->len);
    /* our PitToken names the entry: when its name is the Data name, its
     * stored hash saves hashing the name again */
    uint64_t h = 0;
    dmsc_pit_entry_t *t = dmsc_pit_by_token(&fw->pit, pkt->pit_token);
    if (t && t->node.depth == d.name.ncomps && t->node.klen == d.name.len &&
        (d.name.len == 0 || memcmp(t->node.key, d.name.value, d.name.len) == 0))
        h = t->node.hash;
    dmsc_pit_entry_t *m[DMSC_PIT_MATCH_MAX];
    size_t n = dmsc_pit_match_data(&fw->pit, &d.name, h, wire, m, DMSC_PIT_MATCH_MAX);
    if (n == 0) {
        dmsc__fw_drop(fw, f, DMSC_DROP_UNSOLICITED);
        return;
    }
    if (!pkt->no_cache)
        dmsc_cs_insert(
            &fw->cs, &d.name, pkt->wire, pkt->len,
            d.has_freshness ? (int64_t)(d.freshness > INT64_MAX ? INT64_MAX : d.freshness) : -1,
            now);
    if (++fw->stamp == 0) fw->stamp = 1;
    uint32_t stamp = fw->stamp;
    uint64_t fresh_ns = d.freshness > UINT64_MAX / 1000000u ? UINT64_MAX : d.freshness * 1000000u;
    for (size_t i = 0; i < n; i++) {
        dmsc_pit_entry_t *e = m[i];
        if (e->strategy->after_receive_data) e->strategy->after_receive_data(fw, e, f->id, now);
        for (uint16_t k = 0; k < e->n_in; k++) {
            dmsc_inrec_t *r = &e->in[k];
            if (r->expiry <= now || r->face == f->id) continue;
            dmsc_fw_face_t *down = dmsc__fw_face(fw, r->face);
            if (!down || down->stamp == stamp) continue;
            down->stamp = stamp;
            send_data(fw, down, pkt->wire, pkt->len, dmsc_slice(r->tok, r->tok_len), f->id,
                      pkt->no_cache, pkt->congestion_mark);
        }
        /* NFD: a satisfied entry needs its nonces remembered only when a
         * MustBeFresh Interest could come back after the Data went stale */
        if ((e->node.tag & DMSC_PIT_MBF) && fresh_ns < fw->cfg.dnl_lifetime_ns)
            dnl_insert_out(fw, e, now);
        fw->ctr.satisfied_interests++;
        dmsc__fw_erase(fw, e);
    }
}

/* ---- incoming Nack ---- */

static void on_nack(dmsc_fw_t *fw, dmsc_fw_face_t *f, const dmsc_pkt_t *pkt, uint64_t now)
{
    dmsc_interest_t in;
    int rc = dmsc_interest_decode(&in, pkt->wire, pkt->len, fw->cfg.max_packet);
    if (rc) {
        dmsc__fw_drop(fw, f, rc == DMSC_ETOOBIG ? DMSC_DROP_TOO_BIG : DMSC_DROP_MALFORMED);
        return;
    }
    if (f->scope != DMSC_SCOPE_LOCAL &&
        first_comp_is(&in.name, localhost_comp, sizeof localhost_comp)) {
        dmsc__fw_drop(fw, f, DMSC_DROP_SCOPE);
        return;
    }
    uint8_t tag = dmsc_pit_tag(in.can_be_prefix, in.must_be_fresh);
    dmsc_pit_entry_t *e = dmsc_pit_by_token(&fw->pit, pkt->pit_token);
    if (e && !(e->node.tag == tag &&
               dmsc_ntnode_key_eq(&e->node, e->node.hash, in.name.value, in.name.len)))
        e = NULL;
    if (!e) e = dmsc_pit_find(&fw->pit, &in.name, dmsc_name_hash(&in.name, in.name.ncomps), tag);
    dmsc_outrec_t *o = e ? dmsc_pit_outrec_find(e, f->id) : NULL;
    if (!o || (in.has_nonce && in.nonce != o->nonce) || (o->flags & DMSC_OUT_NACKED)) {
        dmsc__fw_drop(fw, f, DMSC_DROP_NACK_UNMATCHED);
        return;
    }
    o->flags |= DMSC_OUT_NACKED;
    o->nack_reason = pkt->nack_reason;
    e->strategy->after_receive_nack(fw, e, f->id, pkt->nack_reason, now);
}

void dmsc_fw_receive(dmsc_fw_t *fw, dmsc_faceid_t face, const dmsc_pkt_t *pkt, uint64_t now)
{
    dmsc_fw_face_t *f = dmsc__fw_face(fw, face);
    if (!f) {
        dmsc__fw_drop(fw, NULL, DMSC_DROP_FACE_DOWN);
        return;
    }
    if (!fw->rng_seeded) {
        /* Nonces we add must differ between nodes: mix in the clock */
        fw->rng ^= (now + 0x9e3779b97f4a7c15ull) * 0xbf58476d1ce4e5b9ull;
        if (!fw->rng) fw->rng = 1;
        fw->rng_seeded = true;
    }
    f->ctr.in_bytes += pkt->len;
    switch (pkt->kind) {
    case DMSC_PKT_INTEREST:
        f->ctr.in_interests++;
        on_interest(fw, f, pkt, now);
        break;
    case DMSC_PKT_DATA:
        f->ctr.in_data++;
        on_data(fw, f, pkt, now);
        break;
    case DMSC_PKT_NACK:
        f->ctr.in_nacks++;
        on_nack(fw, f, pkt, now);
        break;
    default:
        dmsc__fw_drop(fw, f, DMSC_DROP_MALFORMED);
    }
}

uint64_t dmsc_fw_run_timers(dmsc_fw_t *fw, uint64_t now)
{
    dmsc_pit_entry_t *e;
    while ((e = dmsc_pit_expired(&fw->pit, now)) != NULL) {
        if (e->strategy && e->strategy->on_timeout) e->strategy->on_timeout(fw, e, now);
        dnl_insert_out(fw, e, now);
        fw->ctr.unsatisfied_interests++;
        dmsc__fw_erase(fw, e);
    }
    uint64_t next = dmsc_dnl_age(&fw->dnl, now);
    uint64_t p = dmsc_pit_next_expiry(&fw->pit);
    return p < next ? p : next;
}
