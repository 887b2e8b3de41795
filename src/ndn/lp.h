/*
 * NDNLPv2 link-protocol packet (LpPacket, TLV-TYPE 0x64): sans-I/O,
 * zero-copy decoder and backward encoder.
 *
 * Spec: https://redmine.named-data.net/projects/nfd/wiki/NDNLPv2
 * (cross-checked with ndn-cxx lp/packet.cpp, NFD and NDNts @ndn/lp).
 *
 *   LpPacket = LP-PACKET-TYPE TLV-LENGTH *LpHeaderField [Fragment]
 *
 * Rules the decoder enforces:
 *  - header fields appear in increasing TLV-TYPE order; Fragment, if present,
 *    is the last element (anything after it: DMSC_EORDER);
 *  - a field appears at most once (DMSC_EDUP), except Ack, which repeats;
 *  - an unknown header field whose TLV-TYPE is in [800, 959] and whose two
 *    least significant bits are 00 is ignored (counted in n_ignored);
 *    any other unknown field drops the packet (DMSC_ECRITICAL). Ignored
 *    fields still take part in the ordering rule (as in ndn-cxx) but may
 *    repeat, since the receiver cannot know whether they are repeatable;
 *  - a bare Interest (0x05) or Data (0x06) is accepted and returned as an
 *    LpPacket with that packet as its Fragment and no header (bare = true);
 *  - an LpPacket without Fragment is valid (IDLE / keep-alive, Ack-only).
 *
 * Field formats:
 *   Sequence 0x51, TxSequence 0x0348, Ack 0x0344   8-octet fixed-width uint
 *   FragIndex 0x52, FragCount 0x53                 NonNegativeInteger
 *   PitToken 0x62                                  1..32 opaque octets
 *   Nack 0x0320 { [NackReason 0x0321 NNI] }        reason 0 = none given
 *   IncomingFaceId 0x032c, NextHopFaceId 0x0330    NonNegativeInteger
 *   CachePolicy 0x0334 { CachePolicyType 0x0335 NNI }
 *   CongestionMark 0x0340                          NonNegativeInteger
 *   NonDiscovery 0x034c                            empty
 *   PrefixAnnouncement 0x0350 { Data }             kept as a raw slice
 *   Fragment 0x50                                  1 or more octets
 */
#ifndef DMSC_NDN_LP_H
#define DMSC_NDN_LP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/slice.h"
#include "ndn/tlv.h"

/* NackReason codes. Unknown codes are kept raw in nack_reason; treat them
 * like DMSC_LP_NACK_NONE (dmsc_lp_nack_reason_known()). */
enum {
    DMSC_LP_NACK_NONE = 0, /* Nack without NackReason */
    DMSC_LP_NACK_CONGESTION = 50,
    DMSC_LP_NACK_DUPLICATE = 100,
    DMSC_LP_NACK_NO_ROUTE = 150,
};

/* CachePolicyType codes. */
enum { DMSC_LP_CACHE_NO_CACHE = 1 };

/* Presence bits in dmsc_lp_t.has (decode output, encode input). */
enum {
    DMSC_LP_HAS_SEQ = 1u << 0,
    DMSC_LP_HAS_FRAG_INDEX = 1u << 1,
    DMSC_LP_HAS_FRAG_COUNT = 1u << 2,
    DMSC_LP_HAS_PIT_TOKEN = 1u << 3,
    DMSC_LP_HAS_NACK = 1u << 4,
    DMSC_LP_HAS_INCOMING_FACE_ID = 1u << 5,
    DMSC_LP_HAS_NEXT_HOP_FACE_ID = 1u << 6,
    DMSC_LP_HAS_CACHE_POLICY = 1u << 7,
    DMSC_LP_HAS_CONGESTION_MARK = 1u << 8,
    DMSC_LP_HAS_ACK = 1u << 9, /* n_acks > 0 */
    DMSC_LP_HAS_TX_SEQ = 1u << 10,
    DMSC_LP_HAS_NON_DISCOVERY = 1u << 11,
    DMSC_LP_HAS_PREFIX_ANN = 1u << 12,
    DMSC_LP_HAS_FRAGMENT = 1u << 13,
};

