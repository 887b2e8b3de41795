#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ndn/lp.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers ---- */

/* Decode from an exact-size heap copy so ASan sees any read past the end. */
static int decode_exact(const uint8_t *p, size_t n, dmsc_lp_t *lp, uint8_t **copy)
{
    uint8_t *b = malloc(n ? n : 1);
    assert_non_null(b);
    if (n) memcpy(b, p, n);
    int rc = dmsc_lp_decode(n ? b : NULL, n, DMSC_TLV_MAX_PACKET, lp);
    *copy = b;
    return rc;
}

static int decode_rc(const uint8_t *p, size_t n)
{
    dmsc_lp_t lp;
    uint8_t *copy;
    int rc = decode_exact(p, n, &lp, &copy);
    free(copy);
    return rc;
}

/* Encode lp into buf (backward from the end); returns the output slice. */
static dmsc_slice_t encode_ok(const dmsc_lp_t *lp, uint8_t *buf, size_t cap)
{
    dmsc_enc_t e;
    dmsc_enc_init(&e, buf, cap);
    assert_int_equal(dmsc_lp_encode(&e, lp), 0);
    dmsc_slice_t out = dmsc_slice(dmsc_enc_data(&e), cap - dmsc_enc_mark(&e));
    assert_int_equal(out.n, dmsc_lp_encoded_size(lp));
    return out;
}

static void assert_bytes(dmsc_slice_t got, const uint8_t *want, size_t n)
{
    assert_int_equal(got.n, n);
    assert_memory_equal(got.p, want, n);
}

static bool slice_in(dmsc_slice_t s, const uint8_t *p, size_t n)
{
    return s.n == 0 || (s.p >= p && s.p + s.n <= p + n);
}

/* All Ack values of a decoded (acks_raw) or to-be-encoded (acks / acks_ext) packet. */
static void ack_list(const dmsc_lp_t *lp, uint64_t *out)
{
    if (lp->acks_raw.n) {
        dmsc_lp_ack_iter_t it;
        uint32_t n = 0;
        dmsc_lp_ack_iter_init(&it, lp);
        while (dmsc_lp_ack_iter_next(&it, &out[n]))
            n++;
        assert_int_equal(n, lp->n_acks);
    } else {
        const uint64_t *src = lp->acks_ext ? lp->acks_ext : lp->acks;
        memcpy(out, src, lp->n_acks * sizeof *out);
    }
}

/* Field-by-field equality of two packets (slices by content). */
static void assert_lp_equal(const dmsc_lp_t *a, const dmsc_lp_t *b)
{
    assert_int_equal(a->has, b->has);
    uint32_t h = a->has;
    if (h & DMSC_LP_HAS_SEQ) assert_true(a->seq == b->seq);
    assert_true(a->frag_index == b->frag_index);
    assert_true(a->frag_count == b->frag_count);
    if (h & DMSC_LP_HAS_PIT_TOKEN) assert_true(dmsc_slice_eq(a->pit_token, b->pit_token));
    if (h & DMSC_LP_HAS_NACK) assert_true(a->nack_reason == b->nack_reason);
    if (h & DMSC_LP_HAS_INCOMING_FACE_ID) assert_true(a->incoming_face_id == b->incoming_face_id);
    if (h & DMSC_LP_HAS_NEXT_HOP_FACE_ID) assert_true(a->next_hop_face_id == b->next_hop_face_id);
    if (h & DMSC_LP_HAS_CACHE_POLICY) assert_true(a->cache_policy == b->cache_policy);
    if (h & DMSC_LP_HAS_CONGESTION_MARK) assert_true(a->congestion_mark == b->congestion_mark);
    if (h & DMSC_LP_HAS_TX_SEQ) assert_true(a->tx_seq == b->tx_seq);
    assert_int_equal(a->n_acks, b->n_acks);
    if (h & DMSC_LP_HAS_ACK) {
        uint64_t va[64], vb[64];
        assert_true(a->n_acks <= 64);
        ack_list(a, va);
        ack_list(b, vb);
        for (uint32_t i = 0; i < a->n_acks; i++)
            assert_true(va[i] == vb[i]);
    }
    if (h & DMSC_LP_HAS_PREFIX_ANN) assert_true(dmsc_slice_eq(a->prefix_ann, b->prefix_ann));
    if (h & DMSC_LP_HAS_FRAGMENT) assert_true(dmsc_slice_eq(a->fragment, b->fragment));
}

/* An LpPacket with every field (computed independently of this encoder). */
static const uint8_t ALL_FIELDS[] = {
    0x64, 0x6e,                                                 /* LpPacket */
    0x51, 0x08, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, /* Sequence */
    0x52, 0x01, 0x02,                                           /* FragIndex 2 */
    0x53, 0x01, 0x03,                                           /* FragCount 3 */
    0x62, 0x04, 0xa1, 0xa2, 0xa3, 0xa4,                         /* PitToken */
    0xfd, 0x03, 0x20, 0x05, 0xfd, 0x03, 0x21, 0x01, 0x96,       /* Nack{NoRoute} */
    0xfd, 0x03, 0x2c, 0x02, 0x01, 0x2c,                         /* IncomingFaceId 300 */
    0xfd, 0x03, 0x30, 0x01, 0x07,                               /* NextHopFaceId 7 */
    0xfd, 0x03, 0x34, 0x05, 0xfd, 0x03, 0x35, 0x01, 0x01,       /* CachePolicy{NoCache} */
    0xfd, 0x03, 0x40, 0x01, 0x01,                               /* CongestionMark 1 */
    0xfd, 0x03, 0x44, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x11, 0x11, /* Ack */
    0xfd, 0x03, 0x44, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x22, 0x22, /* Ack */
    0xfd, 0x03, 0x48, 0x08, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10, /* TxSequence */
    0xfd, 0x03, 0x4c, 0x00,                                                 /* NonDiscovery */
    0xfd, 0x03, 0x50, 0x04, 0x06, 0x02, 0x07, 0x00, /* PrefixAnnouncement{Data} */
    0x50, 0x04, 0x05, 0x02, 0x07, 0x00,             /* Fragment */
};
static const uint8_t TOKEN4[] = {0xa1, 0xa2, 0xa3, 0xa4};
static const uint8_t PA_DATA[] = {0x06, 0x02, 0x07, 0x00};
static const uint8_t FRAG4[] = {0x05, 0x02, 0x07, 0x00};

