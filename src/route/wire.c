/* Routing wire formats: see wire.h and docs/routing.md. */
#include "route/wire.h"

#include <string.h>

#include "sec/key.h"

/* ---- names ---- */

static const uint8_t LOCALHOP[] = "localhop";
static const uint8_t DMSC[] = "dmsc";
static const uint8_t ROUTE[] = "route";
static const uint8_t LSA[] = "lsa";
static const uint8_t KEY[] = "KEY";
static const struct {
    const char *s;
    size_t n;
} KINDS[] = {{"", 0}, {"hello", 5}, {"lsu", 3}, {"snp", 3}};

static bool comp_is(const dmsc_comp_t *c, const uint8_t *s, size_t n)
{
    return c->type == DMSC_TT_GENERIC && c->len == n && memcmp(c->value, s, n) == 0;
}

void dmsc_rtmsg_prefix(dmsc_namebuf_t *nb)
{
    dmsc_namebuf_init(nb);
    dmsc_namebuf_append(nb, DMSC_TT_GENERIC, LOCALHOP, sizeof LOCALHOP - 1);
    dmsc_namebuf_append(nb, DMSC_TT_GENERIC, DMSC, sizeof DMSC - 1);
    dmsc_namebuf_append(nb, DMSC_TT_GENERIC, ROUTE, sizeof ROUTE - 1);
}

int dmsc_rtmsg_name(dmsc_namebuf_t *nb, int kind, const dmsc_name_t *sender, uint64_t seq)
{
    if (kind < DMSC_RT_MSG_HELLO || kind > DMSC_RT_MSG_SNP) return DMSC_EINVAL;
    dmsc_rtmsg_prefix(nb);
    int rc = dmsc_namebuf_append(nb, DMSC_TT_GENERIC, KINDS[kind].s, KINDS[kind].n);
    if (!rc) rc = dmsc_namebuf_append_name(nb, sender);
    if (!rc) rc = dmsc_namebuf_append_nni(nb, DMSC_TT_SEQUENCE_NUM, seq);
    return rc;
}

int dmsc_rtmsg_name_parse(const dmsc_name_t *n, int *kind, dmsc_name_t *sender, uint64_t *seq)
{
    size_t nc = n->ncomps;
    if (nc < 6) return DMSC_EVALUE;
    dmsc_comp_t c0 = dmsc_name_comp(n, 0), c1 = dmsc_name_comp(n, 1), c2 = dmsc_name_comp(n, 2);
    if (!comp_is(&c0, LOCALHOP, sizeof LOCALHOP - 1) || !comp_is(&c1, DMSC, sizeof DMSC - 1) ||
        !comp_is(&c2, ROUTE, sizeof ROUTE - 1))
        return DMSC_EVALUE;
    dmsc_comp_t ck = dmsc_name_comp(n, 3);
    int k = 0;
    for (int i = DMSC_RT_MSG_HELLO; i <= DMSC_RT_MSG_SNP; i++)
        if (comp_is(&ck, (const uint8_t *)KINDS[i].s, KINDS[i].n)) k = i;
    if (!k) return DMSC_EVALUE;
    size_t last = nc - 1;
    dmsc_comp_t cl = dmsc_name_comp(n, last);
    if (cl.type == DMSC_TT_PARAMS_DIGEST) {
        last--;
        cl = dmsc_name_comp(n, last);
    }
    if (cl.type != DMSC_TT_SEQUENCE_NUM) return DMSC_EVALUE;
    if (last < 5) return DMSC_EVALUE; /* at least one sender component */
    if (dmsc_nni_decode(cl.value, cl.len, seq)) return DMSC_ENNI;
    size_t from = n->off[4], to = n->off[last];
    if (dmsc_name_from_value(sender, n->value + from, to - from)) return DMSC_EVALUE;
    *kind = k;
    return 0;
}

int dmsc_lsa_name(dmsc_namebuf_t *nb, const dmsc_name_t *origin, uint64_t seq)
{
    dmsc_namebuf_init(nb);
    int rc = dmsc_namebuf_append_name(nb, origin);
    if (!rc) rc = dmsc_namebuf_append(nb, DMSC_TT_GENERIC, ROUTE, sizeof ROUTE - 1);
    if (!rc) rc = dmsc_namebuf_append(nb, DMSC_TT_GENERIC, LSA, sizeof LSA - 1);
    if (!rc) rc = dmsc_namebuf_append_nni(nb, DMSC_TT_SEQUENCE_NUM, seq);
    return rc;
}

