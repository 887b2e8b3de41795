/* Routing wire formats: LSA content and packets (sign, verify, tamper),
 * HelloInfo, LSU and SNP parameters, routing names; bytes on the wire
 * checked against hand-written TLV, and the decoders' rejections. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ndn/interest.h"
#include "route/wire.h"
#include "sec/key.h"

static const dmsc_name_t *N(dmsc_namebuf_t *nb, const char *uri)
{
    assert_int_equal(dmsc_namebuf_from_uri(nb, uri), 0);
    return &nb->name;
}

static dmsc_key_t *node_key(const dmsc_name_t *node)
{
    dmsc_key_t *k;
    assert_int_equal(dmsc_key_generate(&k, DMSC_SIG_ED25519), 0);
    assert_int_equal(dmsc_key_set_identity(k, node, NULL, 0), 0);
    return k;
}

static void pubkey_of(const dmsc_key_t *k, uint8_t out[32])
{
    size_t n;
    assert_int_equal(dmsc_key_export_raw_public(k, out, 32, &n), 0);
    assert_int_equal(n, 32);
}

/* ---- names ---- */

static void test_msg_names(void **state)
{
    dmsc_namebuf_t a, b;
    N(&a, "/dmsc/node/a");
    assert_int_equal(dmsc_rtmsg_name(&b, DMSC_RT_MSG_LSU, &a.name, 77), 0);
    char uri[256];
    assert_true(dmsc_name_to_uri(&b.name, DMSC_URI_ALT, uri, sizeof uri) > 0);
    assert_string_equal(uri, "/localhop/dmsc/route/lsu/dmsc/node/a/seq=77");
    int kind;
    dmsc_name_t sender;
    uint64_t seq;
    assert_int_equal(dmsc_rtmsg_name_parse(&b.name, &kind, &sender, &seq), 0);
    assert_int_equal(kind, DMSC_RT_MSG_LSU);
    assert_int_equal(seq, 77);
    assert_true(dmsc_name_equal(&sender, &a.name));
    /* with the digest component the Interest encoder appends */
    dmsc_namebuf_t c;
    N(&c, "/localhop/dmsc/route/hello/x/seq=1/params-sha256="
          "0000000000000000000000000000000000000000000000000000000000000000");
    assert_int_equal(dmsc_rtmsg_name_parse(&c.name, &kind, &sender, &seq), 0);
    assert_int_equal(kind, DMSC_RT_MSG_HELLO);
    assert_int_equal(sender.ncomps, 1);
    /* not routing names */
    const char *bad[] = {"/localhop/dmsc/route/lsu/seq=1", "/localhop/dmsc/route/nope/a/seq=1",
                         "/localhop/dmsc/x/lsu/a/seq=1", "/localhop/dmsc/route/lsu/a/b",
                         "/a/b/c/d/e/f"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_not_equal(dmsc_rtmsg_name_parse(N(&c, bad[i]), &kind, &sender, &seq), 0);
    assert_int_equal(dmsc_rtmsg_name(&b, 9, &a.name, 1), DMSC_EINVAL);
}

/* ---- LSA ---- */

typedef struct {
    dmsc_namebuf_t origin, n1, n2, p1, p2;
    dmsc_key_t *key;
    uint8_t pub[32];
    dmsc_lsa_adj_t adj[2];
    dmsc_lsa_prefix_t pfx[2];
    uint8_t buf[2 * DMSC_LSA_MAX_SIZE];
    dmsc_slice_t wire;
} lsa_fx_t;

static lsa_fx_t *make_lsa(uint64_t seq)
{
    lsa_fx_t *f = calloc(1, sizeof *f);
    N(&f->origin, "/dmsc/node/a");
    N(&f->n1, "/dmsc/node/b");
    N(&f->n2, "/dmsc/node/c");
    N(&f->p1, "/svc/users");
    N(&f->p2, "/svc/orders/v2");
    f->key = node_key(&f->origin.name);
    pubkey_of(f->key, f->pub);
    f->adj[0] = (dmsc_lsa_adj_t){dmsc_slice(f->n1.name.value, f->n1.name.len), 10};
    f->adj[1] = (dmsc_lsa_adj_t){dmsc_slice(f->n2.name.value, f->n2.name.len), 300};
    f->pfx[0] = (dmsc_lsa_prefix_t){dmsc_slice(f->p1.name.value, f->p1.name.len), 0, 250, 1000};
    f->pfx[1] = (dmsc_lsa_prefix_t){dmsc_slice(f->p2.name.value, f->p2.name.len), 5, 0, 0};
    const dmsc_signer_t *s;
    assert_int_equal(dmsc_key_signer(f->key, DMSC_KEYLOC_NAME, &s), 0);
    assert_int_equal(dmsc_lsa_encode(&f->origin.name, seq, 3600000, f->pub, f->adj, 2, f->pfx, 2, s,
                                     f->buf, sizeof f->buf, &f->wire),
                     0);
    return f;
}

static void free_lsa(lsa_fx_t *f)
{
    dmsc_key_free(f->key);
    free(f);
}

static void test_lsa_roundtrip(void **state)
{
    lsa_fx_t *f = make_lsa(42);
    dmsc_lsa_t lsa;
    assert_int_equal(dmsc_lsa_decode(&lsa, f->wire.p, f->wire.n), 0);
    assert_int_equal(lsa.seq, 42);
    assert_true(dmsc_name_equal(&lsa.origin, &f->origin.name));
    assert_int_equal(lsa.content.lifetime_ms, 3600000);
    assert_memory_equal(lsa.content.pubkey, f->pub, 32);
    assert_int_equal(lsa.content.n_adj, 2);
    assert_int_equal(lsa.content.n_prefix, 2);
    dmsc_lsa_iter_t it;
    dmsc_lsa_iter_init(&it, &lsa.content);
    dmsc_lsa_adj_t a;
    assert_int_equal(dmsc_lsa_next_adj(&it, &a), 1);
    assert_true(dmsc_slice_eq(a.name, f->adj[0].name));
    assert_int_equal(a.cost, 10);
    assert_int_equal(dmsc_lsa_next_adj(&it, &a), 1);
    assert_int_equal(a.cost, 300);
    assert_int_equal(dmsc_lsa_next_adj(&it, &a), 0);
    dmsc_lsa_iter_init(&it, &lsa.content);
    dmsc_lsa_prefix_t p;
    assert_int_equal(dmsc_lsa_next_prefix(&it, &p), 1);
    assert_true(dmsc_slice_eq(p.name, f->pfx[0].name));
    assert_int_equal(p.cost, 0);
    assert_int_equal(p.load, 250);
    assert_int_equal(p.capacity, 1000);
    assert_int_equal(dmsc_lsa_next_prefix(&it, &p), 1);
    assert_int_equal(p.cost, 5);
    assert_int_equal(dmsc_lsa_next_prefix(&it, &p), 0);
    assert_int_equal(dmsc_lsa_verify(&lsa), 0);
    char uri[256];
    assert_true(dmsc_name_to_uri(&lsa.data.name, DMSC_URI_ALT, uri, sizeof uri) > 0);
    assert_string_equal(uri, "/dmsc/node/a/route/lsa/seq=42");
    free_lsa(f);
}

static void test_lsa_tamper(void **state)
{
    lsa_fx_t *f = make_lsa(1);
    /* flip one byte of the content (a link cost): still decodes, fails verify */
    uint8_t *w = (uint8_t *)f->wire.p;
    dmsc_lsa_t lsa;
    assert_int_equal(dmsc_lsa_decode(&lsa, w, f->wire.n), 0);
    size_t off = (size_t)(lsa.data.content.p - w);
    size_t i;
    for (i = off; i + 2 < off + lsa.data.content.n; i++)
        if (w[i] == DMSC_RT_TT_LINK_COST && w[i + 1] == 1 && w[i + 2] == 10) break;
    assert_true(i + 2 < off + lsa.data.content.n);
    w[i + 2] = 1;
    assert_int_equal(dmsc_lsa_decode(&lsa, w, f->wire.n), 0);
    assert_int_equal(dmsc_lsa_verify(&lsa), DMSC_ESIG);
    free_lsa(f);

    /* signed by another key than the one it carries */
    f = make_lsa(1);
    dmsc_key_t *other = node_key(&f->origin.name);
    const dmsc_signer_t *s;
    assert_int_equal(dmsc_key_signer(other, DMSC_KEYLOC_NAME, &s), 0);
    assert_int_equal(dmsc_lsa_encode(&f->origin.name, 2, 1000, f->pub, f->adj, 1, NULL, 0, s,
                                     f->buf, sizeof f->buf, &f->wire),
                     0);
    assert_int_equal(dmsc_lsa_decode(&lsa, f->wire.p, f->wire.n), 0);
    assert_int_equal(dmsc_lsa_verify(&lsa), DMSC_ESIG);
    dmsc_key_free(other);

    /* KeyLocator outside <origin>/KEY */
    dmsc_namebuf_t stranger;
    dmsc_key_t *k2 = node_key(N(&stranger, "/dmsc/node/zzz"));
    assert_int_equal(dmsc_key_signer(k2, DMSC_KEYLOC_NAME, &s), 0);
    assert_int_equal(dmsc_lsa_encode(&f->origin.name, 2, 1000, f->pub, NULL, 0, NULL, 0, s, f->buf,
                                     sizeof f->buf, &f->wire),
                     0);
    assert_int_equal(dmsc_lsa_decode(&lsa, f->wire.p, f->wire.n), DMSC_EVALUE);
    dmsc_key_free(k2);
    free_lsa(f);
}

/* LsaContent decoder: hand-written TLV */
static void test_lsa_content_rules(void **state)
{
    uint8_t key[34] = {0xc3, 32};
    uint8_t buf[256];
    dmsc_lsa_content_t c;
#define CONTENT(...)                                                                               \
    do {                                                                                           \
        const uint8_t x[] = {__VA_ARGS__};                                                         \
        memcpy(buf, x, sizeof x);                                                                  \
        memcpy(buf + sizeof x, key, sizeof key);                                                   \
        len = sizeof x + sizeof key;                                                               \
    } while (0)
    size_t len;
    /* minimal: lifetime + key */
    CONTENT(0xc1, 1, 5);
    assert_int_equal(dmsc_lsa_content_decode(&c, buf, len), 0);
    assert_int_equal(c.lifetime_ms, 5);
    /* unknown non-critical element skipped, unknown critical rejected */
    CONTENT(0xc1, 1, 5, 0xf0, 1, 0);
    assert_int_equal(dmsc_lsa_content_decode(&c, buf, len), 0);
    CONTENT(0xc1, 1, 5, 0xf1, 1, 0);
    assert_int_equal(dmsc_lsa_content_decode(&c, buf, len), DMSC_ECRITICAL);
    /* duplicate lifetime */
    CONTENT(0xc1, 1, 5, 0xc1, 1, 6);
    assert_int_equal(dmsc_lsa_content_decode(&c, buf, len), DMSC_EDUP);
    /* adjacency: name + cost; missing cost; empty name; cost too big; bad NNI */
    CONTENT(0xc1, 1, 5, 0xc5, 6, 0x07, 2, 0x08, 0x00, 0xc7, 0);
    assert_int_equal(dmsc_lsa_content_decode(&c, buf, len), DMSC_ENNI);
    CONTENT(0xc1, 1, 5, 0xc5, 7, 0x07, 2, 0x08, 0x00, 0xc7, 1, 9);
    assert_int_equal(dmsc_lsa_content_decode(&c, buf, len), 0);
    assert_int_equal(c.n_adj, 1);
    CONTENT(0xc1, 1, 5, 0xc5, 4, 0x07, 2, 0x08, 0x00);
    assert_int_equal(dmsc_lsa_content_decode(&c, buf, len), DMSC_EMISSING);
    CONTENT(0xc1, 1, 5, 0xc5, 5, 0x07, 0, 0xc7, 1, 9);
    assert_int_equal(dmsc_lsa_content_decode(&c, buf, len), DMSC_EVALUE);
    CONTENT(0xc1, 1, 5, 0xc5, 10, 0x07, 2, 0x08, 0x00, 0xc7, 4, 0x02, 0, 0, 0);
    assert_int_equal(dmsc_lsa_content_decode(&c, buf, len), DMSC_EVALUE);
    /* prefix: name only; with load/capacity; truncated */
    CONTENT(0xc1, 1, 5, 0xc9, 4, 0x07, 2, 0x08, 0x00);
    assert_int_equal(dmsc_lsa_content_decode(&c, buf, len), 0);
    assert_int_equal(c.n_prefix, 1);
    CONTENT(0xc1, 1, 5, 0xc9, 10, 0x07, 2, 0x08, 0x00, 0xcc, 1, 7, 0xce, 1, 8);
    assert_int_equal(dmsc_lsa_content_decode(&c, buf, len), 0);
    CONTENT(0xc1, 1, 5, 0xc9, 40, 0x07, 2, 0x08, 0x00);
    assert_int_equal(dmsc_lsa_content_decode(&c, buf, len), DMSC_ETRUNC);
    /* no key */
    const uint8_t nokey[] = {0xc1, 1, 5};
    assert_int_equal(dmsc_lsa_content_decode(&c, nokey, sizeof nokey), DMSC_EMISSING);
    /* short key */
    const uint8_t shortkey[] = {0xc1, 1, 5, 0xc3, 2, 1, 2};
    assert_int_equal(dmsc_lsa_content_decode(&c, shortkey, sizeof shortkey), DMSC_EVALUE);
#undef CONTENT
}

static void test_lsa_size_limit(void **state)
{
    lsa_fx_t *f = make_lsa(1);
    const dmsc_signer_t *s;
    assert_int_equal(dmsc_key_signer(f->key, DMSC_KEYLOC_NAME, &s), 0);
    enum { NP = 400 };
    dmsc_lsa_prefix_t *p = calloc(NP, sizeof *p);
    for (int i = 0; i < NP; i++)
        p[i].name = f->pfx[1].name;
    assert_int_equal(dmsc_lsa_encode(&f->origin.name, 1, 1000, f->pub, NULL, 0, p, NP, s, f->buf,
                                     sizeof f->buf, &f->wire),
                     DMSC_ETOOBIG);
    free(p);
    free_lsa(f);
}

/* ---- hello ---- */

static void test_hello(void **state)
{
    dmsc_namebuf_t n;
    N(&n, "/dmsc/node/h");
    uint8_t pub[32];
    memset(pub, 7, 32);
    uint8_t buf[512];
    dmsc_enc_t e;
    dmsc_enc_init(&e, buf, sizeof buf);
    assert_int_equal(dmsc_hello_prepend(&e, &n.name, pub, 0x0102030405060708ull, 3), 0);
    const uint8_t *v = dmsc_enc_data(&e);
    size_t len = sizeof buf - dmsc_enc_mark(&e);
    /* Name, PublicKey, LsdbDigest, LsdbCount */
    assert_int_equal(v[0], 0x07);
    const uint8_t tail[] = {0xd2, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0xd4, 1, 3};
    assert_memory_equal(v + len - sizeof tail, tail, sizeof tail);
    dmsc_hello_t h;
    assert_int_equal(dmsc_hello_decode(&h, v, len), 0);
    assert_true(dmsc_name_equal(&h.name, &n.name));
    assert_memory_equal(h.pubkey, pub, 32);
    assert_true(h.has_digest);
    assert_int_equal(h.digest, 0x0102030405060708ull);
    assert_int_equal(h.lsa_count, 3);
    /* digest of the wrong length; missing key */
    uint8_t bad[600];
    memcpy(bad, v, len);
    bad[len - sizeof tail + 1] = 7;
    assert_int_not_equal(dmsc_hello_decode(&h, bad, len), 0);
    const uint8_t nokey[] = {0x07, 3, 0x08, 1, 'x'};
    assert_int_equal(dmsc_hello_decode(&h, nokey, sizeof nokey), DMSC_EMISSING);
}

/* ---- LSU ---- */

static void test_lsu(void **state)
{
    lsa_fx_t *f = make_lsa(9);
    uint8_t buf[DMSC_RT_PARAMS_MAX];
    dmsc_enc_t e;
    dmsc_enc_init(&e, buf, sizeof buf);
    dmsc_lsu_entry_prepend(&e, 1234, f->wire.p, f->wire.n);
    dmsc_lsu_entry_prepend(&e, 99, f->wire.p, f->wire.n);
    assert_int_equal(dmsc_enc_error(&e), 0);
    const uint8_t *v = dmsc_enc_data(&e);
    size_t len = sizeof buf - dmsc_enc_mark(&e);
    assert_int_equal(len,
                     dmsc_lsu_entry_size(1234, f->wire.n) + dmsc_lsu_entry_size(99, f->wire.n));
    assert_int_equal(dmsc_lsu_check(v, len), 2);
    dmsc_tlv_reader_t r;
    dmsc_tlv_reader_init(&r, v, len);
    uint64_t rem;
    dmsc_slice_t lsa;
    assert_int_equal(dmsc_lsu_next(&r, &rem, &lsa), 1);
    assert_int_equal(rem, 99);
    assert_true(dmsc_slice_eq(lsa, f->wire));
    assert_int_equal(dmsc_lsu_next(&r, &rem, &lsa), 1);
    assert_int_equal(rem, 1234);
    assert_int_equal(dmsc_lsu_next(&r, &rem, &lsa), 0);
    /* empty, missing Data, missing remaining */
    assert_int_equal(dmsc_lsu_check(v, 0), DMSC_EMISSING);
    const uint8_t nodata[] = {0xd5, 3, 0xd7, 1, 5};
    assert_int_equal(dmsc_lsu_check(nodata, sizeof nodata), DMSC_EMISSING);
    const uint8_t norem[] = {0xd5, 2, 0x06, 0};
    assert_int_equal(dmsc_lsu_check(norem, sizeof norem), DMSC_EMISSING);
    const uint8_t crit[] = {0xd5, 5, 0xd7, 1, 5, 0x06, 0, 0xd9, 0};
    assert_int_equal(dmsc_lsu_check(crit, sizeof crit), DMSC_ECRITICAL);
    const uint8_t crit2[] = {0xd5, 7, 0xd7, 1, 5, 0x06, 0, 0xe9, 0};
    assert_int_equal(dmsc_lsu_check(crit2, sizeof crit2), DMSC_ECRITICAL);
    free_lsa(f);
}

/* ---- SNP ---- */

static void test_snp(void **state)
{
    dmsc_namebuf_t a, b, lo;
    N(&a, "/dmsc/node/a");
    N(&b, "/dmsc/node/b");
    N(&lo, "/dmsc/node/0");
    uint8_t buf[2048];
    dmsc_enc_t e;
    dmsc_enc_init(&e, buf, sizeof buf);
    dmsc_snp_entry_prepend(&e, b.name.value, b.name.len, 7, 0xaabbccddeeff0011ull);
    dmsc_snp_entry_prepend(&e, a.name.value, a.name.len, 300, 1);
    dmsc_slice_t start = dmsc_slice(lo.name.value, lo.name.len);
    dmsc_snp_header_prepend(&e, 55, 1, 3, true, &start, NULL);
    const uint8_t *v = dmsc_enc_data(&e);
    size_t len = sizeof buf - dmsc_enc_mark(&e);
    assert_int_equal(len, dmsc_snp_header_size(55, 1, 3, true, &start, NULL) +
                              dmsc_snp_entry_size(a.name.len, 300) +
                              dmsc_snp_entry_size(b.name.len, 7));
    dmsc_snp_t s;
    assert_int_equal(dmsc_snp_decode(&s, v, len), 0);
    assert_int_equal(s.session, 55);
    assert_int_equal(s.page, 1);
    assert_int_equal(s.page_count, 3);
    assert_true(s.answer);
    assert_true(s.has_start);
    assert_false(s.has_end);
    assert_int_equal(s.n_entries, 2);
    dmsc_snp_iter_t it;
    dmsc_snp_iter_init(&it, &s);
    dmsc_snp_entry_t x;
    assert_int_equal(dmsc_snp_next(&it, &x), 1);
    assert_int_equal(x.seq, 300);
    assert_int_equal(x.hash, 1);
    assert_int_equal(dmsc_snp_next(&it, &x), 1);
    assert_int_equal(x.seq, 7);
    assert_int_equal(x.hash, 0xaabbccddeeff0011ull);
    assert_int_equal(dmsc_snp_next(&it, &x), 0);
    /* page out of range; missing header */
    const uint8_t badpage[] = {0xd9, 1, 1, 0xdb, 1, 3, 0xdd, 1, 3};
    assert_int_equal(dmsc_snp_decode(&s, badpage, sizeof badpage), DMSC_EVALUE);
    const uint8_t nocount[] = {0xd9, 1, 1, 0xdb, 1, 0};
    assert_int_equal(dmsc_snp_decode(&s, nocount, sizeof nocount), DMSC_EMISSING);
    const uint8_t ok[] = {0xd9, 1, 1, 0xdb, 1, 0, 0xdd, 1, 1};
    assert_int_equal(dmsc_snp_decode(&s, ok, sizeof ok), 0);
    assert_int_equal(s.n_entries, 0);
    assert_false(s.answer);
    /* hash must be 8 octets */
    const uint8_t badhash[] = {0xd9, 1, 1,    0xdb, 1,   0,    0xdd, 1, 1,    0xe3, 11,
                               0x07, 3, 0x08, 1,    'a', 0xe5, 1,    1, 0xe7, 1,    0};
    assert_int_equal(dmsc_snp_decode(&s, badhash, sizeof badhash), DMSC_EVALUE);
}

static void test_name_cmp(void **state)
{
    dmsc_namebuf_t x, y;
    const char *order[] = {"/a", "/a/b", "/b", "/aa", "/a/seq=1"};
    /* canonical order agrees with dmsc_name_compare */
    for (size_t i = 0; i < 5; i++)
        for (size_t j = 0; j < 5; j++) {
            N(&x, order[i]);
            N(&y, order[j]);
            int c1 = dmsc_rt_name_cmp(x.name.value, x.name.len, y.name.value, y.name.len);
            int c2 = dmsc_name_compare(&x.name, &y.name);
            assert_int_equal(c1 < 0, c2 < 0);
            assert_int_equal(c1 == 0, c2 == 0);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_msg_names),
        cmocka_unit_test(test_lsa_roundtrip),
        cmocka_unit_test(test_lsa_tamper),
        cmocka_unit_test(test_lsa_content_rules),
        cmocka_unit_test(test_lsa_size_limit),
        cmocka_unit_test(test_hello),
        cmocka_unit_test(test_lsu),
        cmocka_unit_test(test_snp),
        cmocka_unit_test(test_name_cmp),
    };
    return cmocka_run_group_tests_name("route_wire", tests, NULL, NULL);
}
