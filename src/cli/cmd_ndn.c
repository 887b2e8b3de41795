/* dmsc ping | cat | put (see cmd_ndn.h and docs/cli.md). */
#include "cli/cmd_ndn.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <dmsc/dmsc.h>

#include "ndn/cc.h"

const char dmsc_cli_ndn_usage[] =
    "  ping        send Interests NAME/ping/<seq> and report round-trip times (ndnping)\n"
    "  put         publish a file as a segmented, versioned object (ndnputchunks)\n"
    "  cat         fetch a segmented object to stdout (ndncatchunks)\n";

static const char usage_ping[] =
    "usage: dmsc ping NAME [-c COUNT] [-i INTERVAL_MS] [-t TIMEOUT_MS] [--face URI] [-q]\n"
    "\n"
    "Send Interests NAME/ping/<seq> (MustBeFresh) like ndnping; a dmscd node answers\n"
    "under its node name, an ndnpingserver under its prefix.\n"
    "  -c COUNT        stop after COUNT Interests (default: until interrupted)\n"
    "  -i MS           interval between Interests (default 1000)\n"
    "  -t MS           InterestLifetime = how long to wait for each reply (default 4000)\n"
    "  --face URI      forwarder face: unix:///path, tcp4://host:port, udp4://host:port\n"
    "                  (default: $DMSC_FACE, else the dmscd Unix socket)\n"
    "  -q              print only the summary\n"
    "exit status: 0 if any reply arrived, 1 otherwise\n";

static const char usage_put[] =
    "usage: dmsc put NAME [FILE|-] [--chunk-size N] [--freshness MS] [--sign ed25519|digest]\n"
    "                [--key FILE] [--version V] [--once] [--timeout MS] [-p] [--face URI] [-v]\n"
    "\n"
    "Publish FILE (or stdin) as Data NAME/v=<version>/seg=<i> with FinalBlockId, register\n"
    "NAME and serve until interrupted. Answers version discovery (an Interest for NAME or\n"
    "NAME/v=<version> with CanBePrefix gets segment 0) and RDR metadata (NAME/32=metadata).\n"
    "  --chunk-size N   content bytes per segment (default 8000)\n"
    "  --freshness MS   FreshnessPeriod (default 10000)\n"
    "  --sign ALG       digest (DigestSha256, default) or ed25519 (a new key named\n"
    "                   NAME/KEY/<id>, or the one in --key FILE)\n"
    "  --key FILE       sign with this key file (dmsc packet keygen --out FILE)\n"
    "  --version V      version number (default: now, in milliseconds since the epoch)\n"
    "  --once           exit when every segment has been served at least once\n"
    "  --timeout MS     exit after MS milliseconds\n"
    "  -p               print the versioned name on stdout once serving\n"
    "  -v               report registration and serving on stderr\n";

static const char usage_cat[] =
    "usage: dmsc cat NAME [--face URI] [--pipeline N] [--cc cubic|aimd|fixed] [--lifetime MS]\n"
    "                [--retries N] [-o FILE] [-v]\n"
    "\n"
    "Fetch the segmented object NAME (discovering its latest version with CanBePrefix +\n"
    "MustBeFresh unless NAME ends with a version component) and write it to stdout.\n"
    "  --pipeline N     largest congestion window, in Interests (default 64)\n"
    "  --cc ALG         window control: cubic (default), aimd, fixed (N in flight)\n"
    "  --lifetime MS    InterestLifetime (default 4000); retransmission uses the RTO\n"
    "  --retries N      retransmissions per segment before giving up (default 15)\n"
    "  -o FILE          write to FILE instead of stdout\n"
    "  -v               report segments, bytes, time, goodput, retransmissions on stderr\n";

/* ------------------------------------------------------------ common */

static dmsc_client_t *volatile g_client; /* for the signal handler */

static void on_signal(int sig)
{
    (void)sig;
    dmsc_client_t *c = g_client;
    if (c) dmsc_client_stop(c);
}

static void install_signals(dmsc_client_t *c)
{
    g_client = c;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

__attribute__((format(printf, 2, 3))) static int fail(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "dmsc: %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}

static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    if (!s || !*s || *s == '-') return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > max) return false;
    *out = v;
    return true;
}

static uint64_t rand64(void)
{
    uint64_t v;
    if (getrandom(&v, sizeof v, 0) != sizeof v) v = (uint64_t)time(NULL) ^ (uint64_t)getpid();
    return v;
}

static uint64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int open_face(const char *cmd, const char *uri, const dmsc_client_opts_t *o,
                     dmsc_client_t **c)
{
    char def[256];
    if (!uri) {
        dmsc_client_default_face(def, sizeof def);
        uri = def;
    }
    int rc = dmsc_client_open(c, uri, o);
    if (rc) {
        int e = errno;
        if (rc == DMSC_CLIENT_EIO) return fail(cmd, "cannot connect to %s: %s", uri, strerror(e));
        return fail(cmd, "face %s: %s", uri, dmsc_client_strerror(rc));
    }
    return 0;
}

/* Name component helpers on wire names. */
static bool comp_is(const uint8_t *name, size_t len, int idx, uint16_t type, uint64_t *num)
{
    uint16_t t;
    const uint8_t *v;
    size_t vl;
    int n = dmsc_client_name_component(name, len, idx, &t, &v, &vl);
    if (n < 0 || idx >= n || (idx < 0 && -idx > n) || t != type) return false;
    if (num) {
        if (vl == 0 || vl > 8 || (vl != 1 && vl != 2 && vl != 4 && vl != 8)) return false;
        uint64_t x = 0;
        for (size_t i = 0; i < vl; i++)
            x = x << 8 | v[i];
        *num = x;
    }
    return true;
}

static int ncomps(const uint8_t *name, size_t len)
{
    return dmsc_client_name_component(name, len, 0, NULL, NULL, NULL);
}

