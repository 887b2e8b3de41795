/*
 * multicast: every eligible nexthop gets the Interest; consumer
 * retransmissions are suppressed as in best-route and otherwise go to every
 * eligible nexthop again; when every out-record is nacked the downstreams
 * get a Nack with the least severe reason.
 */
#include "fw/fw_int.h"

static void after_interest(dmsc_fw_t *fw, dmsc_pit_entry_t *e, dmsc_faceid_t in_face, bool retx,
                           dmsc_fib_entry_t *fib, uint64_t now)
{
    dmsc_retx_t *rx = (dmsc_retx_t *)e->sinfo;
    if (!fib || fib->n_nh == 0) {
        dmsc__fw_no_route(fw, e, in_face, now);
        return;
    }
    if (retx && e->n_out > 0 && dmsc_retx_suppress(rx, now)) return;
    int sent = 0;
    for (uint32_t i = 0; i < fib->n_nh; i++) {
        dmsc_faceid_t f = fib->nh[i].face;
        if (dmsc__fw_eligible(fw, e, f) && dmsc__fw_send_interest(fw, e, f, now) == 0) sent++;
    }
    if (!sent) {
        dmsc__fw_no_route(fw, e, in_face, now);
        return;
    }
    if (!retx || rx->interval == 0) dmsc_retx_start(rx, now);
}

static void after_nack(dmsc_fw_t *fw, dmsc_pit_entry_t *e, dmsc_faceid_t in_face, uint64_t reason,
                       uint64_t now)
{
    uint64_t r;
    if (dmsc_all_nacked(e, &r)) dmsc__fw_reject(fw, e, r, now);
}

const dmsc_strategy_t dmsc_strategy_multicast = {
    .name = "multicast",
    .version = 4,
    .after_receive_interest = after_interest,
    .after_receive_nack = after_nack,
};
