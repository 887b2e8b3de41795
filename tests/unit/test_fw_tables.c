/* The forwarder's tables on their own: name hash table (incremental rehash,
 * longest-prefix match), Dead Nonce List (against a reference model), the
 * Content Store prefix tree, PIT tokens and the expiry heap, pools. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base/err.h"
#include "fw/cs.h"
#include "fw/dnl.h"
#include "fw/fib.h"
#include "fw/nametab.h"
#include "fw/pit.h"
#include "fw/pool.h"

static uint64_t rng = 88172645463325252ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* ---- nametab ---- */

typedef struct {
    dmsc_ntnode_t node;
    dmsc_namebuf_t nb;
    int id;
} item_t;

static void item_init(item_t *it, const char *uri, size_t depth, uint8_t tag, int id)
{
    assert_int_equal(dmsc_namebuf_from_uri(&it->nb, uri), 0);
    dmsc_slice_t k = dmsc_name_prefix_bytes(&it->nb.name, depth);
    dmsc_ntnode_set(&it->node, dmsc_name_hash(&it->nb.name, depth), k.p, k.n, depth, tag);
    it->id = id;
}

static dmsc_ntnode_t *find_uri(dmsc_nametab_t *t, const char *uri, uint8_t tag)
{
    dmsc_namebuf_t nb;
    assert_int_equal(dmsc_namebuf_from_uri(&nb, uri), 0);
    return dmsc_nametab_find(t, dmsc_name_hash(&nb.name, nb.name.ncomps), nb.name.value,
                             nb.name.len, tag);
}

static int count_cb(void *arg, dmsc_ntnode_t *n)
{
    (*(size_t *)arg)++;
    return 0;
}

static void test_nametab_rehash(void **state)
{
    enum { N = 5000 };
    dmsc_nametab_t t;
    assert_int_equal(dmsc_nametab_init(&t, 16), 0);
    item_t *items = calloc(N, sizeof *items);
    assert_non_null(items);
    char uri[64];
    for (int i = 0; i < N; i++) {
        snprintf(uri, sizeof uri, "/svc/obj%d/seg=%d", i / 7, i % 7);
        item_init(&items[i], uri, 3, 0, i);
        assert_null(find_uri(&t, uri, 0));
        dmsc_nametab_insert(&t, &items[i].node);
        /* everything inserted so far stays findable while buckets move */
        if (i % 97 == 0)
            for (int j = 0; j <= i; j += 13) {
                snprintf(uri, sizeof uri, "/svc/obj%d/seg=%d", j / 7, j % 7);
                assert_ptr_equal(find_uri(&t, uri, 0), &items[j].node);
            }
    }
    assert_int_equal(t.count, N);
    assert_true(t.size[0] >= N / 2);
    size_t c = 0;
    dmsc_nametab_foreach(&t, count_cb, &c);
    assert_int_equal(c, N);
    for (int i = 0; i < N; i += 2)
        dmsc_nametab_remove(&t, &items[i].node);
    assert_int_equal(t.count, N / 2);
    for (int i = 0; i < N; i++) {
        snprintf(uri, sizeof uri, "/svc/obj%d/seg=%d", i / 7, i % 7);
        assert_ptr_equal(find_uri(&t, uri, 0), i % 2 ? &items[i].node : NULL);
    }
    c = 0;
    dmsc_nametab_foreach(&t, count_cb, &c);
    assert_int_equal(c, N / 2);
    dmsc_nametab_destroy(&t);
    free(items);
}

