/*
 * HTTP/2 cleartext sessions on nghttp2 (see h2.h). nghttp2 does framing,
 * HPACK, flow-control accounting and most of RFC 9113's message checks
 * (pseudo-headers, connection-specific and uppercase fields, te, content-
 * length vs DATA); this file maps its callbacks onto dmsc_http_head_t,
 * keeps a bounded send queue per stream, and adds what a proxy needs on
 * top: a hard header-list limit, no CONNECT, consumption-driven
 * WINDOW_UPDATE.
 */
#include "gw/h2.h"

#include <nghttp2/nghttp2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"

typedef struct h2_stream h2_stream_t;

struct h2_stream {
    dmsc_h2_t *h;
    h2_stream_t *prev, *next; /* all streams of the session */
    int32_t id;
    bool announced;      /* the runtime knows the id: on_close is owed */
    bool rejected;       /* refused by us before announcing (431, 501) */
    bool rst_after_head; /* rejected while the peer was still sending */
    bool resetting;      /* we submitted RST_STREAM: deliver nothing more */
    bool head_sent;      /* respond / request done */
    bool local_end;      /* end of our side queued: no more data or trailers */
    bool deferred;       /* our data provider returned NGHTTP2_ERR_DEFERRED */
    bool blocked;        /* send_data returned DMSC_ENOBUFS: on_writable owed */
    bool notify;         /* on_writable due at the end of dmsc_h2_pending */
    bool got_response;   /* client: final response head seen */
    bool head_request;   /* client: HEAD (response has no body) */
    uint32_t reset_code; /* what we reset it with */
    /* send queue: bytes [qoff, qoff + qlen) of q */
    uint8_t *q;
    size_t qoff, qlen, qcap;
    /* trailers waiting for the queue to drain (one allocation) */
    nghttp2_nv *trl;
    size_t ntrl;
    /* received body bytes handed to on_data and not yet consumed */
    uint64_t unconsumed;
};

struct dmsc_h2 {
    nghttp2_session *ng;
    dmsc_h2_callbacks_t cb;
    void *arg;
    dmsc_h2_limits_t lim;
    bool server;
    bool failed;     /* connection error seen by dmsc_h2_recv */
    bool conn_error; /* set by nghttp2's error callback during a recv */
    bool fatal;      /* nghttp2 cannot go on (out of memory in mem_send) */
    bool notify;     /* some stream has notify set */
    h2_stream_t *streams;
    /* Header collector: one header block at a time per connection (RFC
     * 9113 4.3: HEADERS + CONTINUATION are never interleaved), so one
     * buffer of max_header_list bytes serves every stream. */
    dmsc_http_head_t head;
    char *hbuf;
    size_t hlen;
    size_t hsize; /* RFC 9113 accounting: name + value + 32 per field */
    bool hover;   /* the block went past the limit */
    bool hpseudo; /* :authority seen */
    const char *host;
    size_t host_len;
    char err[160];
};

/* ---- small helpers ---- */

static int from_ng(int rv)
{
    if (rv == NGHTTP2_ERR_NOMEM) return DMSC_ENOMEM;
    return DMSC_EINVAL;
}

static bool lit_eq(const char *s, size_t n, const char *lit)
{
    size_t m = strlen(lit);
    return n == m && memcmp(s, lit, n) == 0;
}

/* Hop-by-hop fields HTTP/2 forbids (RFC 9113 8.2.2). "te" is allowed only
 * as "te: trailers" in requests. */
static bool is_hop_field(const dmsc_http_field_t *f, bool request)
{
    static const char *const hop[] = {"connection", "keep-alive", "proxy-connection",
                                      "transfer-encoding", "upgrade"};
    for (size_t i = 0; i < sizeof(hop) / sizeof(hop[0]); i++)
        if (dmsc_http_token_eq(f->name, f->name_len, hop[i])) return true;
    if (dmsc_http_token_eq(f->name, f->name_len, "te"))
        return !(request && dmsc_http_token_eq(f->value, f->value_len, "trailers"));
    return false;
}

static h2_stream_t *stream_new(dmsc_h2_t *h, int32_t id)
{
    h2_stream_t *s = calloc(1, sizeof(*s));
    if (!s) return NULL;
    s->h = h;
    s->id = id;
    s->next = h->streams;
    if (h->streams) h->streams->prev = s;
    h->streams = s;
    return s;
}

