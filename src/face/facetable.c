/*
 * The face table: face ids, lifecycle, deferred work, and the glue between
 * transports and the forwarder (dmsc_fw_io_t).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "base/err.h"
#include "face/face_int.h"

#define SWEEP_INTERVAL_MS 1000
#define STREAM_RXBUF 65536

void dmsc_facetable_config_default(dmsc_facetable_config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->max_packet = DMSC_TLV_DGRAM_MAX;
    cfg->send_queue_max = 1u << 20;
    cfg->app_queue_max = 4u << 20;
    cfg->max_faces = 16384;
    cfg->udp_mtu = DMSC_TLV_DGRAM_MAX;
    cfg->udp_idle_timeout_ms = 600000;
    cfg->udp_keepalive_ms = 25000;
    cfg->connect_timeout_ms = 5000;
    cfg->reconnect_max_ms = 60000;
}

static int check_config(const dmsc_facetable_config_t *cfg)
{
    if (cfg->max_packet < 512 || cfg->max_packet > DMSC_TLV_MAX_PACKET) return DMSC_EINVAL;
    if (cfg->udp_mtu < 576 || cfg->udp_mtu > 65507) return DMSC_EINVAL;
    if (cfg->max_faces == 0 || cfg->send_queue_max == 0 || cfg->app_queue_max == 0)
        return DMSC_EINVAL;
    if (cfg->udp_idle_timeout_ms == 0 || cfg->connect_timeout_ms == 0) return DMSC_EINVAL;
    return 0;
}

/* ---- deferred work and periodic sweep ---- */

static void on_defer(uv_idle_t *h)
{
    dmsc_facetable_t *ft = h->data;
    dmsc__face_t *list = ft->pending;
    ft->pending = NULL;
    ft->pending_tail = &ft->pending;
    while (list) {
        dmsc__face_t *f = list;
        list = f->pending_next;
        f->pending_next = NULL;
        f->in_pending = false;
        f->busy = true; /* a release during the work below must not free f */
        if (f->state == DMSC__FACE_UP && f->want_close) {
            f->want_close = false;
            dmsc__face_destroy(f, f->close_why ? f->close_why : "error");
        }
        if (f->state == DMSC__FACE_UP && f->want_error) {
            f->want_error = false;
            for (size_t i = 0; i < ft->n_on_error && f->state == DMSC__FACE_UP; i++)
                ft->on_error[i].cb(ft->on_error[i].arg, f->id, f->unreach_err);
        }
        if (f->state == DMSC__FACE_UP && f->want_deliver) {
            f->want_deliver = false;
            dmsc__app_deliver(f);
        }
        f->busy = false;
        if (f->release_ready && !f->in_pending) free(f);
    }
    if (!ft->pending) uv_idle_stop(h);
}

void dmsc__face_schedule(dmsc__face_t *f)
{
    dmsc_facetable_t *ft = f->ft;
    if (f->in_pending || ft->shutting_down) return;
    f->in_pending = true;
    f->pending_next = NULL;
    *ft->pending_tail = f;
    ft->pending_tail = &f->pending_next;
    uv_idle_start(&ft->defer, on_defer);
}

static void flush_now(dmsc_facetable_t *ft)
{
    uv_check_stop(&ft->flush);
    dmsc__stream_flush(ft);
    dmsc__udp_flush(ft);
}

static void on_flush(uv_check_t *h)
{
    flush_now(h->data);
}

static void on_flush_prep(uv_prepare_t *h)
{
    dmsc_facetable_t *ft = h->data;
    if (ft->flush_head || ft->udp_flush_head) flush_now(ft);
}

void dmsc__flush_schedule(dmsc_facetable_t *ft)
{
    if (ft->shutting_down) return;
    uv_check_start(&ft->flush, on_flush); /* no-op if active */
}