/* ---- canonical order over raw Name TLV-VALUEs ---- */

int dmsc_rt_name_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    dmsc_tlv_reader_t ra, rb;
    dmsc_tlv_reader_init(&ra, a, alen);
    dmsc_tlv_reader_init(&rb, b, blen);
    for (;;) {
        bool ea = dmsc_tlv_reader_eof(&ra), eb = dmsc_tlv_reader_eof(&rb);
        if (ea || eb) return ea && eb ? 0 : ea ? -1 : 1;
        dmsc_tlv_t ca, cb;
        if (dmsc_tlv_read(&ra, &ca) || dmsc_tlv_read(&rb, &cb)) return 0; /* not valid names */
        if (ca.type != cb.type) return ca.type < cb.type ? -1 : 1;
        if (ca.len != cb.len) return ca.len < cb.len ? -1 : 1;
        int c = ca.len ? memcmp(ca.value, cb.value, ca.len) : 0;
        if (c) return c < 0 ? -1 : 1;
    }
}

/* ---- small decoding helpers ---- */

/* An element inside one of our containers: known types are handled by the
 * caller; this says what to do with an unknown one. */
static int unknown_el(uint64_t type)
{
    return dmsc_tlv_is_critical(type) ? DMSC_ECRITICAL : 0;
}

static int read_name(const dmsc_tlv_t *el, dmsc_name_t *n)
{
    int rc = dmsc_name_from_value(n, el->value, el->len);
    if (rc) return rc;
    return n->ncomps ? 0 : DMSC_EVALUE;
}

static int read_nni(const dmsc_tlv_t *el, uint64_t *v)
{
    return dmsc_nni_decode(el->value, el->len, v);
}

/* ---- LSA content ---- */

static int decode_adj(const uint8_t *v, size_t len, dmsc_lsa_adj_t *out)
{
    dmsc_tlv_reader_t r;
    dmsc_tlv_reader_init(&r, v, len);
    bool has_name = false, has_cost = false;
    int rc;
    while (!dmsc_tlv_reader_eof(&r)) {
        dmsc_tlv_t el;
        if ((rc = dmsc_tlv_read(&r, &el))) return rc;
        if (el.type == DMSC_TT_NAME) {
            if (has_name) return DMSC_EDUP;
            dmsc_name_t n;
            if ((rc = read_name(&el, &n))) return rc;
            out->name = dmsc_slice(el.value, el.len);
            has_name = true;
        } else if (el.type == DMSC_RT_TT_LINK_COST) {
            if (has_cost) return DMSC_EDUP;
            if ((rc = read_nni(&el, &out->cost))) return rc;
            if (out->cost > DMSC_RT_COST_MAX) return DMSC_EVALUE;
            has_cost = true;
        } else if ((rc = unknown_el(el.type))) {
            return rc;
        }
    }
    return has_name && has_cost ? 0 : DMSC_EMISSING;
}

static int decode_prefix(const uint8_t *v, size_t len, dmsc_lsa_prefix_t *out)
{
    dmsc_tlv_reader_t r;
    dmsc_tlv_reader_init(&r, v, len);
    bool seen[4] = {false, false, false, false};
    int rc;
    out->cost = out->load = out->capacity = 0;
    while (!dmsc_tlv_reader_eof(&r)) {
        dmsc_tlv_t el;
        if ((rc = dmsc_tlv_read(&r, &el))) return rc;
        int idx = el.type == DMSC_TT_NAME                 ? 0
                  : el.type == DMSC_RT_TT_PREFIX_COST     ? 1
                  : el.type == DMSC_RT_TT_PREFIX_LOAD     ? 2
                  : el.type == DMSC_RT_TT_PREFIX_CAPACITY ? 3
                                                          : -1;
        if (idx < 0) {
            if ((rc = unknown_el(el.type))) return rc;
            continue;
        }
        if (seen[idx]) return DMSC_EDUP;
        seen[idx] = true;
        if (idx == 0) {
            dmsc_name_t n;
            if ((rc = read_name(&el, &n))) return rc;
            out->name = dmsc_slice(el.value, el.len);
        } else {
            uint64_t x;
            if ((rc = read_nni(&el, &x))) return rc;
            if (idx == 1) {
                if (x > DMSC_RT_COST_MAX) return DMSC_EVALUE;
                out->cost = x;
            } else if (idx == 2) {
                out->load = x;
            } else {
                out->capacity = x;
            }
        }
    }
    return seen[0] ? 0 : DMSC_EMISSING;
}