static void stream_free(h2_stream_t *s)
{
    dmsc_h2_t *h = s->h;
    if (s->prev)
        s->prev->next = s->next;
    else
        h->streams = s->next;
    if (s->next) s->next->prev = s->prev;
    free(s->q);
    free(s->trl);
    free(s);
}

/* Our state for a stream id: nghttp2's stream user data, or (a client
 * request whose HEADERS are not sent yet, so nghttp2 has no stream) the
 * list. */
static h2_stream_t *stream_find(dmsc_h2_t *h, int32_t id)
{
    if (id <= 0) return NULL;
    h2_stream_t *s = nghttp2_session_get_stream_user_data(h->ng, id);
    if (s) return s;
    for (s = h->streams; s; s = s->next)
        if (s->id == id) return s;
    return NULL;
}

static void collector_reset(dmsc_h2_t *h)
{
    dmsc_http_head_t *hd = &h->head;
    hd->is_request = false;
    hd->version = 20;
    hd->method = hd->target = hd->authority = hd->reason = NULL;
    hd->method_len = hd->target_len = hd->authority_len = hd->reason_len = 0;
    hd->status = 0;
    hd->nfields = 0;
    hd->body = DMSC_HTTP_BODY_NONE;
    hd->content_length = 0;
    hd->keep_alive = true;
    hd->expect_continue = false;
    h->hlen = 0;
    h->hsize = 0;
    h->hover = false;
    h->hpseudo = false;
    h->host = NULL;
    h->host_len = 0;
}

static const char *collect(dmsc_h2_t *h, const uint8_t *p, size_t n)
{
    char *d = h->hbuf + h->hlen;
    if (n) memcpy(d, p, n);
    h->hlen += n;
    return d;
}

static uint64_t parse_u64(const char *s, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++)
        v = v * 10 + (uint64_t)(s[i] - '0');
    return v;
}

/* Body framing of a received head: END_STREAM came with it -> NONE. */
static void set_body(dmsc_h2_t *h, bool ended, bool no_body)
{
    dmsc_http_head_t *hd = &h->head;
    hd->body = DMSC_HTTP_BODY_NONE;
    if (ended || no_body) return;
    hd->body = DMSC_HTTP_BODY_CHUNKED;
    for (size_t i = 0; i < hd->nfields; i++) {
        const dmsc_http_field_t *f = &hd->fields[i];
        if (lit_eq(f->name, f->name_len, "content-length")) {
            /* nghttp2 checked it is a number (and no conflicting copies) */
            hd->body = DMSC_HTTP_BODY_LENGTH;
            hd->content_length = parse_u64(f->value, f->value_len);
            break;
        }
    }
}

/* Server: refuse a request ourselves with a bodiless response; the stream
 * is never announced. If the client is still sending, on_frame_send asks
 * it to stop once the response is out (RST_STREAM NO_ERROR after a
 * complete response, RFC 9113 8.1; submitting the RST now would make
 * nghttp2 drop the response). */
static void reject(dmsc_h2_t *h, h2_stream_t *s, int status, bool ended)
{
    char st[4];
    snprintf(st, sizeof(st), "%03d", status);
    nghttp2_nv nv[] = {
        {(uint8_t *)":status", (uint8_t *)st, 7, 3, NGHTTP2_NV_FLAG_NONE},
        {(uint8_t *)"content-length", (uint8_t *)"0", 14, 1, NGHTTP2_NV_FLAG_NONE},
    };
    s->rejected = true;
    s->local_end = true;
    s->rst_after_head = !ended;
    if (nghttp2_submit_response(h->ng, s->id, nv, 2, NULL) != 0)
        nghttp2_submit_rst_stream(h->ng, NGHTTP2_FLAG_NONE, s->id, NGHTTP2_INTERNAL_ERROR);
}

static void reset_stream(dmsc_h2_t *h, h2_stream_t *s, uint32_t code)
{
    s->resetting = true;
    s->reset_code = code;
    s->local_end = true;
    nghttp2_submit_rst_stream(h->ng, NGHTTP2_FLAG_NONE, s->id, code);
}

/* ---- nghttp2 callbacks ---- */

static int on_begin_headers(nghttp2_session *ng, const nghttp2_frame *frame, void *ud)
{
    dmsc_h2_t *h = ud;
    collector_reset(h);
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST ||
        !h->server)
        return 0;
    h2_stream_t *s = stream_new(h, frame->hd.stream_id);
    if (!s) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE; /* RST_STREAM INTERNAL_ERROR */
    if (nghttp2_session_set_stream_user_data(ng, s->id, s) != 0) {
        stream_free(s);
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
    return 0;
}