static void on_sweep(uv_timer_t *t)
{
    dmsc_facetable_t *ft = t->data;
    uint64_t now = dmsc__now_ms(ft);
    uint32_t i = 0;
    dmsc__face_t *f;
    while ((f = dmsc__map_next(&ft->byid, &i)) != NULL) {
        if (f->state != DMSC__FACE_UP) continue;
        if (dmsc__face_is_udp(f))
            dmsc__udp_sweep(f, now); /* closes through dmsc__face_fail: no map change here */
        else if (dmsc__face_is_stream(f))
            dmsc__stream_sweep(f);
    }
    if (ft->reasm) dmsc_lpfrag_reasm_expire(ft->reasm, now);
}

/* ---- lifecycle ---- */

int dmsc_facetable_new(dmsc_facetable_t **out, uv_loop_t *loop, const dmsc_facetable_config_t *cfg)
{
    dmsc_facetable_config_t def;
    if (!cfg) {
        dmsc_facetable_config_default(&def);
        cfg = &def;
    }
    if (!out || !loop || check_config(cfg)) return DMSC_EINVAL;
    dmsc_facetable_t *ft = calloc(1, sizeof *ft);
    if (!ft) return DMSC_ENOMEM;
    ft->loop = loop;
    ft->cfg = *cfg;
    ft->next_id = DMSC_FACEID_FIRST_DYNAMIC;
    dmsc__map_init(&ft->byid);
    ft->pending_tail = &ft->pending;
    ft->ops.next = ft->ops.prev = &ft->ops;
    dmsc_ratelimit_init(&ft->drop_rl, 1000, 10);
    if (getrandom(&ft->hash_seed, sizeof ft->hash_seed, GRND_NONBLOCK) != sizeof ft->hash_seed)
        ft->hash_seed = uv_hrtime() ^ (uint64_t)(uintptr_t)ft;

    dmsc_lpfrag_cfg_t rc;
    dmsc_lpfrag_cfg_default(&rc);
    rc.max_pkt_size = DMSC_TLV_DGRAM_MAX;
    if (dmsc_lpfrag_reasm_new(&ft->reasm, &rc)) goto fail_reasm;
    ft->reasm_out_cap = DMSC_LPFRAG_OUT_SIZE(rc.max_pkt_size);
    ft->reasm_out = malloc(ft->reasm_out_cap);
    if (!ft->reasm_out) goto fail_out;
    ft->stream_rxbuf_cap = STREAM_RXBUF;
    ft->stream_rxbuf = malloc(ft->stream_rxbuf_cap);
    if (!ft->stream_rxbuf) goto fail_rxbuf;

    uv_idle_init(loop, &ft->defer);
    ft->defer.data = ft;
    uv_check_init(loop, &ft->flush);
    ft->flush.data = ft;
    /* The prepare handle stays active: libuv runs the prepare handles started
     * later (the gateway's, whose flush may resume fetches and send) before
     * this one, so nothing they send waits for the next wake-up. Unref'd: it
     * does not keep the loop alive. */
    uv_prepare_init(loop, &ft->flush_prep);
    ft->flush_prep.data = ft;
    uv_prepare_start(&ft->flush_prep, on_flush_prep);
    uv_unref((uv_handle_t *)&ft->flush_prep);
    uv_timer_init(loop, &ft->sweep);
    ft->sweep.data = ft;
    uv_timer_start(&ft->sweep, on_sweep, SWEEP_INTERVAL_MS, SWEEP_INTERVAL_MS);
    *out = ft;
    return 0;

fail_rxbuf:
    free(ft->reasm_out);
fail_out:
    dmsc_lpfrag_reasm_free(ft->reasm);
fail_reasm:
    free(ft);
    return DMSC_ENOMEM;
}

static int fw_send(void *ctx, dmsc_faceid_t id, const dmsc_pkt_t *pkt)
{
    dmsc_facetable_t *ft = ctx;
    dmsc__face_t *f = dmsc__map_get(&ft->byid, id);
    if (!f || f->state != DMSC__FACE_UP) return DMSC_EINVAL;
    if (f->ops->send_pkt) return f->ops->send_pkt(f, pkt);
    return dmsc__link_tx(f, pkt);
}

