/* Congestion control, RTT estimation and latency histogram: see cc.h.
 * No libm: the unit tests link without it, and what is needed is small. */
#include <string.h>

#include "ndn/cc.h"

static double absd(double x)
{
    return x < 0 ? -x : x;
}

/* Cube root by Newton's method (x >= 0; CUBIC's K is never negative). */
static double cbrt_pos(double x)
{
    if (x <= 0) return 0;
    double y = x > 1 ? x / 3 : 1;
    for (int i = 0; i < 100; i++) {
        double ny = y - (y * y * y - x) / (3 * y * y);
        if (absd(ny - y) <= 1e-12 * (ny > 1 ? ny : 1)) return ny;
        y = ny;
    }
    return y;
}

/* ---- RTT estimator (RFC 6298) ---- */

#define RTT_ALPHA 0.125
#define RTT_BETA 0.25
#define RTT_K 4.0

void dmsc_rtt_init(dmsc_rtt_t *r)
{
    memset(r, 0, sizeof *r);
    r->rto_us = 1e6;
    r->min_rto_us = 200e3;
    r->max_rto_us = 60e6;
}

static double clampd(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

void dmsc_rtt_sample(dmsc_rtt_t *r, double rtt_us)
{
    if (rtt_us < 0) rtt_us = 0;
    if (!r->has_sample) {
        r->srtt_us = rtt_us;
        r->rttvar_us = rtt_us / 2;
        r->has_sample = true;
    } else {
        r->rttvar_us = (1 - RTT_BETA) * r->rttvar_us + RTT_BETA * absd(r->srtt_us - rtt_us);
        r->srtt_us = (1 - RTT_ALPHA) * r->srtt_us + RTT_ALPHA * rtt_us;
    }
    r->rto_us = clampd(r->srtt_us + RTT_K * r->rttvar_us, r->min_rto_us, r->max_rto_us);
}

void dmsc_rtt_backoff(dmsc_rtt_t *r)
{
    r->rto_us = clampd(r->rto_us * 2, r->min_rto_us, r->max_rto_us);
}

/* ---- congestion window ---- */

#define CUBIC_C 0.4
#define CUBIC_BETA 0.7

void dmsc_cc_init(dmsc_cc_t *cc, int algo, double init_w, double max_w)
{
    memset(cc, 0, sizeof *cc);
    if (max_w < 1) max_w = 1;
    if (init_w < 1) init_w = 1;
    if (init_w > max_w) init_w = max_w;
    cc->algo = algo;
    cc->init_w = init_w;
    cc->min_w = 1;
    cc->max_w = max_w;
    cc->cwnd = init_w;
    cc->ssthresh = max_w; /* slow start up to the ceiling until the first loss */
    cc->ai = 1;
    cc->md = 0.5;
}

void dmsc_cc_on_data(dmsc_cc_t *cc, uint64_t now_us)
{
    switch (cc->algo) {
    case DMSC_CC_FIXED:
        return;
    case DMSC_CC_AIMD:
        if (cc->cwnd < cc->ssthresh)
            cc->cwnd += cc->ai;
        else
            cc->cwnd += cc->ai / cc->cwnd;
        break;
    case DMSC_CC_CUBIC:
        if (cc->cwnd < cc->ssthresh) {
            cc->cwnd += 1;
        } else {
            double t = (double)(now_us - cc->last_decrease_us) / 1e6;
            double k = cbrt_pos(cc->wmax * (1 - CUBIC_BETA) / CUBIC_C);
            double d = t - k;
            double target = CUBIC_C * d * d * d + cc->wmax;
            double inc = target - cc->cwnd;
            if (inc < 0) inc = 0;
            cc->cwnd += inc / cc->cwnd;
        }
        break;
    }
    if (cc->cwnd > cc->max_w) cc->cwnd = cc->max_w;
}

void dmsc_cc_on_loss(dmsc_cc_t *cc, uint64_t now_us)
{
    cc->n_decreases++;
    switch (cc->algo) {
    case DMSC_CC_FIXED:
        return;
    case DMSC_CC_AIMD:
        cc->ssthresh = cc->cwnd * cc->md;
        if (cc->ssthresh < cc->min_w) cc->ssthresh = cc->min_w;
        cc->cwnd = cc->ssthresh;
        break;
    case DMSC_CC_CUBIC:
        /* fast convergence (RFC 8312 4.6) */
        if (cc->cwnd < cc->last_wmax) {
            cc->last_wmax = cc->cwnd;
            cc->wmax = cc->cwnd * (1 + CUBIC_BETA) / 2;
        } else {
            cc->wmax = cc->cwnd;
            cc->last_wmax = cc->cwnd;
        }
        cc->ssthresh = cc->cwnd * CUBIC_BETA;
        if (cc->ssthresh < cc->min_w) cc->ssthresh = cc->min_w;
        cc->cwnd = cc->ssthresh;
        cc->last_decrease_us = now_us;
        break;
    }
}

/* ---- histogram ---- */

void dmsc_histo_init(dmsc_histo_t *h)
{
    memset(h, 0, sizeof *h);
    h->min = UINT64_MAX;
}

uint32_t dmsc_histo_index(uint64_t v)
{
    const uint64_t sub = 1u << DMSC_HISTO_SUB_BITS;
    if (v < 2 * sub) return (uint32_t)v;
    int msb = 63 - __builtin_clzll(v);
    int shift = msb - DMSC_HISTO_SUB_BITS;
    return (uint32_t)((uint64_t)(shift + 1) * sub + ((v >> shift) - sub));
}

void dmsc_histo_bounds(uint32_t idx, uint64_t *lo, uint64_t *hi)
{
    const uint32_t sub = 1u << DMSC_HISTO_SUB_BITS;
    if (idx < 2 * sub) {
        *lo = *hi = idx;
        return;
    }
    uint32_t shift = idx / sub - 1;
    uint64_t base = (uint64_t)(idx % sub + sub) << shift;
    *lo = base;
    *hi = base + ((uint64_t)1 << shift) - 1;
}

void dmsc_histo_add(dmsc_histo_t *h, uint64_t v)
{
    h->b[dmsc_histo_index(v)]++;
    h->count++;
    h->sum += v;
    if (v < h->min) h->min = v;
    if (v > h->max) h->max = v;
}

void dmsc_histo_merge(dmsc_histo_t *into, const dmsc_histo_t *from)
{
    for (uint32_t i = 0; i < DMSC_HISTO_BUCKETS; i++)
        into->b[i] += from->b[i];
    into->count += from->count;
    into->sum += from->sum;
    if (from->min < into->min) into->min = from->min;
    if (from->max > into->max) into->max = from->max;
}

uint64_t dmsc_histo_quantile(const dmsc_histo_t *h, double q)
{
    if (h->count == 0) return 0;
    if (q < 0) q = 0;
    if (q > 1) q = 1;
    double want = q * (double)h->count;
    uint64_t rank = (uint64_t)want;
    if ((double)rank < want) rank++; /* ceil */
    if (rank == 0) rank = 1;
    uint64_t seen = 0;
    for (uint32_t i = 0; i < DMSC_HISTO_BUCKETS; i++) {
        seen += h->b[i];
        if (seen >= rank) {
            uint64_t lo, hi;
            dmsc_histo_bounds(i, &lo, &hi);
            uint64_t mid = lo + (hi - lo) / 2;
            if (mid < h->min) mid = h->min;
            if (mid > h->max) mid = h->max;
            return mid;
        }
    }
    return h->max;
}
