#include "ndn/lp.h"

#include <string.h>

void dmsc_lp_init(dmsc_lp_t *lp)
{
    memset(lp, 0, sizeof *lp);
    lp->frag_count = 1;
}

/* ---- helpers ---- */

static uint64_t get_be64(const uint8_t *b)
{
    uint64_t v = 0;
    for (size_t i = 0; i < 8; i++)
        v = (v << 8) | b[i];
    return v;
}

static void put_be64(uint8_t *b, uint64_t v)
{
    for (size_t i = 8; i-- > 0;) {
        b[i] = (uint8_t)v;
        v >>= 8;
    }
}

static size_t tlv_size(uint64_t type, size_t len)
{
    return dmsc_varnum_size(type) + dmsc_varnum_size(len) + len;
}

/* Header fields this implementation recognises (Fragment excluded). */
static bool known_header(uint64_t type)
{
    switch (type) {
    case DMSC_TT_LP_SEQUENCE:
    case DMSC_TT_LP_FRAG_INDEX:
    case DMSC_TT_LP_FRAG_COUNT:
    case DMSC_TT_LP_PIT_TOKEN:
    case DMSC_TT_LP_NACK:
    case DMSC_TT_LP_INCOMING_FACE_ID:
    case DMSC_TT_LP_NEXT_HOP_FACE_ID:
    case DMSC_TT_LP_CACHE_POLICY:
    case DMSC_TT_LP_CONGESTION_MARK:
    case DMSC_TT_LP_ACK:
    case DMSC_TT_LP_TX_SEQUENCE:
    case DMSC_TT_LP_NON_DISCOVERY:
    case DMSC_TT_LP_PREFIX_ANNOUNCEMENT:
        return true;
    }
    return false;
}

/* ---- decoding ---- */

static int read_fixed64(const dmsc_tlv_t *el, uint64_t *out)
{
    if (el->len != 8) return DMSC_ELPHDR;
    *out = get_be64(el->value);
    return 0;
}

/* The single NonNegativeInteger sub-element of TLV-TYPE `type` inside el
 * (Nack's NackReason, CachePolicy's CachePolicyType). Unknown sub-elements
 * follow the NDN evolvability rule (ignored unless critical); a repeat is
 * DMSC_EDUP. *seen says whether it was there. */
static int decode_one_nni(const dmsc_tlv_t *el, uint64_t type, uint64_t *out, bool *seen)
{
    dmsc_tlv_reader_t r;
    *seen = false;
    dmsc_tlv_reader_init(&r, el->value, el->len);
    while (!dmsc_tlv_reader_eof(&r)) {
        dmsc_tlv_t sub;
        int rc = dmsc_tlv_read(&r, &sub);
        if (rc) return rc;
        if (sub.type == type) {
            if (*seen) return DMSC_EDUP;
            *seen = true;
            rc = dmsc_nni_decode(sub.value, sub.len, out);
            if (rc) return rc;
        } else if (dmsc_tlv_is_critical(sub.type)) {
            return DMSC_ECRITICAL;
        }
    }
    return 0;
}

/* Nack = NACK-TYPE TLV-LENGTH [NackReason] */
static int decode_nack(const dmsc_tlv_t *el, uint64_t *reason)
{
    bool seen;
    *reason = DMSC_LP_NACK_NONE;
    return decode_one_nni(el, DMSC_TT_LP_NACK_REASON, reason, &seen);
}

/* CachePolicy = CACHE-POLICY-TYPE TLV-LENGTH CachePolicyType */
static int decode_cache_policy(const dmsc_tlv_t *el, uint64_t *policy)
{
    bool seen;
    int rc = decode_one_nni(el, DMSC_TT_LP_CACHE_POLICY_TYPE, policy, &seen);
    return rc ? rc : seen ? 0 : DMSC_ELPHDR;
}

/* PrefixAnnouncement = PREFIX-ANNOUNCEMENT-TYPE TLV-LENGTH Data */
static int decode_prefix_ann(const dmsc_tlv_t *el, dmsc_slice_t *out)
{
    dmsc_tlv_t data;
    if (el->len == 0) return DMSC_ELPHDR;
    int rc = dmsc_tlv_decode_one(el->value, el->len, &data);
    if (rc == DMSC_ETRAILING) return DMSC_ELPHDR;
    if (rc) return rc;
    if (data.type != DMSC_TT_DATA) return DMSC_ELPHDR;
    *out = dmsc_slice(el->value, el->len);
    return 0;
}

