#include "fw/pit.h"

#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/sha256.h"

#define NOT_IN_HEAP UINT32_MAX

static inline dmsc_pit_entry_t *of_node(dmsc_ntnode_t *n)
{
    return (dmsc_pit_entry_t *)((uint8_t *)n - offsetof(dmsc_pit_entry_t, node));
}

int dmsc_pit_init(dmsc_pit_t *pit, size_t max, dmsc_bufpool_t *bp)
{
    memset(pit, 0, sizeof *pit);
    pit->bp = bp;
    dmsc_slab_init(&pit->slab, sizeof(dmsc_pit_entry_t), 0);
    dmsc_pit_set_max(pit, max);
    return dmsc_nametab_init(&pit->nt, 1024);
}

static void free_storage(dmsc_pit_t *pit, dmsc_pit_entry_t *e)
{
    if (e->wire != e->wire_inline) dmsc_buf_free(pit->bp, e->wire, e->wire_cap);
    if (e->in != e->in_inline) dmsc_buf_free(pit->bp, e->in, e->cap_in * sizeof(dmsc_inrec_t));
    if (e->out != e->out_inline) dmsc_buf_free(pit->bp, e->out, e->cap_out * sizeof(dmsc_outrec_t));
}

void dmsc_pit_destroy(dmsc_pit_t *pit)
{
    for (uint32_t i = 0; i < pit->slab.n_slots; i++) {
        dmsc_pit_entry_t *e = dmsc_slab_at(&pit->slab, i);
        if (e->slot.live) free_storage(pit, e);
    }
    dmsc_slab_destroy(&pit->slab);
    dmsc_nametab_destroy(&pit->nt);
    free(pit->heap);
    pit->heap = NULL;
    pit->heap_n = pit->heap_cap = 0;
}

dmsc_pit_entry_t *dmsc_pit_find(const dmsc_pit_t *pit, const dmsc_name_t *name, uint64_t hash,
                                uint8_t tag)
{
    dmsc_ntnode_t *n = dmsc_nametab_find(&pit->nt, hash, name->value, name->len, tag);
    return n ? of_node(n) : NULL;
}

static bool last_is_digest(const dmsc_name_t *name)
{
    if (name->ncomps == 0) return false;
    return name->value[name->off[name->ncomps - 1]] == DMSC_TT_IMPLICIT_DIGEST;
}

int dmsc_pit_set_wire(dmsc_pit_t *pit, dmsc_pit_entry_t *e, const uint8_t *wire, size_t len,
                      size_t name_off)
{
    if (len > e->wire_cap) {
        size_t cap;
        uint8_t *b = dmsc_buf_alloc(pit->bp, len, &cap);
        if (!b) return DMSC_ENOMEM;
        if (e->wire != e->wire_inline) dmsc_buf_free(pit->bp, e->wire, e->wire_cap);
        e->wire = b;
        e->wire_cap = (uint32_t)cap;
    }
    memcpy(e->wire, wire, len);
    e->wire_len = (uint32_t)len;
    e->name_off = (uint32_t)name_off;
    e->node.key = e->wire + name_off; /* same bytes, new place: hash unchanged */
    return 0;
}

dmsc_pit_entry_t *dmsc_pit_insert(dmsc_pit_t *pit, const dmsc_name_t *name, uint64_t hash,
                                  uint8_t tag, const uint8_t *wire, size_t len, size_t name_off)
{
    /* the heap always has room for every live entry, so set_expiry cannot fail */
    if (pit->heap_cap <= pit->slab.n_live) {
        size_t cap = pit->heap_cap ? pit->heap_cap * 2 : 1024;
        dmsc_pit_entry_t **h = realloc(pit->heap, cap * sizeof *h);
        if (!h) return NULL;
        pit->heap = h;
        pit->heap_cap = cap;
    }
    dmsc_pit_entry_t *e = dmsc_slab_alloc(&pit->slab);
    if (!e) return NULL;
    e->heap_idx = NOT_IN_HEAP;
    e->wire = e->wire_inline;
    e->wire_cap = DMSC_PIT_WIRE_INLINE;
    e->in = e->in_inline;
    e->cap_in = 1;
    e->out = e->out_inline;
    e->cap_out = 1;
    if (dmsc_pit_set_wire(pit, e, wire, len, name_off) != 0) {
        dmsc_slab_free(&pit->slab, e);
        return NULL;
    }
    dmsc_ntnode_set(&e->node, hash, e->wire + name_off, name->len, name->ncomps, tag);
    if (last_is_digest(name)) {
        e->flags |= DMSC_PIT_F_DIGEST;
        pit->n_digest++;
    }
    if (tag & DMSC_PIT_CBP) pit->cbp_depth[name->ncomps]++;
    dmsc_nametab_insert(&pit->nt, &e->node);
    return e;
}