/* Bytes of the first k components of a wire name. */
static size_t prefix_len(const uint8_t *name, size_t len, int k)
{
    size_t off = 0;
    for (int i = 0; i < k && off < len; i++) {
        const uint8_t *v;
        size_t vl;
        uint16_t t;
        if (dmsc_client_name_component(name + off, len - off, 0, &t, &v, &vl) <= 0) break;
        off = (size_t)(v - name) + vl;
    }
    return off;
}

/* ------------------------------------------------------------ ping */

typedef struct {
    dmsc_client_t *c;
    uint8_t prefix[DMSC_CLIENT_NAME_MAX]; /* NAME/ping */
    size_t prefix_len;
    char uri[1024];
    uint64_t count, interval_ms, lifetime_ms;
    bool quiet;
    uint64_t seq;
    uint64_t sent, received, nacked, timeouts;
    double min_ms, max_ms, sum_ms, sumsq_ms;
} ping_t;

static void ping_send(void *arg, dmsc_client_t *c);

static void ping_result(void *arg, dmsc_client_t *c, const dmsc_client_result_t *r)
{
    ping_t *p = arg;
    double ms = (double)r->rtt_us / 1000.0;
    /* the seq is the last component of the Data name */
    char seqs[32] = "?";
    if (r->kind == DMSC_CLIENT_DATA) {
        const uint8_t *v;
        size_t vl;
        uint16_t t;
        int n = dmsc_client_name_component(r->data->name, r->data->name_len, -1, &t, &v, &vl);
        if (n > 0 && vl < sizeof seqs) {
            memcpy(seqs, v, vl);
            seqs[vl] = '\0';
        }
        p->received++;
        if (p->received == 1 || ms < p->min_ms) p->min_ms = ms;
        if (ms > p->max_ms) p->max_ms = ms;
        p->sum_ms += ms;
        p->sumsq_ms += ms * ms;
        if (!p->quiet) printf("content from %s: seq=%s time=%.3f ms\n", p->uri, seqs, ms);
    } else if (r->kind == DMSC_CLIENT_NACK) {
        p->nacked++;
        const char *why = r->nack_reason == DMSC_CLIENT_NACK_NO_ROUTE     ? "NoRoute"
                          : r->nack_reason == DMSC_CLIENT_NACK_CONGESTION ? "Congestion"
                          : r->nack_reason == DMSC_CLIENT_NACK_DUPLICATE  ? "Duplicate"
                                                                          : "None";
        if (!p->quiet)
            printf("nack from %s: id=%" PRIu64 " time=%.3f ms reason=%s\n", p->uri,
                   r->id & 0xffffffffu, ms, why);
    } else if (r->kind == DMSC_CLIENT_TIMEOUT) {
        p->timeouts++;
        if (!p->quiet) printf("timeout from %s: id=%" PRIu64 "\n", p->uri, r->id & 0xffffffffu);
    }
    fflush(stdout);
    if (p->count && p->sent >= p->count && dmsc_client_pending(c) == 0) dmsc_client_stop(c);
}

static void ping_send(void *arg, dmsc_client_t *c)
{
    ping_t *p = arg;
    if (dmsc_client_stopped(c)) return;
    uint8_t name[DMSC_CLIENT_NAME_MAX];
    size_t len = p->prefix_len;
    memcpy(name, p->prefix, len);
    char s[24];
    int sl = snprintf(s, sizeof s, "%" PRIu64, p->seq++);
    if (dmsc_client_name_append(name, sizeof name, &len, DMSC_CLIENT_COMP_GENERIC, s, (size_t)sl)) {
        dmsc_client_stop(c);
        return;
    }
    dmsc_client_interest_t in;
    memset(&in, 0, sizeof in);
    in.name = name;
    in.name_len = len;
    in.must_be_fresh = true;
    in.lifetime_ms = (uint32_t)p->lifetime_ms;
    int rc = dmsc_client_express(c, &in, ping_result, p, NULL);
    if (rc) {
        fprintf(stderr, "dmsc: ping: express: %s\n", dmsc_client_strerror(rc));
        dmsc_client_stop(c);
        return;
    }
    p->sent++;
    if (!p->count || p->sent < p->count)
        dmsc_client_timer_start(c, (uint32_t)p->interval_ms, ping_send, p);
}

static int cmd_ping(int argc, char **argv)
{
    ping_t *p = calloc(1, sizeof *p);
    if (!p) return fail("ping", "out of memory");
    const char *face = NULL, *name = NULL;
    p->interval_ms = 1000;
    p->lifetime_ms = 4000;
    int ret = 1;
    for (int k = 1; k < argc; k++) {
        const char *a = argv[k];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage_ping, stdout);
            free(p);
            return 0;
        } else if (strcmp(a, "-c") == 0 && k + 1 < argc) {
            if (!parse_u64(argv[++k], UINT32_MAX, &p->count) || !p->count) goto usage;
        } else if (strcmp(a, "-i") == 0 && k + 1 < argc) {
            if (!parse_u64(argv[++k], 3600000, &p->interval_ms) || !p->interval_ms) goto usage;
        } else if (strcmp(a, "-t") == 0 && k + 1 < argc) {
            if (!parse_u64(argv[++k], 3600000, &p->lifetime_ms) || !p->lifetime_ms) goto usage;
        } else if (strcmp(a, "--face") == 0 && k + 1 < argc) {
            face = argv[++k];
        } else if (strcmp(a, "-q") == 0) {
            p->quiet = true;
        } else if (a[0] != '-' && !name) {
            name = a;
        } else {
            goto usage;
        }
    }
    if (!name) goto usage;
    if (dmsc_client_name_parse(name, p->prefix, sizeof p->prefix, &p->prefix_len) ||
        dmsc_client_name_append(p->prefix, sizeof p->prefix, &p->prefix_len,
                                DMSC_CLIENT_COMP_GENERIC, "ping", 4)) {
        free(p);
        return fail("ping", "bad name: %s", name);
    }
    if (dmsc_client_name_format(p->prefix, p->prefix_len, p->uri, sizeof p->uri) < 0)
        snprintf(p->uri, sizeof p->uri, "%s", name);
    p->seq = rand64() % 1000000000u;

    if (open_face("ping", face, NULL, &p->c)) {
        free(p);
        return 1;
    }
    install_signals(p->c);
    printf("PING %s\n", p->uri);
    ping_send(p, p->c);
    int rc = dmsc_client_run(p->c);
    if (rc)
        fprintf(stderr, "dmsc: ping: face %s: %s\n", dmsc_client_uri(p->c),
                dmsc_client_strerror(rc));

    uint64_t lost = p->sent - p->received;
    printf("\n--- %s ping statistics ---\n", p->uri);
    printf("%" PRIu64 " packets transmitted, %" PRIu64 " received, %.1f%% lost, %" PRIu64
           " nacked, %" PRIu64 " timed out\n",
           p->sent, p->received, p->sent ? 100.0 * (double)lost / (double)p->sent : 0.0, p->nacked,
           p->timeouts);
    if (p->received) {
        double avg = p->sum_ms / (double)p->received;
        double var = p->sumsq_ms / (double)p->received - avg * avg;
        printf("rtt min/avg/max/mdev = %.3f/%.3f/%.3f/%.3f ms\n", p->min_ms, avg, p->max_ms,
               sqrt(var > 0 ? var : 0));
    }
    ret = p->received > 0 ? 0 : 1;
    g_client = NULL;
    dmsc_client_close(p->c);
    free(p);
    return ret;

