/* Shared helpers for the forwarder unit tests (test_fw*.c): a mock io that
 * records every packet the forwarder sends, a fake clock, and builders for
 * Interests and Data. Header-only: each test program includes it once. */
#ifndef DMSC_TEST_FW_UTIL_H
#define DMSC_TEST_FW_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/sha256.h"
#include "fw/fw.h"
#include "ndn/data.h"
#include "ndn/interest.h"
#include "ndn/lp.h"

#define MS 1000000ull /* ns */

/* faces used throughout: C* consumers, P* producers */
enum { C1 = 256, C2 = 257, C3 = 258, P1 = 300, P2 = 301, P3 = 302, L1 = 400 };

typedef struct {
    dmsc_faceid_t face;
    uint8_t kind;
    uint8_t wire[9000];
    size_t len;
    uint8_t tok[32];
    size_t tok_len;
    uint64_t nack_reason;
    uint64_t incoming_face;
    uint64_t congestion_mark;
    bool no_cache;
} sent_t;

#define MAX_SENT 64

typedef struct {
    sent_t pkt[MAX_SENT];
    size_t n;
    dmsc_faceid_t down_face; /* send() fails for this face */
} mock_t;

static mock_t mock;

static inline int mock_send(void *ctx, dmsc_faceid_t face, const dmsc_pkt_t *p)
{
    mock_t *m = ctx;
    if (face == m->down_face) return -1;
    assert_true(m->n < MAX_SENT);
    sent_t *s = &m->pkt[m->n++];
    s->face = face;
    s->kind = p->kind;
    assert_true(p->len <= sizeof s->wire);
    memcpy(s->wire, p->wire, p->len);
    s->len = p->len;
    assert_true(p->pit_token.n <= sizeof s->tok);
    if (p->pit_token.n) memcpy(s->tok, p->pit_token.p, p->pit_token.n);
    s->tok_len = p->pit_token.n;
    s->nack_reason = p->nack_reason;
    s->incoming_face = p->incoming_face;
    s->congestion_mark = p->congestion_mark;
    s->no_cache = p->no_cache;
    return 0;
}

static inline void mock_reset(void)
{
    memset(&mock, 0, sizeof mock);
}

static inline dmsc_fw_t *fw_with(const dmsc_fw_config_t *cfg)
{
    mock_reset();
    dmsc_fw_io_t io = {&mock, mock_send};
    dmsc_fw_t *fw = dmsc_fw_new(cfg, &io);
    assert_non_null(fw);
    return fw;
}

static inline dmsc_fw_t *fw_default(void)
{
    dmsc_fw_config_t cfg;
    dmsc_fw_config_default(&cfg);
    return fw_with(&cfg);
}

/* consumers local (apps), producers non-local (network) unless told */
static inline void add_faces(dmsc_fw_t *fw)
{
    assert_int_equal(dmsc_fw_face_add(fw, C1, DMSC_SCOPE_LOCAL), 0);
    assert_int_equal(dmsc_fw_face_add(fw, C2, DMSC_SCOPE_LOCAL), 0);
    assert_int_equal(dmsc_fw_face_add(fw, C3, DMSC_SCOPE_NONLOCAL), 0);
    assert_int_equal(dmsc_fw_face_add(fw, P1, DMSC_SCOPE_NONLOCAL), 0);
    assert_int_equal(dmsc_fw_face_add(fw, P2, DMSC_SCOPE_NONLOCAL), 0);
    assert_int_equal(dmsc_fw_face_add(fw, P3, DMSC_SCOPE_NONLOCAL), 0);
    assert_int_equal(dmsc_fw_face_add(fw, L1, DMSC_SCOPE_LOCAL), 0);
}

static dmsc_namebuf_t name_buf;
static inline const dmsc_name_t *N(const char *uri)
{
    assert_int_equal(dmsc_namebuf_from_uri(&name_buf, uri), 0);
    return &name_buf.name;
}

static inline void route(dmsc_fw_t *fw, const char *prefix, dmsc_faceid_t face, uint64_t cost)
{
    dmsc_namebuf_t nb;
    assert_int_equal(dmsc_namebuf_from_uri(&nb, prefix), 0);
    assert_int_equal(dmsc_fw_fib_add(fw, &nb.name, face, cost), 0);
}

/* ---- packet builders ---- */

typedef struct {
    uint8_t buf[9000];
    const uint8_t *wire;
    size_t len;
} pktbuf_t;

enum { NO_HOP = -1 };

typedef struct {
    bool cbp, mbf;
    bool no_nonce;
    uint64_t lifetime; /* ms; 0 = absent */
    int hop;           /* NO_HOP = absent */
    const char *fwhint;
} iopt_t;

static inline void mk_interest_opt(pktbuf_t *b, const char *uri, uint32_t nonce, const iopt_t *o)
{
    dmsc_namebuf_t nb;
    assert_int_equal(dmsc_namebuf_from_uri(&nb, uri), 0);
    dmsc_interest_t i;
    dmsc_interest_init(&i);
    i.name = nb.name;
    i.can_be_prefix = o->cbp;
    i.must_be_fresh = o->mbf;
    i.has_nonce = !o->no_nonce;
    i.nonce = nonce;
    if (o->lifetime) {
        i.has_lifetime = true;
        i.lifetime = o->lifetime;
    }
    if (o->hop != NO_HOP) {
        i.has_hop_limit = true;
        i.hop_limit = (uint8_t)o->hop;
    }
    uint8_t hint[256];
    dmsc_namebuf_t hn;
    if (o->fwhint) {
        assert_int_equal(dmsc_namebuf_from_uri(&hn, o->fwhint), 0);
        assert_int_equal(dmsc_fwhint_build(&hn.name, 1, hint, sizeof hint, &i.fwhint), 0);
        i.has_fwhint = true;
    }
    dmsc_slice_t out;
    assert_int_equal(dmsc_interest_encode(&i, NULL, b->buf, sizeof b->buf, &out), 0);
    b->wire = out.p;
    b->len = out.n;
}

