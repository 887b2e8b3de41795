/*
 * Segmented bodies (docs/http-mapping.md "Segments"):
 *  - gw_stream: serve a byte stream as Data segments <base>/seg=N, holding
 *    Interests for segments not produced yet, with back-pressure on the
 *    writer and bounded retention;
 *  - gw_fetch: fetch <base>/seg=0.. in order with a CUBIC congestion
 *    window (ndn/cc.h) and timeout-driven retransmission.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "base/err.h"
#include "base/log.h"
#include "gw/gw_int.h"
#include "ndn/lp.h"
#include "sec/sig.h"

#define LOGM "gw"

/* Stream tunables. */
#define STREAM_PAUSE_BYTES (4u << 20)  /* produced but not asked for yet: pause the writer */
#define STREAM_RETAIN_BYTES (4u << 20) /* kept behind the highest segment asked for */
#define STREAM_HELD_MAX 512            /* Interests held for future segments */
/* All streams of a node together: past gateway.buffer_max bytes of
 * segments, the streams kept only for retransmissions (released, final
 * segment served, for at least STREAM_EVICT_AGE_MS), oldest first, are freed
 * down to 3/4 of it (counted as evicted); if that is not enough, writers
 * pause (a caller that never fetches cannot make the node buffer without
 * bound; counted as buffer_full). A body whose last segment went out just
 * now is not evicted: a consumer may still ask again for a lost segment
 * (its retransmission timeout is 250 ms or more), and losing the body
 * then fails its response; pausing writers only slows new ones. */
#define STREAM_EVICT_AGE_MS 500
#define STREAM_LINGER_MS 10000 /* after release, or since the last Interest for it */
/* ... once the final segment went out: long enough for the retransmission
 * of a lost tail segment (a few consumer RTOs); streams past their final
 * segment are the first freed when the node-wide cap is reached */
#define STREAM_LINGER_DONE_MS 3000

/* Fetch tunables. */
#define FETCH_WINDOW_MAX 64
/* Initial window, in segments: TCP's IW10 (RFC 6928). With 8000-byte
 * segments a 64 KiB body (9 segments) is asked for in one round trip. */
#define FETCH_WINDOW_INIT 10
#define FETCH_RING 128 /* > FETCH_WINDOW_MAX */
/* A fetch gives up when no segment has arrived for gateway.timeout (at
 * least this long): a producer may hold Interests while its source stalls,
 * and the Interests are asked again every lifetime meanwhile */
#define FETCH_STALL_MIN_MS 10000
/* A segment still missing when this many later ones have arrived was lost
 * (a producer makes segments in order and one path keeps them in order):
 * ask again now rather than when its Interest expires (>= 1 s) */
#define FETCH_DUP_THRESH 3

/* ================= gw_stream ================= */

typedef struct {
    uint64_t seg;
    uint64_t deadline;
    uint8_t token_len;
    uint8_t token[32];
} held_t;

struct gw_stream {
    dmsc_gw_t *g;
    gw_stream_t *hnext;
    uint64_t hash;
    dmsc_namebuf_t base;
    uint64_t freshness;
    gw_stream_cb_t cb;
    void *arg;
    size_t segsize;
    /* Segment buffers are bufsize (the packet size) bytes, the body ending
     * at body_end: where a Data's Content ends once encoded (the digest
     * signature after it), so a segment is encoded in its own buffer without
     * copying the body (stream_encode). A full segment's body starts at
     * body_end - segsize; a shorter one is moved to end at body_end when
     * pushed. */
    size_t bufsize, body_end;

    /* produced segments seg_lo .. seg_lo + nsegs - 1 */
    uint8_t **segs;
    uint32_t *seglen;
    size_t segs_cap;
    uint64_t seg_lo, nsegs;
    uint8_t *cur; /* the segment being filled */
    size_t cur_len;
    uint64_t bytes;

    bool ended, aborted, released, paused, final_served, cut_queued;
    uint64_t last_cut;      /* ms: last partial segment cut (stream_maybe_cut) */
    uint64_t highest_asked; /* +1; 0 = nothing asked yet */
    uint64_t linger_until;
    uint64_t done_at;           /* ms: released and past the final segment since (evictable) */
    gw_stream_t *dnext, *dprev; /* on g->done_head list while evictable */
    uint64_t ended_at_seg;      /* final segment index when ended */
    bool total_known;           /* the body length was announced: final index known early */
    uint64_t final_seg;

    dmsc_http_field_t *trailers;
    size_t ntrailers;

    held_t *held;
    size_t nheld;

    uint8_t *head; /* the response head Data (sent again if it was lost) */
    size_t head_len;
};

static uint64_t base_hash(const dmsc_name_t *n)
{
    return dmsc_name_hash(n, n->ncomps);
}

static int streams_insert(dmsc_gw_t *g, gw_stream_t *s)
{
    if (g->streams_n + 1 > g->streams_cap / 2) {
        size_t cap = g->streams_cap ? g->streams_cap * 2 : 64;
        gw_stream_t **t = calloc(cap, sizeof *t);
        if (!t) return DMSC_ENOMEM;
        for (size_t i = 0; i < g->streams_cap; i++) {
            gw_stream_t *x = g->streams[i];
            while (x) {
                gw_stream_t *nx = x->hnext;
                x->hnext = t[x->hash & (cap - 1)];
                t[x->hash & (cap - 1)] = x;
                x = nx;
            }
        }
        free(g->streams);
        g->streams = t;
        g->streams_cap = cap;
    }
    s->hnext = g->streams[s->hash & (g->streams_cap - 1)];
    g->streams[s->hash & (g->streams_cap - 1)] = s;
    g->streams_n++;
    return 0;
}