#define DMSC_LP_PIT_TOKEN_MIN 1
#define DMSC_LP_PIT_TOKEN_MAX 32
/* Ack values decoded into dmsc_lp_t.acks; the rest are reachable through
 * acks_raw with dmsc_lp_ack_iter_*. */
#define DMSC_LP_ACKS_INLINE 16
/* Unknown header field that a receiver may ignore (spec: "Unknown Fields"). */
#define DMSC_LP_IGNORABLE_MIN 800
#define DMSC_LP_IGNORABLE_MAX 959

static inline bool dmsc_lp_field_ignorable(uint64_t type)
{
    return type >= DMSC_LP_IGNORABLE_MIN && type <= DMSC_LP_IGNORABLE_MAX && (type & 3) == 0;
}

/*
 * A decoded (or to-be-encoded) LpPacket. After decode every slice points into
 * the input buffer (zero copy): keep the buffer alive while using it.
 * Absent fields are zero, except frag_count which defaults to 1.
 */
typedef struct {
    uint32_t has; /* DMSC_LP_HAS_* */
    bool bare;    /* decode: input was a bare Interest/Data, not an LpPacket */

    uint64_t seq;        /* Sequence */
    uint64_t frag_index; /* FragIndex; 0 when absent */
    uint64_t frag_count; /* FragCount; 1 when absent */
    dmsc_slice_t pit_token;
    uint64_t nack_reason; /* with HAS_NACK; DMSC_LP_NACK_NONE if no NackReason */
    uint64_t incoming_face_id;
    uint64_t next_hop_face_id;
    uint64_t cache_policy; /* CachePolicyType, e.g. DMSC_LP_CACHE_NO_CACHE */
    uint64_t congestion_mark;
    uint64_t tx_seq; /* TxSequence */

    /* Ack (repeatable). Decode: n_acks is the number on the wire, acks[] the
     * first min(n_acks, DMSC_LP_ACKS_INLINE), acks_raw the contiguous run of
     * Ack elements. Encode: values come from acks_ext[0..n_acks) when
     * acks_ext != NULL, else from acks[0..n_acks) (n_acks <= INLINE). */
    uint32_t n_acks;
    uint64_t acks[DMSC_LP_ACKS_INLINE];
    const uint64_t *acks_ext;
    dmsc_slice_t acks_raw;

    dmsc_slice_t prefix_ann; /* the Data element inside PrefixAnnouncement */
    dmsc_slice_t fragment;   /* Fragment TLV-VALUE (a network packet or a piece of one) */

    /* decode only */
    dmsc_slice_t headers; /* raw header fields: LpPacket TLV-VALUE before Fragment */
    uint32_t n_ignored;   /* unknown ignorable header fields skipped */
} dmsc_lp_t;

/* An empty dmsc_lp_t (no fields; frag_count = 1). */
void dmsc_lp_init(dmsc_lp_t *lp);

/* ---- decoding ---- */

/*
 * Decode one LpPacket, or a bare Interest/Data, occupying exactly [p, p+n).
 * max is the size ceiling (DMSC_TLV_DGRAM_MAX on datagram faces).
 * Never reads outside [p, p+n). On error *out is unspecified.
 * Returns 0 or:
 *   DMSC_ETOOBIG    n > max
 *   DMSC_ETRUNC     an element runs past its enclosing buffer (or n == 0)
 *   DMSC_EVARNUM    TLV-TYPE 0 or out of range
 *   DMSC_ETRAILING  bytes after the top-level element
 *   DMSC_ETYPE      top-level TLV-TYPE is not LpPacket, Interest or Data
 *   DMSC_ECRITICAL  unknown header field that cannot be ignored
 *   DMSC_EORDER     header fields out of order, or an element after Fragment
 *   DMSC_EDUP       a non-repeatable field appears twice
 *   DMSC_ENNI       a NonNegativeInteger field is not 1, 2, 4 or 8 octets
 *   DMSC_ELPHDR     malformed header field (Sequence/TxSequence/Ack not 8
 *                   octets, PitToken not 1..32 octets, bad Nack, CachePolicy
 *                   without CachePolicyType, non-empty NonDiscovery,
 *                   PrefixAnnouncement not one Data element)
 *   DMSC_ELPFRAG    empty Fragment, FragCount 0, or FragIndex >= FragCount
 */
