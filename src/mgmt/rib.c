#include "mgmt/rib.h"

#include <stdlib.h>
#include <string.h>

/* One prefix with its routes and the FIB nexthops the RIB installed for it.
 * Entries live in a vector sorted in canonical name order, so the
 * descendants of a name are the entries right after it. */
typedef struct {
    dmsc_name_t name; /* indexes bytes */
    uint8_t *bytes;
    dmsc_route_t *routes;
    size_t nroutes, rcap;
    dmsc_nexthop_t *inst; /* installed in the FIB by us */
    size_t ninst, icap;
} entry_t;

struct dmsc_rib {
    dmsc_fw_t *fw;
    entry_t **v;
    size_t n, cap;
    size_t max_entries, max_routes;
    uint64_t next_deadline; /* no route expires before this */
    dmsc_nexthop_t *tmp;    /* scratch: desired nexthops of one entry */
    size_t tcap;
    dmsc_rib_observer_cb obs; /* may be NULL */
    void *obs_arg;
};

/* ---- small vectors ---- */

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return 0;
    size_t ncap = *cap ? *cap * 2 : 4;
    while (ncap < need)
        ncap *= 2;
    void *q = realloc(*p, ncap * elem);
    if (!q) return DMSC_ENOMEM;
    *p = q;
    *cap = ncap;
    return 0;
}

static bool has_capture(const entry_t *e)
{
    for (size_t i = 0; i < e->nroutes; i++)
        if (e->routes[i].flags & DMSC_ROUTE_CAPTURE) return true;
    return false;
}

