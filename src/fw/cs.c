#include "fw/cs.h"

#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/sha256.h"

static inline dmsc_cs_node_t *of_nt(dmsc_ntnode_t *n)
{
    return n ? (dmsc_cs_node_t *)((uint8_t *)n - offsetof(dmsc_cs_node_t, nt)) : NULL;
}

int dmsc_cs_init(dmsc_cs_t *cs, size_t max_entries, size_t max_bytes)
{
    memset(cs, 0, sizeof *cs);
    cs->max_entries = max_entries;
    cs->max_bytes = max_bytes;
    cs->cbp_scan_max = DMSC_CS_CBP_SCAN_MAX;
    cs->root = calloc(1, sizeof *cs->root);
    if (!cs->root) return DMSC_ENOMEM;
    int rc = dmsc_nametab_init(&cs->nt, 1024);
    if (rc) {
        free(cs->root);
        cs->root = NULL;
    }
    return rc;
}

void dmsc_cs_destroy(dmsc_cs_t *cs)
{
    dmsc_cs_erase_all(cs);
    dmsc_nametab_destroy(&cs->nt);
    free(cs->root);
    cs->root = NULL;
}

static dmsc_cs_node_t *node_find(const dmsc_cs_t *cs, const dmsc_name_t *name, size_t depth)
{
    if (depth == 0) return cs->root;
    dmsc_slice_t k = dmsc_name_prefix_bytes(name, depth);
    return of_nt(dmsc_nametab_find(&cs->nt, dmsc_name_hash(name, depth), k.p, k.n, 0));
}

/* Remove nodes that hold nothing, from n up (never the root). */
static void prune(dmsc_cs_t *cs, dmsc_cs_node_t *n)
{
    while (n && n != cs->root && n->n_desc == 0) {
        dmsc_cs_node_t *p = n->parent;
        if (n->prev)
            n->prev->next = n->next;
        else
            p->child = n->next;
        if (n->next) n->next->prev = n->prev;
        dmsc_nametab_remove(&cs->nt, &n->nt);
        free(n);
        n = p;
    }
}

static dmsc_cs_node_t *node_get(dmsc_cs_t *cs, const dmsc_name_t *name, size_t depth)
{
    dmsc_cs_node_t *n = node_find(cs, name, depth);
    if (n) return n;
    dmsc_cs_node_t *p = node_get(cs, name, depth - 1);
    if (!p) return NULL;
    dmsc_slice_t k = dmsc_name_prefix_bytes(name, depth);
    n = malloc(sizeof *n + k.n);
    if (!n) {
        prune(cs, p);
        return NULL;
    }
    memset(n, 0, sizeof *n);
    memcpy(n->key, k.p, k.n);
    dmsc_ntnode_set(&n->nt, dmsc_name_hash(name, depth), n->key, k.n, depth, 0);
    n->parent = p;
    n->next = p->child;
    if (p->child) p->child->prev = n;
    p->child = n;
    dmsc_nametab_insert(&cs->nt, &n->nt);
    return n;
}

static void lru_unlink(dmsc_cs_t *cs, dmsc_cs_entry_t *e)
{
    if (e->lru_prev)
        e->lru_prev->lru_next = e->lru_next;
    else
        cs->lru_head = e->lru_next;
    if (e->lru_next)
        e->lru_next->lru_prev = e->lru_prev;
    else
        cs->lru_tail = e->lru_prev;
    e->lru_prev = e->lru_next = NULL;
}

static void lru_push(dmsc_cs_t *cs, dmsc_cs_entry_t *e)
{
    e->lru_next = NULL;
    e->lru_prev = cs->lru_tail;
    if (cs->lru_tail)
        cs->lru_tail->lru_next = e;
    else
        cs->lru_head = e;
    cs->lru_tail = e;
}

static void entry_remove(dmsc_cs_t *cs, dmsc_cs_entry_t *e)
{
    dmsc_cs_node_t *node = e->node;
    lru_unlink(cs, e);
    node->entry = NULL;
    cs->st.entries--;
    cs->st.bytes -= e->len;
    free(e);
    for (dmsc_cs_node_t *n = node; n; n = n->parent)
        n->n_desc--;
    prune(cs, node);
}

static void evict_to(dmsc_cs_t *cs, size_t entries, size_t bytes)
{
    while (cs->lru_head && (cs->st.entries > entries || cs->st.bytes > bytes)) {
        entry_remove(cs, cs->lru_head);
        cs->st.evictions++;
    }
}

void dmsc_cs_set_limits(dmsc_cs_t *cs, size_t max_entries, size_t max_bytes)
{
    cs->max_entries = max_entries;
    cs->max_bytes = max_bytes;
    evict_to(cs, max_entries, max_bytes);
}