static int on_header(nghttp2_session *ng, const nghttp2_frame *frame, const uint8_t *name,
                     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags, void *ud)
{
    dmsc_h2_t *h = ud;
    dmsc_http_head_t *hd = &h->head;
    if (h->hover) return 0;
    h->hsize += namelen + valuelen + 32;
    if (h->hsize > h->lim.max_header_list) {
        h->hover = true;
        return 0;
    }
    /* fits: name + value <= hsize - 32 <= max_header_list == buffer size */
    const char *n = (const char *)name;
    if (namelen > 0 && n[0] == ':') {
        const char *v = collect(h, value, valuelen);
        if (lit_eq(n, namelen, ":method")) {
            hd->method = v;
            hd->method_len = valuelen;
        } else if (lit_eq(n, namelen, ":path")) {
            hd->target = v;
            hd->target_len = valuelen;
        } else if (lit_eq(n, namelen, ":authority")) {
            hd->authority = v;
            hd->authority_len = valuelen;
            h->hpseudo = true;
        } else if (lit_eq(n, namelen, ":status")) {
            hd->status = (int)parse_u64(v, valuelen);
        }
        /* :scheme: checked present by nghttp2; http.h has no slot for it */
        return 0;
    }
    if (hd->nfields >= DMSC_HTTP_MAX_FIELDS) {
        h->hover = true;
        return 0;
    }
    dmsc_http_field_t *f = &hd->fields[hd->nfields++];
    f->name = collect(h, name, namelen);
    f->name_len = namelen;
    f->value = collect(h, value, valuelen);
    f->value_len = valuelen;
    if (!h->host && lit_eq(f->name, namelen, "host")) {
        h->host = f->value;
        h->host_len = valuelen;
    }
    return 0;
}

static void deliver_trailers(dmsc_h2_t *h, h2_stream_t *s)
{
    if (h->hover) {
        reset_stream(h, s, NGHTTP2_INTERNAL_ERROR);
        return;
    }
    h->head.is_request = false;
    h->head.body = DMSC_HTTP_BODY_NONE;
    if (h->cb.on_trailers) h->cb.on_trailers(h->arg, s->id, &h->head);
}

static int on_headers_recv(dmsc_h2_t *h, const nghttp2_frame *frame, h2_stream_t *s)
{
    dmsc_http_head_t *hd = &h->head;
    bool ended = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
    if (h->server) {
        if (frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
            if (h->hover) {
                reject(h, s, 431, ended);
                return 0;
            }
            if (lit_eq(hd->method, hd->method_len, "CONNECT")) {
                reject(h, s, 501, ended);
                return 0;
            }
            hd->is_request = true;
            if (!h->hpseudo && h->host) {
                hd->authority = h->host;
                hd->authority_len = h->host_len;
            }
            set_body(h, ended, false);
            s->announced = true;
            if (h->cb.on_request) h->cb.on_request(h->arg, s->id, hd);
        } else {
            if (!s->announced || s->rejected || s->resetting) return 0;
            deliver_trailers(h, s);
        }
    } else {
        if (!s->announced || s->resetting) return 0;
        if (!s->got_response) {
            if (h->hover) {
                reset_stream(h, s, NGHTTP2_INTERNAL_ERROR);
                return 0;
            }
            if (hd->status < 200) return 0; /* 1xx: the final response follows */
            s->got_response = true;
            set_body(h, ended, s->head_request || hd->status == 204 || hd->status == 304);
            if (h->cb.on_response) h->cb.on_response(h->arg, s->id, hd);
        } else {
            deliver_trailers(h, s);
        }
    }
    return 0;
}

static int on_frame_recv(nghttp2_session *ng, const nghttp2_frame *frame, void *ud)
{
    dmsc_h2_t *h = ud;
    h2_stream_t *s;
    switch (frame->hd.type) {
    case NGHTTP2_HEADERS:
    case NGHTTP2_DATA:
        s = nghttp2_session_get_stream_user_data(ng, frame->hd.stream_id);
        if (!s) return 0;
        if (frame->hd.type == NGHTTP2_HEADERS) on_headers_recv(h, frame, s);
        if ((frame->hd.flags & NGHTTP2_FLAG_END_STREAM) && s->announced && !s->rejected &&
            !s->resetting && h->cb.on_end)
            h->cb.on_end(h->arg, s->id);
        return 0;
    default:
        return 0;
    }
}

