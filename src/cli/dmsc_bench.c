/*
 * dmsc-bench: an NDN load generator over libdmsc, in the spirit of
 * ndn-traffic-generator. It speaks plain NDN (NDNLPv2 over Unix, TCP or
 * UDP) so it measures any forwarder: dmscd, NFD, or none at all (--direct,
 * the producer listens and consumers connect to it: the path's upper bound).
 *
 *   producer: one face, N prefixes /<name>/<run>/p<i> registered with
 *             rib/register (so NFD works too); answers every Interest with
 *             a Data of --payload bytes (DigestSha256).
 *   consumers: M faces, each keeping --window Interests in flight, names
 *             /<name>/<run>/p<i>/seq=<n> (unique: nothing is aggregated or
 *             served from a cache).
 *
 * Interests sent during the measured interval (after --warmup) count: their
 * Data as exchanges (with latency in a histogram), their timeouts and Nacks
 * as loss. Output: human text on stderr and one machine-readable line on
 * stdout ("BENCH key=value ..." or JSON with --json).
 *
 * Efficiency: no allocation after start-up (fixed slots per window, the
 * client's preallocated buffers), batched socket I/O (one send/sendmmsg
 * per loop turn per face), everything on one thread by default so that a
 * forwarder under test keeps a core of its own on a 2-core machine
 * (--threads 2 puts the producer on a second thread).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <dmsc/dmsc.h>

#include "ndn/cc.h"

#define MAX_PREFIXES 256
#define MAX_CONSUMERS 256
#define MAX_WINDOW 65536
#define MAX_PAYLOAD 8192
#define MAX_PRODUCER_FACES (MAX_CONSUMERS + 1)

static const char usage[] =
    "usage: dmsc-bench [--face URI | --producer-face URI --consumer-face URI | --direct URI]\n"
    "                  [--prefixes N] [--consumers M] [--window W] [--payload BYTES]\n"
    "                  [--duration SEC] [--warmup SEC] [--lifetime MS] [--threads 1|2]\n"
    "                  [--name PREFIX] [--label TEXT] [--json] [-q]\n"
    "\n"
    "NDN load generator: a producer with N prefixes (registered through rib/register)\n"
    "and M consumers keeping W Interests each in flight, through any forwarder.\n"
    "  --face URI           producer and consumers use this forwarder face\n"
    "                       (default: $DMSC_FACE, else the dmscd Unix socket)\n"
    "  --producer-face URI  the producer's face (default: --face)\n"
    "  --consumer-face URI  the consumers' face (default: --face)\n"
    "  --direct URI         no forwarder: the producer listens on URI (unix:///path,\n"
    "                       udp4://127.0.0.1:PORT, tcp4://...) and consumers connect to it\n"
    "  --prefixes N         producer prefixes, used round-robin (default 1)\n"
    "  --consumers M        consumer faces (default 1)\n"
    "  --window W           Interests in flight per consumer (default 64)\n"
    "  --payload BYTES      Content bytes per Data (default 100, at most 8192)\n"
    "  --duration SEC       measured interval (default 5)\n"
    "  --warmup SEC         unmeasured start (default 0.5)\n"
    "  --lifetime MS        InterestLifetime = timeout (default 4000)\n"
    "  --threads 1|2        2: the producer runs on a thread of its own (default 1)\n"
    "  --name PREFIX        name prefix (default /bench); a random run id follows it\n"
    "  --label TEXT         label copied into the result line\n"
    "  --json               result line as JSON instead of key=value\n"
    "  -q                   no human-readable report\n"
    "  -v                   also per-face counters (packets, syscalls, drops)\n"
    "Output: the report on stderr, one result line on stdout:\n"
    "  BENCH mode=via|direct transport=unix|udp|tcp payload=.. exchanges=.. rate=..\n"
    "        timeouts=.. nacks=.. loss_pct=.. p50_us=.. p90_us=.. p99_us=.. max_us=..\n"
    "exit status: 0 run completed (whatever the loss); 1 error (setup, registration)\n";

/* ------------------------------------------------------------ config */