static int decode_field(dmsc_lp_t *lp, const dmsc_tlv_t *el)
{
    int rc = 0;
    switch (el->type) {
    case DMSC_TT_LP_SEQUENCE:
        rc = read_fixed64(el, &lp->seq);
        lp->has |= DMSC_LP_HAS_SEQ;
        break;
    case DMSC_TT_LP_FRAG_INDEX:
        rc = dmsc_nni_decode(el->value, el->len, &lp->frag_index);
        lp->has |= DMSC_LP_HAS_FRAG_INDEX;
        break;
    case DMSC_TT_LP_FRAG_COUNT:
        rc = dmsc_nni_decode(el->value, el->len, &lp->frag_count);
        lp->has |= DMSC_LP_HAS_FRAG_COUNT;
        break;
    case DMSC_TT_LP_PIT_TOKEN:
        if (el->len < DMSC_LP_PIT_TOKEN_MIN || el->len > DMSC_LP_PIT_TOKEN_MAX) return DMSC_ELPHDR;
        lp->pit_token = dmsc_slice(el->value, el->len);
        lp->has |= DMSC_LP_HAS_PIT_TOKEN;
        break;
    case DMSC_TT_LP_NACK:
        rc = decode_nack(el, &lp->nack_reason);
        lp->has |= DMSC_LP_HAS_NACK;
        break;
    case DMSC_TT_LP_INCOMING_FACE_ID:
        rc = dmsc_nni_decode(el->value, el->len, &lp->incoming_face_id);
        lp->has |= DMSC_LP_HAS_INCOMING_FACE_ID;
        break;
    case DMSC_TT_LP_NEXT_HOP_FACE_ID:
        rc = dmsc_nni_decode(el->value, el->len, &lp->next_hop_face_id);
        lp->has |= DMSC_LP_HAS_NEXT_HOP_FACE_ID;
        break;
    case DMSC_TT_LP_CACHE_POLICY:
        rc = decode_cache_policy(el, &lp->cache_policy);
        lp->has |= DMSC_LP_HAS_CACHE_POLICY;
        break;
    case DMSC_TT_LP_CONGESTION_MARK:
        rc = dmsc_nni_decode(el->value, el->len, &lp->congestion_mark);
        lp->has |= DMSC_LP_HAS_CONGESTION_MARK;
        break;
    case DMSC_TT_LP_ACK: {
        uint64_t v;
        rc = read_fixed64(el, &v);
        if (rc) return rc;
        if (lp->n_acks == 0) lp->acks_raw.p = el->start;
        lp->acks_raw.n = (size_t)(el->start + el->size - lp->acks_raw.p);
        if (lp->n_acks < DMSC_LP_ACKS_INLINE) lp->acks[lp->n_acks] = v;
        lp->n_acks++;
        lp->has |= DMSC_LP_HAS_ACK;
        break;
    }
    case DMSC_TT_LP_TX_SEQUENCE:
        rc = read_fixed64(el, &lp->tx_seq);
        lp->has |= DMSC_LP_HAS_TX_SEQ;
        break;
    case DMSC_TT_LP_NON_DISCOVERY:
        if (el->len != 0) return DMSC_ELPHDR;
        lp->has |= DMSC_LP_HAS_NON_DISCOVERY;
        break;
    case DMSC_TT_LP_PREFIX_ANNOUNCEMENT:
        rc = decode_prefix_ann(el, &lp->prefix_ann);
        lp->has |= DMSC_LP_HAS_PREFIX_ANN;
        break;
    }
    return rc;
}

static int decode_fields(dmsc_lp_t *lp, const uint8_t *v, size_t n)
{
    dmsc_tlv_reader_t r;
    const uint8_t *hdr_end = v + n;
    uint64_t prev = 0; /* TLV-TYPE 0 never occurs: the reader rejects it */
    bool frag_seen = false;

    dmsc_tlv_reader_init(&r, v, n);
    while (!dmsc_tlv_reader_eof(&r)) {
        dmsc_tlv_t el;
        int rc = dmsc_tlv_read(&r, &el);
        if (rc) return rc;
        if (frag_seen) /* Fragment is the last element */
            return el.type == DMSC_TT_LP_FRAGMENT ? DMSC_EDUP : DMSC_EORDER;
        if (el.type == DMSC_TT_LP_FRAGMENT) {
            if (el.len == 0) return DMSC_ELPFRAG;
            frag_seen = true;
            hdr_end = el.start;
            lp->fragment = dmsc_slice(el.value, el.len);
            lp->has |= DMSC_LP_HAS_FRAGMENT;
            continue;
        }
        bool known = known_header(el.type);
        if (!known && !dmsc_lp_field_ignorable(el.type)) return DMSC_ECRITICAL;
        if (el.type == prev) {
            /* Ack repeats; an unknown ignorable field may be a repeatable
             * field from a later spec revision, so it may repeat too. */
            if (known && el.type != DMSC_TT_LP_ACK) return DMSC_EDUP;
        } else if (el.type < prev) {
            return DMSC_EORDER;
        }
        prev = el.type;
        if (!known) {
            lp->n_ignored++;
            continue;
        }
        rc = decode_field(lp, &el);
        if (rc) return rc;
    }
    lp->headers = dmsc_slice(v, (size_t)(hdr_end - v));
    if (lp->frag_count == 0 || lp->frag_index >= lp->frag_count) return DMSC_ELPFRAG;
    return 0;
}

