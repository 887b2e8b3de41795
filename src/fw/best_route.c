/*
 * best-route (NFD best-route v5 behaviour, with retry on Nack):
 *  - a new Interest goes to the lowest-cost eligible nexthop;
 *  - a consumer retransmission inside the suppression interval (10 ms,
 *    doubling up to 250 ms) is suppressed; after it, the Interest goes to
 *    the next eligible nexthop in cost order that has not been tried, or,
 *    when all have, to the one tried longest ago;
 *  - a Nack from upstream makes it try the next untried eligible nexthop;
 *    when every out-record is nacked, the downstreams get a Nack with the
 *    least severe reason.
 */
#include "fw/fw_int.h"

static bool send_first(dmsc_fw_t *fw, dmsc_pit_entry_t *e, dmsc_fib_entry_t *fib, bool untried,
                       uint64_t now)
{
    for (uint32_t i = 0; i < fib->n_nh; i++) {
        dmsc_faceid_t f = fib->nh[i].face;
        if (!dmsc__fw_eligible(fw, e, f)) continue;
        if (untried && dmsc_pit_outrec_find(e, f)) continue;
        if (dmsc__fw_send_interest(fw, e, f, now) == 0) return true;
    }
    return false;
}

static void after_interest(dmsc_fw_t *fw, dmsc_pit_entry_t *e, dmsc_faceid_t in_face, bool retx,
                           dmsc_fib_entry_t *fib, uint64_t now)
{
    dmsc_retx_t *rx = (dmsc_retx_t *)e->sinfo;
    if (!fib || fib->n_nh == 0) {
        dmsc__fw_no_route(fw, e, in_face, now);
        return;
    }
    if (!retx || e->n_out == 0) {
        if (send_first(fw, e, fib, false, now))
            dmsc_retx_start(rx, now);
        else
            dmsc__fw_no_route(fw, e, in_face, now);
        return;
    }
    if (dmsc_retx_suppress(rx, now)) return;
    if (send_first(fw, e, fib, true, now)) return;
    /* every eligible nexthop was tried: the one tried longest ago */
    for (;;) {
        dmsc_outrec_t *best = NULL;
        for (uint32_t i = 0; i < fib->n_nh; i++) {
            if (!dmsc__fw_eligible(fw, e, fib->nh[i].face)) continue;
            dmsc_outrec_t *o = dmsc_pit_outrec_find(e, fib->nh[i].face);
            if (o && (!best || o->sent < best->sent)) best = o;
        }
        if (!best) break;
        if (best->sent == now) break; /* already tried at this instant: it failed */
        if (dmsc__fw_send_interest(fw, e, best->face, now) == 0) return;
        best->sent = now; /* a failed send still counts as tried */
    }
    dmsc__fw_no_route(fw, e, in_face, now);
}

static void after_nack(dmsc_fw_t *fw, dmsc_pit_entry_t *e, dmsc_faceid_t in_face, uint64_t reason,
                       uint64_t now)
{
    dmsc_fib_entry_t *fib = dmsc__fw_fib_of(fw, e);
    if (fib && send_first(fw, e, fib, true, now)) return;
    uint64_t r;
    if (dmsc_all_nacked(e, &r)) dmsc__fw_reject(fw, e, r, now);
}

const dmsc_strategy_t dmsc_strategy_best_route = {
    .name = "best-route",
    .version = 5,
    .after_receive_interest = after_interest,
    .after_receive_nack = after_nack,
};
