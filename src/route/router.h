/*
 * The routing core (sans I/O): neighbor state machine (hellos, liveness,
 * RTT-based link cost with hysteresis), signed LSA origination, reliable
 * flooding with acknowledgements and summary exchange, LSDB aging, SPF with
 * loop-free multipath, and the route diff that drives the RIB.
 * docs/routing.md is the protocol specification.
 *
 * Driving it (the daemon, or a test with a fake clock):
 *
 *   input                                   output (dmsc_router_io_t)
 *   dmsc_router_face_add/remove(face)       send(face, pkt)  Interests carry
 *   dmsc_router_receive(face, pkt)            next_hop_face = face; Data
 *   dmsc_router_run_timers()                  replies echo the PitToken
 *   dmsc_router_prefix_add/remove()         route_add(prefix, face, cost)
 *   dmsc_router_lsa_install()               route_remove(prefix, face)
 *                                           event(neighbor up/down, ...)
 *   every call takes `now` (monotonic ns); dmsc_router_next_deadline()
 *   says when run_timers must be called next (it may move earlier after
 *   any call).
 *
 * `face` is always the face towards the neighbor: a daemon whose router
 * sits behind an in-process app face passes the IncomingFaceId of what it
 * receives, and sends Interests with NextHopFaceId = face (set in pkt).
 * Route changes use the RIB origin DMSC_ROUTE_ORIGIN_NLSR (mgmt/rib.h) in
 * the daemon; this layer does not know the RIB.
 *
 * Callbacks must not call back into the router. Packets passed to send()
 * and names passed to callbacks are valid during the call only.
 * Not thread-safe: one router, one thread.
 */
#ifndef DMSC_ROUTE_ROUTER_H
#define DMSC_ROUTE_ROUTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fw/fw.h"
#include "ndn/name.h"
#include "sec/key.h"

typedef struct {
    /* ---- neighbors ---- */
    uint64_t hello_interval;      /* between hellos on a face: 100 ms */
    uint64_t hello_timeout;       /* a hello unanswered after this is a miss, unless something
                                     else valid came from the neighbor since it was sent: 100 ms
                                     (also the hello's InterestLifetime: must exceed the RTT) */
    uint32_t dead_misses;         /* consecutive misses that make a neighbor dead: 3 (a silent
                                     neighbor is detected 0.28-0.4 s after it fails) */
    uint32_t unreachable_reports; /* dmsc_router_face_unreachable() reports, within
                                hello_interval + hello_timeout and with nothing valid from
                                the neighbor in between, that make it dead at once (one
                                report and its confirming hello unanswered also do): 2
                                (0: reports are ignored) */
    bool adopt_faces;             /* answer and add faces a hello arrives on that were not
                                     added (on-demand faces from the other side): true */
    /* link cost = cost_base + RTT EWMA / cost_rtt_unit (alpha 1/8), advertised
     * only when it moves by more than max(hyst_pct % of the advertised cost,
     * hyst_abs) and cost_hold has passed since the last change */
    uint32_t cost_base;     /* 10 */
    uint64_t cost_rtt_unit; /* 100 us */
    uint32_t hyst_pct;      /* 20 */
    uint32_t hyst_abs;      /* 2 */
    uint64_t cost_hold;     /* 5 s */

    /* ---- LSAs and flooding ---- */
    uint64_t lsa_lifetime;      /* MaxAge: 3600 s */
    uint64_t lsa_refresh;       /* re-originate unchanged: 1800 s (< lifetime) */
    uint64_t lsa_min_interval;  /* between originations: 100 ms */
    uint64_t lsa_min_remaining; /* LSAs with less lifetime left are not sent or accepted: 1 s */
    uint64_t rxmt_interval;     /* LSU/SNP unacknowledged after this is sent again: 250 ms */
    uint32_t window;            /* LSU/SNP Interests in flight per neighbor: 4 (1..16) */
    uint64_t sync_check;        /* LSDB digests that differ for this long trigger a summary
                                   exchange; also the least time between two: 2 s */
    uint64_t loading_timeout;   /* longest wait in state SYNC before FULL: 5 s */

    /* ---- SPF ---- */
    uint64_t spf_delay;           /* from the first change to SPF: 0 (the next timer run,
                                     which batches what arrived in the same loop turn) */
    uint64_t spf_hold;            /* least time between two SPF runs: 50 ms (only a burst of
                                     changes waits for it) */
    uint32_t mp_bound_pct;        /* next hop kept if its cost <= best * (100 + pct) / 100: 100 */
    uint32_t max_nexthops;        /* per destination node: 4 */
    uint32_t max_prefix_nexthops; /* per prefix, after merging its origins: 8 */

    /* ---- limits ---- */
    uint32_t max_lsas;           /* LSDB entries: 16384 */
    uint32_t max_faces;          /* faces running hellos: 256 */
    uint32_t max_local_prefixes; /* (prefix, owner) pairs: 4096 */

    /* ---- identity and state ---- */
    bool pin_keys;              /* reject an LSA or hello whose key differs from the one
                                   the LSDB holds for that node: false (keys change when a
                                   node's state is wiped; real trust comes with certificates) */
    uint64_t seq_start;         /* last sequence number used (from the state directory) */
    uint64_t seq_reserve_block; /* DMSC_ROUTER_EV_SEQ_RESERVE granularity: 1024 (0: none) */
    uint64_t rng_seed;          /* nonces, jitter, message numbers (daemon: random) */
} dmsc_router_config_t;

