#include <stdio.h>
/* Forwarder pipelines: Interest/Data/Nack through the sans-I/O core with a
 * mock io and a fake clock. Every test asserts on the packets sent and the
 * counters. */
#include "test_fw_util.h"

#include "fw/fw_int.h"

#define T0 (1000 * MS)

static const uint8_t ctok[3] = {0xc1, 0xc2, 0xc3};

/* Interest in, Interest out with our token; Data back, Data to the consumer
 * with the consumer's token. */
static void test_basic_exchange(void **state)
{
    dmsc_fw_t *fw = fw_default();
    add_faces(fw);
    route(fw, "/a", P1, 10);
    pktbuf_t i, d;
    mk_interest(&i, "/a/b", 0x11111111);
    rx(fw, C1, DMSC_PKT_INTEREST, &i, ctok, sizeof ctok, T0);
    assert_int_equal(mock.n, 1);
    assert_sent(0, P1, DMSC_PKT_INTEREST);
    /* an Interest without HopLimit goes out byte for byte */
    assert_int_equal(sent(0)->len, i.len);
    assert_memory_equal(sent(0)->wire, i.wire, i.len);
    assert_int_equal(sent(0)->tok_len, 8);
    assert_int_equal(sent(0)->incoming_face, C1);
    assert_int_equal(ctr(fw)->pit_size, 1);
    assert_int_equal(fctr(fw, C1)->pit_entries, 1);

    mk_data(&d, "/a/b", 1000, 100);
    rx_reply(fw, sent(0), DMSC_PKT_DATA, &d, 0, T0 + 5 * MS);
    assert_int_equal(mock.n, 2);
    assert_sent(1, C1, DMSC_PKT_DATA);
    assert_int_equal(sent(1)->len, d.len);
    assert_memory_equal(sent(1)->wire, d.wire, d.len);
    assert_tok(1, ctok, sizeof ctok);
    assert_int_equal(sent(1)->incoming_face, P1);

    const dmsc_fw_counters_t *c = ctr(fw);
    assert_int_equal(c->pit_size, 0);
    assert_int_equal(c->satisfied_interests, 1);
    assert_int_equal(c->unsatisfied_interests, 0);
    assert_int_equal(c->cs_entries, 1);
    assert_int_equal(c->cs_inserts, 1);
    assert_int_equal(c->cs_bytes, d.len);
    assert_int_equal(fctr(fw, C1)->in_interests, 1);
    assert_int_equal(fctr(fw, C1)->out_data, 1);
    assert_int_equal(fctr(fw, C1)->in_bytes, i.len);
    assert_int_equal(fctr(fw, C1)->out_bytes, d.len);
    assert_int_equal(fctr(fw, C1)->pit_entries, 0);
    assert_int_equal(fctr(fw, P1)->out_interests, 1);
    assert_int_equal(fctr(fw, P1)->in_data, 1);
    dmsc_fw_free(fw);
}

static void test_lpm(void **state)
{
    dmsc_fw_t *fw = fw_default();
    add_faces(fw);
    route(fw, "/", P1, 0);
    route(fw, "/a", P2, 0);
    route(fw, "/a/b/c", P3, 0);
    assert_int_equal(ctr(fw)->fib_size, 3);
    pktbuf_t i;
    mk_interest(&i, "/a/b/c/d", 1);
    rx_interest(fw, C1, &i, T0);
    mk_interest(&i, "/a/b/c", 2);
    rx_interest(fw, C1, &i, T0);
    mk_interest(&i, "/a/b", 3);
    rx_interest(fw, C1, &i, T0);
    mk_interest(&i, "/ab", 4); /* not under /a: component boundary */
    rx_interest(fw, C1, &i, T0);
    mk_interest(&i, "/x/y/z/w/v", 5);
    rx_interest(fw, C1, &i, T0);
    assert_int_equal(mock.n, 5);
    assert_sent(0, P3, DMSC_PKT_INTEREST);
    assert_sent(1, P3, DMSC_PKT_INTEREST);
    assert_sent(2, P2, DMSC_PKT_INTEREST);
    assert_sent(3, P1, DMSC_PKT_INTEREST);
    assert_sent(4, P1, DMSC_PKT_INTEREST);
    /* removing the deepest route: /a/b/c/d falls back to /a */
    assert_int_equal(dmsc_fw_fib_remove(fw, N("/a/b/c"), P3), 0);
    assert_int_equal(ctr(fw)->fib_size, 2);
    mk_interest(&i, "/a/b/c/e", 6);
    rx_interest(fw, C1, &i, T0);
    assert_sent(5, P2, DMSC_PKT_INTEREST);
    dmsc_fw_free(fw);
}

static void test_no_route(void **state)
{
    dmsc_fw_t *fw = fw_default();
    add_faces(fw);
    pktbuf_t i;
    mk_interest(&i, "/nowhere", 7);
    rx(fw, C1, DMSC_PKT_INTEREST, &i, ctok, sizeof ctok, T0);
    assert_int_equal(mock.n, 1);
    assert_nack(0, C1, DMSC_LP_NACK_NO_ROUTE);
    assert_tok(0, ctok, sizeof ctok);
    assert_int_equal(sent(0)->len, i.len);
    assert_memory_equal(sent(0)->wire, i.wire, i.len);
    assert_int_equal(fctr(fw, C1)->drops[DMSC_DROP_NO_ROUTE], 1);
    assert_int_equal(ctr(fw)->drops[DMSC_DROP_NO_ROUTE], 1);
    assert_int_equal(ctr(fw)->pit_size, 0);
    assert_int_equal(ctr(fw)->unsatisfied_interests, 1);
    assert_int_equal(fctr(fw, C1)->out_nacks, 1);
    assert_int_equal(fctr(fw, C1)->pit_entries, 0);
    /* a route to the consumer itself is no route either */
    route(fw, "/self", C1, 0);
    mk_interest(&i, "/self/x", 8);
    rx_interest(fw, C1, &i, T0);
    assert_nack(1, C1, DMSC_LP_NACK_NO_ROUTE);
    dmsc_fw_free(fw);
}