int dmsc_lsa_content_decode(dmsc_lsa_content_t *c, const uint8_t *v, size_t len)
{
    static const uint8_t none[1];
    dmsc_tlv_reader_t r;
    dmsc_tlv_reader_init(&r, v ? v : none, len);
    bool has_life = false;
    int rc;
    c->pubkey = NULL;
    c->n_adj = c->n_prefix = 0;
    c->lifetime_ms = 0;
    c->value = dmsc_slice(v ? v : none, len);
    while (!dmsc_tlv_reader_eof(&r)) {
        dmsc_tlv_t el;
        if ((rc = dmsc_tlv_read(&r, &el))) return rc;
        switch (el.type) {
        case DMSC_RT_TT_LSA_LIFETIME:
            if (has_life) return DMSC_EDUP;
            if ((rc = read_nni(&el, &c->lifetime_ms))) return rc;
            has_life = true;
            break;
        case DMSC_RT_TT_PUBLIC_KEY:
            if (c->pubkey) return DMSC_EDUP;
            if (el.len != DMSC_RT_PUBKEY_LEN) return DMSC_EVALUE;
            c->pubkey = el.value;
            break;
        case DMSC_RT_TT_ADJACENCY: {
            dmsc_lsa_adj_t a;
            if ((rc = decode_adj(el.value, el.len, &a))) return rc;
            if (++c->n_adj > DMSC_LSA_MAX_ADJ) return DMSC_EVALUE;
            break;
        }
        case DMSC_RT_TT_PREFIX: {
            dmsc_lsa_prefix_t p;
            if ((rc = decode_prefix(el.value, el.len, &p))) return rc;
            if (++c->n_prefix > DMSC_LSA_MAX_PREFIXES) return DMSC_EVALUE;
            break;
        }
        default:
            if ((rc = unknown_el(el.type))) return rc;
        }
    }
    if (!has_life || !c->pubkey) return DMSC_EMISSING;
    return 0;
}

void dmsc_lsa_iter_init(dmsc_lsa_iter_t *it, const dmsc_lsa_content_t *c)
{
    dmsc_tlv_reader_init(&it->r, c->value.p, c->value.n);
}

static int iter_next(dmsc_lsa_iter_t *it, uint64_t type, dmsc_tlv_t *el)
{
    while (!dmsc_tlv_reader_eof(&it->r)) {
        if (dmsc_tlv_read(&it->r, el)) return 0;
        if (el->type == type) return 1;
    }
    return 0;
}

int dmsc_lsa_next_adj(dmsc_lsa_iter_t *it, dmsc_lsa_adj_t *out)
{
    dmsc_tlv_t el;
    while (iter_next(it, DMSC_RT_TT_ADJACENCY, &el))
        if (decode_adj(el.value, el.len, out) == 0) return 1;
    return 0;
}

int dmsc_lsa_next_prefix(dmsc_lsa_iter_t *it, dmsc_lsa_prefix_t *out)
{
    dmsc_tlv_t el;
    while (iter_next(it, DMSC_RT_TT_PREFIX, &el))
        if (decode_prefix(el.value, el.len, out) == 0) return 1;
    return 0;
}

static size_t nni_tlv_size(uint64_t type, uint64_t v)
{
    return dmsc_rt_tlv_size(type, dmsc_nni_size(v));
}

static size_t adj_inner(const dmsc_lsa_adj_t *a)
{
    return dmsc_rt_tlv_size(DMSC_TT_NAME, a->name.n) + nni_tlv_size(DMSC_RT_TT_LINK_COST, a->cost);
}

static size_t pfx_inner(const dmsc_lsa_prefix_t *p)
{
    size_t n = dmsc_rt_tlv_size(DMSC_TT_NAME, p->name.n);
    if (p->cost) n += nni_tlv_size(DMSC_RT_TT_PREFIX_COST, p->cost);
    if (p->load) n += nni_tlv_size(DMSC_RT_TT_PREFIX_LOAD, p->load);
    if (p->capacity) n += nni_tlv_size(DMSC_RT_TT_PREFIX_CAPACITY, p->capacity);
    return n;
}

