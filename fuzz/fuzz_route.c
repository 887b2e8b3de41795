/* libFuzzer: the routing decoders (LsaContent, LSA packet with signature
 * verification, HelloInfo, LSU and SNP parameters, routing names) and the
 * router's packet input, on a router that has a FULL neighbor on face 256
 * (set up once, with fixed keys, by a scripted exchange with a second
 * router). The first input byte selects the target:
 *   0 LsaContent  1 LSA packet  2 HelloInfo  3 LSU params  4 SNP params
 *   5 Name TLV-VALUE as a routing name  6 Interest into the router
 *   7 Data into the router  8 Nack into the router
 * Every slice a decoder returns must lie inside the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "route/router.h"
#include "route/wire.h"
#include "sec/key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MS 1000000ull
enum { FACE = 256 };

static void inside(dmsc_slice_t s, const uint8_t *p, size_t n)
{
    if (s.n && (s.p < p || s.p + s.n > p + n)) __builtin_trap();
}

/* ---- a router with one FULL neighbor ---- */

typedef struct {
    dmsc_router_t *rt;
    int peer;
} end_t;

static end_t E[2];
static dmsc_key_t *K[2];
static dmsc_namebuf_t NM[2];
static uint8_t *q_wire[64];
static size_t q_len[64], q_to[64], nq;
static int live; /* 1 while the two routers talk, 0 afterwards (sink) */
static uint64_t now = 1000000 * MS;

static int io_send(void *ctx, dmsc_faceid_t face, const dmsc_pkt_t *pkt)
{
    end_t *e = ctx;
    if (!live || nq == 64) return 0;
    q_wire[nq] = malloc(pkt->len);
    memcpy(q_wire[nq], pkt->wire, pkt->len);
    q_len[nq] = pkt->len;
    q_to[nq] = (size_t)e->peer * 16 + pkt->kind;
    nq++;
    return 0;
}
static int io_add(void *ctx, const dmsc_name_t *p, dmsc_faceid_t f, uint64_t c)
{
    return 0;
}
static void io_remove(void *ctx, const dmsc_name_t *p, dmsc_faceid_t f) {}

static void pump(void)
{
    while (nq) {
        uint8_t *w = q_wire[0];
        size_t len = q_len[0], to = q_to[0];
        nq--;
        memmove(q_wire, q_wire + 1, nq * sizeof *q_wire);
        memmove(q_len, q_len + 1, nq * sizeof *q_len);
        memmove(q_to, q_to + 1, nq * sizeof *q_to);
        dmsc_pkt_t p;
        memset(&p, 0, sizeof p);
        p.kind = (uint8_t)(to % 16);
        p.wire = w;
        p.len = len;
        dmsc_router_receive(E[to / 16].rt, FACE, &p, now);
        free(w);
    }
}

static void setup(void)
{
    static const char *names[2] = {"/dmsc/node/a", "/dmsc/node/b"};
    for (int i = 0; i < 2; i++) {
        uint8_t seed[32];
        memset(seed, 0x41 + i, sizeof seed);
        if (dmsc_key_import_raw_private(&K[i], DMSC_SIG_ED25519, seed, 32) ||
            dmsc_namebuf_from_uri(&NM[i], names[i]) ||
            dmsc_key_set_identity(K[i], &NM[i].name, NULL, 0))
            abort();
        dmsc_router_config_t c;
        dmsc_router_config_default(&c);
        c.max_lsas = 64;
        c.max_faces = 4;
        c.rng_seed = 7 + (uint64_t)i;
        dmsc_router_io_t io = {&E[i], io_send, io_add, io_remove, NULL};
        E[i].peer = 1 - i;
        if (dmsc_router_new(&E[i].rt, &NM[i].name, K[i], &c, &io, NULL) ||
            dmsc_router_face_add(E[i].rt, FACE, 5, now))
            abort();
    }
    live = 1;
    for (int step = 0; step < 400; step++) {
        for (int i = 0; i < 2; i++)
            dmsc_router_run_timers(E[i].rt, now);
        pump();
        now += 5 * MS;
    }
    live = 0;
    dmsc_router_status_t st;
    dmsc_router_status(E[0].rt, &st);
    if (st.neighbors_full != 1) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!E[0].rt) setup();
    if (size < 1) return 0;
    uint8_t sel = data[0];
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    switch (sel % 9) {
    case 0: {
        dmsc_lsa_content_t c;
        if (dmsc_lsa_content_decode(&c, p, n)) break;
        inside(c.value, p, n);
        dmsc_lsa_iter_t it;
        dmsc_lsa_iter_init(&it, &c);
        dmsc_lsa_adj_t a;
        size_t k = 0;
        while (dmsc_lsa_next_adj(&it, &a)) {
            inside(a.name, p, n);
            k++;
        }
        if (k != c.n_adj) __builtin_trap();
        dmsc_lsa_iter_init(&it, &c);
        dmsc_lsa_prefix_t x;
        k = 0;
        while (dmsc_lsa_next_prefix(&it, &x)) {
            inside(x.name, p, n);
            k++;
        }
        if (k != c.n_prefix) __builtin_trap();
        break;
    }
    case 1: {
        dmsc_lsa_t lsa;
        if (dmsc_lsa_decode(&lsa, p, n)) break;
        inside(lsa.data.content, p, n);
        (void)dmsc_lsa_verify(&lsa);
        break;
    }
    case 2: {
        dmsc_hello_t h;
        if (dmsc_hello_decode(&h, p, n) == 0 && (h.pubkey < p || h.pubkey + 32 > p + n))
            __builtin_trap();
        break;
    }
    case 3: {
        int cnt = dmsc_lsu_check(p, n);
        if (cnt < 0) break;
        dmsc_tlv_reader_t r;
        dmsc_tlv_reader_init(&r, p, n);
        uint64_t rem;
        dmsc_slice_t lsa;
        int k = 0;
        while (dmsc_lsu_next(&r, &rem, &lsa)) {
            inside(lsa, p, n);
            dmsc_lsa_t l;
            (void)dmsc_lsa_decode(&l, lsa.p, lsa.n);
            k++;
        }
        if (k != cnt) __builtin_trap();
        break;
    }
    case 4: {
        dmsc_snp_t s;
        if (dmsc_snp_decode(&s, p, n)) break;
        inside(s.start, p, n);
        inside(s.end, p, n);
        dmsc_snp_iter_t it;
        dmsc_snp_iter_init(&it, &s);
        dmsc_snp_entry_t e;
        size_t k = 0;
        while (dmsc_snp_next(&it, &e)) {
            inside(e.origin, p, n);
            k++;
        }
        if (k != s.n_entries) __builtin_trap();
        break;
    }
    case 5: {
        dmsc_name_t nm, sender;
        int kind;
        uint64_t seq;
        if (dmsc_name_from_value(&nm, p, n)) break;
        if (dmsc_rtmsg_name_parse(&nm, &kind, &sender, &seq) == 0) {
            inside(dmsc_slice(sender.value, sender.len), p, n);
            if (sender.ncomps == 0) __builtin_trap();
        }
        break;
    }
    default: {
        dmsc_pkt_t pkt;
        memset(&pkt, 0, sizeof pkt);
        pkt.kind = sel % 9 == 6 ? DMSC_PKT_INTEREST : sel % 9 == 7 ? DMSC_PKT_DATA : DMSC_PKT_NACK;
        pkt.wire = p;
        pkt.len = n;
        /* time stands still: the neighbor stays FULL */
        (void)dmsc_router_receive(E[0].rt, FACE, &pkt, now);
        break;
    }
    }
    return 0;
}
