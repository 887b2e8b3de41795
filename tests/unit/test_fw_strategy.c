/* Strategies: best-route, multicast, load-balance, and the strategy choice
 * table. Asserts on which faces the forwarder sends to. */
#include "test_fw_util.h"

#define T0 (1000 * MS)

static void set_strategy(dmsc_fw_t *fw, const char *prefix, const char *strategy)
{
    dmsc_namebuf_t p, s;
    assert_int_equal(dmsc_namebuf_from_uri(&p, prefix), 0);
    assert_int_equal(dmsc_namebuf_from_uri(&s, strategy), 0);
    assert_int_equal(dmsc_fw_strategy_set(fw, &p.name, &s.name), 0);
}

static dmsc_fw_t *three_routes(void)
{
    dmsc_fw_t *fw = fw_default();
    add_faces(fw);
    route(fw, "/a", P2, 20);
    route(fw, "/a", P3, 30);
    route(fw, "/a", P1, 10);
    return fw;
}

static void test_best_route_lowest_cost(void **state)
{
    dmsc_fw_t *fw = three_routes();
    pktbuf_t i;
    mk_interest(&i, "/a/1", 1);
    rx_interest(fw, C1, &i, T0);
    assert_int_equal(mock.n, 1);
    assert_sent(0, P1, DMSC_PKT_INTEREST);
    /* the cheapest nexthop is the downstream itself: the next one */
    mk_interest(&i, "/a/2", 2);
    rx_interest(fw, P1, &i, T0);
    assert_sent(1, P2, DMSC_PKT_INTEREST);
    /* re-adding with a new cost reorders */
    route(fw, "/a", P3, 1);
    mk_interest(&i, "/a/3", 3);
    rx_interest(fw, C1, &i, T0);
    assert_sent(2, P3, DMSC_PKT_INTEREST);
    dmsc_fw_free(fw);
}

/* Nack -> next nexthop (same Interest); all nacked -> the least severe
 * reason goes downstream. */
static void test_best_route_nack_retry(void **state)
{
    static const uint8_t ctok[2] = {0xaa, 0xbb};
    dmsc_fw_t *fw = three_routes();
    pktbuf_t i;
    mk_interest(&i, "/a/n", 0x01020304);
    rx(fw, C1, DMSC_PKT_INTEREST, &i, ctok, sizeof ctok, T0);
    assert_sent(0, P1, DMSC_PKT_INTEREST);
    nack_sent(fw, sent(0), DMSC_LP_NACK_NO_ROUTE, T0 + MS);
    assert_int_equal(mock.n, 2);
    assert_sent(1, P2, DMSC_PKT_INTEREST);
    assert_int_equal(sent_interest(1)->nonce, 0x01020304);
    assert_memory_equal(sent(1)->wire, sent(0)->wire, sent(0)->len);
    nack_sent(fw, sent(1), DMSC_LP_NACK_CONGESTION, T0 + 2 * MS);
    assert_sent(2, P3, DMSC_PKT_INTEREST);
    nack_sent(fw, sent(2), DMSC_LP_NACK_DUPLICATE, T0 + 3 * MS);
    assert_int_equal(mock.n, 4);
    assert_nack(3, C1, DMSC_LP_NACK_CONGESTION);
    assert_tok(3, ctok, sizeof ctok);
    assert_int_equal(sent_interest_any(3)->nonce, 0x01020304);
    assert_int_equal(ctr(fw)->pit_size, 0);
    assert_int_equal(ctr(fw)->unsatisfied_interests, 1);
    assert_int_equal(fctr(fw, P1)->in_nacks, 1);
    assert_int_equal(fctr(fw, C1)->out_nacks, 1);
    dmsc_fw_free(fw);
}