static void test_nametab_tags_and_lpm(void **state)
{
    dmsc_nametab_t t;
    assert_int_equal(dmsc_nametab_init(&t, 16), 0);
    static item_t a0, a1, a3, root, deep;
    item_init(&a0, "/a/b", 2, 0, 1);
    item_init(&a1, "/a/b", 2, 1, 2);
    item_init(&a3, "/a/b", 2, 3, 3);
    item_init(&root, "/", 0, 0, 4);
    item_init(&deep, "/a/b/c/d/e", 5, 0, 5);
    dmsc_nametab_insert(&t, &a0.node);
    dmsc_nametab_insert(&t, &a1.node);
    dmsc_nametab_insert(&t, &a3.node);
    assert_ptr_equal(find_uri(&t, "/a/b", 1), &a1.node);
    assert_null(find_uri(&t, "/a/b", 2));
    dmsc_ntnode_t *all[4];
    assert_int_equal(dmsc_nametab_find_all(&t, a0.node.hash, a0.node.key, a0.node.klen, all, 4), 3);
    assert_int_equal(t.max_depth, 2);
    dmsc_namebuf_t nb;
    assert_int_equal(dmsc_namebuf_from_uri(&nb, "/a/b/c/d/e/f"), 0);
    assert_ptr_equal(dmsc_nametab_lpm(&t, &nb.name, 0), &a0.node);
    assert_null(dmsc_nametab_lpm(&t, &nb.name, 2));
    dmsc_nametab_insert(&t, &root.node);
    dmsc_nametab_insert(&t, &deep.node);
    assert_int_equal(t.max_depth, 5);
    assert_ptr_equal(dmsc_nametab_lpm(&t, &nb.name, 0), &deep.node);
    assert_int_equal(dmsc_namebuf_from_uri(&nb, "/a/x"), 0);
    assert_ptr_equal(dmsc_nametab_lpm(&t, &nb.name, 0), &root.node);
    dmsc_nametab_remove(&t, &deep.node);
    assert_int_equal(t.max_depth, 2);
    dmsc_nametab_remove(&t, &a0.node);
    dmsc_nametab_remove(&t, &a1.node);
    dmsc_nametab_remove(&t, &a3.node);
    assert_int_equal(t.max_depth, 0);
    dmsc_nametab_remove(&t, &root.node);
    assert_int_equal(t.max_depth, -1);
    assert_int_equal(t.count, 0);
    dmsc_nametab_destroy(&t);
}

/* ---- DNL against a reference list ---- */

static void test_dnl_model(void **state)
{
    enum { MAX = 37, OPS = 20000 };
    dmsc_dnl_t d;
    assert_int_equal(dmsc_dnl_init(&d, MAX, 100), 0);
    uint64_t ref_key[MAX], ref_exp[MAX];
    size_t ref_n = 0;
    uint64_t now = 0;
    for (int op = 0; op < OPS; op++) {
        now += rnd() % 7;
        /* a small key space makes duplicates and probe collisions common */
        uint64_t key = dmsc_dnl_key(rnd() % 50, (uint32_t)(rnd() % 3));
        switch (rnd() % 3) {
        case 0:
            dmsc_dnl_add(&d, key, now);
            if (ref_n == MAX) {
                memmove(ref_key, ref_key + 1, (MAX - 1) * sizeof ref_key[0]);
                memmove(ref_exp, ref_exp + 1, (MAX - 1) * sizeof ref_exp[0]);
                ref_n--;
            }
            ref_key[ref_n] = key;
            ref_exp[ref_n++] = now + 100;
            break;
        case 1: {
            dmsc_dnl_age(&d, now);
            size_t k = 0;
            while (k < ref_n && ref_exp[k] <= now)
                k++;
            memmove(ref_key, ref_key + k, (ref_n - k) * sizeof ref_key[0]);
            memmove(ref_exp, ref_exp + k, (ref_n - k) * sizeof ref_exp[0]);
            ref_n -= k;
            break;
        }
        default: {
            bool want = false;
            for (size_t k = 0; k < ref_n; k++)
                want |= ref_key[k] == key;
            assert_int_equal(dmsc_dnl_has(&d, key), want);
        }
        }
        assert_int_equal(dmsc_dnl_size(&d), ref_n);
    }
    /* resizing keeps the newest */
    assert_int_equal(dmsc_dnl_resize(&d, 5, 100), 0);
    assert_int_equal(dmsc_dnl_size(&d), ref_n < 5 ? ref_n : 5);
    if (ref_n >= 1) assert_true(dmsc_dnl_has(&d, ref_key[ref_n - 1]));
    dmsc_dnl_destroy(&d);
    /* disabled */
    assert_int_equal(dmsc_dnl_init(&d, 0, 100), 0);
    dmsc_dnl_add(&d, 5, 0);
    assert_false(dmsc_dnl_has(&d, 5));
    dmsc_dnl_destroy(&d);
}

