/*
 * The routing module of dmscd: runs the sans-I/O routing core (route/router.h,
 * docs/routing.md section 11) on the daemon's loop. It owns
 *  - the node identity (key and sequence number in the state directory),
 *  - an app face registered for /localhop/dmsc/route that carries the
 *    protocol's Interests and Data,
 *  - the faces to the configured neighbors (permanent UDP/TCP faces,
 *    re-created every second while they are down); a face closing (TCP)
 *    or reported unreachable (UDP: ICMP, dmsc_facetable_on_error) takes
 *    its neighbor down at once,
 *  - the routes the core computes (RIB origin NLSR, CHILD_INHERIT),
 *  - the advertisement of the node name and of every prefix an application
 *    registers on a local face (RIB observer; /localhost and /localhop are
 *    never advertised),
 *  - GET /routing and the dmsc_routing_* metric families of the admin API.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sodium.h>

#include "base/err.h"
#include "base/log.h"
#include "daemon/daemon.h"
#include "mgmt/admin.h"
#include "route/identity.h"
#include "route/router.h"

#define LOGM "routing"
#define RETRY_MS 1000
#define URI_MAX 4096
#define DISCOVERED_MAX 64

typedef struct {
    struct dmsc_routing *r;
    char uri[DMSC_FACE_URI_MAX];
    dmsc_faceid_t face; /* 0 while down or being created */
    bool creating;
} nbr_t;

/* A prefix change seen by the RIB observer, applied on the next loop turn
 * (the observer runs inside RIB operations and must not re-enter them). */
typedef struct pending {
    struct pending *next;
    dmsc_faceid_t owner;
    bool add;
    dmsc_namebuf_t name;
} pending_t;

struct dmsc_routing {
    uv_loop_t *loop;
    dmsc_facetable_t *ft;
    dmsc_rib_t *rib;
    dmsc_admin_t *admin;
    dmsc_router_t *rt;
    dmsc_key_t *key;
    dmsc_namebuf_t name;
    char state_dir[PATH_MAX];
    dmsc_faceid_t face; /* our app face */
    nbr_t *nbrs;
    size_t n_nbrs, cap_nbrs; /* configured first, then discovered */
    size_t n_discovered;
    dmsc_discovery_t *disc; /* routing.discovery, NULL when off */
    pending_t *pending, **pending_tail;
    uv_timer_t timer; /* router deadline */
    uv_timer_t retry; /* neighbor face re-creation */
    uv_timer_t defer; /* pending prefix changes */
    uint64_t armed;
    bool stopping;
    uint64_t seq_save_errors;
};

static void arm(dmsc_routing_t *r);

/* ---- state directory ---- */

static int mkdir_p(const char *path)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp) return -1;
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(tmp, 0700) && errno != EEXIST) return -1;
        *p = '/';
    }
    if (mkdir(tmp, 0700) && errno != EEXIST) return -1;
    return 0;
}

/* routing.state_dir "auto": next to an explicitly configured Unix socket
 * (<socket>.state, one per daemon instance), else $XDG_STATE_HOME/dmsc,
 * ~/.local/state/dmsc, or <socket dir>/state. */
static int resolve_state_dir(const dmsc_config_t *c, char *out, size_t cap)
{
    int k;
    const char *x, *h;
    if (c->routing.state_dir[0])
        k = snprintf(out, cap, "%s", c->routing.state_dir);
    else if (c->unix_sock.enabled && !c->unix_sock.path_auto && c->unix_sock.path[0])
        k = snprintf(out, cap, "%s.state", c->unix_sock.path);
    else if ((x = getenv("XDG_STATE_HOME")) && x[0] == '/')
        k = snprintf(out, cap, "%s/dmsc", x);
    else if ((h = getenv("HOME")) && h[0] == '/')
        k = snprintf(out, cap, "%s/.local/state/dmsc", h);
    else if (c->unix_sock.path[0]) {
        k = snprintf(out, cap, "%s", c->unix_sock.path);
        char *sl = strrchr(out, '/');
        if (sl && k >= 0 && (size_t)k < cap) {
            *sl = 0;
            k = snprintf(sl, cap - (size_t)(sl - out), "/state") + (int)(sl - out);
        }
    } else
        return DMSC_EINVAL;
    if (k < 0 || (size_t)k >= cap) return DMSC_EINVAL;
    /* parents; identity_load creates the last level with mode 0700 */
    char *sl = strrchr(out, '/');
    if (sl && sl != out) {
        *sl = 0;
        int rc = mkdir_p(out);
        *sl = '/';
        if (rc) return DMSC_EIO;
    }
    return 0;
}

