/*
 * NDNLPv2 indexed fragmentation and reassembly, sans I/O.
 *
 * Fragmenter: splits one network packet into LpPackets no larger than an MTU.
 * Fragment i carries Sequence = base + i (consecutive numbers, as NFD and
 * NDNts assign them), FragIndex = i and FragCount = n; the caller's other
 * header fields (PitToken, Nack, CongestionMark, ...) go on fragment 0 only.
 * A packet that fits is sent whole: bare when there are no header fields,
 * otherwise as one LpPacket without Sequence/FragIndex/FragCount.
 *
 * Reassembler: collects fragments keyed by (remote endpoint id, base
 * sequence = Sequence - FragIndex) and returns the network packet when every
 * fragment has arrived, with the header fields of fragment 0. Per-fragment
 * link fields (Ack, TxSequence) are the link service's business before push.
 *
 * Memory policy: the reassembler mallocs its slot table once at creation,
 * then per partial packet one fragment table (FragCount entries) and one
 * byte buffer that grows up to max_pkt_size + DMSC_LPFRAG_HDR_MAX. All of it
 * is charged against max_total_bytes; when a new fragment would exceed that
 * ceiling, or max_partials is reached, the least recently updated partial
 * packets are evicted (counted). malloc failure drops the fragment (counted,
 * DMSC_ENOMEM). Nothing grows past the configured ceilings.
 *
 * Time is whatever monotonic millisecond clock the caller passes as now_ms.
 */
#ifndef DMSC_NDN_LPFRAG_H
#define DMSC_NDN_LPFRAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ndn/lp.h"

/* ---- fragmenter ---- */

typedef struct {
    const dmsc_lp_t *hdr; /* fields for fragment 0 (may be NULL); kept by reference */
    dmsc_slice_t pkt;     /* the network packet; kept by reference */
    uint64_t seq_base;    /* Sequence of fragment 0 (when count > 1) */
    uint32_t count;       /* number of LpPackets to send */
    size_t first_len;     /* payload bytes in fragment 0 */
    size_t len;           /* payload bytes in each later fragment (the last may be shorter) */
    bool bare;            /* count == 1 and no header fields: pkt is sent as is */
} dmsc_lpfrag_split_t;

/*
 * Plan the split of pkt for a link MTU (bytes of one LpPacket). hdr holds the
 * header fields for fragment 0 and must not set Sequence, FragIndex or
 * FragCount (its Fragment, if any, is ignored). When count > 1, *next_seq is
 * the Sequence of fragment 0 and is advanced by count (start it at a random
 * value per link). hdr and pkt must stay valid while fragments are encoded.
 * Returns 0, DMSC_EINVAL (empty pkt, bad hdr, max_frags 0) or DMSC_ETOOBIG
 * (MTU too small for the first fragment, or more than max_frags needed).
 */
int dmsc_lpfrag_split_init(dmsc_lpfrag_split_t *s, const dmsc_lp_t *hdr, dmsc_slice_t pkt,
                           size_t mtu, uint32_t max_frags, uint64_t *next_seq);

/* Prepend LpPacket i (0 <= i < s->count), fragment bytes copied.
 * Returns 0, DMSC_EINVAL (bad i) or DMSC_ENOBUFS. */
int dmsc_lpfrag_split_encode(const dmsc_lpfrag_split_t *s, uint32_t i, dmsc_enc_t *e);

/* Scatter-gather form: prepend LpPacket i up to its Fragment TLV-LENGTH and
 * set *payload to the bytes that follow it on the wire (a slice of pkt). */
int dmsc_lpfrag_split_encode_hdr(const dmsc_lpfrag_split_t *s, uint32_t i, dmsc_enc_t *e,
                                 dmsc_slice_t *payload);

/* ---- reassembler ---- */

/* Largest header (fields of fragment 0 other than Sequence/FragIndex/
 * FragCount) a reassembled packet may carry. */
#define DMSC_LPFRAG_HDR_MAX 2048
/* Output buffer size that always suffices for packets up to max_pkt bytes. */
#define DMSC_LPFRAG_OUT_SIZE(max_pkt) ((size_t)(max_pkt) + DMSC_LPFRAG_HDR_MAX + 20)

typedef struct {
    uint32_t max_partials;  /* concurrent partial packets (all endpoints); 1..65536 */
    uint32_t max_frags;     /* FragCount ceiling */
    size_t max_pkt_size;    /* reassembled network packet ceiling */
    size_t max_total_bytes; /* memory ceiling for all partial packets */
    uint64_t timeout_ms;    /* drop a partial packet this long after its last new fragment */
} dmsc_lpfrag_cfg_t;

/* Defaults: 64 partials, 400 fragments and 500 ms (NFD's values),
 * DMSC_TLV_DGRAM_MAX bytes per packet, 1 MiB in total. */
