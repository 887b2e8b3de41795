#include "ndn/lpfrag.h"

#include <stdlib.h>
#include <string.h>

static size_t tlv_size(uint64_t type, size_t len)
{
    return dmsc_varnum_size(type) + dmsc_varnum_size(len) + len;
}

/* ---- fragmenter ---- */

/* Size of an LpPacket with header fields of `fields` bytes and a Fragment of
 * `payload` bytes. */
static size_t lp_size(size_t fields, size_t payload)
{
    return tlv_size(DMSC_TT_LP_PACKET, fields + tlv_size(DMSC_TT_LP_FRAGMENT, payload));
}

/* Largest payload that fits in mtu next to `fields` bytes of header fields;
 * 0 if not even one byte fits. */
static size_t fit(size_t fields, size_t mtu)
{
    if (lp_size(fields, 1) > mtu) return 0;
    size_t x = mtu - fields; /* lp_size(fields, x) > mtu; overhead is at most 20 bytes */
    while (lp_size(fields, x) > mtu)
        x--;
    return x;
}

int dmsc_lpfrag_split_init(dmsc_lpfrag_split_t *s, const dmsc_lp_t *hdr, dmsc_slice_t pkt,
                           size_t mtu, uint32_t max_frags, uint64_t *next_seq)
{
    const uint32_t frag_bits = DMSC_LP_HAS_SEQ | DMSC_LP_HAS_FRAG_INDEX | DMSC_LP_HAS_FRAG_COUNT;
    size_t fields = 0;
    bool has_fields = false;

    memset(s, 0, sizeof *s);
    if (pkt.n == 0 || max_frags == 0 || next_seq == NULL) return DMSC_EINVAL;
    if (hdr) {
        dmsc_lp_t tmp = *hdr;
        tmp.has &= ~(uint32_t)DMSC_LP_HAS_FRAGMENT;
        if ((tmp.has & frag_bits) || dmsc_lp_validate(&tmp)) return DMSC_EINVAL;
        fields = dmsc_lp_fields_size(&tmp);
        has_fields = tmp.has != 0;
    }
    s->hdr = hdr;
    s->pkt = pkt;
    if (mtu > UINT32_MAX) mtu = UINT32_MAX; /* keeps the size arithmetic far from overflow */

    size_t whole = has_fields ? lp_size(fields, pkt.n) : pkt.n;
    if (whole <= mtu) {
        s->count = 1;
        s->first_len = pkt.n;
        s->bare = !has_fields;
        return 0;
    }

    /* Every fragment carries Sequence (8 octets), FragIndex and FragCount;
     * size the latter two for the largest count allowed. */
    size_t w = dmsc_nni_size(max_frags);
    size_t frag_fields = tlv_size(DMSC_TT_LP_SEQUENCE, 8) + tlv_size(DMSC_TT_LP_FRAG_INDEX, w) +
                         tlv_size(DMSC_TT_LP_FRAG_COUNT, w);
    size_t first = fit(frag_fields + fields, mtu);
    size_t rest_len = fit(frag_fields, mtu);
    if (first == 0) return DMSC_ETOOBIG; /* MTU too small for the first fragment */
    if (first > pkt.n) first = pkt.n;
    size_t rest = pkt.n - first;
    size_t count = 1 + rest / rest_len + (rest % rest_len != 0);
    if (count > max_frags) return DMSC_ETOOBIG;

    s->count = (uint32_t)count;
    s->first_len = first;
    s->len = rest_len;
    if (count > 1) {
        s->seq_base = *next_seq;
        *next_seq += count;
    }
    return 0;
}

static int make_frag(const dmsc_lpfrag_split_t *s, uint32_t i, dmsc_lp_t *lp)
{
    if (i >= s->count) return DMSC_EINVAL;
    if (i == 0 && s->hdr)
        *lp = *s->hdr;
    else
        dmsc_lp_init(lp);
    lp->has |= DMSC_LP_HAS_FRAGMENT;
    if (s->count == 1) {
        lp->fragment = s->pkt;
        return 0;
    }
    size_t off = i == 0 ? 0 : s->first_len + (size_t)(i - 1) * s->len;
    size_t n = i == 0 ? s->first_len : s->pkt.n - off < s->len ? s->pkt.n - off : s->len;
    lp->has |= DMSC_LP_HAS_SEQ | DMSC_LP_HAS_FRAG_INDEX | DMSC_LP_HAS_FRAG_COUNT;
    lp->seq = s->seq_base + i;
    lp->frag_index = i;
    lp->frag_count = s->count;
    lp->fragment = dmsc_slice(s->pkt.p + off, n);
    return 0;
}