static int on_data_chunk(nghttp2_session *ng, uint8_t flags, int32_t id, const uint8_t *data,
                         size_t len, void *ud)
{
    dmsc_h2_t *h = ud;
    h2_stream_t *s = nghttp2_session_get_stream_user_data(ng, id);
    if (!s || !s->announced || s->rejected || s->resetting || !h->cb.on_data) {
        nghttp2_session_consume(ng, id, len);
        return 0;
    }
    s->unconsumed += len;
    h->cb.on_data(h->arg, id, data, len);
    return 0;
}

static int on_stream_close(nghttp2_session *ng, int32_t id, uint32_t code, void *ud)
{
    dmsc_h2_t *h = ud;
    h2_stream_t *s = nghttp2_session_get_stream_user_data(ng, id);
    if (!s) return 0;
    if (s->unconsumed) nghttp2_session_consume_connection(ng, (size_t)s->unconsumed);
    nghttp2_session_set_stream_user_data(ng, id, NULL);
    bool announced = s->announced;
    stream_free(s);
    if (announced && h->cb.on_close) h->cb.on_close(h->arg, id, code);
    return 0;
}

static int on_frame_send(nghttp2_session *ng, const nghttp2_frame *frame, void *ud)
{
    dmsc_h2_t *h = ud;
    if (frame->hd.type == NGHTTP2_GOAWAY && frame->goaway.error_code != NGHTTP2_NO_ERROR) {
        /* some connection errors reach us only here (see dmsc_h2_recv) */
        const nghttp2_goaway *g = &frame->goaway;
        snprintf(h->err, sizeof(h->err), "sent GOAWAY(%s): %.*s",
                 nghttp2_http2_strerror(g->error_code), (int)g->opaque_data_len,
                 g->opaque_data ? (const char *)g->opaque_data : "");
        return 0;
    }
    if (frame->hd.type != NGHTTP2_HEADERS) return 0;
    h2_stream_t *s = nghttp2_session_get_stream_user_data(ng, frame->hd.stream_id);
    if (s && s->rst_after_head) {
        s->rst_after_head = false;
        nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, s->id, NGHTTP2_NO_ERROR);
    }
    return 0;
}

/* A client request whose HEADERS could not be sent (peer GOAWAY, session
 * closing): nghttp2 never opened the stream, so on_stream_close will not
 * come. */
static int on_frame_not_send(nghttp2_session *ng, const nghttp2_frame *frame, int err, void *ud)
{
    dmsc_h2_t *h = ud;
    if (frame->hd.type != NGHTTP2_HEADERS || h->server) return 0;
    if (nghttp2_session_get_stream_user_data(ng, frame->hd.stream_id)) return 0; /* open */
    h2_stream_t *s = stream_find(h, frame->hd.stream_id);
    if (!s) return 0;
    int32_t id = s->id;
    bool announced = s->announced;
    uint32_t code = s->resetting ? s->reset_code : NGHTTP2_REFUSED_STREAM;
    stream_free(s);
    if (announced && h->cb.on_close) h->cb.on_close(h->arg, id, code);
    return 0;
}

static int on_error(nghttp2_session *ng, int lib_error_code, const char *msg, size_t len, void *ud)
{
    dmsc_h2_t *h = ud;
    /* also called for stream-level problems (a bad header field): those
     * only reset the stream */
    if (lib_error_code == NGHTTP2_ERR_HTTP_HEADER || lib_error_code == NGHTTP2_ERR_HTTP_MESSAGING)
        return 0;
    h->conn_error = true;
    snprintf(h->err, sizeof(h->err), "%.*s", (int)len, msg);
    return 0;
}

static int on_invalid_frame(nghttp2_session *ng, const nghttp2_frame *frame, int lib_error_code,
                            void *ud)
{
    dmsc_h2_t *h = ud;
    /* frames on stream 0 are connection-level; stream errors only reset */
    if (frame->hd.stream_id == 0) {
        h->conn_error = true;
        snprintf(h->err, sizeof(h->err), "%s", nghttp2_strerror(lib_error_code));
    }
    return 0;
}

static void mark_writable(dmsc_h2_t *h, h2_stream_t *s)
{
    if (s->blocked && s->qlen <= h->lim.send_queue_max / 2) {
        s->blocked = false;
        s->notify = true;
        h->notify = true;
    }
}