void dmsc_lpfrag_cfg_default(dmsc_lpfrag_cfg_t *cfg);

/* Why fragments were dropped (index into dmsc_lpfrag_stats_t.drop). */
enum {
    DMSC_LPFRAG_DROP_BAD,            /* no Fragment or Sequence, FragIndex >= FragCount */
    DMSC_LPFRAG_DROP_TOO_MANY_FRAGS, /* FragCount > max_frags */
    DMSC_LPFRAG_DROP_TOO_BIG,        /* over max_pkt_size or DMSC_LPFRAG_HDR_MAX */
    DMSC_LPFRAG_DROP_COUNT_MISMATCH, /* FragCount differs from the earlier fragments' */
    DMSC_LPFRAG_DROP_DUPLICATE,      /* this FragIndex was already received */
    DMSC_LPFRAG_DROP_TIMEOUT,        /* buffered when its partial packet timed out */
    DMSC_LPFRAG_DROP_EVICTED,        /* buffered when its partial packet was evicted */
    DMSC_LPFRAG_DROP_NOMEM,          /* malloc failed */
    DMSC_LPFRAG_DROP_NOBUFS,         /* caller's output buffer too small */
    DMSC_LPFRAG_DROP__COUNT
};

typedef struct {
    uint64_t frags_in;                      /* calls to push */
    uint64_t delivered;                     /* network packets returned (whole or reassembled) */
    uint64_t reassembled;                   /* ... of which were reassembled from fragments */
    uint64_t partials_timed_out;            /* partial packets dropped by timeout */
    uint64_t partials_evicted;              /* partial packets evicted for room */
    uint64_t drop[DMSC_LPFRAG_DROP__COUNT]; /* fragments dropped, by reason */
} dmsc_lpfrag_stats_t;

/* Short name of a DMSC_LPFRAG_DROP_* reason, e.g. "duplicate". Never NULL. */
const char *dmsc_lpfrag_drop_str(int reason);

typedef struct dmsc_lpfrag_reasm dmsc_lpfrag_reasm_t;

/* Returns 0, DMSC_EINVAL (a zero or out-of-range limit, or max_total_bytes
 * below what one partial packet may need) or DMSC_ENOMEM. */
int dmsc_lpfrag_reasm_new(dmsc_lpfrag_reasm_t **out, const dmsc_lpfrag_cfg_t *cfg);
void dmsc_lpfrag_reasm_free(dmsc_lpfrag_reasm_t *r);

enum { DMSC_LPFRAG_PENDING = 0, DMSC_LPFRAG_DONE = 1 };

/*
 * Offer one decoded LpPacket (dmsc_lp_decode output, with a Fragment) from
 * remote endpoint ep. Partial packets whose deadline <= now_ms are expired
 * first.
 *  - Not fragmented (FragCount 1): DMSC_LPFRAG_DONE, *res = *frag (zero copy,
 *    slices still point into the caller's input); out is not touched.
 *  - Last missing fragment: DMSC_LPFRAG_DONE; the packet is written into out
 *    (out_cap >= DMSC_LPFRAG_OUT_SIZE(max_pkt_size) always suffices) and *res
 *    describes it: res->fragment is the network packet, the other fields are
 *    fragment 0's, Sequence is the base sequence, FragIndex/FragCount absent.
 *  - Otherwise DMSC_LPFRAG_PENDING: buffered (copied), wait for more.
 * Dropped fragments return a negative code and are counted: DMSC_ELPFRAG
 * (bad fields, FragCount mismatch), DMSC_ETOOBIG, DMSC_EDUP, DMSC_ENOMEM,
 * DMSC_ENOBUFS.
 */
int dmsc_lpfrag_reasm_push(dmsc_lpfrag_reasm_t *r, uint64_t ep, const dmsc_lp_t *frag,
                           uint64_t now_ms, uint8_t *out, size_t out_cap, dmsc_lp_t *res);

/* Drop partial packets whose deadline <= now_ms; returns how many. */
size_t dmsc_lpfrag_reasm_expire(dmsc_lpfrag_reasm_t *r, uint64_t now_ms);

/* Earliest deadline of a partial packet (to arm a timer); false if none. */
bool dmsc_lpfrag_reasm_next_deadline(const dmsc_lpfrag_reasm_t *r, uint64_t *when_ms);

/* Partial packets held, and bytes charged against max_total_bytes. */
uint32_t dmsc_lpfrag_reasm_count(const dmsc_lpfrag_reasm_t *r);
size_t dmsc_lpfrag_reasm_bytes(const dmsc_lpfrag_reasm_t *r);

const dmsc_lpfrag_stats_t *dmsc_lpfrag_reasm_stats(const dmsc_lpfrag_reasm_t *r);

#endif