int dmsc_lpfrag_split_encode(const dmsc_lpfrag_split_t *s, uint32_t i, dmsc_enc_t *e)
{
    dmsc_lp_t lp;
    if (s->bare && i == 0) {
        dmsc_enc_prepend(e, s->pkt.p, s->pkt.n);
        return dmsc_enc_error(e);
    }
    int rc = make_frag(s, i, &lp);
    return rc ? rc : dmsc_lp_encode(e, &lp);
}

int dmsc_lpfrag_split_encode_hdr(const dmsc_lpfrag_split_t *s, uint32_t i, dmsc_enc_t *e,
                                 dmsc_slice_t *payload)
{
    dmsc_lp_t lp;
    if (s->bare && i == 0) {
        *payload = s->pkt;
        return dmsc_enc_error(e);
    }
    int rc = make_frag(s, i, &lp);
    if (rc) return rc;
    *payload = lp.fragment;
    return dmsc_lp_encode_hdr(e, &lp);
}

/* ---- reassembler ---- */

#define NIL UINT32_MAX
#define MAX_PARTIALS_LIMIT 65536u
#define MAX_FRAGS_LIMIT 65536u

typedef struct {
    uint32_t off, len; /* len 0: not received (a Fragment is never empty) */
} frag_ref_t;

typedef struct {
    uint64_t ep, base;
    uint64_t deadline;
    uint32_t count, received;
    uint32_t hnext;      /* hash chain, or free list */
    uint32_t prev, next; /* LRU list, least recently updated first */
    frag_ref_t *frags;
    uint8_t *buf;
    size_t used, cap;
    size_t payload;
    size_t hdr_off, hdr_len; /* fragment 0's header fields, in buf */
    size_t charged;          /* bytes charged against max_total_bytes */
} partial_t;

struct dmsc_lpfrag_reasm {
    dmsc_lpfrag_cfg_t cfg;
    partial_t *slots;
    uint32_t *buckets;
    uint32_t mask;
    uint32_t free_head, lru_head, lru_tail, n_active;
    size_t total;
    dmsc_lpfrag_stats_t stats;
};

void dmsc_lpfrag_cfg_default(dmsc_lpfrag_cfg_t *cfg)
{
    cfg->max_partials = 64;
    cfg->max_frags = 400;
    cfg->max_pkt_size = DMSC_TLV_DGRAM_MAX;
    cfg->max_total_bytes = 1u << 20;
    cfg->timeout_ms = 500;
}

const char *dmsc_lpfrag_drop_str(int reason)
{
    switch (reason) {
    case DMSC_LPFRAG_DROP_BAD:
        return "bad";
    case DMSC_LPFRAG_DROP_TOO_MANY_FRAGS:
        return "too-many-frags";
    case DMSC_LPFRAG_DROP_TOO_BIG:
        return "too-big";
    case DMSC_LPFRAG_DROP_COUNT_MISMATCH:
        return "count-mismatch";
    case DMSC_LPFRAG_DROP_DUPLICATE:
        return "duplicate";
    case DMSC_LPFRAG_DROP_TIMEOUT:
        return "timeout";
    case DMSC_LPFRAG_DROP_EVICTED:
        return "evicted";
    case DMSC_LPFRAG_DROP_NOMEM:
        return "nomem";
    case DMSC_LPFRAG_DROP_NOBUFS:
        return "nobufs";
    }
    return "unknown";
}

/* Largest buffer one partial packet may hold. */
static size_t buf_limit(const dmsc_lpfrag_cfg_t *cfg)
{
    return cfg->max_pkt_size + DMSC_LPFRAG_HDR_MAX;
}

int dmsc_lpfrag_reasm_new(dmsc_lpfrag_reasm_t **out, const dmsc_lpfrag_cfg_t *cfg)
{
    *out = NULL;
    if (cfg->max_partials == 0 || cfg->max_partials > MAX_PARTIALS_LIMIT || cfg->max_frags == 0 ||
        cfg->max_frags > MAX_FRAGS_LIMIT || cfg->max_pkt_size == 0 ||
        cfg->max_pkt_size > DMSC_TLV_MAX_PACKET ||
        cfg->max_total_bytes < (size_t)cfg->max_frags * sizeof(frag_ref_t) + buf_limit(cfg))
        return DMSC_EINVAL;

    dmsc_lpfrag_reasm_t *r = calloc(1, sizeof *r);
    if (!r) goto fail_r;
    uint32_t nb = 1;
    while (nb < cfg->max_partials)
        nb <<= 1;
    r->slots = calloc(cfg->max_partials, sizeof *r->slots);
    if (!r->slots) goto fail_slots;
    r->buckets = malloc(nb * sizeof *r->buckets);
    if (!r->buckets) goto fail_buckets;
    for (uint32_t i = 0; i < nb; i++)
        r->buckets[i] = NIL;
    r->mask = nb - 1;
    r->cfg = *cfg;
    for (uint32_t i = 0; i < cfg->max_partials; i++)
        r->slots[i].hnext = i + 1 < cfg->max_partials ? i + 1 : NIL;
    r->free_head = 0;
    r->lru_head = r->lru_tail = NIL;
    *out = r;
    return 0;

fail_buckets:
    free(r->slots);
fail_slots:
    free(r);
fail_r:
    return DMSC_ENOMEM;
}