int dmsc_lp_decode(const uint8_t *p, size_t n, size_t max, dmsc_lp_t *out)
{
    dmsc_tlv_t top;
    dmsc_lp_init(out);
    if (n > max) return DMSC_ETOOBIG;
    if (n == 0 || p == NULL) return DMSC_ETRUNC;
    int rc = dmsc_tlv_decode_one(p, n, &top);
    if (rc) return rc;
    switch (top.type) {
    case DMSC_TT_INTEREST:
    case DMSC_TT_DATA:
        out->bare = true;
        out->fragment = dmsc_slice(p, n);
        out->headers = dmsc_slice(p, 0);
        out->has = DMSC_LP_HAS_FRAGMENT;
        return 0;
    case DMSC_TT_LP_PACKET:
        return decode_fields(out, top.value, top.len);
    }
    return DMSC_ETYPE;
}

bool dmsc_lp_ack_iter_next(dmsc_lp_ack_iter_t *it, uint64_t *seq)
{
    dmsc_tlv_t el;
    if (dmsc_tlv_reader_eof(&it->r)) return false;
    if (dmsc_tlv_read(&it->r, &el) || el.type != DMSC_TT_LP_ACK || el.len != 8) {
        it->r.p = it->r.end;
        return false;
    }
    *seq = get_be64(el.value);
    return true;
}

const char *dmsc_lp_nack_reason_str(uint64_t reason)
{
    switch (reason) {
    case DMSC_LP_NACK_CONGESTION:
        return "Congestion";
    case DMSC_LP_NACK_DUPLICATE:
        return "Duplicate";
    case DMSC_LP_NACK_NO_ROUTE:
        return "NoRoute";
    }
    return "None";
}

/* ---- encoding ---- */

int dmsc_lp_validate(const dmsc_lp_t *lp)
{
    uint32_t has = lp->has;
    if ((has & DMSC_LP_HAS_PIT_TOKEN) &&
        (lp->pit_token.n < DMSC_LP_PIT_TOKEN_MIN || lp->pit_token.n > DMSC_LP_PIT_TOKEN_MAX))
        return DMSC_EINVAL;
    if ((has & DMSC_LP_HAS_FRAGMENT) && lp->fragment.n == 0) return DMSC_EINVAL;
    uint64_t idx = (has & DMSC_LP_HAS_FRAG_INDEX) ? lp->frag_index : 0;
    uint64_t cnt = (has & DMSC_LP_HAS_FRAG_COUNT) ? lp->frag_count : 1;
    if (idx >= cnt) return DMSC_EINVAL;
    if (has & DMSC_LP_HAS_ACK) {
        if (lp->n_acks == 0 || (lp->acks_ext == NULL && lp->n_acks > DMSC_LP_ACKS_INLINE))
            return DMSC_EINVAL;
    }
    if ((has & DMSC_LP_HAS_PREFIX_ANN) && lp->prefix_ann.n == 0) return DMSC_EINVAL;
    return 0;
}

static void prepend_fixed64(dmsc_enc_t *e, uint64_t type, uint64_t v)
{
    uint8_t b[8];
    put_be64(b, v);
    dmsc_enc_prepend_tlv(e, type, b, sizeof b);
}

static size_t nni_tlv_size(uint64_t type, uint64_t v)
{
    return tlv_size(type, dmsc_nni_size(v));
}