static void test_aggregation(void **state)
{
    dmsc_fw_t *fw = fw_default();
    add_faces(fw);
    route(fw, "/a", P1, 0);
    pktbuf_t i1, i2, i3, d;
    static const uint8_t tok2[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    mk_interest(&i1, "/a/1", 100);
    mk_interest(&i2, "/a/1", 200);
    mk_interest(&i3, "/a/1", 300);
    rx(fw, C1, DMSC_PKT_INTEREST, &i1, ctok, sizeof ctok, T0);
    rx(fw, C2, DMSC_PKT_INTEREST, &i2, tok2, sizeof tok2, T0 + 1 * MS);
    rx_interest(fw, C3, &i3, T0 + 300 * MS); /* long after the suppression interval */
    assert_int_equal(mock.n, 1);             /* one upstream Interest */
    assert_int_equal(ctr(fw)->pit_size, 1);
    assert_int_equal(fctr(fw, C2)->pit_entries, 1);
    /* a different selector is a different entry */
    iopt_t o = {.cbp = true, .hop = NO_HOP};
    pktbuf_t i4;
    mk_interest_opt(&i4, "/a/1", 400, &o);
    /* (one Data per face: C1 gets it once, with the token of whichever of
     * its entries comes first, so both carry the same one here) */
    rx(fw, C1, DMSC_PKT_INTEREST, &i4, ctok, sizeof ctok, T0 + 2 * MS);
    assert_int_equal(mock.n, 2);
    assert_int_equal(ctr(fw)->pit_size, 2);

    mk_data(&d, "/a/1", -1, 10);
    rx_reply(fw, sent(0), DMSC_PKT_DATA, &d, 0, T0 + 400 * MS);
    /* both entries match; each downstream gets the Data once */
    assert_int_equal(mock.n, 5);
    bool got[3] = {false, false, false};
    for (size_t k = 2; k < 5; k++) {
        const sent_t *s = sent(k);
        assert_int_equal(s->kind, DMSC_PKT_DATA);
        if (s->face == C1) {
            assert_false(got[0]);
            got[0] = true;
            assert_tok(k, ctok, sizeof ctok);
        } else if (s->face == C2) {
            assert_false(got[1]);
            got[1] = true;
            assert_tok(k, tok2, sizeof tok2);
        } else {
            assert_int_equal(s->face, C3);
            assert_false(got[2]);
            got[2] = true;
            assert_tok(k, NULL, 0);
        }
    }
    assert_int_equal(ctr(fw)->pit_size, 0);
    assert_int_equal(ctr(fw)->satisfied_interests, 2);
    dmsc_fw_free(fw);
}

/* Same Nonce from another downstream while pending: a loop. */
static void test_loop_in_pit(void **state)
{
    dmsc_fw_t *fw = fw_default();
    add_faces(fw);
    route(fw, "/a", P1, 0);
    pktbuf_t i;
    mk_interest(&i, "/a/loop", 0xabcdef01);
    rx_interest(fw, C1, &i, T0);
    rx(fw, C3, DMSC_PKT_INTEREST, &i, ctok, sizeof ctok, T0 + 1 * MS);
    assert_int_equal(mock.n, 2);
    assert_nack(1, C3, DMSC_LP_NACK_DUPLICATE);
    assert_tok(1, ctok, sizeof ctok);
    assert_int_equal(fctr(fw, C3)->drops[DMSC_DROP_LOOP], 1);
    assert_int_equal(ctr(fw)->drops[DMSC_DROP_LOOP], 1);
    assert_int_equal(fctr(fw, C3)->pit_entries, 0);
    /* the Interest coming back on the upstream face is a loop too */
    rx_interest(fw, P1, &i, T0 + 2 * MS);
    assert_nack(2, P1, DMSC_LP_NACK_DUPLICATE);
    assert_int_equal(ctr(fw)->drops[DMSC_DROP_LOOP], 2);
    /* the same Interest again from the same downstream is a retransmission */
    rx_interest(fw, C1, &i, T0 + 3 * MS);
    assert_int_equal(mock.n, 3); /* suppressed, no Nack */
    assert_int_equal(ctr(fw)->drops[DMSC_DROP_LOOP], 2);
    dmsc_fw_free(fw);
}

/* After the entry is gone, the Dead Nonce List still catches the loop, until
 * its lifetime passes. */
static void test_dead_nonce_list(void **state)
{
    dmsc_fw_config_t cfg;
    dmsc_fw_config_default(&cfg);
    cfg.dnl_lifetime_ns = 6000 * MS;
    dmsc_fw_t *fw = fw_with(&cfg);
    add_faces(fw);
    route(fw, "/a", P1, 0);
    iopt_t o = {.lifetime = 100, .hop = NO_HOP};
    pktbuf_t i;
    mk_interest_opt(&i, "/a/dnl", 42, &o);
    rx_interest(fw, C1, &i, T0);
    assert_int_equal(mock.n, 1);
    uint64_t next = dmsc_fw_run_timers(fw, T0 + 100 * MS);
    assert_int_equal(ctr(fw)->pit_size, 0);
    assert_int_equal(ctr(fw)->unsatisfied_interests, 1);
    assert_int_equal(ctr(fw)->dnl_size, 1);
    assert_int_equal(next, T0 + 100 * MS + 6000 * MS);
    /* the same Interest returns from elsewhere */
    rx_interest(fw, C3, &i, T0 + 200 * MS);
    assert_int_equal(mock.n, 2);
    assert_nack(1, C3, DMSC_LP_NACK_DUPLICATE);
    assert_int_equal(fctr(fw, C3)->drops[DMSC_DROP_LOOP], 1);
    assert_int_equal(ctr(fw)->pit_size, 0);
    /* another nonce is fine */
    pktbuf_t i2;
    mk_interest_opt(&i2, "/a/dnl", 43, &o);
    rx_interest(fw, C3, &i2, T0 + 200 * MS);
    assert_sent(2, P1, DMSC_PKT_INTEREST);
    dmsc_fw_run_timers(fw, T0 + 300 * MS);
    /* aging */
    assert_int_equal(dmsc_fw_run_timers(fw, T0 + 6100 * MS), T0 + 300 * MS + 6000 * MS);
    assert_int_equal(ctr(fw)->dnl_size, 1);
    rx_interest(fw, C3, &i, T0 + 6101 * MS);
    assert_sent(3, P1, DMSC_PKT_INTEREST);
    dmsc_fw_free(fw);
}

/* The DNL keeps at most dnl_max nonces, the oldest go first. */
static void test_dnl_capacity(void **state)
{
    dmsc_fw_config_t cfg;
    dmsc_fw_config_default(&cfg);
    cfg.dnl_max = 2;
    dmsc_fw_t *fw = fw_with(&cfg);
    add_faces(fw);
    route(fw, "/a", P1, 0);
    iopt_t o = {.lifetime = 10, .hop = NO_HOP};
    pktbuf_t i[3];
    mk_interest_opt(&i[0], "/a/0", 1, &o);
    mk_interest_opt(&i[1], "/a/1", 1, &o);
    mk_interest_opt(&i[2], "/a/2", 1, &o);
    for (int k = 0; k < 3; k++)
        rx_interest(fw, C1, &i[k], T0 + (uint64_t)k * MS);
    dmsc_fw_run_timers(fw, T0 + 20 * MS);
    assert_int_equal(ctr(fw)->dnl_size, 2);
    mock.n = 0;
    rx_interest(fw, C3, &i[0], T0 + 30 * MS); /* forgotten */
    rx_interest(fw, C3, &i[2], T0 + 30 * MS); /* remembered */
    assert_int_equal(mock.n, 2);
    assert_sent(0, P1, DMSC_PKT_INTEREST);
    assert_nack(1, C3, DMSC_LP_NACK_DUPLICATE);
    dmsc_fw_free(fw);
}

/* NFD's rule: a satisfied entry's nonces enter the Dead Nonce List only for
 * MustBeFresh Interests whose Data becomes stale before the DNL forgets. */
static void test_dnl_satisfied(void **state)
{
    dmsc_fw_t *fw = fw_default();
    add_faces(fw);
    route(fw, "/a", P1, 0);
    pktbuf_t i, d;
    iopt_t mbf = {.mbf = true, .hop = NO_HOP};
    mk_interest_opt(&i, "/a/s", 50, &mbf);
    rx_interest(fw, C1, &i, T0);
    mk_data(&d, "/a/s", 100, 1);
    rx_reply(fw, sent(0), DMSC_PKT_DATA, &d, 0, T0 + MS);
    assert_int_equal(ctr(fw)->dnl_size, 1);
    rx_interest(fw, C3, &i, T0 + 1000 * MS); /* came back: a loop */
    assert_nack(2, C3, DMSC_LP_NACK_DUPLICATE);
    /* long freshness: not needed */
    mk_interest_opt(&i, "/a/long", 51, &mbf);
    rx_interest(fw, C1, &i, T0);
    mk_data(&d, "/a/long", 10000, 1);
    rx_reply(fw, sent(3), DMSC_PKT_DATA, &d, 0, T0 + MS);
    assert_int_equal(ctr(fw)->dnl_size, 1);
    /* without MustBeFresh: not needed, the CS answers a returning Interest */
    mk_interest(&i, "/a/t", 60);
    rx_interest(fw, C1, &i, T0);
    mk_data(&d, "/a/t", 0, 1);
    rx_reply(fw, sent(5), DMSC_PKT_DATA, &d, 0, T0 + MS);
    assert_int_equal(ctr(fw)->dnl_size, 1);
    rx_interest(fw, C3, &i, T0 + 2 * MS);
    assert_sent(7, C3, DMSC_PKT_DATA);
    assert_int_equal(ctr(fw)->drops[DMSC_DROP_LOOP], 1);
    dmsc_fw_free(fw);
}

/* A rejected (Nacked) entry leaves its nonces in the Dead Nonce List. */
static void test_dnl_after_nack(void **state)
{
    dmsc_fw_t *fw = fw_default();
    add_faces(fw);
    route(fw, "/a", P1, 0);
    pktbuf_t i;
    mk_interest(&i, "/a/k", 70);
    rx_interest(fw, C1, &i, T0);
    nack_sent(fw, sent(0), DMSC_LP_NACK_NO_ROUTE, T0 + MS);
    assert_nack(1, C1, DMSC_LP_NACK_NO_ROUTE);
    assert_int_equal(ctr(fw)->dnl_size, 1);
    rx_interest(fw, C3, &i, T0 + 2 * MS);
    assert_nack(2, C3, DMSC_LP_NACK_DUPLICATE);
    dmsc_fw_free(fw);
}

/* A CanBePrefix entry is satisfied by a longer Data name, an exact one is not. */
static void test_pit_can_be_prefix(void **state)
{
    dmsc_fw_t *fw = fw_default();
    add_faces(fw);
    route(fw, "/c", P1, 0);
    pktbuf_t i, d;
    mk_interest(&i, "/c", 1);
    rx_interest(fw, C1, &i, T0);
    iopt_t o = {.cbp = true, .hop = NO_HOP};
    mk_interest_opt(&i, "/c", 2, &o);
    rx_interest(fw, C2, &i, T0);
    assert_int_equal(ctr(fw)->pit_size, 2);
    mk_data(&d, "/c/d", 0, 1);
    rx(fw, P1, DMSC_PKT_DATA, &d, NULL, 0, T0 + MS);
    assert_int_equal(mock.n, 3);
    assert_sent(2, C2, DMSC_PKT_DATA);
    assert_int_equal(ctr(fw)->pit_size, 1);
    mk_data(&d, "/c", 0, 1);
    rx(fw, P1, DMSC_PKT_DATA, &d, NULL, 0, T0 + MS);
    assert_sent(3, C1, DMSC_PKT_DATA);
    assert_int_equal(ctr(fw)->pit_size, 0);
    dmsc_fw_free(fw);
}

static void test_hop_limit(void **state)
{
    dmsc_fw_t *fw = fw_default();
    add_faces(fw);
    route(fw, "/a", P1, 0);
    route(fw, "/app", L1, 0);
    pktbuf_t i;
    iopt_t o = {.hop = 0};
    /* HopLimit 0 from the network: dropped */
    mk_interest_opt(&i, "/a/h0", 1, &o);
    rx_interest(fw, C3, &i, T0);
    assert_int_equal(mock.n, 0);
    assert_int_equal(fctr(fw, C3)->drops[DMSC_DROP_HOP_LIMIT], 1);
    assert_int_equal(ctr(fw)->pit_size, 0);
    /* HopLimit 5 from the network: forwarded with 4, nothing else changed */
    o.hop = 5;
    mk_interest_opt(&i, "/a/h5", 2, &o);
    rx_interest(fw, C3, &i, T0);
    assert_int_equal(mock.n, 1);
    assert_int_equal(sent(0)->len, i.len);
    assert_int_equal(sent_interest(0)->hop_limit, 4);
    size_t diff = 0;
    for (size_t k = 0; k < i.len; k++)
        diff += sent(0)->wire[k] != i.wire[k];
    assert_int_equal(diff, 1);
    assert_int_equal(sent(0)->wire[i.len - 1], 4); /* HopLimit is the last element */
    /* HopLimit 1 from the network becomes 0: only local faces may get it */
    o.hop = 1;
    mk_interest_opt(&i, "/a/h1", 3, &o);
    rx_interest(fw, C3, &i, T0);
    assert_nack(1, C3, DMSC_LP_NACK_NO_ROUTE);
    mk_interest_opt(&i, "/app/h1", 4, &o);
    rx_interest(fw, C3, &i, T0);
    assert_sent(2, L1, DMSC_PKT_INTEREST);
    assert_int_equal(sent_interest(2)->hop_limit, 0);
    /* from a local face (an app) the HopLimit is not decremented */
    o.hop = 1;
    mk_interest_opt(&i, "/a/local", 5, &o);
    rx_interest(fw, C1, &i, T0);
    assert_sent(3, P1, DMSC_PKT_INTEREST);
    assert_int_equal(sent_interest(3)->hop_limit, 1);
    /* HopLimit 0 from an app: may go to another local face only */
    o.hop = 0;
    mk_interest_opt(&i, "/a/local0", 6, &o);
    rx_interest(fw, C1, &i, T0);
    assert_nack(4, C1, DMSC_LP_NACK_NO_ROUTE);
    assert_int_equal(fctr(fw, C1)->drops[DMSC_DROP_HOP_LIMIT], 0);
    dmsc_fw_free(fw);
}

static void test_localhost_scope(void **state)
{
    dmsc_fw_t *fw = fw_default();
    add_faces(fw);
    route(fw, "/localhost", P1, 0); /* a non-local nexthop: never used */
    pktbuf_t i, d;
    mk_interest(&i, "/localhost/nfd/status", 1);
    rx_interest(fw, C3, &i, T0); /* from the network */
    assert_int_equal(mock.n, 0);
    assert_int_equal(fctr(fw, C3)->drops[DMSC_DROP_SCOPE], 1);
    assert_int_equal(ctr(fw)->pit_size, 0);
    rx_interest(fw, C1, &i, T0); /* from an app, but only a non-local route */
    assert_int_equal(mock.n, 1);
    assert_nack(0, C1, DMSC_LP_NACK_NO_ROUTE);
    route(fw, "/localhost", L1, 5);
    mk_interest(&i, "/localhost/nfd/status", 2);
    rx_interest(fw, C1, &i, T0);
    assert_sent(1, L1, DMSC_PKT_INTEREST);
    /* /localhost Data from the network is dropped, and does not satisfy */
    mk_data(&d, "/localhost/nfd/status", -1, 10);
    rx(fw, C3, DMSC_PKT_DATA, &d, NULL, 0, T0);
    assert_int_equal(fctr(fw, C3)->drops[DMSC_DROP_SCOPE], 1 + 1);
    assert_int_equal(ctr(fw)->pit_size, 1);
    rx_reply(fw, sent(1), DMSC_PKT_DATA, &d, 0, T0);
    assert_sent(2, C1, DMSC_PKT_DATA);
    /* /localhop from the network goes to local faces only */
    route(fw, "/localhop", P2, 0);
    mk_interest(&i, "/localhop/x", 3);
    rx_interest(fw, C3, &i, T0);
    assert_nack(3, C3, DMSC_LP_NACK_NO_ROUTE);
    dmsc_fw_free(fw);
}

static void test_lifetime_expiry(void **state)
{
    dmsc_fw_config_t cfg;
    dmsc_fw_config_default(&cfg);
    cfg.max_lifetime_ns = 2000 * MS;
    dmsc_fw_t *fw = fw_with(&cfg);
    add_faces(fw);
    route(fw, "/a", P1, 0);
    assert_int_equal(dmsc_fw_run_timers(fw, T0), UINT64_MAX);
    iopt_t o = {.lifetime = 100, .hop = NO_HOP};
    pktbuf_t i, d;
    mk_interest_opt(&i, "/a/t", 1, &o);
    rx_interest(fw, C1, &i, T0);
    assert_int_equal(dmsc_fw_run_timers(fw, T0 + 99 * MS), T0 + 100 * MS);
    assert_int_equal(ctr(fw)->pit_size, 1);
    dmsc_fw_run_timers(fw, T0 + 100 * MS);
    assert_int_equal(ctr(fw)->pit_size, 0);
    assert_int_equal(ctr(fw)->unsatisfied_interests, 1);
    assert_int_equal(fctr(fw, C1)->pit_entries, 0);
    mk_data(&d, "/a/t", -1, 1);
    rx_reply(fw, sent(0), DMSC_PKT_DATA, &d, 0, T0 + 101 * MS);
    assert_int_equal(mock.n, 1);
    assert_int_equal(fctr(fw, P1)->drops[DMSC_DROP_UNSOLICITED], 1);
    /* default lifetime (4 s) capped at 2 s */
    mk_interest(&i, "/a/cap", 2);
    rx_interest(fw, C1, &i, T0);
    assert_int_equal(dmsc_fw_run_timers(fw, T0), T0 + 2000 * MS);
    /* a second downstream with a longer lifetime extends the entry */
    o.lifetime = 1000;
    mk_interest_opt(&i, "/a/ext", 3, &o);
    rx_interest(fw, C1, &i, T0);
    o.lifetime = 1500;
    mk_interest_opt(&i, "/a/ext", 4, &o);
    rx_interest(fw, C2, &i, T0 + 100 * MS);
    dmsc_fw_run_timers(fw, T0 + 1200 * MS);
    assert_int_equal(ctr(fw)->pit_size, 2);
    /* Data after C1's in-record expired: only C2 gets it */
    mk_data(&d, "/a/ext", -1, 1);
    rx(fw, P1, DMSC_PKT_DATA, &d, NULL, 0, T0 + 1300 * MS);
    assert_int_equal(mock.n, 4);
    assert_sent(3, C2, DMSC_PKT_DATA);
    dmsc_fw_run_timers(fw, T0 + 2000 * MS);
    assert_int_equal(ctr(fw)->pit_size, 0);
    assert_int_equal(ctr(fw)->unsatisfied_interests, 2);
    assert_int_equal(ctr(fw)->satisfied_interests, 1);
    dmsc_fw_free(fw);
}

static void test_unsolicited(void **state)
{
    dmsc_fw_t *fw = fw_default();
    add_faces(fw);
    pktbuf_t d;
    mk_data(&d, "/u/v", 1000, 10);
    rx(fw, P1, DMSC_PKT_DATA, &d, NULL, 0, T0);
    assert_int_equal(mock.n, 0);
    assert_int_equal(fctr(fw, P1)->drops[DMSC_DROP_UNSOLICITED], 1);
    assert_int_equal(ctr(fw)->drops[DMSC_DROP_UNSOLICITED], 1);
    assert_int_equal(ctr(fw)->cs_entries, 0);
    /* a token that looks like ours does not make it solicited */
    static const uint8_t fake[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    rx(fw, P1, DMSC_PKT_DATA, &d, fake, sizeof fake, T0);
    assert_int_equal(ctr(fw)->drops[DMSC_DROP_UNSOLICITED], 2);
    assert_int_equal(ctr(fw)->cs_entries, 0);
    dmsc_fw_free(fw);
}

/* Data without our token, or with a stale one, still finds its entry by
 * name; the token of a finished entry does not satisfy a new one by itself. */
static void test_token_fallback(void **state)
{
    dmsc_fw_t *fw = fw_default();
    add_faces(fw);
    route(fw, "/a", P1, 0);
    pktbuf_t i, d;
    mk_interest(&i, "/a/x", 1);
    rx(fw, C1, DMSC_PKT_INTEREST, &i, ctok, sizeof ctok, T0);
    mk_data(&d, "/a/x", 0, 1);
    rx(fw, P1, DMSC_PKT_DATA, &d, NULL, 0, T0 + MS); /* upstream dropped the token */
    assert_sent(1, C1, DMSC_PKT_DATA);
    assert_tok(1, ctok, sizeof ctok);
    sent_t old = *sent(0);
    /* the slot is reused with a new generation: the old token is stale */
    mk_interest(&i, "/a/y", 2);
    rx_interest(fw, C1, &i, T0 + 2 * MS);
    assert_int_equal(sent(2)->tok_len, 8);
    assert_memory_not_equal(sent(2)->tok, old.tok, 8);
    assert_memory_equal(sent(2)->tok, old.tok, 4); /* same slot */
    mk_data(&d, "/a/x", 0, 1);
    rx_reply(fw, &old, DMSC_PKT_DATA, &d, 0, T0 + 3 * MS);
    assert_int_equal(fctr(fw, P1)->drops[DMSC_DROP_UNSOLICITED], 1);
    assert_int_equal(ctr(fw)->pit_size, 1);
    /* a Data for /a/y carrying the stale token still matches by name */
    mk_data(&d, "/a/y", 0, 1);
    rx_reply(fw, &old, DMSC_PKT_DATA, &d, 0, T0 + 4 * MS);
    assert_sent(3, C1, DMSC_PKT_DATA);
    assert_int_equal(ctr(fw)->pit_size, 0);
    dmsc_fw_free(fw);
}

static void test_cs_hit(void **state)
{
    dmsc_fw_t *fw = fw_default();
    add_faces(fw);
    route(fw, "/a", P1, 0);
    pktbuf_t i, d;
    mk_interest(&i, "/a/c", 1);
    rx_interest(fw, C1, &i, T0);
    mk_data(&d, "/a/c", 10000, 100);
    rx_reply(fw, sent(0), DMSC_PKT_DATA, &d, 0, T0 + MS);
    assert_int_equal(mock.n, 2);
    mk_interest(&i, "/a/c", 2);
    rx(fw, C2, DMSC_PKT_INTEREST, &i, ctok, sizeof ctok, T0 + 2 * MS);
    assert_int_equal(mock.n, 3);
    assert_sent(2, C2, DMSC_PKT_DATA);
    assert_tok(2, ctok, sizeof ctok);
    assert_int_equal(sent(2)->incoming_face, DMSC_FACEID_CONTENT_STORE);
    assert_memory_equal(sent(2)->wire, d.wire, d.len);
    const dmsc_fw_counters_t *c = ctr(fw);
    assert_int_equal(c->cs_hits, 1);
    assert_int_equal(c->cs_misses, 1);
    assert_int_equal(c->pit_size, 0);
    assert_int_equal(c->satisfied_interests, 2);
    /* erase_all empties it */
    dmsc_fw_cs_erase_all(fw);
    assert_int_equal(ctr(fw)->cs_entries, 0);
    assert_int_equal(ctr(fw)->cs_bytes, 0);
    mk_interest(&i, "/a/c", 3);
    rx_interest(fw, C2, &i, T0 + 3 * MS);
    assert_sent(3, P1, DMSC_PKT_INTEREST);
    dmsc_fw_free(fw);
}

/* Put a Data into the CS through the pipeline. */
static void cache(dmsc_fw_t *fw, const char *name, int64_t fresh_ms, size_t content, uint64_t now)
{
    static uint32_t nonce = 0x7000;
    pktbuf_t i, d;
    iopt_t o = {.cbp = true, .hop = NO_HOP};
    mk_interest_opt(&i, name, nonce++, &o);
    size_t before = mock.n;
    rx_interest(fw, L1, &i, now);
    assert_int_equal(mock.n, before + 1);
    assert_sent(before, P1, DMSC_PKT_INTEREST);
    mk_data(&d, name, fresh_ms, content);
    rx_reply(fw, sent(before), DMSC_PKT_DATA, &d, 0, now);
    assert_sent(before + 1, L1, DMSC_PKT_DATA);
}

/* Ask; returns true on a CS hit (Data straight back), false if forwarded. */
static bool ask(dmsc_fw_t *fw, const char *name, bool cbp, bool mbf, uint64_t now)
{
    static uint32_t nonce = 0x9000;
    pktbuf_t i;
    iopt_t o = {.cbp = cbp, .mbf = mbf, .hop = NO_HOP, .lifetime = 10};
    mk_interest_opt(&i, name, nonce++, &o);
    size_t before = mock.n;
    rx_interest(fw, C1, &i, now);
    assert_int_equal(mock.n, before + 1);
    bool hit = sent(before)->kind == DMSC_PKT_DATA;
    if (hit)
        assert_int_equal(sent(before)->face, C1);
    else
        assert_sent(before, P1, DMSC_PKT_INTEREST);
    dmsc_fw_run_timers(fw, now + 10 * MS); /* clear the PIT */
    return hit;
}

static void test_cs_freshness(void **state)
{
    dmsc_fw_t *fw = fw_default();
    add_faces(fw);
    route(fw, "/", P1, 0);
    cache(fw, "/f/none", -1, 10, T0);
    cache(fw, "/f/zero", 0, 10, T0);
    cache(fw, "/f/sec", 1000, 10, T0);
    assert_true(ask(fw, "/f/none", false, false, T0 + 100 * MS));
    assert_false(ask(fw, "/f/none", false, true, T0 + 200 * MS)); /* no FreshnessPeriod: stale */
    assert_true(ask(fw, "/f/zero", false, false, T0 + 300 * MS));
    assert_false(ask(fw, "/f/zero", false, true, T0 + 300 * MS));
    assert_true(ask(fw, "/f/sec", false, true, T0 + 999 * MS));
    assert_false(ask(fw, "/f/sec", false, true, T0 + 1000 * MS));
    assert_true(ask(fw, "/f/sec", false, false, T0 + 5000 * MS));
    assert_int_equal(ctr(fw)->cs_hits, 4);
    assert_int_equal(ctr(fw)->cs_misses, 3 + 3);
    dmsc_fw_free(fw);
}

static void test_cs_can_be_prefix(void **state)
{
    dmsc_fw_t *fw = fw_default();
    add_faces(fw);
    route(fw, "/", P1, 0);
    cache(fw, "/p/q/r/v=1/seg=0", 1000, 10, T0);
    assert_true(ask(fw, "/p/q", true, false, T0));
    assert_true(ask(fw, "/p/q/r/v=1/seg=0", true, false, T0));
    assert_true(ask(fw, "/p/q/r/v=1/seg=0", false, false, T0));
    assert_false(ask(fw, "/p/q", false, false, T0));
    assert_false(ask(fw, "/p/q/r/v=1/seg=0/more", true, false, T0));
    assert_false(ask(fw, "/p/qq", true, false, T0));
    /* MustBeFresh with CanBePrefix skips stale entries in the subtree */
    cache(fw, "/p/q/s", -1, 10, T0 + 2000 * MS);
    assert_false(ask(fw, "/p/q", true, true, T0 + 2000 * MS)); /* both stale */
    cache(fw, "/p/q/s/t", 5000, 10, T0 + 2000 * MS);
    assert_true(ask(fw, "/p/q", true, true, T0 + 2001 * MS));
    dmsc_fw_free(fw);
}

static void test_cs_implicit_digest(void **state)
{
    dmsc_fw_t *fw = fw_default();
    add_faces(fw);
    route(fw, "/", P1, 0);
    pktbuf_t d;
    mk_data(&d, "/dg/obj", 1000, 50);
    uint8_t dig[32];
    dmsc_sha256_buf(d.wire, d.len, dig);
    char uri[200], bad[200], hex[65];
    for (int k = 0; k < 32; k++)
        snprintf(hex + 2 * k, 3, "%02x", dig[k]);
    snprintf(uri, sizeof uri, "/dg/obj/sha256digest=%s", hex);
    hex[0] = hex[0] == '0' ? '1' : '0';
    snprintf(bad, sizeof bad, "/dg/obj/sha256digest=%s", hex);

    /* PIT: an Interest for the full name is satisfied by the Data */
    pktbuf_t i;
    mk_interest(&i, uri, 1);
    rx_interest(fw, C1, &i, T0);
    assert_sent(0, P1, DMSC_PKT_INTEREST);
    pktbuf_t i2;
    mk_interest(&i2, bad, 2);
    rx_interest(fw, C2, &i2, T0);
    assert_sent(1, P1, DMSC_PKT_INTEREST);
    rx(fw, P1, DMSC_PKT_DATA, &d, NULL, 0, T0 + MS);
    assert_int_equal(mock.n, 3);
    assert_sent(2, C1, DMSC_PKT_DATA); /* not C2: wrong digest */
    assert_int_equal(ctr(fw)->pit_size, 1);
    dmsc_fw_run_timers(fw, T0 + 10000 * MS);
    /* CS: the full name hits, a wrong digest misses */
    assert_true(ask(fw, uri, false, false, T0 + 10000 * MS));
    assert_false(ask(fw, bad, false, false, T0 + 10000 * MS));
    assert_true(ask(fw, uri, false, false, T0 + 10000 * MS)); /* digest cached */
    dmsc_fw_free(fw);
}

static void test_cs_lru_entries(void **state)
{
    dmsc_fw_config_t cfg;
    dmsc_fw_config_default(&cfg);
    cfg.cs_max_entries = 2;
    dmsc_fw_t *fw = fw_with(&cfg);
    add_faces(fw);
    route(fw, "/", P1, 0);
    cache(fw, "/l/1", 100000, 10, T0);
    cache(fw, "/l/2", 100000, 10, T0);
    assert_true(ask(fw, "/l/1", false, false, T0)); /* 1 is now most recent */
    cache(fw, "/l/3", 100000, 10, T0);              /* evicts 2 */
    assert_int_equal(ctr(fw)->cs_entries, 2);
    assert_int_equal(ctr(fw)->cs_evictions, 1);
    assert_true(ask(fw, "/l/1", false, false, T0));
    assert_true(ask(fw, "/l/3", false, false, T0));
    assert_false(ask(fw, "/l/2", false, false, T0));
    /* shrinking by reconfigure evicts the least recent */
    cfg.cs_max_entries = 1;
    dmsc_fw_reconfigure(fw, &cfg);
    assert_int_equal(ctr(fw)->cs_entries, 1);
    assert_true(ask(fw, "/l/3", false, false, T0));
    assert_false(ask(fw, "/l/1", false, false, T0));
    dmsc_fw_free(fw);
}

static void test_cs_lru_bytes(void **state)
{
    dmsc_fw_config_t cfg;
    dmsc_fw_config_default(&cfg);
    pktbuf_t d;
    mk_data(&d, "/b/1", 100000, 1000);
    cfg.cs_max_bytes = 2 * d.len + d.len / 2; /* room for two */
    dmsc_fw_t *fw = fw_with(&cfg);
    add_faces(fw);
    route(fw, "/", P1, 0);
    cache(fw, "/b/1", 100000, 1000, T0);
    cache(fw, "/b/2", 100000, 1000, T0);
    assert_int_equal(ctr(fw)->cs_bytes, 2 * d.len);
    cache(fw, "/b/3", 100000, 1000, T0);
    assert_int_equal(ctr(fw)->cs_entries, 2);
    assert_int_equal(ctr(fw)->cs_evictions, 1);
    assert_false(ask(fw, "/b/1", false, false, T0));
    assert_true(ask(fw, "/b/2", false, false, T0));
    /* a Data larger than the whole cache is not admitted */
    cache(fw, "/b/huge", 100000, 4000, T0);
    assert_int_equal(ctr(fw)->cs_entries, 2);
    assert_false(ask(fw, "/b/huge", false, false, T0));
    dmsc_fw_free(fw);
}

static void test_cs_no_cache(void **state)
{
    dmsc_fw_t *fw = fw_default();
    add_faces(fw);
    route(fw, "/a", P1, 0);
    pktbuf_t i, d;
    mk_interest(&i, "/a/nc", 1);
    rx_interest(fw, C1, &i, T0);
    mk_data(&d, "/a/nc", 1000, 10);
    dmsc_pkt_t p;
    memset(&p, 0, sizeof p);
    p.kind = DMSC_PKT_DATA;
    p.wire = d.wire;
    p.len = d.len;
    p.no_cache = true;
    p.congestion_mark = 1;
    dmsc_fw_receive(fw, P1, &p, T0 + MS);
    assert_sent(1, C1, DMSC_PKT_DATA);
    /* CachePolicy and CongestionMark go on with the Data (NFD keeps both
     * tags): a consumer learns of congestion at any hop upstream */
    assert_true(sent(1)->no_cache);
    assert_int_equal(sent(1)->congestion_mark, 1);
    assert_int_equal(ctr(fw)->cs_entries, 0);
    assert_int_equal(ctr(fw)->cs_inserts, 0);
    mk_interest(&i, "/a/nc", 2);
    rx_interest(fw, C1, &i, T0 + 2 * MS);
    assert_sent(2, P1, DMSC_PKT_INTEREST);
    dmsc_fw_free(fw);
}

static void test_next_hop_face_id(void **state)
{
    dmsc_fw_t *fw = fw_default();
    add_faces(fw);
    route(fw, "/a", P1, 0);
    pktbuf_t i;
    mk_interest(&i, "/a/n", 1);
    dmsc_pkt_t p;
    memset(&p, 0, sizeof p);
    p.kind = DMSC_PKT_INTEREST;
    p.wire = i.wire;
    p.len = i.len;
    p.next_hop_face = P3; /* not in the FIB */
    dmsc_fw_receive(fw, C1, &p, T0);
    assert_int_equal(mock.n, 1);
    assert_sent(0, P3, DMSC_PKT_INTEREST);
    /* from a non-local face the field is ignored: the FIB decides */
    mk_interest(&i, "/a/m", 2);
    p.wire = i.wire;
    p.len = i.len;
    dmsc_fw_receive(fw, C3, &p, T0);
    assert_sent(1, P1, DMSC_PKT_INTEREST);
    /* an unknown face: Nack NoRoute */
    mk_interest(&i, "/a/k", 3);
    p.wire = i.wire;
    p.len = i.len;
    p.next_hop_face = 999;
    dmsc_fw_receive(fw, C1, &p, T0);
    assert_nack(2, C1, DMSC_LP_NACK_NO_ROUTE);
    assert_int_equal(fctr(fw, C1)->drops[DMSC_DROP_NO_ROUTE], 1);
    dmsc_fw_free(fw);
}

static void test_pit_limits(void **state)
{
    dmsc_fw_config_t cfg;
    dmsc_fw_config_default(&cfg);
    cfg.pit_max = 3;
    cfg.pit_max_per_face = 2;
    dmsc_fw_t *fw = fw_with(&cfg);
    add_faces(fw);
    route(fw, "/a", P1, 0);
    pktbuf_t i;
    mk_interest(&i, "/a/1", 1);
    rx_interest(fw, C1, &i, T0);
    mk_interest(&i, "/a/2", 2);
    rx_interest(fw, C1, &i, T0);
    mk_interest(&i, "/a/3", 3);
    rx_interest(fw, C1, &i, T0); /* third in-record of C1 */
    assert_int_equal(mock.n, 2);
    assert_int_equal(fctr(fw, C1)->drops[DMSC_DROP_PIT_FACE_FULL], 1);
    assert_int_equal(fctr(fw, C1)->pit_entries, 2);
    /* C1 may still refresh its own */
    mk_interest(&i, "/a/1", 11);
    rx_interest(fw, C1, &i, T0 + 20 * MS);
    assert_int_equal(fctr(fw, C1)->drops[DMSC_DROP_PIT_FACE_FULL], 1);
    mk_interest(&i, "/a/3", 4);
    rx_interest(fw, C2, &i, T0);
    assert_int_equal(ctr(fw)->pit_size, 3);
    mk_interest(&i, "/a/4", 5);
    rx_interest(fw, C2, &i, T0); /* the PIT is full */
    assert_int_equal(fctr(fw, C2)->drops[DMSC_DROP_PIT_FULL], 1);
    assert_int_equal(ctr(fw)->drops[DMSC_DROP_PIT_FULL], 1);
    assert_int_equal(ctr(fw)->pit_size, 3);
    /* joining an existing entry needs no new one */
    mk_interest(&i, "/a/3", 6);
    rx_interest(fw, C3, &i, T0);
    assert_int_equal(fctr(fw, C3)->pit_entries, 1);
    assert_int_equal(ctr(fw)->drops[DMSC_DROP_PIT_FULL], 1);
    /* a full PIT still takes /localhost Interests from local faces (management
     * must keep working), up to the reserve, and only those */
    route(fw, "/localhost/nfd", C1, 0);
    size_t before = mock.n;
    mk_interest(&i, "/localhost/nfd/faces/list", 7);
    rx_interest(fw, C2, &i, T0);
    assert_int_equal(mock.n, before + 1);
    assert_sent(before, C1, DMSC_PKT_INTEREST);
    assert_int_equal(ctr(fw)->pit_size, 4);
    mk_interest(&i, "/a/5", 8);
    rx_interest(fw, C2, &i, T0);
    assert_int_equal(ctr(fw)->drops[DMSC_DROP_PIT_FULL], 2);
    dmsc_fw_free(fw);
}

/* The /localhost reserve is exactly DMSC_FW_PIT_LOCALHOST_RESERVE entries,
 * and only local faces may use it. */
static void test_pit_localhost_reserve(void **state)
{
    dmsc_fw_config_t cfg;
    dmsc_fw_config_default(&cfg);
    cfg.pit_max = 1;
    dmsc_fw_t *fw = fw_with(&cfg);
    add_faces(fw);
    route(fw, "/a", P1, 0);
    route(fw, "/localhost/nfd", L1, 0);
    pktbuf_t i;
    mk_interest(&i, "/a/1", 1);
    rx_interest(fw, C1, &i, T0);
    assert_int_equal(ctr(fw)->pit_size, 1);
    mk_interest(&i, "/localhost/nfd/x", 2);
    rx_interest(fw, C3, &i, T0); /* non-local: scope drop, not the reserve */
    assert_int_equal(ctr(fw)->pit_size, 1);
    mock_reset();
    for (uint32_t k = 0; k <= DMSC_FW_PIT_LOCALHOST_RESERVE; k++) {
        char uri[64];
        snprintf(uri, sizeof uri, "/localhost/nfd/x/%u", k);
        mk_interest(&i, uri, 100 + k);
        rx_interest(fw, C1, &i, T0);
    }
    assert_int_equal(mock.n, DMSC_FW_PIT_LOCALHOST_RESERVE);
    assert_int_equal(ctr(fw)->pit_size, 1 + DMSC_FW_PIT_LOCALHOST_RESERVE);
    assert_int_equal(ctr(fw)->drops[DMSC_DROP_PIT_FULL], 1);
    dmsc_fw_free(fw);
}

static int count_fib(void *arg, const dmsc_name_t *prefix, const dmsc_nexthop_t *nh, size_t n)
{
    size_t *c = arg;
    *c += n;
    return 0;
}

static void test_face_remove(void **state)
{
    dmsc_fw_t *fw = fw_default();
    add_faces(fw);
    route(fw, "/a", P1, 0);
    route(fw, "/a", P2, 5);
    route(fw, "/b", P1, 0);
    pktbuf_t i, d;
    mk_interest(&i, "/a/r", 1);
    rx_interest(fw, C1, &i, T0);
    rx_interest(fw, C2, &i, T0); /* same nonce from another face: loop Nack */
    mk_interest(&i, "/a/r", 2);
    rx_interest(fw, C2, &i, T0);
    mk_interest(&i, "/b/r", 3);
    rx_interest(fw, C2, &i, T0);
    assert_int_equal(ctr(fw)->pit_size, 2);
    assert_int_equal(fctr(fw, C2)->pit_entries, 2);
    dmsc_fw_face_remove(fw, P1);
    assert_null(dmsc_fw_face_counters(fw, P1));
    assert_int_equal(ctr(fw)->fib_size, 1); /* /b is gone, /a keeps P2 */
    size_t nh = 0;
    dmsc_fw_fib_foreach(fw, count_fib, &nh);
    assert_int_equal(nh, 1);
    assert_int_equal(dmsc_fw_fib_add(fw, N("/c"), P1, 0), DMSC_EINVAL);
    /* a Data from P1's id can no longer be received */
    mk_data(&d, "/a/r", 0, 1);
    rx(fw, P1, DMSC_PKT_DATA, &d, NULL, 0, T0);
    assert_int_equal(ctr(fw)->drops[DMSC_DROP_FACE_DOWN], 1);
    dmsc_fw_face_remove(fw, C2);
    assert_int_equal(ctr(fw)->pit_size, 1); /* /b/r had only C2 and P1 */
    dmsc_fw_face_remove(fw, C1);
    assert_int_equal(ctr(fw)->pit_size, 0);
    /* the face can come back, with fresh counters */
    assert_int_equal(dmsc_fw_face_add(fw, C1, DMSC_SCOPE_LOCAL), 0);
    assert_int_equal(fctr(fw, C1)->in_interests, 0);
    assert_int_equal(dmsc_fw_face_add(fw, C1, DMSC_SCOPE_LOCAL), DMSC_EINVAL);
    assert_int_equal(dmsc_fw_face_add(fw, 0, DMSC_SCOPE_LOCAL), DMSC_EINVAL);
    dmsc_fw_free(fw);
}

static void test_nack_unmatched(void **state)
{
    dmsc_fw_t *fw = fw_default();
    add_faces(fw);
    route(fw, "/a", P1, 0);
    pktbuf_t i;
    mk_interest(&i, "/a/z", 1);
    rx(fw, P2, DMSC_PKT_NACK, &i, NULL, 0, T0); /* nothing pending */
    assert_int_equal(fctr(fw, P2)->drops[DMSC_DROP_NACK_UNMATCHED], 1);
    rx_interest(fw, C1, &i, T0);
    rx(fw, P2, DMSC_PKT_NACK, &i, NULL, 0, T0); /* from a face we did not ask */
    assert_int_equal(fctr(fw, P2)->drops[DMSC_DROP_NACK_UNMATCHED], 2);
    pktbuf_t other;
    mk_interest(&other, "/a/z", 99); /* wrong nonce */
    rx(fw, P1, DMSC_PKT_NACK, &other, NULL, 0, T0);
    assert_int_equal(fctr(fw, P1)->drops[DMSC_DROP_NACK_UNMATCHED], 1);
    assert_int_equal(mock.n, 1);
    assert_int_equal(ctr(fw)->pit_size, 1);
    dmsc_fw_free(fw);
}

static void test_missing_nonce(void **state)
{
    dmsc_fw_t *fw = fw_default();
    add_faces(fw);
    route(fw, "/a", P1, 0);
    pktbuf_t i;
    iopt_t o = {.no_nonce = true, .mbf = true, .lifetime = 1234, .hop = 9};
    mk_interest_opt(&i, "/a/nn", 0, &o);
    rx_interest(fw, C3, &i, T0);
    const dmsc_interest_t *out = sent_interest(0);
    assert_true(out->has_nonce);
    assert_true(out->must_be_fresh);
    assert_int_equal(out->lifetime, 1234);
    assert_int_equal(out->hop_limit, 8);
    assert_int_equal(sent(0)->len, i.len + 6);
    dmsc_fw_free(fw);
}

static void test_malformed(void **state)
{
    dmsc_fw_config_t cfg;
    dmsc_fw_config_default(&cfg);
    cfg.max_packet = 1000;
    dmsc_fw_t *fw = fw_with(&cfg);
    add_faces(fw);
    pktbuf_t b;
    static const uint8_t junk[] = {0x05, 0x03, 0x07, 0x01, 0x08};
    memcpy(b.buf, junk, sizeof junk);
    b.wire = b.buf;
    b.len = sizeof junk;
    rx_interest(fw, C1, &b, T0);
    rx(fw, C1, DMSC_PKT_DATA, &b, NULL, 0, T0);
    rx(fw, C1, DMSC_PKT_NACK, &b, NULL, 0, T0);
    assert_int_equal(fctr(fw, C1)->drops[DMSC_DROP_MALFORMED], 3);
    mk_data(&b, "/big", 0, 2000);
    rx(fw, C1, DMSC_PKT_DATA, &b, NULL, 0, T0);
    assert_int_equal(fctr(fw, C1)->drops[DMSC_DROP_TOO_BIG], 1);
    mk_interest(&b, "/x", 1);
    rx(fw, 4242, DMSC_PKT_INTEREST, &b, NULL, 0, T0); /* unknown face */
    assert_int_equal(ctr(fw)->drops[DMSC_DROP_FACE_DOWN], 1);
    dmsc_fw_count_drop(fw, C1, DMSC_DROP_MALFORMED);
    assert_int_equal(fctr(fw, C1)->drops[DMSC_DROP_MALFORMED], 4);
    assert_int_equal(ctr(fw)->drops[DMSC_DROP_MALFORMED], 4);
    assert_int_equal(mock.n, 0);
    assert_string_equal(dmsc_fw_drop_name(DMSC_DROP_PIT_FACE_FULL), "pit-face-full");
    dmsc_fw_free(fw);
}

/* io->send failing is a FACE_DOWN drop; best-route moves to the next. */
static void test_send_failure(void **state)
{
    dmsc_fw_t *fw = fw_default();
    add_faces(fw);
    route(fw, "/a", P1, 0);
    route(fw, "/a", P2, 1);
    pktbuf_t i;
    mk_interest(&i, "/a/f", 1);
    mock.down_face = P1;
    rx_interest(fw, C1, &i, T0);
    assert_int_equal(mock.n, 1);
    assert_sent(0, P2, DMSC_PKT_INTEREST);
    assert_int_equal(fctr(fw, P1)->drops[DMSC_DROP_FACE_DOWN], 1);
    assert_int_equal(fctr(fw, P1)->out_interests, 0);
    dmsc_fw_free(fw);
}

static void test_forwarding_hint(void **state)
{
    dmsc_fw_t *fw = fw_default();
    add_faces(fw);
    route(fw, "/svc", P1, 0);
    route(fw, "/dom/node/b", P2, 0);
    pktbuf_t i;
    iopt_t o = {.hop = NO_HOP, .fwhint = "/dom/node/b"};
    mk_interest_opt(&i, "/svc/x", 1, &o);
    rx_interest(fw, C1, &i, T0);
    assert_sent(0, P2, DMSC_PKT_INTEREST);
    /* at the producer's node (its region), the name decides */
    assert_int_equal(dmsc_fw_region_add(fw, N("/dom/node/b")), 0);
    mk_interest_opt(&i, "/svc/x", 2, &o);
    rx_interest(fw, C2, &i, T0);
    assert_int_equal(mock.n, 1); /* aggregated into the same entry */
    mk_interest_opt(&i, "/svc/y", 3, &o);
    rx_interest(fw, C1, &i, T0);
    assert_sent(1, P1, DMSC_PKT_INTEREST);
    assert_int_equal(dmsc_fw_region_remove(fw, N("/dom/node/b")), 0);
    /* a hint without a route: the name decides */
    o.fwhint = "/dom/node/zzz";
    mk_interest_opt(&i, "/svc/z", 4, &o);
    rx_interest(fw, C1, &i, T0);
    assert_sent(2, P1, DMSC_PKT_INTEREST);
    dmsc_fw_free(fw);
}

/* Many faces: the face table grows and deletes keep lookups working. */
static void test_many_faces(void **state)
{
    dmsc_fw_t *fw = fw_default();
    for (dmsc_faceid_t f = 1000; f < 1300; f++)
        assert_int_equal(dmsc_fw_face_add(fw, f, DMSC_SCOPE_NONLOCAL), 0);
    for (dmsc_faceid_t f = 1000; f < 1300; f += 3)
        dmsc_fw_face_remove(fw, f);
    for (dmsc_faceid_t f = 1000; f < 1300; f++) {
        if ((f - 1000) % 3 == 0)
            assert_null(dmsc_fw_face_counters(fw, f));
        else
            assert_non_null(dmsc_fw_face_counters(fw, f));
    }
    assert_int_equal(dmsc_fw_face_add(fw, 1001, DMSC_SCOPE_LOCAL), DMSC_EINVAL);
    /* and they forward */
    route(fw, "/m", 1299, 0);
    pktbuf_t i;
    mk_interest(&i, "/m/x", 1);
    rx_interest(fw, 1001, &i, T0);
    assert_sent(0, 1299, DMSC_PKT_INTEREST);
    dmsc_fw_free(fw);
}

/* Interests larger than the inline copy: forwarded intact, replaced by a
 * larger retransmission, Nacked downstream with the right Nonce. */
static void test_large_interest(void **state)
{
    dmsc_fw_t *fw = fw_default();
    add_faces(fw);
    route(fw, "/big", P1, 0);
    route(fw, "/big", P2, 1);
    char uri[1200] = "/big/";
    memset(uri + 5, 'n', 600);
    pktbuf_t i;
    iopt_t o = {.hop = 7};
    mk_interest_opt(&i, uri, 1, &o);
    assert_true(i.len > 600);
    rx_interest(fw, C3, &i, T0);
    assert_sent(0, P1, DMSC_PKT_INTEREST);
    assert_int_equal(sent(0)->len, i.len);
    assert_int_equal(sent_interest(0)->hop_limit, 6);
    /* a retransmission with a longer lifetime element and new nonce */
    o.lifetime = 100000;
    mk_interest_opt(&i, uri, 2, &o);
    rx_interest(fw, C3, &i, T0 + 20 * MS);
    assert_sent(1, P2, DMSC_PKT_INTEREST);
    assert_int_equal(sent(1)->len, i.len);
    assert_int_equal(sent_interest(1)->nonce, 2);
    assert_int_equal(sent_interest(1)->lifetime, 100000);
    /* a second downstream, then Nacks from both upstreams */
    mk_interest_opt(&i, uri, 3, &o);
    rx_interest(fw, C2, &i, T0 + 21 * MS);
    nack_sent(fw, sent(0), DMSC_LP_NACK_NO_ROUTE, T0 + 22 * MS);
    nack_sent(fw, sent(1), DMSC_LP_NACK_NO_ROUTE, T0 + 22 * MS);
    assert_int_equal(mock.n, 4);
    for (size_t k = 2; k < 4; k++) {
        assert_int_equal(sent(k)->kind, DMSC_PKT_NACK);
        assert_int_equal(sent_interest_any(k)->nonce, sent(k)->face == C3 ? 2 : 3);
    }
    dmsc_fw_free(fw);
}

static void test_reconfigure(void **state)
{
    dmsc_fw_config_t cfg;
    dmsc_fw_config_default(&cfg);
    cfg.max_packet = 1000;
    dmsc_fw_t *fw = fw_with(&cfg);
    add_faces(fw);
    route(fw, "/r", P1, 0);
    char uri[1600] = "/r/";
    memset(uri + 3, 'x', 1400);
    pktbuf_t i;
    iopt_t o = {.no_nonce = true, .hop = NO_HOP};
    mk_interest_opt(&i, uri, 0, &o);
    rx_interest(fw, C1, &i, T0);
    assert_int_equal(fctr(fw, C1)->drops[DMSC_DROP_TOO_BIG], 1);
    cfg.max_packet = 4000;
    cfg.dnl_max = 8;
    dmsc_fw_reconfigure(fw, &cfg);
    rx_interest(fw, C1, &i, T0); /* the Nonce is added in the bigger scratch */
    assert_sent(0, P1, DMSC_PKT_INTEREST);
    assert_int_equal(sent(0)->len, i.len + 6);
    assert_true(sent_interest(0)->has_nonce);
    /* regions left at exit are freed */
    assert_int_equal(dmsc_fw_region_add(fw, N("/dom/a")), 0);
    assert_int_equal(dmsc_fw_region_add(fw, N("/dom/a")), 0);
    dmsc_fw_free(fw);
}

/* ---- randomized soak: random traffic, time, routes, strategies and face
 * churn; internal invariants checked throughout (and ASan/UBSan watching) */

typedef struct {
    dmsc_fw_t *fw;
    size_t in_records[8];
    size_t entries;
    bool ok;
} inv_t;

static const dmsc_faceid_t soak_faces[8] = {C1, C2, C3, P1, P2, P3, L1, 500};

static int face_index(dmsc_faceid_t f)
{
    for (int k = 0; k < 8; k++)
        if (soak_faces[k] == f) return k;
    return -1;
}

static void inv_entry(void *arg, dmsc_pit_entry_t *e)
{
    inv_t *v = arg;
    v->entries++;
    if (e->heap_idx >= v->fw->pit.heap_n || v->fw->pit.heap[e->heap_idx] != e) v->ok = false;
    if (e->n_in > e->cap_in || e->n_out > e->cap_out) v->ok = false;
    for (uint16_t i = 0; i < e->n_in; i++) {
        int k = face_index(e->in[i].face);
        if (k < 0 || !dmsc__fw_face(v->fw, e->in[i].face)) v->ok = false;
        if (k >= 0) v->in_records[k]++;
        for (uint16_t j = i + 1; j < e->n_in; j++)
            if (e->in[j].face == e->in[i].face) v->ok = false;
    }
    for (uint16_t i = 0; i < e->n_out; i++)
        if (!dmsc__fw_face(v->fw, e->out[i].face)) v->ok = false;
    uint8_t tok[8];
    dmsc_pit_token(e, tok);
    if (dmsc_pit_by_token(&v->fw->pit, dmsc_slice(tok, 8)) != e) v->ok = false;
}

static int inv_fib(void *arg, const dmsc_name_t *prefix, const dmsc_nexthop_t *nh, size_t n)
{
    inv_t *v = arg;
    if (n == 0) v->ok = false;
    for (size_t i = 0; i < n; i++)
        if (!dmsc__fw_face(v->fw, nh[i].face)) v->ok = false;
    return 0;
}

static void check_invariants(dmsc_fw_t *fw)
{
    inv_t v;
    memset(&v, 0, sizeof v);
    v.fw = fw;
    v.ok = true;
    dmsc_pit_foreach(&fw->pit, inv_entry, &v);
    assert_true(v.ok);
    assert_int_equal(v.entries, ctr(fw)->pit_size);
    assert_int_equal(fw->pit.heap_n, v.entries);
    assert_int_equal(fw->pit.nt.count, v.entries);
    for (int k = 0; k < 8; k++) {
        const dmsc_fw_face_counters_t *c = dmsc_fw_face_counters(fw, soak_faces[k]);
        if (c) assert_int_equal(c->pit_entries, v.in_records[k]);
    }
    dmsc_fw_fib_foreach(fw, inv_fib, &v);
    assert_true(v.ok);
    assert_true(fw->cs.st.entries <= fw->cfg.cs_max_entries);
    assert_true(fw->cs.st.bytes <= fw->cfg.cs_max_bytes);
    assert_int_equal(fw->cs.root->n_desc, fw->cs.st.entries);
}

static uint64_t soak_rng = 0x9e3779b97f4a7c15ull;
static uint32_t soak_rand(uint32_t n)
{
    soak_rng ^= soak_rng << 13;
    soak_rng ^= soak_rng >> 7;
    soak_rng ^= soak_rng << 17;
    return (uint32_t)(soak_rng % n);
}

static void test_random_soak(void **state)
{
    dmsc_fw_config_t cfg;
    dmsc_fw_config_default(&cfg);
    cfg.pit_max = 40;
    cfg.pit_max_per_face = 12;
    cfg.cs_max_entries = 16;
    cfg.cs_max_bytes = 3000;
    cfg.dnl_max = 32;
    cfg.dnl_lifetime_ns = 300 * MS;
    dmsc_fw_t *fw = fw_with(&cfg);
    static const char *strategies[] = {"/localhost/nfd/strategy/best-route",
                                       "/localhost/nfd/strategy/multicast",
                                       "/localhost/nfd/strategy/load-balance"};
    static const char *names[] = {"/a", "/a/b", "/a/b/c", "/a/c", "/b", "/b/x/y", "/localhost/q"};
    static const char *prefixes[] = {"/", "/a", "/a/b", "/b"};
    bool up[8] = {false};
    uint64_t now = T0;
    char uri[64];
    for (int op = 0; op < 20000; op++) {
        if (op % 2000 == 0) mock.n = 0;
        if (mock.n > MAX_SENT - 16) mock.n = 0;
        int fi = (int)soak_rand(8);
        dmsc_faceid_t f = soak_faces[fi];
        switch (soak_rand(12)) {
        case 0: /* face churn */
            if (up[fi]) {
                dmsc_fw_face_remove(fw, f);
                up[fi] = false;
            } else {
                assert_int_equal(
                    dmsc_fw_face_add(fw, f, fi % 2 ? DMSC_SCOPE_LOCAL : DMSC_SCOPE_NONLOCAL), 0);
                up[fi] = true;
            }
            break;
        case 1: /* routes */
            if (up[fi]) {
                const char *p = prefixes[soak_rand(4)];
                if (soak_rand(3))
                    assert_int_equal(dmsc_fw_fib_add(fw, N(p), f, soak_rand(4)), 0);
                else
                    dmsc_fw_fib_remove(fw, N(p), f);
            }
            break;
        case 2: { /* strategy */
            dmsc_namebuf_t sn;
            assert_int_equal(dmsc_namebuf_from_uri(&sn, strategies[soak_rand(3)]), 0);
            assert_int_equal(dmsc_fw_strategy_set(fw, N(prefixes[soak_rand(4)]), &sn.name), 0);
            break;
        }
        case 3:
            now += soak_rand(200) * MS;
            dmsc_fw_run_timers(fw, now);
            break;
        case 4:
        case 5:
        case 6: { /* Interest */
            snprintf(uri, sizeof uri, "%s/%u", names[soak_rand(7)], soak_rand(4));
            iopt_t o = {.cbp = soak_rand(3) == 0,
                        .mbf = soak_rand(3) == 0,
                        .no_nonce = soak_rand(10) == 0,
                        .lifetime = 1 + soak_rand(400),
                        .hop = soak_rand(4) ? NO_HOP : (int)soak_rand(3)};
            pktbuf_t i;
            mk_interest_opt(&i, uri, soak_rand(6), &o);
            dmsc_pkt_t p;
            memset(&p, 0, sizeof p);
            p.kind = DMSC_PKT_INTEREST;
            p.wire = i.wire;
            p.len = i.len;
            uint8_t tok[4] = {(uint8_t)op, 1, 2, 3};
            p.pit_token = dmsc_slice(tok, soak_rand(5));
            if (soak_rand(8) == 0) p.next_hop_face = soak_faces[soak_rand(8)];
            dmsc_fw_receive(fw, f, &p, now);
            break;
        }
        case 7:
        case 8:
        case 9: { /* Data: as an answer to something sent, or random */
            pktbuf_t d;
            const sent_t *s = NULL;
            if (mock.n && soak_rand(4)) {
                s = sent(soak_rand((uint32_t)mock.n));
                if (s->kind != DMSC_PKT_INTEREST) s = NULL;
            }
            if (s) {
                dmsc_interest_t in;
                assert_int_equal(dmsc_interest_decode(&in, s->wire, s->len, 9000), 0);
                char nuri[256];
                assert_true(dmsc_name_to_uri(&in.name, DMSC_URI_CANONICAL, nuri, sizeof nuri) > 0);
                if (in.can_be_prefix && soak_rand(2)) strcat(nuri, "/more");
                if (strstr(nuri, "sha256digest") == NULL) {
                    mk_data(&d, nuri, (int64_t)soak_rand(300) - 50, soak_rand(1200));
                    dmsc_pkt_t p;
                    memset(&p, 0, sizeof p);
                    p.kind = DMSC_PKT_DATA;
                    p.wire = d.wire;
                    p.len = d.len;
                    p.pit_token =
                        soak_rand(4) ? dmsc_slice(s->tok, s->tok_len) : dmsc_slice(NULL, 0);
                    p.no_cache = soak_rand(6) == 0;
                    dmsc_fw_receive(fw, soak_rand(5) ? s->face : f, &p, now);
                }
            } else {
                snprintf(uri, sizeof uri, "%s/%u", names[soak_rand(7)], soak_rand(4));
                mk_data(&d, uri, 100, soak_rand(200));
                rx(fw, f, DMSC_PKT_DATA, &d, NULL, 0, now);
            }
            break;
        }
        default: /* Nack an Interest we sent */
            if (mock.n) {
                const sent_t *s = sent(soak_rand((uint32_t)mock.n));
                if (s->kind == DMSC_PKT_INTEREST) {
                    static const uint64_t reasons[] = {0, 50, 100, 150, 999};
                    nack_sent(fw, s, reasons[soak_rand(5)], now);
                }
            }
        }
        check_invariants(fw);
    }
    /* everything drains */
    assert_true(dmsc_fw_run_timers(fw, now + 1000000 * MS) <= now + 1000300 * MS);
    check_invariants(fw);
    assert_int_equal(ctr(fw)->pit_size, 0);
    /* the nonces of the entries that just expired age out later */
    assert_int_equal(dmsc_fw_run_timers(fw, now + 1000300 * MS), UINT64_MAX);
    assert_int_equal(ctr(fw)->dnl_size, 0);
    const dmsc_fw_counters_t *c = ctr(fw);
    assert_true(c->satisfied_interests > 100);
    assert_true(c->unsatisfied_interests > 100);
    assert_true(c->cs_hits > 10);
    for (int k = 0; k < 8; k++)
        if (up[k]) dmsc_fw_face_remove(fw, soak_faces[k]);
    assert_int_equal(ctr(fw)->fib_size, 0);
    dmsc_fw_free(fw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic_exchange),
        cmocka_unit_test(test_lpm),
        cmocka_unit_test(test_no_route),
        cmocka_unit_test(test_aggregation),
        cmocka_unit_test(test_loop_in_pit),
        cmocka_unit_test(test_dead_nonce_list),
        cmocka_unit_test(test_dnl_capacity),
        cmocka_unit_test(test_dnl_satisfied),
        cmocka_unit_test(test_dnl_after_nack),
        cmocka_unit_test(test_pit_can_be_prefix),
        cmocka_unit_test(test_hop_limit),
        cmocka_unit_test(test_localhost_scope),
        cmocka_unit_test(test_lifetime_expiry),
        cmocka_unit_test(test_unsolicited),
        cmocka_unit_test(test_token_fallback),
        cmocka_unit_test(test_cs_hit),
        cmocka_unit_test(test_cs_freshness),
        cmocka_unit_test(test_cs_can_be_prefix),
        cmocka_unit_test(test_cs_implicit_digest),
        cmocka_unit_test(test_cs_lru_entries),
        cmocka_unit_test(test_cs_lru_bytes),
        cmocka_unit_test(test_cs_no_cache),
        cmocka_unit_test(test_next_hop_face_id),
        cmocka_unit_test(test_pit_limits),
        cmocka_unit_test(test_pit_localhost_reserve),
        cmocka_unit_test(test_face_remove),
        cmocka_unit_test(test_nack_unmatched),
        cmocka_unit_test(test_missing_nonce),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_send_failure),
        cmocka_unit_test(test_forwarding_hint),
        cmocka_unit_test(test_many_faces),
        cmocka_unit_test(test_large_interest),
        cmocka_unit_test(test_reconfigure),
        cmocka_unit_test(test_random_soak),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