static uint32_t bucket_of(const dmsc_lpfrag_reasm_t *r, uint64_t ep, uint64_t base)
{
    uint64_t x = ep * 0x9e3779b97f4a7c15ull ^ base; /* splitmix64 finaliser */
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return (uint32_t)x & r->mask;
}

static uint32_t find(const dmsc_lpfrag_reasm_t *r, uint64_t ep, uint64_t base)
{
    for (uint32_t i = r->buckets[bucket_of(r, ep, base)]; i != NIL; i = r->slots[i].hnext)
        if (r->slots[i].ep == ep && r->slots[i].base == base) return i;
    return NIL;
}

static void lru_unlink(dmsc_lpfrag_reasm_t *r, uint32_t i)
{
    partial_t *p = &r->slots[i];
    if (p->prev != NIL)
        r->slots[p->prev].next = p->next;
    else
        r->lru_head = p->next;
    if (p->next != NIL)
        r->slots[p->next].prev = p->prev;
    else
        r->lru_tail = p->prev;
    p->prev = p->next = NIL;
}

static void lru_append(dmsc_lpfrag_reasm_t *r, uint32_t i)
{
    partial_t *p = &r->slots[i];
    p->prev = r->lru_tail;
    p->next = NIL;
    if (r->lru_tail != NIL)
        r->slots[r->lru_tail].next = i;
    else
        r->lru_head = i;
    r->lru_tail = i;
}

static void release(dmsc_lpfrag_reasm_t *r, uint32_t i)
{
    partial_t *p = &r->slots[i];
    uint32_t *link = &r->buckets[bucket_of(r, p->ep, p->base)];
    while (*link != i)
        link = &r->slots[*link].hnext;
    *link = p->hnext;
    lru_unlink(r, i);
    free(p->frags);
    free(p->buf);
    r->total -= p->charged;
    memset(p, 0, sizeof *p);
    p->hnext = r->free_head;
    r->free_head = i;
    r->n_active--;
}

static void drop_partial(dmsc_lpfrag_reasm_t *r, uint32_t i, int reason)
{
    r->stats.drop[reason] += r->slots[i].received;
    release(r, i);
}

/* Evict the least recently updated partial other than `keep`. */
static bool evict_one(dmsc_lpfrag_reasm_t *r, uint32_t keep)
{
    uint32_t i = r->lru_head;
    if (i == keep && i != NIL) i = r->slots[i].next;
    if (i == NIL) return false;
    drop_partial(r, i, DMSC_LPFRAG_DROP_EVICTED);
    r->stats.partials_evicted++;
    return true;
}

/* Charge n more bytes to partial i, evicting others to stay under the
 * ceiling. */
static bool charge(dmsc_lpfrag_reasm_t *r, uint32_t i, size_t n)
{
    while (r->total + n > r->cfg.max_total_bytes)
        if (!evict_one(r, i)) return false;
    r->total += n;
    r->slots[i].charged += n;
    return true;
}

static void uncharge(dmsc_lpfrag_reasm_t *r, uint32_t i, size_t n)
{
    r->total -= n;
    r->slots[i].charged -= n;
}

static uint32_t create(dmsc_lpfrag_reasm_t *r, uint64_t ep, uint64_t base, uint32_t count)
{
    if (r->n_active == r->cfg.max_partials) evict_one(r, NIL);
    uint32_t i = r->free_head;
    partial_t *p = &r->slots[i];
    r->free_head = p->hnext;
    r->n_active++;
    p->ep = ep;
    p->base = base;
    p->count = count;
    uint32_t *head = &r->buckets[bucket_of(r, ep, base)];
    p->hnext = *head;
    *head = i;
    lru_append(r, i);

    size_t tbl = (size_t)count * sizeof(frag_ref_t);
    if (!charge(r, i, tbl)) goto fail;
    p->frags = calloc(count, sizeof(frag_ref_t));
    if (!p->frags) goto fail;
    return i;
fail:
    release(r, i);
    return NIL;
}