size_t dmsc_lp_fields_size(const dmsc_lp_t *lp)
{
    uint32_t has = lp->has;
    size_t n = 0;
    if (has & DMSC_LP_HAS_SEQ) n += tlv_size(DMSC_TT_LP_SEQUENCE, 8);
    if (has & DMSC_LP_HAS_FRAG_INDEX) n += nni_tlv_size(DMSC_TT_LP_FRAG_INDEX, lp->frag_index);
    if (has & DMSC_LP_HAS_FRAG_COUNT) n += nni_tlv_size(DMSC_TT_LP_FRAG_COUNT, lp->frag_count);
    if (has & DMSC_LP_HAS_PIT_TOKEN) n += tlv_size(DMSC_TT_LP_PIT_TOKEN, lp->pit_token.n);
    if (has & DMSC_LP_HAS_NACK) {
        size_t inner = lp->nack_reason != DMSC_LP_NACK_NONE
                           ? nni_tlv_size(DMSC_TT_LP_NACK_REASON, lp->nack_reason)
                           : 0;
        n += tlv_size(DMSC_TT_LP_NACK, inner);
    }
    if (has & DMSC_LP_HAS_INCOMING_FACE_ID)
        n += nni_tlv_size(DMSC_TT_LP_INCOMING_FACE_ID, lp->incoming_face_id);
    if (has & DMSC_LP_HAS_NEXT_HOP_FACE_ID)
        n += nni_tlv_size(DMSC_TT_LP_NEXT_HOP_FACE_ID, lp->next_hop_face_id);
    if (has & DMSC_LP_HAS_CACHE_POLICY)
        n += tlv_size(DMSC_TT_LP_CACHE_POLICY,
                      nni_tlv_size(DMSC_TT_LP_CACHE_POLICY_TYPE, lp->cache_policy));
    if (has & DMSC_LP_HAS_CONGESTION_MARK)
        n += nni_tlv_size(DMSC_TT_LP_CONGESTION_MARK, lp->congestion_mark);
    if (has & DMSC_LP_HAS_ACK) n += (size_t)lp->n_acks * tlv_size(DMSC_TT_LP_ACK, 8);
    if (has & DMSC_LP_HAS_TX_SEQ) n += tlv_size(DMSC_TT_LP_TX_SEQUENCE, 8);
    if (has & DMSC_LP_HAS_NON_DISCOVERY) n += tlv_size(DMSC_TT_LP_NON_DISCOVERY, 0);
    if (has & DMSC_LP_HAS_PREFIX_ANN)
        n += tlv_size(DMSC_TT_LP_PREFIX_ANNOUNCEMENT, lp->prefix_ann.n);
    return n;
}

size_t dmsc_lp_encoded_size(const dmsc_lp_t *lp)
{
    size_t inner = dmsc_lp_fields_size(lp);
    if (lp->has & DMSC_LP_HAS_FRAGMENT) inner += tlv_size(DMSC_TT_LP_FRAGMENT, lp->fragment.n);
    return tlv_size(DMSC_TT_LP_PACKET, inner);
}