size_t dmsc_lsa_content_size(uint64_t lifetime_ms, const dmsc_lsa_adj_t *adj, size_t n_adj,
                             const dmsc_lsa_prefix_t *pfx, size_t n_pfx)
{
    size_t n = nni_tlv_size(DMSC_RT_TT_LSA_LIFETIME, lifetime_ms) +
               dmsc_rt_tlv_size(DMSC_RT_TT_PUBLIC_KEY, DMSC_RT_PUBKEY_LEN);
    for (size_t i = 0; i < n_adj; i++)
        n += dmsc_rt_tlv_size(DMSC_RT_TT_ADJACENCY, adj_inner(&adj[i]));
    for (size_t i = 0; i < n_pfx; i++)
        n += dmsc_rt_tlv_size(DMSC_RT_TT_PREFIX, pfx_inner(&pfx[i]));
    return n;
}

int dmsc_lsa_content_prepend(dmsc_enc_t *e, uint64_t lifetime_ms, const uint8_t *pubkey,
                             const dmsc_lsa_adj_t *adj, size_t n_adj, const dmsc_lsa_prefix_t *pfx,
                             size_t n_pfx)
{
    for (size_t i = n_pfx; i-- > 0;) {
        const dmsc_lsa_prefix_t *p = &pfx[i];
        size_t mark = dmsc_enc_mark(e);
        if (p->capacity) dmsc_enc_prepend_nni_tlv(e, DMSC_RT_TT_PREFIX_CAPACITY, p->capacity);
        if (p->load) dmsc_enc_prepend_nni_tlv(e, DMSC_RT_TT_PREFIX_LOAD, p->load);
        if (p->cost) dmsc_enc_prepend_nni_tlv(e, DMSC_RT_TT_PREFIX_COST, p->cost);
        dmsc_enc_prepend_tlv(e, DMSC_TT_NAME, p->name.p, p->name.n);
        dmsc_enc_prepend_hdr(e, DMSC_RT_TT_PREFIX, mark - dmsc_enc_mark(e));
    }
    for (size_t i = n_adj; i-- > 0;) {
        size_t mark = dmsc_enc_mark(e);
        dmsc_enc_prepend_nni_tlv(e, DMSC_RT_TT_LINK_COST, adj[i].cost);
        dmsc_enc_prepend_tlv(e, DMSC_TT_NAME, adj[i].name.p, adj[i].name.n);
        dmsc_enc_prepend_hdr(e, DMSC_RT_TT_ADJACENCY, mark - dmsc_enc_mark(e));
    }
    dmsc_enc_prepend_tlv(e, DMSC_RT_TT_PUBLIC_KEY, pubkey, DMSC_RT_PUBKEY_LEN);
    dmsc_enc_prepend_nni_tlv(e, DMSC_RT_TT_LSA_LIFETIME, lifetime_ms);
    return dmsc_enc_error(e);
}

/* ---- LSA packet ---- */

int dmsc_lsa_decode(dmsc_lsa_t *lsa, const uint8_t *wire, size_t len)
{
    if (len > DMSC_LSA_MAX_SIZE) return DMSC_ETOOBIG;
    int rc = dmsc_data_decode(&lsa->data, wire, len, DMSC_LSA_MAX_SIZE);
    if (rc) return rc;
    const dmsc_name_t *n = &lsa->data.name;
    if (n->ncomps < 4) return DMSC_EVALUE;
    size_t k = n->ncomps - 3; /* origin components */
    dmsc_comp_t c1 = dmsc_name_comp(n, k), c2 = dmsc_name_comp(n, k + 1),
                c3 = dmsc_name_comp(n, k + 2);
    if (!comp_is(&c1, ROUTE, sizeof ROUTE - 1) || !comp_is(&c2, LSA, sizeof LSA - 1) ||
        c3.type != DMSC_TT_SEQUENCE_NUM)
        return DMSC_EVALUE;
    if (dmsc_nni_decode(c3.value, c3.len, &lsa->seq)) return DMSC_ENNI;
    dmsc_name_get_prefix(n, k, &lsa->origin);
    if (lsa->origin.len > DMSC_RT_NODE_NAME_MAX) return DMSC_EVALUE;
    /* signature: Ed25519, KeyLocator <origin>/KEY/... */
    const dmsc_siginfo_t *si = &lsa->data.sig_info;
    if (si->type != DMSC_SIG_ED25519) return DMSC_ESIGTYPE;
    if (si->keyloc_kind != DMSC_KEYLOC_NAME) return DMSC_EVALUE;
    const dmsc_name_t *kl = &si->keyloc_name;
    if (kl->ncomps <= k || !dmsc_name_is_prefix(&lsa->origin, kl)) return DMSC_EVALUE;
    dmsc_comp_t ckey = dmsc_name_comp(kl, k);
    if (!comp_is(&ckey, KEY, sizeof KEY - 1)) return DMSC_EVALUE;
    if (!lsa->data.has_content) return DMSC_EMISSING;
    return dmsc_lsa_content_decode(&lsa->content, lsa->data.content.p, lsa->data.content.n);
}