void dmsc_facetable_fw_io(dmsc_facetable_t *ft, dmsc_fw_io_t *io)
{
    io->ctx = ft;
    io->send = fw_send;
}

void dmsc_facetable_attach_fw(dmsc_facetable_t *ft, dmsc_fw_t *fw)
{
    ft->fw = fw;
}

void dmsc_facetable_reconfigure(dmsc_facetable_t *ft, const dmsc_facetable_config_t *cfg)
{
    if (check_config(cfg)) {
        DMSC_LOGW("face", "event=reconfigure result=rejected reason=invalid-limits");
        return;
    }
    ft->cfg = *cfg;
}

static void on_handle_closed(uv_handle_t *h)
{
    (void)h;
}

void dmsc__op_add(dmsc_facetable_t *ft, dmsc__op_t *op)
{
    op->next = ft->ops.next;
    op->prev = &ft->ops;
    ft->ops.next->prev = op;
    ft->ops.next = op;
}

void dmsc__op_remove(dmsc_facetable_t *ft, dmsc__op_t *op)
{
    (void)ft;
    op->prev->next = op->next;
    op->next->prev = op->prev;
    op->next = op->prev = op;
}

static dmsc_faceid_t *collect_ids(dmsc_facetable_t *ft, size_t *n);

void dmsc_facetable_shutdown(dmsc_facetable_t *ft)
{
    if (ft->shutting_down) return;
    dmsc__udp_flush(ft); /* what this turn queued still goes out */
    ft->shutting_down = true;

    /* deferred work will not run any more: detach the list */
    while (ft->pending) {
        dmsc__face_t *f = ft->pending;
        ft->pending = f->pending_next;
        f->pending_next = NULL;
        f->in_pending = false;
        if (f->release_ready) free(f);
    }
    ft->pending_tail = &ft->pending;

    while (ft->ops.next != &ft->ops) {
        dmsc__op_t *op = ft->ops.next;
        dmsc__op_remove(ft, op);
        op->cancel(op);
    }

    size_t n = 0;
    dmsc_faceid_t *ids = collect_ids(ft, &n);
    for (size_t i = 0; i < n; i++) {
        dmsc__face_t *f = dmsc__map_get(&ft->byid, ids[i]);
        if (f) dmsc__face_destroy(f, "shutdown");
    }
    free(ids);
    /* if collect_ids failed (no memory), fall back to destroying one by one */
    for (;;) {
        uint32_t i = 0;
        dmsc__face_t *f = dmsc__map_next(&ft->byid, &i);
        if (!f) break;
        dmsc__face_destroy(f, "shutdown");
    }

    while (ft->listeners) {
        dmsc__listener_t *l = ft->listeners;
        ft->listeners = l->next;
        l->close(l);
    }
    ft->udp4 = ft->udp6 = NULL;
    uv_idle_stop(&ft->defer);
    uv_close((uv_handle_t *)&ft->defer, on_handle_closed);
    uv_check_stop(&ft->flush);
    uv_close((uv_handle_t *)&ft->flush, on_handle_closed);
    uv_prepare_stop(&ft->flush_prep);
    uv_close((uv_handle_t *)&ft->flush_prep, on_handle_closed);
    uv_timer_stop(&ft->sweep);
    uv_close((uv_handle_t *)&ft->sweep, on_handle_closed);
}

void dmsc_facetable_free(dmsc_facetable_t *ft)
{
    if (!ft) return;
    dmsc__map_free(&ft->byid);
    dmsc_lpfrag_reasm_free(ft->reasm);
    free(ft->reasm_out);
    free(ft->stream_rxbuf);
    free(ft->on_close);
    free(ft->on_error);
    free(ft);
}

/* ---- faces ---- */