/* ---- heap ---- */

static inline void heap_place(dmsc_pit_t *pit, size_t i, dmsc_pit_entry_t *e)
{
    pit->heap[i] = e;
    e->heap_idx = (uint32_t)i;
}

static void heap_up(dmsc_pit_t *pit, size_t i)
{
    dmsc_pit_entry_t *e = pit->heap[i];
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (pit->heap[p]->expiry <= e->expiry) break;
        heap_place(pit, i, pit->heap[p]);
        i = p;
    }
    heap_place(pit, i, e);
}

static void heap_down(dmsc_pit_t *pit, size_t i)
{
    dmsc_pit_entry_t *e = pit->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= pit->heap_n) break;
        if (c + 1 < pit->heap_n && pit->heap[c + 1]->expiry < pit->heap[c]->expiry) c++;
        if (e->expiry <= pit->heap[c]->expiry) break;
        heap_place(pit, i, pit->heap[c]);
        i = c;
    }
    heap_place(pit, i, e);
}

static void heap_remove(dmsc_pit_t *pit, dmsc_pit_entry_t *e)
{
    size_t i = e->heap_idx;
    if (i == NOT_IN_HEAP) return;
    e->heap_idx = NOT_IN_HEAP;
    dmsc_pit_entry_t *last = pit->heap[--pit->heap_n];
    if (last == e) return;
    heap_place(pit, i, last);
    heap_up(pit, i);
    heap_down(pit, last->heap_idx);
}

void dmsc_pit_set_expiry(dmsc_pit_t *pit, dmsc_pit_entry_t *e, uint64_t expiry)
{
    if (e->heap_idx == NOT_IN_HEAP) {
        e->expiry = expiry;
        heap_place(pit, pit->heap_n++, e);
        heap_up(pit, e->heap_idx);
        return;
    }
    uint64_t old = e->expiry;
    e->expiry = expiry;
    if (expiry < old)
        heap_up(pit, e->heap_idx);
    else if (expiry > old)
        heap_down(pit, e->heap_idx);
}

void dmsc_pit_erase(dmsc_pit_t *pit, dmsc_pit_entry_t *e)
{
    heap_remove(pit, e);
    dmsc_nametab_remove(&pit->nt, &e->node);
    if (e->flags & DMSC_PIT_F_DIGEST) pit->n_digest--;
    if (e->node.tag & DMSC_PIT_CBP) pit->cbp_depth[e->node.depth]--;
    free_storage(pit, e);
    dmsc_slab_free(&pit->slab, e);
}

void dmsc_pit_entry_name(const dmsc_pit_entry_t *e, dmsc_name_t *out)
{
    if (dmsc_name_from_value(out, e->node.key, e->node.klen) != 0) dmsc_name_init(out);
}

/* ---- records ---- */

dmsc_inrec_t *dmsc_pit_inrec_find(dmsc_pit_entry_t *e, dmsc_faceid_t face)
{
    for (uint16_t i = 0; i < e->n_in; i++)
        if (e->in[i].face == face) return &e->in[i];
    return NULL;
}

/* Grow a record array (inline or pooled) to hold one more. */
static void *grow_recs(dmsc_pit_t *pit, void *arr, void *inl, uint16_t n, uint16_t *cap, size_t rsz)
{
    if (n < *cap) return arr;
    if (*cap >= UINT16_MAX / 2) return NULL;
    size_t want = (size_t)*cap * 2 < 4 ? 4 : (size_t)*cap * 2, got;
    void *b = dmsc_buf_alloc(pit->bp, want * rsz, &got);
    if (!b) return NULL;
    memcpy(b, arr, n * rsz);
    if (arr != inl) dmsc_buf_free(pit->bp, arr, *cap * rsz);
    *cap = (uint16_t)(got / rsz > UINT16_MAX ? UINT16_MAX : got / rsz);
    return b;
}

dmsc_inrec_t *dmsc_pit_inrec_add(dmsc_pit_t *pit, dmsc_pit_entry_t *e, dmsc_faceid_t face)
{
    dmsc_inrec_t *a = grow_recs(pit, e->in, e->in_inline, e->n_in, &e->cap_in, sizeof *a);
    if (!a) return NULL;
    e->in = a;
    dmsc_inrec_t *r = &a[e->n_in++];
    memset(r, 0, sizeof *r);
    r->face = face;
    return r;
}

void dmsc_pit_inrec_remove(dmsc_pit_entry_t *e, dmsc_inrec_t *r)
{
    size_t i = (size_t)(r - e->in);
    e->in[i] = e->in[--e->n_in];
}

dmsc_outrec_t *dmsc_pit_outrec_find(dmsc_pit_entry_t *e, dmsc_faceid_t face)
{
    for (uint16_t i = 0; i < e->n_out; i++)
        if (e->out[i].face == face) return &e->out[i];
    return NULL;
}