static void streams_remove(dmsc_gw_t *g, gw_stream_t *s)
{
    gw_stream_t **pp = &g->streams[s->hash & (g->streams_cap - 1)];
    while (*pp && *pp != s)
        pp = &(*pp)->hnext;
    if (*pp) {
        *pp = s->hnext;
        g->streams_n--;
    }
}

static void stream_destroy(gw_stream_t *s)
{
    streams_remove(s->g, s);
    if (s->released && s->final_served) {
        gw_stream_t **pp = s->dprev ? &s->dprev->dnext : &s->g->done_head;
        *pp = s->dnext;
        if (s->dnext)
            s->dnext->dprev = s->dprev;
        else
            s->g->done_tail = s->dprev;
        s->g->streams_done--;
    }
    if (s->cut_queued)
        for (size_t i = 0; i < s->g->ncut; i++)
            if (s->g->cut[i] == s) s->g->cut[i] = NULL;
    for (uint64_t i = 0; i < s->nsegs; i++)
        free(s->segs[i]);
    s->g->stream_bytes -= (s->nsegs + 1) * s->bufsize;
    free(s->segs);
    free(s->seglen);
    free(s->cur);
    free(s->held);
    free(s->trailers);
    free(s->head);
    free(s);
}

int gw__stream_new(dmsc_gw_t *g, const dmsc_name_t *base, uint64_t freshness_ms,
                   const gw_stream_cb_t *cb, void *arg, gw_stream_t **out)
{
    gw_stream_t *s = calloc(1, sizeof *s);
    if (!s) return DMSC_ENOMEM;
    s->g = g;
    if (dmsc_namebuf_copy(&s->base, base)) {
        free(s);
        return DMSC_ENAMELEN;
    }
    s->hash = base_hash(&s->base.name);
    s->freshness = freshness_ms;
    if (cb) s->cb = *cb;
    s->arg = arg;
    /* Data = Name (base + segment) + MetaInfo + Content(HttpSegment) + digest
     * signature: keep it under the datagram ceiling */
    size_t room = g->pkt_max - 512 - (size_t)s->base.name.len;
    s->segsize = room > g->cfg.gateway.segment_size ? g->cfg.gateway.segment_size : room;
    s->bufsize = g->pkt_max;
    s->body_end = g->pkt_max - g->data_tail;
    if (s->segsize < 512 || !(s->cur = malloc(s->bufsize)) || streams_insert(g, s)) {
        free(s->cur);
        free(s);
        return DMSC_ENOMEM;
    }
    g->stream_bytes += s->bufsize; /* cur */
    *out = s;
    return 0;
}

void gw__stream_set_total(gw_stream_t *s, uint64_t len)
{
    s->total_known = true;
    s->final_seg = len ? (len - 1) / s->segsize : 0;
}

bool gw__stream_last_segment(const gw_stream_t *s, uint64_t *last)
{
    if (!s || !s->total_known) return false;
    *last = s->final_seg;
    return true;
}

int gw__stream_set_head(gw_stream_t *s, const uint8_t *wire, size_t len)
{
    uint8_t *h = malloc(len);
    if (!h) return DMSC_ENOMEM;
    memcpy(h, wire, len);
    free(s->head);
    s->head = h;
    s->head_len = len;
    return 0;
}

bool gw__stream_resend_head(dmsc_gw_t *g, const dmsc_name_t *iname, dmsc_slice_t token)
{
    if (!g->streams_cap) return false;
    dmsc_namebuf_t seg0;
    if (dmsc_hmap_segment_name(iname, 0, &seg0)) return false;
    dmsc_name_t base;
    dmsc_name_get_prefix(&seg0.name, seg0.name.ncomps - 1, &base);
    uint64_t h = base_hash(&base);
    for (gw_stream_t *s = g->streams[h & (g->streams_cap - 1)]; s; s = s->hnext) {
        if (s->hash != h || !dmsc_name_equal(&s->base.name, &base)) continue;
        /* a segment asked for: the head arrived, this is a new request */
        if (!s->head || s->highest_asked || s->aborted) return false;
        g->ctr.ingress_head_resent++;
        gw__send_data(g, s->head, s->head_len, token, s->freshness == 0);
        return true;
    }
    return false;
}

uint64_t gw__stream_bytes(const gw_stream_t *s)
{
    return s->bytes;
}

/* Body of the stored segment at index i (see struct gw_stream). */
static uint8_t *seg_body(const gw_stream_t *s, uint64_t i)
{
    return s->segs[i] + s->body_end - s->seglen[i];
}

/* Encode segment `seg`; *wire set (in the segment's own buffer, or in g->buf
 * for a final segment with trailers). 0 or an error. */