int dmsc_lp_decode(const uint8_t *p, size_t n, size_t max, dmsc_lp_t *out);

/* Iterate every Ack of a decoded packet (also beyond DMSC_LP_ACKS_INLINE). */
typedef struct {
    dmsc_tlv_reader_t r;
} dmsc_lp_ack_iter_t;

static inline void dmsc_lp_ack_iter_init(dmsc_lp_ack_iter_t *it, const dmsc_lp_t *lp)
{
    it->r.p = lp->acks_raw.p;
    it->r.end = lp->acks_raw.p ? lp->acks_raw.p + lp->acks_raw.n : lp->acks_raw.p;
}
/* Next Ack value into *seq; false at the end. */
bool dmsc_lp_ack_iter_next(dmsc_lp_ack_iter_t *it, uint64_t *seq);

/* NackReason with unknown codes mapped to DMSC_LP_NACK_NONE. */
static inline uint64_t dmsc_lp_nack_reason_known(uint64_t reason)
{
    return reason == DMSC_LP_NACK_CONGESTION || reason == DMSC_LP_NACK_DUPLICATE ||
                   reason == DMSC_LP_NACK_NO_ROUTE
               ? reason
               : DMSC_LP_NACK_NONE;
}
/* "Congestion", "Duplicate", "NoRoute" or "None". Never NULL. */
const char *dmsc_lp_nack_reason_str(uint64_t reason);

/* ---- encoding ----
 * All encoders prepend to a backward encoder (ndn/tlv.h) and return 0,
 * DMSC_EINVAL (a field value the spec forbids; nothing is written) or
 * DMSC_ENOBUFS (the buffer is too small; the encoder is left in overflow).
 */

/* Check lp against the rules dmsc_lp_encode enforces: 0 or DMSC_EINVAL. */
int dmsc_lp_validate(const dmsc_lp_t *lp);

/*
 * Prepend an LpPacket with every field in lp->has (the fragment bytes are
 * copied). lp->bare is ignored: this always writes an LpPacket. DMSC_EINVAL
 * when PitToken is not 1..32 octets, the Fragment is empty, FragIndex >=
 * FragCount, HAS_ACK with n_acks == 0, or n_acks > INLINE without acks_ext.
 */
int dmsc_lp_encode(dmsc_enc_t *e, const dmsc_lp_t *lp);

/*
 * Scatter-gather form: prepend the LpPacket up to and including the Fragment
 * TLV-TYPE and TLV-LENGTH (lp->fragment.n), but not the fragment bytes. The
 * wire packet is the encoder output followed by lp->fragment.
 */
int dmsc_lp_encode_hdr(dmsc_enc_t *e, const dmsc_lp_t *lp);

/* Bytes of all header fields of lp (everything but Fragment and the outer
 * TLV-TYPE/LENGTH). lp must be valid for dmsc_lp_encode. */
size_t dmsc_lp_fields_size(const dmsc_lp_t *lp);
/* Bytes dmsc_lp_encode would write for lp. */
size_t dmsc_lp_encoded_size(const dmsc_lp_t *lp);

/* LpPacket{ [PitToken], Nack{ [NackReason] }, Fragment = interest }.
 * reason DMSC_LP_NACK_NONE omits NackReason; pit_token.n == 0 omits PitToken. */
int dmsc_lp_encode_nack(dmsc_enc_t *e, uint64_t reason, dmsc_slice_t pit_token,
                        dmsc_slice_t interest);

/* Reply carrying the PitToken of the packet it answers:
 * LpPacket{ PitToken, Fragment = pkt }, or the bare pkt when pit_token.n == 0
 * (the request carried no token). */
int dmsc_lp_encode_pit_echo(dmsc_enc_t *e, dmsc_slice_t pit_token, dmsc_slice_t pkt);

/* IDLE / keep-alive: an empty LpPacket (64 00). */
int dmsc_lp_encode_idle(dmsc_enc_t *e);

#endif