static inline void mk_interest(pktbuf_t *b, const char *uri, uint32_t nonce)
{
    iopt_t o = {.hop = NO_HOP};
    mk_interest_opt(b, uri, nonce, &o);
}

/* freshness_ms < 0: no FreshnessPeriod */
static inline void mk_data(pktbuf_t *b, const char *uri, int64_t freshness_ms, size_t content_len)
{
    dmsc_namebuf_t nb;
    assert_int_equal(dmsc_namebuf_from_uri(&nb, uri), 0);
    dmsc_data_t d;
    dmsc_data_init(&d);
    d.name = nb.name;
    if (freshness_ms >= 0) {
        d.has_freshness = true;
        d.freshness = (uint64_t)freshness_ms;
    }
    static uint8_t content[8192];
    assert_true(content_len <= sizeof content);
    memset(content, 'x', content_len);
    d.has_content = true;
    d.content = dmsc_slice(content, content_len);
    dmsc_slice_t out;
    assert_int_equal(dmsc_data_encode(&d, NULL, b->buf, sizeof b->buf, &out), 0);
    b->wire = out.p;
    b->len = out.n;
}

static inline void rx(dmsc_fw_t *fw, dmsc_faceid_t face, uint8_t kind, const pktbuf_t *b,
                      const void *tok, size_t tok_len, uint64_t now)
{
    dmsc_pkt_t p;
    memset(&p, 0, sizeof p);
    p.kind = kind;
    p.wire = b->wire;
    p.len = b->len;
    p.pit_token = dmsc_slice(tok, tok_len);
    dmsc_fw_receive(fw, face, &p, now);
}

static inline void rx_interest(dmsc_fw_t *fw, dmsc_faceid_t face, const pktbuf_t *b, uint64_t now)
{
    rx(fw, face, DMSC_PKT_INTEREST, b, NULL, 0, now);
}

/* Data/Nack back from upstream with the token the forwarder put on the
 * Interest it sent (sent packet s) */
static inline void rx_reply(dmsc_fw_t *fw, const sent_t *s, uint8_t kind, const pktbuf_t *b,
                            uint64_t reason, uint64_t now)
{
    dmsc_pkt_t p;
    memset(&p, 0, sizeof p);
    p.kind = kind;
    p.wire = b->wire;
    p.len = b->len;
    p.pit_token = dmsc_slice(s->tok, s->tok_len);
    p.nack_reason = reason;
    dmsc_fw_receive(fw, s->face, &p, now);
}

/* Nack an Interest the forwarder sent: the Nack carries that Interest */
static inline void nack_sent(dmsc_fw_t *fw, const sent_t *s, uint64_t reason, uint64_t now)
{
    pktbuf_t b;
    memcpy(b.buf, s->wire, s->len);
    b.wire = b.buf;
    b.len = s->len;
    rx_reply(fw, s, DMSC_PKT_NACK, &b, reason, now);
}

static inline const sent_t *sent(size_t i)
{
    assert_true(i < mock.n);
    return &mock.pkt[i];
}

static dmsc_interest_t decoded_interest;
static inline const dmsc_interest_t *sent_interest(size_t i)
{
    const sent_t *s = sent(i);
    assert_int_equal(s->kind, DMSC_PKT_INTEREST);
    assert_int_equal(dmsc_interest_decode(&decoded_interest, s->wire, s->len, 9000), 0);
    return &decoded_interest;
}

/* the Interest inside any sent packet (an Interest or a Nack) */
static inline const dmsc_interest_t *sent_interest_any(size_t i)
{
    const sent_t *s = sent(i);
    assert_int_equal(dmsc_interest_decode(&decoded_interest, s->wire, s->len, 9000), 0);
    return &decoded_interest;
}

static inline const dmsc_fw_counters_t *ctr(dmsc_fw_t *fw)
{
    return dmsc_fw_counters(fw);
}

static inline const dmsc_fw_face_counters_t *fctr(dmsc_fw_t *fw, dmsc_faceid_t f)
{
    const dmsc_fw_face_counters_t *c = dmsc_fw_face_counters(fw, f);
    assert_non_null(c);
    return c;
}

static inline void assert_sent(size_t i, dmsc_faceid_t face, uint8_t kind)
{
    const sent_t *s = sent(i);
    if (s->face != face || s->kind != kind)
        fail_msg("packet %zu: face %u kind %u, expected face %u kind %u", i, s->face, s->kind, face,
                 kind);
}

static inline void assert_nack(size_t i, dmsc_faceid_t face, uint64_t reason)
{
    assert_sent(i, face, DMSC_PKT_NACK);
    assert_int_equal(sent(i)->nack_reason, reason);
}

static inline void assert_tok(size_t i, const void *tok, size_t n)
{
    assert_int_equal(sent(i)->tok_len, n);
    if (n) assert_memory_equal(sent(i)->tok, tok, n);
}

#endif
