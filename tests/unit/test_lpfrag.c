#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ndn/lpfrag.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_FRAMES 1024

/* ---- helpers ---- */

/* A Data packet of exactly n (>= 2) bytes whose content starts with id. */
static uint8_t *make_pkt(size_t n, uint32_t id)
{
    uint8_t *p = malloc(n);
    assert_non_null(p);
    size_t h = n - 2 < 0xfd ? 2 : 4;
    p[0] = DMSC_TT_DATA;
    if (h == 2) {
        p[1] = (uint8_t)(n - 2);
    } else {
        p[1] = 0xfd;
        p[2] = (uint8_t)((n - 4) >> 8);
        p[3] = (uint8_t)(n - 4);
    }
    for (size_t i = h; i < n; i++)
        p[i] = (uint8_t)(i * 31 + id * 7 + 3);
    if (n >= h + 4) memcpy(p + h, &id, 4);
    return p;
}

typedef struct {
    uint8_t *p[MAX_FRAMES];
    size_t n[MAX_FRAMES];
    uint32_t count;
} frames_t;

static void free_frames(frames_t *f)
{
    for (uint32_t i = 0; i < f->count; i++)
        free(f->p[i]);
    f->count = 0;
}

/* Split and encode every LpPacket into its own exact-size heap buffer. */
static int split(const dmsc_lp_t *hdr, const uint8_t *pkt, size_t n, size_t mtu, uint32_t max_frags,
                 uint64_t *seq, frames_t *f)
{
    dmsc_lpfrag_split_t s;
    f->count = 0;
    int rc = dmsc_lpfrag_split_init(&s, hdr, dmsc_slice(pkt, n), mtu, max_frags, seq);
    if (rc) return rc;
    assert_true(s.count <= MAX_FRAMES);
    size_t cap = mtu + 64;
    uint8_t *buf = malloc(cap);
    assert_non_null(buf);
    for (uint32_t i = 0; i < s.count; i++) {
        dmsc_enc_t e;
        dmsc_enc_init(&e, buf, cap);
        assert_int_equal(dmsc_lpfrag_split_encode(&s, i, &e), 0);
        size_t len = cap - dmsc_enc_mark(&e);
        f->p[i] = malloc(len);
        assert_non_null(f->p[i]);
        memcpy(f->p[i], dmsc_enc_data(&e), len);
        f->n[i] = len;
    }
    f->count = s.count;
    free(buf);
    return 0;
}

typedef struct {
    dmsc_lpfrag_reasm_t *r;
    uint8_t *out;
    size_t out_cap;
    dmsc_lp_t res;
} rx_t;

static void rx_init(rx_t *rx, const dmsc_lpfrag_cfg_t *cfg)
{
    assert_int_equal(dmsc_lpfrag_reasm_new(&rx->r, cfg), 0);
    rx->out_cap = DMSC_LPFRAG_OUT_SIZE(cfg->max_pkt_size);
    rx->out = malloc(rx->out_cap);
    assert_non_null(rx->out);
}

static void rx_free(rx_t *rx)
{
    dmsc_lpfrag_reasm_free(rx->r);
    free(rx->out);
}

/* Decode one wire LpPacket and push it. */
static int rx_push(rx_t *rx, uint64_t ep, const uint8_t *wire, size_t n, uint64_t now)
{
    dmsc_lp_t lp;
    assert_int_equal(dmsc_lp_decode(wire, n, DMSC_TLV_DGRAM_MAX, &lp), 0);
    return dmsc_lpfrag_reasm_push(rx->r, ep, &lp, now, rx->out, rx->out_cap, &rx->res);
}

static void assert_result(const rx_t *rx, const uint8_t *pkt, size_t n)
{
    assert_int_equal(rx->res.fragment.n, n);
    assert_memory_equal(rx->res.fragment.p, pkt, n);
}

static const dmsc_lpfrag_stats_t *stats(const rx_t *rx)
{
    return dmsc_lpfrag_reasm_stats(rx->r);
}

static void cfg_small(dmsc_lpfrag_cfg_t *cfg)
{
    dmsc_lpfrag_cfg_default(cfg);
}

/* ---- fragmenter ---- */

static void test_split_sizes_and_reassemble(void **state)
{
    static const size_t mtus[] = {64, 100, 300, 576, 1280, 1500, 9000};
    static const size_t sizes[] = {2, 50, 254, 255, 1000, 1499, 1500, 1501, 4000, 8800};
    dmsc_lpfrag_cfg_t cfg;
    cfg_small(&cfg);
    rx_t rx;
    rx_init(&rx, &cfg);
    uint64_t delivered = 0, reassembled = 0;

    for (size_t mi = 0; mi < ARRAY_LEN(mtus); mi++) {
        for (size_t si = 0; si < ARRAY_LEN(sizes); si++) {
            size_t mtu = mtus[mi], n = sizes[si];
            uint8_t *pkt = make_pkt(n, (uint32_t)(mi * 100 + si));
            frames_t f;
            uint64_t seq = 1000;
            assert_int_equal(split(NULL, pkt, n, mtu, 400, &seq, &f), 0);
            if (n <= mtu) {
                /* fits: sent bare, no sequence number used */
                assert_int_equal(f.count, 1);
                assert_int_equal(f.n[0], n);
                assert_memory_equal(f.p[0], pkt, n);
                assert_true(seq == 1000);
            } else {
                assert_true(f.count > 1);
                assert_true(seq == 1000 + f.count);
            }
            size_t total = 0;
            for (uint32_t i = 0; i < f.count; i++) {
                assert_true(f.n[i] <= mtu);
                if (f.count > 1 && i + 1 < f.count)
                    assert_true(f.n[i] + 5 >= mtu); /* fragments are filled */
                dmsc_lp_t lp;
                assert_int_equal(dmsc_lp_decode(f.p[i], f.n[i], DMSC_TLV_DGRAM_MAX, &lp), 0);
                if (f.count > 1) {
                    uint32_t want = DMSC_LP_HAS_SEQ | DMSC_LP_HAS_FRAG_INDEX |
                                    DMSC_LP_HAS_FRAG_COUNT | DMSC_LP_HAS_FRAGMENT;
                    assert_int_equal(lp.has, want);
                    assert_true(lp.seq == 1000 + i); /* consecutive, as NFD does */
                    assert_true(lp.frag_index == i);
                    assert_true(lp.frag_count == f.count);
                    assert_memory_equal(lp.fragment.p, pkt + total, lp.fragment.n);
                }
                total += lp.fragment.n;
                int rc = dmsc_lpfrag_reasm_push(rx.r, 1, &lp, 0, rx.out, rx.out_cap, &rx.res);
                assert_int_equal(rc, i + 1 == f.count ? DMSC_LPFRAG_DONE : DMSC_LPFRAG_PENDING);
            }
            assert_int_equal(total, n);
            assert_result(&rx, pkt, n);
            if (f.count > 1) {
                assert_true(rx.res.has == (DMSC_LP_HAS_SEQ | DMSC_LP_HAS_FRAGMENT));
                assert_true(rx.res.seq == 1000);
                reassembled++;
            }
            delivered++;
            free_frames(&f);
            free(pkt);
        }
    }
    assert_true(stats(&rx)->delivered == delivered);
    assert_true(stats(&rx)->reassembled == reassembled);
    assert_int_equal(dmsc_lpfrag_reasm_count(rx.r), 0);
    assert_int_equal(dmsc_lpfrag_reasm_bytes(rx.r), 0);
    for (int k = 0; k < DMSC_LPFRAG_DROP__COUNT; k++)
        assert_true(stats(&rx)->drop[k] == 0);
    rx_free(&rx);
}

