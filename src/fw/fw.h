/*
 * The forwarding core (sans I/O): name tree, FIB, PIT, Content Store,
 * Dead Nonce List and strategies, one per dmsc_fw_t.
 *
 * The daemon feeds it network packets with the link-layer fields that
 * matter to forwarding (dmsc_pkt_t) and the current time; the forwarder
 * answers by calling io->send() for each packet to transmit. It never
 * touches a socket or a clock, so tests drive it with a fake clock.
 *
 * Reentrancy: io->send() must not call back into dmsc_fw_receive() on the
 * same forwarder (queue instead: the in-process app face does).
 */
#ifndef DMSC_FW_FW_H
#define DMSC_FW_FW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/slice.h"
#include "ndn/name.h"

typedef uint32_t dmsc_faceid_t;

/* Face ids, as in NFD: 0 invalid, 1..255 reserved for in-process faces,
 * dynamic faces from 256. */
enum {
    DMSC_FACEID_INVALID = 0,
    DMSC_FACEID_INTERNAL = 1, /* management, ping responder */
    DMSC_FACEID_CONTENT_STORE = 254,
    DMSC_FACEID_NULL = 255,
    DMSC_FACEID_FIRST_DYNAMIC = 256,
};

/* Face scope (NFD): local faces may carry /localhost and see
 * IncomingFaceId/NextHopFaceId; non-local faces never do. */
enum { DMSC_SCOPE_NONLOCAL = 0, DMSC_SCOPE_LOCAL = 1 };

/* Network packet kinds */
enum { DMSC_PKT_INTEREST = 1, DMSC_PKT_DATA = 2, DMSC_PKT_NACK = 3 };

/* One network-layer packet with its forwarding-relevant NDNLPv2 fields.
 * Input: wire is the Interest (INTEREST, NACK) or Data element.
 * Output: the same; the face's link service adds LP headers. */
typedef struct {
    uint8_t kind;
    const uint8_t *wire;
    size_t len;
    dmsc_slice_t pit_token; /* echoed on Data/Nack to the downstream that sent it */
    uint64_t nack_reason;   /* DMSC_PKT_NACK: DMSC_LP_NACK_* */
    uint64_t next_hop_face; /* input, local faces: NextHopFaceId, 0 = none */
    uint64_t incoming_face; /* output to local faces: IncomingFaceId, 0 = none */
    uint64_t congestion_mark;
    bool no_cache; /* Data: CachePolicy NoCache */
} dmsc_pkt_t;

/* Why a packet was dropped: counted per face and globally, exported in /metrics. */
#define DMSC_FW_DROP_MAP(X)                                                                        \
    X(MALFORMED, "malformed")                                                                      \
    X(TOO_BIG, "too-big")                                                                          \
    X(HOP_LIMIT, "hop-limit")                                                                      \
    X(SCOPE, "localhost-scope")                                                                    \
    X(LOOP, "loop")                                                                                \
    X(NO_ROUTE, "no-route")                                                                        \
    X(PIT_FULL, "pit-full")                                                                        \
    X(PIT_FACE_FULL, "pit-face-full")                                                              \
    X(UNSOLICITED, "unsolicited-data")                                                             \
    X(NACK_UNMATCHED, "unmatched-nack")                                                            \
    X(FACE_DOWN, "face-down")

enum {
#define DMSC__DROP_ENUM(n, s) DMSC_DROP_##n,
    DMSC_FW_DROP_MAP(DMSC__DROP_ENUM)
#undef DMSC__DROP_ENUM
        DMSC_DROP__COUNT
};
const char *dmsc_fw_drop_name(int reason);

typedef struct {
    uint64_t in_interests, in_data, in_nacks;
    uint64_t out_interests, out_data, out_nacks;
    uint64_t in_bytes, out_bytes;
    uint64_t drops[DMSC_DROP__COUNT];
    uint64_t pit_entries; /* in-records currently held for this face */
} dmsc_fw_face_counters_t;

typedef struct {
    uint64_t pit_size, cs_entries, cs_bytes, fib_size, dnl_size;
    uint64_t cs_hits, cs_misses, cs_inserts, cs_evictions;
    /* Interests satisfied (by Data or a CS hit) / PIT entries expired or Nacked */
    uint64_t satisfied_interests, unsatisfied_interests;
    uint64_t drops[DMSC_DROP__COUNT];
} dmsc_fw_counters_t;

typedef struct {
    size_t pit_max;          /* PIT entries in total */
    size_t pit_max_per_face; /* in-records per downstream face */
    size_t cs_max_entries;
    size_t cs_max_bytes;
    uint64_t dnl_lifetime_ns; /* Dead Nonce List entry lifetime */
    size_t dnl_max;           /* Dead Nonce List capacity */
    uint64_t max_lifetime_ns; /* cap on InterestLifetime honoured */
    size_t max_packet;        /* decode ceiling for non-datagram input */
    size_t fib_max;           /* FIB entries; also caps strategy choices */
} dmsc_fw_config_t;

/* PIT entries kept beyond pit_max for /localhost Interests from local faces,
 * so that management (faces/destroy of a flooder, rib/unregister) still
 * works when the network has filled the PIT. */
#define DMSC_FW_PIT_LOCALHOST_RESERVE 64