/* ---- CS prefix tree ---- */

static void cs_put(dmsc_cs_t *cs, const char *uri, size_t len, int64_t fresh, uint64_t now)
{
    dmsc_namebuf_t nb;
    static uint8_t wire[4096];
    assert_int_equal(dmsc_namebuf_from_uri(&nb, uri), 0);
    memset(wire, (int)(len & 0xff), len);
    assert_int_equal(dmsc_cs_insert(cs, &nb.name, wire, len, fresh, now), 0);
}

static dmsc_cs_entry_t *cs_get(dmsc_cs_t *cs, const char *uri, bool cbp, bool mbf, uint64_t now)
{
    dmsc_namebuf_t nb;
    assert_int_equal(dmsc_namebuf_from_uri(&nb, uri), 0);
    return dmsc_cs_lookup(cs, &nb.name, cbp, mbf, now);
}

static void test_cs_tree(void **state)
{
    dmsc_cs_t cs;
    assert_int_equal(dmsc_cs_init(&cs, 100, 1 << 20), 0);
    cs_put(&cs, "/a/b/c", 10, 1000, 0);
    cs_put(&cs, "/a/b/d/e", 20, 1000, 0);
    cs_put(&cs, "/a/b", 30, 1000, 0);
    /* nodes: /a /a/b /a/b/c /a/b/d /a/b/d/e */
    assert_int_equal(cs.nt.count, 5);
    assert_int_equal(cs.root->n_desc, 3);
    assert_int_equal(cs.st.bytes, 60);
    assert_non_null(cs_get(&cs, "/a", true, false, 0));
    assert_null(cs_get(&cs, "/a", false, false, 0));
    assert_int_equal(cs_get(&cs, "/a/b/d", true, false, 0)->len, 20);
    /* replacing keeps one entry per name */
    cs_put(&cs, "/a/b/c", 11, 1000, 0);
    assert_int_equal(cs.st.entries, 3);
    assert_int_equal(cs.st.bytes, 61);
    assert_int_equal(cs_get(&cs, "/a/b/c", false, false, 0)->len, 11);
    /* removing the deep entry prunes /a/b/d and /a/b/d/e */
    assert_non_null(cs_get(&cs, "/a/b", false, false, 0)); /* LRU: d/e, c, b */
    dmsc_cs_set_limits(&cs, 100, 41);                      /* /a/b/d/e (20) goes first */
    assert_int_equal(cs.st.entries, 2);
    assert_int_equal(cs.nt.count, 3);
    assert_null(cs_get(&cs, "/a/b/d", true, false, 0));
    dmsc_cs_erase_all(&cs);
    assert_int_equal(cs.nt.count, 0);
    assert_int_equal(cs.root->n_desc, 0);
    assert_null(cs.root->child);
    assert_int_equal(cs.st.bytes, 0);
    /* many random inserts under a small cap keep the tree consistent */
    dmsc_cs_set_limits(&cs, 50, 1 << 20);
    char uri[64];
    for (int i = 0; i < 3000; i++) {
        snprintf(uri, sizeof uri, "/r/%d/%d/%d", (int)(rnd() % 5), (int)(rnd() % 5),
                 (int)(rnd() % 5));
        cs_put(&cs, uri, 1 + rnd() % 100, 10, (uint64_t)i);
        assert_true(cs.st.entries <= 50);
        assert_int_equal(cs.root->n_desc, cs.st.entries);
    }
    dmsc_cs_erase_all(&cs);
    assert_int_equal(cs.nt.count, 0);
    /* the CanBePrefix walk is bounded */
    cs.cbp_scan_max = 8;
    cs_put(&cs, "/s/zfresh", 10, 1000, 0); /* the walk meets the stale ones first */
    for (int i = 0; i < 20; i++) {
        snprintf(uri, sizeof uri, "/s/%d", i);
        cs_put(&cs, uri, 10, -1, 0);
    }
    assert_null(cs_get(&cs, "/s", true, true, 1));
    cs.cbp_scan_max = 100;
    assert_non_null(cs_get(&cs, "/s", true, true, 1));
    /* caching disabled */
    dmsc_cs_set_limits(&cs, 0, 1 << 20);
    dmsc_namebuf_t nb;
    assert_int_equal(dmsc_namebuf_from_uri(&nb, "/x"), 0);
    assert_int_equal(dmsc_cs_insert(&cs, &nb.name, (const uint8_t *)"x", 1, 0, 0), DMSC_ETOOBIG);
    dmsc_cs_destroy(&cs);
}

