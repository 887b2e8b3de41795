/*
 * NFD Management protocol TLV structures (sans I/O, zero-copy decode,
 * backward encode): ControlParameters, ControlResponse and the StatusDataset
 * records ForwarderStatus, FaceStatus, FaceQueryFilter, FibEntry +
 * NextHopRecord, RibEntry + Route, CsInfo and StrategyChoice.
 *
 * Specs: NFD wiki pages ControlCommand, StatusDataset, FaceMgmt, FibMgmt,
 * RibMgmt, StrategyChoice, ForwarderStatus, CsMgmt; TLV-TYPE numbers as in
 * ndn-cxx encoding/tlv-nfd.hpp and NDNts @ndn/nfdmgmt an-nfd.ts (the numbers
 * below are checked against both).
 *
 * Decoding rules:
 *  - ControlParameters and FaceQueryFilter: fields in any order (ndn-cxx
 *    looks each one up with Block::find), each at most once (DMSC_EDUP),
 *    unknown elements ignored whatever their TLV-TYPE (ndn-cxx and NDNts
 *    treat none of them as critical).
 *  - Dataset records and ControlResponse: known fields in the order ndn-cxx
 *    writes them (DMSC_EORDER otherwise), at most once (DMSC_EDUP), required
 *    fields present (DMSC_EMISSING); unknown elements ignored.
 *  - Numbers are NonNegativeIntegers (DMSC_ENNI); names are validated like
 *    any Name (DMSC_ECOMPTYPE, DMSC_ENAMELEN, DMSC_ENAMECOMPS, ...);
 *    strings are kept as byte slices, not NUL-terminated, not validated as
 *    UTF-8 (the dispatcher checks what it uses).
 *  - Every decoder reads only inside [p, p + n) and never allocates.
 *
 * Encoders prepend to a dmsc_enc_t (ndn/tlv.h); overflow is sticky and
 * reported as DMSC_ENOBUFS.
 */
#ifndef DMSC_MGMT_NFD_TLV_H
#define DMSC_MGMT_NFD_TLV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ndn/name.h"
#include "ndn/tlv.h"

/* ---- TLV-TYPE numbers (ndn-cxx tlv::nfd) ---- */
enum {
    /* ControlParameters */
    DMSC_NFD_TT_CONTROL_PARAMETERS = 0x68,
    DMSC_NFD_TT_FACE_ID = 0x69,
    DMSC_NFD_TT_COST = 0x6a,
    DMSC_NFD_TT_STRATEGY = 0x6b,
    DMSC_NFD_TT_FLAGS = 0x6c,
    DMSC_NFD_TT_EXPIRATION_PERIOD = 0x6d,
    DMSC_NFD_TT_ORIGIN = 0x6f,
    DMSC_NFD_TT_MASK = 0x70,
    DMSC_NFD_TT_URI = 0x72,
    DMSC_NFD_TT_LOCAL_URI = 0x81,
    DMSC_NFD_TT_CAPACITY = 0x83,
    DMSC_NFD_TT_COUNT = 0x84,
    DMSC_NFD_TT_FACE_PERSISTENCY = 0x85,
    DMSC_NFD_TT_BASE_CONG_MARK_INTERVAL = 0x87,
    DMSC_NFD_TT_DEFAULT_CONG_THRESHOLD = 0x88,
    DMSC_NFD_TT_MTU = 0x89,
    /* ControlResponse */
    DMSC_NFD_TT_CONTROL_RESPONSE = 0x65,
    DMSC_NFD_TT_STATUS_CODE = 0x66,
    DMSC_NFD_TT_STATUS_TEXT = 0x67,
    /* ForwarderStatus (status/general), a bare sequence of these */
    DMSC_NFD_TT_NFD_VERSION = 0x80,
    DMSC_NFD_TT_START_TIMESTAMP = 0x81,
    DMSC_NFD_TT_CURRENT_TIMESTAMP = 0x82,
    DMSC_NFD_TT_N_NAME_TREE_ENTRIES = 0x83,
    DMSC_NFD_TT_N_FIB_ENTRIES = 0x84,
    DMSC_NFD_TT_N_PIT_ENTRIES = 0x85,
    DMSC_NFD_TT_N_MEASUREMENTS_ENTRIES = 0x86,
    DMSC_NFD_TT_N_CS_ENTRIES = 0x87,
    /* counters (ForwarderStatus and FaceStatus) */
    DMSC_NFD_TT_N_IN_INTERESTS = 0x90,
    DMSC_NFD_TT_N_IN_DATA = 0x91,
    DMSC_NFD_TT_N_OUT_INTERESTS = 0x92,
    DMSC_NFD_TT_N_OUT_DATA = 0x93,
    DMSC_NFD_TT_N_IN_BYTES = 0x94,
    DMSC_NFD_TT_N_OUT_BYTES = 0x95,
    DMSC_NFD_TT_N_IN_NACKS = 0x97,
    DMSC_NFD_TT_N_OUT_NACKS = 0x98,
    DMSC_NFD_TT_N_SATISFIED_INTERESTS = 0x99,
    DMSC_NFD_TT_N_UNSATISFIED_INTERESTS = 0x9a,
    /* Face management */
    DMSC_NFD_TT_FACE_STATUS = 0x80,
    DMSC_NFD_TT_CHANNEL_STATUS = 0x82,
    DMSC_NFD_TT_URI_SCHEME = 0x83,
    DMSC_NFD_TT_FACE_SCOPE = 0x84,
    DMSC_NFD_TT_LINK_TYPE = 0x86,
    DMSC_NFD_TT_FACE_QUERY_FILTER = 0x96,
    /* CS, FIB, RIB, strategy choice */
    DMSC_NFD_TT_CS_INFO = 0x80,
    DMSC_NFD_TT_N_HITS = 0x81,
    DMSC_NFD_TT_N_MISSES = 0x82,
    DMSC_NFD_TT_FIB_ENTRY = 0x80,
    DMSC_NFD_TT_NEXT_HOP_RECORD = 0x81,
    DMSC_NFD_TT_RIB_ENTRY = 0x80,
    DMSC_NFD_TT_ROUTE = 0x81,
    DMSC_NFD_TT_STRATEGY_CHOICE = 0x80,
};