static void test_split_exact_counts(void **state)
{
    /* MTU 100, max_frags 400 (2-octet FragIndex/FragCount budget):
     * per fragment 2 (LpPacket TL) + 10 (Sequence) + 4 + 4 + 2 (Fragment TL) = 22
     * octets of overhead, so 78 payload octets each. */
    uint8_t *pkt = make_pkt(1000, 1);
    dmsc_lpfrag_split_t s;
    uint64_t seq = 7;
    assert_int_equal(dmsc_lpfrag_split_init(&s, NULL, dmsc_slice(pkt, 1000), 100, 400, &seq), 0);
    assert_int_equal(s.first_len, 78);
    assert_int_equal(s.len, 78);
    assert_int_equal(s.count, 13); /* ceil(1000 / 78) */
    assert_true(s.seq_base == 7 && seq == 20);
    /* with max_frags <= 255 the two fields take one octet less each */
    seq = 7;
    assert_int_equal(dmsc_lpfrag_split_init(&s, NULL, dmsc_slice(pkt, 1000), 100, 255, &seq), 0);
    assert_int_equal(s.len, 80);
    assert_int_equal(s.count, 13);
    /* exactly one payload octet per fragment (2 + 18 + 2 + 1 = 23) */
    seq = 0;
    assert_int_equal(dmsc_lpfrag_split_init(&s, NULL, dmsc_slice(pkt, 30), 23, 400, &seq), 0);
    assert_int_equal(s.len, 1);
    assert_int_equal(s.count, 30);
    assert_int_equal(dmsc_lpfrag_split_init(&s, NULL, dmsc_slice(pkt, 30), 22, 400, &seq),
                     DMSC_ETOOBIG);
    free(pkt);
}

static void test_split_whole_with_headers(void **state)
{
    static const uint8_t tok[] = {9, 8, 7};
    uint8_t *pkt = make_pkt(100, 2);
    dmsc_lp_t hdr;
    dmsc_lp_init(&hdr);
    hdr.has = DMSC_LP_HAS_PIT_TOKEN;
    hdr.pit_token = dmsc_slice(tok, sizeof tok);
    frames_t f;
    uint64_t seq = 50;
    assert_int_equal(split(&hdr, pkt, 100, 1500, 400, &seq, &f), 0);
    assert_int_equal(f.count, 1);
    assert_true(seq == 50);
    dmsc_lp_t lp;
    assert_int_equal(dmsc_lp_decode(f.p[0], f.n[0], DMSC_TLV_DGRAM_MAX, &lp), 0);
    assert_int_equal(lp.has, DMSC_LP_HAS_PIT_TOKEN | DMSC_LP_HAS_FRAGMENT);
    assert_true(dmsc_slice_eq(lp.pit_token, dmsc_slice(tok, sizeof tok)));
    assert_true(dmsc_slice_eq(lp.fragment, dmsc_slice(pkt, 100)));
    /* exactly at the MTU still fits whole */
    size_t whole = f.n[0];
    free_frames(&f);
    assert_int_equal(split(&hdr, pkt, 100, whole, 400, &seq, &f), 0);
    assert_int_equal(f.count, 1);
    free_frames(&f);
    assert_int_equal(split(&hdr, pkt, 100, whole - 1, 400, &seq, &f), 0);
    assert_true(f.count > 1);
    free_frames(&f);
    free(pkt);
}

static void test_split_headers_on_first_fragment(void **state)
{
    static const uint8_t tok[] = {0xde, 0xad, 0xbe, 0xef};
    uint8_t *pkt = make_pkt(3000, 3);
    dmsc_lp_t hdr;
    dmsc_lp_init(&hdr);
    hdr.has = DMSC_LP_HAS_PIT_TOKEN | DMSC_LP_HAS_NACK | DMSC_LP_HAS_CONGESTION_MARK;
    hdr.pit_token = dmsc_slice(tok, sizeof tok);
    hdr.nack_reason = DMSC_LP_NACK_NO_ROUTE;
    hdr.congestion_mark = 1;
    frames_t f;
    uint64_t seq = 0x1234;
    assert_int_equal(split(&hdr, pkt, 3000, 1000, 400, &seq, &f), 0);
    assert_int_equal(f.count, 4);
    for (uint32_t i = 0; i < f.count; i++) {
        dmsc_lp_t lp;
        assert_int_equal(dmsc_lp_decode(f.p[i], f.n[i], DMSC_TLV_DGRAM_MAX, &lp), 0);
        uint32_t l3 = DMSC_LP_HAS_PIT_TOKEN | DMSC_LP_HAS_NACK | DMSC_LP_HAS_CONGESTION_MARK;
        assert_int_equal(lp.has & l3, i == 0 ? l3 : 0);
    }

    /* the reassembled packet carries fragment 0's headers, whichever arrives last */
    dmsc_lpfrag_cfg_t cfg;
    cfg_small(&cfg);
    for (int first_last = 0; first_last < 2; first_last++) {
        rx_t rx;
        rx_init(&rx, &cfg);
        static const uint32_t order_a[] = {0, 1, 2, 3}, order_b[] = {3, 1, 2, 0};
        const uint32_t *order = first_last ? order_b : order_a;
        int rc = 0;
        for (uint32_t k = 0; k < 4; k++)
            rc = rx_push(&rx, 5, f.p[order[k]], f.n[order[k]], 10);
        assert_int_equal(rc, DMSC_LPFRAG_DONE);
        assert_result(&rx, pkt, 3000);
        assert_int_equal(rx.res.has, DMSC_LP_HAS_SEQ | DMSC_LP_HAS_PIT_TOKEN | DMSC_LP_HAS_NACK |
                                         DMSC_LP_HAS_CONGESTION_MARK | DMSC_LP_HAS_FRAGMENT);
        assert_true(rx.res.seq == 0x1234);
        assert_true(dmsc_slice_eq(rx.res.pit_token, dmsc_slice(tok, sizeof tok)));
        assert_true(rx.res.nack_reason == DMSC_LP_NACK_NO_ROUTE);
        assert_true(rx.res.congestion_mark == 1);
        assert_true(rx.res.frag_count == 1 && rx.res.frag_index == 0);
        rx_free(&rx);
    }
    free_frames(&f);
    free(pkt);
}