static ssize_t read_body(nghttp2_session *ng, int32_t id, uint8_t *buf, size_t len, uint32_t *flags,
                         nghttp2_data_source *src, void *ud)
{
    dmsc_h2_t *h = ud;
    h2_stream_t *s = src->ptr;
    size_t n = len < s->qlen ? len : s->qlen;
    if (n) {
        memcpy(buf, s->q + s->qoff, n);
        s->qoff += n;
        s->qlen -= n;
        if (s->qlen == 0) s->qoff = 0;
        mark_writable(h, s);
    }
    if (s->qlen == 0 && s->local_end) {
        *flags |= NGHTTP2_DATA_FLAG_EOF;
        if (s->trl) {
            *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
            int rv = nghttp2_submit_trailer(ng, id, s->trl, s->ntrl);
            free(s->trl);
            s->trl = NULL;
            if (rv != 0) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
        }
        return (ssize_t)n;
    }
    if (n == 0) {
        s->deferred = true;
        return NGHTTP2_ERR_DEFERRED;
    }
    return (ssize_t)n;
}

/* ---- construction ---- */

static int limits_init(dmsc_h2_limits_t *l, const dmsc_h2_limits_t *in)
{
    dmsc_h2_limits_t z = {0};
    if (!in) in = &z;
    *l = *in;
    if (!l->max_concurrent_streams) l->max_concurrent_streams = DMSC_H2_MAX_STREAMS_DEFAULT;
    if (!l->max_header_list) l->max_header_list = DMSC_H2_HEADER_LIST_DEFAULT;
    if (!l->send_queue_max) l->send_queue_max = DMSC_H2_SEND_QUEUE_DEFAULT;
    if (!l->stream_window) l->stream_window = DMSC_H2_STREAM_WINDOW_DEFAULT;
    if (!l->conn_window) l->conn_window = DMSC_H2_CONN_WINDOW_DEFAULT;
    if (l->max_header_list > DMSC_HTTP_HEAD_MAX_LIMIT) return DMSC_EINVAL;
    if (l->stream_window < 65535 || l->stream_window > NGHTTP2_MAX_WINDOW_SIZE) return DMSC_EINVAL;
    if (l->conn_window < 65535 || l->conn_window > NGHTTP2_MAX_WINDOW_SIZE) return DMSC_EINVAL;
    return 0;
}

static int session_new(dmsc_h2_t **out, const dmsc_h2_callbacks_t *cb, void *arg,
                       const dmsc_h2_limits_t *lim, bool server)
{
    int rc;
    *out = NULL;
    dmsc_h2_t *h = calloc(1, sizeof(*h));
    if (!h) return DMSC_ENOMEM;
    rc = limits_init(&h->lim, lim);
    if (rc) goto fail_limits;
    if (cb) h->cb = *cb;
    h->arg = arg;
    h->server = server;
    rc = DMSC_ENOMEM;
    h->hbuf = malloc(h->lim.max_header_list);
    if (!h->hbuf) goto fail_hbuf;

    nghttp2_session_callbacks *cbs;
    if (nghttp2_session_callbacks_new(&cbs) != 0) goto fail_cbs;
    nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data_chunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close);
    nghttp2_session_callbacks_set_on_frame_not_send_callback(cbs, on_frame_not_send);
    nghttp2_session_callbacks_set_on_frame_send_callback(cbs, on_frame_send);
    nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(cbs, on_invalid_frame);
    nghttp2_session_callbacks_set_error_callback2(cbs, on_error);

    nghttp2_option *opt;
    if (nghttp2_option_new(&opt) != 0) goto fail_opt;
    nghttp2_option_set_no_auto_window_update(opt, 1);

    int r = server ? nghttp2_session_server_new2(&h->ng, cbs, h, opt)
                   : nghttp2_session_client_new2(&h->ng, cbs, h, opt);
    nghttp2_option_del(opt);
    nghttp2_session_callbacks_del(cbs);
    if (r != 0) goto fail_session;

    nghttp2_settings_entry iv[4];
    size_t niv = 0;
    iv[niv++] = (nghttp2_settings_entry){NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS,
                                         h->lim.max_concurrent_streams};
    iv[niv++] =
        (nghttp2_settings_entry){NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, h->lim.stream_window};
    iv[niv++] =
        (nghttp2_settings_entry){NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, h->lim.max_header_list};
    if (!server) iv[niv++] = (nghttp2_settings_entry){NGHTTP2_SETTINGS_ENABLE_PUSH, 0};
    if (nghttp2_submit_settings(h->ng, NGHTTP2_FLAG_NONE, iv, niv) != 0) goto fail_settings;
    if (h->lim.conn_window > 65535 &&
        nghttp2_session_set_local_window_size(h->ng, NGHTTP2_FLAG_NONE, 0,
                                              (int32_t)h->lim.conn_window) != 0)
        goto fail_settings;
    *out = h;
    return 0;