int dmsc_lsa_verify(const dmsc_lsa_t *lsa)
{
    dmsc_key_t *k = NULL;
    int rc =
        dmsc_key_import_raw_public(&k, DMSC_SIG_ED25519, lsa->content.pubkey, DMSC_RT_PUBKEY_LEN);
    if (rc) return rc;
    const dmsc_verifier_t *v;
    rc = dmsc_key_verifier(k, &v);
    if (!rc) rc = dmsc_data_verify(&lsa->data, v);
    dmsc_key_free(k);
    return rc;
}

int dmsc_lsa_encode(const dmsc_name_t *origin, uint64_t seq, uint64_t lifetime_ms,
                    const uint8_t *pubkey, const dmsc_lsa_adj_t *adj, size_t n_adj,
                    const dmsc_lsa_prefix_t *pfx, size_t n_pfx, const dmsc_signer_t *signer,
                    uint8_t *buf, size_t cap, dmsc_slice_t *out)
{
    size_t csize = dmsc_lsa_content_size(lifetime_ms, adj, n_adj, pfx, n_pfx);
    if (csize > DMSC_LSA_MAX_SIZE) return DMSC_ETOOBIG;
    if (cap < csize) return DMSC_ENOBUFS;
    /* the content is encoded into the tail of buf, the packet (which copies
     * it) in front of it */
    dmsc_enc_t e;
    dmsc_enc_init(&e, buf + cap - csize, csize);
    int rc = dmsc_lsa_content_prepend(&e, lifetime_ms, pubkey, adj, n_adj, pfx, n_pfx);
    if (rc) return rc;
    dmsc_slice_t content = dmsc_slice(dmsc_enc_data(&e), csize - dmsc_enc_mark(&e));
    dmsc_namebuf_t nb;
    if ((rc = dmsc_lsa_name(&nb, origin, seq))) return rc;
    dmsc_data_t d;
    dmsc_data_init(&d);
    d.name = nb.name;
    d.has_content = true;
    d.content = content;
    rc = dmsc_data_encode(&d, signer, buf, cap - csize, out);
    if (rc) return rc;
    return out->n > DMSC_LSA_MAX_SIZE ? DMSC_ETOOBIG : 0;
}

/* ---- HelloInfo ---- */

int dmsc_hello_decode(dmsc_hello_t *h, const uint8_t *v, size_t len)
{
    static const uint8_t none[1];
    dmsc_tlv_reader_t r;
    dmsc_tlv_reader_init(&r, v ? v : none, len);
    bool has_name = false, has_count = false;
    int rc;
    h->pubkey = NULL;
    h->has_digest = false;
    h->digest = 0;
    h->lsa_count = 0;
    while (!dmsc_tlv_reader_eof(&r)) {
        dmsc_tlv_t el;
        if ((rc = dmsc_tlv_read(&r, &el))) return rc;
        switch (el.type) {
        case DMSC_TT_NAME:
            if (has_name) return DMSC_EDUP;
            if ((rc = read_name(&el, &h->name))) return rc;
            if (h->name.len > DMSC_RT_NODE_NAME_MAX) return DMSC_EVALUE;
            has_name = true;
            break;
        case DMSC_RT_TT_PUBLIC_KEY:
            if (h->pubkey) return DMSC_EDUP;
            if (el.len != DMSC_RT_PUBKEY_LEN) return DMSC_EVALUE;
            h->pubkey = el.value;
            break;
        case DMSC_RT_TT_LSDB_DIGEST:
            if (h->has_digest) return DMSC_EDUP;
            if (el.len != 8) return DMSC_EVALUE;
            h->digest = dmsc_rt_be64(el.value);
            h->has_digest = true;
            break;
        case DMSC_RT_TT_LSDB_COUNT:
            if (has_count) return DMSC_EDUP;
            if ((rc = read_nni(&el, &h->lsa_count))) return rc;
            has_count = true;
            break;
        default:
            if ((rc = unknown_el(el.type))) return rc;
        }
    }
    return has_name && h->pubkey ? 0 : DMSC_EMISSING;
}