static int stream_encode(gw_stream_t *s, uint64_t seg, dmsc_slice_t *wire)
{
    dmsc_gw_t *g = s->g;
    bool final = s->ended && seg == s->ended_at_seg;
    uint64_t i = seg - s->seg_lo;
    dmsc_hmap_segment_t hs;
    memset(&hs, 0, sizeof hs);
    hs.body = dmsc_slice(seg_body(s, i), s->seglen[i]);
    /* built where the Data's Content goes: in place, the headers written in
     * front of the body and the signature after it (the body is not moved,
     * so encoding again for a retransmission gives the same packet). Trailers
     * go after the body: that segment is built in g->buf (one copy). */
    uint8_t *buf = s->segs[i];
    if (final && s->ntrailers) {
        hs.has_trailers = true;
        memcpy(hs.trailers, s->trailers, s->ntrailers * sizeof *s->trailers);
        hs.ntrailers = s->ntrailers;
        buf = g->buf;
    }
    dmsc_slice_t content;
    int rc = dmsc_hmap_segment_encode(&hs, buf, g->pkt_max - g->data_tail, &content);
    if (rc) return rc;
    dmsc_namebuf_t nb;
    dmsc_namebuf_copy(&nb, &s->base.name);
    if ((rc = dmsc_namebuf_append_nni(&nb, DMSC_TT_SEGMENT, seg))) return rc;
    dmsc_data_t d;
    dmsc_hmap_data_init(&d, &nb.name, content, s->freshness, final);
    dmsc_namebuf_t fb;
    if (!final && s->total_known) {
        /* FinalBlockId in every segment once the end is known (as
         * ndnputchunks does): the consumer stops its window there */
        dmsc_namebuf_init(&fb);
        if (dmsc_namebuf_append_nni(&fb, DMSC_TT_SEGMENT, s->final_seg) == 0) {
            d.has_meta_info = true;
            d.has_final_block = true;
            d.final_block = dmsc_name_comp(&fb.name, 0);
        }
    }
    return dmsc_data_encode(&d, dmsc_sig_digest_signer(), buf, g->pkt_max, wire);
}

static bool seg_available(const gw_stream_t *s, uint64_t seg)
{
    return seg >= s->seg_lo && seg < s->seg_lo + s->nsegs;
}

/* s is released and past its final segment: evictable from now on. */
static void stream_done(gw_stream_t *s)
{
    dmsc_gw_t *g = s->g;
    g->streams_done++;
    s->done_at = gw__now_ms(g);
    s->dnext = NULL;
    s->dprev = g->done_tail;
    if (g->done_tail)
        g->done_tail->dnext = s;
    else
        g->done_head = s;
    g->done_tail = s;
}

static void stream_serve(gw_stream_t *s, uint64_t seg, dmsc_slice_t token)
{
    dmsc_slice_t wire;
    int rc = stream_encode(s, seg, &wire);
    if (rc) {
        DMSC_LOGW(LOGM, "event=segment-encode seg=%llu result=%s", (unsigned long long)seg,
                  dmsc_errname(rc));
        return;
    }
    s->g->ctr.seg_served++;
    gw__send_data(s->g, wire.p, wire.n, token, s->freshness == 0);
    if (s->ended && seg == s->ended_at_seg && !s->final_served) {
        s->final_served = true;
        uint64_t soon = gw__now_ms(s->g) + STREAM_LINGER_DONE_MS;
        if (s->released) {
            stream_done(s);
            if (s->linger_until > soon) s->linger_until = soon;
        }
    }
}

/* Free segments far behind what consumers ask for. */
static void stream_trim(gw_stream_t *s)
{
    if (!s->highest_asked) return;
    uint64_t keep_segs = STREAM_RETAIN_BYTES / s->segsize + 1;
    uint64_t asked = s->highest_asked - 1;
    while (s->nsegs > 0 && s->seg_lo + keep_segs < asked) {
        free(s->segs[0]);
        s->g->stream_bytes -= s->bufsize;
        memmove(s->segs, s->segs + 1, (s->nsegs - 1) * sizeof *s->segs);
        memmove(s->seglen, s->seglen + 1, (s->nsegs - 1) * sizeof *s->seglen);
        s->nsegs--;
        s->seg_lo++;
    }
}

static uint64_t stream_unasked_bytes(const gw_stream_t *s)
{
    uint64_t produced_end = s->seg_lo + s->nsegs;
    uint64_t asked = s->highest_asked;
    if (asked >= produced_end) return 0;
    return (produced_end - asked) * s->segsize;
}

static void stream_check_drain(gw_stream_t *s)
{
    if (s->paused && stream_unasked_bytes(s) < STREAM_PAUSE_BYTES / 2) {
        s->paused = false;
        if (s->cb.on_drain && !s->released) s->cb.on_drain(s->arg);
    }
}

/* Answer held Interests whose segment exists now; drop expired ones. */
static void stream_flush_held(gw_stream_t *s)
{
    uint64_t now = gw__now_ms(s->g);
    size_t k = 0;
    for (size_t i = 0; i < s->nheld; i++) {
        held_t *h = &s->held[i];
        if (h->deadline <= now) continue;
        if (seg_available(s, h->seg)) {
            stream_serve(s, h->seg, dmsc_slice(h->token, h->token_len));
            continue;
        }
        if (s->ended && h->seg > s->ended_at_seg) continue; /* past the end: never */
        s->held[k++] = *h;
    }
    s->nheld = k;
}

static int stream_push(gw_stream_t *s);

/* A live stream of unknown length (gRPC server streaming, a chunked
 * response): when a consumer already waits for the segment being filled,
 * cut it now instead of waiting for a full segment. */