/* ---- router I/O ---- */

static int io_send(void *ctx, dmsc_faceid_t face, const dmsc_pkt_t *pkt)
{
    dmsc_routing_t *r = ctx;
    (void)face; /* Interests carry NextHopFaceId = face; Data the PitToken */
    if (r->stopping) return DMSC_EINVAL;
    return dmsc_facetable_app_send(r->ft, r->face, pkt);
}

static int io_route_add(void *ctx, const dmsc_name_t *prefix, dmsc_faceid_t face, uint64_t cost)
{
    dmsc_routing_t *r = ctx;
    dmsc_route_t rt = {.face = face,
                       .origin = DMSC_ROUTE_ORIGIN_NLSR,
                       .cost = cost,
                       .flags = DMSC_ROUTE_CHILD_INHERIT,
                       .expires = DMSC_RIB_NEVER};
    return dmsc_rib_add(r->rib, prefix, &rt);
}

static void io_route_remove(void *ctx, const dmsc_name_t *prefix, dmsc_faceid_t face)
{
    dmsc_routing_t *r = ctx;
    dmsc_rib_remove(r->rib, prefix, face, DMSC_ROUTE_ORIGIN_NLSR);
}

static void io_event(void *ctx, const dmsc_router_event_t *ev)
{
    dmsc_routing_t *r = ctx;
    char uri[URI_MAX] = "-";
    if (ev->name && dmsc_name_to_uri(ev->name, DMSC_URI_CANONICAL, uri, sizeof uri) < 0)
        strcpy(uri, "?");
    switch (ev->type) {
    case DMSC_ROUTER_EV_NBR_UP:
        DMSC_LOGI(LOGM, "event=neighbor-up face=%llu node=%s", (unsigned long long)ev->face, uri);
        break;
    case DMSC_ROUTER_EV_NBR_FULL:
        DMSC_LOGI(LOGM, "event=neighbor-full face=%llu node=%s", (unsigned long long)ev->face, uri);
        break;
    case DMSC_ROUTER_EV_NBR_DOWN: {
        static const char *const why[] = {"?", "hello", "face", "renamed", "unreachable"};
        DMSC_LOGI(LOGM, "event=neighbor-down face=%llu node=%s reason=%s",
                  (unsigned long long)ev->face, uri,
                  ev->reason >= 0 && ev->reason <= DMSC_NBR_DOWN_UNREACHABLE ? why[ev->reason]
                                                                             : "?");
        break;
    }
    case DMSC_ROUTER_EV_COST:
        DMSC_LOGD(LOGM, "event=cost face=%llu node=%s cost=%llu old=%llu",
                  (unsigned long long)ev->face, uri, (unsigned long long)ev->cost,
                  (unsigned long long)ev->old_cost);
        break;
    case DMSC_ROUTER_EV_LSA_REJECT:
        DMSC_LOGD(LOGM, "event=lsa-reject face=%llu origin=%s reason=%s",
                  (unsigned long long)ev->face, uri, dmsc_errname(ev->reason));
        break;
    case DMSC_ROUTER_EV_SEQ_RESERVE: {
        int rc = dmsc_identity_seq_save(r->state_dir, ev->seq);
        if (rc) {
            r->seq_save_errors++;
            DMSC_LOGW(LOGM, "event=seq-save dir=%s result=%s", r->state_dir, dmsc_errname(rc));
        }
        break;
    }
    case DMSC_ROUTER_EV_ORIGINATE:
        DMSC_LOGD(LOGM, "event=originate seq=%llu", (unsigned long long)ev->seq);
        break;
    default:
        break;
    }
}