static void test_split_errors(void **state)
{
    uint8_t *pkt = make_pkt(1000, 4);
    dmsc_lpfrag_split_t s;
    dmsc_lp_t hdr;
    uint64_t seq = 0;

    assert_int_equal(dmsc_lpfrag_split_init(&s, NULL, dmsc_slice(pkt, 0), 1500, 400, &seq),
                     DMSC_EINVAL);
    assert_int_equal(dmsc_lpfrag_split_init(&s, NULL, dmsc_slice(pkt, 1000), 1500, 0, &seq),
                     DMSC_EINVAL);
    assert_int_equal(dmsc_lpfrag_split_init(&s, NULL, dmsc_slice(pkt, 1000), 1500, 400, NULL),
                     DMSC_EINVAL);
    static const uint32_t owned[] = {DMSC_LP_HAS_SEQ, DMSC_LP_HAS_FRAG_INDEX,
                                     DMSC_LP_HAS_FRAG_COUNT};
    for (size_t i = 0; i < ARRAY_LEN(owned); i++) {
        dmsc_lp_init(&hdr);
        hdr.has = owned[i];
        hdr.frag_count = 2;
        assert_int_equal(dmsc_lpfrag_split_init(&s, &hdr, dmsc_slice(pkt, 1000), 1500, 400, &seq),
                         DMSC_EINVAL);
    }
    dmsc_lp_init(&hdr);
    hdr.has = DMSC_LP_HAS_PIT_TOKEN; /* empty token */
    assert_int_equal(dmsc_lpfrag_split_init(&s, &hdr, dmsc_slice(pkt, 1000), 1500, 400, &seq),
                     DMSC_EINVAL);

    /* MTU too small for the first fragment (headers included) */
    assert_int_equal(dmsc_lpfrag_split_init(&s, NULL, dmsc_slice(pkt, 1000), 20, 400, &seq),
                     DMSC_ETOOBIG);
    static uint8_t tok[32];
    dmsc_lp_init(&hdr);
    hdr.has = DMSC_LP_HAS_PIT_TOKEN;
    hdr.pit_token = dmsc_slice(tok, 32);
    assert_int_equal(dmsc_lpfrag_split_init(&s, &hdr, dmsc_slice(pkt, 1000), 50, 400, &seq),
                     DMSC_ETOOBIG);
    assert_int_equal(dmsc_lpfrag_split_init(&s, NULL, dmsc_slice(pkt, 1000), 50, 400, &seq), 0);
    /* more fragments than allowed */
    assert_int_equal(dmsc_lpfrag_split_init(&s, NULL, dmsc_slice(pkt, 1000), 100, 12, &seq),
                     DMSC_ETOOBIG);
    uint64_t before = seq;
    assert_int_equal(dmsc_lpfrag_split_init(&s, NULL, dmsc_slice(pkt, 1000), 100, 13, &seq), 0);
    assert_true(seq == before + 13);

    /* bad index, short buffer */
    uint8_t buf[200];
    dmsc_enc_t e;
    dmsc_enc_init(&e, buf, sizeof buf);
    assert_int_equal(dmsc_lpfrag_split_encode(&s, 13, &e), DMSC_EINVAL);
    dmsc_enc_init(&e, buf, 50);
    assert_int_equal(dmsc_lpfrag_split_encode(&s, 0, &e), DMSC_ENOBUFS);
    free(pkt);
}

static void test_split_scatter_gather(void **state)
{
    uint8_t *pkt = make_pkt(2500, 5);
    static const uint8_t tok[] = {1};
    dmsc_lp_t hdr;
    dmsc_lp_init(&hdr);
    hdr.has = DMSC_LP_HAS_PIT_TOKEN;
    hdr.pit_token = dmsc_slice(tok, 1);
    dmsc_lpfrag_split_t s;
    uint64_t seq = 0;
    assert_int_equal(dmsc_lpfrag_split_init(&s, &hdr, dmsc_slice(pkt, 2500), 1000, 400, &seq), 0);
    for (uint32_t i = 0; i < s.count; i++) {
        uint8_t a[1100], b[1100], joined[2200];
        dmsc_enc_t ea, eb;
        dmsc_slice_t payload;
        dmsc_enc_init(&ea, a, sizeof a);
        dmsc_enc_init(&eb, b, sizeof b);
        assert_int_equal(dmsc_lpfrag_split_encode(&s, i, &ea), 0);
        assert_int_equal(dmsc_lpfrag_split_encode_hdr(&s, i, &eb, &payload), 0);
        size_t na = sizeof a - dmsc_enc_mark(&ea), nb = sizeof b - dmsc_enc_mark(&eb);
        assert_true(payload.p >= pkt && payload.p + payload.n <= pkt + 2500); /* zero copy */
        memcpy(joined, dmsc_enc_data(&eb), nb);
        memcpy(joined + nb, payload.p, payload.n);
        assert_int_equal(nb + payload.n, na);
        assert_memory_equal(joined, dmsc_enc_data(&ea), na);
    }
    /* bare: no header bytes, the payload is the packet */
    assert_int_equal(dmsc_lpfrag_split_init(&s, NULL, dmsc_slice(pkt, 500), 1000, 400, &seq), 0);
    assert_true(s.bare);
    uint8_t h[16];
    dmsc_enc_t e;
    dmsc_slice_t payload;
    dmsc_enc_init(&e, h, sizeof h);
    assert_int_equal(dmsc_lpfrag_split_encode_hdr(&s, 0, &e, &payload), 0);
    assert_int_equal(dmsc_enc_mark(&e), sizeof h);
    assert_ptr_equal(payload.p, pkt);
    assert_int_equal(payload.n, 500);
    free(pkt);
}

