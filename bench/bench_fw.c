/*
 * bench_fw: the sans-I/O forwarding core on one thread, with a fake io.
 *
 * One exchange = consumer face -> Interest -> forwarder -> producer face,
 * then Data (carrying the forwarder's PitToken) -> forwarder -> consumer.
 *  miss:    unique names; the CS admits every Data and, once full (default
 *           64k entries / 256 MiB), evicts the least recently used;
 *  nocache: the same with CachePolicy NoCache: the PIT pipeline alone;
 *  hit:     the Interest is answered by the CS (1024-name working set).
 * Names get a sequence number patched into pre-encoded packets, so packet
 * encoding is not measured; decoding is (the forwarder decodes every packet).
 *
 * Usage: bench_fw [seconds-per-case]   (default 1)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fw/fw.h"
#include "ndn/data.h"
#include "ndn/interest.h"

enum { CONSUMER = 256, PRODUCER = 257 };

typedef struct {
    dmsc_faceid_t face;
    uint8_t kind;
    uint8_t tok[32];
    size_t tok_len;
    uint64_t n;
} sink_t;

static int sink_send(void *ctx, dmsc_faceid_t face, const dmsc_pkt_t *p)
{
    sink_t *s = ctx;
    s->face = face;
    s->kind = p->kind;
    s->tok_len = p->pit_token.n < sizeof s->tok ? p->pit_token.n : sizeof s->tok;
    if (s->tok_len) memcpy(s->tok, p->pit_token.p, s->tok_len);
    s->n++;
    return 0;
}

static const uint8_t SEQ_MARK[8] = {'S', 'E', 'Q', 'S', 'E', 'Q', 'S', 'Q'};

typedef struct {
    uint8_t ibuf[1024], dbuf[8192];
    uint8_t *iw, *dw;
    size_t ilen, dlen;
    size_t iseq, dseq, inonce; /* offsets to patch */
} tmpl_t;

static size_t find(const uint8_t *hay, size_t n, const void *needle, size_t m)
{
    for (size_t i = 0; i + m <= n; i++)
        if (memcmp(hay + i, needle, m) == 0) return i;
    fprintf(stderr, "pattern not found\n");
    exit(1);
}

static void build(tmpl_t *t, int ncomps, size_t content_len)
{
    dmsc_namebuf_t nb;
    dmsc_namebuf_init(&nb);
    dmsc_namebuf_append(&nb, DMSC_TT_GENERIC, "bench", 5);
    for (int i = 1; i < ncomps - 1; i++) {
        char c[16];
        int l = snprintf(c, sizeof c, "comp%d", i);
        dmsc_namebuf_append(&nb, DMSC_TT_GENERIC, c, (size_t)l);
    }
    dmsc_namebuf_append(&nb, DMSC_TT_GENERIC, SEQ_MARK, sizeof SEQ_MARK);

    dmsc_interest_t in;
    dmsc_interest_init(&in);
    in.name = nb.name;
    in.has_nonce = true;
    in.nonce = 0x01020304;
    in.has_lifetime = true;
    in.lifetime = 4000;
    in.has_hop_limit = true;
    in.hop_limit = 32;
    dmsc_slice_t out;
    if (dmsc_interest_encode(&in, NULL, t->ibuf, sizeof t->ibuf, &out) != 0) exit(1);
    t->iw = (uint8_t *)out.p;
    t->ilen = out.n;
    t->iseq = find(t->iw, t->ilen, SEQ_MARK, 8);
    static const uint8_t nonce[6] = {0x0a, 4, 1, 2, 3, 4};
    t->inonce = find(t->iw, t->ilen, nonce, 6) + 2;

    static uint8_t content[8192];
    memset(content, 'c', content_len);
    dmsc_data_t d;
    dmsc_data_init(&d);
    d.name = nb.name;
    d.has_freshness = true;
    d.freshness = 10000;
    d.has_content = true;
    d.content = dmsc_slice(content, content_len);
    static const uint8_t sig[32];
    d.sig_value = dmsc_slice(sig, sizeof sig); /* DigestSha256-sized placeholder */
    if (dmsc_data_encode(&d, NULL, t->dbuf, sizeof t->dbuf, &out) != 0) exit(1);
    t->dw = (uint8_t *)out.p;
    t->dlen = out.n;
    t->dseq = find(t->dw, t->dlen, SEQ_MARK, 8);
}

static inline void put64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