int dmsc_hello_prepend(dmsc_enc_t *e, const dmsc_name_t *name, const uint8_t *pubkey,
                       uint64_t digest, uint64_t lsa_count)
{
    uint8_t d[8];
    dmsc_rt_put_be64(d, digest);
    dmsc_enc_prepend_nni_tlv(e, DMSC_RT_TT_LSDB_COUNT, lsa_count);
    dmsc_enc_prepend_tlv(e, DMSC_RT_TT_LSDB_DIGEST, d, sizeof d);
    dmsc_enc_prepend_tlv(e, DMSC_RT_TT_PUBLIC_KEY, pubkey, DMSC_RT_PUBKEY_LEN);
    dmsc_enc_prepend_name(e, name);
    return dmsc_enc_error(e);
}

/* ---- LSU ---- */

static int lsu_entry(const dmsc_tlv_t *el, uint64_t *remaining, dmsc_slice_t *lsa)
{
    dmsc_tlv_reader_t r;
    dmsc_tlv_reader_init(&r, el->value, el->len);
    bool has_rem = false, has_lsa = false;
    int rc;
    while (!dmsc_tlv_reader_eof(&r)) {
        dmsc_tlv_t x;
        if ((rc = dmsc_tlv_read(&r, &x))) return rc;
        if (x.type == DMSC_RT_TT_LSA_REMAINING) {
            if (has_rem) return DMSC_EDUP;
            if ((rc = read_nni(&x, remaining))) return rc;
            has_rem = true;
        } else if (x.type == DMSC_TT_DATA) {
            if (has_lsa) return DMSC_EDUP;
            *lsa = dmsc_slice(x.start, x.size);
            has_lsa = true;
        } else if ((rc = unknown_el(x.type))) {
            return rc;
        }
    }
    return has_rem && has_lsa ? 0 : DMSC_EMISSING;
}

int dmsc_lsu_check(const uint8_t *v, size_t len)
{
    static const uint8_t none[1];
    dmsc_tlv_reader_t r;
    dmsc_tlv_reader_init(&r, v ? v : none, len);
    int n = 0, rc;
    while (!dmsc_tlv_reader_eof(&r)) {
        dmsc_tlv_t el;
        if ((rc = dmsc_tlv_read(&r, &el))) return rc;
        if (el.type == DMSC_RT_TT_LSA_ENTRY) {
            uint64_t rem;
            dmsc_slice_t lsa;
            if ((rc = lsu_entry(&el, &rem, &lsa))) return rc;
            n++;
        } else if ((rc = unknown_el(el.type))) {
            return rc;
        }
    }
    return n ? n : DMSC_EMISSING;
}

int dmsc_lsu_next(dmsc_tlv_reader_t *r, uint64_t *remaining_ms, dmsc_slice_t *lsa)
{
    while (!dmsc_tlv_reader_eof(r)) {
        dmsc_tlv_t el;
        if (dmsc_tlv_read(r, &el)) return 0;
        if (el.type == DMSC_RT_TT_LSA_ENTRY && lsu_entry(&el, remaining_ms, lsa) == 0) return 1;
    }
    return 0;
}

size_t dmsc_lsu_entry_size(uint64_t remaining_ms, size_t lsa_len)
{
    return dmsc_rt_tlv_size(DMSC_RT_TT_LSA_ENTRY,
                            nni_tlv_size(DMSC_RT_TT_LSA_REMAINING, remaining_ms) + lsa_len);
}