/* Route flags (RibMgmt), CS flags (CsMgmt). Face flags: face/face.h. */
enum { DMSC_NFD_ROUTE_CHILD_INHERIT = 1, DMSC_NFD_ROUTE_CAPTURE = 2 };
enum { DMSC_NFD_CS_ENABLE_ADMIT = 1, DMSC_NFD_CS_ENABLE_SERVE = 2 };

/* ---- ControlParameters ---- */

/* Presence bits of dmsc_nfd_cp_t.has */
enum {
    DMSC_CP_NAME = 1u << 0,
    DMSC_CP_FACE_ID = 1u << 1,
    DMSC_CP_URI = 1u << 2,
    DMSC_CP_LOCAL_URI = 1u << 3,
    DMSC_CP_ORIGIN = 1u << 4,
    DMSC_CP_COST = 1u << 5,
    DMSC_CP_CAPACITY = 1u << 6,
    DMSC_CP_COUNT = 1u << 7,
    DMSC_CP_FLAGS = 1u << 8,
    DMSC_CP_MASK = 1u << 9,
    DMSC_CP_STRATEGY = 1u << 10,
    DMSC_CP_EXPIRATION_PERIOD = 1u << 11,
    DMSC_CP_FACE_PERSISTENCY = 1u << 12,
    DMSC_CP_BASE_CONG_MARK_INTERVAL = 1u << 13,
    DMSC_CP_DEFAULT_CONG_THRESHOLD = 1u << 14,
    DMSC_CP_MTU = 1u << 15,
};

typedef struct {
    uint32_t has; /* DMSC_CP_* */
    dmsc_name_t name;
    uint64_t face_id;
    dmsc_slice_t uri;       /* FaceUri text, not NUL-terminated */
    dmsc_slice_t local_uri; /* idem */
    uint64_t origin;
    uint64_t cost;
    uint64_t capacity;
    uint64_t count;
    uint64_t flags;
    uint64_t mask;
    dmsc_name_t strategy;       /* the Name inside Strategy */
    uint64_t expiration_period; /* ms */
    uint64_t face_persistency;
    uint64_t base_cong_mark_interval; /* ns */
    uint64_t default_cong_threshold;  /* bytes */
    uint64_t mtu;
} dmsc_nfd_cp_t;

/* No field present. */
void dmsc_nfd_cp_init(dmsc_nfd_cp_t *cp);

/* Decode one ControlParameters element occupying exactly [p, p + n).
 * Zero-copy: names and strings point into p. Returns 0, DMSC_ETRUNC,
 * DMSC_EVARNUM, DMSC_ETYPE (not ControlParameters), DMSC_ETRAILING,
 * DMSC_EDUP, DMSC_ENNI, DMSC_EMISSING (Strategy without a Name), or a Name
 * error (DMSC_ECOMPTYPE, DMSC_EVALUE, DMSC_ENAMELEN, DMSC_ENAMECOMPS). */