fail_settings:
    nghttp2_session_del(h->ng);
    goto fail_session;
fail_opt:
    nghttp2_session_callbacks_del(cbs);
fail_session:
fail_cbs:
    free(h->hbuf);
fail_hbuf:
fail_limits:
    free(h);
    return rc;
}

int dmsc_h2_server_new(dmsc_h2_t **out, const dmsc_h2_callbacks_t *cb, void *arg,
                       const dmsc_h2_limits_t *lim)
{
    return session_new(out, cb, arg, lim, true);
}

int dmsc_h2_client_new(dmsc_h2_t **out, const dmsc_h2_callbacks_t *cb, void *arg,
                       const dmsc_h2_limits_t *lim)
{
    return session_new(out, cb, arg, lim, false);
}

void dmsc_h2_free(dmsc_h2_t *h)
{
    if (!h) return;
    nghttp2_session_del(h->ng);
    while (h->streams)
        stream_free(h->streams);
    free(h->hbuf);
    free(h);
}

/* ---- I/O ---- */

int dmsc_h2_recv(dmsc_h2_t *h, const uint8_t *p, size_t n)
{
    if (h->failed) return DMSC_EINVAL;
    h->conn_error = false;
    ssize_t rv = nghttp2_session_mem_recv(h->ng, p, n);
    if (rv < 0) {
        if (!h->conn_error) snprintf(h->err, sizeof(h->err), "%s", nghttp2_strerror((int)rv));
        h->failed = true;
        if (rv == NGHTTP2_ERR_NOMEM) {
            h->fatal = true;
            return DMSC_ENOMEM;
        }
        /* nghttp2 returns e.g. BAD_CLIENT_MAGIC or FLOODED without queuing
         * a GOAWAY: queue one so the peer learns why */
        if (nghttp2_session_terminate_session(h->ng, NGHTTP2_PROTOCOL_ERROR) != 0) h->fatal = true;
        return DMSC_EINVAL;
    }
    if (h->conn_error) {
        h->failed = true;
        return DMSC_EINVAL;
    }
    return 0;
}

size_t dmsc_h2_pending(dmsc_h2_t *h, const uint8_t **p)
{
    *p = NULL;
    if (h->fatal) return 0;
    ssize_t n = nghttp2_session_mem_send(h->ng, p);
    if (n < 0) {
        snprintf(h->err, sizeof(h->err), "%s", nghttp2_strerror((int)n));
        h->fatal = true;
        *p = NULL;
        return 0;
    }
    if (h->notify) {
        h->notify = false;
        for (h2_stream_t *s = h->streams; s; s = s->next) {
            if (!s->notify) continue;
            s->notify = false;
            if (h->cb.on_writable) h->cb.on_writable(h->arg, s->id);
        }
    }
    return (size_t)n;
}

bool dmsc_h2_want_close(dmsc_h2_t *h)
{
    return h->fatal || (!nghttp2_session_want_read(h->ng) && !nghttp2_session_want_write(h->ng));
}

int dmsc_h2_shutdown(dmsc_h2_t *h)
{
    int32_t last = h->server ? nghttp2_session_get_last_proc_stream_id(h->ng) : 0;
    int rv = nghttp2_submit_goaway(h->ng, NGHTTP2_FLAG_NONE, last, NGHTTP2_NO_ERROR, NULL, 0);
    return rv == 0 ? 0 : from_ng(rv);
}

const char *dmsc_h2_last_error(const dmsc_h2_t *h)
{
    return h->err;
}

/* ---- sending ---- */

/* Build an nv array: `pre` pseudo-headers first, then the cleaned fields
 * with lowercased names. One allocation holds the array and the names. */
static int build_nv(nghttp2_nv **out, size_t *nout, const nghttp2_nv *pre, size_t npre,
                    const dmsc_http_field_t *f, size_t n, bool request, bool drop_host)
{
    size_t names = 0;
    for (size_t i = 0; i < n; i++) {
        if (!f[i].name || f[i].name_len == 0 || f[i].name[0] == ':') return DMSC_EINVAL;
        if (f[i].value_len && !f[i].value) return DMSC_EINVAL;
        names += f[i].name_len;
    }
    nghttp2_nv *nv = malloc((npre + n) * sizeof(*nv) + names + 1);
    if (!nv) return DMSC_ENOMEM;
    char *lc = (char *)(nv + npre + n);
    size_t k = 0;
    for (size_t i = 0; i < npre; i++)
        nv[k++] = pre[i];
    for (size_t i = 0; i < n; i++) {
        if (is_hop_field(&f[i], request)) continue;
        if (drop_host && dmsc_http_token_eq(f[i].name, f[i].name_len, "host")) continue;
        for (size_t j = 0; j < f[i].name_len; j++) {
            char c = f[i].name[j];
            lc[j] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
        }
        nv[k++] = (nghttp2_nv){(uint8_t *)lc, (uint8_t *)(f[i].value ? f[i].value : ""),
                               f[i].name_len, f[i].value_len, NGHTTP2_NV_FLAG_NONE};
        lc += f[i].name_len;
    }
    *out = nv;
    *nout = k;
    return 0;
}