/* ---- reassembler ---- */

static void test_reasm_fast_path(void **state)
{
    dmsc_lpfrag_cfg_t cfg;
    cfg_small(&cfg);
    rx_t rx;
    rx_init(&rx, &cfg);
    uint8_t *pkt = make_pkt(300, 6);
    /* bare packet */
    assert_int_equal(rx_push(&rx, 1, pkt, 300, 0), DMSC_LPFRAG_DONE);
    assert_ptr_equal(rx.res.fragment.p, pkt); /* zero copy */
    assert_true(rx.res.bare);
    /* LpPacket with Sequence but FragCount 1 */
    dmsc_lp_t lp;
    dmsc_lp_init(&lp);
    lp.has = DMSC_LP_HAS_SEQ | DMSC_LP_HAS_FRAG_COUNT | DMSC_LP_HAS_FRAGMENT;
    lp.seq = 99;
    lp.frag_count = 1;
    lp.fragment = dmsc_slice(pkt, 300);
    assert_int_equal(dmsc_lpfrag_reasm_push(rx.r, 1, &lp, 0, NULL, 0, &rx.res), DMSC_LPFRAG_DONE);
    assert_ptr_equal(rx.res.fragment.p, pkt);
    assert_true(stats(&rx)->delivered == 2 && stats(&rx)->reassembled == 0);
    assert_int_equal(dmsc_lpfrag_reasm_count(rx.r), 0);
    rx_free(&rx);
    free(pkt);
}

static void test_reasm_out_of_order_and_keys(void **state)
{
    dmsc_lpfrag_cfg_t cfg;
    cfg_small(&cfg);
    rx_t rx;
    rx_init(&rx, &cfg);
    uint8_t *a = make_pkt(5000, 10), *b = make_pkt(4000, 11);
    frames_t fa, fb, fc;
    uint64_t seq = 500;
    assert_int_equal(split(NULL, a, 5000, 1200, 400, &seq, &fa), 0);
    assert_int_equal(split(NULL, b, 4000, 1200, 400, &seq, &fb), 0);
    uint64_t seq_c = 500; /* same base sequence as a, but from another endpoint */
    assert_int_equal(split(NULL, b, 4000, 1200, 400, &seq_c, &fc), 0);
    assert_int_equal(fa.count, 5);
    assert_int_equal(fb.count, 4);

    /* a in reverse, b shuffled, c in order, all interleaved */
    static const uint32_t b_order[] = {2, 0, 3, 1};
    int done_a = 0, done_b = 0, done_c = 0;
    for (uint32_t k = 0; k < 5; k++) {
        int rc = rx_push(&rx, 1, fa.p[4 - k], fa.n[4 - k], 100 + k);
        if (rc == DMSC_LPFRAG_DONE) {
            assert_result(&rx, a, 5000);
            done_a++;
        } else {
            assert_int_equal(rc, DMSC_LPFRAG_PENDING);
        }
        if (k < 4) {
            rc = rx_push(&rx, 1, fb.p[b_order[k]], fb.n[b_order[k]], 100 + k);
            if (rc == DMSC_LPFRAG_DONE) {
                assert_result(&rx, b, 4000);
                done_b++;
            }
            rc = rx_push(&rx, 2, fc.p[k], fc.n[k], 100 + k);
            if (rc == DMSC_LPFRAG_DONE) {
                assert_result(&rx, b, 4000);
                assert_true(rx.res.seq == 500);
                done_c++;
            }
        }
        if (k < 3) assert_int_equal(dmsc_lpfrag_reasm_count(rx.r), 3);
    }
    assert_int_equal(done_a, 1);
    assert_int_equal(done_b, 1);
    assert_int_equal(done_c, 1);
    assert_int_equal(dmsc_lpfrag_reasm_count(rx.r), 0);
    assert_int_equal(dmsc_lpfrag_reasm_bytes(rx.r), 0);
    assert_true(stats(&rx)->reassembled == 3);
    free_frames(&fa);
    free_frames(&fb);
    free_frames(&fc);
    free(a);
    free(b);
    rx_free(&rx);
}

static void test_reasm_sequence_wrap(void **state)
{
    dmsc_lpfrag_cfg_t cfg;
    cfg_small(&cfg);
    rx_t rx;
    rx_init(&rx, &cfg);
    uint8_t *pkt = make_pkt(3500, 12);
    frames_t f;
    uint64_t seq = UINT64_MAX - 1;
    assert_int_equal(split(NULL, pkt, 3500, 1000, 400, &seq, &f), 0);
    assert_int_equal(f.count, 4);
    assert_true(seq == 2);
    dmsc_lp_t lp;
    assert_int_equal(dmsc_lp_decode(f.p[2], f.n[2], DMSC_TLV_DGRAM_MAX, &lp), 0);
    assert_true(lp.seq == 0);
    static const uint32_t order[] = {3, 2, 0, 1};
    int rc = 0;
    for (uint32_t k = 0; k < 4; k++)
        rc = rx_push(&rx, 1, f.p[order[k]], f.n[order[k]], 0);
    assert_int_equal(rc, DMSC_LPFRAG_DONE);
    assert_result(&rx, pkt, 3500);
    assert_true(rx.res.seq == UINT64_MAX - 1);
    free_frames(&f);
    free(pkt);
    rx_free(&rx);
}

static void test_reasm_duplicates(void **state)
{
    dmsc_lpfrag_cfg_t cfg;
    cfg_small(&cfg);
    rx_t rx;
    rx_init(&rx, &cfg);
    uint8_t *pkt = make_pkt(2500, 13);
    frames_t f;
    uint64_t seq = 1;
    assert_int_equal(split(NULL, pkt, 2500, 1000, 400, &seq, &f), 0);
    assert_int_equal(f.count, 3);
    assert_int_equal(rx_push(&rx, 1, f.p[0], f.n[0], 0), DMSC_LPFRAG_PENDING);
    assert_int_equal(rx_push(&rx, 1, f.p[0], f.n[0], 0), DMSC_EDUP);
    assert_int_equal(rx_push(&rx, 1, f.p[2], f.n[2], 0), DMSC_LPFRAG_PENDING);
    assert_int_equal(rx_push(&rx, 1, f.p[2], f.n[2], 0), DMSC_EDUP);
    assert_true(stats(&rx)->drop[DMSC_LPFRAG_DROP_DUPLICATE] == 2);
    assert_int_equal(rx_push(&rx, 1, f.p[1], f.n[1], 0), DMSC_LPFRAG_DONE);
    assert_result(&rx, pkt, 2500);
    /* a late duplicate after completion opens a new partial that times out */
    assert_int_equal(rx_push(&rx, 1, f.p[1], f.n[1], 10), DMSC_LPFRAG_PENDING);
    assert_int_equal(dmsc_lpfrag_reasm_count(rx.r), 1);
    assert_int_equal(dmsc_lpfrag_reasm_expire(rx.r, 10 + cfg.timeout_ms), 1);
    assert_true(stats(&rx)->drop[DMSC_LPFRAG_DROP_TIMEOUT] == 1);
    assert_true(stats(&rx)->frags_in == 6);
    free_frames(&f);
    free(pkt);
    rx_free(&rx);
}