usage:
    free(p);
    fputs(usage_ping, stderr);
    return 1;
}

/* ------------------------------------------------------------ put */

typedef struct {
    dmsc_client_t *c;
    uint8_t name[DMSC_CLIENT_NAME_MAX]; /* NAME */
    size_t name_len;
    int k; /* components of NAME */
    uint64_t version;
    uint8_t vname[DMSC_CLIENT_NAME_MAX]; /* NAME/v=<version> */
    size_t vname_len;
    uint8_t *segs; /* encoded Data, back to back */
    size_t *off;   /* off[i] .. off[i+1] */
    uint64_t nsegs;
    uint8_t *served; /* bitmap */
    uint64_t nserved, interests, answered;
    uint32_t freshness_ms;
    bool once, verbose, print_version;
    int status; /* registration: 0 pending, 1 ok, -1 failed */
} put_t;

static void put_serve_seg(put_t *p, const dmsc_client_interest_t *in, uint64_t s)
{
    if (s >= p->nsegs) return;
    int rc = dmsc_client_put_wire(p->c, in, p->segs + p->off[s], p->off[s + 1] - p->off[s]);
    if (rc) return; /* send queue full: the consumer retransmits */
    p->answered++;
    if (!(p->served[s / 8] & (1u << (s % 8)))) {
        p->served[s / 8] |= (uint8_t)(1u << (s % 8));
        if (++p->nserved == p->nsegs && p->once) dmsc_client_stop(p->c);
    }
}

/* RDR metadata (NAME/32=metadata): Data NAME/32=metadata/v=<now>/seg=0 whose
 * Content is the versioned name (a Name element). */
static void put_metadata(put_t *p, const dmsc_client_interest_t *in)
{
    uint8_t name[DMSC_CLIENT_NAME_MAX];
    size_t len = in->name_len;
    memcpy(name, in->name, len);
    if (dmsc_client_name_append_number(name, sizeof name, &len, DMSC_CLIENT_COMP_VERSION,
                                       wall_ms()) ||
        dmsc_client_name_append_number(name, sizeof name, &len, DMSC_CLIENT_COMP_SEGMENT, 0))
        return;
    uint8_t content[DMSC_CLIENT_NAME_MAX + 4];
    size_t cl = 0;
    content[cl++] = 0x07;
    if (p->vname_len < 253) {
        content[cl++] = (uint8_t)p->vname_len;
    } else {
        content[cl++] = 0xfd;
        content[cl++] = (uint8_t)(p->vname_len >> 8);
        content[cl++] = (uint8_t)p->vname_len;
    }
    memcpy(content + cl, p->vname, p->vname_len);
    cl += p->vname_len;
    uint8_t seg0[1] = {0};
    dmsc_client_data_t d;
    memset(&d, 0, sizeof d);
    d.name = name;
    d.name_len = len;
    d.content = content;
    d.content_len = cl;
    d.freshness_ms = p->freshness_ms < 1000 ? p->freshness_ms : 1000;
    d.has_final_block = true;
    d.final_block_type = DMSC_CLIENT_COMP_SEGMENT;
    d.final_block = seg0;
    d.final_block_len = 1;
    if (dmsc_client_put_data(p->c, in, &d) == 0) p->answered++;
}

static void put_on_interest(void *arg, dmsc_client_t *c, const dmsc_client_interest_t *in)
{
    put_t *p = arg;
    p->interests++;
    int n = ncomps(in->name, in->name_len);
    uint64_t v, s;
    /* NAME/v=<version>/seg=<i> */
    if (n == p->k + 2 && in->name_len > p->vname_len &&
        memcmp(in->name, p->vname, p->vname_len) == 0 &&
        comp_is(in->name, in->name_len, p->k + 1, DMSC_CLIENT_COMP_SEGMENT, &s)) {
        put_serve_seg(p, in, s);
        return;
    }
    /* discovery: NAME or NAME/v=<version> with CanBePrefix -> segment 0 */
    if (in->can_be_prefix &&
        (n == p->k ||
         (n == p->k + 1 && comp_is(in->name, in->name_len, p->k, DMSC_CLIENT_COMP_VERSION, &v) &&
          v == p->version))) {
        put_serve_seg(p, in, 0);
        return;
    }
    /* RDR: NAME/32=metadata */
    const uint8_t *kv;
    size_t kl;
    uint16_t t;
    if (n == p->k + 1 && dmsc_client_name_component(in->name, in->name_len, p->k, &t, &kv, &kl) &&
        t == DMSC_CLIENT_COMP_KEYWORD && kl == 8 && memcmp(kv, "metadata", 8) == 0) {
        put_metadata(p, in);
        return;
    }
}