void dmsc__face_init(dmsc__face_t *f, dmsc_facetable_t *ft, const dmsc__transport_ops_t *ops)
{
    memset(f, 0, sizeof *f);
    f->ft = ft;
    f->ops = ops;
    f->state = DMSC__FACE_UP;
    f->scope = DMSC_SCOPE_NONLOCAL;
    f->persistency = DMSC_FACE_PERSISTENT;
    f->link_type = DMSC_LINK_P2P;
    f->rx_max = ft->cfg.max_packet;
    f->tx_max = ft->cfg.max_packet;
    f->last_rx_ms = f->last_tx_ms = dmsc__now_ms(ft);
    uint64_t r;
    if (getrandom(&r, sizeof r, GRND_NONBLOCK) != sizeof r) r = uv_hrtime() * 0x9e3779b97f4a7c15ULL;
    f->frag_seq = r;
}

int dmsc__face_add(dmsc__face_t *f, dmsc_faceid_t want)
{
    dmsc_facetable_t *ft = f->ft;
    dmsc_faceid_t id = want;
    if (ft->shutting_down) return DMSC_EINVAL;
    if (id == 0) {
        if (ft->n_dynamic >= ft->cfg.max_faces) return DMSC_ENOBUFS;
        while (dmsc__map_get(&ft->byid, ft->next_id) || ft->next_id < DMSC_FACEID_FIRST_DYNAMIC)
            ft->next_id = ft->next_id + 1 < DMSC_FACEID_FIRST_DYNAMIC ? DMSC_FACEID_FIRST_DYNAMIC
                                                                      : ft->next_id + 1;
        id = ft->next_id++;
        f->dynamic = true;
    } else if (dmsc__map_get(&ft->byid, id)) {
        return DMSC_EINVAL;
    }
    if (dmsc__map_put(&ft->byid, id, f)) return DMSC_ENOMEM;
    if (ft->fw) {
        int rc = dmsc_fw_face_add(ft->fw, id, f->scope);
        if (rc) {
            dmsc__map_del(&ft->byid, id);
            return rc;
        }
    }
    f->id = id;
    if (f->dynamic) ft->n_dynamic++;
    static const char *const pers[] = {"persistent", "on-demand", "permanent"};
    DMSC_LOGI("face", "face=%u event=up remote=%s local=%s scope=%s persistency=%s", id,
              f->remote_uri, f->local_uri, f->scope == DMSC_SCOPE_LOCAL ? "local" : "non-local",
              f->persistency >= 0 && f->persistency <= 2 ? pers[f->persistency] : "?");
    return 0;
}

void dmsc__face_destroy(dmsc__face_t *f, const char *why)
{
    dmsc_facetable_t *ft = f->ft;
    if (f->state != DMSC__FACE_UP) return;
    f->state = DMSC__FACE_CLOSING;
    if (f->id != DMSC_FACEID_INVALID) {
        DMSC_LOGI("face", "face=%u event=down remote=%s why=%s", f->id, f->remote_uri, why);
        dmsc__map_del(&ft->byid, f->id);
        if (f->dynamic) ft->n_dynamic--;
        if (ft->fw) dmsc_fw_face_remove(ft->fw, f->id);
        for (size_t i = 0; i < ft->n_on_close; i++)
            ft->on_close[i].cb(ft->on_close[i].arg, f->id);
    }
    f->ops->close(f);
}

void dmsc__face_fail(dmsc__face_t *f, const char *why)
{
    if (f->state != DMSC__FACE_UP || f->want_close) return;
    f->close_why = why;
    f->want_close = true;
    dmsc__face_schedule(f);
}

void dmsc__face_unreachable(dmsc__face_t *f, int err)
{
    if (f->state != DMSC__FACE_UP) return;
    f->unreach_err = err;
    f->want_error = true;
    dmsc__face_schedule(f);
}

void dmsc__face_release(dmsc__face_t *f)
{
    f->release_ready = true;
    if (!f->in_pending && !f->busy) free(f);
}

dmsc__face_t *dmsc__face_get(dmsc_facetable_t *ft, dmsc_faceid_t id)
{
    dmsc__face_t *f = dmsc__map_get(&ft->byid, id);
    return f && f->state == DMSC__FACE_UP ? f : NULL;
}

