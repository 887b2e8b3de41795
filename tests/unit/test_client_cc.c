/* libdmsc congestion control, RTT estimator and latency histogram
 * (src/ndn/cc.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

/* tests/unit/meson.build links node_dep only: the module under test is
 * compiled in here. Drop this include once the tests link client_dep. */
#include "ndn/cc.c"

#define NEAR(a, b) assert_true(absd((double)(a) - (double)(b)) < 1e-6)

static void test_rtt_rfc6298(void **st)
{
    dmsc_rtt_t r;
    dmsc_rtt_init(&r);
    NEAR(r.rto_us, 1e6); /* initial RTO 1 s */
    dmsc_rtt_sample(&r, 100e3);
    NEAR(r.srtt_us, 100e3);
    NEAR(r.rttvar_us, 50e3);
    NEAR(r.rto_us, 300e3); /* 100 + 4 * 50 ms */
    dmsc_rtt_sample(&r, 200e3);
    NEAR(r.rttvar_us, 0.75 * 50e3 + 0.25 * 100e3);
    NEAR(r.srtt_us, 0.875 * 100e3 + 0.125 * 200e3);
    NEAR(r.rto_us, r.srtt_us + 4 * r.rttvar_us);
    /* tiny RTTs: clamped to the 200 ms minimum */
    dmsc_rtt_init(&r);
    dmsc_rtt_sample(&r, 50);
    NEAR(r.rto_us, 200e3);
    /* backoff doubles up to 60 s */
    for (int i = 0; i < 20; i++)
        dmsc_rtt_backoff(&r);
    NEAR(r.rto_us, 60e6);
}

static void test_aimd(void **st)
{
    dmsc_cc_t cc;
    dmsc_cc_init(&cc, DMSC_CC_AIMD, 2, 100);
    assert_int_equal(dmsc_cc_window(&cc), 2);
    /* slow start: +1 per Data */
    for (int i = 0; i < 8; i++)
        dmsc_cc_on_data(&cc, 0);
    NEAR(cc.cwnd, 10);
    dmsc_cc_on_loss(&cc, 0);
    NEAR(cc.cwnd, 5);
    NEAR(cc.ssthresh, 5);
    /* congestion avoidance: +1/cwnd */
    dmsc_cc_on_data(&cc, 0);
    NEAR(cc.cwnd, 5.2);
    /* never below 1, never above the ceiling */
    for (int i = 0; i < 20; i++)
        dmsc_cc_on_loss(&cc, 0);
    NEAR(cc.cwnd, 1);
    assert_int_equal(dmsc_cc_window(&cc), 1);
    dmsc_cc_init(&cc, DMSC_CC_AIMD, 2, 4);
    for (int i = 0; i < 100; i++)
        dmsc_cc_on_data(&cc, 0);
    NEAR(cc.cwnd, 4);
    /* initial window above the ceiling is clamped */
    dmsc_cc_init(&cc, DMSC_CC_AIMD, 50, 8);
    NEAR(cc.cwnd, 8);
}

static void test_cubic(void **st)
{
    dmsc_cc_t cc;
    dmsc_cc_init(&cc, DMSC_CC_CUBIC, 2, 1000);
    for (int i = 0; i < 98; i++)
        dmsc_cc_on_data(&cc, 0);
    NEAR(cc.cwnd, 100); /* slow start */
    dmsc_cc_on_loss(&cc, 1000000);
    NEAR(cc.wmax, 100);
    NEAR(cc.cwnd, 70); /* beta 0.7 */
    /* grows back towards wmax: concave, then convex beyond it */
    double w_prev = cc.cwnd;
    uint64_t t = 1000000;
    for (int i = 0; i < 2000; i++) {
        t += 1000; /* 1 ms per Data */
        dmsc_cc_on_data(&cc, t);
        assert_true(cc.cwnd >= w_prev);
        w_prev = cc.cwnd;
    }
    assert_true(cc.cwnd > 70);
    /* fast convergence: a loss below the last wmax lowers wmax further */
    dmsc_cc_init(&cc, DMSC_CC_CUBIC, 2, 1000);
    cc.cwnd = 100;
    dmsc_cc_on_loss(&cc, 0); /* wmax 100, cwnd 70 */
    dmsc_cc_on_loss(&cc, 0); /* cwnd 70 < last_wmax 100 */
    NEAR(cc.wmax, 70 * (1 + 0.7) / 2);
    NEAR(cc.cwnd, 49);
}