static void put_registered(void *arg, dmsc_client_t *c, int status, uint32_t code, const char *text)
{
    put_t *p = arg;
    if (status || code != 200) {
        fprintf(stderr, "dmsc: put: register failed: %s%s%u %s\n",
                status ? dmsc_client_strerror(status) : "", status ? ": " : "", code, text);
        p->status = -1;
        dmsc_client_stop(c);
        return;
    }
    p->status = 1;
    char uri[4096];
    dmsc_client_name_format(p->vname, p->vname_len, uri, sizeof uri);
    if (p->print_version) {
        printf("%s\n", uri);
        fflush(stdout);
    }
    if (p->verbose)
        fprintf(stderr, "dmsc put: serving %s segments=%" PRIu64 " bytes=%zu\n", uri, p->nsegs,
                p->off[p->nsegs]);
}

static void put_timeout(void *arg, dmsc_client_t *c)
{
    (void)arg;
    dmsc_client_stop(c);
}

#define PUT_MAX_INPUT ((size_t)1 << 30)

static int read_input(const char *path, uint8_t **out, size_t *len)
{
    FILE *f = (!path || strcmp(path, "-") == 0) ? stdin : fopen(path, "rb");
    if (!f) return -1;
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        if (n == cap) {
            if (cap >= PUT_MAX_INPUT) {
                free(buf);
                buf = NULL;
                errno = EFBIG;
                break;
            }
            uint8_t *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0) {
            if (ferror(f)) {
                free(buf);
                buf = NULL;
            }
            break;
        }
    }
    if (f != stdin) fclose(f);
    if (!buf) return -1;
    *out = buf;
    *len = n;
    return 0;
}

static int cmd_put(int argc, char **argv)
{
    const char *face = NULL, *name = NULL, *file = NULL, *sign = "digest", *keyfile = NULL;
    uint64_t chunk = 8000, fresh = 10000, version = 0, timeout_ms = 0;
    bool has_version = false;
    put_t *p = calloc(1, sizeof *p);
    if (!p) return fail("put", "out of memory");
    for (int k = 1; k < argc; k++) {
        const char *a = argv[k];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage_put, stdout);
            free(p);
            return 0;
        } else if (strcmp(a, "--chunk-size") == 0 && k + 1 < argc) {
            if (!parse_u64(argv[++k], 65536, &chunk) || !chunk) goto usage;
        } else if (strcmp(a, "--freshness") == 0 && k + 1 < argc) {
            if (!parse_u64(argv[++k], UINT32_MAX, &fresh)) goto usage;
        } else if (strcmp(a, "--sign") == 0 && k + 1 < argc) {
            sign = argv[++k];
            if (strcmp(sign, "digest") != 0 && strcmp(sign, "ed25519") != 0) goto usage;
        } else if (strcmp(a, "--key") == 0 && k + 1 < argc) {
            keyfile = argv[++k];
        } else if (strcmp(a, "--version") == 0 && k + 1 < argc) {
            if (!parse_u64(argv[++k], UINT64_MAX, &version)) goto usage;
            has_version = true;
        } else if (strcmp(a, "--timeout") == 0 && k + 1 < argc) {
            if (!parse_u64(argv[++k], UINT32_MAX, &timeout_ms)) goto usage;
        } else if (strcmp(a, "--once") == 0) {
            p->once = true;
        } else if (strcmp(a, "-p") == 0 || strcmp(a, "--print-version") == 0) {
            p->print_version = true;
        } else if (strcmp(a, "-v") == 0) {
            p->verbose = true;
        } else if (strcmp(a, "--face") == 0 && k + 1 < argc) {
            face = argv[++k];
        } else if ((a[0] != '-' || strcmp(a, "-") == 0) && !name) {
            name = a;
        } else if ((a[0] != '-' || strcmp(a, "-") == 0) && !file) {
            file = a;
        } else {
            goto usage;
        }
    }
    if (!name) goto usage;
    int ret = 1;
    uint8_t *input = NULL;
    size_t in_len = 0;
    if (dmsc_client_name_parse(name, p->name, sizeof p->name, &p->name_len)) {
        fail("put", "bad name: %s", name);
        goto out;
    }
    p->k = ncomps(p->name, p->name_len);
    p->version = has_version ? version : wall_ms();
    memcpy(p->vname, p->name, p->name_len);
    p->vname_len = p->name_len;
    if (dmsc_client_name_append_number(p->vname, sizeof p->vname, &p->vname_len,
                                       DMSC_CLIENT_COMP_VERSION, p->version)) {
        fail("put", "name too long: %s", name);
        goto out;
    }
    p->freshness_ms = (uint32_t)fresh;
    if (read_input(file, &input, &in_len)) {
        fail("put", "%s: %s", file ? file : "stdin", strerror(errno));
        goto out;
    }
    if (open_face("put", face, NULL, &p->c)) goto out;
    if (keyfile) {
        int rc = dmsc_client_use_key_file(p->c, keyfile);
        if (rc) {
            fail("put", "key %s: %s", keyfile, dmsc_client_strerror(rc));
            goto out;
        }
    } else if (strcmp(sign, "ed25519") == 0) {
        int rc = dmsc_client_use_new_key(p->c, 5, p->name, p->name_len);
        if (rc) {
            fail("put", "new Ed25519 key: %s", dmsc_client_strerror(rc));
            goto out;
        }
    }

    /* segment and sign everything up front: serving is then a copy */
    p->nsegs = in_len ? (in_len + chunk - 1) / chunk : 1;
    size_t per = (size_t)chunk + 2 * p->vname_len + 512; /* name + KeyLocator + fields */
    p->segs = malloc(p->nsegs * per);
    p->off = malloc((p->nsegs + 1) * sizeof *p->off);
    p->served = calloc((p->nsegs + 7) / 8, 1);
    if (!p->segs || !p->off || !p->served) {
        fail("put", "out of memory for %" PRIu64 " segments", p->nsegs);
        goto out;
    }
    uint8_t last[9];
    size_t lastn = 0;
    {
        uint64_t v = p->nsegs - 1;
        uint8_t tmp[8];
        int nb = v <= 0xff ? 1 : v <= 0xffff ? 2 : v <= 0xffffffffu ? 4 : 8;
        for (int i = nb - 1; i >= 0; i--) {
            tmp[i] = (uint8_t)v;
            v >>= 8;
        }
        memcpy(last, tmp, (size_t)nb);
        lastn = (size_t)nb;
    }
    size_t pos = 0;
    for (uint64_t s = 0; s < p->nsegs; s++) {
        uint8_t sname[DMSC_CLIENT_NAME_MAX];
        size_t sl = p->vname_len;
        memcpy(sname, p->vname, sl);
        if (dmsc_client_name_append_number(sname, sizeof sname, &sl, DMSC_CLIENT_COMP_SEGMENT, s)) {
            fail("put", "name too long");
            goto out;
        }
        size_t from = (size_t)(s * chunk);
        size_t clen = in_len - from < chunk ? in_len - from : (size_t)chunk;
        if (in_len == 0) clen = 0;
        dmsc_client_data_t d;
        memset(&d, 0, sizeof d);
        d.name = sname;
        d.name_len = sl;
        d.content = input ? input + from : NULL;
        d.content_len = clen;
        d.freshness_ms = (uint32_t)fresh;
        d.has_final_block = true;
        d.final_block_type = DMSC_CLIENT_COMP_SEGMENT;
        d.final_block = last;
        d.final_block_len = lastn;
        size_t len;
        p->off[s] = pos;
        int rc = dmsc_client_encode_data(p->c, &d, p->segs + pos, per, &len);
        if (rc) {
            fail("put", "segment %" PRIu64 ": %s (try a smaller --chunk-size)", s,
                 dmsc_client_strerror(rc));
            goto out;
        }
        pos += len;
    }
    p->off[p->nsegs] = pos;
    free(input);
    input = NULL;

    int rc =
        dmsc_client_register(p->c, p->name, p->name_len, 0, put_on_interest, p, put_registered, p);
    if (rc) {
        fail("put", "register: %s", dmsc_client_strerror(rc));
        goto out;
    }
    if (timeout_ms) dmsc_client_timer_start(p->c, (uint32_t)timeout_ms, put_timeout, p);
    install_signals(p->c);
    rc = dmsc_client_run(p->c);
    /* let queued segments reach the socket before closing */
    for (int i = 0; i < 50 && !rc && (dmsc_client_events(p->c) & 4 /* POLLOUT */); i++)
        rc = dmsc_client_run_once(p->c, 20);
    if (rc) fail("put", "face %s: %s", dmsc_client_uri(p->c), dmsc_client_strerror(rc));
    if (p->verbose)
        fprintf(stderr,
                "dmsc put: interests=%" PRIu64 " answered=%" PRIu64 " segments_served=%" PRIu64
                "/%" PRIu64 "\n",
                p->interests, p->answered, p->nserved, p->nsegs);
    ret = p->status == 1 && !rc ? 0 : 1;

