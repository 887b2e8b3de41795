/*
 * Forwarding strategies (internal to src/fw): one small vtable, chosen per
 * name prefix by the strategy choice table (longest prefix match; the root
 * always has one).
 *
 * The forwarder calls a strategy at four points of the pipeline; the
 * strategy answers through the dmsc__fw_* actions in fw_int.h (send the
 * Interest to a face, reject with a Nack). A strategy never sees a packet it
 * could modify: the PIT entry carries the Interest to forward.
 *
 * An entry may be erased by an action (dmsc__fw_reject); after calling one
 * the strategy must not touch the entry again.
 */
#ifndef DMSC_FW_STRATEGY_H
#define DMSC_FW_STRATEGY_H

#include <stdbool.h>
#include <stdint.h>

#include "fw/fib.h"
#include "fw/fw.h"
#include "fw/nametab.h"
#include "fw/pit.h"

struct dmsc_strategy {
    const char *name; /* last component of /localhost/nfd/strategy/<name> */
    uint64_t version;
    /* A new Interest for e from in_face (retx: in_face already had an
     * in-record, i.e. the consumer retransmitted). fib is the FIB entry by
     * longest prefix match, or NULL. Not called for an Interest that joins an
     * entry with Interests already pending upstream (aggregation). */
    void (*after_receive_interest)(dmsc_fw_t *fw, dmsc_pit_entry_t *e, dmsc_faceid_t in_face,
                                   bool retx, dmsc_fib_entry_t *fib, uint64_t now);
    /* Data from in_face satisfies e; called before the Data goes downstream
     * and the entry is erased. May be NULL. */
    void (*after_receive_data)(dmsc_fw_t *fw, dmsc_pit_entry_t *e, dmsc_faceid_t in_face,
                               uint64_t now);
    /* Nack from upstream in_face; its out-record is already marked nacked
     * (DMSC_OUT_NACKED, nack_reason). */
    void (*after_receive_nack)(dmsc_fw_t *fw, dmsc_pit_entry_t *e, dmsc_faceid_t in_face,
                               uint64_t reason, uint64_t now);
    /* e expired unsatisfied; it is erased right after. May be NULL. */
    void (*on_timeout)(dmsc_fw_t *fw, dmsc_pit_entry_t *e, uint64_t now);
    /* e is about to be erased, whatever the reason. May be NULL. */
    void (*before_erase)(dmsc_fw_t *fw, dmsc_pit_entry_t *e);
};

extern const dmsc_strategy_t dmsc_strategy_best_route;
extern const dmsc_strategy_t dmsc_strategy_multicast;
extern const dmsc_strategy_t dmsc_strategy_load_balance;

/* Strategy for /localhost/nfd/strategy/<name>[/v=<version>]; NULL if the
 * name is not one or the version is not ours. */
const dmsc_strategy_t *dmsc_strategy_by_name(const dmsc_name_t *sname);
/* /localhost/nfd/strategy/<name>/v=<version> */
int dmsc_strategy_instance_name(const dmsc_strategy_t *s, dmsc_namebuf_t *out);

/* ---- strategy choice table ---- */
typedef struct {
    dmsc_ntnode_t node;
    const dmsc_strategy_t *strategy;
    uint8_t *key;
} dmsc_sc_entry_t;

typedef struct {
    dmsc_nametab_t nt;
    dmsc_sc_entry_t *root;
    size_t max;
} dmsc_sc_t;

int dmsc_sc_init(dmsc_sc_t *sc, size_t max);
void dmsc_sc_destroy(dmsc_sc_t *sc);
/* 0, DMSC_ENOMEM (limit or allocation) */
int dmsc_sc_set(dmsc_sc_t *sc, const dmsc_name_t *prefix, const dmsc_strategy_t *s);
/* 0, DMSC_EINVAL for the root */
int dmsc_sc_unset(dmsc_sc_t *sc, const dmsc_name_t *prefix);
const dmsc_strategy_t *dmsc_sc_find(const dmsc_sc_t *sc, const dmsc_name_t *name);
void dmsc_sc_foreach(const dmsc_sc_t *sc, dmsc_fw_strategy_cb cb, void *arg);

/* ---- helpers shared by the strategies ---- */

/* Retransmission suppression (NFD RetxSuppressionExponential defaults). */
#define DMSC_RETX_INITIAL_NS 10000000ull /* 10 ms */
#define DMSC_RETX_MAX_NS 250000000ull    /* 250 ms */

typedef struct {
    uint64_t last_fwd; /* last time the strategy forwarded for this entry */
    uint64_t interval; /* current suppression interval, 0 = none yet */
} dmsc_retx_t;

/* true if a retransmission at now must be suppressed; otherwise records it
 * (interval doubles up to the maximum). */
bool dmsc_retx_suppress(dmsc_retx_t *r, uint64_t now);
/* record a forwarding of a new Interest */
static inline void dmsc_retx_start(dmsc_retx_t *r, uint64_t now)
{
    r->last_fwd = now;
    r->interval = DMSC_RETX_INITIAL_NS;
}

/* NackReason severity (ndn-cxx isLessSevere): Congestion < Duplicate <
 * NoRoute < none/unknown. */
bool dmsc_nack_less_severe(uint64_t a, uint64_t b);
/* If every out-record of e is nacked: true and the least severe reason. */
bool dmsc_all_nacked(const dmsc_pit_entry_t *e, uint64_t *reason);

#endif