static void test_reasm_timeout(void **state)
{
    dmsc_lpfrag_cfg_t cfg;
    cfg_small(&cfg);
    cfg.timeout_ms = 500;
    rx_t rx;
    rx_init(&rx, &cfg);
    uint8_t *pkt = make_pkt(2500, 14);
    frames_t f;
    uint64_t seq = 1, when;
    assert_int_equal(split(NULL, pkt, 2500, 1000, 400, &seq, &f), 0);
    assert_int_equal(f.count, 3);

    assert_false(dmsc_lpfrag_reasm_next_deadline(rx.r, &when));
    assert_int_equal(rx_push(&rx, 1, f.p[0], f.n[0], 1000), DMSC_LPFRAG_PENDING);
    assert_true(dmsc_lpfrag_reasm_next_deadline(rx.r, &when));
    assert_true(when == 1500);
    assert_int_equal(dmsc_lpfrag_reasm_expire(rx.r, 1499), 0);
    /* a new fragment pushes the deadline back */
    assert_int_equal(rx_push(&rx, 1, f.p[1], f.n[1], 1400), DMSC_LPFRAG_PENDING);
    assert_true(dmsc_lpfrag_reasm_next_deadline(rx.r, &when) && when == 1900);
    assert_int_equal(dmsc_lpfrag_reasm_expire(rx.r, 1899), 0);
    assert_true(dmsc_lpfrag_reasm_bytes(rx.r) > 0);
    assert_int_equal(dmsc_lpfrag_reasm_expire(rx.r, 1900), 1);
    assert_int_equal(dmsc_lpfrag_reasm_count(rx.r), 0);
    assert_int_equal(dmsc_lpfrag_reasm_bytes(rx.r), 0);
    assert_true(stats(&rx)->partials_timed_out == 1);
    assert_true(stats(&rx)->drop[DMSC_LPFRAG_DROP_TIMEOUT] == 2);
    /* the missing fragment arrives too late: it waits alone, then expires
     * lazily when the next push comes after its deadline */
    assert_int_equal(rx_push(&rx, 1, f.p[2], f.n[2], 2000), DMSC_LPFRAG_PENDING);
    assert_int_equal(rx_push(&rx, 1, pkt, 2500, 2500), DMSC_LPFRAG_DONE); /* bare */
    assert_int_equal(dmsc_lpfrag_reasm_count(rx.r), 0);
    assert_true(stats(&rx)->partials_timed_out == 2);
    assert_true(stats(&rx)->drop[DMSC_LPFRAG_DROP_TIMEOUT] == 3);
    assert_false(dmsc_lpfrag_reasm_next_deadline(rx.r, &when));
    free_frames(&f);
    free(pkt);
    rx_free(&rx);
}

static void test_reasm_max_partials(void **state)
{
    dmsc_lpfrag_cfg_t cfg;
    cfg_small(&cfg);
    cfg.max_partials = 2;
    rx_t rx;
    rx_init(&rx, &cfg);
    uint8_t *pkts[3];
    frames_t f[3];
    uint64_t seq = 0;
    for (int i = 0; i < 3; i++) {
        pkts[i] = make_pkt(2000, 20 + (uint32_t)i);
        assert_int_equal(split(NULL, pkts[i], 2000, 1100, 400, &seq, &f[i]), 0);
        assert_int_equal(f[i].count, 2);
    }
    assert_int_equal(rx_push(&rx, 1, f[0].p[0], f[0].n[0], 0), DMSC_LPFRAG_PENDING);
    assert_int_equal(rx_push(&rx, 1, f[1].p[0], f[1].n[0], 1), DMSC_LPFRAG_PENDING);
    assert_int_equal(rx_push(&rx, 1, f[2].p[0], f[2].n[0], 2), DMSC_LPFRAG_PENDING);
    assert_int_equal(dmsc_lpfrag_reasm_count(rx.r), 2);
    assert_true(stats(&rx)->partials_evicted == 1); /* packet 0, the oldest */
    assert_true(stats(&rx)->drop[DMSC_LPFRAG_DROP_EVICTED] == 1);
    assert_int_equal(rx_push(&rx, 1, f[2].p[1], f[2].n[1], 3), DMSC_LPFRAG_DONE);
    assert_result(&rx, pkts[2], 2000);
    assert_int_equal(rx_push(&rx, 1, f[1].p[1], f[1].n[1], 3), DMSC_LPFRAG_DONE);
    assert_result(&rx, pkts[1], 2000);
    /* packet 0 lost its first half */
    assert_int_equal(rx_push(&rx, 1, f[0].p[1], f[0].n[1], 3), DMSC_LPFRAG_PENDING);
    for (int i = 0; i < 3; i++) {
        free_frames(&f[i]);
        free(pkts[i]);
    }
    rx_free(&rx);
}