/* ---- PIT ---- */

static dmsc_pit_entry_t *pit_add(dmsc_pit_t *pit, const char *uri, uint8_t tag)
{
    dmsc_namebuf_t nb;
    assert_int_equal(dmsc_namebuf_from_uri(&nb, uri), 0);
    /* a fake "Interest": just the name bytes */
    return dmsc_pit_insert(pit, &nb.name, dmsc_name_hash(&nb.name, nb.name.ncomps), tag,
                           nb.name.value, nb.name.len, 0);
}

static void test_pit_tokens_and_heap(void **state)
{
    dmsc_bufpool_t bp;
    dmsc_bufpool_init(&bp, 1 << 20);
    dmsc_pit_t pit;
    assert_int_equal(dmsc_pit_init(&pit, 1000, &bp), 0);
    enum { N = 600 };
    static dmsc_pit_entry_t *e[N];
    static uint8_t tok[N][8];
    char uri[64];
    for (int i = 0; i < N; i++) {
        snprintf(uri, sizeof uri, "/p/%d", i);
        e[i] = pit_add(&pit, uri, 0);
        assert_non_null(e[i]);
        dmsc_pit_token(e[i], tok[i]);
        dmsc_pit_set_expiry(&pit, e[i], 1000 + rnd() % 5000);
    }
    assert_int_equal(dmsc_pit_size(&pit), N);
    for (int i = 0; i < N; i += 3)
        dmsc_pit_set_expiry(&pit, e[i], 1000 + rnd() % 5000); /* up or down */
    for (int i = 0; i < N; i++)
        assert_ptr_equal(dmsc_pit_by_token(&pit, dmsc_slice(tok[i], 8)), e[i]);
    assert_null(dmsc_pit_by_token(&pit, dmsc_slice(tok[0], 7)));
    /* pop in expiry order */
    uint64_t last = 0;
    int popped = 0;
    dmsc_pit_entry_t *x;
    while ((x = dmsc_pit_expired(&pit, UINT64_MAX - 1)) != NULL) {
        assert_true(x->expiry >= last);
        last = x->expiry;
        if (popped % 2) { /* erase some out of order too */
            for (int i = 0; i < N; i++)
                if (e[i] && e[i] != x && e[i]->slot.live) {
                    dmsc_pit_erase(&pit, e[i]);
                    e[i] = NULL;
                    break;
                }
        }
        for (int i = 0; i < N; i++)
            if (e[i] == x) e[i] = NULL;
        dmsc_pit_erase(&pit, x);
        popped++;
    }
    assert_int_equal(dmsc_pit_size(&pit), 0);
    /* a freed slot's token is stale */
    for (int i = 0; i < N; i++)
        assert_null(dmsc_pit_by_token(&pit, dmsc_slice(tok[i], 8)));
    /* the limit */
    dmsc_pit_set_max(&pit, 2);
    assert_non_null(pit_add(&pit, "/l/1", 0));
    assert_non_null(pit_add(&pit, "/l/2", 0));
    assert_null(pit_add(&pit, "/l/3", 0));
    dmsc_pit_destroy(&pit);
    dmsc_bufpool_destroy(&bp);
}