static void fill_all_fields(dmsc_lp_t *lp)
{
    dmsc_lp_init(lp);
    lp->has = DMSC_LP_HAS_SEQ | DMSC_LP_HAS_FRAG_INDEX | DMSC_LP_HAS_FRAG_COUNT |
              DMSC_LP_HAS_PIT_TOKEN | DMSC_LP_HAS_NACK | DMSC_LP_HAS_INCOMING_FACE_ID |
              DMSC_LP_HAS_NEXT_HOP_FACE_ID | DMSC_LP_HAS_CACHE_POLICY |
              DMSC_LP_HAS_CONGESTION_MARK | DMSC_LP_HAS_ACK | DMSC_LP_HAS_TX_SEQ |
              DMSC_LP_HAS_NON_DISCOVERY | DMSC_LP_HAS_PREFIX_ANN | DMSC_LP_HAS_FRAGMENT;
    lp->seq = 0x0102030405060708ull;
    lp->frag_index = 2;
    lp->frag_count = 3;
    lp->pit_token = dmsc_slice(TOKEN4, sizeof TOKEN4);
    lp->nack_reason = DMSC_LP_NACK_NO_ROUTE;
    lp->incoming_face_id = 300;
    lp->next_hop_face_id = 7;
    lp->cache_policy = DMSC_LP_CACHE_NO_CACHE;
    lp->congestion_mark = 1;
    lp->n_acks = 2;
    lp->acks[0] = 0x1111;
    lp->acks[1] = 0x2222;
    lp->tx_seq = 0xfedcba9876543210ull;
    lp->prefix_ann = dmsc_slice(PA_DATA, sizeof PA_DATA);
    lp->fragment = dmsc_slice(FRAG4, sizeof FRAG4);
}

/* ---- known answers ---- */

static void test_all_fields_known_answer(void **state)
{
    dmsc_lp_t lp, want;
    uint8_t *copy;
    fill_all_fields(&want);

    uint8_t buf[256];
    assert_bytes(encode_ok(&want, buf, sizeof buf), ALL_FIELDS, sizeof ALL_FIELDS);

    assert_int_equal(decode_exact(ALL_FIELDS, sizeof ALL_FIELDS, &lp, &copy), 0);
    assert_false(lp.bare);
    assert_int_equal(lp.n_ignored, 0);
    assert_lp_equal(&lp, &want);
    assert_int_equal(lp.n_acks, 2);
    assert_true(lp.acks[0] == 0x1111 && lp.acks[1] == 0x2222);
    assert_int_equal(lp.acks_raw.n, 24);
    assert_ptr_equal(lp.acks_raw.p, copy + 58);
    /* zero copy: slices point into the input */
    assert_ptr_equal(lp.fragment.p, copy + sizeof ALL_FIELDS - 4);
    assert_ptr_equal(lp.pit_token.p, copy + 20);
    assert_ptr_equal(lp.headers.p, copy + 2);
    assert_int_equal(lp.headers.n, sizeof ALL_FIELDS - 2 - 6);
    assert_int_equal(dmsc_lp_fields_size(&want), lp.headers.n);
    free(copy);
}

/* Vectors from ndn-cxx tests/unit/lp/packet.t.cpp (interop). */
static void test_ndncxx_vectors(void **state)
{
    static const uint8_t seq_frag[] = {0x64, 0x0e, 0x51, 0x08, 0x00, 0x00, 0x00, 0x00,
                                       0x00, 0x00, 0x03, 0xe8, 0x50, 0x02, 0x03, 0xe8};
    static const uint8_t nack_dup[] = {0x64, 0x09, 0xfd, 0x03, 0x20, 0x05,
                                       0xfd, 0x03, 0x21, 0x01, 0x64};
    static const uint8_t non_disc[] = {0x64, 0x04, 0xfd, 0x03, 0x4c, 0x00};
    static const uint8_t sort_order[] = {0x64, 0x2e, 0x52, 0x01, 0x00, 0x53, 0x01, 0x01, 0xfd, 0x03,
                                         0x44, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
                                         0xfd, 0x03, 0x44, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                         0x00, 0x04, 0xfd, 0x03, 0x44, 0x08, 0x00, 0x00, 0x00, 0x00,
                                         0x00, 0x00, 0x00, 0x03, 0x50, 0x02, 0x03, 0xe8};
    static const uint8_t frag[] = {0x03, 0xe8};
    uint8_t buf[128];
    dmsc_lp_t lp, got;
    uint8_t *copy;

    dmsc_lp_init(&lp);
    lp.has = DMSC_LP_HAS_SEQ | DMSC_LP_HAS_FRAGMENT;
    lp.seq = 1000;
    lp.fragment = dmsc_slice(frag, 2);
    assert_bytes(encode_ok(&lp, buf, sizeof buf), seq_frag, sizeof seq_frag);
    assert_int_equal(decode_exact(seq_frag, sizeof seq_frag, &got, &copy), 0);
    assert_lp_equal(&got, &lp);
    free(copy);

    dmsc_lp_init(&lp);
    lp.has = DMSC_LP_HAS_NACK;
    lp.nack_reason = DMSC_LP_NACK_DUPLICATE;
    assert_bytes(encode_ok(&lp, buf, sizeof buf), nack_dup, sizeof nack_dup);
    assert_int_equal(decode_exact(nack_dup, sizeof nack_dup, &got, &copy), 0);
    assert_lp_equal(&got, &lp);
    free(copy);

    dmsc_lp_init(&lp);
    lp.has = DMSC_LP_HAS_NON_DISCOVERY;
    assert_bytes(encode_ok(&lp, buf, sizeof buf), non_disc, sizeof non_disc);
    assert_int_equal(decode_exact(non_disc, sizeof non_disc, &got, &copy), 0);
    assert_lp_equal(&got, &lp);
    free(copy);

    /* Acks keep their order (2, 4, 3), and FragIndex 0 / FragCount 1 are explicit */
    dmsc_lp_init(&lp);
    lp.has =
        DMSC_LP_HAS_FRAG_INDEX | DMSC_LP_HAS_FRAG_COUNT | DMSC_LP_HAS_ACK | DMSC_LP_HAS_FRAGMENT;
    lp.frag_index = 0;
    lp.frag_count = 1;
    lp.n_acks = 3;
    lp.acks[0] = 2;
    lp.acks[1] = 4;
    lp.acks[2] = 3;
    lp.fragment = dmsc_slice(frag, 2);
    assert_bytes(encode_ok(&lp, buf, sizeof buf), sort_order, sizeof sort_order);
    assert_int_equal(decode_exact(sort_order, sizeof sort_order, &got, &copy), 0);
    assert_lp_equal(&got, &lp);
    assert_true(got.acks[0] == 2 && got.acks[1] == 4 && got.acks[2] == 3);
    free(copy);

    /* IDLE with fragmentation fields and no Fragment; empty LpPacket */
    static const uint8_t idle[] = {0x64, 0x06, 0x52, 0x01, 0x00, 0x53, 0x01, 0x01};
    assert_int_equal(decode_exact(idle, sizeof idle, &got, &copy), 0);
    assert_int_equal(got.has, DMSC_LP_HAS_FRAG_INDEX | DMSC_LP_HAS_FRAG_COUNT);
    free(copy);
    static const uint8_t empty[] = {0x64, 0x00};
    assert_int_equal(decode_exact(empty, sizeof empty, &got, &copy), 0);
    assert_int_equal(got.has, 0);
    assert_int_equal(got.headers.n, 0);
    free(copy);

    /* Sequence is fixed-width: a 4-octet Sequence is malformed */
    static const uint8_t seq4[] = {0x64, 0x0a, 0x51, 0x04, 0xa4, 0xa5,
                                   0xa6, 0xa7, 0x50, 0x02, 0xff, 0xff};
    assert_int_equal(decode_rc(seq4, sizeof seq4), DMSC_ELPHDR);
    static const uint8_t seq8[] = {0x64, 0x0e, 0x51, 0x08, 0xa0, 0xa1, 0xa2, 0xa3,
                                   0xa4, 0xa5, 0xa6, 0xa7, 0x50, 0x02, 0xff, 0xff};
    assert_int_equal(decode_exact(seq8, sizeof seq8, &got, &copy), 0);
    assert_true(got.seq == 0xa0a1a2a3a4a5a6a7ull);
    free(copy);
}