/* ---- timers ---- */

static void on_timer(uv_timer_t *t)
{
    dmsc_routing_t *r = t->data;
    r->armed = UINT64_MAX;
    if (r->stopping) return;
    dmsc_router_run_timers(r->rt, uv_hrtime());
    arm(r);
}

/* Arm the timer at the router's next deadline (after every call into it). */
static void arm(dmsc_routing_t *r)
{
    if (r->stopping) return;
    uint64_t next = dmsc_router_next_deadline(r->rt);
    if (next == r->armed) return;
    r->armed = next;
    if (next == UINT64_MAX) {
        uv_timer_stop(&r->timer);
        return;
    }
    uint64_t now = uv_hrtime();
    uint64_t delay_ms = next > now ? (next - now + 999999) / 1000000 : 0;
    uv_timer_start(&r->timer, on_timer, delay_ms, 0);
}

/* ---- the app face ---- */

static void on_packet(void *arg, dmsc_faceid_t id, const dmsc_pkt_t *pkt)
{
    dmsc_routing_t *r = arg;
    (void)id;
    if (r->stopping || !pkt->incoming_face) return;
    int rc = dmsc_router_receive(r->rt, (dmsc_faceid_t)pkt->incoming_face, pkt, uv_hrtime());
    if (rc)
        DMSC_LOGD(LOGM, "event=rx-drop face=%llu result=%s", (unsigned long long)pkt->incoming_face,
                  dmsc_errname(rc));
    arm(r);
}

/* ---- neighbor faces ---- */

static void on_face_created(void *arg, int status, dmsc_faceid_t id);

static void create_neighbor(dmsc_routing_t *r, nbr_t *n)
{
    if (n->face || n->creating || r->stopping) return;
    n->creating = true;
    int rc = dmsc_facetable_create(r->ft, n->uri, DMSC_FACE_PERMANENT, 0, on_face_created, n);
    if (rc) {
        n->creating = false;
        DMSC_LOGW(LOGM, "event=neighbor-face uri=%s result=%s", n->uri, dmsc_errname(rc));
    }
}

static void on_face_created(void *arg, int status, dmsc_faceid_t id)
{
    nbr_t *n = arg;
    dmsc_routing_t *r = n->r;
    n->creating = false;
    if (r->stopping) return;
    if (status) {
        DMSC_LOGD(LOGM, "event=neighbor-face uri=%s result=%s", n->uri, dmsc_errname(status));
        return; /* the retry timer tries again */
    }
    n->face = id;
    int rc = dmsc_router_face_add(r->rt, id, 0, uv_hrtime());
    if (rc && rc != DMSC_EINVAL) /* EINVAL: already added (adopted) */
        DMSC_LOGW(LOGM, "event=neighbor-add face=%llu result=%s", (unsigned long long)id,
                  dmsc_errname(rc));
    DMSC_LOGI(LOGM, "event=neighbor-face uri=%s face=%llu", n->uri, (unsigned long long)id);
    arm(r);
}

static int on_discovered(void *arg, const char *uri)
{
    return dmsc_routing_add_neighbor(arg, uri);
}

int dmsc_routing_add_neighbor(dmsc_routing_t *r, const char *uri)
{
    if (r->stopping) return DMSC_EINVAL;
    for (size_t i = 0; i < r->n_nbrs; i++)
        if (!strcmp(r->nbrs[i].uri, uri)) return 1;
    if (r->n_nbrs >= r->cap_nbrs || r->n_discovered >= DISCOVERED_MAX) return DMSC_ENOBUFS;
    if (strlen(uri) >= DMSC_FACE_URI_MAX) return DMSC_EINVAL;
    nbr_t *n = &r->nbrs[r->n_nbrs++];
    r->n_discovered++;
    memset(n, 0, sizeof *n);
    n->r = r;
    snprintf(n->uri, sizeof n->uri, "%s", uri);
    create_neighbor(r, n);
    return 0;
}