void dmsc_cs_erase_all(dmsc_cs_t *cs)
{
    while (cs->lru_head)
        entry_remove(cs, cs->lru_head);
}

dmsc_cs_entry_t *dmsc_cs_find_exact(const dmsc_cs_t *cs, const dmsc_name_t *name)
{
    dmsc_cs_node_t *n = node_find(cs, name, name->ncomps);
    return n ? n->entry : NULL;
}

int dmsc_cs_insert(dmsc_cs_t *cs, const dmsc_name_t *name, const uint8_t *wire, size_t len,
                   int64_t freshness_ms, uint64_t now)
{
    if (cs->max_entries == 0 || len > cs->max_bytes || len > UINT32_MAX) return DMSC_ETOOBIG;
    /* an entry being replaced frees its room first */
    dmsc_cs_entry_t *old = dmsc_cs_find_exact(cs, name);
    size_t old_len = old ? old->len : 0;
    evict_to(cs, cs->max_entries - (old ? 0 : 1), cs->max_bytes - len + old_len);
    dmsc_cs_entry_t *e = malloc(sizeof *e + len);
    if (!e) return DMSC_ENOMEM;
    /* eviction may have removed old and pruned nodes: look the node up now */
    dmsc_cs_node_t *node = node_get(cs, name, name->ncomps);
    if (!node) {
        free(e);
        return DMSC_ENOMEM;
    }
    memset(e, 0, sizeof *e);
    memcpy(e->wire, wire, len);
    e->len = (uint32_t)len;
    e->node = node;
    if (freshness_ms < 0) {
        e->fresh_until = now;
    } else {
        uint64_t f = (uint64_t)freshness_ms;
        e->fresh_until = f > (UINT64_MAX - now) / 1000000u ? UINT64_MAX : now + f * 1000000u;
    }
    if (node->entry) {
        dmsc_cs_entry_t *o = node->entry;
        lru_unlink(cs, o);
        cs->st.entries--;
        cs->st.bytes -= o->len;
        free(o);
    } else {
        for (dmsc_cs_node_t *n = node; n; n = n->parent)
            n->n_desc++;
    }
    node->entry = e;
    lru_push(cs, e);
    cs->st.entries++;
    cs->st.bytes += len;
    cs->st.inserts++;
    return 0;
}

static inline bool usable(const dmsc_cs_entry_t *e, bool mbf, uint64_t now)
{
    return e && (!mbf || now < e->fresh_until);
}

static dmsc_cs_entry_t *subtree_find(const dmsc_cs_t *cs, dmsc_cs_node_t *top, bool mbf,
                                     uint64_t now)
{
    size_t visits = 0;
    dmsc_cs_node_t *n = top;
    for (;;) {
        if (usable(n->entry, mbf, now)) return n->entry;
        if (++visits >= cs->cbp_scan_max) return NULL;
        if (n->child) {
            n = n->child;
            continue;
        }
        while (n != top && !n->next)
            n = n->parent;
        if (n == top) return NULL;
        n = n->next;
    }
}

static dmsc_cs_entry_t *hit(dmsc_cs_t *cs, dmsc_cs_entry_t *e)
{
    if (!e) {
        cs->st.misses++;
        return NULL;
    }
    cs->st.hits++;
    lru_unlink(cs, e);
    lru_push(cs, e);
    return e;
}

dmsc_cs_entry_t *dmsc_cs_lookup(dmsc_cs_t *cs, const dmsc_name_t *name, bool cbp, bool mbf,
                                uint64_t now)
{
    if (!cs->st.entries) return hit(cs, NULL);
    size_t nc = name->ncomps;
    if (nc > 0 && name->value[name->off[nc - 1]] == DMSC_TT_IMPLICIT_DIGEST) {
        dmsc_cs_node_t *n = node_find(cs, name, nc - 1);
        dmsc_cs_entry_t *e = n ? n->entry : NULL;
        if (!usable(e, mbf, now)) return hit(cs, NULL);
        if (!e->has_digest) {
            dmsc_sha256_buf(e->wire, e->len, e->digest);
            e->has_digest = true;
        }
        dmsc_comp_t c = dmsc_name_comp(name, nc - 1);
        return hit(cs, memcmp(c.value, e->digest, DMSC_DIGEST_LEN) == 0 ? e : NULL);
    }
    dmsc_cs_node_t *n = node_find(cs, name, nc);
    if (!n) return hit(cs, NULL);
    if (!cbp) return hit(cs, usable(n->entry, mbf, now) ? n->entry : NULL);
    return hit(cs, subtree_find(cs, n, mbf, now));
}