void dmsc_router_config_default(dmsc_router_config_t *cfg);

/* Neighbor states */
enum {
    DMSC_NBR_DOWN = 0, /* no valid hello reply within dead_misses */
    DMSC_NBR_SYNC = 1, /* two-way (its hello reply arrived); exchanging summaries, loading */
    DMSC_NBR_FULL = 2, /* synchronized: advertised in our LSA and used for routing */
};

/* Why a neighbor went down */
enum {
    DMSC_NBR_DOWN_HELLO = 1,       /* hello replies missed */
    DMSC_NBR_DOWN_FACE = 2,        /* face removed */
    DMSC_NBR_DOWN_RENAMED = 3,     /* another node answers on the face */
    DMSC_NBR_DOWN_UNREACHABLE = 4, /* the transport reported it unreachable (ICMP) */
};

/* Events (for logs and metrics) */
enum {
    DMSC_ROUTER_EV_NBR_UP = 1,      /* face, name: DOWN -> SYNC */
    DMSC_ROUTER_EV_NBR_FULL = 2,    /* face, name */
    DMSC_ROUTER_EV_NBR_DOWN = 3,    /* face, name, reason */
    DMSC_ROUTER_EV_COST = 4,        /* face, name, cost, old_cost: advertised cost changed */
    DMSC_ROUTER_EV_LSA_REJECT = 5,  /* face (0 if local), name (origin, may be NULL), reason
                                       (DMSC_E* code) */
    DMSC_ROUTER_EV_SEQ_RESERVE = 6, /* seq: persist it before returning (it is the next
                                       seq_start); LSAs above it are not sent before the
                                       callback returns */
    DMSC_ROUTER_EV_ORIGINATE = 7,   /* seq: our LSA was (re-)originated */
};

typedef struct {
    int type;
    dmsc_faceid_t face;
    const dmsc_name_t *name;
    uint64_t cost, old_cost;
    uint64_t seq;
    int reason;
} dmsc_router_event_t;

typedef struct {
    void *ctx;
    /* Transmit a packet towards the neighbor on face. Return 0 or < 0
     * (counted; the protocol retransmits). */
    int (*send)(void *ctx, dmsc_faceid_t face, const dmsc_pkt_t *pkt);
    /* Add or update (cost) a route; return 0 or < 0 (counted). */
    int (*route_add)(void *ctx, const dmsc_name_t *prefix, dmsc_faceid_t face, uint64_t cost);
    void (*route_remove)(void *ctx, const dmsc_name_t *prefix, dmsc_faceid_t face);
    void (*event)(void *ctx, const dmsc_router_event_t *ev); /* may be NULL */
} dmsc_router_io_t;

/* Trust rules (optional; NULL members accept everything). Called when an
 * LSA or hello is accepted, never on the SPF path. */
typedef struct {
    void *ctx;
    /* May `node` use this Ed25519 public key? true = yes. */
    bool (*allow_key)(void *ctx, const dmsc_name_t *node, const uint8_t pubkey[32]);
    /* May `node` serve `prefix`? A prefix refused here stays in the LSA
     * (it is flooded unchanged) but gets no route on this node. */
    bool (*allow_prefix)(void *ctx, const dmsc_name_t *node, const dmsc_name_t *prefix);
} dmsc_router_trust_t;

typedef struct dmsc_router dmsc_router_t;

/* Create a router for node `name` signing with `key` (Ed25519 with a
 * private part, named <name>/KEY/<id>; it must outlive the router).
 * cfg NULL = defaults; trust may be NULL. Copies cfg, io, trust and name.
 * Returns 0, DMSC_EINVAL (name empty or longer than DMSC_RT_NODE_NAME_MAX
 * bytes, key not Ed25519/private or not named under <name>/KEY, bad cfg),
 * DMSC_ENOMEM. The first LSA is originated at the first run_timers(). */
int dmsc_router_new(dmsc_router_t **out, const dmsc_name_t *name, const dmsc_key_t *key,
                    const dmsc_router_config_t *cfg, const dmsc_router_io_t *io,
                    const dmsc_router_trust_t *trust);