static void test_reasm_size_bounds(void **state)
{
    dmsc_lpfrag_cfg_t cfg;
    cfg_small(&cfg);
    cfg.max_frags = 4;
    cfg.max_pkt_size = 3000;
    rx_t rx;
    rx_init(&rx, &cfg);
    frames_t f;
    uint64_t seq = 0;

    /* FragCount over max_frags */
    uint8_t *p5 = make_pkt(2500, 30);
    assert_int_equal(split(NULL, p5, 2500, 600, 400, &seq, &f), 0);
    assert_int_equal(f.count, 5);
    assert_int_equal(rx_push(&rx, 1, f.p[0], f.n[0], 0), DMSC_ETOOBIG);
    assert_true(stats(&rx)->drop[DMSC_LPFRAG_DROP_TOO_MANY_FRAGS] == 1);
    assert_int_equal(dmsc_lpfrag_reasm_count(rx.r), 0);
    free_frames(&f);
    free(p5);

    /* reassembled size over max_pkt_size: the partial is dropped whole */
    uint8_t *big = make_pkt(3500, 31);
    assert_int_equal(split(NULL, big, 3500, 1000, 400, &seq, &f), 0);
    assert_int_equal(f.count, 4); /* 974 + 974 + 974 + 578 */
    assert_int_equal(rx_push(&rx, 1, f.p[0], f.n[0], 0), DMSC_LPFRAG_PENDING);
    assert_int_equal(rx_push(&rx, 1, f.p[1], f.n[1], 0), DMSC_LPFRAG_PENDING);
    assert_int_equal(rx_push(&rx, 1, f.p[2], f.n[2], 0), DMSC_LPFRAG_PENDING);
    assert_int_equal(rx_push(&rx, 1, f.p[3], f.n[3], 0), DMSC_ETOOBIG);
    assert_true(stats(&rx)->drop[DMSC_LPFRAG_DROP_TOO_BIG] == 4);
    assert_int_equal(dmsc_lpfrag_reasm_count(rx.r), 0);
    assert_int_equal(dmsc_lpfrag_reasm_bytes(rx.r), 0);
    free_frames(&f);

    /* a single fragment bigger than max_pkt_size */
    dmsc_lp_t lp;
    dmsc_lp_init(&lp);
    lp.has = DMSC_LP_HAS_SEQ | DMSC_LP_HAS_FRAG_COUNT | DMSC_LP_HAS_FRAGMENT;
    lp.frag_count = 2;
    lp.fragment = dmsc_slice(big, 3001);
    assert_int_equal(dmsc_lpfrag_reasm_push(rx.r, 1, &lp, 0, rx.out, rx.out_cap, &rx.res),
                     DMSC_ETOOBIG);
    assert_true(stats(&rx)->drop[DMSC_LPFRAG_DROP_TOO_BIG] == 5);

    /* header of fragment 0 over DMSC_LPFRAG_HDR_MAX */
    uint8_t *hdrbytes = calloc(1, DMSC_LPFRAG_HDR_MAX + 16);
    assert_non_null(hdrbytes);
    lp.fragment = dmsc_slice(big, 10);
    lp.headers = dmsc_slice(hdrbytes, DMSC_LPFRAG_HDR_MAX + 16);
    hdrbytes[0] = 0x62; /* PitToken whose bytes are ... */
    hdrbytes[1] = 0xfd;
    hdrbytes[2] = (uint8_t)((DMSC_LPFRAG_HDR_MAX + 12) >> 8);
    hdrbytes[3] = (uint8_t)(DMSC_LPFRAG_HDR_MAX + 12);
    assert_int_equal(dmsc_lpfrag_reasm_push(rx.r, 1, &lp, 0, rx.out, rx.out_cap, &rx.res),
                     DMSC_ETOOBIG);
    assert_true(stats(&rx)->drop[DMSC_LPFRAG_DROP_TOO_BIG] == 6);
    free(hdrbytes);
    free(big);
    rx_free(&rx);
}

static void test_reasm_memory_ceiling(void **state)
{
    dmsc_lpfrag_cfg_t cfg;
    cfg_small(&cfg);
    cfg.max_frags = 8;
    cfg.max_pkt_size = 4000;
    cfg.max_total_bytes = 8 * 8 + 4000 + DMSC_LPFRAG_HDR_MAX; /* the minimum: one partial */
    rx_t rx;
    rx_init(&rx, &cfg);
    uint8_t *a = make_pkt(4000, 40), *b = make_pkt(4000, 41);
    frames_t fa, fb;
    uint64_t seq = 0;
    assert_int_equal(split(NULL, a, 4000, 600, 8, &seq, &fa), 0);
    assert_int_equal(split(NULL, b, 4000, 600, 8, &seq, &fb), 0);
    assert_int_equal(fa.count, 7);
    /* grow a, then start b: b's buffer growth evicts a */
    for (uint32_t i = 0; i < 6; i++) {
        assert_int_equal(rx_push(&rx, 1, fa.p[i], fa.n[i], 0), DMSC_LPFRAG_PENDING);
        assert_true(dmsc_lpfrag_reasm_bytes(rx.r) <= cfg.max_total_bytes);
    }
    for (uint32_t i = 0; i < fb.count; i++) {
        int rc = rx_push(&rx, 1, fb.p[i], fb.n[i], 0);
        assert_true(dmsc_lpfrag_reasm_bytes(rx.r) <= cfg.max_total_bytes);
        if (i + 1 == fb.count) {
            assert_int_equal(rc, DMSC_LPFRAG_DONE);
            assert_result(&rx, b, 4000);
        }
    }
    assert_true(stats(&rx)->partials_evicted == 1);
    assert_true(stats(&rx)->drop[DMSC_LPFRAG_DROP_EVICTED] == 6);
    /* a's last fragment now starts a partial of its own */
    assert_int_equal(rx_push(&rx, 1, fa.p[6], fa.n[6], 0), DMSC_LPFRAG_PENDING);
    free_frames(&fa);
    free_frames(&fb);
    free(a);
    free(b);
    rx_free(&rx);
}

/* The partial that needs room is itself the least recently updated one: the
 * other partial is evicted, never the one being filled. */
static void test_reasm_memory_ceiling_keeps_current(void **state)
{
    dmsc_lpfrag_cfg_t cfg;
    cfg_small(&cfg);
    cfg.max_frags = 8;
    cfg.max_pkt_size = 4000;
    cfg.max_total_bytes = 8 * 8 + 4000 + DMSC_LPFRAG_HDR_MAX;
    rx_t rx;
    rx_init(&rx, &cfg);
    uint8_t *a = make_pkt(4000, 42), *b = make_pkt(4000, 43);
    frames_t fa, fb;
    uint64_t seq = 0;
    assert_int_equal(split(NULL, a, 4000, 600, 8, &seq, &fa), 0);
    assert_int_equal(split(NULL, b, 4000, 600, 8, &seq, &fb), 0);
    for (uint32_t i = 0; i < 4; i++)
        assert_int_equal(rx_push(&rx, 1, fa.p[i], fa.n[i], 0), DMSC_LPFRAG_PENDING);
    assert_int_equal(rx_push(&rx, 1, fb.p[0], fb.n[0], 1), DMSC_LPFRAG_PENDING);
    assert_int_equal(rx_push(&rx, 1, fb.p[1], fb.n[1], 2), DMSC_LPFRAG_PENDING);
    assert_int_equal(rx_push(&rx, 1, fa.p[4], fa.n[4], 3), DMSC_LPFRAG_PENDING); /* a newest */
    assert_int_equal(stats(&rx)->partials_evicted, 0);
    /* b is now the oldest and must grow past the ceiling: a goes */
    assert_int_equal(rx_push(&rx, 1, fb.p[2], fb.n[2], 4), DMSC_LPFRAG_PENDING);
    assert_true(stats(&rx)->partials_evicted == 1);
    assert_true(stats(&rx)->drop[DMSC_LPFRAG_DROP_EVICTED] == 5);
    assert_int_equal(dmsc_lpfrag_reasm_count(rx.r), 1);
    assert_true(dmsc_lpfrag_reasm_bytes(rx.r) <= cfg.max_total_bytes);
    int rc = 0;
    for (uint32_t i = 3; i < fb.count; i++)
        rc = rx_push(&rx, 1, fb.p[i], fb.n[i], 5);
    assert_int_equal(rc, DMSC_LPFRAG_DONE);
    assert_result(&rx, b, 4000);
    free_frames(&fa);
    free_frames(&fb);
    free(a);
    free(b);
    rx_free(&rx);
}