static void on_retry(uv_timer_t *t)
{
    dmsc_routing_t *r = t->data;
    for (size_t i = 0; i < r->n_nbrs; i++)
        create_neighbor(r, &r->nbrs[i]);
}

/* ---- prefixes ---- */

static bool advertisable(const dmsc_name_t *prefix)
{
    if (prefix->ncomps == 0) return false;
    dmsc_namebuf_t *lh = malloc(2 * sizeof *lh);
    if (!lh) return false;
    dmsc_namebuf_from_uri(&lh[0], "/localhost");
    dmsc_namebuf_from_uri(&lh[1], "/localhop");
    bool ok =
        !dmsc_name_is_prefix(&lh[0].name, prefix) && !dmsc_name_is_prefix(&lh[1].name, prefix);
    free(lh);
    return ok;
}

static void on_defer(uv_timer_t *t)
{
    dmsc_routing_t *r = t->data;
    uint64_t now = uv_hrtime();
    while (r->pending) {
        pending_t *p = r->pending;
        r->pending = p->next;
        if (!r->stopping) {
            char uri[URI_MAX];
            if (dmsc_name_to_uri(&p->name.name, DMSC_URI_CANONICAL, uri, sizeof uri) < 0)
                strcpy(uri, "?");
            if (p->add) {
                int rc = dmsc_router_prefix_add(r->rt, &p->name.name, p->owner, NULL, now);
                DMSC_LOGI(LOGM, "event=advertise prefix=%s owner=%llu result=%s", uri,
                          (unsigned long long)p->owner, rc ? dmsc_errname(rc) : "ok");
            } else if (dmsc_router_prefix_remove(r->rt, &p->name.name, p->owner, now) == 0) {
                DMSC_LOGI(LOGM, "event=withdraw prefix=%s owner=%llu", uri,
                          (unsigned long long)p->owner);
            }
        }
        free(p);
    }
    r->pending_tail = &r->pending;
    arm(r);
}

static void on_rib_change(void *arg, const dmsc_name_t *prefix, const dmsc_route_t *route,
                          bool added)
{
    dmsc_routing_t *r = arg;
    if (r->stopping || route->face == r->face) return;
    if (route->origin != DMSC_ROUTE_ORIGIN_APP && route->origin != DMSC_ROUTE_ORIGIN_CLIENT) return;
    if (!advertisable(prefix)) return;
    if (added) {
        dmsc_face_info_t fi;
        if (dmsc_facetable_get(r->ft, route->face, &fi) || fi.scope != DMSC_SCOPE_LOCAL) return;
    }
    pending_t *p = malloc(sizeof *p);
    if (!p) return;
    p->next = NULL;
    p->owner = route->face;
    p->add = added;
    dmsc_namebuf_copy(&p->name, prefix);
    *r->pending_tail = p;
    r->pending_tail = &p->next;
    uv_timer_start(&r->defer, on_defer, 0, 0);
}

static void on_face_close(void *arg, dmsc_faceid_t id)
{
    dmsc_routing_t *r = arg;
    if (r->stopping) return;
    uint64_t now = uv_hrtime();
    dmsc_router_face_remove(r->rt, id, now);
    for (size_t i = 0; i < r->n_nbrs; i++)
        if (r->nbrs[i].face == id) {
            r->nbrs[i].face = 0;
            DMSC_LOGI(LOGM, "event=neighbor-face-closed uri=%s face=%llu", r->nbrs[i].uri,
                      (unsigned long long)id);
        }
    arm(r);
}

/* A face's endpoint was reported unreachable (ICMP): the router confirms
 * with a hello and takes the neighbor down on the second report. */
static void on_face_error(void *arg, dmsc_faceid_t id, int err)
{
    dmsc_routing_t *r = arg;
    if (r->stopping) return;
    if (dmsc_router_face_unreachable(r->rt, id, uv_hrtime()) == 0)
        DMSC_LOGD(LOGM, "event=neighbor-unreachable face=%llu errno=%d", (unsigned long long)id,
                  err);
    arm(r);
}

/* ---- admin API ---- */