static void stream_maybe_cut(gw_stream_t *s)
{
    if (s->total_known || s->ended || s->aborted || !s->cur_len || s->cut_queued) return;
    uint64_t next = s->seg_lo + s->nsegs;
    uint64_t now = gw__now_ms(s->g);
    for (size_t i = 0; i < s->nheld; i++) {
        if (s->held[i].seg == next && s->held[i].deadline > now) {
            /* cut at the end of this loop turn, so that what arrives in
             * one burst still fills one segment */
            dmsc_gw_t *g = s->g;
            if (g->ncut == sizeof g->cut / sizeof g->cut[0]) return; /* next turn */
            g->cut[g->ncut++] = s;
            s->cut_queued = true;
            return;
        }
    }
}

#define CUT_MIN_MS 10 /* a live stream yields at most one partial segment per 10 ms */

static void on_cut_timer(uv_timer_t *t)
{
    gw__streams_cut(t->data);
}

void gw__streams_cut(dmsc_gw_t *g)
{
    size_t n = g->ncut, keep = 0;
    uint64_t now = gw__now_ms(g), wake = UINT64_MAX;
    for (size_t i = 0; i < n; i++) {
        gw_stream_t *s = g->cut[i];
        if (!s) continue;
        if (s->ended || s->aborted || !s->cur_len) {
            s->cut_queued = false;
            continue;
        }
        if (now < s->last_cut + CUT_MIN_MS) { /* too soon: let more bytes gather */
            g->cut[keep++] = s;
            if (s->last_cut + CUT_MIN_MS < wake) wake = s->last_cut + CUT_MIN_MS;
            continue;
        }
        s->cut_queued = false;
        s->last_cut = now;
        if (stream_push(s) == 0) stream_flush_held(s);
    }
    g->ncut = keep;
    if (keep && !g->stopping) {
        if (!g->cut_timer.data) {
            uv_timer_init(g->loop, &g->cut_timer);
            g->cut_timer.data = g;
        }
        uv_timer_start(&g->cut_timer, on_cut_timer, wake > now ? wake - now : 0, 0);
    }
}

/* Over the node-wide cap: free the streams that linger only for
 * retransmissions, oldest first, if evictable for STREAM_EVICT_AGE_MS. */
static void streams_evict(dmsc_gw_t *g)
{
    uint64_t now = gw__now_ms(g);
    while (g->done_head && g->stream_bytes > g->cfg.gateway.buffer_max / 4 * 3 &&
           now - g->done_head->done_at >= STREAM_EVICT_AGE_MS) {
        stream_destroy(g->done_head);
        g->ctr.seg_evicted++;
    }
}

static int stream_push(gw_stream_t *s)
{
    if (s->nsegs == s->segs_cap) {
        size_t cap = s->segs_cap ? s->segs_cap * 2 : 16;
        uint8_t **ns = realloc(s->segs, cap * sizeof *ns);
        if (!ns) return DMSC_ENOMEM;
        s->segs = ns;
        uint32_t *nl = realloc(s->seglen, cap * sizeof *nl);
        if (!nl) return DMSC_ENOMEM;
        s->seglen = nl;
        s->segs_cap = cap;
    }
    uint8_t *nb = malloc(s->bufsize);
    if (!nb) return DMSC_ENOMEM;
    s->g->stream_bytes += s->bufsize;
    if (s->cur_len < s->segsize) /* a short one ends at body_end too */
        memmove(s->cur + s->body_end - s->cur_len, s->cur + s->body_end - s->segsize, s->cur_len);
    s->segs[s->nsegs] = s->cur;
    s->seglen[s->nsegs] = (uint32_t)s->cur_len;
    s->nsegs++;
    s->cur = nb;
    s->cur_len = 0;
    return 0;
}

int gw__stream_write(gw_stream_t *s, const uint8_t *p, size_t n)
{
    if (s->ended || s->aborted) return DMSC_EINVAL;
    bool pushed = false;
    while (n) {
        if (s->cur_len == s->segsize) {
            /* cur is full and more bytes follow: it is not the final one */
            int rc = stream_push(s);
            if (rc) return rc;
            pushed = true;
        }
        size_t k = s->segsize - s->cur_len;
        if (k > n) k = n;
        memcpy(s->cur + s->body_end - s->segsize + s->cur_len, p, k);
        s->cur_len += k;
        s->bytes += k;
        p += k;
        n -= k;
    }
    if (pushed) stream_flush_held(s);
    stream_maybe_cut(s);
    if (stream_unasked_bytes(s) >= STREAM_PAUSE_BYTES) {
        s->paused = true;
        return 1;
    }
    uint64_t cap = s->g->cfg.gateway.buffer_max;
    if (s->g->stream_bytes > cap) streams_evict(s->g);
    if (s->g->stream_bytes > cap && stream_unasked_bytes(s) > 0) {
        s->g->ctr.seg_buffer_full++;
        s->paused = true;
        return 1;
    }
    return 0;
}

int gw__stream_end(gw_stream_t *s, const dmsc_http_field_t *trailers, size_t ntrailers)
{
    if (s->ended || s->aborted) return DMSC_EINVAL;
    if (ntrailers) {
        if (!(s->trailers = dmsc_http_fields_dup(trailers, ntrailers))) return DMSC_ENOMEM;
        s->ntrailers = ntrailers;
    }
    int rc = stream_push(s);
    if (rc) return rc;
    s->ended = true;
    s->ended_at_seg = s->seg_lo + s->nsegs - 1;
    stream_flush_held(s);
    return 0;
}