void dmsc__listener_add(dmsc_facetable_t *ft, dmsc__listener_t *l)
{
    l->next = ft->listeners;
    ft->listeners = l;
}

void dmsc__drop(dmsc_facetable_t *ft, dmsc_faceid_t id, int reason, int err, const char *where)
{
    if (ft->fw) dmsc_fw_count_drop(ft->fw, id, reason);
    uint64_t suppressed = 0;
    if (dmsc_log_enabled(DMSC_LOG_LEVEL_WARN) &&
        dmsc_ratelimit_ok(&ft->drop_rl, dmsc__now_ms(ft), &suppressed))
        dmsc_log(DMSC_LOG_LEVEL_WARN, "face", "face=%u drop=%s err=%s where=%s suppressed=%llu", id,
                 dmsc_fw_drop_name(reason), dmsc_errname(err), where,
                 (unsigned long long)suppressed);
}

void dmsc__deliver(dmsc__face_t *f, const dmsc_pkt_t *pkt, uint64_t now_ns)
{
    dmsc_facetable_t *ft = f->ft;
    if (!ft->fw) return;
    ft->in_fw++;
    dmsc_fw_receive(ft->fw, f->id, pkt, now_ns);
    ft->in_fw--;
}

/* ---- public API ---- */

static int cmp_id(const void *a, const void *b)
{
    dmsc_faceid_t x = *(const dmsc_faceid_t *)a, y = *(const dmsc_faceid_t *)b;
    return x < y ? -1 : x > y;
}

static dmsc_faceid_t *collect_ids(dmsc_facetable_t *ft, size_t *n)
{
    *n = 0;
    if (ft->byid.n == 0) return NULL;
    dmsc_faceid_t *ids = malloc(ft->byid.n * sizeof *ids);
    if (!ids) return NULL;
    uint32_t i = 0;
    dmsc__face_t *f;
    while ((f = dmsc__map_next(&ft->byid, &i)) != NULL)
        ids[(*n)++] = f->id;
    qsort(ids, *n, sizeof *ids, cmp_id);
    return ids;
}

static void fill_info(const dmsc__face_t *f, dmsc_face_info_t *out)
{
    memset(out, 0, sizeof *out);
    out->id = f->id;
    memcpy(out->remote_uri, f->remote_uri, sizeof out->remote_uri);
    memcpy(out->local_uri, f->local_uri, sizeof out->local_uri);
    out->scope = f->scope;
    out->persistency = f->persistency;
    out->link_type = f->link_type;
    out->flags = f->flags;
    out->mtu = f->mtu;
    out->counters = f->ft->fw ? dmsc_fw_face_counters(f->ft->fw, f->id) : NULL;
    out->link = f->lc;
    if (f->ops->stats) f->ops->stats(f, &out->link);
}

int dmsc_facetable_get(dmsc_facetable_t *ft, dmsc_faceid_t id, dmsc_face_info_t *out)
{
    dmsc__face_t *f = dmsc__face_get(ft, id);
    if (!f) return DMSC_EINVAL;
    fill_info(f, out);
    return 0;
}

int dmsc_facetable_link_counters(dmsc_facetable_t *ft, dmsc_faceid_t id,
                                 dmsc_face_link_counters_t *out)
{
    dmsc__face_t *f = dmsc__face_get(ft, id);
    if (!f) return DMSC_EINVAL;
    *out = f->lc;
    if (f->ops->stats) f->ops->stats(f, out);
    return 0;
}

void dmsc_facetable_foreach(dmsc_facetable_t *ft, int (*cb)(void *arg, const dmsc_face_info_t *fi),
                            void *arg)
{
    size_t n;
    dmsc_faceid_t *ids = collect_ids(ft, &n);
    for (size_t i = 0; i < n; i++) {
        dmsc__face_t *f = dmsc__face_get(ft, ids[i]); /* cb may have destroyed some */
        if (!f) continue;
        dmsc_face_info_t fi;
        fill_info(f, &fi);
        if (cb(arg, &fi)) break;
    }
    free(ids);
}