/* Index of the entry for name, or where it would go (*found = false). */
static size_t find(const dmsc_rib_t *rib, const dmsc_name_t *name, bool *found)
{
    size_t lo = 0, hi = rib->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = dmsc_name_compare(&rib->v[mid]->name, name);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

static entry_t *entry_new(const dmsc_name_t *name)
{
    entry_t *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    e->bytes = malloc(name->len ? name->len : 1);
    if (!e->bytes) {
        free(e);
        return NULL;
    }
    if (name->len) memcpy(e->bytes, name->value, name->len);
    if (dmsc_name_from_value(&e->name, e->bytes, name->len) < 0) { /* cannot happen: valid input */
        free(e->bytes);
        free(e);
        return NULL;
    }
    return e;
}

static void entry_free(entry_t *e)
{
    free(e->bytes);
    free(e->routes);
    free(e->inst);
    free(e);
}

/* ---- FIB computation ---- */

/* Add (face, cost) to tmp[from .. *n): keep the lower cost if the face is
 * there; skip it if it is in tmp[0 .. from) (own routes or a nearer
 * ancestor already gave the face). */
static int desired_put(dmsc_rib_t *rib, size_t *n, size_t from, dmsc_faceid_t face, uint64_t cost)
{
    for (size_t i = 0; i < *n; i++) {
        if (rib->tmp[i].face != face) continue;
        if (i >= from && cost < rib->tmp[i].cost) rib->tmp[i].cost = cost;
        return 0;
    }
    if (grow((void **)&rib->tmp, &rib->tcap, *n + 1, sizeof *rib->tmp) < 0) return DMSC_ENOMEM;
    rib->tmp[*n].face = face;
    rib->tmp[*n].cost = cost;
    (*n)++;
    return 0;
}

/* Desired nexthops of entry v[idx] into rib->tmp; returns their number or
 * DMSC_ENOMEM. */
static int desired(dmsc_rib_t *rib, size_t idx)
{
    const entry_t *e = rib->v[idx];
    size_t n = 0;
    for (size_t i = 0; i < e->nroutes; i++)
        if (desired_put(rib, &n, 0, e->routes[i].face, e->routes[i].cost) < 0) return DMSC_ENOMEM;
    if (has_capture(e)) return (int)n;
    for (size_t k = e->name.ncomps; k-- > 0;) {
        dmsc_name_t pfx;
        bool found;
        dmsc_name_get_prefix(&e->name, k, &pfx);
        size_t j = find(rib, &pfx, &found);
        if (!found) continue;
        const entry_t *a = rib->v[j];
        size_t from = n;
        for (size_t i = 0; i < a->nroutes; i++) {
            if (!(a->routes[i].flags & DMSC_ROUTE_CHILD_INHERIT)) continue;
            if (desired_put(rib, &n, from, a->routes[i].face, a->routes[i].cost) < 0)
                return DMSC_ENOMEM;
        }
        if (has_capture(a)) break;
    }
    return (int)n;
}

static void inst_remove_at(entry_t *e, size_t j)
{
    e->inst[j] = e->inst[--e->ninst];
}

/* Make the FIB nexthops of e equal to want[0 .. n). Returns the
 * dmsc_fw_fib_add() error for face `watch` (0 if none or if it succeeded);
 * nexthops the forwarder refuses are simply not installed. */
static int apply(dmsc_rib_t *rib, entry_t *e, const dmsc_nexthop_t *want, size_t n,
                 dmsc_faceid_t watch)
{
    int watch_rc = 0;
    /* remove what is no longer wanted */
    for (size_t j = 0; j < e->ninst;) {
        bool keep = false;
        for (size_t i = 0; i < n && !keep; i++)
            keep = want[i].face == e->inst[j].face;
        if (keep) {
            j++;
            continue;
        }
        dmsc_fw_fib_remove(rib->fw, &e->name, e->inst[j].face);
        inst_remove_at(e, j);
    }
    /* add new nexthops and changed costs */
    for (size_t i = 0; i < n; i++) {
        size_t j = 0;
        while (j < e->ninst && e->inst[j].face != want[i].face)
            j++;
        if (j < e->ninst && e->inst[j].cost == want[i].cost) continue;
        int rc = dmsc_fw_fib_add(rib->fw, &e->name, want[i].face, want[i].cost);
        if (rc < 0) {
            if (want[i].face == watch) watch_rc = rc;
            if (j < e->ninst) { /* the forwarder lost it (face gone): forget it */
                dmsc_fw_fib_remove(rib->fw, &e->name, want[i].face);
                inst_remove_at(e, j);
            }
            continue;
        }
        if (j == e->ninst) {
            if (grow((void **)&e->inst, &e->icap, e->ninst + 1, sizeof *e->inst) < 0) {
                /* cannot remember it: take it back out so FIB and RIB agree */
                dmsc_fw_fib_remove(rib->fw, &e->name, want[i].face);
                if (want[i].face == watch) watch_rc = DMSC_ENOMEM;
                continue;
            }
            e->ninst++;
        }
        e->inst[j] = want[i];
    }
    return watch_rc;
}

static int recompute(dmsc_rib_t *rib, size_t idx, dmsc_faceid_t watch)
{
    int n = desired(rib, idx);
    if (n < 0) return n; /* out of memory: leave the FIB as it is */
    return apply(rib, rib->v[idx], rib->tmp, (size_t)n, watch);
}

/* Recompute every entry strictly below `name`, starting the scan at
 * index `from` (descendants are contiguous there). */
static void recompute_below(dmsc_rib_t *rib, const dmsc_name_t *name, size_t from)
{
    for (size_t j = from; j < rib->n; j++) {
        if (!dmsc_name_is_prefix(name, &rib->v[j]->name)) break;
        if (rib->v[j]->name.ncomps == name->ncomps) continue; /* the entry itself */
        recompute(rib, j, 0);
    }
}

/* Uninstall and delete v[idx]. */
static void entry_delete(dmsc_rib_t *rib, size_t idx)
{
    entry_t *e = rib->v[idx];
    apply(rib, e, NULL, 0, 0);
    entry_free(e);
    memmove(&rib->v[idx], &rib->v[idx + 1], (rib->n - idx - 1) * sizeof rib->v[0]);
    rib->n--;
}

/* After routes were removed anywhere: delete empty entries, recompute all. */
static void rebuild(dmsc_rib_t *rib)
{
    for (size_t j = 0; j < rib->n;) {
        if (rib->v[j]->nroutes == 0)
            entry_delete(rib, j);
        else
            j++;
    }
    for (size_t j = 0; j < rib->n; j++)
        recompute(rib, j, 0);
}

/* ---- API ---- */

static void on_face_close(void *arg, dmsc_faceid_t id)
{
    dmsc_rib_remove_face(arg, id);
}

dmsc_rib_t *dmsc_rib_new(dmsc_fw_t *fw, dmsc_facetable_t *ft)
{
    dmsc_rib_t *rib = calloc(1, sizeof *rib);
    if (!rib) return NULL;
    rib->fw = fw;
    rib->max_entries = DMSC_RIB_DEFAULT_MAX_ENTRIES;
    rib->max_routes = DMSC_RIB_DEFAULT_MAX_ROUTES;
    rib->next_deadline = DMSC_RIB_NEVER;
    if (ft) dmsc_facetable_on_close(ft, on_face_close, rib);
    return rib;
}

void dmsc_rib_free(dmsc_rib_t *rib)
{
    if (!rib) return;
    for (size_t j = 0; j < rib->n; j++)
        entry_free(rib->v[j]);
    free(rib->v);
    free(rib->tmp);
    free(rib);
}

void dmsc_rib_set_observer(dmsc_rib_t *rib, dmsc_rib_observer_cb cb, void *arg)
{
    rib->obs = cb;
    rib->obs_arg = arg;
}

void dmsc_rib_set_limits(dmsc_rib_t *rib, size_t max_entries, size_t max_routes)
{
    rib->max_entries = max_entries;
    rib->max_routes = max_routes;
}

static size_t route_index(const entry_t *e, dmsc_faceid_t face, uint64_t origin)
{
    size_t i = 0;
    while (i < e->nroutes && !(e->routes[i].face == face && e->routes[i].origin == origin))
        i++;
    return i;
}

int dmsc_rib_add(dmsc_rib_t *rib, const dmsc_name_t *prefix, const dmsc_route_t *route)
{
    bool found;
    if (route->face == DMSC_FACEID_INVALID) return DMSC_EINVAL;
    size_t idx = find(rib, prefix, &found);
    entry_t *e;
    if (found) {
        e = rib->v[idx];
    } else {
        if (rib->n >= rib->max_entries) return DMSC_ENOMEM;
        if (grow((void **)&rib->v, &rib->cap, rib->n + 1, sizeof rib->v[0]) < 0) return DMSC_ENOMEM;
        if (!(e = entry_new(prefix))) return DMSC_ENOMEM;
        memmove(&rib->v[idx + 1], &rib->v[idx], (rib->n - idx) * sizeof rib->v[0]);
        rib->v[idx] = e;
        rib->n++;
    }

    size_t ri = route_index(e, route->face, route->origin);
    bool existed = ri < e->nroutes;
    dmsc_route_t old;
    if (existed) {
        old = e->routes[ri];
    } else if (e->nroutes >= rib->max_routes ||
               grow((void **)&e->routes, &e->rcap, e->nroutes + 1, sizeof *e->routes) < 0) {
        if (!found) entry_delete(rib, idx);
        return DMSC_ENOMEM;
    } else {
        e->nroutes++;
    }
    e->routes[ri] = *route;

    int rc = recompute(rib, idx, route->face);
    if (rc < 0) { /* the forwarder refused the face: undo */
        if (existed)
            e->routes[ri] = old;
        else
            e->routes[ri] = e->routes[--e->nroutes];
        if (e->nroutes == 0) {
            entry_delete(rib, idx);
            return rc == DMSC_ENOMEM ? DMSC_ENOMEM : DMSC_EINVAL;
        }
        recompute(rib, idx, 0);
        return rc == DMSC_ENOMEM ? DMSC_ENOMEM : DMSC_EINVAL;
    }
    recompute_below(rib, &e->name, idx + 1);
    if (route->expires < rib->next_deadline) rib->next_deadline = route->expires;
    if (rib->obs) rib->obs(rib->obs_arg, &e->name, route, true);
    return 0;
}

int dmsc_rib_remove(dmsc_rib_t *rib, const dmsc_name_t *prefix, dmsc_faceid_t face, uint64_t origin)
{
    bool found;
    size_t idx = find(rib, prefix, &found);
    if (!found) return 1;
    entry_t *e = rib->v[idx];
    size_t ri = route_index(e, face, origin);
    if (ri == e->nroutes) return 1;
    if (rib->obs) rib->obs(rib->obs_arg, &e->name, &e->routes[ri], false);
    memmove(&e->routes[ri], &e->routes[ri + 1], (e->nroutes - ri - 1) * sizeof *e->routes);
    e->nroutes--;
    if (e->nroutes == 0) {
        /* keep a view of the name: e's bytes die with e */
        dmsc_namebuf_t nb;
        dmsc_namebuf_copy(&nb, &e->name);
        entry_delete(rib, idx);
        recompute_below(rib, &nb.name, idx);
    } else {
        recompute(rib, idx, 0);
        recompute_below(rib, &e->name, idx + 1);
    }
    return 0;
}

typedef bool (*route_pred)(const dmsc_route_t *r, uint64_t arg);

static size_t remove_where(dmsc_rib_t *rib, route_pred pred, uint64_t arg)
{
    size_t removed = 0;
    for (size_t j = 0; j < rib->n; j++) {
        entry_t *e = rib->v[j];
        size_t k = 0;
        for (size_t i = 0; i < e->nroutes; i++) {
            if (pred(&e->routes[i], arg)) {
                removed++;
                if (rib->obs) rib->obs(rib->obs_arg, &e->name, &e->routes[i], false);
            } else
                e->routes[k++] = e->routes[i];
        }
        e->nroutes = k;
    }
    if (removed) rebuild(rib);
    return removed;
}

static bool pred_face(const dmsc_route_t *r, uint64_t face)
{
    return r->face == face;
}

static bool pred_origin(const dmsc_route_t *r, uint64_t origin)
{
    return r->origin == origin;
}

static bool pred_expired(const dmsc_route_t *r, uint64_t now)
{
    return r->expires <= now;
}

size_t dmsc_rib_remove_face(dmsc_rib_t *rib, dmsc_faceid_t face)
{
    return remove_where(rib, pred_face, face);
}

size_t dmsc_rib_remove_origin(dmsc_rib_t *rib, uint64_t origin)
{
    return remove_where(rib, pred_origin, origin);
}

uint64_t dmsc_rib_run_timers(dmsc_rib_t *rib, uint64_t now)
{
    if (now < rib->next_deadline) return rib->next_deadline;
    remove_where(rib, pred_expired, now);
    uint64_t next = DMSC_RIB_NEVER;
    for (size_t j = 0; j < rib->n; j++)
        for (size_t i = 0; i < rib->v[j]->nroutes; i++)
            if (rib->v[j]->routes[i].expires < next) next = rib->v[j]->routes[i].expires;
    rib->next_deadline = next;
    return next;
}

size_t dmsc_rib_size(const dmsc_rib_t *rib)
{
    return rib->n;
}

void dmsc_rib_foreach(const dmsc_rib_t *rib, dmsc_rib_cb cb, void *arg)
{
    for (size_t j = 0; j < rib->n; j++)
        if (cb(arg, &rib->v[j]->name, rib->v[j]->routes, rib->v[j]->nroutes)) return;
}

size_t dmsc_rib_find(const dmsc_rib_t *rib, const dmsc_name_t *prefix, const dmsc_route_t **routes)
{
    bool found;
    size_t idx = find(rib, prefix, &found);
    if (!found) {
        *routes = NULL;
        return 0;
    }
    *routes = rib->v[idx]->routes;
    return rib->v[idx]->nroutes;
}