void gw__stream_abort(gw_stream_t *s)
{
    s->aborted = true;
    s->nheld = 0; /* held Interests expire downstream */
}

void gw__stream_release(gw_stream_t *s)
{
    if (!s) return;
    s->released = true;
    if (s->final_served) stream_done(s);
    s->cb.on_drain = NULL;
    s->linger_until =
        gw__now_ms(s->g) + (s->final_served ? STREAM_LINGER_DONE_MS : STREAM_LINGER_MS);
    if (s->aborted) stream_destroy(s);
}

static gw_stream_t *stream_find_for(dmsc_gw_t *g, const dmsc_name_t *name, uint64_t *seg)
{
    if (!g->streams_cap || name->ncomps < 2) return NULL;
    dmsc_comp_t c;
    const uint8_t *last = name->value + name->off[name->ncomps - 1];
    if (last[0] != DMSC_TT_SEGMENT) return NULL;
    dmsc_name_t base;
    dmsc_name_get_prefix(name, name->ncomps - 1, &base);
    uint64_t h = base_hash(&base);
    for (gw_stream_t *s = g->streams[h & (g->streams_cap - 1)]; s; s = s->hnext) {
        if (s->hash != h || !dmsc_name_equal(&s->base.name, &base)) continue;
        (void)c;
        /* decode the NNI of the segment component */
        dmsc_name_t one;
        dmsc_name_get_prefix(name, name->ncomps, &one);
        size_t off = name->off[name->ncomps - 1];
        size_t end = name->off[name->ncomps];
        /* component TLV: type(1) len(1) value */
        if (end - off < 3 || end - off > 10) return NULL;
        size_t vlen = name->value[off + 1];
        if (vlen + 2 != end - off || !(vlen == 1 || vlen == 2 || vlen == 4 || vlen == 8))
            return NULL;
        uint64_t v = 0;
        for (size_t i = 0; i < vlen; i++)
            v = (v << 8) | name->value[off + 2 + i];
        *seg = v;
        return s;
    }
    return NULL;
}

bool gw__stream_on_interest(dmsc_gw_t *g, const dmsc_interest_t *in, const dmsc_pkt_t *pkt)
{
    uint64_t seg;
    gw_stream_t *s = stream_find_for(g, &in->name, &seg);
    if (!s) {
        /* a segment name of a stream we no longer have: Nack it, so the
         * consumer fails fast instead of timing out */
        if (in->name.ncomps >= 2 &&
            in->name.value[in->name.off[in->name.ncomps - 1]] == DMSC_TT_SEGMENT &&
            !in->has_app_params) {
            g->ctr.seg_missing++;
            gw__send_nack(g, pkt->wire, pkt->len, pkt->pit_token, DMSC_LP_NACK_NO_ROUTE);
            return true;
        }
        return false;
    }
    if (s->ended && seg > s->ended_at_seg) {
        /* a consumer's window ran past the end before it saw FinalBlockId:
         * nothing to say (it stops asking once it has the final segment) */
        g->ctr.seg_missing++;
        return true;
    }
    if (s->aborted || seg < s->seg_lo) {
        g->ctr.seg_missing++;
        gw__send_nack(g, pkt->wire, pkt->len, pkt->pit_token, DMSC_LP_NACK_NO_ROUTE);
        return true;
    }
    if (seg + 1 > s->highest_asked) s->highest_asked = seg + 1;
    if (s->released && !s->final_served) {
        /* a consumer still fetching (slowly, over loss): keep serving it */
        uint64_t until = gw__now_ms(g) + STREAM_LINGER_MS;
        if (until > s->linger_until) s->linger_until = until;
    }
    if (seg_available(s, seg)) {
        stream_serve(s, seg, pkt->pit_token);
    } else if (s->nheld < STREAM_HELD_MAX && pkt->pit_token.n <= 32) {
        if (!s->held) s->held = malloc(STREAM_HELD_MAX * sizeof *s->held);
        if (s->held) {
            held_t *h = &s->held[s->nheld++];
            h->seg = seg;
            h->deadline = gw__now_ms(g) + in->lifetime;
            h->token_len = (uint8_t)pkt->pit_token.n;
            if (pkt->pit_token.n) memcpy(h->token, pkt->pit_token.p, pkt->pit_token.n);
            g->ctr.seg_held++;
            stream_maybe_cut(s);
        }
    }
    stream_trim(s);
    stream_check_drain(s);
    return true;
}

/* Free released streams whose linger time is over (called by gw.c's sweep). */
void gw__streams_sweep(dmsc_gw_t *g)
{
    uint64_t now = gw__now_ms(g);
    for (size_t i = 0; i < g->streams_cap; i++) {
        gw_stream_t *s = g->streams[i];
        while (s) {
            gw_stream_t *nx = s->hnext;
            if (s->released && s->linger_until <= now) stream_destroy(s);
            s = nx;
        }
    }
}

void gw__streams_free_all(dmsc_gw_t *g)
{
    for (size_t i = 0; i < g->streams_cap; i++) {
        while (g->streams[i])
            stream_destroy(g->streams[i]);
    }
}

/* ================= gw_fetch ================= */

typedef struct {
    gw_fetch_t *f;
    uint64_t seg;
    gw_wait_t *w; /* in flight */
    uint64_t sent_ms;
    uint32_t retx;
    uint32_t later; /* segments after this one that arrived meanwhile */
    bool received, final;
    uint8_t *data; /* received body bytes (copy) */
    size_t len;
    dmsc_http_field_t *trailers;
    size_t ntrailers;
} slot_t;