typedef struct {
    const char *face, *pface, *cface, *direct, *name, *label;
    uint32_t prefixes, consumers, window, payload, lifetime_ms, threads;
    double duration_s, warmup_s;
    bool json, quiet, verbose;
} cfg_t;

static volatile sig_atomic_t g_interrupted;

static void on_signal(int sig)
{
    (void)sig;
    g_interrupted = 1;
}

static uint64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ------------------------------------------------------------ producer */

typedef struct {
    const cfg_t *cfg;
    uint8_t prefix[MAX_PREFIXES][DMSC_CLIENT_NAME_MAX];
    size_t prefix_len[MAX_PREFIXES];
    uint8_t payload[MAX_PAYLOAD];
    dmsc_client_t *faces[MAX_PRODUCER_FACES];
    unsigned nfaces;
    dmsc_listener_t *listener;
    unsigned registered, reg_failed;
    uint64_t answered, send_fail;
    _Atomic int ready; /* registrations done */
    _Atomic int stop;
    pthread_t thread;
} producer_t;

static void prod_on_interest(void *arg, dmsc_client_t *c, const dmsc_client_interest_t *in)
{
    producer_t *p = arg;
    dmsc_client_data_t d;
    memset(&d, 0, sizeof d);
    d.name = in->name;
    d.name_len = in->name_len;
    d.content = p->payload;
    d.content_len = p->cfg->payload;
    if (dmsc_client_put_data(c, in, &d) == 0)
        p->answered++;
    else
        p->send_fail++;
}

static void prod_on_registered(void *arg, dmsc_client_t *c, int status, uint32_t code,
                               const char *text)
{
    producer_t *p = arg;
    if (status || code != 200) {
        fprintf(stderr, "dmsc-bench: rib/register failed: %s%s%u %s\n",
                status ? dmsc_client_strerror(status) : "", status ? ": " : "", code, text);
        p->reg_failed++;
    } else {
        p->registered++;
    }
    if (p->registered + p->reg_failed == p->cfg->prefixes) atomic_store(&p->ready, 1);
}

static int prod_attach(producer_t *p, dmsc_client_t *c, bool local)
{
    for (uint32_t i = 0; i < p->cfg->prefixes; i++) {
        int rc = dmsc_client_register(c, p->prefix[i], p->prefix_len[i],
                                      local ? DMSC_CLIENT_REG_LOCAL : 0, prod_on_interest, p,
                                      prod_on_registered, p);
        if (rc) {
            fprintf(stderr, "dmsc-bench: register: %s\n", dmsc_client_strerror(rc));
            return 1;
        }
    }
    p->faces[p->nfaces++] = c;
    return 0;
}

/* Accept waiting direct peers (each gets the N prefixes locally). */
static void prod_accept(producer_t *p)
{
    for (;;) {
        if (p->nfaces == MAX_PRODUCER_FACES) return;
        dmsc_client_t *c;
        int rc = dmsc_listener_accept(p->listener, &c, NULL, 0);
        if (rc) return;
        if (prod_attach(p, c, true)) dmsc_client_close(c);
    }
}

/* ------------------------------------------------------------ consumers */

typedef struct consumer consumer_t;

typedef struct {
    consumer_t *cons;
    uint64_t sent_us;
    bool measured;
} slot_t;

typedef struct {
    uint64_t exchanges, timeouts, nacks, closed, sent, bytes;
    dmsc_histo_t lat;
} cstats_t;

struct consumer {
    struct bench *b;
    dmsc_client_t *c;
    slot_t *slots;
    uint64_t seq;
    uint32_t next_prefix;
    uint32_t inflight;
    cstats_t st;
};

typedef struct bench {
    cfg_t cfg;
    producer_t *prod;
    consumer_t cons[MAX_CONSUMERS];
    uint8_t prefix[MAX_PREFIXES][DMSC_CLIENT_NAME_MAX];
    size_t prefix_len[MAX_PREFIXES];
    uint64_t t_measure, t_end; /* measured interval: Interests sent in [t_measure, t_end) */
    bool sending;
    uint32_t measured_pending; /* measured Interests without a result yet */
    uint64_t send_errors;
} bench_t;