/* ---- every field alone, with and without a Fragment ---- */

static void test_each_field_roundtrip(void **state)
{
    static const uint64_t nni_vals[] = {
        0, 1, 255, 256, 65535, 65536, 0xffffffffull, 0x100000000ull, UINT64_MAX};
    static const uint8_t tok32[32] = {1, 2, 3, [31] = 0xee};
    static const uint8_t tok1[1] = {0x42};
    uint8_t buf[512];

    for (int with_frag = 0; with_frag < 2; with_frag++) {
        for (int field = 0; field < 13; field++) {
            for (size_t vi = 0; vi < ARRAY_LEN(nni_vals); vi++) {
                dmsc_lp_t lp, got;
                uint8_t *copy;
                uint64_t v = nni_vals[vi];
                dmsc_lp_init(&lp);
                switch (field) {
                case 0:
                    lp.has = DMSC_LP_HAS_SEQ;
                    lp.seq = v;
                    break;
                case 1: /* FragIndex needs FragCount above it */
                    if (v == UINT64_MAX) continue;
                    lp.has = DMSC_LP_HAS_FRAG_INDEX | DMSC_LP_HAS_FRAG_COUNT;
                    lp.frag_index = v;
                    lp.frag_count = v + 1;
                    break;
                case 2:
                    if (v == 0) continue;
                    lp.has = DMSC_LP_HAS_FRAG_COUNT;
                    lp.frag_count = v;
                    break;
                case 3:
                    lp.has = DMSC_LP_HAS_PIT_TOKEN;
                    lp.pit_token = vi & 1 ? dmsc_slice(tok32, 32) : dmsc_slice(tok1, 1);
                    break;
                case 4:
                    lp.has = DMSC_LP_HAS_NACK;
                    lp.nack_reason = v;
                    break;
                case 5:
                    lp.has = DMSC_LP_HAS_INCOMING_FACE_ID;
                    lp.incoming_face_id = v;
                    break;
                case 6:
                    lp.has = DMSC_LP_HAS_NEXT_HOP_FACE_ID;
                    lp.next_hop_face_id = v;
                    break;
                case 7:
                    lp.has = DMSC_LP_HAS_CACHE_POLICY;
                    lp.cache_policy = v;
                    break;
                case 8:
                    lp.has = DMSC_LP_HAS_CONGESTION_MARK;
                    lp.congestion_mark = v;
                    break;
                case 9:
                    lp.has = DMSC_LP_HAS_ACK;
                    lp.n_acks = 1;
                    lp.acks[0] = v;
                    break;
                case 10:
                    lp.has = DMSC_LP_HAS_TX_SEQ;
                    lp.tx_seq = v;
                    break;
                case 11:
                    lp.has = DMSC_LP_HAS_NON_DISCOVERY;
                    break;
                case 12:
                    lp.has = DMSC_LP_HAS_PREFIX_ANN;
                    lp.prefix_ann = dmsc_slice(PA_DATA, sizeof PA_DATA);
                    break;
                }
                if (with_frag) {
                    lp.has |= DMSC_LP_HAS_FRAGMENT;
                    lp.fragment = dmsc_slice(FRAG4, sizeof FRAG4);
                }
                dmsc_slice_t w = encode_ok(&lp, buf, sizeof buf);
                assert_int_equal(decode_exact(w.p, w.n, &got, &copy), 0);
                assert_lp_equal(&got, &lp);
                assert_int_equal(got.headers.n, dmsc_lp_fields_size(&lp));
                free(copy);
            }
        }
    }
}

static void test_many_acks(void **state)
{
    uint64_t acks[40];
    for (size_t i = 0; i < ARRAY_LEN(acks); i++)
        acks[i] = 1000 + i * 7;
    dmsc_lp_t lp, got;
    uint8_t *copy;
    uint8_t buf[1024];
    dmsc_lp_init(&lp);
    lp.has = DMSC_LP_HAS_ACK | DMSC_LP_HAS_TX_SEQ;
    lp.tx_seq = 5;
    lp.n_acks = ARRAY_LEN(acks);
    lp.acks_ext = acks;
    dmsc_slice_t w = encode_ok(&lp, buf, sizeof buf);
    assert_int_equal(decode_exact(w.p, w.n, &got, &copy), 0);
    assert_int_equal(got.n_acks, 40);
    for (size_t i = 0; i < DMSC_LP_ACKS_INLINE; i++)
        assert_true(got.acks[i] == acks[i]);
    dmsc_lp_ack_iter_t it;
    uint64_t v;
    size_t n = 0;
    dmsc_lp_ack_iter_init(&it, &got);
    while (dmsc_lp_ack_iter_next(&it, &v)) {
        assert_true(v == acks[n]);
        n++;
    }
    assert_int_equal(n, 40);
    assert_int_equal(got.acks_raw.n, 40 * 12);
    free(copy);

    /* more than INLINE without acks_ext is refused */
    lp.acks_ext = NULL;
    lp.n_acks = DMSC_LP_ACKS_INLINE + 1;
    assert_int_equal(dmsc_lp_validate(&lp), DMSC_EINVAL);

    /* no Ack: the iterator is empty */
    dmsc_lp_init(&got);
    dmsc_lp_ack_iter_init(&it, &got);
    assert_false(dmsc_lp_ack_iter_next(&it, &v));
}

/* ---- unknown header fields ---- */

/* LpPacket{ FragIndex 0, <type>{0x02}, Fragment{03 e8} } */
static size_t make_unknown(uint8_t *out, uint64_t type)
{
    dmsc_enc_t e;
    static const uint8_t frag[] = {0x03, 0xe8};
    static const uint8_t one[] = {0x02};
    dmsc_enc_init(&e, out, 64);
    dmsc_enc_prepend_tlv(&e, DMSC_TT_LP_FRAGMENT, frag, 2);
    dmsc_enc_prepend_tlv(&e, type, one, 1);
    dmsc_enc_prepend_nni_tlv(&e, DMSC_TT_LP_FRAG_INDEX, 0);
    dmsc_enc_prepend_hdr(&e, DMSC_TT_LP_PACKET, 64 - dmsc_enc_mark(&e));
    size_t n = 64 - dmsc_enc_mark(&e);
    memmove(out, dmsc_enc_data(&e), n);
    return n;
}

static bool is_known(uint64_t t)
{
    static const uint64_t k[] = {800, 812, 816, 820, 832, 836, 840, 844, 848};
    for (size_t i = 0; i < ARRAY_LEN(k); i++)
        if (k[i] == t) return true;
    return false;
}

