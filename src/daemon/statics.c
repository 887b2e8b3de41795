/*
 * Static faces and routes from the configuration, kept up across face
 * failures and replaced on reload. See daemon.h.
 */
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "daemon/daemon.h"
#include "base/log.h"

#define RETRY_MIN_MS 1000
#define RETRY_MAX_MS 60000
#define TICK_MS 500

typedef struct {
    char uri[DMSC_FACE_URI_MAX];
    int persistency;
    uint32_t flags;
    dmsc_faceid_t face; /* 0 while not up */
    bool creating;
    uint64_t gen;      /* matches the pending create's token */
    uint64_t retry_at; /* loop ms */
    uint64_t backoff;
    bool ours; /* we created it (destroy it when it leaves the config) */
} sface_t;

typedef struct {
    dmsc_namebuf_t prefix;
    size_t face; /* index into faces */
    uint64_t cost;
} sroute_t;

struct dmsc_statics {
    uv_loop_t *loop;
    dmsc_facetable_t *ft;
    dmsc_rib_t *rib;
    uv_timer_t timer;
    bool stopped;
    sface_t *faces;
    size_t n_faces;
    sroute_t *routes;
    size_t n_routes;
    uint64_t gen;
};

typedef struct {
    dmsc_statics_t *s;
    uint64_t gen;
} token_t;

static void add_routes(dmsc_statics_t *s, size_t fi)
{
    for (size_t i = 0; i < s->n_routes; i++) {
        if (s->routes[i].face != fi) continue;
        dmsc_route_t r = {.face = s->faces[fi].face,
                          .origin = DMSC_ROUTE_ORIGIN_STATIC,
                          .cost = s->routes[i].cost,
                          .flags = DMSC_ROUTE_CHILD_INHERIT,
                          .expires = DMSC_RIB_NEVER};
        int rc = dmsc_rib_add(s->rib, &s->routes[i].prefix.name, &r);
        if (rc)
            DMSC_LOGW("dmscd", "event=static-route face=%u result=%s", r.face, dmsc_errname(rc));
    }
}

static sface_t *by_gen(dmsc_statics_t *s, uint64_t gen, size_t *idx)
{
    for (size_t i = 0; i < s->n_faces; i++)
        if (s->faces[i].creating && s->faces[i].gen == gen) {
            *idx = i;
            return &s->faces[i];
        }
    return NULL;
}

static void schedule_retry(dmsc_statics_t *s, sface_t *f)
{
    uint64_t now = uv_now(s->loop);
    f->backoff = f->backoff ? f->backoff * 2 : RETRY_MIN_MS;
    if (f->backoff > RETRY_MAX_MS) f->backoff = RETRY_MAX_MS;
    f->retry_at = now + f->backoff;
}

static void on_created(void *arg, int status, dmsc_faceid_t id)
{
    token_t *t = arg;
    dmsc_statics_t *s = t->s;
    uint64_t gen = t->gen;
    free(t);
    if (s->stopped) return;
    size_t idx;
    sface_t *f = by_gen(s, gen, &idx);
    if (!f) return; /* removed by a reload meanwhile */
    f->creating = false;
    if (status != 0 || id == DMSC_FACEID_INVALID) {
        DMSC_LOGW("dmscd", "event=static-face uri=%s result=%s retry_in_ms=%llu", f->uri,
                  dmsc_errname(status), (unsigned long long)(f->backoff ? f->backoff * 2 : 1000));
        schedule_retry(s, f);
        return;
    }
    f->face = id;
    f->backoff = 0;
    DMSC_LOGI("dmscd", "event=static-face uri=%s face=%u", f->uri, id);
    add_routes(s, idx);
}

static void start_create(dmsc_statics_t *s, sface_t *f)
{
    token_t *t = malloc(sizeof *t);
    if (!t) {
        schedule_retry(s, f);
        return;
    }
    t->s = s;
    t->gen = ++s->gen;
    f->gen = t->gen;
    f->creating = true;
    f->ours = true;
    int rc = dmsc_facetable_create(s->ft, f->uri, f->persistency, f->flags, on_created, t);
    if (rc) {
        /* cb was not called */
        free(t);
        f->creating = false;
        DMSC_LOGW("dmscd", "event=static-face uri=%s result=%s", f->uri, dmsc_errname(rc));
        schedule_retry(s, f);
    }
}

static void on_tick(uv_timer_t *timer)
{
    dmsc_statics_t *s = timer->data;
    uint64_t now = uv_now(s->loop);
    for (size_t i = 0; i < s->n_faces; i++) {
        sface_t *f = &s->faces[i];
        if (!f->face && !f->creating && now >= f->retry_at) start_create(s, f);
    }
}