static void hex64(uint64_t v, char out[17])
{
    snprintf(out, 17, "%016llx", (unsigned long long)v);
}

static json_t *name_json(const dmsc_name_t *n)
{
    char uri[URI_MAX];
    if (!n) return json_null();
    if (dmsc_name_to_uri(n, DMSC_URI_CANONICAL, uri, sizeof uri) < 0) return json_string("?");
    return json_string(uri);
}

static int nbr_json(void *arg, const dmsc_router_nbr_info_t *ni)
{
    json_t *a = arg;
    char dg[17];
    hex64(ni->digest, dg);
    json_array_append_new(
        a, json_pack("{s:I,s:s,s:o,s:I,s:I,s:I,s:I,s:I,s:o}", "face", (json_int_t)ni->face, "state",
                     dmsc_router_nbr_state_str(ni->state), "node", name_json(ni->name), "rtt_us",
                     (json_int_t)(ni->rtt / 1000), "cost", (json_int_t)ni->cost, "measured_cost",
                     (json_int_t)ni->measured_cost, "misses", (json_int_t)ni->misses, "pending",
                     (json_int_t)ni->pending, "digest",
                     ni->has_digest ? json_string(dg) : json_null()));
    return 0;
}

static int lsa_json(void *arg, const dmsc_router_lsa_info_t *li)
{
    json_t *a = arg;
    json_array_append_new(
        a, json_pack("{s:o,s:I,s:I,s:I,s:b,s:I,s:I}", "origin", name_json(li->origin), "seq",
                     (json_int_t)li->seq, "remaining_ms", (json_int_t)(li->remaining / 1000000),
                     "dist", li->dist == UINT64_MAX ? (json_int_t)-1 : (json_int_t)li->dist, "self",
                     li->self, "adjacencies", (json_int_t)li->n_adj, "prefixes",
                     (json_int_t)li->n_prefix));
    return 0;
}

static int route_json(void *arg, const dmsc_name_t *prefix, const dmsc_router_nh_info_t *nh,
                      size_t n)
{
    json_t *a = arg, *hops = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(hops,
                              json_pack("{s:I,s:I,s:o}", "face", (json_int_t)nh[i].face, "cost",
                                        (json_int_t)nh[i].cost, "origin", name_json(nh[i].origin)));
    json_array_append_new(a, json_pack("{s:o,s:o}", "prefix", name_json(prefix), "nexthops", hops));
    return 0;
}

