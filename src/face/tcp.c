/*
 * TCP: listener and outgoing connects. Faces are stream faces (stream.c).
 * Scope follows NFD's TcpFactory: local when both the local and the remote
 * address are loopback (127.0.0.0/8, ::1), else non-local. Accepted faces
 * are on-demand; created faces persistent or permanent (permanent TCP faces
 * do not reconnect yet: they close like persistent ones).
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "face/face_int.h"

typedef struct {
    dmsc__listener_t l; /* first */
    dmsc_facetable_t *ft;
    uv_tcp_t tcp;
    char local_uri[DMSC_FACE_URI_MAX];
} tcp_listener_t;

/* Names and scope of a connected TCP face. */
static void tcp_fill(dmsc__stream_face_t *sf)
{
    dmsc__face_t *f = dmsc__stream_face(sf);
    uv_tcp_t *t = (uv_tcp_t *)dmsc__stream_handle(sf);
    struct sockaddr_storage la, ra;
    int llen = sizeof la, rlen = sizeof ra;
    memset(&la, 0, sizeof la);
    memset(&ra, 0, sizeof ra);
    uv_tcp_getsockname(t, (struct sockaddr *)&la, &llen);
    uv_tcp_getpeername(t, (struct sockaddr *)&ra, &rlen);
    dmsc__uri_from_sa(f->local_uri, sizeof f->local_uri, "tcp", (struct sockaddr *)&la);
    dmsc__uri_from_sa(f->remote_uri, sizeof f->remote_uri, "tcp", (struct sockaddr *)&ra);
    f->scope =
        dmsc__sa_is_loopback((struct sockaddr *)&la) && dmsc__sa_is_loopback((struct sockaddr *)&ra)
            ? DMSC_SCOPE_LOCAL
            : DMSC_SCOPE_NONLOCAL;
    uv_tcp_nodelay(t, 1);
}

static void on_reject_closed(uv_handle_t *h)
{
    free(h->data);
}

static void on_connection(uv_stream_t *server, int status)
{
    tcp_listener_t *tl = server->data;
    dmsc_facetable_t *ft = tl->ft;
    if (status < 0) {
        DMSC_LOGW("face", "channel=%s event=accept-error err=%s", tl->local_uri,
                  uv_err_name(status));
        return;
    }
    dmsc__stream_face_t *sf = dmsc__stream_new(ft, &dmsc__tcp_ops);
    if (!sf) {
        /* out of memory: accept and close, or the listener keeps signalling */
        uv_tcp_t *reject = malloc(sizeof *reject);
        if (reject) {
            uv_tcp_init(ft->loop, reject);
            reject->data = reject;
            uv_accept(server, (uv_stream_t *)reject);
            uv_close((uv_handle_t *)reject, on_reject_closed);
        }
        return;
    }
    uv_tcp_init(ft->loop, (uv_tcp_t *)dmsc__stream_handle(sf));
    dmsc__stream_mark_init(sf);
    if (uv_accept(server, dmsc__stream_handle(sf))) {
        dmsc__stream_abort(sf);
        return;
    }
    tcp_fill(sf);
    dmsc__stream_face(sf)->persistency = DMSC_FACE_ON_DEMAND;
    int rc = dmsc__stream_start(sf, NULL);
    if (rc) dmsc__drop(ft, 0, DMSC_DROP_FACE_DOWN, rc, "tcp-accept");
}

static void on_listener_closed(uv_handle_t *h)
{
    free(h->data);
}

static void listener_close(dmsc__listener_t *l)
{
    tcp_listener_t *tl = (tcp_listener_t *)l;
    uv_close((uv_handle_t *)&tl->tcp, on_listener_closed);
}

int dmsc_facetable_listen_tcp(dmsc_facetable_t *ft, const char *bind_addr, uint16_t port,
                              uint16_t *bound_port)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    if (ft->shutting_down) return DMSC_EINVAL;
    if (uv_ip4_addr(bind_addr, port, (struct sockaddr_in *)&ss) &&
        uv_ip6_addr(bind_addr, port, (struct sockaddr_in6 *)&ss))
        return DMSC_EINVAL;
    tcp_listener_t *tl = calloc(1, sizeof *tl);
    if (!tl) return DMSC_ENOMEM;
    tl->ft = ft;
    uv_tcp_init(ft->loop, &tl->tcp);
    tl->tcp.data = tl;
    int rc = uv_tcp_bind(&tl->tcp, (struct sockaddr *)&ss, 0);
    if (rc == 0) rc = uv_listen((uv_stream_t *)&tl->tcp, 128, on_connection);
    if (rc) {
        DMSC_LOGE("face", "event=tcp-listen addr=%s port=%u err=%s", bind_addr, port,
                  uv_err_name(rc));
        uv_close((uv_handle_t *)&tl->tcp, on_listener_closed);
        return DMSC_ENOTSUP;
    }
    struct sockaddr_storage la;
    int lalen = sizeof la;
    uv_tcp_getsockname(&tl->tcp, (struct sockaddr *)&la, &lalen);
    dmsc__uri_from_sa(tl->local_uri, sizeof tl->local_uri, "tcp", (struct sockaddr *)&la);
    if (bound_port) *bound_port = ntohs(((struct sockaddr_in *)&la)->sin_port);
    tl->l.close = listener_close;
    dmsc__listener_add(ft, &tl->l);
    DMSC_LOGI("face", "event=listen channel=%s", tl->local_uri);
    return 0;
}

int dmsc__tcp_connect(dmsc_facetable_t *ft, const struct sockaddr *sa, int persistency,
                      uint32_t flags, dmsc_face_created_cb cb, void *arg)
{
    if ((flags & DMSC_FACE_FLAG_LOCAL_FIELDS) && !dmsc__sa_is_loopback(sa))
        return DMSC_EINVAL; /* would be non-local */
    dmsc__stream_face_t *sf = dmsc__stream_new(ft, &dmsc__tcp_ops);
    if (!sf) return DMSC_ENOMEM;
    dmsc__face_t *f = dmsc__stream_face(sf);
    dmsc__uri_from_sa(f->remote_uri, sizeof f->remote_uri, "tcp", sa);
    uv_tcp_t *t = (uv_tcp_t *)dmsc__stream_handle(sf);
    uv_tcp_init(ft->loop, t);
    dmsc__stream_mark_init(sf);
    uv_connect_t *req = dmsc__stream_connect_req(sf, persistency, flags, cb, arg, tcp_fill);
    int rc = uv_tcp_connect(req, t, sa, dmsc__stream_on_connect);
    if (rc) {
        DMSC_LOGW("face", "event=connect remote=%s result=%s", f->remote_uri, uv_err_name(rc));
        dmsc__stream_abort(sf);
        return DMSC_EINVAL;
    }
    dmsc__stream_connect_started(sf);
    return 0;
}