out:
    g_client = NULL;
    free(input);
    dmsc_client_close(p->c);
    free(p->segs);
    free(p->off);
    free(p->served);
    free(p);
    return ret;

usage:
    free(p);
    fputs(usage_put, stderr);
    return 1;
}

/* ------------------------------------------------------------ cat */

enum { SLOT_FREE = 0, SLOT_PENDING, SLOT_WAIT_RETX, SLOT_RECEIVED };

typedef struct cat cat_t;

typedef struct {
    cat_t *ct;
    uint64_t seg;
    int state;
    uint32_t retx;
    bool retransmitted; /* Karn: no RTT sample from it */
    uint64_t sent_us, not_before_us, id;
    uint8_t *buf;
    size_t len, cap;
} cslot_t;

struct cat {
    dmsc_client_t *c;
    FILE *out;
    uint8_t vname[DMSC_CLIENT_NAME_MAX]; /* versioned prefix */
    size_t vname_len;
    char uri[4096];
    uint32_t lifetime_ms, max_retries;
    dmsc_cc_t cc;
    dmsc_rtt_t rtt;
    cslot_t *ring;
    uint32_t ring_n;
    bool final_known;
    uint64_t final_seg;
    uint64_t next_new;   /* next segment never sent */
    uint64_t next_write; /* next segment to write */
    uint64_t highest_sent;
    uint32_t inflight;
    uint64_t bytes, segments, retx_total, timeouts, nacks, marks, bad_digest;
    int error; /* 1: failed (message printed) */
    bool done;
    int wake_timer;
    uint64_t t0_us;
};

static void cat_schedule(cat_t *ct);

static cslot_t *cat_slot(cat_t *ct, uint64_t seg)
{
    return &ct->ring[seg % ct->ring_n];
}