void dmsc_lsu_entry_prepend(dmsc_enc_t *e, uint64_t remaining_ms, const uint8_t *lsa,
                            size_t lsa_len)
{
    size_t mark = dmsc_enc_mark(e);
    dmsc_enc_prepend(e, lsa, lsa_len);
    dmsc_enc_prepend_nni_tlv(e, DMSC_RT_TT_LSA_REMAINING, remaining_ms);
    dmsc_enc_prepend_hdr(e, DMSC_RT_TT_LSA_ENTRY, mark - dmsc_enc_mark(e));
}

/* ---- SNP ---- */

static int snp_entry(const dmsc_tlv_t *el, dmsc_snp_entry_t *out)
{
    dmsc_tlv_reader_t r;
    dmsc_tlv_reader_init(&r, el->value, el->len);
    bool has_name = false, has_seq = false, has_hash = false;
    int rc;
    while (!dmsc_tlv_reader_eof(&r)) {
        dmsc_tlv_t x;
        if ((rc = dmsc_tlv_read(&r, &x))) return rc;
        if (x.type == DMSC_TT_NAME) {
            if (has_name) return DMSC_EDUP;
            dmsc_name_t n;
            if ((rc = read_name(&x, &n))) return rc;
            out->origin = dmsc_slice(x.value, x.len);
            has_name = true;
        } else if (x.type == DMSC_RT_TT_SNP_SEQ) {
            if (has_seq) return DMSC_EDUP;
            if ((rc = read_nni(&x, &out->seq))) return rc;
            has_seq = true;
        } else if (x.type == DMSC_RT_TT_SNP_HASH) {
            if (has_hash) return DMSC_EDUP;
            if (x.len != 8) return DMSC_EVALUE;
            out->hash = dmsc_rt_be64(x.value);
            has_hash = true;
        } else if ((rc = unknown_el(x.type))) {
            return rc;
        }
    }
    return has_name && has_seq && has_hash ? 0 : DMSC_EMISSING;
}

int dmsc_snp_decode(dmsc_snp_t *s, const uint8_t *v, size_t len)
{
    static const uint8_t none[1];
    dmsc_tlv_reader_t r;
    dmsc_tlv_reader_init(&r, v ? v : none, len);
    bool seen[3] = {false, false, false};
    int rc;
    memset(s, 0, sizeof *s);
    s->value = dmsc_slice(v ? v : none, len);
    while (!dmsc_tlv_reader_eof(&r)) {
        dmsc_tlv_t el;
        if ((rc = dmsc_tlv_read(&r, &el))) return rc;
        switch (el.type) {
        case DMSC_RT_TT_SNP_SESSION:
        case DMSC_RT_TT_SNP_PAGE:
        case DMSC_RT_TT_SNP_PAGE_COUNT: {
            int i = el.type == DMSC_RT_TT_SNP_SESSION ? 0 : el.type == DMSC_RT_TT_SNP_PAGE ? 1 : 2;
            if (seen[i]) return DMSC_EDUP;
            seen[i] = true;
            uint64_t x;
            if ((rc = read_nni(&el, &x))) return rc;
            if (i == 0)
                s->session = x;
            else if (i == 1)
                s->page = x;
            else
                s->page_count = x;
            break;
        }
        case DMSC_RT_TT_SNP_RANGE_START:
        case DMSC_RT_TT_SNP_RANGE_END: {
            bool start = el.type == DMSC_RT_TT_SNP_RANGE_START;
            if (start ? s->has_start : s->has_end) return DMSC_EDUP;
            dmsc_tlv_t nel;
            if ((rc = dmsc_tlv_decode_one(el.value, el.len, &nel))) return rc;
            if (nel.type != DMSC_TT_NAME) return DMSC_ETYPE;
            dmsc_name_t n;
            if ((rc = read_name(&nel, &n))) return rc;
            if (start) {
                s->has_start = true;
                s->start = dmsc_slice(nel.value, nel.len);
            } else {
                s->has_end = true;
                s->end = dmsc_slice(nel.value, nel.len);
            }
            break;
        }
        case DMSC_RT_TT_SNP_ANSWER:
            if (s->answer) return DMSC_EDUP;
            s->answer = true;
            break;
        case DMSC_RT_TT_SNP_ENTRY: {
            dmsc_snp_entry_t x;
            if ((rc = snp_entry(&el, &x))) return rc;
            s->n_entries++;
            break;
        }
        default:
            if ((rc = unknown_el(el.type))) return rc;
        }
    }
    if (!seen[0] || !seen[1] || !seen[2]) return DMSC_EMISSING;
    if (s->page_count == 0 || s->page_count > DMSC_SNP_MAX_PAGES || s->page >= s->page_count)
        return DMSC_EVALUE;
    return 0;
}

