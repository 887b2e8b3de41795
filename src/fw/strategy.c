#include "fw/strategy.h"

#include <stdlib.h>
#include <string.h>

#include "base/err.h"

static const dmsc_strategy_t *const all[] = {
    &dmsc_strategy_best_route,
    &dmsc_strategy_multicast,
    &dmsc_strategy_load_balance,
};

static const char *const prefix_comps[] = {"localhost", "nfd", "strategy"};

static bool comp_is(const dmsc_comp_t *c, const char *s)
{
    size_t n = strlen(s);
    return c->type == DMSC_TT_GENERIC && c->len == n && memcmp(c->value, s, n) == 0;
}

const dmsc_strategy_t *dmsc_strategy_by_name(const dmsc_name_t *sname)
{
    if (sname->ncomps != 4 && sname->ncomps != 5) return NULL;
    for (size_t i = 0; i < 3; i++) {
        dmsc_comp_t c = dmsc_name_comp(sname, i);
        if (!comp_is(&c, prefix_comps[i])) return NULL;
    }
    dmsc_comp_t c = dmsc_name_comp(sname, 3);
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (!comp_is(&c, all[i]->name)) continue;
        if (sname->ncomps == 5) {
            dmsc_comp_t v = dmsc_name_comp(sname, 4);
            uint64_t ver;
            if (v.type != DMSC_TT_VERSION || dmsc_nni_decode(v.value, v.len, &ver) != 0 ||
                ver != all[i]->version)
                return NULL;
        }
        return all[i];
    }
    return NULL;
}

int dmsc_strategy_instance_name(const dmsc_strategy_t *s, dmsc_namebuf_t *out)
{
    dmsc_namebuf_init(out);
    int rc = 0;
    for (size_t i = 0; i < 3 && !rc; i++)
        rc = dmsc_namebuf_append(out, DMSC_TT_GENERIC, prefix_comps[i], strlen(prefix_comps[i]));
    if (!rc) rc = dmsc_namebuf_append(out, DMSC_TT_GENERIC, s->name, strlen(s->name));
    if (!rc) rc = dmsc_namebuf_append_nni(out, DMSC_TT_VERSION, s->version);
    return rc;
}

/* ---- choice table ---- */

static inline dmsc_sc_entry_t *of_node(dmsc_ntnode_t *n)
{
    return n ? (dmsc_sc_entry_t *)((uint8_t *)n - offsetof(dmsc_sc_entry_t, node)) : NULL;
}

static dmsc_sc_entry_t *entry_new(const dmsc_name_t *prefix, const dmsc_strategy_t *s)
{
    dmsc_sc_entry_t *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    e->key = malloc(prefix->len ? prefix->len : 1);
    if (!e->key) {
        free(e);
        return NULL;
    }
    if (prefix->len) memcpy(e->key, prefix->value, prefix->len);
    dmsc_ntnode_set(&e->node, dmsc_name_hash(prefix, prefix->ncomps), e->key, prefix->len,
                    prefix->ncomps, 0);
    e->strategy = s;
    return e;
}

int dmsc_sc_init(dmsc_sc_t *sc, size_t max)
{
    memset(sc, 0, sizeof *sc);
    sc->max = max;
    int rc = dmsc_nametab_init(&sc->nt, 16);
    if (rc) return rc;
    dmsc_name_t root;
    dmsc_name_init(&root);
    sc->root = entry_new(&root, &dmsc_strategy_best_route);
    if (!sc->root) {
        dmsc_nametab_destroy(&sc->nt);
        return DMSC_ENOMEM;
    }
    dmsc_nametab_insert(&sc->nt, &sc->root->node);
    return 0;
}

static int free_cb(void *arg, dmsc_ntnode_t *n)
{
    dmsc_sc_entry_t *e = of_node(n);
    dmsc_nametab_remove(arg, n);
    free(e->key);
    free(e);
    return 0;
}