struct gw_fetch {
    dmsc_gw_t *g;
    dmsc_namebuf_t base;
    dmsc_namebuf_t fh;
    bool has_fh, must_be_fresh;
    uint64_t max_bytes, delivered;
    gw_fetch_cb_t cb;
    void *arg;
    dmsc_cc_t cc;
    dmsc_rtt_t rtt;
    uint64_t next_send, next_deliver;
    uint64_t progress_ms; /* when a segment last arrived (or the fetch began) */
    uint64_t expect;      /* the announced body length; UINT64_MAX: not announced */
    uint64_t final;       /* UINT64_MAX: not known yet */
    uint32_t inflight;
    bool paused, done, in_cb, dead;
    slot_t ring[FETCH_RING];
};

static slot_t *slot_of(gw_fetch_t *f, uint64_t seg)
{
    return &f->ring[seg % FETCH_RING];
}

static void fetch_pump(gw_fetch_t *f);

static void slot_clear(slot_t *s)
{
    free(s->data);
    free(s->trailers);
    memset(s, 0, sizeof *s);
}

static void fetch_fail(gw_fetch_t *f, int kind)
{
    if (f->done) return;
    f->done = true;
    for (size_t i = 0; i < FETCH_RING; i++)
        if (f->ring[i].w) {
            gw__cancel(f->g, f->ring[i].w);
            f->ring[i].w = NULL;
        }
    f->in_cb = true;
    if (f->cb.on_error) f->cb.on_error(f->arg, kind);
    f->in_cb = false;
}

static void on_seg_result(void *arg, int result, const dmsc_data_t *d, uint64_t nack_reason);

static int fetch_send(gw_fetch_t *f, uint64_t seg)
{
    dmsc_gw_t *g = f->g;
    dmsc_namebuf_t nb;
    dmsc_namebuf_copy(&nb, &f->base.name);
    int rc = dmsc_namebuf_append_nni(&nb, DMSC_TT_SEGMENT, seg);
    if (rc) return rc;
    dmsc_interest_t in;
    dmsc_interest_init(&in);
    in.name = nb.name;
    in.must_be_fresh = f->must_be_fresh;
    in.has_nonce = true;
    in.nonce = gw__nonce(g);
    in.has_lifetime = true;
    /* a lost Interest or Data is asked again when the lifetime ends (unless
     * later segments reveal the loss first): two RTOs, 250 ms .. 4 s */
    double lt = f->rtt.rto_us / 1000.0 * 2;
    in.lifetime = lt < 250 ? 250 : lt > 4000 ? 4000 : (uint64_t)lt;
    uint8_t fhbuf[DMSC_NAME_MAX_LEN + 16];
    if (f->has_fh) {
        rc = dmsc_fwhint_build(&f->fh.name, 1, fhbuf, sizeof fhbuf, &in.fwhint);
        if (rc) return rc;
        in.has_fwhint = true;
        in.fwhint_count = 1;
    }
    dmsc_slice_t wire;
    static uint8_t ibuf[DMSC_TLV_DGRAM_MAX];
    if ((rc = dmsc_interest_encode(&in, NULL, ibuf, sizeof ibuf, &wire))) return rc;
    slot_t *s = slot_of(f, seg);
    s->f = f;
    s->seg = seg;
    s->sent_ms = gw__now_ms(g);
    rc = gw__express(g, wire.p, wire.n, &nb.name, in.lifetime, on_seg_result, s, &s->w);
    if (rc) return rc;
    f->inflight++;
    return 0;
}

/* The final segment was handed on (inside a callback frame): the end, or
 * a failure when the body is shorter than announced. */
static void fetch_end_body(gw_fetch_t *f, const dmsc_http_field_t *trailers, size_t ntrailers)
{
    f->done = true;
    if (f->expect != UINT64_MAX && f->delivered != f->expect) {
        f->g->ctr.seg_bad_length++;
        if (f->cb.on_error) f->cb.on_error(f->arg, DMSC_HMAP_ERR_BAD_RESPONSE);
        return;
    }
    if (f->cb.on_end) f->cb.on_end(f->arg, trailers, ntrailers);
}

static void fetch_deliver(gw_fetch_t *f)
{
    while (!f->done && !f->paused) {
        slot_t *s = slot_of(f, f->next_deliver);
        if (!s->received || s->seg != f->next_deliver) break;
        f->next_deliver++;
        bool final = s->final;
        f->in_cb = true;
        int pause = 0;
        if (s->len) pause = f->cb.on_data(f->arg, s->data, s->len);
        if (final && !f->dead) fetch_end_body(f, s->trailers, s->ntrailers);
        f->in_cb = false;
        if (f->dead) return;
        slot_clear(s);
        if (pause == 1) f->paused = true;
    }
}

static void fetch_pump(gw_fetch_t *f)
{
    if (f->done || f->dead) return;
    uint32_t win = dmsc_cc_window(&f->cc);
    if (win > FETCH_WINDOW_MAX) win = FETCH_WINDOW_MAX;
    while (f->inflight < win && f->next_send <= f->final &&
           f->next_send < f->next_deliver + FETCH_RING - 1) {
        slot_t *s = slot_of(f, f->next_send);
        if (s->received || s->w) break; /* ring full of undelivered data (paused) */
        int rc = fetch_send(f, f->next_send);
        if (rc) {
            fetch_fail(f, DMSC_HMAP_ERR_INTERNAL);
            return;
        }
        f->next_send++;
    }
}