static void test_unknown_field_rule(void **state)
{
    uint8_t buf[64];
    size_t n;
    dmsc_lp_t lp;
    uint8_t *copy;

    /* ndn-cxx: 804 is ignored, 802 cannot be ignored */
    n = make_unknown(buf, 804);
    assert_int_equal(decode_exact(buf, n, &lp, &copy), 0);
    assert_int_equal(lp.n_ignored, 1);
    assert_int_equal(lp.has, DMSC_LP_HAS_FRAG_INDEX | DMSC_LP_HAS_FRAGMENT);
    assert_int_equal(lp.headers.n, 3 + 5);
    free(copy);
    n = make_unknown(buf, 802);
    assert_int_equal(decode_rc(buf, n), DMSC_ECRITICAL);

    /* the whole [800, 959] range, both ways */
    size_t ignored = 0;
    for (uint64_t t = 800; t <= 959; t++) {
        if (is_known(t)) continue;
        n = make_unknown(buf, t);
        int rc = decode_rc(buf, n);
        if ((t & 3) == 0) {
            assert_int_equal(rc, 0);
            ignored++;
        } else {
            assert_int_equal(rc, DMSC_ECRITICAL);
        }
    }
    assert_int_equal(ignored, 40 - 9); /* 40 multiples of 4 in range, 9 known */

    /* outside the range: never ignored, whatever the low bits */
    static const uint64_t outside[] = {84,  96,  99,  100, 200,  252,    796,     797,       798,
                                       799, 960, 961, 964, 1000, 0xfffc, 0x10000, 0xfffffffc};
    for (size_t i = 0; i < ARRAY_LEN(outside); i++) {
        n = make_unknown(buf, outside[i]);
        assert_int_equal(decode_rc(buf, n), DMSC_ECRITICAL);
    }
    /* NackReason / CachePolicyType are not LpPacket header fields */
    n = make_unknown(buf, DMSC_TT_LP_NACK_REASON);
    assert_int_equal(decode_rc(buf, n), DMSC_ECRITICAL);
    n = make_unknown(buf, DMSC_TT_LP_CACHE_POLICY_TYPE);
    assert_int_equal(decode_rc(buf, n), DMSC_ECRITICAL);

    /* an ignored field takes part in the ordering rule */
    static const uint8_t ign_out_of_order[] = {0x64, 0x09, 0xfd, 0x03, 0x40, 0x01,
                                               0x01, 0xfd, 0x03, 0x24, 0x00};
    assert_int_equal(decode_rc(ign_out_of_order, sizeof ign_out_of_order), DMSC_EORDER);
    /* ... may repeat, and may follow the last known field */
    static const uint8_t ign_repeat[] = {0x64, 0x10, 0xfd, 0x03, 0x50, 0x04, 0x06, 0x02, 0x07,
                                         0x00, 0xfd, 0x03, 0xbc, 0x00, 0xfd, 0x03, 0xbc, 0x00};
    assert_int_equal(decode_exact(ign_repeat, sizeof ign_repeat, &lp, &copy), 0);
    assert_int_equal(lp.n_ignored, 2);
    assert_int_equal(lp.has, DMSC_LP_HAS_PREFIX_ANN);
    free(copy);
    /* ... and cannot come after the Fragment */
    static const uint8_t ign_after_frag[] = {0x64, 0x08, 0x50, 0x02, 0x03,
                                             0xe8, 0xfd, 0x03, 0x24, 0x00};
    assert_int_equal(decode_rc(ign_after_frag, sizeof ign_after_frag), DMSC_EORDER);
}

/* ---- ordering and duplicates ---- */

static void test_order_and_duplicates(void **state)
{
    static const struct {
        uint8_t in[24];
        size_t n;
        int rc;
    } cases[] = {
        /* FragCount before FragIndex */
        {{0x64, 0x0a, 0x53, 0x01, 0x01, 0x52, 0x01, 0x00, 0x50, 0x02, 0x03, 0xe8}, 12, DMSC_EORDER},
        /* header after Fragment */
        {{0x64, 0x0a, 0x52, 0x01, 0x00, 0x50, 0x02, 0x03, 0xe8, 0x53, 0x01, 0x01}, 12, DMSC_EORDER},
        /* two Fragments */
        {{0x64, 0x08, 0x50, 0x02, 0x03, 0xe8, 0x50, 0x02, 0x03, 0xe9}, 10, DMSC_EDUP},
        /* FragIndex twice */
        {{0x64, 0x06, 0x52, 0x01, 0x00, 0x52, 0x01, 0x01}, 8, DMSC_EDUP},
        /* PitToken twice */
        {{0x64, 0x06, 0x62, 0x01, 0xaa, 0x62, 0x01, 0xbb}, 8, DMSC_EDUP},
        /* NonDiscovery twice */
        {{0x64, 0x08, 0xfd, 0x03, 0x4c, 0x00, 0xfd, 0x03, 0x4c, 0x00}, 10, DMSC_EDUP},
        /* PitToken before Sequence */
        {{0x64, 0x0d, 0x62, 0x01, 0xaa, 0x51, 0x08, 0, 0, 0, 0, 0, 0, 0, 1}, 15, DMSC_EORDER},
        /* CongestionMark before Nack */
        {{0x64, 0x09, 0xfd, 0x03, 0x40, 0x01, 0x01, 0xfd, 0x03, 0x20, 0x00}, 11, DMSC_EORDER},
        /* IncomingFaceId (812) after NextHopFaceId (816) */
        {{0x64, 0x0a, 0xfd, 0x03, 0x30, 0x01, 0x01, 0xfd, 0x03, 0x2c, 0x01, 0x02}, 12, DMSC_EORDER},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++)
        assert_int_equal(decode_rc(cases[i].in, cases[i].n), cases[i].rc);

    /* TxSequence before Ack (built with the TLV writer) */
    uint8_t buf[64];
    dmsc_enc_t e;
    uint8_t z8[8] = {0};
    dmsc_enc_init(&e, buf, sizeof buf);
    dmsc_enc_prepend_tlv(&e, DMSC_TT_LP_ACK, z8, 8);
    dmsc_enc_prepend_tlv(&e, DMSC_TT_LP_TX_SEQUENCE, z8, 8);
    dmsc_enc_prepend_hdr(&e, DMSC_TT_LP_PACKET, sizeof buf - dmsc_enc_mark(&e));
    assert_int_equal(decode_rc(dmsc_enc_data(&e), sizeof buf - dmsc_enc_mark(&e)), DMSC_EORDER);

    /* Ack, then another field, then Ack again: order violation */
    dmsc_enc_init(&e, buf, sizeof buf);
    dmsc_enc_prepend_tlv(&e, DMSC_TT_LP_ACK, z8, 8);
    dmsc_enc_prepend_nni_tlv(&e, DMSC_TT_LP_CONGESTION_MARK, 1);
    dmsc_enc_prepend_tlv(&e, DMSC_TT_LP_ACK, z8, 8);
    dmsc_enc_prepend_hdr(&e, DMSC_TT_LP_PACKET, sizeof buf - dmsc_enc_mark(&e));
    assert_int_equal(decode_rc(dmsc_enc_data(&e), sizeof buf - dmsc_enc_mark(&e)), DMSC_EORDER);
}