int dmsc_h2_respond(dmsc_h2_t *h, int32_t stream, int status, const dmsc_http_field_t *f, size_t n,
                    bool end)
{
    h2_stream_t *s = h->server ? stream_find(h, stream) : NULL;
    if (!s || !s->announced || s->head_sent || s->resetting) return DMSC_EINVAL;
    if (status < 200 || status > 999) return DMSC_EINVAL;
    char st[4];
    snprintf(st, sizeof(st), "%03d", status);
    nghttp2_nv pre[] = {{(uint8_t *)":status", (uint8_t *)st, 7, 3, NGHTTP2_NV_FLAG_NONE}};
    nghttp2_nv *nv;
    size_t nnv;
    int rc = build_nv(&nv, &nnv, pre, 1, f, n, false, false);
    if (rc) return rc;
    nghttp2_data_provider prd = {.source.ptr = s, .read_callback = read_body};
    int rv = nghttp2_submit_response(h->ng, stream, nv, nnv, end ? NULL : &prd);
    free(nv);
    if (rv != 0) return from_ng(rv);
    s->head_sent = true;
    s->local_end = end;
    return 0;
}

int32_t dmsc_h2_request(dmsc_h2_t *h, const dmsc_http_head_t *head, bool end)
{
    if (h->server || !head->method || !head->method_len || !head->target || !head->target_len)
        return DMSC_EINVAL;
    if (head->target[0] != '/' && !lit_eq(head->target, head->target_len, "*")) return DMSC_EINVAL;
    if (lit_eq(head->method, head->method_len, "CONNECT")) return DMSC_EINVAL;
    if (!nghttp2_session_check_request_allowed(h->ng)) return DMSC_EINVAL;
    const char *auth = head->authority;
    size_t auth_len = head->authority_len;
    for (size_t i = 0; !auth && i < head->nfields; i++) {
        if (dmsc_http_token_eq(head->fields[i].name, head->fields[i].name_len, "host")) {
            auth = head->fields[i].value;
            auth_len = head->fields[i].value_len;
        }
    }
    nghttp2_nv pre[4];
    size_t npre = 0;
    pre[npre++] = (nghttp2_nv){(uint8_t *)":method", (uint8_t *)head->method, 7, head->method_len,
                               NGHTTP2_NV_FLAG_NONE};
    pre[npre++] = (nghttp2_nv){(uint8_t *)":scheme", (uint8_t *)"http", 7, 4, NGHTTP2_NV_FLAG_NONE};
    if (auth)
        pre[npre++] = (nghttp2_nv){(uint8_t *)":authority", (uint8_t *)auth, 10, auth_len,
                                   NGHTTP2_NV_FLAG_NONE};
    pre[npre++] = (nghttp2_nv){(uint8_t *)":path", (uint8_t *)head->target, 5, head->target_len,
                               NGHTTP2_NV_FLAG_NONE};
    nghttp2_nv *nv;
    size_t nnv;
    int rc = build_nv(&nv, &nnv, pre, npre, head->fields, head->nfields, true, auth != NULL);
    if (rc) return rc;
    h2_stream_t *s = stream_new(h, 0);
    if (!s) {
        free(nv);
        return DMSC_ENOMEM;
    }
    nghttp2_data_provider prd = {.source.ptr = s, .read_callback = read_body};
    int32_t id = nghttp2_submit_request(h->ng, NULL, nv, nnv, end ? NULL : &prd, s);
    free(nv);
    if (id < 0) {
        stream_free(s);
        return from_ng(id);
    }
    s->id = id;
    s->announced = true;
    s->head_sent = true;
    s->local_end = end;
    s->head_request = lit_eq(head->method, head->method_len, "HEAD");
    return id;
}