static void test_cbrt(void **st)
{
    double xs[] = {0, 1e-9, 0.5, 1, 8, 27, 1000, 12345.678, 1e12};
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
        double y = cbrt_pos(xs[i]);
        assert_true(absd(y * y * y - xs[i]) <= 1e-9 * (xs[i] > 1 ? xs[i] : 1));
    }
}

static void test_fixed(void **st)
{
    dmsc_cc_t cc;
    dmsc_cc_init(&cc, DMSC_CC_FIXED, 16, 16);
    dmsc_cc_on_data(&cc, 0);
    dmsc_cc_on_loss(&cc, 0);
    assert_int_equal(dmsc_cc_window(&cc), 16);
}

static void test_histo_buckets(void **st)
{
    /* exact below 64, monotonic, bounds contain the value, <= 1/32 wide */
    uint32_t prev = 0;
    for (uint64_t v = 0; v < 200000; v += (v < 1000 ? 1 : 97)) {
        uint32_t i = dmsc_histo_index(v);
        uint64_t lo, hi;
        dmsc_histo_bounds(i, &lo, &hi);
        assert_true(lo <= v && v <= hi);
        assert_true(i >= prev);
        prev = i;
        if (v < 64) assert_int_equal(lo, hi);
        assert_true((hi - lo) * 32 <= lo || v < 64);
    }
    uint64_t lo, hi;
    uint32_t top = dmsc_histo_index(UINT64_MAX);
    assert_true(top < DMSC_HISTO_BUCKETS);
    dmsc_histo_bounds(top, &lo, &hi);
    assert_int_equal(hi, UINT64_MAX);
}

static void test_histo_quantiles(void **st)
{
    dmsc_histo_t *h = malloc(sizeof *h);
    dmsc_histo_t *h2 = malloc(sizeof *h2);
    assert_non_null(h);
    assert_non_null(h2);
    dmsc_histo_init(h);
    assert_int_equal(dmsc_histo_quantile(h, 0.5), 0);
    for (uint64_t v = 1; v <= 1000; v++)
        dmsc_histo_add(h, v * 10); /* 10 .. 10000 */
    assert_int_equal(h->count, 1000);
    assert_int_equal(h->min, 10);
    assert_int_equal(h->max, 10000);
    uint64_t p50 = dmsc_histo_quantile(h, 0.5), p99 = dmsc_histo_quantile(h, 0.99);
    assert_true(p50 >= 5000 * 0.97 && p50 <= 5000 * 1.03);
    assert_true(p99 >= 9900 * 0.97 && p99 <= 9900 * 1.03);
    assert_true(dmsc_histo_quantile(h, 1.0) <= 10000);
    assert_int_equal(dmsc_histo_quantile(h, 0.0), 10); /* clamped to min */
    /* merge */
    dmsc_histo_init(h2);
    dmsc_histo_add(h2, 5);
    dmsc_histo_add(h2, 20000);
    dmsc_histo_merge(h, h2);
    assert_int_equal(h->count, 1002);
    assert_int_equal(h->min, 5);
    assert_int_equal(h->max, 20000);
    free(h);
    free(h2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rtt_rfc6298),
        cmocka_unit_test(test_aimd),
        cmocka_unit_test(test_cubic),
        cmocka_unit_test(test_fixed),
        cmocka_unit_test(test_cbrt),
        cmocka_unit_test(test_histo_buckets),
        cmocka_unit_test(test_histo_quantiles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