void dmsc_snp_iter_init(dmsc_snp_iter_t *it, const dmsc_snp_t *s)
{
    dmsc_tlv_reader_init(&it->r, s->value.p, s->value.n);
}

int dmsc_snp_next(dmsc_snp_iter_t *it, dmsc_snp_entry_t *out)
{
    while (!dmsc_tlv_reader_eof(&it->r)) {
        dmsc_tlv_t el;
        if (dmsc_tlv_read(&it->r, &el)) return 0;
        if (el.type == DMSC_RT_TT_SNP_ENTRY && snp_entry(&el, out) == 0) return 1;
    }
    return 0;
}

size_t dmsc_snp_entry_size(size_t origin_len, uint64_t seq)
{
    return dmsc_rt_tlv_size(DMSC_RT_TT_SNP_ENTRY, dmsc_rt_tlv_size(DMSC_TT_NAME, origin_len) +
                                                      nni_tlv_size(DMSC_RT_TT_SNP_SEQ, seq) +
                                                      dmsc_rt_tlv_size(DMSC_RT_TT_SNP_HASH, 8));
}

void dmsc_snp_entry_prepend(dmsc_enc_t *e, const uint8_t *origin, size_t origin_len, uint64_t seq,
                            uint64_t hash)
{
    uint8_t h[8];
    dmsc_rt_put_be64(h, hash);
    size_t mark = dmsc_enc_mark(e);
    dmsc_enc_prepend_tlv(e, DMSC_RT_TT_SNP_HASH, h, sizeof h);
    dmsc_enc_prepend_nni_tlv(e, DMSC_RT_TT_SNP_SEQ, seq);
    dmsc_enc_prepend_tlv(e, DMSC_TT_NAME, origin, origin_len);
    dmsc_enc_prepend_hdr(e, DMSC_RT_TT_SNP_ENTRY, mark - dmsc_enc_mark(e));
}

static void prepend_bound(dmsc_enc_t *e, uint64_t type, const dmsc_slice_t *n)
{
    size_t mark = dmsc_enc_mark(e);
    dmsc_enc_prepend_tlv(e, DMSC_TT_NAME, n->p, n->n);
    dmsc_enc_prepend_hdr(e, type, mark - dmsc_enc_mark(e));
}

void dmsc_snp_header_prepend(dmsc_enc_t *e, uint64_t session, uint64_t page, uint64_t page_count,
                             bool answer, const dmsc_slice_t *start, const dmsc_slice_t *end)
{
    if (end) prepend_bound(e, DMSC_RT_TT_SNP_RANGE_END, end);
    if (start) prepend_bound(e, DMSC_RT_TT_SNP_RANGE_START, start);
    if (answer) dmsc_enc_prepend_hdr(e, DMSC_RT_TT_SNP_ANSWER, 0);
    dmsc_enc_prepend_nni_tlv(e, DMSC_RT_TT_SNP_PAGE_COUNT, page_count);
    dmsc_enc_prepend_nni_tlv(e, DMSC_RT_TT_SNP_PAGE, page);
    dmsc_enc_prepend_nni_tlv(e, DMSC_RT_TT_SNP_SESSION, session);
}

size_t dmsc_snp_header_size(uint64_t session, uint64_t page, uint64_t page_count, bool answer,
                            const dmsc_slice_t *start, const dmsc_slice_t *end)
{
    size_t n = nni_tlv_size(DMSC_RT_TT_SNP_SESSION, session) +
               nni_tlv_size(DMSC_RT_TT_SNP_PAGE, page) +
               nni_tlv_size(DMSC_RT_TT_SNP_PAGE_COUNT, page_count) +
               (answer ? dmsc_rt_tlv_size(DMSC_RT_TT_SNP_ANSWER, 0) : 0);
    if (start)
        n += dmsc_rt_tlv_size(DMSC_RT_TT_SNP_RANGE_START, dmsc_rt_tlv_size(DMSC_TT_NAME, start->n));
    if (end)
        n += dmsc_rt_tlv_size(DMSC_RT_TT_SNP_RANGE_END, dmsc_rt_tlv_size(DMSC_TT_NAME, end->n));
    return n;
}