/* With two downstreams, each gets the Nack with its own Nonce and token. */
static void test_best_route_nack_downstreams(void **state)
{
    static const uint8_t t1[1] = {1}, t2[1] = {2};
    dmsc_fw_t *fw = fw_default();
    add_faces(fw);
    route(fw, "/a", P1, 0);
    pktbuf_t i1, i2;
    mk_interest(&i1, "/a/x", 111);
    mk_interest(&i2, "/a/x", 222);
    rx(fw, C1, DMSC_PKT_INTEREST, &i1, t1, 1, T0);
    rx(fw, C2, DMSC_PKT_INTEREST, &i2, t2, 1, T0);
    assert_int_equal(mock.n, 1);
    nack_sent(fw, sent(0), DMSC_LP_NACK_NONE, T0 + MS);
    assert_int_equal(mock.n, 3);
    for (size_t k = 1; k < 3; k++) {
        const sent_t *s = sent(k);
        assert_int_equal(s->kind, DMSC_PKT_NACK);
        assert_int_equal(s->nack_reason, DMSC_LP_NACK_NONE);
        const dmsc_interest_t *in = sent_interest_any(k);
        if (s->face == C1) {
            assert_int_equal(in->nonce, 111);
            assert_tok(k, t1, 1);
        } else {
            assert_int_equal(s->face, C2);
            assert_int_equal(in->nonce, 222);
            assert_tok(k, t2, 1);
        }
    }
    dmsc_fw_free(fw);
}

/* A consumer retransmission (new Nonce) inside the suppression interval is
 * suppressed; after it, it goes to the next nexthop in cost order. */
static void test_best_route_retransmission(void **state)
{
    dmsc_fw_t *fw = three_routes();
    pktbuf_t i;
    mk_interest(&i, "/a/r", 1);
    rx_interest(fw, C1, &i, T0);
    assert_sent(0, P1, DMSC_PKT_INTEREST);
    mk_interest(&i, "/a/r", 2);
    rx_interest(fw, C1, &i, T0 + 5 * MS); /* < 10 ms */
    assert_int_equal(mock.n, 1);
    mk_interest(&i, "/a/r", 3);
    rx_interest(fw, C1, &i, T0 + 11 * MS);
    assert_int_equal(mock.n, 2);
    assert_sent(1, P2, DMSC_PKT_INTEREST);
    assert_int_equal(sent_interest(1)->nonce, 3); /* the new Nonce */
    mk_interest(&i, "/a/r", 4);
    rx_interest(fw, C1, &i, T0 + 25 * MS); /* interval is now 20 ms */
    assert_int_equal(mock.n, 2);
    rx_interest(fw, C1, &i, T0 + 31 * MS);
    assert_sent(2, P3, DMSC_PKT_INTEREST);
    /* every nexthop tried: the one tried longest ago */
    mk_interest(&i, "/a/r", 5);
    rx_interest(fw, C1, &i, T0 + 80 * MS);
    assert_sent(3, P1, DMSC_PKT_INTEREST);
    /* the Data from the first upstream still satisfies */
    pktbuf_t d;
    mk_data(&d, "/a/r", 0, 1);
    rx_reply(fw, sent(0), DMSC_PKT_DATA, &d, 0, T0 + 90 * MS);
    assert_sent(4, C1, DMSC_PKT_DATA);
    assert_int_equal(ctr(fw)->pit_size, 0);
    dmsc_fw_free(fw);
}

static void test_multicast(void **state)
{
    dmsc_fw_t *fw = three_routes();
    set_strategy(fw, "/a", "/localhost/nfd/strategy/multicast");
    pktbuf_t i, d;
    mk_interest(&i, "/a/m", 1);
    rx_interest(fw, C1, &i, T0);
    assert_int_equal(mock.n, 3);
    assert_sent(0, P1, DMSC_PKT_INTEREST);
    assert_sent(1, P2, DMSC_PKT_INTEREST);
    assert_sent(2, P3, DMSC_PKT_INTEREST);
    /* one Nack is not enough; all of them are */
    nack_sent(fw, sent(0), DMSC_LP_NACK_NO_ROUTE, T0 + MS);
    nack_sent(fw, sent(1), DMSC_LP_NACK_DUPLICATE, T0 + MS);
    assert_int_equal(mock.n, 3);
    nack_sent(fw, sent(2), DMSC_LP_NACK_NO_ROUTE, T0 + MS);
    assert_nack(3, C1, DMSC_LP_NACK_DUPLICATE);
    /* a Data from any one satisfies; the consumer is not a nexthop */
    route(fw, "/a", C2, 0);
    mk_interest(&i, "/a/m2", 2);
    rx_interest(fw, C2, &i, T0);
    assert_int_equal(mock.n, 7);
    mk_data(&d, "/a/m2", 0, 1);
    rx_reply(fw, sent(5), DMSC_PKT_DATA, &d, 0, T0 + MS);
    assert_sent(7, C2, DMSC_PKT_DATA);
    assert_int_equal(mock.n, 8);
    /* other prefixes keep best-route */
    route(fw, "/b", P1, 0);
    route(fw, "/b", P2, 1);
    mk_interest(&i, "/b/1", 3);
    rx_interest(fw, C1, &i, T0);
    assert_int_equal(mock.n, 9);
    assert_sent(8, P1, DMSC_PKT_INTEREST);
    dmsc_fw_free(fw);
}