/* Frees everything; installed routes are not withdrawn (the daemon removes
 * origin NLSR from the RIB). NULL is ignored. */
void dmsc_router_free(dmsc_router_t *rt);

/* ---- faces ---- */

/* Run hellos on a face. static_cost 0: cost from RTT; otherwise a fixed
 * advertised cost (1..2^24). Returns 0, DMSC_EINVAL (face 0, already added,
 * bad cost), DMSC_ENOMEM (max_faces). */
int dmsc_router_face_add(dmsc_router_t *rt, dmsc_faceid_t face, uint64_t static_cost, uint64_t now);
/* The face is gone: its neighbor goes down at once. 0 or 1 if unknown. */
int dmsc_router_face_remove(dmsc_router_t *rt, dmsc_faceid_t face, uint64_t now);

/* The transport says the neighbor on `face` is unreachable: for UDP, an
 * ICMP port, host or network unreachable came back for a packet sent to it
 * (its process is gone, or its host or network), or a send found no route.
 * One report may be stale (an ICMP for a packet sent before the neighbor
 * restarted), so the first one sends a hello at once to confirm: the
 * neighbor goes DOWN (reason DMSC_NBR_DOWN_UNREACHABLE) when that hello is
 * unanswered after hello_timeout with nothing valid heard from it, or at
 * once when `unreachable_reports` reports arrive within hello_interval +
 * hello_timeout with nothing heard in between (the confirming hello drew
 * another ICMP; hosts rate-limit them, hence both ways). Its routes go at
 * the next run_timers. Returns 0 if counted, 1 if ignored (unknown face,
 * neighbor DOWN, or unreachable_reports 0). */
int dmsc_router_face_unreachable(dmsc_router_t *rt, dmsc_faceid_t face, uint64_t now);

/* ---- input ---- */

/* A routing packet received from the neighbor on `face`: an Interest
 * (hello, LSU, SNP), the Data answering one of ours, or a Nack. Returns 0
 * if it was used, or the reason it was dropped (also counted): a decode
 * error, DMSC_EVALUE (not a routing packet or not for us), DMSC_ESIG, etc. */
int dmsc_router_receive(dmsc_router_t *rt, dmsc_faceid_t face, const dmsc_pkt_t *pkt, uint64_t now);

/* Run what is due. Returns the next deadline (UINT64_MAX: none). */
uint64_t dmsc_router_run_timers(dmsc_router_t *rt, uint64_t now);
uint64_t dmsc_router_next_deadline(const dmsc_router_t *rt);
/* Run SPF and the route diff now (benchmarks, operator request). 0 or
 * DMSC_ENOMEM. */
int dmsc_router_spf_now(dmsc_router_t *rt, uint64_t now);

/* ---- local prefixes ---- */

typedef struct {
    uint64_t cost;     /* added to the path cost by consumers: 0 */
    uint64_t load;     /* current load, e.g. per-mille utilization: 0 */
    uint64_t capacity; /* e.g. requests/s or instances: 0 (unknown) */
} dmsc_router_prefix_attr_t;

/* Serve `prefix` on behalf of `owner` (an opaque id: a face, a config
 * entry, the gateway). Adding the same (prefix, owner) again updates it.
 * The LSA advertises each prefix once: lowest cost, summed load and
 * capacity over its owners. A change of cost, a new prefix or a change of
 * load or capacity by more than 10 % re-originates the LSA; smaller load
 * changes ride on the next origination. Returns 0, DMSC_EINVAL (empty or
 * too long prefix, cost > 2^24), DMSC_ENOMEM (max_local_prefixes),
 * DMSC_ENOBUFS (the LSA would exceed DMSC_LSA_MAX_SIZE). */
int dmsc_router_prefix_add(dmsc_router_t *rt, const dmsc_name_t *prefix, uint64_t owner,
                           const dmsc_router_prefix_attr_t *attr, uint64_t now);
/* 0 if removed, 1 if there was no such (prefix, owner). */
int dmsc_router_prefix_remove(dmsc_router_t *rt, const dmsc_name_t *prefix, uint64_t owner,
                              uint64_t now);
/* Remove every prefix of owner (its face closed). Returns how many. */
size_t dmsc_router_prefix_remove_owner(dmsc_router_t *rt, uint64_t owner, uint64_t now);

/* Install an LSA packet as if a neighbor had flooded it (warm start from a
 * saved LSDB, tests, benchmarks): verified, installed if newer, flooded.
 * remaining: lifetime left (ns), capped by the LSA's own. Returns 0 if
 * installed, 1 if not newer than the copy held, or the rejection code. */
int dmsc_router_lsa_install(dmsc_router_t *rt, const uint8_t *wire, size_t len, uint64_t remaining,
                            uint64_t now);

/* ---- observation ---- */