static void seg_result(slot_t *s, int result, const dmsc_data_t *d, uint64_t lp);
static bool fetch_reap(gw_fetch_t *f);

/* The end is known now: withdraw what was asked past it. */
static void fetch_set_final(gw_fetch_t *f, uint64_t last)
{
    f->final = last;
    for (size_t i = 0; i < FETCH_RING; i++) {
        slot_t *s = &f->ring[i];
        if (s->w && s->seg > last) {
            gw__cancel(f->g, s->w);
            s->w = NULL;
            f->inflight--;
        }
    }
}

static void on_seg_result(void *arg, int result, const dmsc_data_t *d, uint64_t lp)
{
    slot_t *s = arg;
    gw_fetch_t *f = s->f;
    seg_result(s, result, d, lp);
    fetch_reap(f);
}

/* A loss or a congestion mark: one window decrease per round trip (not
 * again for segments sent before the last decrease). */
static void fetch_congestion(gw_fetch_t *f, uint64_t seg, uint64_t now_us)
{
    if (!f->cc.has_rec_point || seg > f->cc.rec_point) {
        dmsc_cc_on_loss(&f->cc, now_us);
        f->cc.rec_point = f->next_send;
        f->cc.has_rec_point = true;
    }
}

/* s was lost (its Interest timed out, or later segments overtook it): one
 * window decrease per round trip, then ask again. false: the fetch failed. */
static bool seg_retransmit(gw_fetch_t *f, slot_t *s, uint64_t now_us)
{
    f->g->ctr.seg_retx++;
    fetch_congestion(f, s->seg, now_us);
    uint64_t stall = f->g->cfg.gateway.timeout_ms;
    if (stall < FETCH_STALL_MIN_MS) stall = FETCH_STALL_MIN_MS;
    ++s->retx;
    if (gw__now_ms(f->g) - f->progress_ms > stall) {
        fetch_fail(f, DMSC_HMAP_ERR_TIMEOUT);
        return false;
    }
    uint32_t retx = s->retx;
    uint64_t seg = s->seg;
    if (fetch_send(f, seg)) {
        fetch_fail(f, DMSC_HMAP_ERR_INTERNAL);
        return false;
    }
    slot_of(f, seg)->retx = retx;
    return true;
}

/* Segment `got` arrived: the ones before it still in flight count one more
 * overtaking; at FETCH_DUP_THRESH they are asked again with a new nonce
 * (the old Interest withdrawn here; forwarders take the new one as a
 * consumer retransmission). Once per Interest sent. */
static bool fetch_detect_loss(gw_fetch_t *f, uint64_t got, uint64_t now_us)
{
    for (uint64_t seg = f->next_deliver; seg < got; seg++) {
        slot_t *s = slot_of(f, seg);
        if (!s->w || s->seg != seg || ++s->later < FETCH_DUP_THRESH) continue;
        gw__cancel(f->g, s->w);
        s->w = NULL;
        s->later = 0;
        f->inflight--;
        if (!seg_retransmit(f, s, now_us)) return false;
    }
    return true;
}