/* Defaults: pit_max 1M, per face 64k, CS 64k entries / 256 MiB, DNL 6 s /
 * 64k, lifetime cap 120 s, max_packet 8800, fib_max 1M. */
void dmsc_fw_config_default(dmsc_fw_config_t *cfg);

typedef struct {
    void *ctx;
    /* Transmit pkt on face. Return 0, or <0 if the face is gone/backlogged
     * (the forwarder counts it as a FACE_DOWN drop). pkt, its wire and its
     * pit_token are valid only during the call: copy or send them now. */
    int (*send)(void *ctx, dmsc_faceid_t face, const dmsc_pkt_t *pkt);
} dmsc_fw_io_t;

typedef struct dmsc_fw dmsc_fw_t;

/* NULL on allocation failure. */
dmsc_fw_t *dmsc_fw_new(const dmsc_fw_config_t *cfg, const dmsc_fw_io_t *io);
void dmsc_fw_free(dmsc_fw_t *fw);
/* Apply the reloadable parts of a new config (limits; shrinking the CS evicts). */
void dmsc_fw_reconfigure(dmsc_fw_t *fw, const dmsc_fw_config_t *cfg);

/* ---- faces ---- */
/* DMSC_EINVAL if id is 0 or already present. */
int dmsc_fw_face_add(dmsc_fw_t *fw, dmsc_faceid_t id, int scope);
/* Removes every FIB nexthop and PIT record of the face. */
void dmsc_fw_face_remove(dmsc_fw_t *fw, dmsc_faceid_t id);
const dmsc_fw_face_counters_t *dmsc_fw_face_counters(const dmsc_fw_t *fw, dmsc_faceid_t id);
/* Count a drop that happened below the forwarder (bad LP packet, reassembly). */
void dmsc_fw_count_drop(dmsc_fw_t *fw, dmsc_faceid_t id, int reason);

/* ---- packets and time (now: monotonic nanoseconds) ----
 * Pipelines and limits: docs/forwarder.md. HopLimit is decremented (in the
 * copy we forward) for Interests that arrive on non-local faces, as NFD does;
 * HopLimit 0 is dropped from non-local faces and never sent to them. */
void dmsc_fw_receive(dmsc_fw_t *fw, dmsc_faceid_t face, const dmsc_pkt_t *pkt, uint64_t now);
/* Run expired timers (PIT lifetimes, strategy retries, DNL aging). Returns
 * the next deadline (UINT64_MAX if none). Call at least by that time. */
uint64_t dmsc_fw_run_timers(dmsc_fw_t *fw, uint64_t now);

const dmsc_fw_counters_t *dmsc_fw_counters(const dmsc_fw_t *fw);

/* ---- FIB ---- */
/* Add or update (cost) a nexthop. DMSC_EINVAL for an unknown face,
 * DMSC_ENOMEM at the FIB limit. */
int dmsc_fw_fib_add(dmsc_fw_t *fw, const dmsc_name_t *prefix, dmsc_faceid_t face, uint64_t cost);
/* Removes the nexthop; the entry goes when it has none. 0 even if absent. */
int dmsc_fw_fib_remove(dmsc_fw_t *fw, const dmsc_name_t *prefix, dmsc_faceid_t face);

typedef struct {
    dmsc_faceid_t face;
    uint64_t cost;
} dmsc_nexthop_t;

/* Visit every FIB entry (any order). Stops when cb returns non-zero. */
typedef int (*dmsc_fw_fib_cb)(void *arg, const dmsc_name_t *prefix, const dmsc_nexthop_t *nh,
                              size_t n);
void dmsc_fw_fib_foreach(const dmsc_fw_t *fw, dmsc_fw_fib_cb cb, void *arg);

/* ---- strategy choice ---- */
/* Strategy names as NFD spells them: /localhost/nfd/strategy/best-route,
 * .../multicast, .../load-balance (a version component may follow).
 * DMSC_ENOTSUP for an unknown strategy. The root prefix always has one
 * (best-route by default) and cannot be unset (DMSC_EINVAL). */
int dmsc_fw_strategy_set(dmsc_fw_t *fw, const dmsc_name_t *prefix, const dmsc_name_t *strategy);
int dmsc_fw_strategy_unset(dmsc_fw_t *fw, const dmsc_name_t *prefix);
typedef int (*dmsc_fw_strategy_cb)(void *arg, const dmsc_name_t *prefix,
                                   const dmsc_name_t *strategy);
void dmsc_fw_strategy_foreach(const dmsc_fw_t *fw, dmsc_fw_strategy_cb cb, void *arg);

/* ---- CS ---- */
void dmsc_fw_cs_erase_all(dmsc_fw_t *fw);

/* ---- network regions (NFD NetworkRegionTable) ----
 * An Interest with a ForwardingHint is forwarded by the first delegation
 * name that has a FIB entry, unless this node is in the producer region: a
 * region name added here is a prefix of one of the delegations. Then (and
 * when no delegation has a route) the Interest name is used.
 * add: 0, DMSC_ENOMEM (more than DMSC_FW_REGIONS_MAX). remove: 0 even if absent. */
#define DMSC_FW_REGIONS_MAX 16
int dmsc_fw_region_add(dmsc_fw_t *fw, const dmsc_name_t *region);
int dmsc_fw_region_remove(dmsc_fw_t *fw, const dmsc_name_t *region);

#endif