/* Prepend the header fields, last TLV-TYPE first. */
static void prepend_fields(dmsc_enc_t *e, const dmsc_lp_t *lp)
{
    uint32_t has = lp->has;
    if (has & DMSC_LP_HAS_PREFIX_ANN)
        dmsc_enc_prepend_tlv(e, DMSC_TT_LP_PREFIX_ANNOUNCEMENT, lp->prefix_ann.p, lp->prefix_ann.n);
    if (has & DMSC_LP_HAS_NON_DISCOVERY) dmsc_enc_prepend_hdr(e, DMSC_TT_LP_NON_DISCOVERY, 0);
    if (has & DMSC_LP_HAS_TX_SEQ) prepend_fixed64(e, DMSC_TT_LP_TX_SEQUENCE, lp->tx_seq);
    if (has & DMSC_LP_HAS_ACK) {
        const uint64_t *acks = lp->acks_ext ? lp->acks_ext : lp->acks;
        for (size_t i = lp->n_acks; i-- > 0;)
            prepend_fixed64(e, DMSC_TT_LP_ACK, acks[i]);
    }
    if (has & DMSC_LP_HAS_CONGESTION_MARK)
        dmsc_enc_prepend_nni_tlv(e, DMSC_TT_LP_CONGESTION_MARK, lp->congestion_mark);
    if (has & DMSC_LP_HAS_CACHE_POLICY) {
        size_t mark = dmsc_enc_mark(e);
        dmsc_enc_prepend_nni_tlv(e, DMSC_TT_LP_CACHE_POLICY_TYPE, lp->cache_policy);
        dmsc_enc_prepend_hdr(e, DMSC_TT_LP_CACHE_POLICY, mark - dmsc_enc_mark(e));
    }
    if (has & DMSC_LP_HAS_NEXT_HOP_FACE_ID)
        dmsc_enc_prepend_nni_tlv(e, DMSC_TT_LP_NEXT_HOP_FACE_ID, lp->next_hop_face_id);
    if (has & DMSC_LP_HAS_INCOMING_FACE_ID)
        dmsc_enc_prepend_nni_tlv(e, DMSC_TT_LP_INCOMING_FACE_ID, lp->incoming_face_id);
    if (has & DMSC_LP_HAS_NACK) {
        size_t mark = dmsc_enc_mark(e);
        if (lp->nack_reason != DMSC_LP_NACK_NONE)
            dmsc_enc_prepend_nni_tlv(e, DMSC_TT_LP_NACK_REASON, lp->nack_reason);
        dmsc_enc_prepend_hdr(e, DMSC_TT_LP_NACK, mark - dmsc_enc_mark(e));
    }
    if (has & DMSC_LP_HAS_PIT_TOKEN)
        dmsc_enc_prepend_tlv(e, DMSC_TT_LP_PIT_TOKEN, lp->pit_token.p, lp->pit_token.n);
    if (has & DMSC_LP_HAS_FRAG_COUNT)
        dmsc_enc_prepend_nni_tlv(e, DMSC_TT_LP_FRAG_COUNT, lp->frag_count);
    if (has & DMSC_LP_HAS_FRAG_INDEX)
        dmsc_enc_prepend_nni_tlv(e, DMSC_TT_LP_FRAG_INDEX, lp->frag_index);
    if (has & DMSC_LP_HAS_SEQ) prepend_fixed64(e, DMSC_TT_LP_SEQUENCE, lp->seq);
}

static int encode(dmsc_enc_t *e, const dmsc_lp_t *lp, bool copy_fragment)
{
    int rc = dmsc_lp_validate(lp);
    if (rc) return rc;
    size_t mark = dmsc_enc_mark(e);
    size_t detached = 0; /* fragment bytes the caller sends after the output */
    if (lp->has & DMSC_LP_HAS_FRAGMENT) {
        if (copy_fragment)
            dmsc_enc_prepend(e, lp->fragment.p, lp->fragment.n);
        else
            detached = lp->fragment.n;
        dmsc_enc_prepend_hdr(e, DMSC_TT_LP_FRAGMENT, lp->fragment.n);
    }
    prepend_fields(e, lp);
    dmsc_enc_prepend_hdr(e, DMSC_TT_LP_PACKET, mark - dmsc_enc_mark(e) + detached);
    return dmsc_enc_error(e);
}

int dmsc_lp_encode(dmsc_enc_t *e, const dmsc_lp_t *lp)
{
    return encode(e, lp, true);
}

int dmsc_lp_encode_hdr(dmsc_enc_t *e, const dmsc_lp_t *lp)
{
    return encode(e, lp, false);
}

int dmsc_lp_encode_nack(dmsc_enc_t *e, uint64_t reason, dmsc_slice_t pit_token,
                        dmsc_slice_t interest)
{
    dmsc_lp_t lp;
    dmsc_lp_init(&lp);
    lp.has = DMSC_LP_HAS_NACK | DMSC_LP_HAS_FRAGMENT;
    lp.nack_reason = reason;
    lp.fragment = interest;
    if (pit_token.n > 0) {
        lp.has |= DMSC_LP_HAS_PIT_TOKEN;
        lp.pit_token = pit_token;
    }
    return dmsc_lp_encode(e, &lp);
}

int dmsc_lp_encode_pit_echo(dmsc_enc_t *e, dmsc_slice_t pit_token, dmsc_slice_t pkt)
{
    if (pkt.n == 0) return DMSC_EINVAL;
    if (pit_token.n == 0) {
        dmsc_enc_prepend(e, pkt.p, pkt.n);
        return dmsc_enc_error(e);
    }
    dmsc_lp_t lp;
    dmsc_lp_init(&lp);
    lp.has = DMSC_LP_HAS_PIT_TOKEN | DMSC_LP_HAS_FRAGMENT;
    lp.pit_token = pit_token;
    lp.fragment = pkt;
    return dmsc_lp_encode(e, &lp);
}

int dmsc_lp_encode_idle(dmsc_enc_t *e)
{
    dmsc_enc_prepend_hdr(e, DMSC_TT_LP_PACKET, 0);
    return dmsc_enc_error(e);
}