/* Make room for n more bytes in partial i's buffer. */
static bool reserve(dmsc_lpfrag_reasm_t *r, uint32_t i, size_t n)
{
    partial_t *p = &r->slots[i];
    size_t need = p->used + n;
    if (need <= p->cap) return true;
    size_t limit = buf_limit(&r->cfg);
    size_t cap = p->cap ? p->cap * 2 : need * 2;
    if (cap > limit) cap = limit;
    if (cap < need) cap = need;
    size_t delta = cap - p->cap;
    if (!charge(r, i, delta)) return false;
    uint8_t *b = realloc(p->buf, cap);
    if (!b) {
        uncharge(r, i, delta);
        return false;
    }
    p->buf = b;
    p->cap = cap;
    return true;
}

/* Header fields of a decoded fragment 0 other than Sequence, FragIndex and
 * FragCount (which come first, by the ordering rule). */
static int l3_headers(const dmsc_lp_t *frag, dmsc_slice_t *out)
{
    dmsc_tlv_reader_t rd;
    rd.p = frag->headers.p;
    rd.end = rd.p ? rd.p + frag->headers.n : rd.p;
    while (!dmsc_tlv_reader_eof(&rd)) {
        const uint8_t *at = rd.p;
        dmsc_tlv_t el;
        if (dmsc_tlv_read(&rd, &el)) return DMSC_ELPFRAG;
        if (el.type != DMSC_TT_LP_SEQUENCE && el.type != DMSC_TT_LP_FRAG_INDEX &&
            el.type != DMSC_TT_LP_FRAG_COUNT) {
            rd.p = at;
            break;
        }
    }
    *out = dmsc_slice(rd.p, (size_t)(rd.end - rd.p));
    return 0;
}

static int drop1(dmsc_lpfrag_reasm_t *r, int reason, int rc)
{
    r->stats.drop[reason]++;
    return rc;
}

/* Every fragment of partial i is in: write the packet into out. */
static int complete(dmsc_lpfrag_reasm_t *r, uint32_t i, uint8_t *out, size_t out_cap,
                    dmsc_lp_t *res)
{
    partial_t *p = &r->slots[i];
    uint32_t count = p->count;
    uint64_t base = p->base;
    size_t inner = p->hdr_len + tlv_size(DMSC_TT_LP_FRAGMENT, p->payload);
    size_t need = tlv_size(DMSC_TT_LP_PACKET, inner);
    if (out == NULL || out_cap < need) {
        drop_partial(r, i, DMSC_LPFRAG_DROP_NOBUFS);
        return DMSC_ENOBUFS;
    }
    uint8_t *w = out;
    w += dmsc_tlv_write_hdr(w, DMSC_TT_LP_PACKET, inner);
    if (p->hdr_len) {
        memcpy(w, p->buf + p->hdr_off, p->hdr_len);
        w += p->hdr_len;
    }
    w += dmsc_tlv_write_hdr(w, DMSC_TT_LP_FRAGMENT, p->payload);
    for (uint32_t k = 0; k < count; k++) {
        memcpy(w, p->buf + p->frags[k].off, p->frags[k].len);
        w += p->frags[k].len;
    }
    release(r, i);

    int rc = dmsc_lp_decode(out, need, need, res);
    if (rc) {
        r->stats.drop[DMSC_LPFRAG_DROP_BAD] += count;
        return rc;
    }
    res->has |= DMSC_LP_HAS_SEQ;
    res->seq = base;
    r->stats.delivered++;
    r->stats.reassembled++;
    return DMSC_LPFRAG_DONE;
}