static void cons_result(void *arg, dmsc_client_t *c, const dmsc_client_result_t *r);

static int cons_send(consumer_t *k, slot_t *s)
{
    bench_t *b = k->b;
    uint32_t pi = k->next_prefix++;
    if (k->next_prefix == b->cfg.prefixes) k->next_prefix = 0;
    uint8_t name[DMSC_CLIENT_NAME_MAX];
    size_t len = b->prefix_len[pi];
    memcpy(name, b->prefix[pi], len);
    if (dmsc_client_name_append_number(name, sizeof name, &len, DMSC_CLIENT_COMP_SEQUENCE_NUM,
                                       k->seq++))
        return -1;
    dmsc_client_interest_t in;
    memset(&in, 0, sizeof in);
    in.name = name;
    in.name_len = len;
    in.lifetime_ms = b->cfg.lifetime_ms;
    int rc = dmsc_client_express(k->c, &in, cons_result, s, NULL);
    if (rc) {
        b->send_errors++;
        return rc;
    }
    uint64_t now = dmsc_client_now_us(k->c);
    s->sent_us = now;
    s->measured = now >= b->t_measure && now < b->t_end;
    if (s->measured) {
        b->measured_pending++;
        k->st.sent++;
    }
    k->inflight++;
    return 0;
}

static void cons_result(void *arg, dmsc_client_t *c, const dmsc_client_result_t *r)
{
    slot_t *s = arg;
    consumer_t *k = s->cons;
    bench_t *b = k->b;
    k->inflight--;
    if (s->measured) {
        b->measured_pending--;
        switch (r->kind) {
        case DMSC_CLIENT_DATA:
            k->st.exchanges++;
            k->st.bytes += r->data->content_len;
            dmsc_histo_add(&k->st.lat, r->rtt_us);
            break;
        case DMSC_CLIENT_TIMEOUT:
            k->st.timeouts++;
            break;
        case DMSC_CLIENT_NACK:
            k->st.nacks++;
            break;
        default:
            k->st.closed++;
            break;
        }
    }
    if (b->sending && r->kind != DMSC_CLIENT_CLOSED) cons_send(k, s);
}

/* ------------------------------------------------------------ loop */

/* One poll over a set of clients (+ a listener): wait at most timeout_ms,
 * process everything ready. Returns -1 when a client's face failed. */
static int poll_turn(dmsc_client_t **cl, unsigned n, dmsc_listener_t *l, int timeout_ms,
                     producer_t *p)
{
    struct pollfd pf[MAX_PRODUCER_FACES + MAX_CONSUMERS + 1];
    int t = timeout_ms;
    for (unsigned i = 0; i < n; i++) {
        dmsc_client_flush(cl[i]);
        pf[i].fd = dmsc_client_fd(cl[i]);
        pf[i].events = dmsc_client_events(cl[i]);
        pf[i].revents = 0;
        int ct = dmsc_client_timeout_ms(cl[i]);
        if (ct >= 0 && (t < 0 || ct < t)) t = ct;
    }
    unsigned np = n;
    if (l) {
        pf[np].fd = dmsc_listener_fd(l);
        pf[np].events = POLLIN;
        pf[np].revents = 0;
        np++;
    }
    int rc = poll(pf, np, t);
    if (rc < 0 && errno != EINTR) return -1;
    int ret = 0;
    for (unsigned i = 0; i < n; i++) {
        if (rc <= 0 && dmsc_client_timeout_ms(cl[i]) != 0) continue;
        if (dmsc_client_process(cl[i], rc > 0 ? pf[i].revents : 0)) ret = -1;
    }
    if (l && rc > 0 && (pf[n].revents & POLLIN) && p) prod_accept(p);
    return ret;
}

