/*
 * Consumer-side congestion control for segmented fetching (sans I/O), as
 * ndncatchunks does it (Schneider et al., "A Practical Congestion Control
 * Scheme for Named Data Networking", ICN 2016):
 *
 *  - an RTT estimator and retransmission timeout per RFC 6298 (ndn-cxx
 *    RttEstimator: alpha 1/8, beta 1/4, K 4, initial RTO 1 s, RTO in
 *    [200 ms, 60 s], doubled on each timeout backoff);
 *  - a congestion window: AIMD (slow start +1 per Data, then +1/cwnd;
 *    multiplicative decrease x0.5), CUBIC (RFC 8312 window growth
 *    C = 0.4, beta = 0.7, fast convergence; slow start below ssthresh), or
 *    fixed. The caller applies the "conservative window adaptation": at
 *    most one decrease per RTT (dmsc_cc_t.rec_point below).
 *
 * Times are microseconds of any monotonic clock.
 */
#ifndef DMSC_NDN_CC_H
#define DMSC_NDN_CC_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    double srtt_us, rttvar_us, rto_us;
    double min_rto_us, max_rto_us;
    bool has_sample;
} dmsc_rtt_t;

void dmsc_rtt_init(dmsc_rtt_t *r);
void dmsc_rtt_sample(dmsc_rtt_t *r, double rtt_us);
/* RTO backoff after a timeout: rto = min(2 * rto, max). */
void dmsc_rtt_backoff(dmsc_rtt_t *r);

enum { DMSC_CC_AIMD = 0, DMSC_CC_CUBIC = 1, DMSC_CC_FIXED = 2 };

typedef struct {
    int algo;
    double cwnd, ssthresh;
    double init_w, min_w, max_w;
    /* AIMD */
    double ai, md;
    /* CUBIC */
    double wmax, last_wmax;
    uint64_t last_decrease_us;
    /* Conservative adaptation, kept for the caller: the highest sequence
     * (segment) sent when the window was last decreased. A loss of a
     * segment <= rec_point does not decrease it again. */
    uint64_t rec_point;
    bool has_rec_point;
    uint64_t n_decreases;
} dmsc_cc_t;

/* init_w: initial window (and the fixed window); max_w: ceiling (>= 1). */
void dmsc_cc_init(dmsc_cc_t *cc, int algo, double init_w, double max_w);
/* A Data arrived (not a retransmission): grow the window. */
void dmsc_cc_on_data(dmsc_cc_t *cc, uint64_t now_us);
/* Loss (timeout, congestion Nack, CongestionMark): shrink the window. */
void dmsc_cc_on_loss(dmsc_cc_t *cc, uint64_t now_us);
/* Whole Interests the window allows in flight (>= 1). */
static inline uint32_t dmsc_cc_window(const dmsc_cc_t *cc)
{
    double w = cc->cwnd < 1 ? 1 : cc->cwnd;
    return (uint32_t)w;
}

/*
 * Latency histogram: log-linear buckets (32 per power of two, so a
 * reported quantile is within 3% of the true value; values below 64 are
 * exact), fixed size, no allocation. Values are unsigned (microseconds in
 * dmsc-bench).
 */
#define DMSC_HISTO_SUB_BITS 5
#define DMSC_HISTO_BUCKETS (64 * (1 << DMSC_HISTO_SUB_BITS))

typedef struct {
    uint64_t count, sum, min, max;
    uint64_t b[DMSC_HISTO_BUCKETS];
} dmsc_histo_t;

void dmsc_histo_init(dmsc_histo_t *h);
void dmsc_histo_add(dmsc_histo_t *h, uint64_t v);
void dmsc_histo_merge(dmsc_histo_t *into, const dmsc_histo_t *from);
/* The q-quantile (0 <= q <= 1): the midpoint of the bucket holding the
 * ceil(q * count)-th smallest value, clamped to [min, max]. 0 if empty. */
uint64_t dmsc_histo_quantile(const dmsc_histo_t *h, double q);
/* Bucket index of v and the bounds of a bucket (for tests). */
uint32_t dmsc_histo_index(uint64_t v);
void dmsc_histo_bounds(uint32_t idx, uint64_t *lo, uint64_t *hi);

#endif