/* Exchange: Interest from C1, Data back from whichever face got it after
 * rtt. Returns that face. */
static dmsc_faceid_t lb_send(dmsc_fw_t *fw, const char *name, uint32_t nonce, uint64_t now)
{
    pktbuf_t i;
    mk_interest(&i, name, nonce);
    size_t before = mock.n;
    rx_interest(fw, C1, &i, now);
    assert_int_equal(mock.n, before + 1);
    assert_int_equal(sent(before)->kind, DMSC_PKT_INTEREST);
    return sent(before)->face;
}

static void lb_answer(dmsc_fw_t *fw, size_t idx, const char *name, uint64_t now)
{
    pktbuf_t d;
    mk_data(&d, name, 0, 1);
    rx_reply(fw, sent(idx), DMSC_PKT_DATA, &d, 0, now);
}

static void test_load_balance(void **state)
{
    dmsc_fw_t *fw = fw_default();
    add_faces(fw);
    route(fw, "/s", P1, 0);
    route(fw, "/s", P2, 0);
    set_strategy(fw, "/s", "/localhost/nfd/strategy/load-balance/v=1");
    /* no samples: equal scores go to the first, then outstanding decides */
    assert_int_equal(lb_send(fw, "/s/1", 1, T0), P1);
    assert_int_equal(lb_send(fw, "/s/2", 2, T0), P2);
    lb_answer(fw, 0, "/s/1", T0 + 10 * MS); /* P1: 10 ms */
    lb_answer(fw, 1, "/s/2", T0 + 50 * MS); /* P2: 50 ms */
    /* score = rtt x (outstanding + 1): P1 takes 10, 20, 30, 40, 50 (tie,
     * lower index) before P2's 50 wins */
    uint64_t now = T0 + 100 * MS;
    for (int k = 0; k < 5; k++)
        assert_int_equal(lb_send(fw,
                                 k == 0   ? "/s/a"
                                 : k == 1 ? "/s/b"
                                 : k == 2 ? "/s/c"
                                 : k == 3 ? "/s/d"
                                          : "/s/e",
                                 10 + (uint32_t)k, now),
                         P1);
    assert_int_equal(lb_send(fw, "/s/f", 20, now), P2);
    /* a Nack moves the Interest to the other nexthop */
    size_t idx = mock.n;
    assert_int_equal(lb_send(fw, "/s/g", 21, now), P1); /* P1: 10*6=60 vs P2: 50*2=100 */
    nack_sent(fw, sent(idx), DMSC_LP_NACK_CONGESTION, now + MS);
    assert_sent(idx + 1, P2, DMSC_PKT_INTEREST);
    nack_sent(fw, sent(idx + 1), DMSC_LP_NACK_CONGESTION, now + 2 * MS);
    assert_nack(idx + 2, C1, DMSC_LP_NACK_CONGESTION);
    /* timeouts are penalties: after all expire, P1's estimate grew */
    dmsc_fw_run_timers(fw, now + 10000 * MS);
    assert_int_equal(ctr(fw)->pit_size, 0);
    /* P1: 5 timeouts of ~4 s pushed its EWMA far above P2's */
    assert_int_equal(lb_send(fw, "/s/h", 30, now + 10000 * MS), P2);
    dmsc_fw_free(fw);
}