void dmsc_facetable_on_close(dmsc_facetable_t *ft, void (*cb)(void *arg, dmsc_faceid_t id),
                             void *arg)
{
    dmsc__close_listener_t *n = realloc(ft->on_close, (ft->n_on_close + 1) * sizeof *n);
    if (!n) {
        DMSC_LOGE("face", "event=on-close-register result=ENOMEM");
        return;
    }
    ft->on_close = n;
    n[ft->n_on_close].cb = cb;
    n[ft->n_on_close].arg = arg;
    ft->n_on_close++;
}

void dmsc_facetable_on_error(dmsc_facetable_t *ft, void (*cb)(void *arg, dmsc_faceid_t id, int err),
                             void *arg)
{
    dmsc__error_listener_t *n = realloc(ft->on_error, (ft->n_on_error + 1) * sizeof *n);
    if (!n) {
        DMSC_LOGE("face", "event=on-error-register result=ENOMEM");
        return;
    }
    ft->on_error = n;
    n[ft->n_on_error].cb = cb;
    n[ft->n_on_error].arg = arg;
    ft->n_on_error++;
}

dmsc_faceid_t dmsc_facetable_find_uri(dmsc_facetable_t *ft, const char *remote_uri)
{
    char canon[DMSC_FACE_URI_MAX];
    const char *want = remote_uri;
    if (dmsc_face_uri_canonize(remote_uri, canon, sizeof canon) == 0) want = canon;
    uint32_t i = 0;
    dmsc__face_t *f;
    while ((f = dmsc__map_next(&ft->byid, &i)) != NULL)
        if (f->state == DMSC__FACE_UP && strcmp(f->remote_uri, want) == 0) return f->id;
    return DMSC_FACEID_INVALID;
}

int dmsc_facetable_destroy(dmsc_facetable_t *ft, dmsc_faceid_t id)
{
    dmsc__face_t *f = dmsc__face_get(ft, id);
    if (!f) return DMSC_EINVAL;
    dmsc__face_destroy(f, "destroyed");
    return 0;
}

int dmsc_facetable_update(dmsc_facetable_t *ft, dmsc_faceid_t id, int persistency,
                          uint32_t flags_mask, uint32_t flags)
{
    dmsc__face_t *f = dmsc__face_get(ft, id);
    if (!f) return DMSC_EINVAL;
    uint32_t nf = (f->flags & ~flags_mask) | (flags & flags_mask);
    if ((nf & DMSC_FACE_FLAG_LOCAL_FIELDS) && f->scope != DMSC_SCOPE_LOCAL)
        return DMSC_EINVAL; /* NFD: LocalFields only on local faces */
    if (nf & DMSC_FACE_FLAG_LP_RELIABILITY) return DMSC_ENOTSUP;
    if (persistency != DMSC_FACE_PERSISTENT && persistency != DMSC_FACE_ON_DEMAND &&
        persistency != DMSC_FACE_PERMANENT)
        return DMSC_EINVAL;
    if (f->ops->send_pkt && persistency != f->persistency)
        return DMSC_ENOTSUP; /* app faces are permanent */
    f->persistency = persistency;
    f->flags = nf;
    return 0;
}

/* ---- create ---- */

typedef struct {
    dmsc__op_t op;
    dmsc_facetable_t *ft;
    uv_getaddrinfo_t req;
    dmsc__uri_t uri;
    int persistency;
    uint32_t flags;
    dmsc_face_created_cb cb;
    void *arg;
    bool cancelled;
} resolve_t;

