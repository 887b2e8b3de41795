/*
 * load-balance: power of two choices. Among the eligible nexthops two are
 * drawn at random and the one with the lower score wins:
 *     score = RTT estimate x (Interests outstanding + 1)
 * The RTT estimate is an EWMA (alpha 1/8, as TCP's SRTT) of the time from
 * the out-record's send time to the Data, kept per FIB nexthop; a nexthop
 * with no sample yet is scored with the mean of the candidates that have
 * one, so a new instance is probed without being flooded. A timeout feeds
 * the elapsed time in as a sample (a penalty). Outstanding counts Interests
 * sent and not yet answered (Data, Nack, timeout or entry erased).
 * Retransmissions and Nacks are handled as in best-route, choosing among the
 * untried nexthops with the same rule.
 */
#include "fw/fw_int.h"

static dmsc_fib_meas_t *meas_of(dmsc_fib_entry_t *fib, dmsc_faceid_t face)
{
    if (!fib) return NULL;
    int i = dmsc_fib_nh_index(fib, face);
    return i < 0 ? NULL : &fib->meas[i];
}

/* Close the out-record's accounting; with a sample if rtt != 0. */
static void settle(dmsc_fib_entry_t *fib, dmsc_outrec_t *o, uint64_t rtt)
{
    if (!(o->flags & DMSC_OUT_COUNTED)) return;
    o->flags &= (uint8_t)~DMSC_OUT_COUNTED;
    dmsc_fib_meas_t *m = meas_of(fib, o->face);
    if (!m) return;
    if (m->outstanding) m->outstanding--;
    if (rtt) m->rtt_ewma = m->rtt_ewma ? m->rtt_ewma - m->rtt_ewma / 8 + rtt / 8 : rtt;
}

static bool candidate(dmsc_fw_t *fw, dmsc_pit_entry_t *e, dmsc_faceid_t f, bool untried)
{
    return dmsc__fw_eligible(fw, e, f) && !(untried && dmsc_pit_outrec_find(e, f));
}

static uint64_t score(const dmsc_fib_meas_t *m, uint64_t default_rtt)
{
    uint64_t rtt = m->rtt_ewma ? m->rtt_ewma : default_rtt;
    return rtt * ((uint64_t)m->outstanding + 1);
}

/* Pick and send; false if no candidate accepted the Interest. */
static bool pick_send(dmsc_fw_t *fw, dmsc_pit_entry_t *e, dmsc_fib_entry_t *fib, bool untried,
                      uint64_t now)
{
    /* candidates that refused the Interest are skipped on the next round */
    uint64_t refused = 0; /* bit i: nexthop i (only the first 64 are tracked) */
    for (;;) {
        uint32_t n = 0;
        uint64_t sum = 0, nsum = 0;
        for (uint32_t i = 0; i < fib->n_nh; i++) {
            if (i < 64 && (refused >> i & 1)) continue;
            if (!candidate(fw, e, fib->nh[i].face, untried)) continue;
            n++;
            if (fib->meas[i].rtt_ewma) {
                sum += fib->meas[i].rtt_ewma;
                nsum++;
            }
        }
        if (n == 0) return false;
        uint64_t def = nsum ? sum / nsum : 1;
        /* two distinct candidates at random (the only one if n == 1) */
        uint32_t a = (uint32_t)(dmsc__fw_rand(fw) % n), b = a;
        if (n > 1) {
            b = (uint32_t)(dmsc__fw_rand(fw) % (n - 1));
            if (b >= a) b++;
        }
        uint32_t k = 0, ia = 0, ib = 0;
        for (uint32_t i = 0; i < fib->n_nh; i++) {
            if (i < 64 && (refused >> i & 1)) continue;
            if (!candidate(fw, e, fib->nh[i].face, untried)) continue;
            if (k == a) ia = i;
            if (k == b) ib = i;
            k++;
        }
        uint64_t sa = score(&fib->meas[ia], def), sb = score(&fib->meas[ib], def);
        uint32_t pick = sb < sa || (sb == sa && ib < ia) ? ib : ia;
        dmsc_faceid_t f = fib->nh[pick].face;
        dmsc_outrec_t *prev = dmsc_pit_outrec_find(e, f);
        bool counted = prev && (prev->flags & DMSC_OUT_COUNTED);
        if (dmsc__fw_send_interest(fw, e, f, now) == 0) {
            dmsc_outrec_t *o = dmsc_pit_outrec_find(e, f);
            if (o && !counted) {
                o->flags |= DMSC_OUT_COUNTED;
                fib->meas[pick].outstanding++;
            }
            return true;
        }
        if (pick >= 64) return false;
        refused |= 1ull << pick;
    }
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
        if (pick_send(fw, e, fib, false, now))
            dmsc_retx_start(rx, now);
        else
            dmsc__fw_no_route(fw, e, in_face, now);
        return;
    }
    if (dmsc_retx_suppress(rx, now)) return;
    if (pick_send(fw, e, fib, true, now) || pick_send(fw, e, fib, false, now)) return;
    dmsc__fw_no_route(fw, e, in_face, now);
}

static void after_data(dmsc_fw_t *fw, dmsc_pit_entry_t *e, dmsc_faceid_t in_face, uint64_t now)
{
    dmsc_outrec_t *o = dmsc_pit_outrec_find(e, in_face);
    if (!o || !(o->flags & DMSC_OUT_COUNTED)) return;
    uint64_t rtt = now > o->sent ? now - o->sent : 1;
    settle(dmsc__fw_fib_of(fw, e), o, rtt);
}

static void after_nack(dmsc_fw_t *fw, dmsc_pit_entry_t *e, dmsc_faceid_t in_face, uint64_t reason,
                       uint64_t now)
{
    dmsc_fib_entry_t *fib = dmsc__fw_fib_of(fw, e);
    dmsc_outrec_t *o = dmsc_pit_outrec_find(e, in_face);
    if (o) settle(fib, o, 0);
    if (fib && pick_send(fw, e, fib, true, now)) return;
    uint64_t r;
    if (dmsc_all_nacked(e, &r)) dmsc__fw_reject(fw, e, r, now);
}

static void on_timeout(dmsc_fw_t *fw, dmsc_pit_entry_t *e, uint64_t now)
{
    dmsc_fib_entry_t *fib = dmsc__fw_fib_of(fw, e);
    for (uint16_t i = 0; i < e->n_out; i++) {
        dmsc_outrec_t *o = &e->out[i];
        settle(fib, o, now > o->sent ? now - o->sent : 1);
    }
}

static void before_erase(dmsc_fw_t *fw, dmsc_pit_entry_t *e)
{
    dmsc_fib_entry_t *fib = NULL;
    bool looked = false;
    for (uint16_t i = 0; i < e->n_out; i++) {
        if (!(e->out[i].flags & DMSC_OUT_COUNTED)) continue;
        if (!looked) {
            fib = dmsc__fw_fib_of(fw, e);
            looked = true;
        }
        settle(fib, &e->out[i], 0);
    }
}

const dmsc_strategy_t dmsc_strategy_load_balance = {
    .name = "load-balance",
    .version = 1,
    .after_receive_interest = after_interest,
    .after_receive_data = after_data,
    .after_receive_nack = after_nack,
    .on_timeout = on_timeout,
    .before_erase = before_erase,
};