static int view_routing(void *arg, const dmsc_admin_req_t *req, json_t **body)
{
    dmsc_routing_t *r = arg;
    (void)req;
    uint64_t now = uv_hrtime();
    dmsc_router_status_t st;
    dmsc_router_status(r->rt, &st);
    const dmsc_router_counters_t *c = dmsc_router_counters(r->rt);
    char dg[17], adg[17];
    hex64(st.digest, dg);
    hex64(st.applied_digest, adg);
    json_t *nb = json_array(), *ls = json_array(), *rs = json_array();
    dmsc_router_foreach_neighbor(r->rt, nbr_json, nb);
    dmsc_router_foreach_lsa(r->rt, now, lsa_json, ls);
    dmsc_router_foreach_route(r->rt, route_json, rs);
    json_t *status =
        json_pack("{s:s,s:I,s:I,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "digest", dg, "version",
                  (json_int_t)st.version, "last_changed_ms_ago",
                  (json_int_t)(now > st.last_changed ? (now - st.last_changed) / 1000000 : 0),
                  "applied_digest", adg, "lsas", (json_int_t)st.lsas, "lsdb_bytes",
                  (json_int_t)st.lsdb_bytes, "own_seq", (json_int_t)st.own_seq, "neighbors_full",
                  (json_int_t)st.neighbors_full, "neighbors_up", (json_int_t)st.neighbors_up,
                  "reachable", (json_int_t)st.reachable, "routes", (json_int_t)st.routes);
    json_t *ctr = json_pack(
        "{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "hello_tx",
        (json_int_t)c->hello_tx, "hello_rx", (json_int_t)c->hello_rx, "hello_miss",
        (json_int_t)c->hello_miss, "miss_excused", (json_int_t)c->miss_excused, "nbr_down",
        (json_int_t)c->nbr_down, "unreachable", (json_int_t)c->unreachable, "down_unreachable",
        (json_int_t)c->down_unreachable, "lsu_tx", (json_int_t)c->lsu_tx, "lsu_rx",
        (json_int_t)c->lsu_rx, "rxmt", (json_int_t)c->rxmt, "lsa_installed",
        (json_int_t)c->lsa_installed, "lsa_originated", (json_int_t)c->lsa_originated,
        "lsa_bad_sig", (json_int_t)c->lsa_bad_sig, "spf_runs", (json_int_t)c->spf_runs,
        "route_adds", (json_int_t)c->route_adds, "route_removes", (json_int_t)c->route_removes,
        "route_errors", (json_int_t)c->route_errors, "send_errors", (json_int_t)c->send_errors);
    *body = json_pack("{s:o,s:s,s:o,s:o,s:o,s:o,s:o}", "node", name_json(&r->name.name),
                      "state_dir", r->state_dir, "status", status, "neighbors", nb, "lsas", ls,
                      "routes", rs, "counters", ctr);
    if (*body && r->disc) { /* only with routing.discovery on */
        const dmsc_discovery_counters_t *d = dmsc_discovery_counters(r->disc);
        json_object_set_new(*body, "discovery",
                            json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "tx", (json_int_t)d->tx,
                                      "tx_errors", (json_int_t)d->tx_errors, "rx",
                                      (json_int_t)d->rx, "malformed", (json_int_t)d->malformed,
                                      "self", (json_int_t)d->self, "discovered",
                                      (json_int_t)d->discovered, "capped", (json_int_t)d->capped,
                                      "rate_limited", (json_int_t)d->rate_limited));
    }
    return *body ? 200 : 500;
}

static void metrics(void *arg, dmsc_metrics_t *m)
{
    dmsc_routing_t *r = arg;
    dmsc_router_status_t st;
    dmsc_router_status(r->rt, &st);
    const dmsc_router_counters_t *c = dmsc_router_counters(r->rt);
    char dg[17];
    hex64(st.digest, dg);
    dmsc_metric_label_t l[1];
    dmsc_metrics_family(m, "dmsc_routing_lsdb_info", "gauge", "LSDB digest (label), always 1");
    l[0] = (dmsc_metric_label_t){"digest", dg};
    dmsc_metrics_u64(m, l, 1, 1);
    dmsc_metrics_family(m, "dmsc_routing_lsdb_version", "gauge",
                        "LSDB version (bumped on every change)");
    dmsc_metrics_u64(m, NULL, 0, st.version);
    dmsc_metrics_family(m, "dmsc_routing_lsas", "gauge", "LSAs in the LSDB");
    dmsc_metrics_u64(m, NULL, 0, st.lsas);
    dmsc_metrics_family(m, "dmsc_routing_neighbors", "gauge", "Neighbors by state");
    l[0] = (dmsc_metric_label_t){"state", "full"};
    dmsc_metrics_u64(m, l, 1, st.neighbors_full);
    l[0] = (dmsc_metric_label_t){"state", "up"};
    dmsc_metrics_u64(m, l, 1, st.neighbors_up);
    dmsc_metrics_family(m, "dmsc_routing_reachable_nodes", "gauge", "Nodes reachable at last SPF");
    dmsc_metrics_u64(m, NULL, 0, st.reachable);
    dmsc_metrics_family(m, "dmsc_routing_routes", "gauge", "Prefixes with next hops installed");
    dmsc_metrics_u64(m, NULL, 0, st.routes);
    static const struct {
        const char *kind;
        size_t off;
    } ev[] = {
#define E(f) {#f, offsetof(dmsc_router_counters_t, f)}
        E(hello_tx),         E(hello_rx),       E(hello_miss),    E(lsu_tx),
        E(lsu_rx),           E(rxmt),           E(lsa_rx),        E(lsa_installed),
        E(lsa_dup),          E(lsa_old),        E(lsa_malformed), E(lsa_bad_sig),
        E(lsa_expired),      E(lsa_originated), E(spf_runs),      E(route_adds),
        E(route_removes),    E(route_errors),   E(send_errors),   E(nbr_up),
        E(nbr_down),         E(anti_entropy),   E(miss_excused),  E(unreachable),
        E(down_unreachable),
#undef E
    };
    dmsc_metrics_family(m, "dmsc_routing_events_total", "counter",
                        "Routing protocol events (docs/routing.md)");
    for (size_t i = 0; i < sizeof ev / sizeof ev[0]; i++) {
        l[0] = (dmsc_metric_label_t){"kind", ev[i].kind};
        dmsc_metrics_u64(m, l, 1, *(const uint64_t *)((const char *)c + ev[i].off));
    }
}

