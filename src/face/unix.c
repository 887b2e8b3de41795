/*
 * Unix stream sockets: the listener for local applications, and outgoing
 * connects (unix:///path). Faces are local scope, point-to-point; accepted
 * ones are on-demand. As in NFD, the remote URI of an accepted face is
 * fd://<fd> and the local URI unix://<path>.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/err.h"
#include "face/face_int.h"

typedef struct {
    dmsc__listener_t l; /* first */
    dmsc_facetable_t *ft;
    uv_pipe_t pipe;
    char path[108];
    char local_uri[DMSC_FACE_URI_MAX];
} unix_listener_t;

static void unix_fill_accepted(dmsc__stream_face_t *sf, const char *local_uri)
{
    dmsc__face_t *f = dmsc__stream_face(sf);
    uv_os_fd_t fd = -1;
    uv_fileno((uv_handle_t *)dmsc__stream_handle(sf), &fd);
    snprintf(f->remote_uri, sizeof f->remote_uri, "fd://%d", (int)fd);
    snprintf(f->local_uri, sizeof f->local_uri, "%s", local_uri);
    f->scope = DMSC_SCOPE_LOCAL;
}

static void on_connection(uv_stream_t *server, int status)
{
    unix_listener_t *ul = server->data;
    dmsc_facetable_t *ft = ul->ft;
    if (status < 0) {
        DMSC_LOGW("face", "channel=%s event=accept-error err=%s", ul->local_uri,
                  uv_err_name(status));
        return;
    }
    dmsc__stream_face_t *sf = dmsc__stream_new(ft, &dmsc__unix_ops);
    if (!sf) return;
    uv_pipe_init(ft->loop, (uv_pipe_t *)dmsc__stream_handle(sf), 0);
    dmsc__stream_mark_init(sf);
    if (uv_accept(server, dmsc__stream_handle(sf))) {
        dmsc__stream_abort(sf);
        return;
    }
    unix_fill_accepted(sf, ul->local_uri);
    dmsc__stream_face(sf)->persistency = DMSC_FACE_ON_DEMAND;
    int rc = dmsc__stream_start(sf, NULL);
    if (rc) dmsc__drop(ft, 0, DMSC_DROP_FACE_DOWN, rc, "unix-accept");
}

static void on_listener_closed(uv_handle_t *h)
{
    unix_listener_t *ul = h->data;
    free(ul);
}

static void listener_close(dmsc__listener_t *l)
{
    unix_listener_t *ul = (unix_listener_t *)l;
    unlink(ul->path);
    uv_close((uv_handle_t *)&ul->pipe, on_listener_closed);
}

/* A socket file at path: live (someone accepts) -> DMSC_EINVAL; stale ->
 * removed; not a socket -> DMSC_EINVAL. */
static int clear_stale(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) return errno == ENOENT ? 0 : DMSC_EINVAL;
    if (!S_ISSOCK(st.st_mode)) {
        DMSC_LOGE("face", "event=unix-listen path=%s err=\"exists and is not a socket\"", path);
        return DMSC_EINVAL;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return DMSC_EINVAL;
    struct sockaddr_un sun;
    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNIX;
    memcpy(sun.sun_path, path, strlen(path));
    int live = connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0;
    close(fd);
    if (live) {
        DMSC_LOGE("face", "event=unix-listen path=%s err=\"socket in use by another process\"",
                  path);
        return DMSC_EINVAL;
    }
    unlink(path);
    return 0;
}

int dmsc_facetable_listen_unix(dmsc_facetable_t *ft, const char *path, unsigned mode)
{
    if (ft->shutting_down || !path || !path[0] ||
        strlen(path) >= sizeof(((unix_listener_t *)0)->path))
        return DMSC_EINVAL;
    int rc = clear_stale(path);
    if (rc) return rc;
    unix_listener_t *ul = calloc(1, sizeof *ul);
    if (!ul) return DMSC_ENOMEM;
    ul->ft = ft;
    strcpy(ul->path, path);
    snprintf(ul->local_uri, sizeof ul->local_uri, "unix://%s", path);
    uv_pipe_init(ft->loop, &ul->pipe, 0);
    ul->pipe.data = ul;
    rc = uv_pipe_bind(&ul->pipe, path);
    if (rc == 0 && chmod(path, mode) != 0)
        DMSC_LOGW("face", "event=unix-chmod path=%s errno=%d", path, errno);
    if (rc == 0) rc = uv_listen((uv_stream_t *)&ul->pipe, 128, on_connection);
    if (rc) {
        DMSC_LOGE("face", "event=unix-listen path=%s err=%s", path, uv_err_name(rc));
        uv_close((uv_handle_t *)&ul->pipe, on_listener_closed);
        return DMSC_ENOTSUP;
    }
    ul->l.close = listener_close;
    dmsc__listener_add(ft, &ul->l);
    DMSC_LOGI("face", "event=listen channel=%s", ul->local_uri);
    return 0;
}

static void unix_fill_connected(dmsc__stream_face_t *sf)
{
    dmsc__face_t *f = dmsc__stream_face(sf);
    f->scope = DMSC_SCOPE_LOCAL;
    /* remote_uri (unix://path) was set before connecting */
    uv_os_fd_t fd = -1;
    uv_fileno((uv_handle_t *)dmsc__stream_handle(sf), &fd);
    snprintf(f->local_uri, sizeof f->local_uri, "fd://%d", (int)fd);
}

int dmsc__unix_connect(dmsc_facetable_t *ft, const char *path, int persistency, uint32_t flags,
                       dmsc_face_created_cb cb, void *arg)
{
    char uri[DMSC_FACE_URI_MAX];
    snprintf(uri, sizeof uri, "unix://%s", path);
    dmsc_faceid_t existing = dmsc_facetable_find_uri(ft, uri);
    if (existing) {
        if (cb) cb(arg, 0, existing);
        return 0;
    }
    dmsc__stream_face_t *sf = dmsc__stream_new(ft, &dmsc__unix_ops);
    if (!sf) return DMSC_ENOMEM;
    dmsc__face_t *f = dmsc__stream_face(sf);
    snprintf(f->remote_uri, sizeof f->remote_uri, "%s", uri);
    uv_pipe_t *p = (uv_pipe_t *)dmsc__stream_handle(sf);
    uv_pipe_init(ft->loop, p, 0);
    dmsc__stream_mark_init(sf);
    uv_connect_t *req =
        dmsc__stream_connect_req(sf, persistency, flags, cb, arg, unix_fill_connected);
    uv_pipe_connect(req, p, path, dmsc__stream_on_connect);
    dmsc__stream_connect_started(sf);
    return 0;
}