static void on_face_closed(void *arg, dmsc_faceid_t id)
{
    dmsc_statics_t *s = arg;
    if (s->stopped) return;
    for (size_t i = 0; i < s->n_faces; i++) {
        if (s->faces[i].face == id) {
            s->faces[i].face = 0;
            schedule_retry(s, &s->faces[i]);
            DMSC_LOGW("dmscd", "event=static-face uri=%s face=%u result=closed", s->faces[i].uri,
                      id);
        }
    }
}

dmsc_statics_t *dmsc_statics_new(uv_loop_t *loop, dmsc_facetable_t *ft, dmsc_rib_t *rib)
{
    dmsc_statics_t *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->loop = loop;
    s->ft = ft;
    s->rib = rib;
    uv_timer_init(loop, &s->timer);
    s->timer.data = s;
    uv_timer_start(&s->timer, on_tick, TICK_MS, TICK_MS);
    dmsc_facetable_on_close(ft, on_face_closed, s);
    return s;
}

static ssize_t find_face(const sface_t *arr, size_t n, const char *uri)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(arr[i].uri, uri)) return (ssize_t)i;
    return -1;
}

/* Add uri to the new set (once); returns its index or -1 on ENOMEM. */
static ssize_t want_face(sface_t **arr, size_t *n, const char *uri, int persistency, uint32_t flags)
{
    ssize_t i = find_face(*arr, *n, uri);
    if (i >= 0) return i;
    sface_t *na = realloc(*arr, (*n + 1) * sizeof *na);
    if (!na) return -1;
    *arr = na;
    sface_t *f = &na[*n];
    memset(f, 0, sizeof *f);
    snprintf(f->uri, sizeof f->uri, "%s", uri);
    f->persistency = persistency;
    f->flags = flags;
    return (ssize_t)(*n)++;
}

int dmsc_statics_apply(dmsc_statics_t *s, const dmsc_config_t *cfg)
{
    sface_t *nf = NULL;
    size_t nn = 0;
    sroute_t *nr = NULL;
    if (cfg->n_routes) {
        nr = calloc(cfg->n_routes, sizeof *nr);
        if (!nr) return DMSC_ENOMEM;
    }
    for (size_t i = 0; i < cfg->n_static_faces; i++)
        if (want_face(&nf, &nn, cfg->static_faces[i].uri, cfg->static_faces[i].persistency,
                      cfg->static_faces[i].flags) < 0)
            goto nomem;
    size_t nroutes = 0;
    for (size_t i = 0; i < cfg->n_routes; i++) {
        ssize_t fi = want_face(&nf, &nn, cfg->routes[i].face, DMSC_FACE_PERMANENT, 0);
        if (fi < 0) goto nomem;
        if (dmsc_namebuf_from_uri(&nr[nroutes].prefix, cfg->routes[i].prefix)) {
            DMSC_LOGW("dmscd", "event=static-route prefix=%s result=bad-name",
                      cfg->routes[i].prefix);
            continue;
        }
        nr[nroutes].face = (size_t)fi;
        nr[nroutes].cost = cfg->routes[i].cost;
        nroutes++;
    }

    /* carry over the state of faces that stay; destroy those that go */
    for (size_t i = 0; i < nn; i++) {
        ssize_t old = find_face(s->faces, s->n_faces, nf[i].uri);
        if (old >= 0) {
            sface_t *o = &s->faces[old];
            nf[i].face = o->face;
            nf[i].creating = o->creating;
            nf[i].gen = o->gen;
            nf[i].retry_at = o->retry_at;
            nf[i].backoff = o->backoff;
            nf[i].ours = o->ours;
            o->face = 0; /* moved */
            o->creating = false;
        }
    }
    for (size_t i = 0; i < s->n_faces; i++) {
        sface_t *o = &s->faces[i];
        if (o->face && o->ours) {
            DMSC_LOGI("dmscd", "event=static-face uri=%s face=%u result=removed", o->uri, o->face);
            dmsc_faceid_t id = o->face;
            o->face = 0;
            dmsc_facetable_destroy(s->ft, id);
        }
    }

    dmsc_rib_remove_origin(s->rib, DMSC_ROUTE_ORIGIN_STATIC);
    free(s->faces);
    free(s->routes);
    s->faces = nf;
    s->n_faces = nn;
    s->routes = nr;
    s->n_routes = nroutes;
    for (size_t i = 0; i < nn; i++) {
        if (nf[i].face)
            add_routes(s, i);
        else if (!nf[i].creating)
            start_create(s, &nf[i]);
    }
    return 0;
nomem:
    free(nf);
    free(nr);
    return DMSC_ENOMEM;
}

void dmsc_statics_stop(dmsc_statics_t *s)
{
    if (s->stopped) return;
    s->stopped = true;
    uv_timer_stop(&s->timer);
    uv_close((uv_handle_t *)&s->timer, NULL);
}

void dmsc_statics_free(dmsc_statics_t *s)
{
    if (!s) return;
    free(s->faces);
    free(s->routes);
    free(s);
}