/* ---- life cycle ---- */

bool dmsc_routing_wanted(const dmsc_config_t *c)
{
    return c->routing.enabled == DMSC_ROUTING_ON ||
           (c->routing.enabled == DMSC_ROUTING_AUTO &&
            (c->routing.n_neighbors > 0 || c->routing.discovery.enabled));
}

int dmsc_routing_new(dmsc_routing_t **out, uv_loop_t *loop, dmsc_facetable_t *ft, dmsc_rib_t *rib,
                     const dmsc_config_t *c)
{
    int rc;
    dmsc_routing_t *r = calloc(1, sizeof *r);
    if (!r) return DMSC_ENOMEM;
    r->loop = loop;
    r->ft = ft;
    r->rib = rib;
    r->armed = UINT64_MAX;
    r->pending_tail = &r->pending;
    uv_timer_init(loop, &r->timer);
    uv_timer_init(loop, &r->retry);
    uv_timer_init(loop, &r->defer);
    r->timer.data = r->retry.data = r->defer.data = r;
    *out = r; /* from here on: stop + free undo everything */

    if ((rc = resolve_state_dir(c, r->state_dir, sizeof r->state_dir))) {
        DMSC_LOGE(LOGM, "event=start step=state-dir dir=%s result=%s", r->state_dir,
                  dmsc_errname(rc));
        return rc;
    }
    bool created = false;
    rc = dmsc_identity_load(r->state_dir, c->node_name, c->routing.domain, &r->key, &r->name,
                            &created);
    if (rc) {
        DMSC_LOGE(LOGM, "event=start step=identity dir=%s result=%s", r->state_dir,
                  dmsc_errname(rc));
        return rc;
    }
    dmsc_router_config_t rc_cfg;
    dmsc_router_config_default(&rc_cfg);
    rc_cfg.hello_interval = c->routing.hello_interval_ms * 1000000ull;
    rc_cfg.dead_misses = c->routing.dead_misses;
    rc_cfg.adopt_faces = c->routing.adopt;
    if ((rc = dmsc_identity_seq_load(r->state_dir, &rc_cfg.seq_start))) {
        DMSC_LOGW(LOGM, "event=start step=seq-load result=%s seq=0", dmsc_errname(rc));
        rc_cfg.seq_start = 0;
    }
    randombytes_buf(&rc_cfg.rng_seed, sizeof rc_cfg.rng_seed);
    dmsc_router_io_t io = {.ctx = r,
                           .send = io_send,
                           .route_add = io_route_add,
                           .route_remove = io_route_remove,
                           .event = io_event};
    if ((rc = dmsc_router_new(&r->rt, &r->name.name, r->key, &rc_cfg, &io, NULL))) {
        DMSC_LOGE(LOGM, "event=start step=router result=%s", dmsc_errname(rc));
        return rc;
    }

    /* the protocol's app face and its prefix */
    if ((rc = dmsc_facetable_app_new(ft, "route", 0, on_packet, r, &r->face))) return rc;
    dmsc_namebuf_t *nb = malloc(sizeof *nb);
    if (!nb) return DMSC_ENOMEM;
    dmsc_namebuf_from_uri(nb, "/localhop/dmsc/route");
    dmsc_route_t own = {.face = r->face,
                        .origin = DMSC_ROUTE_ORIGIN_APP,
                        .flags = DMSC_ROUTE_CHILD_INHERIT,
                        .expires = DMSC_RIB_NEVER};
    rc = dmsc_rib_add(rib, &nb->name, &own);
    free(nb);
    if (rc) return rc;

    dmsc_rib_remove_origin(rib, DMSC_ROUTE_ORIGIN_NLSR); /* stale routes */
    uint64_t now = uv_hrtime();
    if ((rc = dmsc_router_prefix_add(r->rt, &r->name.name, 0, NULL, now))) {
        DMSC_LOGE(LOGM, "event=start step=node-prefix result=%s", dmsc_errname(rc));
        return rc;
    }
    dmsc_facetable_on_close(ft, on_face_close, r);
    dmsc_facetable_on_error(ft, on_face_error, r);
    dmsc_rib_set_observer(rib, on_rib_change, r);
    /* dmscd starts routing before its listeners: no application has
     * registered yet (the ping responder's <node>/ping is covered by the
     * node name) */

    /* discovered neighbors are appended (the array never moves: the face
     * creation callbacks hold pointers into it) */
    r->cap_nbrs = c->routing.n_neighbors + (c->routing.discovery.enabled ? DISCOVERED_MAX : 0);
    if (r->cap_nbrs) {
        r->nbrs = calloc(r->cap_nbrs, sizeof *r->nbrs);
        if (!r->nbrs) return DMSC_ENOMEM;
        r->n_nbrs = c->routing.n_neighbors;
        for (size_t i = 0; i < r->n_nbrs; i++) {
            r->nbrs[i].r = r;
            snprintf(r->nbrs[i].uri, sizeof r->nbrs[i].uri, "%s", c->routing.neighbors[i]);
        }
    }
    if (c->routing.discovery.enabled &&
        (rc = dmsc_discovery_new(&r->disc, loop, c, &r->name.name, on_discovered, r)))
        DMSC_LOGW(LOGM, "event=start step=discovery result=%s", dmsc_errname(rc));
    uv_timer_start(&r->retry, on_retry, 0, RETRY_MS);
    dmsc_router_run_timers(r->rt, now);
    arm(r);
    char uri[URI_MAX];
    dmsc_name_to_uri(&r->name.name, DMSC_URI_CANONICAL, uri, sizeof uri);
    DMSC_LOGI(LOGM, "event=started node=%s state_dir=%s key=%s seq_start=%llu neighbors=%zu", uri,
              r->state_dir, created ? "created" : "loaded", (unsigned long long)rc_cfg.seq_start,
              r->n_nbrs);
    return 0;
}