int dmsc_nfd_cp_decode(dmsc_nfd_cp_t *cp, const uint8_t *p, size_t n);

/* Prepend the ControlParameters element with the fields in cp->has, in the
 * order ndn-cxx writes them. Returns 0 or DMSC_ENOBUFS. */
int dmsc_nfd_cp_prepend(dmsc_enc_t *e, const dmsc_nfd_cp_t *cp);

/* ---- ControlResponse ----
 *   ControlResponse = 0x65 TLV-LENGTH StatusCode StatusText [body]
 * The body (for NFD commands: ControlParameters) is whatever follows
 * StatusText. */
typedef struct {
    uint64_t code;
    dmsc_slice_t text;
    dmsc_slice_t body; /* bytes after StatusText (n == 0 if none) */
} dmsc_nfd_cr_t;

/* text: NUL-terminated (NULL = empty); body: NULL for none. Returns 0 or
 * DMSC_ENOBUFS. */
int dmsc_nfd_cr_prepend(dmsc_enc_t *e, uint64_t code, const char *text, const dmsc_nfd_cp_t *body);
/* Returns 0, DMSC_ETRUNC, DMSC_EVARNUM, DMSC_ETYPE, DMSC_ETRAILING,
 * DMSC_EMISSING (StatusCode or StatusText), DMSC_EORDER, DMSC_ENNI. */
int dmsc_nfd_cr_decode(dmsc_nfd_cr_t *cr, const uint8_t *p, size_t n);

/* ---- status/general: ForwarderStatus ----
 * The dataset payload is the bare sequence of these fields (no outer TLV),
 * as NFD publishes it. Timestamps are milliseconds since the Unix epoch. */
typedef struct {
    dmsc_slice_t nfd_version;
    uint64_t start_timestamp;
    uint64_t current_timestamp;
    uint64_t n_name_tree_entries;
    uint64_t n_fib_entries;
    uint64_t n_pit_entries;
    uint64_t n_measurements_entries;
    uint64_t n_cs_entries;
    uint64_t n_in_interests;
    uint64_t n_in_data;
    uint64_t n_in_nacks;
    uint64_t n_out_interests;
    uint64_t n_out_data;
    uint64_t n_out_nacks;
    uint64_t n_satisfied_interests;
    uint64_t n_unsatisfied_interests;
} dmsc_nfd_status_t;

int dmsc_nfd_status_prepend(dmsc_enc_t *e, const dmsc_nfd_status_t *s);
/* Decode the whole status/general payload [p, p + n). Every field is
 * required. */
int dmsc_nfd_status_decode(dmsc_nfd_status_t *s, const uint8_t *p, size_t n);

/* ---- faces/list, faces/query: FaceStatus ---- */
typedef struct {
    uint64_t face_id;
    dmsc_slice_t uri;
    dmsc_slice_t local_uri;
    bool has_expiration_period;
    uint64_t expiration_period; /* ms */
    uint64_t face_scope;
    uint64_t face_persistency;
    uint64_t link_type;
    bool has_base_cong_mark_interval;
    uint64_t base_cong_mark_interval;
    bool has_default_cong_threshold;
    uint64_t default_cong_threshold;
    bool has_mtu;
    uint64_t mtu;
    uint64_t n_in_interests;
    uint64_t n_in_data;
    uint64_t n_in_nacks;
    uint64_t n_out_interests;
    uint64_t n_out_data;
    uint64_t n_out_nacks;
    uint64_t n_in_bytes;
    uint64_t n_out_bytes;
    uint64_t flags;
} dmsc_nfd_face_status_t;

int dmsc_nfd_face_status_prepend(dmsc_enc_t *e, const dmsc_nfd_face_status_t *fs);
/* One FaceStatus element occupying exactly [p, p + n). */
int dmsc_nfd_face_status_decode(dmsc_nfd_face_status_t *fs, const uint8_t *p, size_t n);