static void test_pit_records_and_match(void **state)
{
    dmsc_bufpool_t bp;
    dmsc_bufpool_init(&bp, 1 << 20);
    dmsc_pit_t pit;
    assert_int_equal(dmsc_pit_init(&pit, 1000, &bp), 0);
    dmsc_pit_entry_t *e = pit_add(&pit, "/m/a", DMSC_PIT_CBP);
    /* records grow past the inline one into pooled arrays */
    for (dmsc_faceid_t f = 1; f <= 40; f++) {
        dmsc_inrec_t *r = dmsc_pit_inrec_add(&pit, e, f);
        assert_non_null(r);
        r->nonce = f * 7;
        assert_non_null(dmsc_pit_outrec_add(&pit, e, 1000 + f));
    }
    assert_int_equal(e->n_in, 40);
    for (dmsc_faceid_t f = 1; f <= 40; f++)
        assert_int_equal(dmsc_pit_inrec_find(e, f)->nonce, f * 7);
    dmsc_pit_inrec_remove(e, dmsc_pit_inrec_find(e, 5));
    assert_null(dmsc_pit_inrec_find(e, 5));
    assert_int_equal(dmsc_pit_inrec_find(e, 40)->nonce, 280);
    assert_non_null(pit_add(&pit, "/m/a/b", 0));
    assert_non_null(pit_add(&pit, "/m/a/b", DMSC_PIT_MBF));
    assert_non_null(pit_add(&pit, "/m", 0)); /* not CanBePrefix: no match */
    dmsc_namebuf_t dn;
    assert_int_equal(dmsc_namebuf_from_uri(&dn, "/m/a/b"), 0);
    dmsc_pit_entry_t *m[DMSC_PIT_MATCH_MAX];
    assert_int_equal(
        dmsc_pit_match_data(&pit, &dn.name, 0, dmsc_slice("x", 1), m, DMSC_PIT_MATCH_MAX), 3);
    assert_int_equal(dmsc_namebuf_from_uri(&dn, "/m/ab"), 0);
    assert_int_equal(
        dmsc_pit_match_data(&pit, &dn.name, 0, dmsc_slice("x", 1), m, DMSC_PIT_MATCH_MAX), 0);
    dmsc_pit_destroy(&pit);
    dmsc_bufpool_destroy(&bp);
}

/* ---- pools ---- */

static void test_pools(void **state)
{
    dmsc_slab_t s;
    dmsc_slab_init(&s, 40, 1000);
    void *p[1000];
    for (int i = 0; i < 1000; i++) {
        p[i] = dmsc_slab_alloc(&s);
        assert_non_null(p[i]);
        assert_int_equal(((dmsc_slot_t *)p[i])->idx, i);
    }
    assert_null(dmsc_slab_alloc(&s));
    dmsc_slot_t *o = p[500];
    uint32_t gen = o->gen;
    assert_ptr_equal(dmsc_slab_get(&s, 500, gen), o);
    dmsc_slab_free(&s, o);
    assert_null(dmsc_slab_get(&s, 500, gen));
    void *again = dmsc_slab_alloc(&s);
    assert_ptr_equal(again, o);
    assert_int_equal(o->gen, gen + 1);
    assert_null(dmsc_slab_get(&s, 5000, 0));
    dmsc_slab_destroy(&s);

    dmsc_bufpool_t bp;
    dmsc_bufpool_init(&bp, 4096);
    size_t cap;
    void *a = dmsc_buf_alloc(&bp, 100, &cap);
    assert_int_equal(cap, 128);
    dmsc_buf_free(&bp, a, cap);
    assert_int_equal(bp.cached_bytes, 128);
    void *b = dmsc_buf_alloc(&bp, 65, &cap);
    assert_ptr_equal(a, b); /* reused */
    assert_int_equal(bp.cached_bytes, 0);
    dmsc_buf_free(&bp, b, cap);
    void *big = dmsc_buf_alloc(&bp, 100000, &cap);
    assert_int_equal(cap, 100000);
    dmsc_buf_free(&bp, big, cap);
    void *c = dmsc_buf_alloc(&bp, 8000, &cap); /* beyond the cache ceiling on free */
    dmsc_buf_free(&bp, c, cap);
    assert_int_equal(bp.cached_bytes, 128);
    dmsc_bufpool_destroy(&bp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nametab_rehash),
        cmocka_unit_test(test_nametab_tags_and_lpm),
        cmocka_unit_test(test_dnl_model),
        cmocka_unit_test(test_cs_tree),
        cmocka_unit_test(test_pit_tokens_and_heap),
        cmocka_unit_test(test_pit_records_and_match),
        cmocka_unit_test(test_pools),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