static inline void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* One exchange; false on an unexpected output. */
static inline bool exchange(dmsc_fw_t *fw, sink_t *s, tmpl_t *t, uint64_t seq, uint64_t *clock,
                            bool no_cache)
{
    put64(t->iw + t->iseq, seq);
    put32(t->iw + t->inonce, (uint32_t)(seq * 2654435761u) ^ 0x5a5a5a5a);
    dmsc_pkt_t p;
    memset(&p, 0, sizeof p);
    p.kind = DMSC_PKT_INTEREST;
    p.wire = t->iw;
    p.len = t->ilen;
    *clock += 1000;
    dmsc_fw_receive(fw, CONSUMER, &p, *clock);
    if (s->kind == DMSC_PKT_DATA && s->face == CONSUMER) return true; /* CS hit */
    if (s->kind != DMSC_PKT_INTEREST || s->face != PRODUCER) return false;
    put64(t->dw + t->dseq, seq);
    p.kind = DMSC_PKT_DATA;
    p.wire = t->dw;
    p.len = t->dlen;
    p.pit_token = dmsc_slice(s->tok, s->tok_len);
    p.no_cache = no_cache;
    *clock += 1000;
    dmsc_fw_receive(fw, PRODUCER, &p, *clock);
    return s->kind == DMSC_PKT_DATA && s->face == CONSUMER;
}

enum { MISS, MISS_NOCACHE, HIT };

static double run_case(int ncomps, size_t content_len, int mode, double secs)
{
    sink_t s;
    memset(&s, 0, sizeof s);
    dmsc_fw_config_t cfg;
    dmsc_fw_config_default(&cfg);
    dmsc_fw_io_t io = {&s, sink_send};
    dmsc_fw_t *fw = dmsc_fw_new(&cfg, &io);
    if (!fw) exit(1);
    dmsc_fw_face_add(fw, CONSUMER, DMSC_SCOPE_LOCAL);
    dmsc_fw_face_add(fw, PRODUCER, DMSC_SCOPE_NONLOCAL);
    dmsc_namebuf_t pfx;
    dmsc_namebuf_from_uri(&pfx, "/bench");
    dmsc_fw_fib_add(fw, &pfx.name, PRODUCER, 1);
    static tmpl_t t;
    build(&t, ncomps, content_len);

    bool cs_hit = mode == HIT, no_cache = mode == MISS_NOCACHE;
    uint64_t clock = 1000000000ull, seq = 0;
    enum { HOT = 1024 }; /* working set of the CS-hit case */
    if (cs_hit)
        for (seq = 0; seq < HOT; seq++)
            if (!exchange(fw, &s, &t, seq, &clock, false)) goto bad;

    uint64_t n = 0, misses0 = dmsc_fw_counters(fw)->cs_misses;
    double t0 = now_s(), t1;
    do {
        for (int k = 0; k < 4096; k++, n++) {
            uint64_t q = cs_hit ? (n % HOT) : seq++;
            if (!exchange(fw, &s, &t, q, &clock, no_cache)) goto bad;
        }
        dmsc_fw_run_timers(fw, clock);
        t1 = now_s();
    } while (t1 - t0 < secs);
    const dmsc_fw_counters_t *c = dmsc_fw_counters(fw);
    if (cs_hit && c->cs_misses != misses0) goto bad;
    if (!cs_hit && c->pit_size != 0) goto bad;
    if (no_cache && c->cs_entries != 0) goto bad;
    dmsc_fw_free(fw);
    return (double)n / (t1 - t0);

bad:
    fprintf(stderr, "unexpected forwarder output (seq %llu)\n", (unsigned long long)seq);
    exit(1);
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 1.0;
    if (secs <= 0) secs = 1.0;
    static const size_t sizes[] = {100, 4096};
    static const int comps[] = {3, 10};
    printf("bench_fw: Interest-Data exchanges per second, one thread, fake io\n");
    printf("miss: unique names, CS admits (LRU eviction once full); nocache: CachePolicy "
           "NoCache;\nhit: answered by the CS (1024-name working set)\n\n");
    printf("%-5s %-7s %11s %7s %11s %7s %11s %7s %8s\n", "comps", "content", "miss ex/s", "ns/ex",
           "nocache/s", "ns/ex", "hit ex/s", "ns/ex", "hit/miss");
    for (size_t c = 0; c < 2; c++)
        for (size_t z = 0; z < 2; z++) {
            double miss = run_case(comps[c], sizes[z], MISS, secs);
            double nc = run_case(comps[c], sizes[z], MISS_NOCACHE, secs);
            double hit = run_case(comps[c], sizes[z], HIT, secs);
            printf("%-5d %-7zu %11.0f %7.0f %11.0f %7.0f %11.0f %7.0f %8.2f\n", comps[c], sizes[z],
                   miss, 1e9 / miss, nc, 1e9 / nc, hit, 1e9 / hit, hit / miss);
        }
    return 0;
}