dmsc_outrec_t *dmsc_pit_outrec_add(dmsc_pit_t *pit, dmsc_pit_entry_t *e, dmsc_faceid_t face)
{
    dmsc_outrec_t *a = grow_recs(pit, e->out, e->out_inline, e->n_out, &e->cap_out, sizeof *a);
    if (!a) return NULL;
    e->out = a;
    dmsc_outrec_t *r = &a[e->n_out++];
    memset(r, 0, sizeof *r);
    r->face = face;
    return r;
}

void dmsc_pit_outrec_remove(dmsc_pit_entry_t *e, dmsc_outrec_t *r)
{
    size_t i = (size_t)(r - e->out);
    e->out[i] = e->out[--e->n_out];
}

/* ---- tokens: slot index then generation, big-endian ---- */

void dmsc_pit_token(const dmsc_pit_entry_t *e, uint8_t out[DMSC_PIT_TOKEN_LEN])
{
    uint32_t a = e->slot.idx, b = e->slot.gen;
    for (int i = 0; i < 4; i++) {
        out[i] = (uint8_t)(a >> (24 - 8 * i));
        out[4 + i] = (uint8_t)(b >> (24 - 8 * i));
    }
}

dmsc_pit_entry_t *dmsc_pit_by_token(const dmsc_pit_t *pit, dmsc_slice_t tok)
{
    if (tok.n != DMSC_PIT_TOKEN_LEN) return NULL;
    uint32_t a = 0, b = 0;
    for (int i = 0; i < 4; i++) {
        a = (a << 8) | tok.p[i];
        b = (b << 8) | tok.p[4 + i];
    }
    return dmsc_slab_get(&pit->slab, a, b);
}

/* ---- matching ---- */

#define DIGEST_COMP_SIZE (2 + DMSC_DIGEST_LEN)

size_t dmsc_pit_match_data(const dmsc_pit_t *pit, const dmsc_name_t *dn, uint64_t name_hash,
                           dmsc_slice_t wire, dmsc_pit_entry_t **out, size_t max)
{
    dmsc_ntnode_t *nodes[4];
    size_t n = 0;
    if (!name_hash) name_hash = dmsc_name_hash(dn, dn->ncomps);
    size_t k = dmsc_nametab_find_all(&pit->nt, name_hash, dn->value, dn->len, nodes, 4);
    for (size_t i = 0; i < k && i < 4 && n < max; i++)
        out[n++] = of_node(nodes[i]);
    if (pit->nt.max_depth < 0) return n;
    size_t lim = dn->ncomps; /* proper prefixes only: depth < ncomps and <= max_depth */
    if ((size_t)pit->nt.max_depth + 1 < lim) lim = (size_t)pit->nt.max_depth + 1;
    for (size_t d = 0; d < lim; d++) {
        if (!pit->cbp_depth[d]) continue;
        dmsc_slice_t p = dmsc_name_prefix_bytes(dn, d);
        k = dmsc_nametab_find_all(&pit->nt, dmsc_name_hash(dn, d), p.p, p.n, nodes, 4);
        for (size_t i = 0; i < k && i < 4 && n < max; i++)
            if (nodes[i]->tag & DMSC_PIT_CBP) out[n++] = of_node(nodes[i]);
    }
    if (pit->n_digest && dn->ncomps < DMSC_NAME_MAX_COMPS &&
        dn->len + DIGEST_COMP_SIZE <= DMSC_NAME_MAX_LEN) {
        uint8_t full[DMSC_NAME_MAX_LEN];
        if (dn->len) memcpy(full, dn->value, dn->len);
        full[dn->len] = DMSC_TT_IMPLICIT_DIGEST;
        full[dn->len + 1] = DMSC_DIGEST_LEN;
        dmsc_sha256_buf(wire.p, wire.n, full + dn->len + 2);
        dmsc_name_t fn;
        if (dmsc_name_from_value(&fn, full, dn->len + DIGEST_COMP_SIZE) == 0) {
            k = dmsc_nametab_find_all(&pit->nt, dmsc_name_hash(&fn, fn.ncomps), fn.value, fn.len,
                                      nodes, 4);
            for (size_t i = 0; i < k && i < 4 && n < max; i++)
                out[n++] = of_node(nodes[i]);
        }
    }
    return n;
}

void dmsc_pit_foreach(dmsc_pit_t *pit, void (*cb)(void *arg, dmsc_pit_entry_t *e), void *arg)
{
    for (uint32_t i = 0; i < pit->slab.n_slots; i++) {
        dmsc_pit_entry_t *e = dmsc_slab_at(&pit->slab, i);
        if (e->slot.live) cb(arg, e);
    }
}