static void test_reasm_bad_fragments(void **state)
{
    dmsc_lpfrag_cfg_t cfg;
    cfg_small(&cfg);
    rx_t rx;
    rx_init(&rx, &cfg);
    static const uint8_t bytes[100];
    dmsc_lp_t lp;

    /* no Fragment (IDLE) */
    dmsc_lp_init(&lp);
    assert_int_equal(dmsc_lpfrag_reasm_push(rx.r, 1, &lp, 0, rx.out, rx.out_cap, &rx.res),
                     DMSC_ELPFRAG);
    /* fragmented without Sequence */
    lp.has = DMSC_LP_HAS_FRAG_COUNT | DMSC_LP_HAS_FRAGMENT;
    lp.frag_count = 2;
    lp.fragment = dmsc_slice(bytes, 10);
    assert_int_equal(dmsc_lpfrag_reasm_push(rx.r, 1, &lp, 0, rx.out, rx.out_cap, &rx.res),
                     DMSC_ELPFRAG);
    /* FragIndex >= FragCount (hand-made struct) */
    lp.has |= DMSC_LP_HAS_SEQ | DMSC_LP_HAS_FRAG_INDEX;
    lp.frag_index = 2;
    assert_int_equal(dmsc_lpfrag_reasm_push(rx.r, 1, &lp, 0, rx.out, rx.out_cap, &rx.res),
                     DMSC_ELPFRAG);
    assert_true(stats(&rx)->drop[DMSC_LPFRAG_DROP_BAD] == 3);

    /* FragCount changes within one packet */
    lp.seq = 100;
    lp.frag_index = 0;
    lp.frag_count = 3;
    assert_int_equal(dmsc_lpfrag_reasm_push(rx.r, 1, &lp, 0, rx.out, rx.out_cap, &rx.res),
                     DMSC_LPFRAG_PENDING);
    lp.seq = 101;
    lp.frag_index = 1;
    lp.frag_count = 4;
    assert_int_equal(dmsc_lpfrag_reasm_push(rx.r, 1, &lp, 0, rx.out, rx.out_cap, &rx.res),
                     DMSC_ELPFRAG);
    assert_true(stats(&rx)->drop[DMSC_LPFRAG_DROP_COUNT_MISMATCH] == 1);

    /* output buffer too small: counted, the partial is dropped */
    lp.frag_count = 3;
    assert_int_equal(dmsc_lpfrag_reasm_push(rx.r, 1, &lp, 0, rx.out, rx.out_cap, &rx.res),
                     DMSC_LPFRAG_PENDING);
    lp.seq = 102;
    lp.frag_index = 2;
    uint8_t small[20];
    assert_int_equal(dmsc_lpfrag_reasm_push(rx.r, 1, &lp, 0, small, sizeof small, &rx.res),
                     DMSC_ENOBUFS);
    assert_true(stats(&rx)->drop[DMSC_LPFRAG_DROP_NOBUFS] == 3);
    assert_int_equal(dmsc_lpfrag_reasm_count(rx.r), 0);
    assert_int_equal(dmsc_lpfrag_reasm_bytes(rx.r), 0);
    assert_string_equal(dmsc_lpfrag_drop_str(DMSC_LPFRAG_DROP_NOBUFS), "nobufs");
    assert_string_equal(dmsc_lpfrag_drop_str(DMSC_LPFRAG_DROP__COUNT), "unknown");
    rx_free(&rx);
}

static void test_cfg_validation(void **state)
{
    dmsc_lpfrag_cfg_t cfg, bad;
    dmsc_lpfrag_reasm_t *r;
    dmsc_lpfrag_cfg_default(&cfg);
    assert_int_equal(cfg.max_frags, 400);
    assert_true(cfg.timeout_ms == 500);
    assert_int_equal(cfg.max_pkt_size, DMSC_TLV_DGRAM_MAX);
    assert_int_equal(dmsc_lpfrag_reasm_new(&r, &cfg), 0);
    dmsc_lpfrag_reasm_free(r);
    dmsc_lpfrag_reasm_free(NULL);

    bad = cfg;
    bad.max_partials = 0;
    assert_int_equal(dmsc_lpfrag_reasm_new(&r, &bad), DMSC_EINVAL);
    assert_null(r);
    bad = cfg;
    bad.max_partials = 65537;
    assert_int_equal(dmsc_lpfrag_reasm_new(&r, &bad), DMSC_EINVAL);
    bad = cfg;
    bad.max_frags = 0;
    assert_int_equal(dmsc_lpfrag_reasm_new(&r, &bad), DMSC_EINVAL);
    bad = cfg;
    bad.max_pkt_size = 0;
    assert_int_equal(dmsc_lpfrag_reasm_new(&r, &bad), DMSC_EINVAL);
    bad = cfg;
    bad.max_pkt_size = DMSC_TLV_MAX_PACKET + 1;
    assert_int_equal(dmsc_lpfrag_reasm_new(&r, &bad), DMSC_EINVAL);
    bad = cfg;
    bad.max_total_bytes = 400 * 8 + DMSC_TLV_DGRAM_MAX + DMSC_LPFRAG_HDR_MAX - 1;
    assert_int_equal(dmsc_lpfrag_reasm_new(&r, &bad), DMSC_EINVAL);
    bad.max_total_bytes++;
    assert_int_equal(dmsc_lpfrag_reasm_new(&r, &bad), 0);
    dmsc_lpfrag_reasm_free(r);
}