static void *producer_thread(void *arg)
{
    producer_t *p = arg;
    while (!atomic_load(&p->stop)) {
        if (poll_turn(p->faces, p->nfaces, p->listener, 50, p)) break;
    }
    return NULL;
}

/* ------------------------------------------------------------ output */

static const char *scheme_of(const char *uri)
{
    if (!uri) return "unix";
    if (strncmp(uri, "unix", 4) == 0) return "unix";
    if (strncmp(uri, "udp", 3) == 0) return "udp";
    if (strncmp(uri, "tcp", 3) == 0) return "tcp";
    return "other";
}

static bool parse_num(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !(v >= lo && v <= hi)) return false;
    *out = v;
    return true;
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fprintf(f, "\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            fprintf(f, "\\u%04x", *s);
        else
            fputc(*s, f);
    }
    fputc('"', f);
}

int main(int argc, char **argv)
{
    bench_t *b = calloc(1, sizeof *b);
    producer_t *p = calloc(1, sizeof *p);
    if (!b || !p) {
        fprintf(stderr, "dmsc-bench: out of memory\n");
        return 1;
    }
    cfg_t *cfg = &b->cfg;
    cfg->name = "/bench";
    cfg->label = "";
    cfg->prefixes = 1;
    cfg->consumers = 1;
    cfg->window = 64;
    cfg->payload = 100;
    cfg->lifetime_ms = 4000;
    cfg->threads = 1;
    cfg->duration_s = 5;
    cfg->warmup_s = 0.5;
    for (int k = 1; k < argc; k++) {
        const char *a = argv[k];
        const char *v = k + 1 < argc ? argv[k + 1] : NULL;
        double x;
#define NUM(opt, lo, hi, field)                                                                    \
    if (strcmp(a, opt) == 0) {                                                                     \
        if (!v || !parse_num(v, lo, hi, &x)) goto usage;                                           \
        field = x;                                                                                 \
        k++;                                                                                       \
        continue;                                                                                  \
    }
#define STR(opt, field)                                                                            \
    if (strcmp(a, opt) == 0) {                                                                     \
        if (!v) goto usage;                                                                        \
        field = v;                                                                                 \
        k++;                                                                                       \
        continue;                                                                                  \
    }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage, stdout);
            return 0;
        }
        STR("--face", cfg->face)
        STR("--producer-face", cfg->pface)
        STR("--consumer-face", cfg->cface)
        STR("--direct", cfg->direct)
        STR("--name", cfg->name)
        STR("--label", cfg->label)
        NUM("--prefixes", 1, MAX_PREFIXES, cfg->prefixes)
        NUM("--consumers", 1, MAX_CONSUMERS, cfg->consumers)
        NUM("--window", 1, MAX_WINDOW, cfg->window)
        NUM("--payload", 0, MAX_PAYLOAD, cfg->payload)
        NUM("--duration", 0.01, 86400, cfg->duration_s)
        NUM("--warmup", 0, 3600, cfg->warmup_s)
        NUM("--lifetime", 1, 3600000, cfg->lifetime_ms)
        NUM("--threads", 1, 2, cfg->threads)
        if (strcmp(a, "--json") == 0) {
            cfg->json = true;
            continue;
        }
        if (strcmp(a, "-q") == 0) {
            cfg->quiet = true;
            continue;
        }
        if (strcmp(a, "-v") == 0) {
            cfg->verbose = true;
            continue;
        }
        goto usage;