int dmsc_routing_attach_admin(dmsc_routing_t *r, dmsc_admin_t *a)
{
    int rc = dmsc_admin_add_route(a, "GET", "/routing", view_routing, r);
    if (!rc) rc = dmsc_admin_add_metrics(a, metrics, r);
    if (!rc) r->admin = a;
    return rc;
}

static void on_closed(uv_handle_t *h)
{
    (void)h;
}

void dmsc_routing_stop(dmsc_routing_t *r)
{
    if (!r || r->stopping) return;
    r->stopping = true;
    dmsc_discovery_stop(r->disc);
    dmsc_rib_set_observer(r->rib, NULL, NULL);
    uv_timer_stop(&r->timer);
    uv_timer_stop(&r->retry);
    uv_timer_stop(&r->defer);
    uv_close((uv_handle_t *)&r->timer, on_closed);
    uv_close((uv_handle_t *)&r->retry, on_closed);
    uv_close((uv_handle_t *)&r->defer, on_closed);
}

void dmsc_routing_free(dmsc_routing_t *r)
{
    if (!r) return;
    while (r->pending) {
        pending_t *p = r->pending;
        r->pending = p->next;
        free(p);
    }
    dmsc_router_free(r->rt);
    dmsc_key_free(r->key);
    dmsc_discovery_free(r->disc);
    free(r->nbrs);
    free(r);
}