/* Free with partial packets still held: LeakSanitizer checks the cleanup. */
static void test_reasm_free_with_partials(void **state)
{
    dmsc_lpfrag_cfg_t cfg;
    cfg_small(&cfg);
    rx_t rx;
    rx_init(&rx, &cfg);
    uint8_t *pkt = make_pkt(5000, 50);
    frames_t f;
    uint64_t seq = 0;
    for (uint64_t ep = 0; ep < 10; ep++) {
        assert_int_equal(split(NULL, pkt, 5000, 1000, 400, &seq, &f), 0);
        assert_int_equal(rx_push(&rx, ep, f.p[1], f.n[1], 0), DMSC_LPFRAG_PENDING);
        free_frames(&f);
    }
    assert_int_equal(dmsc_lpfrag_reasm_count(rx.r), 10);
    free(pkt);
    rx_free(&rx);
}

/* ---- randomized: loss, duplication, reordering, several endpoints ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

typedef struct {
    uint64_t ep;
    uint32_t pkt;
    uint8_t *p;
    size_t n;
} wire_t;

static void test_reasm_random(void **state)
{
    enum { NPKT = 600, NEP = 4 };
    dmsc_lpfrag_cfg_t cfg;
    cfg_small(&cfg);
    cfg.max_partials = 8;
    cfg.max_total_bytes = 64 * 1024;
    rx_t rx;
    rx_init(&rx, &cfg);
    uint8_t **pkts = calloc(NPKT, sizeof *pkts);
    size_t *lens = calloc(NPKT, sizeof *lens);
    uint32_t *got = calloc(NPKT, sizeof *got);
    size_t cap = 24 * NPKT;
    wire_t *w = calloc(cap, sizeof *w);
    assert_true(pkts && lens && got && w);
    size_t nw = 0;
    uint64_t seq[NEP];
    for (int i = 0; i < NEP; i++)
        seq[i] = rng();

    for (uint32_t i = 0; i < NPKT; i++) {
        lens[i] = 8 + rng() % (DMSC_TLV_DGRAM_MAX - 8);
        pkts[i] = make_pkt(lens[i], i);
        uint64_t ep = rng() % NEP;
        size_t mtu = 1000 + rng() % 500;
        frames_t f;
        assert_int_equal(split(NULL, pkts[i], lens[i], mtu, 400, &seq[ep], &f), 0);
        for (uint32_t k = 0; k < f.count; k++) {
            uint64_t roll = rng() % 100;
            if (roll < 3) { /* lost */
                free(f.p[k]);
                continue;
            }
            int copies = roll < 6 ? 2 : 1; /* duplicated */
            for (int c = 0; c < copies; c++) {
                assert_true(nw < cap);
                w[nw].ep = ep;
                w[nw].pkt = i;
                w[nw].n = f.n[k];
                w[nw].p = malloc(f.n[k]);
                memcpy(w[nw].p, f.p[k], f.n[k]);
                nw++;
            }
            free(f.p[k]);
        }
        f.count = 0;
    }
    /* local reordering: swap within a window of 6 */
    for (size_t i = 0; i + 1 < nw; i++) {
        size_t j = i + rng() % 6;
        if (j < nw) {
            wire_t t = w[i];
            w[i] = w[j];
            w[j] = t;
        }
    }
    uint64_t now = 0, done = 0;
    for (size_t i = 0; i < nw; i++) {
        now += rng() % 3;
        int rc = rx_push(&rx, w[i].ep, w[i].p, w[i].n, now);
        assert_true(dmsc_lpfrag_reasm_bytes(rx.r) <= cfg.max_total_bytes);
        assert_true(dmsc_lpfrag_reasm_count(rx.r) <= cfg.max_partials);
        if (rc == DMSC_LPFRAG_DONE) {
            uint32_t id;
            assert_true(rx.res.fragment.n >= 8);
            size_t h = rx.res.fragment.n - 2 < 0xfd ? 2 : 4;
            memcpy(&id, rx.res.fragment.p + h, 4);
            assert_true(id < NPKT);
            assert_result(&rx, pkts[id], lens[id]);
            got[id]++;
            done++;
        } else {
            assert_true(rc == DMSC_LPFRAG_PENDING || rc == DMSC_EDUP);
        }
        free(w[i].p);
    }
    dmsc_lpfrag_reasm_expire(rx.r, now + cfg.timeout_ms);
    assert_int_equal(dmsc_lpfrag_reasm_count(rx.r), 0);
    assert_int_equal(dmsc_lpfrag_reasm_bytes(rx.r), 0);
    const dmsc_lpfrag_stats_t *st = stats(&rx);
    assert_true(st->delivered == done);
    assert_true(done > NPKT / 2); /* most packets survive 3% loss */
    assert_true(st->frags_in == nw);
    print_message("random: %zu frames, %llu delivered, %llu reassembled, %llu evicted, "
                  "%llu timed out, %llu dup drops\n",
                  nw, (unsigned long long)done, (unsigned long long)st->reassembled,
                  (unsigned long long)st->partials_evicted,
                  (unsigned long long)st->partials_timed_out,
                  (unsigned long long)st->drop[DMSC_LPFRAG_DROP_DUPLICATE]);
    for (uint32_t i = 0; i < NPKT; i++)
        free(pkts[i]);
    free(pkts);
    free(lens);
    free(got);
    free(w);
    rx_free(&rx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_sizes_and_reassemble),
        cmocka_unit_test(test_split_exact_counts),
        cmocka_unit_test(test_split_whole_with_headers),
        cmocka_unit_test(test_split_headers_on_first_fragment),
        cmocka_unit_test(test_split_errors),
        cmocka_unit_test(test_split_scatter_gather),
        cmocka_unit_test(test_reasm_fast_path),
        cmocka_unit_test(test_reasm_out_of_order_and_keys),
        cmocka_unit_test(test_reasm_sequence_wrap),
        cmocka_unit_test(test_reasm_duplicates),
        cmocka_unit_test(test_reasm_timeout),
        cmocka_unit_test(test_reasm_max_partials),
        cmocka_unit_test(test_reasm_size_bounds),
        cmocka_unit_test(test_reasm_memory_ceiling),
        cmocka_unit_test(test_reasm_memory_ceiling_keeps_current),
        cmocka_unit_test(test_reasm_bad_fragments),
        cmocka_unit_test(test_cfg_validation),
        cmocka_unit_test(test_reasm_free_with_partials),
        cmocka_unit_test(test_reasm_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
