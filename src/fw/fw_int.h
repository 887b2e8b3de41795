/*
 * The forwarder's internal state and the actions strategies use
 * (internal to src/fw; dmsc__ symbols are shared between its files only).
 */
#ifndef DMSC_FW_FW_INT_H
#define DMSC_FW_FW_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fw/cs.h"
#include "fw/dnl.h"
#include "fw/fib.h"
#include "fw/fw.h"
#include "fw/pit.h"
#include "fw/pool.h"
#include "fw/strategy.h"

typedef struct {
    dmsc_faceid_t id;
    int scope;
    uint32_t stamp; /* Data fan-out: already sent for this stamp */
    dmsc_fw_face_counters_t ctr;
} dmsc_fw_face_t;

struct dmsc_fw {
    dmsc_fw_config_t cfg;
    dmsc_fw_io_t io;
    dmsc_fw_counters_t ctr;
    dmsc_bufpool_t bp;
    dmsc_pit_t pit;
    dmsc_cs_t cs;
    dmsc_fib_t fib;
    dmsc_dnl_t dnl;
    dmsc_sc_t sc;
    /* face id -> face: open addressing, linear probing */
    dmsc_fw_face_t **faces;
    size_t faces_mask, n_faces;
    uint32_t stamp;
    uint64_t rng;
    bool rng_seeded; /* the first packet's time is mixed in */
    /* a packet being rebuilt (Nonce added; Nack to a downstream): max_packet + 16 */
    uint8_t *scratch;
    size_t scratch_cap;
    /* producer regions: owned Name TLV-VALUEs */
    uint8_t *region[DMSC_FW_REGIONS_MAX];
    uint16_t region_len[DMSC_FW_REGIONS_MAX];
    size_t n_regions;
};

dmsc_fw_face_t *dmsc__fw_face(const dmsc_fw_t *fw, dmsc_faceid_t id);
void dmsc__fw_drop(dmsc_fw_t *fw, dmsc_fw_face_t *face, int reason);
uint64_t dmsc__fw_rand(dmsc_fw_t *fw);

/* May the Interest of e go out on face? (face exists, is not a downstream
 * of e, /localhost and /localhop scope, HopLimit 0 only to local faces) */
bool dmsc__fw_eligible(const dmsc_fw_t *fw, const dmsc_pit_entry_t *e, dmsc_faceid_t face);
/* Send e's Interest to face with our PitToken; creates or refreshes the
 * out-record. 0, or <0 if the face refused it (counted FACE_DOWN). */
int dmsc__fw_send_interest(dmsc_fw_t *fw, dmsc_pit_entry_t *e, dmsc_faceid_t face, uint64_t now);
/* Nack every unexpired downstream of e with reason, then erase e
 * (unsatisfied). */
void dmsc__fw_reject(dmsc_fw_t *fw, dmsc_pit_entry_t *e, uint64_t reason, uint64_t now);
/* No usable nexthop: a NO_ROUTE drop on in_face and dmsc__fw_reject(NoRoute). */
void dmsc__fw_no_route(dmsc_fw_t *fw, dmsc_pit_entry_t *e, dmsc_faceid_t in_face, uint64_t now);
/* Erase e (strategy before_erase, per-face in-record counts); no counters,
 * no Dead Nonce List. */
void dmsc__fw_erase(dmsc_fw_t *fw, dmsc_pit_entry_t *e);
/* The FIB entry that e was forwarded by (or the longest-prefix match now). */
dmsc_fib_entry_t *dmsc__fw_fib_of(dmsc_fw_t *fw, dmsc_pit_entry_t *e);

#endif