/* With several nexthops only eligible ones are picked. */
static void test_load_balance_eligible(void **state)
{
    dmsc_fw_t *fw = fw_default();
    add_faces(fw);
    route(fw, "/s", P1, 0);
    route(fw, "/s", P2, 0);
    route(fw, "/s", P3, 0);
    route(fw, "/s", C1, 0);
    set_strategy(fw, "/s", "/localhost/nfd/strategy/load-balance");
    int seen[3] = {0, 0, 0};
    for (uint32_t k = 0; k < 60; k++) {
        char name[32];
        snprintf(name, sizeof name, "/s/%u", k);
        dmsc_faceid_t f = lb_send(fw, name, k + 1, T0);
        assert_true(f == P1 || f == P2 || f == P3);
        seen[f - P1]++;
    }
    /* power of two choices on outstanding alone spreads them evenly */
    for (int k = 0; k < 3; k++)
        assert_true(seen[k] >= 15 && seen[k] <= 25);
    dmsc_fw_free(fw);
}

static int collect(void *arg, const dmsc_name_t *prefix, const dmsc_name_t *strategy)
{
    char *out = arg, p[256], s[256];
    assert_true(dmsc_name_to_uri(prefix, DMSC_URI_ALT, p, sizeof p) > 0);
    assert_true(dmsc_name_to_uri(strategy, DMSC_URI_ALT, s, sizeof s) > 0);
    strcat(out, p);
    strcat(out, "=");
    strcat(out, s);
    strcat(out, ";");
    return 0;
}

static void test_strategy_choice(void **state)
{
    dmsc_fw_t *fw = fw_default();
    dmsc_namebuf_t p, s;
    assert_int_equal(dmsc_namebuf_from_uri(&p, "/x"), 0);
    assert_int_equal(dmsc_namebuf_from_uri(&s, "/localhost/nfd/strategy/nope"), 0);
    assert_int_equal(dmsc_fw_strategy_set(fw, &p.name, &s.name), DMSC_ENOTSUP);
    assert_int_equal(dmsc_namebuf_from_uri(&s, "/localhost/nfd/strategy/best-route/v=99"), 0);
    assert_int_equal(dmsc_fw_strategy_set(fw, &p.name, &s.name), DMSC_ENOTSUP);
    assert_int_equal(dmsc_namebuf_from_uri(&s, "/localhost/nfd/strategy/multicast/v=4"), 0);
    assert_int_equal(dmsc_fw_strategy_set(fw, &p.name, &s.name), 0);
    assert_int_equal(dmsc_fw_strategy_unset(fw, N("/")), DMSC_EINVAL);
    char out[1024] = "";
    dmsc_fw_strategy_foreach(fw, collect, out);
    assert_non_null(strstr(out, "/=/localhost/nfd/strategy/best-route/v=5;"));
    assert_non_null(strstr(out, "/x=/localhost/nfd/strategy/multicast/v=4;"));
    /* the root can be changed, not removed */
    set_strategy(fw, "/", "/localhost/nfd/strategy/multicast");
    assert_int_equal(dmsc_fw_strategy_unset(fw, N("/x")), 0);
    assert_int_equal(dmsc_fw_strategy_unset(fw, N("/x")), 0);
    out[0] = 0;
    dmsc_fw_strategy_foreach(fw, collect, out);
    assert_string_equal(out, "/=/localhost/nfd/strategy/multicast/v=4;");
    /* and it applies: everything multicasts now */
    add_faces(fw);
    route(fw, "/q", P1, 0);
    route(fw, "/q", P2, 0);
    pktbuf_t i;
    mk_interest(&i, "/q/1", 1);
    rx_interest(fw, C1, &i, T0);
    assert_int_equal(mock.n, 2);
    /* longest prefix wins */
    set_strategy(fw, "/q/deep", "/localhost/nfd/strategy/best-route");
    mk_interest(&i, "/q/deep/er", 2);
    rx_interest(fw, C1, &i, T0);
    assert_int_equal(mock.n, 3);
    dmsc_fw_free(fw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_best_route_lowest_cost),
        cmocka_unit_test(test_best_route_nack_retry),
        cmocka_unit_test(test_best_route_nack_downstreams),
        cmocka_unit_test(test_best_route_retransmission),
        cmocka_unit_test(test_multicast),
        cmocka_unit_test(test_load_balance),
        cmocka_unit_test(test_load_balance_eligible),
        cmocka_unit_test(test_strategy_choice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