typedef struct {
    uint64_t hello_tx, hello_rx, hello_reply_tx, hello_reply_rx, hello_miss;
    uint64_t lsu_tx, lsu_rx, lsu_ack_rx, snp_tx, snp_rx, snp_ack_rx, rxmt;
    uint64_t lsa_rx;                     /* LSAs received in LSUs */
    uint64_t lsa_installed;              /* newer, verified, installed */
    uint64_t lsa_dup;                    /* same version as held */
    uint64_t lsa_old;                    /* older than held (ours is sent back) */
    uint64_t lsa_malformed;              /* failed to decode or to pass the form checks */
    uint64_t lsa_bad_sig;                /* signature did not verify */
    uint64_t lsa_untrusted;              /* key refused (trust rules, or pinning) */
    uint64_t lsa_expiring;               /* less than lsa_min_remaining left */
    uint64_t lsa_no_room;                /* LSDB full (max_lsas) */
    uint64_t lsa_expired;                /* aged out */
    uint64_t lsa_originated, self_bumps; /* ours; ours seen newer elsewhere */
    uint64_t hello_bad_sig, hello_untrusted;
    uint64_t rx_malformed, rx_unknown_face, rx_not_adjacent, rx_unmatched, rx_nack;
    uint64_t send_errors, route_errors;
    uint64_t spf_runs, route_adds, route_removes;
    uint64_t nbr_up, nbr_down, loading_timeouts, anti_entropy;
    uint64_t unreachable;      /* dmsc_router_face_unreachable reports */
    uint64_t down_unreachable; /* neighbors taken down by them */
    uint64_t miss_excused;     /* hello replies missed while the neighbor sent other packets */
} dmsc_router_counters_t;

const dmsc_router_counters_t *dmsc_router_counters(const dmsc_router_t *rt);

typedef struct {
    uint64_t digest;         /* LSDB digest now */
    uint64_t version;        /* bumped on every LSDB change (local counter) */
    uint64_t last_changed;   /* ns, when the LSDB last changed */
    uint64_t applied_digest; /* digest the installed routes were computed from */
    uint64_t applied_at;     /* ns, last SPF */
    uint32_t lsas;
    uint64_t lsdb_bytes; /* sum of LSA packet sizes */
    uint64_t own_seq;
    uint32_t neighbors_full, neighbors_up; /* up = SYNC or FULL */
    uint32_t reachable;                    /* nodes reachable at the last SPF (self excluded) */
    size_t routes;                         /* prefixes with next hops installed */
} dmsc_router_status_t;

void dmsc_router_status(const dmsc_router_t *rt, dmsc_router_status_t *out);

typedef struct {
    dmsc_faceid_t face;
    int state;                    /* DMSC_NBR_* */
    const dmsc_name_t *name;      /* NULL until a hello reply named it */
    uint64_t rtt;                 /* EWMA, ns (0: no sample) */
    uint64_t measured_cost, cost; /* cost from RTT now; advertised */
    uint32_t misses;
    uint64_t since;      /* ns: time of the last state change */
    uint64_t last_reply; /* ns: last valid hello reply */
    uint32_t pending;    /* LSAs queued or unacknowledged towards it */
    bool has_digest;
    uint64_t digest; /* its LSDB digest in its last hello reply */
} dmsc_router_nbr_info_t;

/* Visit faces in the order added; stop when cb returns non-zero. */
void dmsc_router_foreach_neighbor(const dmsc_router_t *rt,
                                  int (*cb)(void *arg, const dmsc_router_nbr_info_t *ni),
                                  void *arg);

typedef struct {
    const dmsc_name_t *origin;
    uint64_t seq, hash;
    uint64_t remaining; /* ns */
    uint64_t dist;      /* path cost at the last SPF, UINT64_MAX unreachable, 0 self */
    uint32_t n_adj, n_prefix;
    const uint8_t *wire; /* the signed LSA packet (decode with dmsc_lsa_decode) */
    size_t len;
    bool self;
} dmsc_router_lsa_info_t;

void dmsc_router_foreach_lsa(const dmsc_router_t *rt, uint64_t now,
                             int (*cb)(void *arg, const dmsc_router_lsa_info_t *li), void *arg);

typedef struct {
    dmsc_faceid_t face;
    uint64_t cost;
    const dmsc_name_t *origin; /* the node advertising the prefix along this next hop */
} dmsc_router_nh_info_t;

/* Installed routes, next hops ranked (best first). */
void dmsc_router_foreach_route(const dmsc_router_t *rt,
                               int (*cb)(void *arg, const dmsc_name_t *prefix,
                                         const dmsc_router_nh_info_t *nh, size_t n),
                               void *arg);

const dmsc_name_t *dmsc_router_name(const dmsc_router_t *rt);
const char *dmsc_router_nbr_state_str(int state);

#endif