/* ---- truncation and framing ---- */

static void test_truncation_every_offset(void **state)
{
    /* every proper prefix of a valid packet fails, and never reads past it */
    for (size_t k = 0; k < sizeof ALL_FIELDS; k++)
        assert_true(decode_rc(ALL_FIELDS, k) < 0);
    assert_int_equal(decode_rc(ALL_FIELDS, sizeof ALL_FIELDS), 0);

    /* the same with the outer TLV-LENGTH shrunk to match: the cut inner
     * element overruns the LpPacket value (unless the cut falls between
     * elements, which is a shorter valid packet or an order/field error) */
    uint8_t b[sizeof ALL_FIELDS];
    int n_trunc = 0;
    for (size_t k = 2; k < sizeof ALL_FIELDS; k++) {
        memcpy(b, ALL_FIELDS, k);
        b[1] = (uint8_t)(k - 2);
        int rc = decode_rc(b, k);
        if (rc == DMSC_ETRUNC)
            n_trunc++;
        else /* cut between elements: a shorter packet (FragIndex 2 may lose its FragCount) */
            assert_true(rc == 0 || rc == DMSC_ELPFRAG);
    }
    assert_true(n_trunc > 80);

    /* nested: Nack's TLV-LENGTH claims more than the NackReason holds */
    static const uint8_t nack_bad[] = {0x64, 0x09, 0xfd, 0x03, 0x20, 0x05,
                                       0xfd, 0x03, 0x21, 0x02, 0x64};
    assert_int_equal(decode_rc(nack_bad, sizeof nack_bad), DMSC_ETRUNC);
    /* CachePolicy holding a truncated element */
    static const uint8_t cp_bad[] = {0x64, 0x06, 0xfd, 0x03, 0x34, 0x02, 0xfd, 0x03};
    assert_int_equal(decode_rc(cp_bad, sizeof cp_bad), DMSC_ETRUNC);
    /* PrefixAnnouncement holding a truncated Data */
    static const uint8_t pa_bad[] = {0x64, 0x07, 0xfd, 0x03, 0x50, 0x03, 0x06, 0x05, 0x07};
    assert_int_equal(decode_rc(pa_bad, sizeof pa_bad), DMSC_ETRUNC);
}

static void test_top_level(void **state)
{
    /* bare Interest (ndn-cxx DecodeBareNetworkLayerPacket) */
    static const uint8_t interest[] = {0x05, 0x0a, 0x07, 0x02, 0x03, 0xe8,
                                       0x0a, 0x04, 0x01, 0x02, 0x03, 0x04};
    dmsc_lp_t lp;
    uint8_t *copy;
    assert_int_equal(decode_exact(interest, sizeof interest, &lp, &copy), 0);
    assert_true(lp.bare);
    assert_int_equal(lp.has, DMSC_LP_HAS_FRAGMENT);
    assert_ptr_equal(lp.fragment.p, copy);
    assert_int_equal(lp.fragment.n, sizeof interest);
    assert_int_equal(lp.headers.n, 0);
    assert_true(lp.frag_count == 1 && lp.frag_index == 0);
    free(copy);

    static const uint8_t data[] = {0x06, 0x02, 0x07, 0x00};
    assert_int_equal(decode_exact(data, sizeof data, &lp, &copy), 0);
    assert_true(lp.bare);
    assert_true(dmsc_slice_eq(lp.fragment, dmsc_slice(data, sizeof data)));
    free(copy);

    /* a truncated bare packet is still an error */
    for (size_t k = 0; k < sizeof interest; k++)
        assert_true(decode_rc(interest, k) < 0);

    /* other top-level types */
    static const uint8_t name[] = {0x07, 0x00};
    assert_int_equal(decode_rc(name, sizeof name), DMSC_ETYPE);
    static const uint8_t frag_top[] = {0x50, 0x01, 0x00};
    assert_int_equal(decode_rc(frag_top, sizeof frag_top), DMSC_ETYPE);
    static const uint8_t type0[] = {0x00, 0x00};
    assert_int_equal(decode_rc(type0, sizeof type0), DMSC_EVARNUM);
    static const uint8_t trailing[] = {0x64, 0x00, 0x00};
    assert_int_equal(decode_rc(trailing, sizeof trailing), DMSC_ETRAILING);
    static const uint8_t two[] = {0x05, 0x00, 0x06, 0x00};
    assert_int_equal(decode_rc(two, sizeof two), DMSC_ETRAILING);
    assert_int_equal(dmsc_lp_decode(NULL, 0, 100, &lp), DMSC_ETRUNC);

    /* size ceiling: 8800 on datagram paths */
    size_t big = DMSC_TLV_DGRAM_MAX;
    uint8_t *b = calloc(1, big + 1);
    assert_non_null(b);
    b[0] = 0x64;
    b[1] = 0xfd;
    b[2] = (uint8_t)((big - 4) >> 8);
    b[3] = (uint8_t)(big - 4);
    b[4] = 0x50;
    b[5] = 0xfd;
    b[6] = (uint8_t)((big - 8) >> 8);
    b[7] = (uint8_t)(big - 8);
    assert_int_equal(dmsc_lp_decode(b, big, DMSC_TLV_DGRAM_MAX, &lp), 0);
    assert_int_equal(lp.fragment.n, big - 8);
    assert_int_equal(dmsc_lp_decode(b, big + 1, DMSC_TLV_DGRAM_MAX, &lp), DMSC_ETOOBIG);
    assert_int_equal(dmsc_lp_decode(b, big, big - 1, &lp), DMSC_ETOOBIG);
    free(b);
}

/* ---- field format errors ---- */