static void seg_result(slot_t *s, int result, const dmsc_data_t *d, uint64_t lp)
{
    gw_fetch_t *f = s->f;
    dmsc_gw_t *g = f->g;
    s->w = NULL;
    f->inflight--;
    if (f->done || f->dead) return;
    if (f->final != UINT64_MAX && s->seg > f->final) return; /* past the end: ignore */
    uint64_t now_us = gw__now_ms(g) * 1000;
    if (result == GW_RESULT_TIMEOUT) {
        s->later = 0;
        seg_retransmit(f, s, now_us);
        return;
    }
    if (result == GW_RESULT_NACK) {
        fetch_fail(f, DMSC_HMAP_ERR_UPSTREAM_RESET);
        return;
    }
    /* Data */
    dmsc_hmap_segment_t hs;
    if (dmsc_hmap_segment_decode(d->content.p, d->content.n, &hs)) {
        fetch_fail(f, DMSC_HMAP_ERR_BAD_RESPONSE);
        return;
    }
    if (!s->retx) dmsc_rtt_sample(&f->rtt, (double)(gw__now_ms(g) - s->sent_ms) * 1000.0);
    if (lp) {
        /* CongestionMark: a queue on the path is building (NDNLPv2; as
         * ndncatchunks, a decrease like a loss, without a retransmission) */
        g->ctr.seg_marked++;
        fetch_congestion(f, s->seg, now_us);
    } else {
        dmsc_cc_on_data(&f->cc, now_us);
    }
    g->ctr.seg_fetched++;
    f->progress_ms = gw__now_ms(g);
    if (s->seg > f->next_deliver && !fetch_detect_loss(f, s->seg, now_us)) return;
    bool final = false;
    if (d->has_final_block) {
        /* FinalBlockId equals this segment's component: the last one */
        const uint8_t *last = d->name.value + d->name.off[d->name.ncomps - 1];
        size_t llen = d->name.off[d->name.ncomps] - d->name.off[d->name.ncomps - 1];
        final = d->final_block.tlv && d->final_block.size == llen &&
                !memcmp(d->final_block.tlv, last, llen);
        if (!final && d->final_block.type == DMSC_TT_SEGMENT) {
            uint64_t v = 0;
            for (size_t i = 0; i < d->final_block.len; i++)
                v = (v << 8) | d->final_block.value[i];
            if (v < f->final) fetch_set_final(f, v);
        }
    }
    if (final && s->seg < f->final) fetch_set_final(f, s->seg);
    if (!final && s->seg == f->final) {
        /* announced as the last (LastSegment or FinalBlockId) but not
         * marked so: nothing more will be asked, the body cannot end */
        fetch_fail(f, DMSC_HMAP_ERR_BAD_RESPONSE);
        return;
    }
    if (f->delivered + hs.body.n > f->expect) {
        g->ctr.seg_bad_length++;
        fetch_fail(f, DMSC_HMAP_ERR_BAD_RESPONSE); /* more than announced */
        return;
    }
    if (f->delivered + hs.body.n > f->max_bytes) {
        fetch_fail(f, DMSC_HMAP_ERR_BODY_TOO_LARGE);
        return;
    }
    f->delivered += hs.body.n;
    if (s->seg == f->next_deliver && !f->paused) {
        /* the next one in order: hand it on straight from the packet */
        slot_clear(s);
        f->next_deliver++;
        f->in_cb = true;
        int pause = hs.body.n ? f->cb.on_data(f->arg, hs.body.p, hs.body.n) : 0;
        if (final && !f->dead)
            fetch_end_body(f, hs.has_trailers ? hs.trailers : NULL,
                           hs.has_trailers ? hs.ntrailers : 0);
        f->in_cb = false;
        if (f->dead || f->done) return;
        if (pause == 1) f->paused = true;
        fetch_deliver(f);
        if (f->dead) return;
        fetch_pump(f);
        return;
    }
    s->received = true;
    s->final = final;
    if (hs.body.n) {
        s->data = malloc(hs.body.n);
        if (!s->data) {
            fetch_fail(f, DMSC_HMAP_ERR_INTERNAL);
            return;
        }
        memcpy(s->data, hs.body.p, hs.body.n);
        s->len = hs.body.n;
    }
    if (final && hs.has_trailers && hs.ntrailers) {
        if (!(s->trailers = dmsc_http_fields_dup(hs.trailers, hs.ntrailers))) {
            fetch_fail(f, DMSC_HMAP_ERR_INTERNAL);
            return;
        }
        s->ntrailers = hs.ntrailers;
    }
    fetch_deliver(f);
    if (f->dead) return;
    fetch_pump(f);
}

int gw__fetch_new(dmsc_gw_t *g, const dmsc_name_t *base, const dmsc_name_t *fh, bool must_be_fresh,
                  uint64_t max_bytes, uint64_t last, const gw_fetch_cb_t *cb, void *arg,
                  gw_fetch_t **out)
{
    gw_fetch_t *f = calloc(1, sizeof *f);
    if (!f) return DMSC_ENOMEM;
    f->g = g;
    if (dmsc_namebuf_copy(&f->base, base)) goto bad;
    if (fh && fh->ncomps) {
        if (dmsc_namebuf_copy(&f->fh, fh)) goto bad;
        f->has_fh = true;
    }
    f->must_be_fresh = must_be_fresh;
    f->max_bytes = max_bytes ? max_bytes : UINT64_MAX;
    f->cb = *cb;
    f->arg = arg;
    f->final = last;
    f->expect = UINT64_MAX;
    f->progress_ms = gw__now_ms(g);
    dmsc_cc_init(&f->cc, DMSC_CC_CUBIC, FETCH_WINDOW_INIT, FETCH_WINDOW_MAX);
    dmsc_rtt_init(&f->rtt);
    /* the first window goes out now; errors (a name too long for a
     * segment) come back here rather than through on_error */
    uint32_t win = dmsc_cc_window(&f->cc);
    for (uint32_t i = 0; i < win && f->next_send <= f->final; i++) {
        int rc = fetch_send(f, f->next_send);
        if (rc) {
            for (size_t k = 0; k < FETCH_RING; k++)
                if (f->ring[k].w) gw__cancel(g, f->ring[k].w);
            free(f);
            return rc;
        }
        f->next_send++;
    }
    *out = f;
    return 0;
bad:
    free(f);
    return DMSC_ENAMELEN;
}

void gw__fetch_expect_length(gw_fetch_t *f, uint64_t len)
{
    f->expect = len;
}

void gw__fetch_resume(gw_fetch_t *f)
{
    if (!f || !f->paused || f->done) return;
    f->paused = false;
    fetch_deliver(f);
    if (fetch_reap(f)) return;
    fetch_pump(f);
    fetch_reap(f);
}

static void fetch_destroy(gw_fetch_t *f)
{
    for (size_t i = 0; i < FETCH_RING; i++)
        slot_clear(&f->ring[i]);
    free(f);
}

/* After a callback into the owner: if it freed the fetch meanwhile, finish
 * that now. Returns true when f is gone. */
static bool fetch_reap(gw_fetch_t *f)
{
    if (!f->dead) return false;
    fetch_destroy(f);
    return true;
}

void gw__fetch_free(gw_fetch_t *f)
{
    if (!f) return;
    for (size_t i = 0; i < FETCH_RING; i++) {
        if (f->ring[i].w) gw__cancel(f->g, f->ring[i].w);
        f->ring[i].w = NULL;
    }
    f->done = true;
    if (f->in_cb) {
        f->dead = true; /* freed by the frame that called the owner */
        return;
    }
    fetch_destroy(f);
}