static int resume(dmsc_h2_t *h, h2_stream_t *s)
{
    if (!s->deferred) return 0;
    s->deferred = false;
    int rv = nghttp2_session_resume_data(h->ng, s->id);
    return rv == 0 || rv == NGHTTP2_ERR_INVALID_ARGUMENT ? 0 : from_ng(rv);
}

static h2_stream_t *sendable(dmsc_h2_t *h, int32_t stream)
{
    h2_stream_t *s = stream_find(h, stream);
    if (!s || !s->announced || !s->head_sent || s->local_end || s->resetting) return NULL;
    return s;
}

int dmsc_h2_send_data(dmsc_h2_t *h, int32_t stream, const uint8_t *p, size_t n, bool end)
{
    h2_stream_t *s = sendable(h, stream);
    if (!s || n > h->lim.send_queue_max || (n && !p)) return DMSC_EINVAL;
    if (n > h->lim.send_queue_max - s->qlen) {
        s->blocked = true;
        return DMSC_ENOBUFS;
    }
    if (n) {
        if (s->qoff + s->qlen + n > s->qcap) {
            if (s->qlen + n <= s->qcap) {
                memmove(s->q, s->q + s->qoff, s->qlen);
            } else {
                size_t cap = s->qcap ? s->qcap : 16384;
                while (cap < s->qlen + n)
                    cap *= 2;
                if (cap > h->lim.send_queue_max) cap = h->lim.send_queue_max;
                uint8_t *q = malloc(cap);
                if (!q) return DMSC_ENOMEM;
                if (s->qlen) memcpy(q, s->q + s->qoff, s->qlen);
                free(s->q);
                s->q = q;
                s->qcap = cap;
            }
            s->qoff = 0;
        }
        memcpy(s->q + s->qoff + s->qlen, p, n);
        s->qlen += n;
    }
    if (end) s->local_end = true;
    return resume(h, s);
}

int dmsc_h2_send_trailers(dmsc_h2_t *h, int32_t stream, const dmsc_http_field_t *f, size_t n)
{
    h2_stream_t *s = sendable(h, stream);
    if (!s || n == 0) return DMSC_EINVAL;
    /* one block: nv array, then lowercased names and values */
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++) {
        if (!f[i].name || f[i].name_len == 0 || f[i].name[0] == ':') return DMSC_EINVAL;
        if (f[i].value_len && !f[i].value) return DMSC_EINVAL;
        bytes += f[i].name_len + f[i].value_len;
    }
    nghttp2_nv *nv = malloc(n * sizeof(*nv) + bytes + 1);
    if (!nv) return DMSC_ENOMEM;
    char *d = (char *)(nv + n);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (is_hop_field(&f[i], false)) continue;
        char *name = d;
        for (size_t j = 0; j < f[i].name_len; j++) {
            char c = f[i].name[j];
            *d++ = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
        }
        char *value = d;
        if (f[i].value_len) memcpy(d, f[i].value, f[i].value_len);
        d += f[i].value_len;
        nv[k++] = (nghttp2_nv){(uint8_t *)name, (uint8_t *)value, f[i].name_len, f[i].value_len,
                               NGHTTP2_NV_FLAG_NONE};
    }
    if (k == 0) {
        free(nv);
        return DMSC_EINVAL;
    }
    s->trl = nv;
    s->ntrl = k;
    s->local_end = true;
    return resume(h, s);
}

int dmsc_h2_reset(dmsc_h2_t *h, int32_t stream, uint32_t error_code)
{
    h2_stream_t *s = stream_find(h, stream);
    if (!s || !s->announced) return DMSC_EINVAL;
    if (s->resetting) return 0;
    int rv = nghttp2_submit_rst_stream(h->ng, NGHTTP2_FLAG_NONE, stream, error_code);
    if (rv != 0) return from_ng(rv);
    s->resetting = true;
    s->reset_code = error_code;
    s->local_end = true;
    s->qlen = s->qoff = 0;
    free(s->trl);
    s->trl = NULL;
    return 0;
}

size_t dmsc_h2_queued(dmsc_h2_t *h, int32_t stream)
{
    h2_stream_t *s = stream_find(h, stream);
    return s ? s->qlen : 0;
}

void dmsc_h2_consumed(dmsc_h2_t *h, int32_t stream, size_t n)
{
    h2_stream_t *s = stream_find(h, stream);
    if (!s || n == 0) return;
    if (n > s->unconsumed) n = (size_t)s->unconsumed;
    s->unconsumed -= n;
    if (n) nghttp2_session_consume(h->ng, stream, n);
}