static void test_field_format_errors(void **state)
{
    static const struct {
        uint8_t in[48];
        size_t n;
        int rc;
    } cases[] = {
        /* Sequence of 7 / 9 octets */
        {{0x64, 0x09, 0x51, 0x07, 0, 0, 0, 0, 0, 0, 0}, 11, DMSC_ELPHDR},
        {{0x64, 0x0b, 0x51, 0x09, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 13, DMSC_ELPHDR},
        /* FragIndex / FragCount of 3 octets, or empty */
        {{0x64, 0x05, 0x52, 0x03, 0, 0, 0}, 7, DMSC_ENNI},
        {{0x64, 0x02, 0x53, 0x00}, 4, DMSC_ENNI},
        /* PitToken empty, 33 octets */
        {{0x64, 0x02, 0x62, 0x00}, 4, DMSC_ELPHDR},
        {{0x64, 0x23, 0x62, 0x21}, 37, DMSC_ELPHDR},
        /* NackReason 3 octets; duplicate; unknown critical sub-element */
        {{0x64, 0x0b, 0xfd, 0x03, 0x20, 0x07, 0xfd, 0x03, 0x21, 0x03, 0, 0, 0x64}, 13, DMSC_ENNI},
        {{0x64, 0x0e, 0xfd, 0x03, 0x20, 0x0a, 0xfd, 0x03, 0x21, 0x01, 0x32, 0xfd, 0x03, 0x21, 0x01,
          0x64},
         16,
         DMSC_EDUP},
        {{0x64, 0x06, 0xfd, 0x03, 0x20, 0x02, 0x01, 0x00}, 8, DMSC_ECRITICAL},
        /* IncomingFaceId / NextHopFaceId / CongestionMark bad NNI */
        {{0x64, 0x07, 0xfd, 0x03, 0x2c, 0x03, 0, 0, 1}, 9, DMSC_ENNI},
        {{0x64, 0x04, 0xfd, 0x03, 0x30, 0x00}, 6, DMSC_ENNI},
        {{0x64, 0x09, 0xfd, 0x03, 0x40, 0x05, 0, 0, 0, 0, 1}, 11, DMSC_ENNI},
        /* CachePolicy empty; CachePolicyType bad NNI; duplicate type */
        {{0x64, 0x04, 0xfd, 0x03, 0x34, 0x00}, 6, DMSC_ELPHDR},
        {{0x64, 0x08, 0xfd, 0x03, 0x34, 0x04, 0xfd, 0x03, 0x35, 0x00}, 10, DMSC_ENNI},
        {{0x64, 0x0e, 0xfd, 0x03, 0x34, 0x0a, 0xfd, 0x03, 0x35, 0x01, 0x01, 0xfd, 0x03, 0x35, 0x01,
          0x01},
         16,
         DMSC_EDUP},
        /* Ack / TxSequence not 8 octets */
        {{0x64, 0x05, 0xfd, 0x03, 0x44, 0x01, 0x01}, 7, DMSC_ELPHDR},
        {{0x64, 0x0d, 0xfd, 0x03, 0x48, 0x09, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 15, DMSC_ELPHDR},
        /* NonDiscovery with a value */
        {{0x64, 0x05, 0xfd, 0x03, 0x4c, 0x01, 0x00}, 7, DMSC_ELPHDR},
        /* PrefixAnnouncement: empty, not Data, Data plus trailing bytes */
        {{0x64, 0x04, 0xfd, 0x03, 0x50, 0x00}, 6, DMSC_ELPHDR},
        {{0x64, 0x06, 0xfd, 0x03, 0x50, 0x02, 0x05, 0x00}, 8, DMSC_ELPHDR},
        {{0x64, 0x07, 0xfd, 0x03, 0x50, 0x03, 0x06, 0x00, 0x00}, 9, DMSC_ELPHDR},
        /* Fragment empty */
        {{0x64, 0x02, 0x50, 0x00}, 4, DMSC_ELPFRAG},
        /* FragIndex >= FragCount; FragCount 0; FragIndex 1 with FragCount absent */
        {{0x64, 0x06, 0x52, 0x01, 0x02, 0x53, 0x01, 0x02}, 8, DMSC_ELPFRAG},
        {{0x64, 0x03, 0x53, 0x01, 0x00}, 5, DMSC_ELPFRAG},
        {{0x64, 0x03, 0x52, 0x01, 0x01}, 5, DMSC_ELPFRAG},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        int rc = decode_rc(cases[i].in, cases[i].n);
        if (rc != cases[i].rc)
            print_error("case %zu: got %s want %s\n", i, dmsc_errname(rc),
                        dmsc_errname(cases[i].rc));
        assert_int_equal(rc, cases[i].rc);
    }

    /* lenient where the spec allows: non-critical unknown inside Nack and
     * CachePolicy, unknown NackReason and CachePolicyType codes, 32-octet
     * PitToken, non-minimal NNI */
    static const uint8_t nack_ext[] = {0x64, 0x0b, 0xfd, 0x03, 0x20, 0x07, 0xfd,
                                       0x03, 0x21, 0x01, 0xc8, 0x20, 0x00};
    dmsc_lp_t lp;
    uint8_t *copy;
    assert_int_equal(decode_exact(nack_ext, sizeof nack_ext, &lp, &copy), 0);
    assert_true(lp.nack_reason == 200);
    assert_true(dmsc_lp_nack_reason_known(lp.nack_reason) == DMSC_LP_NACK_NONE);
    free(copy);
    static const uint8_t cp_ext[] = {0x64, 0x0b, 0xfd, 0x03, 0x34, 0x07, 0xfd,
                                     0x03, 0x35, 0x01, 0x02, 0x40, 0x00};
    assert_int_equal(decode_exact(cp_ext, sizeof cp_ext, &lp, &copy), 0);
    assert_true(lp.cache_policy == 2);
    free(copy);
    uint8_t tok[2 + 2 + 32] = {0x64, 34, 0x62, 32};
    assert_int_equal(decode_exact(tok, sizeof tok, &lp, &copy), 0);
    assert_int_equal(lp.pit_token.n, 32);
    free(copy);
    static const uint8_t nni8[] = {0x64, 0x0d, 0x53, 0x08, 0, 0, 0, 0, 0, 0, 0, 5, 0x50, 0x01, 0};
    assert_int_equal(decode_exact(nni8, sizeof nni8, &lp, &copy), 0);
    assert_true(lp.frag_count == 5);
    free(copy);
}

/* ---- Nack, PitToken echo, keep-alive ---- */

static void test_nack(void **state)
{
    static const uint8_t interest[] = {0x05, 0x03, 0x07, 0x01, 0x08};
    static const uint8_t tok[] = {0xca, 0xfe};
    static const uint64_t reasons[] = {DMSC_LP_NACK_NONE, DMSC_LP_NACK_CONGESTION,
                                       DMSC_LP_NACK_DUPLICATE, DMSC_LP_NACK_NO_ROUTE};
    static const char *names[] = {"None", "Congestion", "Duplicate", "NoRoute"};
    uint8_t buf[64];
    for (size_t i = 0; i < ARRAY_LEN(reasons); i++) {
        for (int with_tok = 0; with_tok < 2; with_tok++) {
            dmsc_enc_t e;
            dmsc_lp_t lp;
            uint8_t *copy;
            dmsc_enc_init(&e, buf, sizeof buf);
            assert_int_equal(dmsc_lp_encode_nack(&e, reasons[i],
                                                 dmsc_slice(tok, with_tok ? sizeof tok : 0),
                                                 dmsc_slice(interest, sizeof interest)),
                             0);
            size_t n = sizeof buf - dmsc_enc_mark(&e);
            assert_int_equal(decode_exact(dmsc_enc_data(&e), n, &lp, &copy), 0);
            uint32_t want = DMSC_LP_HAS_NACK | DMSC_LP_HAS_FRAGMENT;
            if (with_tok) want |= DMSC_LP_HAS_PIT_TOKEN;
            assert_int_equal(lp.has, want);
            assert_true(lp.nack_reason == reasons[i]);
            assert_true(dmsc_lp_nack_reason_known(lp.nack_reason) == reasons[i]);
            assert_string_equal(dmsc_lp_nack_reason_str(lp.nack_reason), names[i]);
            assert_true(dmsc_slice_eq(lp.fragment, dmsc_slice(interest, sizeof interest)));
            if (with_tok) assert_true(dmsc_slice_eq(lp.pit_token, dmsc_slice(tok, sizeof tok)));
            free(copy);
        }
    }

    /* exact bytes: Congestion with a PitToken */
    static const uint8_t want[] = {0x64, 0x14, 0x62, 0x02, 0xca, 0xfe, 0xfd, 0x03,
                                   0x20, 0x05, 0xfd, 0x03, 0x21, 0x01, 0x32, 0x50,
                                   0x05, 0x05, 0x03, 0x07, 0x01, 0x08};
    dmsc_enc_t e;
    dmsc_enc_init(&e, buf, sizeof buf);
    assert_int_equal(dmsc_lp_encode_nack(&e, DMSC_LP_NACK_CONGESTION, dmsc_slice(tok, 2),
                                         dmsc_slice(interest, sizeof interest)),
                     0);
    assert_bytes(dmsc_slice(dmsc_enc_data(&e), sizeof buf - dmsc_enc_mark(&e)), want, sizeof want);
    /* Nack without reason: empty Nack element */
    static const uint8_t want_none[] = {0x64, 0x0b, 0xfd, 0x03, 0x20, 0x00, 0x50,
                                        0x05, 0x05, 0x03, 0x07, 0x01, 0x08};
    dmsc_enc_init(&e, buf, sizeof buf);
    assert_int_equal(dmsc_lp_encode_nack(&e, DMSC_LP_NACK_NONE, dmsc_slice(NULL, 0),
                                         dmsc_slice(interest, sizeof interest)),
                     0);
    assert_bytes(dmsc_slice(dmsc_enc_data(&e), sizeof buf - dmsc_enc_mark(&e)), want_none,
                 sizeof want_none);
    /* empty interest refused */
    dmsc_enc_init(&e, buf, sizeof buf);
    assert_int_equal(dmsc_lp_encode_nack(&e, 50, dmsc_slice(NULL, 0), dmsc_slice(NULL, 0)),
                     DMSC_EINVAL);
    assert_string_equal(dmsc_lp_nack_reason_str(151), "None");
}

static void test_pit_token_echo(void **state)
{
    /* an Interest arrives with a PitToken ... */
    static const uint8_t in[] = {0x64, 0x0d, 0x62, 0x04, 0x01, 0x02, 0x03, 0x04,
                                 0x50, 0x05, 0x05, 0x03, 0x07, 0x01, 0x08};
    static const uint8_t data[] = {0x06, 0x03, 0x07, 0x01, 0x08};
    dmsc_lp_t lp, got;
    uint8_t *copy, *copy2;
    assert_int_equal(decode_exact(in, sizeof in, &lp, &copy), 0);
    assert_int_equal(lp.has, DMSC_LP_HAS_PIT_TOKEN | DMSC_LP_HAS_FRAGMENT);

    /* ... and the Data goes back with the same token */
    static const uint8_t want[] = {0x64, 0x0d, 0x62, 0x04, 0x01, 0x02, 0x03, 0x04,
                                   0x50, 0x05, 0x06, 0x03, 0x07, 0x01, 0x08};
    uint8_t buf[64];
    dmsc_enc_t e;
    dmsc_enc_init(&e, buf, sizeof buf);
    assert_int_equal(dmsc_lp_encode_pit_echo(&e, lp.pit_token, dmsc_slice(data, sizeof data)), 0);
    dmsc_slice_t w = dmsc_slice(dmsc_enc_data(&e), sizeof buf - dmsc_enc_mark(&e));
    assert_bytes(w, want, sizeof want);
    assert_int_equal(decode_exact(w.p, w.n, &got, &copy2), 0);
    assert_true(dmsc_slice_eq(got.pit_token, lp.pit_token));
    free(copy2);
    free(copy);

    /* no token on the request: the reply is the bare packet */
    dmsc_enc_init(&e, buf, sizeof buf);
    assert_int_equal(dmsc_lp_encode_pit_echo(&e, dmsc_slice(NULL, 0), dmsc_slice(data, 5)), 0);
    assert_bytes(dmsc_slice(dmsc_enc_data(&e), sizeof buf - dmsc_enc_mark(&e)), data, 5);

    /* a token over 32 octets is refused, nothing written */
    uint8_t tok33[33] = {0};
    dmsc_enc_init(&e, buf, sizeof buf);
    assert_int_equal(dmsc_lp_encode_pit_echo(&e, dmsc_slice(tok33, 33), dmsc_slice(data, 5)),
                     DMSC_EINVAL);
    assert_int_equal(dmsc_enc_mark(&e), sizeof buf);
    assert_int_equal(dmsc_lp_encode_pit_echo(&e, dmsc_slice(tok33, 1), dmsc_slice(NULL, 0)),
                     DMSC_EINVAL);
}

static void test_keepalive(void **state)
{
    uint8_t buf[8];
    dmsc_enc_t e;
    dmsc_enc_init(&e, buf, sizeof buf);
    assert_int_equal(dmsc_lp_encode_idle(&e), 0);
    static const uint8_t want[] = {0x64, 0x00};
    dmsc_slice_t w = dmsc_slice(dmsc_enc_data(&e), sizeof buf - dmsc_enc_mark(&e));
    assert_bytes(w, want, 2);
    dmsc_lp_t lp;
    assert_int_equal(dmsc_lp_decode(w.p, w.n, DMSC_TLV_DGRAM_MAX, &lp), 0);
    assert_int_equal(lp.has, 0);
    assert_false(lp.bare);
    /* an empty dmsc_lp_t encodes to the same */
    dmsc_lp_init(&lp);
    assert_bytes(encode_ok(&lp, buf, sizeof buf), want, 2);
    /* one byte of room is not enough */
    dmsc_enc_init(&e, buf, 1);
    assert_int_equal(dmsc_lp_encode_idle(&e), DMSC_ENOBUFS);
}

/* ---- encoder errors and scatter-gather ---- */

static void test_encode_errors(void **state)
{
    dmsc_lp_t lp;
    uint8_t buf[256];
    dmsc_enc_t e;
    static const uint8_t tok33[33];

    dmsc_lp_init(&lp);
    lp.has = DMSC_LP_HAS_PIT_TOKEN;
    lp.pit_token = dmsc_slice(tok33, 0);
    assert_int_equal(dmsc_lp_validate(&lp), DMSC_EINVAL);
    lp.pit_token = dmsc_slice(tok33, 33);
    assert_int_equal(dmsc_lp_validate(&lp), DMSC_EINVAL);
    lp.pit_token = dmsc_slice(tok33, 32);
    assert_int_equal(dmsc_lp_validate(&lp), 0);

    dmsc_lp_init(&lp);
    lp.has = DMSC_LP_HAS_FRAGMENT;
    lp.fragment = dmsc_slice(NULL, 0);
    assert_int_equal(dmsc_lp_validate(&lp), DMSC_EINVAL);

    dmsc_lp_init(&lp);
    lp.has = DMSC_LP_HAS_FRAG_INDEX;
    lp.frag_index = 1; /* FragCount absent = 1 */
    assert_int_equal(dmsc_lp_validate(&lp), DMSC_EINVAL);
    lp.has |= DMSC_LP_HAS_FRAG_COUNT;
    lp.frag_count = 1;
    assert_int_equal(dmsc_lp_validate(&lp), DMSC_EINVAL);
    lp.frag_count = 2;
    assert_int_equal(dmsc_lp_validate(&lp), 0);
    lp.has = DMSC_LP_HAS_FRAG_COUNT;
    lp.frag_count = 0;
    assert_int_equal(dmsc_lp_validate(&lp), DMSC_EINVAL);

    dmsc_lp_init(&lp);
    lp.has = DMSC_LP_HAS_ACK;
    lp.n_acks = 0;
    assert_int_equal(dmsc_lp_validate(&lp), DMSC_EINVAL);

    dmsc_lp_init(&lp);
    lp.has = DMSC_LP_HAS_PREFIX_ANN;
    assert_int_equal(dmsc_lp_validate(&lp), DMSC_EINVAL);

    /* EINVAL writes nothing */
    dmsc_lp_init(&lp);
    lp.has = DMSC_LP_HAS_PIT_TOKEN;
    dmsc_enc_init(&e, buf, sizeof buf);
    assert_int_equal(dmsc_lp_encode(&e, &lp), DMSC_EINVAL);
    assert_int_equal(dmsc_enc_mark(&e), sizeof buf);
    assert_false(e.overflow);

    /* every buffer smaller than the packet overflows; the exact size fits */
    fill_all_fields(&lp);
    size_t need = dmsc_lp_encoded_size(&lp);
    assert_int_equal(need, sizeof ALL_FIELDS);
    for (size_t cap = 0; cap < need; cap++) {
        dmsc_enc_init(&e, buf, cap);
        assert_int_equal(dmsc_lp_encode(&e, &lp), DMSC_ENOBUFS);
    }
    dmsc_enc_init(&e, buf, need);
    assert_int_equal(dmsc_lp_encode(&e, &lp), 0);
    assert_int_equal(dmsc_enc_mark(&e), 0);
    assert_memory_equal(buf, ALL_FIELDS, need);
}

static void test_encode_hdr_scatter(void **state)
{
    dmsc_lp_t lp;
    uint8_t full[256], hdr[256], joined[512];
    fill_all_fields(&lp);
    dmsc_slice_t w = encode_ok(&lp, full, sizeof full);

    dmsc_enc_t e;
    dmsc_enc_init(&e, hdr, sizeof hdr);
    assert_int_equal(dmsc_lp_encode_hdr(&e, &lp), 0);
    size_t hn = sizeof hdr - dmsc_enc_mark(&e);
    assert_int_equal(hn + lp.fragment.n, w.n);
    memcpy(joined, dmsc_enc_data(&e), hn);
    memcpy(joined + hn, lp.fragment.p, lp.fragment.n);
    assert_memory_equal(joined, w.p, w.n);

    /* without a Fragment both forms are identical */
    lp.has &= ~(uint32_t)DMSC_LP_HAS_FRAGMENT;
    w = encode_ok(&lp, full, sizeof full);
    dmsc_enc_init(&e, hdr, sizeof hdr);
    assert_int_equal(dmsc_lp_encode_hdr(&e, &lp), 0);
    assert_bytes(dmsc_slice(dmsc_enc_data(&e), sizeof hdr - dmsc_enc_mark(&e)), w.p, w.n);

    /* a large fragment needs a 3-octet TLV-LENGTH on both elements */
    static uint8_t big[1000];
    dmsc_lp_init(&lp);
    lp.has = DMSC_LP_HAS_FRAGMENT;
    lp.fragment = dmsc_slice(big, sizeof big);
    dmsc_enc_init(&e, hdr, sizeof hdr);
    assert_int_equal(dmsc_lp_encode_hdr(&e, &lp), 0);
    static const uint8_t want[] = {0x64, 0xfd, 0x03, 0xec, 0x50, 0xfd, 0x03, 0xe8};
    assert_bytes(dmsc_slice(dmsc_enc_data(&e), sizeof hdr - dmsc_enc_mark(&e)), want, sizeof want);
}

/* ---- robustness: mutated inputs (ASan sees any out-of-bounds read) ---- */

static uint64_t rng_state = 0x243f6a8885a308d3ull;
static uint64_t rng(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

static void test_mutations(void **state)
{
    uint8_t b[sizeof ALL_FIELDS + 8];
    uint8_t enc[512];
    size_t ok = 0;
    for (int iter = 0; iter < 200000; iter++) {
        size_t n = sizeof ALL_FIELDS;
        memcpy(b, ALL_FIELDS, n);
        int muts = 1 + (int)(rng() % 4);
        for (int m = 0; m < muts; m++) {
            switch (rng() % 4) {
            case 0:
                b[rng() % n] = (uint8_t)rng();
                break;
            case 1:
                b[rng() % n] ^= (uint8_t)(1u << (rng() % 8));
                break;
            case 2:
                n = 1 + rng() % n;
                break;
            case 3: /* interesting length bytes */
                b[rng() % n] =
                    (uint8_t[]){0x00, 0x01, 0x08, 0xfd, 0xfe, 0xff, 0x50, 0x64}[rng() % 8];
                break;
            }
        }
        dmsc_lp_t lp, again;
        uint8_t *copy;
        int rc = decode_exact(b, n, &lp, &copy);
        if (rc == 0) {
            ok++;
            assert_true(slice_in(lp.fragment, copy, n));
            assert_true(slice_in(lp.headers, copy, n));
            assert_true(slice_in(lp.pit_token, copy, n));
            assert_true(slice_in(lp.acks_raw, copy, n));
            assert_true(slice_in(lp.prefix_ann, copy, n));
            assert_true(lp.frag_index < lp.frag_count);
            if (!lp.bare) {
                /* whatever decodes re-encodes to something that decodes the same */
                lp.acks_ext = NULL;
                if (lp.n_acks <= DMSC_LP_ACKS_INLINE) {
                    dmsc_slice_t w = encode_ok(&lp, enc, sizeof enc);
                    uint8_t *copy2;
                    assert_int_equal(decode_exact(w.p, w.n, &again, &copy2), 0);
                    assert_lp_equal(&again, &lp);
                    free(copy2);
                }
            }
        } else {
            assert_true(rc < 0);
            assert_string_not_equal(dmsc_errname(rc), "EUNKNOWN");
        }
        free(copy);
    }
    assert_true(ok > 1000); /* the mutator does reach valid packets */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_fields_known_answer),
        cmocka_unit_test(test_ndncxx_vectors),
        cmocka_unit_test(test_each_field_roundtrip),
        cmocka_unit_test(test_many_acks),
        cmocka_unit_test(test_unknown_field_rule),
        cmocka_unit_test(test_order_and_duplicates),
        cmocka_unit_test(test_truncation_every_offset),
        cmocka_unit_test(test_top_level),
        cmocka_unit_test(test_field_format_errors),
        cmocka_unit_test(test_nack),
        cmocka_unit_test(test_pit_token_echo),
        cmocka_unit_test(test_keepalive),
        cmocka_unit_test(test_encode_errors),
        cmocka_unit_test(test_encode_hdr_scatter),
        cmocka_unit_test(test_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