static int create_numeric(dmsc_facetable_t *ft, const dmsc__uri_t *u, int persistency,
                          uint32_t flags, dmsc_face_created_cb cb, void *arg)
{
    char canon[DMSC_FACE_URI_MAX];
    const struct sockaddr *sa = (const struct sockaddr *)&u->sa;
    dmsc__uri_from_sa(canon, sizeof canon, u->scheme == DMSC__URI_UDP ? "udp" : "tcp", sa);
    dmsc_faceid_t existing = dmsc_facetable_find_uri(ft, canon);
    if (existing) {
        dmsc__face_t *f = dmsc__face_get(ft, existing);
        /* NFD: creating an existing on-demand face upgrades its persistency */
        if (f && f->persistency == DMSC_FACE_ON_DEMAND) f->persistency = persistency;
        if (cb) cb(arg, 0, existing);
        return 0;
    }
    if (u->scheme == DMSC__URI_UDP) {
        if (flags & DMSC_FACE_FLAG_LOCAL_FIELDS) return DMSC_EINVAL; /* UDP faces are non-local */
        dmsc_faceid_t id = 0;
        int rc = dmsc__udp_create(ft, sa, persistency, flags, &id);
        if (rc) return rc;
        if (cb) cb(arg, 0, id);
        return 0;
    }
    return dmsc__tcp_connect(ft, sa, persistency, flags, cb, arg);
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    resolve_t *r = req->data;
    dmsc_facetable_t *ft = r->ft;
    if (r->cancelled) {
        if (res) uv_freeaddrinfo(res);
        if (r->cb) r->cb(r->arg, DMSC_EINVAL, DMSC_FACEID_INVALID);
        free(r);
        return;
    }
    dmsc__op_remove(ft, &r->op);
    int rc = DMSC_EINVAL;
    if (status == 0 && res) {
        memset(&r->uri.sa, 0, sizeof r->uri.sa);
        memcpy(&r->uri.sa, res->ai_addr, res->ai_addrlen);
        ((struct sockaddr_in *)&r->uri.sa)->sin_port = htons(r->uri.port); /* same offset in v6 */
        r->uri.numeric = true;
        rc = create_numeric(ft, &r->uri, r->persistency, r->flags, r->cb, r->arg);
    } else {
        DMSC_LOGW("face", "event=resolve host=%s result=%s", r->uri.host, uv_err_name(status));
    }
    if (res) uv_freeaddrinfo(res);
    if (rc && r->cb) r->cb(r->arg, rc, DMSC_FACEID_INVALID);
    free(r);
}

static void cancel_resolve(dmsc__op_t *op)
{
    resolve_t *r = (resolve_t *)op;
    r->cancelled = true;
    uv_cancel((uv_req_t *)&r->req); /* callback runs either way (UV_ECANCELED or result) */
}

int dmsc_facetable_create(dmsc_facetable_t *ft, const char *remote_uri, int persistency,
                          uint32_t flags, dmsc_face_created_cb cb, void *arg)
{
    dmsc__uri_t u;
    int rc = dmsc__uri_parse(remote_uri, &u);
    if (rc) return rc;
    if (ft->shutting_down) return DMSC_EINVAL;
    if (persistency != DMSC_FACE_PERSISTENT && persistency != DMSC_FACE_PERMANENT)
        return DMSC_EINVAL; /* NFD: faces/create takes persistent or permanent */
    if (flags & DMSC_FACE_FLAG_LP_RELIABILITY) return DMSC_ENOTSUP;
    if (u.scheme == DMSC__URI_UNIX)
        return dmsc__unix_connect(ft, u.path, persistency, flags, cb, arg);
    if (u.numeric) return create_numeric(ft, &u, persistency, flags, cb, arg);

    resolve_t *r = calloc(1, sizeof *r);
    if (!r) return DMSC_ENOMEM;
    r->ft = ft;
    r->uri = u;
    r->persistency = persistency;
    r->flags = flags;
    r->cb = cb;
    r->arg = arg;
    r->op.cancel = cancel_resolve;
    r->req.data = r;
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = u.family;
    hints.ai_socktype = u.scheme == DMSC__URI_UDP ? SOCK_DGRAM : SOCK_STREAM;
    rc = uv_getaddrinfo(ft->loop, &r->req, on_resolved, u.host, NULL, &hints);
    if (rc) {
        free(r);
        return DMSC_EINVAL;
    }
    dmsc__op_add(ft, &r->op);
    return 0;
}