static void cat_fail(cat_t *ct, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void cat_fail(cat_t *ct, const char *fmt, ...)
{
    if (ct->error) return;
    va_list ap;
    va_start(ap, fmt);
    fputs("dmsc: cat: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    ct->error = 1;
}

static void cat_result(void *arg, dmsc_client_t *c, const dmsc_client_result_t *r);

static void cat_send(cat_t *ct, cslot_t *s)
{
    uint8_t name[DMSC_CLIENT_NAME_MAX];
    size_t len = ct->vname_len;
    memcpy(name, ct->vname, len);
    if (dmsc_client_name_append_number(name, sizeof name, &len, DMSC_CLIENT_COMP_SEGMENT, s->seg)) {
        cat_fail(ct, "name too long");
        return;
    }
    dmsc_client_interest_t in;
    memset(&in, 0, sizeof in);
    in.name = name;
    in.name_len = len;
    in.lifetime_ms = ct->lifetime_ms;
    uint64_t rto_ms = (uint64_t)(ct->rtt.rto_us / 1000.0 + 0.5);
    in.timeout_ms = (uint32_t)(rto_ms < 1                 ? 1
                               : rto_ms > ct->lifetime_ms ? ct->lifetime_ms
                                                          : rto_ms);
    int rc = dmsc_client_express(ct->c, &in, cat_result, s, &s->id);
    if (rc) {
        cat_fail(ct, "express: %s", dmsc_client_strerror(rc));
        return;
    }
    s->state = SLOT_PENDING;
    s->sent_us = dmsc_client_now_us(ct->c);
    ct->inflight++;
    if (s->seg > ct->highest_sent || ct->highest_sent == UINT64_MAX) ct->highest_sent = s->seg;
}

static void cat_write_ready(cat_t *ct)
{
    for (;;) {
        cslot_t *s = cat_slot(ct, ct->next_write);
        if (s->state != SLOT_RECEIVED || s->seg != ct->next_write) break;
        if (s->len && fwrite(s->buf, 1, s->len, ct->out) != s->len) {
            cat_fail(ct, "write: %s", strerror(errno));
            return;
        }
        ct->bytes += s->len;
        ct->segments++;
        s->state = SLOT_FREE;
        ct->next_write++;
        if (ct->final_known && ct->next_write > ct->final_seg) {
            ct->done = true;
            return;
        }
    }
}

/* A loss of segment seg: shrink the window at most once per RTT. */
static void cat_loss(cat_t *ct, uint64_t seg)
{
    if (!ct->cc.has_rec_point || seg > ct->cc.rec_point) {
        dmsc_cc_on_loss(&ct->cc, dmsc_client_now_us(ct->c));
        ct->cc.rec_point = ct->highest_sent;
        ct->cc.has_rec_point = true;
    }
}

static void cat_learn_final(cat_t *ct, uint64_t final)
{
    if (ct->final_known) return;
    ct->final_known = true;
    ct->final_seg = final;
    /* forget Interests past the end (sent before the end was known) */
    for (uint32_t i = 0; i < ct->ring_n; i++) {
        cslot_t *s = &ct->ring[i];
        if (s->state != SLOT_FREE && s->seg > final) {
            if (s->state == SLOT_PENDING) {
                dmsc_client_cancel(ct->c, s->id);
                ct->inflight--;
            }
            s->state = SLOT_FREE;
        }
    }
    if (ct->next_new > final + 1) ct->next_new = final + 1;
}

static void cat_store(cat_t *ct, cslot_t *s, const dmsc_client_data_t *d)
{
    if (d->content_len > s->cap) {
        uint8_t *nb = realloc(s->buf, d->content_len);
        if (!nb) {
            cat_fail(ct, "out of memory");
            return;
        }
        s->buf = nb;
        s->cap = d->content_len;
    }
    if (d->content_len) memcpy(s->buf, d->content, d->content_len);
    s->len = d->content_len;
    s->state = SLOT_RECEIVED;
}

static void cat_result(void *arg, dmsc_client_t *c, const dmsc_client_result_t *r)
{
    cslot_t *s = arg;
    cat_t *ct = s->ct;
    if (ct->error || ct->done) return;
    if (s->state != SLOT_PENDING || s->id != r->id) return; /* a cancelled, reused slot */
    ct->inflight--;
    uint64_t now = dmsc_client_now_us(c);
    switch (r->kind) {
    case DMSC_CLIENT_DATA: {
        const dmsc_client_data_t *d = r->data;
        if (d->sig_type == 0 && !d->sig_valid) {
            ct->bad_digest++;
            cat_fail(ct, "segment %" PRIu64 ": DigestSha256 does not verify", s->seg);
            return;
        }
        if (d->has_final_segment) cat_learn_final(ct, d->final_segment);
        if (s->state == SLOT_FREE) break; /* past the end */
        if (!s->retransmitted) dmsc_rtt_sample(&ct->rtt, (double)r->rtt_us);
        if (d->congestion_mark) {
            ct->marks++;
            cat_loss(ct, s->seg);
        } else {
            dmsc_cc_on_data(&ct->cc, now);
        }
        cat_store(ct, s, d);
        cat_write_ready(ct);
        break;
    }
    case DMSC_CLIENT_TIMEOUT:
    case DMSC_CLIENT_NACK:
        if (r->kind == DMSC_CLIENT_TIMEOUT) {
            ct->timeouts++;
            dmsc_rtt_backoff(&ct->rtt);
            cat_loss(ct, s->seg);
        } else {
            ct->nacks++;
            if (r->nack_reason == DMSC_CLIENT_NACK_CONGESTION) cat_loss(ct, s->seg);
        }
        if (++s->retx > ct->max_retries) {
            cat_fail(ct, "segment %" PRIu64 ": no Data after %u retransmissions (%s)", s->seg,
                     ct->max_retries,
                     r->kind == DMSC_CLIENT_TIMEOUT                ? "timeout"
                     : r->nack_reason == DMSC_CLIENT_NACK_NO_ROUTE ? "Nack NoRoute"
                                                                   : "Nack");
            return;
        }
        ct->retx_total++;
        s->retransmitted = true;
        s->state = SLOT_WAIT_RETX;
        /* NoRoute and other Nacks: wait an RTO before asking again */
        s->not_before_us = r->kind == DMSC_CLIENT_NACK &&
                                   r->nack_reason != DMSC_CLIENT_NACK_CONGESTION &&
                                   r->nack_reason != DMSC_CLIENT_NACK_DUPLICATE
                               ? now + (uint64_t)ct->rtt.rto_us
                               : now;
        break;
    default:
        cat_fail(ct, "face closed");
        return;
    }
    cat_schedule(ct);
}

static void cat_wake(void *arg, dmsc_client_t *c)
{
    cat_t *ct = arg;
    ct->wake_timer = 0;
    cat_schedule(ct);
}

static void cat_schedule(cat_t *ct)
{
    if (ct->error || ct->done) return;
    uint64_t now = dmsc_client_now_us(ct->c);
    uint64_t wake = UINT64_MAX;
    uint32_t win = dmsc_cc_window(&ct->cc);
    /* retransmissions first, oldest segment first */
    for (uint64_t seg = ct->next_write; seg < ct->next_new && ct->inflight < win; seg++) {
        cslot_t *s = cat_slot(ct, seg);
        if (s->state != SLOT_WAIT_RETX || s->seg != seg) continue;
        if (s->not_before_us > now) {
            if (s->not_before_us < wake) wake = s->not_before_us;
            continue;
        }
        cat_send(ct, s);
        if (ct->error) return;
    }
    while (ct->inflight < win && (!ct->final_known || ct->next_new <= ct->final_seg) &&
           ct->next_new < ct->next_write + ct->ring_n) {
        cslot_t *s = cat_slot(ct, ct->next_new);
        s->seg = ct->next_new++;
        s->retx = 0;
        s->retransmitted = false;
        s->len = 0;
        cat_send(ct, s);
        if (ct->error) return;
    }
    if (wake != UINT64_MAX && !ct->wake_timer) {
        uint64_t ms = (wake - now + 999) / 1000;
        int id = dmsc_client_timer_start(ct->c, (uint32_t)(ms ? ms : 1), cat_wake, ct);
        ct->wake_timer = id > 0 ? id : 0;
    }
}

/* Version discovery: NAME with CanBePrefix + MustBeFresh must return
 * NAME/<version>/<segment> (NDNts discoverVersion, ndncatchunks before RDR). */
typedef struct {
    cat_t *ct;
    const uint8_t *name;
    size_t name_len;
    uint32_t tries;
    bool ok;
} disc_t;

static void disc_send(disc_t *dc);

static void disc_result(void *arg, dmsc_client_t *c, const dmsc_client_result_t *r)
{
    disc_t *dc = arg;
    cat_t *ct = dc->ct;
    if (r->kind == DMSC_CLIENT_DATA) {
        const dmsc_client_data_t *d = r->data;
        int k = ncomps(dc->name, dc->name_len);
        uint64_t seg;
        if (ncomps(d->name, d->name_len) != k + 2 ||
            !comp_is(d->name, d->name_len, k, DMSC_CLIENT_COMP_VERSION, NULL) ||
            !comp_is(d->name, d->name_len, k + 1, DMSC_CLIENT_COMP_SEGMENT, &seg)) {
            char u[4096];
            dmsc_client_name_format(d->name, d->name_len, u, sizeof u);
            cat_fail(ct, "cannot extract version from %s", u);
            return;
        }
        if (d->sig_type == 0 && !d->sig_valid) {
            cat_fail(ct, "discovery reply: DigestSha256 does not verify");
            return;
        }
        ct->vname_len = prefix_len(d->name, d->name_len, k + 1);
        memcpy(ct->vname, d->name, ct->vname_len);
        dc->ok = true;
        dmsc_rtt_sample(&ct->rtt, (double)r->rtt_us);
        if (d->has_final_segment) cat_learn_final(ct, d->final_segment);
        /* keep the segment it brought when it is the first one */
        if (seg == 0) {
            cslot_t *s = cat_slot(ct, 0);
            s->seg = 0;
            cat_store(ct, s, d);
            ct->next_new = 1;
            ct->highest_sent = 0;
            dmsc_cc_on_data(&ct->cc, dmsc_client_now_us(c));
            cat_write_ready(ct);
        }
        return; /* cmd_cat's loop sees dc->ok and starts the pipeline */
    }
    if (r->kind == DMSC_CLIENT_CLOSED) {
        cat_fail(ct, "face closed");
        return;
    }
    if (++dc->tries > 3) {
        cat_fail(ct, "version discovery: %s",
                 r->kind == DMSC_CLIENT_NACK ? "Nack" : "no reply (timeout)");
        return;
    }
    disc_send(dc);
}

static void disc_send(disc_t *dc)
{
    dmsc_client_interest_t in;
    memset(&in, 0, sizeof in);
    in.name = dc->name;
    in.name_len = dc->name_len;
    in.can_be_prefix = true;
    in.must_be_fresh = true;
    in.lifetime_ms = dc->ct->lifetime_ms;
    int rc = dmsc_client_express(dc->ct->c, &in, disc_result, dc, NULL);
    if (rc) cat_fail(dc->ct, "express: %s", dmsc_client_strerror(rc));
}

static int cmd_cat(int argc, char **argv)
{
    const char *face = NULL, *name = NULL, *outpath = NULL, *algo = "cubic";
    uint64_t pipeline = 64, lifetime = 4000, retries = 15;
    bool verbose = false;
    for (int k = 1; k < argc; k++) {
        const char *a = argv[k];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage_cat, stdout);
            return 0;
        } else if (strcmp(a, "--pipeline") == 0 && k + 1 < argc) {
            if (!parse_u64(argv[++k], 4096, &pipeline) || !pipeline) goto usage;
        } else if (strcmp(a, "--cc") == 0 && k + 1 < argc) {
            algo = argv[++k];
        } else if (strcmp(a, "--lifetime") == 0 && k + 1 < argc) {
            if (!parse_u64(argv[++k], 3600000, &lifetime) || !lifetime) goto usage;
        } else if (strcmp(a, "--retries") == 0 && k + 1 < argc) {
            if (!parse_u64(argv[++k], 1000, &retries)) goto usage;
        } else if (strcmp(a, "-o") == 0 && k + 1 < argc) {
            outpath = argv[++k];
        } else if (strcmp(a, "-v") == 0) {
            verbose = true;
        } else if (strcmp(a, "--face") == 0 && k + 1 < argc) {
            face = argv[++k];
        } else if (a[0] != '-' && !name) {
            name = a;
        } else {
            goto usage;
        }
    }
    if (!name) goto usage;
    int cc_algo = strcmp(algo, "cubic") == 0   ? DMSC_CC_CUBIC
                  : strcmp(algo, "aimd") == 0  ? DMSC_CC_AIMD
                  : strcmp(algo, "fixed") == 0 ? DMSC_CC_FIXED
                                               : -1;
    if (cc_algo < 0) goto usage;

    cat_t *ct = calloc(1, sizeof *ct);
    if (!ct) return fail("cat", "out of memory");
    int ret = 1;
    uint8_t nm[DMSC_CLIENT_NAME_MAX];
    size_t nl;
    disc_t dc;
    memset(&dc, 0, sizeof dc);
    if (dmsc_client_name_parse(name, nm, sizeof nm, &nl) || nl == 0) {
        fail("cat", "bad name: %s", name);
        goto out;
    }
    ct->lifetime_ms = (uint32_t)lifetime;
    ct->max_retries = (uint32_t)retries;
    ct->highest_sent = UINT64_MAX;
    dmsc_rtt_init(&ct->rtt);
    dmsc_cc_init(&ct->cc, cc_algo, cc_algo == DMSC_CC_FIXED ? (double)pipeline : 2,
                 (double)pipeline);
    ct->ring_n = (uint32_t)(pipeline * 4 < 256 ? 256 : pipeline * 4);
    ct->ring = calloc(ct->ring_n, sizeof *ct->ring);
    for (uint32_t i = 0; ct->ring && i < ct->ring_n; i++)
        ct->ring[i].ct = ct;
    ct->out = outpath ? fopen(outpath, "wb") : stdout;
    if (!ct->ring || !ct->out) {
        fail("cat", "%s: %s", outpath ? outpath : "memory", strerror(errno));
        goto out;
    }
    dmsc_client_opts_t o;
    dmsc_client_opts_default(&o);
    o.verify_digest = true;
    if (open_face("cat", face, &o, &ct->c)) goto out;
    install_signals(ct->c);
    ct->t0_us = dmsc_client_now_us(ct->c);

    if (comp_is(nm, nl, -1, DMSC_CLIENT_COMP_VERSION, NULL)) {
        memcpy(ct->vname, nm, nl);
        ct->vname_len = nl;
    } else {
        dc.ct = ct;
        dc.name = nm;
        dc.name_len = nl;
        disc_send(&dc);
        int rc = 0;
        while (!ct->error && !dc.ok && !rc && !dmsc_client_stopped(ct->c))
            rc = dmsc_client_run_once(ct->c, -1);
        if (rc && !ct->error)
            cat_fail(ct, "face %s: %s", dmsc_client_uri(ct->c), dmsc_client_strerror(rc));
        if (ct->error) goto out;
        if (!dc.ok) {
            fail("cat", "version discovery interrupted");
            goto out;
        }
    }
    dmsc_client_name_format(ct->vname, ct->vname_len, ct->uri, sizeof ct->uri);
    if (!ct->done) {
        cat_schedule(ct);
        int rc = 0;
        while (!ct->error && !ct->done && !rc && !dmsc_client_stopped(ct->c))
            rc = dmsc_client_run_once(ct->c, -1);
        if (rc && !ct->error)
            cat_fail(ct, "face %s: %s", dmsc_client_uri(ct->c), dmsc_client_strerror(rc));
    }
    if (fflush(ct->out) != 0) {
        cat_fail(ct, "write: %s", strerror(errno));
    }
    if (!ct->error && !ct->done) {
        fail("cat", "interrupted after %" PRIu64 " segments", ct->segments);
        goto out;
    }
    if (ct->error) goto out;
    if (ct->segments != ct->final_seg + 1) {
        fail("cat", "got %" PRIu64 " segments, FinalBlockId says %" PRIu64, ct->segments,
             ct->final_seg + 1);
        goto out;
    }
    if (verbose) {
        double secs = (double)(dmsc_client_now_us(ct->c) - ct->t0_us) / 1e6;
        if (secs <= 0) secs = 1e-6;
        fprintf(stderr,
                "dmsc cat: %s segments=%" PRIu64 " bytes=%" PRIu64 " time=%.3fs goodput=%.2fMbit/s"
                " retx=%" PRIu64 " timeouts=%" PRIu64 " nacks=%" PRIu64 " marks=%" PRIu64
                " cwnd=%.1f srtt=%.3fms rto=%.0fms\n",
                ct->uri, ct->segments, ct->bytes, secs, (double)ct->bytes * 8 / secs / 1e6,
                ct->retx_total, ct->timeouts, ct->nacks, ct->marks, ct->cc.cwnd,
                ct->rtt.srtt_us / 1000, ct->rtt.rto_us / 1000);
    }
    ret = 0;

out:
    g_client = NULL;
    if (ct->out && ct->out != stdout) fclose(ct->out);
    dmsc_client_close(ct->c);
    if (ct->ring)
        for (uint32_t i = 0; i < ct->ring_n; i++)
            free(ct->ring[i].buf);
    free(ct->ring);
    free(ct);
    return ret;

usage:
    fputs(usage_cat, stderr);
    return 1;
}

/* ------------------------------------------------------------ dispatch */

bool dmsc_cli_ndn_is_command(const char *name)
{
    return name &&
           (strcmp(name, "ping") == 0 || strcmp(name, "cat") == 0 || strcmp(name, "put") == 0);
}

int dmsc_cli_ndn_main(int argc, char **argv)
{
    if (argc < 1) return 1;
    if (strcmp(argv[0], "ping") == 0) return cmd_ping(argc, argv);
    if (strcmp(argv[0], "put") == 0) return cmd_put(argc, argv);
    if (strcmp(argv[0], "cat") == 0) return cmd_cat(argc, argv);
    fprintf(stderr, "dmsc: unknown command '%s'\n", argv[0]);
    return 1;
}