#undef NUM
#undef STR
    }

    char deff[256];
    if (!cfg->face) {
        dmsc_client_default_face(deff, sizeof deff);
        cfg->face = deff;
    }
    if (!cfg->pface) cfg->pface = cfg->face;
    if (!cfg->cface) cfg->cface = cfg->face;
    if (cfg->direct) cfg->pface = cfg->cface = cfg->direct;
    if ((uint64_t)cfg->consumers * cfg->window > 4000000) {
        fprintf(stderr, "dmsc-bench: consumers x window too large\n");
        return 1;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* names: <name>/<run id>/p<i> */
    uint64_t run;
    if (getrandom(&run, sizeof run, 0) != sizeof run) run = mono_us() ^ (uint64_t)getpid();
    uint8_t base[DMSC_CLIENT_NAME_MAX];
    size_t base_len;
    char runid[20];
    snprintf(runid, sizeof runid, "%08" PRIx64, run & 0xffffffffu);
    if (dmsc_client_name_parse(cfg->name, base, sizeof base, &base_len) ||
        dmsc_client_name_append(base, sizeof base, &base_len, DMSC_CLIENT_COMP_GENERIC, runid,
                                strlen(runid))) {
        fprintf(stderr, "dmsc-bench: bad --name %s\n", cfg->name);
        return 1;
    }
    for (uint32_t i = 0; i < cfg->prefixes; i++) {
        char pn[16];
        int n = snprintf(pn, sizeof pn, "p%u", i);
        memcpy(b->prefix[i], base, base_len);
        b->prefix_len[i] = base_len;
        dmsc_client_name_append(b->prefix[i], sizeof b->prefix[i], &b->prefix_len[i],
                                DMSC_CLIENT_COMP_GENERIC, pn, (size_t)n);
        memcpy(p->prefix[i], b->prefix[i], b->prefix_len[i]);
        p->prefix_len[i] = b->prefix_len[i];
    }
    for (uint32_t i = 0; i < cfg->payload; i++)
        p->payload[i] = (uint8_t)(i * 7 + 1);
    p->cfg = cfg;
    b->prod = p;

    dmsc_client_opts_t o;
    dmsc_client_opts_default(&o);
    o.max_pending = cfg->window + 64;
    int rc;

    /* producer */
    if (cfg->direct) {
        if ((rc = dmsc_listener_open(&p->listener, cfg->direct))) {
            fprintf(stderr, "dmsc-bench: listen %s: %s (%s)\n", cfg->direct,
                    dmsc_client_strerror(rc), strerror(errno));
            return 1;
        }
        cfg->cface = dmsc_listener_uri(p->listener); /* port 0 resolved */
        atomic_store(&p->ready, 1);
    } else {
        dmsc_client_t *pc;
        if ((rc = dmsc_client_open(&pc, cfg->pface, &o))) {
            fprintf(stderr, "dmsc-bench: producer face %s: %s (%s)\n", cfg->pface,
                    dmsc_client_strerror(rc), strerror(errno));
            return 1;
        }
        if (prod_attach(p, pc, false)) return 1;
        uint64_t deadline = mono_us() + 10000000;
        while (!atomic_load(&p->ready) && mono_us() < deadline && !g_interrupted)
            if (poll_turn(p->faces, p->nfaces, NULL, 100, p)) break;
        if (!atomic_load(&p->ready) || p->reg_failed) {
            fprintf(stderr, "dmsc-bench: prefix registration failed (%u of %u registered)\n",
                    p->registered, cfg->prefixes);
            return 1;
        }
    }

    /* consumers */
    b->t_measure = UINT64_MAX;
    b->t_end = UINT64_MAX;
    for (uint32_t i = 0; i < cfg->consumers; i++) {
        consumer_t *k = &b->cons[i];
        k->b = b;
        k->slots = calloc(cfg->window, sizeof *k->slots);
        if (!k->slots) {
            fprintf(stderr, "dmsc-bench: out of memory\n");
            return 1;
        }
        for (uint32_t w = 0; w < cfg->window; w++)
            k->slots[w].cons = k;
        dmsc_histo_init(&k->st.lat);
        k->next_prefix = i % cfg->prefixes;
        if ((rc = dmsc_client_open(&k->c, cfg->cface, &o))) {
            fprintf(stderr, "dmsc-bench: consumer face %s: %s (%s)\n", cfg->cface,
                    dmsc_client_strerror(rc), strerror(errno));
            return 1;
        }
    }
    if (cfg->threads == 2 && pthread_create(&p->thread, NULL, producer_thread, p)) {
        fprintf(stderr, "dmsc-bench: pthread_create failed\n");
        return 1;
    }

    dmsc_client_t *all[MAX_PRODUCER_FACES + MAX_CONSUMERS];
    uint64_t t0 = mono_us();
    b->t_measure = t0 + (uint64_t)(cfg->warmup_s * 1e6);
    b->t_end = b->t_measure + (uint64_t)(cfg->duration_s * 1e6);
    b->sending = true;
    for (uint32_t i = 0; i < cfg->consumers; i++) {
        consumer_t *k = &b->cons[i];
        for (uint32_t w = 0; w < cfg->window; w++)
            if (cons_send(k, &k->slots[w])) break;
        dmsc_client_flush(k->c);
    }

    /* run: until t_end, then until every measured Interest has its result */
    uint64_t drain_deadline = b->t_end + (uint64_t)cfg->lifetime_ms * 1000 + 500000;
    bool failed = false;
    for (;;) {
        uint64_t now = mono_us();
        if (g_interrupted) break;
        if (now >= b->t_end) {
            b->sending = false;
            if (b->measured_pending == 0 || now >= drain_deadline) break;
        }
        unsigned n = 0;
        if (cfg->threads == 1)
            for (unsigned i = 0; i < p->nfaces; i++)
                all[n++] = p->faces[i];
        for (uint32_t i = 0; i < cfg->consumers; i++)
            all[n++] = b->cons[i].c;
        int tmo = now < b->t_end ? (int)((b->t_end - now) / 1000) + 1 : 10;
        if (poll_turn(all, n, cfg->threads == 1 ? p->listener : NULL, tmo, p)) {
            failed = true;
            break;
        }
    }
    uint64_t t_stop = mono_us();
    if (cfg->threads == 2) {
        atomic_store(&p->stop, 1);
        pthread_join(p->thread, NULL);
    }

    /* results */
    cstats_t tot;
    memset(&tot, 0, sizeof tot);
    dmsc_histo_init(&tot.lat);
    for (uint32_t i = 0; i < cfg->consumers; i++) {
        cstats_t *s = &b->cons[i].st;
        tot.exchanges += s->exchanges;
        tot.timeouts += s->timeouts;
        tot.nacks += s->nacks;
        tot.closed += s->closed;
        tot.sent += s->sent;
        tot.bytes += s->bytes;
        dmsc_histo_merge(&tot.lat, &s->lat);
    }
    double secs = cfg->duration_s;
    if (g_interrupted && t_stop < b->t_end)
        secs = t_stop > b->t_measure ? (double)(t_stop - b->t_measure) / 1e6 : 0;
    double rate = secs > 0 ? (double)tot.exchanges / secs : 0;
    uint64_t lost = tot.timeouts + tot.nacks + tot.closed + (uint64_t)b->measured_pending;
    double loss_pct = tot.sent ? 100.0 * (double)lost / (double)tot.sent : 0;
    uint64_t p50 = dmsc_histo_quantile(&tot.lat, 0.5), p90 = dmsc_histo_quantile(&tot.lat, 0.9),
             p99 = dmsc_histo_quantile(&tot.lat, 0.99);
    double mean = tot.lat.count ? (double)tot.lat.sum / (double)tot.lat.count : 0;
    const char *mode = cfg->direct ? "direct" : "via";
    const char *transport = scheme_of(cfg->cface);
    double mbps = secs > 0 ? (double)tot.bytes * 8 / secs / 1e6 : 0;

    if (!cfg->quiet) {
        fprintf(stderr,
                "dmsc-bench: %s %s -> %s, %u prefix(es), %u consumer(s) x window %u, "
                "payload %u B, %.2f s measured\n",
                mode, cfg->cface, cfg->direct ? "(in-process producer)" : cfg->pface, cfg->prefixes,
                cfg->consumers, cfg->window, cfg->payload, secs);
        fprintf(stderr, "  exchanges  %" PRIu64 " (%.0f/s, %.1f Mbit/s of content)\n",
                tot.exchanges, rate, mbps);
        fprintf(stderr,
                "  loss       %" PRIu64 " of %" PRIu64 " (%.4f%%): timeouts %" PRIu64
                ", nacks %" PRIu64 ", unanswered %u\n",
                lost, tot.sent, loss_pct, tot.timeouts, tot.nacks, b->measured_pending);
        fprintf(stderr,
                "  latency    p50 %" PRIu64 " us, p90 %" PRIu64 " us, p99 %" PRIu64
                " us, max %" PRIu64 " us, mean %.1f us\n",
                p50, p90, p99, tot.lat.count ? tot.lat.max : 0, mean);
        fprintf(stderr, "  producer   answered %" PRIu64 ", send failures %" PRIu64 "\n",
                p->answered, p->send_fail);
    }
    if (cfg->json) {
        printf("{\"mode\":\"%s\",\"transport\":\"%s\",\"label\":", mode, transport);
        json_str(stdout, cfg->label);
        printf(",\"payload\":%u,\"prefixes\":%u,\"consumers\":%u,\"window\":%u,"
               "\"duration_s\":%.3f,\"sent\":%" PRIu64 ",\"exchanges\":%" PRIu64
               ",\"rate\":%.1f,\"timeouts\":%" PRIu64 ",\"nacks\":%" PRIu64
               ",\"loss_pct\":%.6f,\"p50_us\":%" PRIu64 ",\"p90_us\":%" PRIu64
               ",\"p99_us\":%" PRIu64 ",\"max_us\":%" PRIu64 ",\"mean_us\":%.1f}\n",
               cfg->payload, cfg->prefixes, cfg->consumers, cfg->window, secs, tot.sent,
               tot.exchanges, rate, tot.timeouts, tot.nacks, loss_pct, p50, p90, p99,
               tot.lat.count ? tot.lat.max : 0, mean);
    } else {
        printf("BENCH mode=%s transport=%s label=%s payload=%u prefixes=%u consumers=%u "
               "window=%u duration_s=%.3f sent=%" PRIu64 " exchanges=%" PRIu64
               " rate=%.1f timeouts=%" PRIu64 " nacks=%" PRIu64 " loss_pct=%.6f p50_us=%" PRIu64
               " p90_us=%" PRIu64 " p99_us=%" PRIu64 " max_us=%" PRIu64 " mean_us=%.1f\n",
               mode, transport, *cfg->label ? cfg->label : "-", cfg->payload, cfg->prefixes,
               cfg->consumers, cfg->window, secs, tot.sent, tot.exchanges, rate, tot.timeouts,
               tot.nacks, loss_pct, p50, p90, p99, tot.lat.count ? tot.lat.max : 0, mean);
    }
    fflush(stdout);
    if (cfg->verbose) {
        for (unsigned i = 0; i < p->nfaces + cfg->consumers; i++) {
            dmsc_client_t *c = i < p->nfaces ? p->faces[i] : b->cons[i - p->nfaces].c;
            dmsc_client_stats_t st;
            dmsc_client_get_stats(c, &st);
            fprintf(stderr,
                    "  %s %-28s in: I %" PRIu64 " D %" PRIu64 " N %" PRIu64 " syscalls %" PRIu64
                    "  out: I %" PRIu64 " D %" PRIu64 " syscalls %" PRIu64 "  drops %" PRIu64
                    " malformed %" PRIu64 " unsolicited %" PRIu64 "\n",
                    i < p->nfaces ? "producer" : "consumer", dmsc_client_uri(c), st.in_interests,
                    st.in_data, st.in_nacks, st.syscalls_in, st.out_interests, st.out_data,
                    st.syscalls_out, st.send_drops, st.malformed, st.unsolicited);
        }
    }

    for (uint32_t i = 0; i < cfg->consumers; i++) {
        dmsc_client_close(b->cons[i].c);
        free(b->cons[i].slots);
    }
    for (unsigned i = 0; i < p->nfaces; i++)
        dmsc_client_close(p->faces[i]);
    dmsc_listener_close(p->listener);
    free(p);
    free(b);
    return failed ? 1 : 0;

usage:
    fputs(usage, stderr);
    return 1;
}