int dmsc_lpfrag_reasm_push(dmsc_lpfrag_reasm_t *r, uint64_t ep, const dmsc_lp_t *frag,
                           uint64_t now_ms, uint8_t *out, size_t out_cap, dmsc_lp_t *res)
{
    r->stats.frags_in++;
    dmsc_lpfrag_reasm_expire(r, now_ms);

    if (!(frag->has & DMSC_LP_HAS_FRAGMENT) || frag->fragment.n == 0 || frag->frag_count == 0 ||
        frag->frag_index >= frag->frag_count)
        return drop1(r, DMSC_LPFRAG_DROP_BAD, DMSC_ELPFRAG);
    if (frag->frag_count == 1) { /* not fragmented: fast path, zero copy */
        *res = *frag;
        r->stats.delivered++;
        return DMSC_LPFRAG_DONE;
    }
    if (frag->frag_count > r->cfg.max_frags)
        return drop1(r, DMSC_LPFRAG_DROP_TOO_MANY_FRAGS, DMSC_ETOOBIG);
    if (!(frag->has & DMSC_LP_HAS_SEQ)) return drop1(r, DMSC_LPFRAG_DROP_BAD, DMSC_ELPFRAG);
    if (frag->fragment.n > r->cfg.max_pkt_size)
        return drop1(r, DMSC_LPFRAG_DROP_TOO_BIG, DMSC_ETOOBIG);

    uint32_t count = (uint32_t)frag->frag_count; /* <= max_frags <= 65536 */
    uint32_t idx = (uint32_t)frag->frag_index;
    uint64_t base = frag->seq - idx; /* wraps mod 2^64, like the sender's counter */
    dmsc_slice_t l3 = {NULL, 0};
    if (idx == 0) {
        if (l3_headers(frag, &l3)) return drop1(r, DMSC_LPFRAG_DROP_BAD, DMSC_ELPFRAG);
        if (l3.n > DMSC_LPFRAG_HDR_MAX) return drop1(r, DMSC_LPFRAG_DROP_TOO_BIG, DMSC_ETOOBIG);
    }

    uint32_t i = find(r, ep, base);
    if (i == NIL) {
        i = create(r, ep, base, count);
        if (i == NIL) return drop1(r, DMSC_LPFRAG_DROP_NOMEM, DMSC_ENOMEM);
    } else {
        if (r->slots[i].count != count)
            return drop1(r, DMSC_LPFRAG_DROP_COUNT_MISMATCH, DMSC_ELPFRAG);
        if (r->slots[i].frags[idx].len != 0) return drop1(r, DMSC_LPFRAG_DROP_DUPLICATE, DMSC_EDUP);
    }
    partial_t *p = &r->slots[i];
    if (p->payload + frag->fragment.n > r->cfg.max_pkt_size) {
        /* can never complete within the ceiling: drop it all */
        r->stats.drop[DMSC_LPFRAG_DROP_TOO_BIG]++;
        drop_partial(r, i, DMSC_LPFRAG_DROP_TOO_BIG);
        return DMSC_ETOOBIG;
    }
    if (!reserve(r, i, frag->fragment.n + l3.n)) {
        if (p->received == 0) release(r, i);
        return drop1(r, DMSC_LPFRAG_DROP_NOMEM, DMSC_ENOMEM);
    }
    if (l3.n) {
        memcpy(p->buf + p->used, l3.p, l3.n);
        p->hdr_off = p->used;
        p->hdr_len = l3.n;
        p->used += l3.n;
    }
    memcpy(p->buf + p->used, frag->fragment.p, frag->fragment.n);
    p->frags[idx].off = (uint32_t)p->used;
    p->frags[idx].len = (uint32_t)frag->fragment.n;
    p->used += frag->fragment.n;
    p->payload += frag->fragment.n;
    p->received++;

    if (p->received == p->count) return complete(r, i, out, out_cap, res);
    p->deadline = now_ms + r->cfg.timeout_ms < now_ms ? UINT64_MAX : now_ms + r->cfg.timeout_ms;
    lru_unlink(r, i);
    lru_append(r, i);
    return DMSC_LPFRAG_PENDING;
}

size_t dmsc_lpfrag_reasm_expire(dmsc_lpfrag_reasm_t *r, uint64_t now_ms)
{
    size_t n = 0;
    while (r->lru_head != NIL && r->slots[r->lru_head].deadline <= now_ms) {
        drop_partial(r, r->lru_head, DMSC_LPFRAG_DROP_TIMEOUT);
        r->stats.partials_timed_out++;
        n++;
    }
    return n;
}

bool dmsc_lpfrag_reasm_next_deadline(const dmsc_lpfrag_reasm_t *r, uint64_t *when_ms)
{
    if (r->lru_head == NIL) return false;
    *when_ms = r->slots[r->lru_head].deadline;
    return true;
}

uint32_t dmsc_lpfrag_reasm_count(const dmsc_lpfrag_reasm_t *r)
{
    return r->n_active;
}

size_t dmsc_lpfrag_reasm_bytes(const dmsc_lpfrag_reasm_t *r)
{
    return r->total;
}

const dmsc_lpfrag_stats_t *dmsc_lpfrag_reasm_stats(const dmsc_lpfrag_reasm_t *r)
{
    return &r->stats;
}

void dmsc_lpfrag_reasm_free(dmsc_lpfrag_reasm_t *r)
{
    if (!r) return;
    while (r->lru_head != NIL)
        release(r, r->lru_head);
    free(r->buckets);
    free(r->slots);
    free(r);
}