void dmsc_sc_destroy(dmsc_sc_t *sc)
{
    dmsc_nametab_foreach(&sc->nt, free_cb, &sc->nt);
    dmsc_nametab_destroy(&sc->nt);
    sc->root = NULL;
}

static dmsc_sc_entry_t *exact(const dmsc_sc_t *sc, const dmsc_name_t *prefix)
{
    return of_node(dmsc_nametab_find(&sc->nt, dmsc_name_hash(prefix, prefix->ncomps), prefix->value,
                                     prefix->len, 0));
}

int dmsc_sc_set(dmsc_sc_t *sc, const dmsc_name_t *prefix, const dmsc_strategy_t *s)
{
    dmsc_sc_entry_t *e = exact(sc, prefix);
    if (e) {
        e->strategy = s;
        return 0;
    }
    if (sc->nt.count >= sc->max) return DMSC_ENOMEM;
    e = entry_new(prefix, s);
    if (!e) return DMSC_ENOMEM;
    dmsc_nametab_insert(&sc->nt, &e->node);
    return 0;
}

int dmsc_sc_unset(dmsc_sc_t *sc, const dmsc_name_t *prefix)
{
    if (prefix->ncomps == 0) return DMSC_EINVAL;
    dmsc_sc_entry_t *e = exact(sc, prefix);
    if (e) free_cb(&sc->nt, &e->node);
    return 0;
}

const dmsc_strategy_t *dmsc_sc_find(const dmsc_sc_t *sc, const dmsc_name_t *name)
{
    /* the common case: only the root has a choice, no hashing */
    if (sc->nt.max_depth <= 0) return sc->root->strategy;
    return of_node(dmsc_nametab_lpm(&sc->nt, name, 0))->strategy;
}

typedef struct {
    dmsc_fw_strategy_cb cb;
    void *arg;
} visit_t;

static int visit_cb(void *arg, dmsc_ntnode_t *n)
{
    visit_t *v = arg;
    dmsc_sc_entry_t *e = of_node(n);
    dmsc_name_t prefix;
    dmsc_namebuf_t sname;
    if (dmsc_name_from_value(&prefix, e->key, n->klen) != 0) return 0;
    if (dmsc_strategy_instance_name(e->strategy, &sname) != 0) return 0;
    return v->cb(v->arg, &prefix, &sname.name);
}

void dmsc_sc_foreach(const dmsc_sc_t *sc, dmsc_fw_strategy_cb cb, void *arg)
{
    visit_t v = {cb, arg};
    dmsc_nametab_foreach(&sc->nt, visit_cb, &v);
}

/* ---- helpers ---- */

bool dmsc_retx_suppress(dmsc_retx_t *r, uint64_t now)
{
    if (r->interval == 0) {
        dmsc_retx_start(r, now);
        return false;
    }
    if (now < r->last_fwd + r->interval) return true;
    r->last_fwd = now;
    r->interval = r->interval * 2 > DMSC_RETX_MAX_NS ? DMSC_RETX_MAX_NS : r->interval * 2;
    return false;
}

static int severity(uint64_t r)
{
    switch (dmsc_lp_nack_reason_known(r)) {
    case DMSC_LP_NACK_CONGESTION:
        return 0;
    case DMSC_LP_NACK_DUPLICATE:
        return 1;
    case DMSC_LP_NACK_NO_ROUTE:
        return 2;
    default:
        return 3;
    }
}

bool dmsc_nack_less_severe(uint64_t a, uint64_t b)
{
    return severity(a) < severity(b);
}

bool dmsc_all_nacked(const dmsc_pit_entry_t *e, uint64_t *reason)
{
    if (e->n_out == 0) return false;
    uint64_t r = 0;
    for (uint16_t i = 0; i < e->n_out; i++) {
        if (!(e->out[i].flags & DMSC_OUT_NACKED)) return false;
        if (i == 0 || dmsc_nack_less_severe(e->out[i].nack_reason, r)) r = e->out[i].nack_reason;
    }
    *reason = r;
    return true;
}