/* ---- faces/query parameter: FaceQueryFilter ---- */
enum {
    DMSC_FQF_FACE_ID = 1u << 0,
    DMSC_FQF_URI_SCHEME = 1u << 1,
    DMSC_FQF_URI = 1u << 2,
    DMSC_FQF_LOCAL_URI = 1u << 3,
    DMSC_FQF_FACE_SCOPE = 1u << 4,
    DMSC_FQF_FACE_PERSISTENCY = 1u << 5,
    DMSC_FQF_LINK_TYPE = 1u << 6,
};
typedef struct {
    uint32_t has; /* DMSC_FQF_* */
    uint64_t face_id;
    dmsc_slice_t uri_scheme;
    dmsc_slice_t uri;
    dmsc_slice_t local_uri;
    uint64_t face_scope;
    uint64_t face_persistency;
    uint64_t link_type;
} dmsc_nfd_face_filter_t;

int dmsc_nfd_face_filter_prepend(dmsc_enc_t *e, const dmsc_nfd_face_filter_t *f);
/* One FaceQueryFilter element occupying exactly [p, p + n). */
int dmsc_nfd_face_filter_decode(dmsc_nfd_face_filter_t *f, const uint8_t *p, size_t n);

/* ---- fib/list: FibEntry = 0x80 { Name NextHopRecord* },
 *      NextHopRecord = 0x81 { FaceId Cost } ---- */
typedef struct {
    uint64_t face_id;
    uint64_t cost;
} dmsc_nfd_nexthop_t;

int dmsc_nfd_fib_entry_prepend(dmsc_enc_t *e, const dmsc_name_t *prefix,
                               const dmsc_nfd_nexthop_t *nh, size_t n);

typedef struct {
    dmsc_name_t name;
    size_t n_nexthops;
    dmsc_slice_t records; /* the NextHopRecord elements; iterate below */
} dmsc_nfd_fib_entry_t;

/* One FibEntry element occupying exactly [p, p + n); every NextHopRecord
 * is validated. */
int dmsc_nfd_fib_entry_decode(dmsc_nfd_fib_entry_t *fe, const uint8_t *p, size_t n);

/* ---- rib/list: RibEntry = 0x80 { Name Route* },
 *      Route = 0x81 { FaceId Origin Cost Flags [ExpirationPeriod] } ---- */
typedef struct {
    uint64_t face_id;
    uint64_t origin;
    uint64_t cost;
    uint64_t flags;
    bool has_expiration_period;
    uint64_t expiration_period; /* ms */
} dmsc_nfd_route_t;

int dmsc_nfd_rib_entry_prepend(dmsc_enc_t *e, const dmsc_name_t *prefix,
                               const dmsc_nfd_route_t *routes, size_t n);

typedef struct {
    dmsc_name_t name;
    size_t n_routes;
    dmsc_slice_t records; /* the Route elements; iterate below */
} dmsc_nfd_rib_entry_t;

int dmsc_nfd_rib_entry_decode(dmsc_nfd_rib_entry_t *re, const uint8_t *p, size_t n);

/* Iterate the records of a decoded FibEntry / RibEntry (which validated
 * them). Return 1 with *out set, 0 at the end, <0 on a malformed record. */
typedef struct {
    dmsc_tlv_reader_t r;
} dmsc_nfd_iter_t;

static inline void dmsc_nfd_iter_init(dmsc_nfd_iter_t *it, dmsc_slice_t records)
{
    dmsc_tlv_reader_init(&it->r, records.p, records.n);
}
int dmsc_nfd_nexthop_next(dmsc_nfd_iter_t *it, dmsc_nfd_nexthop_t *out);
int dmsc_nfd_route_next(dmsc_nfd_iter_t *it, dmsc_nfd_route_t *out);

/* ---- cs/info: CsInfo = 0x80 { Capacity Flags NCsEntries NHits NMisses } ---- */
typedef struct {
    uint64_t capacity;
    uint64_t flags; /* DMSC_NFD_CS_* */
    uint64_t n_entries;
    uint64_t n_hits;
    uint64_t n_misses;
} dmsc_nfd_cs_info_t;

int dmsc_nfd_cs_info_prepend(dmsc_enc_t *e, const dmsc_nfd_cs_info_t *ci);
int dmsc_nfd_cs_info_decode(dmsc_nfd_cs_info_t *ci, const uint8_t *p, size_t n);

/* ---- strategy-choice/list: StrategyChoice = 0x80 { Name Strategy { Name } } ---- */
int dmsc_nfd_strategy_choice_prepend(dmsc_enc_t *e, const dmsc_name_t *prefix,
                                     const dmsc_name_t *strategy);
int dmsc_nfd_strategy_choice_decode(dmsc_name_t *prefix, dmsc_name_t *strategy, const uint8_t *p,
                                    size_t n);

#endif
