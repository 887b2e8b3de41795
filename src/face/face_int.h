/*
 * Internals of the face system, shared by the files of src/face/ only.
 *
 *   facetable.c   the table: ids, lifecycle, deferred work, fw glue
 *   link.c        NDNLPv2 link service (rx decode, reassembly, tx encode, fragmentation)
 *   udp.c         UDP channel (one socket per family, recvmmsg) and unicast faces
 *   stream.c      stream faces (TCP, Unix): TLV framing, bounded send queue
 *                 written with one writev per loop turn
 *   tcp.c unix.c  listeners and outgoing connects
 *   app.c         in-process app faces
 *   ring.c        bounded FIFO of variable-size entries (send and app queues)
 *   map.c         u64 -> pointer open-addressing hash map
 *   uri.c         face URI parse/format
 */
#ifndef DMSC_FACE_FACE_INT_H
#define DMSC_FACE_FACE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <uv.h>

#include "face/face.h"
#include "base/log.h"
#include "fw/fw.h"
#include "ndn/lpfrag.h"

/* ---- map: u64 key (never 0) -> pointer ---- */
typedef struct {
    uint64_t *keys;
    void **vals;
    uint32_t cap; /* power of two, or 0 */
    uint32_t n;
} dmsc__map_t;

void dmsc__map_init(dmsc__map_t *m);
void dmsc__map_free(dmsc__map_t *m);
void *dmsc__map_get(const dmsc__map_t *m, uint64_t key);
/* 0 or DMSC_ENOMEM; replaces an existing value. */
int dmsc__map_put(dmsc__map_t *m, uint64_t key, void *val);
void dmsc__map_del(dmsc__map_t *m, uint64_t key);
/* Iterate: i from 0; returns the next value at or after *i, or NULL. */
void *dmsc__map_next(const dmsc__map_t *m, uint32_t *i);

/* ---- ring: bounded FIFO of variable-size entries, contiguous each ---- */
typedef struct {
    uint8_t *buf;
    size_t cap;
    size_t head, tail;
    uint32_t count;
    size_t bytes; /* payload bytes held (what limits count against) */
} dmsc__ring_t;

/* Allocates cap bytes (rounded up to 8). 0 or DMSC_ENOMEM. */
int dmsc__ring_alloc(dmsc__ring_t *r, size_t cap);
void dmsc__ring_release(dmsc__ring_t *r);
/* Reserve an entry of n bytes at the tail; NULL if it does not fit. */
void *dmsc__ring_push(dmsc__ring_t *r, size_t n);
/* Entry at the head (NULL if empty); *n its size. */
void *dmsc__ring_peek(dmsc__ring_t *r, size_t *n);
void dmsc__ring_pop(dmsc__ring_t *r);
/* Iterate from the head without popping: *pos starts at (size_t)-1. */
void *dmsc__ring_iter(dmsc__ring_t *r, size_t *pos, uint32_t *k, size_t *n);
/* Bytes an entry of n bytes occupies. */
static inline size_t dmsc__ring_entry_size(size_t n)
{
    return 8 + ((n + 7) & ~(size_t)7);
}

/* ---- faces ---- */

typedef struct dmsc__face dmsc__face_t;

/* A transport: how a face's link packets reach the wire. */
typedef struct {
    const char *kind; /* "udp", "tcp", "unix", "app" */
    /* Send one link packet, the concatenation of iov[0..iovcnt) (len bytes).
     * Must not close the face synchronously (use dmsc__face_fail).
     * 0, or <0 when dropped (the caller counts it). NULL for app faces. */
    int (*send)(dmsc__face_t *f, const struct iovec *iov, int iovcnt, size_t len);
    /* Faces without a link service (app): take the network packet itself. */
    int (*send_pkt)(dmsc__face_t *f, const dmsc_pkt_t *pkt);
    /* Release OS resources; call dmsc__face_release(f) once nothing of the
     * transport refers to f any more (possibly later, from a close callback). */
    void (*close)(dmsc__face_t *f);
    /* Fill the transport part of the counters (queue bytes); may be NULL. */
    void (*stats)(const dmsc__face_t *f, dmsc_face_link_counters_t *out);
    /* Bytes waiting in the face's send queue (congestion marking); NULL for
     * transports without one. */
    size_t (*queued)(const dmsc__face_t *f);
} dmsc__transport_ops_t;

enum { DMSC__FACE_UP = 0, DMSC__FACE_CLOSING = 1 };

struct dmsc__face {
    dmsc_facetable_t *ft;
    const dmsc__transport_ops_t *ops;
    dmsc_faceid_t id;
    uint8_t state;
    bool datagram;      /* UDP: fragmentation applies */
    bool in_pending;    /* on ft->pending */
    bool want_close;    /* destroy from the pending list */
    bool want_deliver;  /* app face: queued packets to hand to the app */
    bool release_ready; /* transport done; free when off the pending list and not busy */
    bool busy;          /* its deferred work is running (on_defer) */
    bool dynamic;       /* counted against max_faces */
    bool want_error;    /* tell the error listeners (deferred): unreach_err */
    int unreach_err;    /* errno of the last unreachable report (ECONNREFUSED, ...) */
    int scope, persistency, link_type;
    uint32_t flags;
    uint32_t mtu;      /* datagram: largest link packet sent; 0 for streams */
    size_t rx_max;     /* decode ceiling for one link packet */
    size_t tx_max;     /* largest network packet sent */
    uint64_t frag_seq; /* next Sequence for fragments */
    uint64_t last_rx_ms, last_tx_ms;
    /* congestion marking (NFD GenericLinkService::checkCongestionLevel):
     * next time (us) a packet is marked while the queue stays above the
     * threshold (0: not in a congestion episode), marks in this episode */
    uint64_t cm_next_us;
    uint32_t cm_marked;
    dmsc_face_link_counters_t lc;
    const char *close_why; /* reason given to dmsc__face_fail */
    dmsc__face_t *pending_next;
    char remote_uri[DMSC_FACE_URI_MAX];
    char local_uri[DMSC_FACE_URI_MAX];
};

typedef struct dmsc__listener dmsc__listener_t;
struct dmsc__listener {
    dmsc__listener_t *next;
    void (*close)(dmsc__listener_t *l); /* frees l (maybe later) */
};

typedef struct {
    void (*cb)(void *arg, dmsc_faceid_t id);
    void *arg;
} dmsc__close_listener_t;

typedef struct {
    void (*cb)(void *arg, dmsc_faceid_t id, int err);
    void *arg;
} dmsc__error_listener_t;

/* ---- pending asynchronous operations (connects, name resolution) ---- */
typedef struct dmsc__op dmsc__op_t;
struct dmsc__op {
    dmsc__op_t *prev, *next;
    void (*cancel)(dmsc__op_t *op); /* at shutdown: abort, report failure, free later */
};

typedef struct dmsc__udp_channel dmsc__udp_channel_t;
typedef struct dmsc__stream_face dmsc__stream_face_t;

struct dmsc_facetable {
    uv_loop_t *loop;
    dmsc_facetable_config_t cfg;
    dmsc_fw_t *fw;
    dmsc__map_t byid;
    dmsc_faceid_t next_id;
    uint32_t n_dynamic;
    dmsc__listener_t *listeners;
    dmsc__op_t ops;                   /* list head of pending operations */
    dmsc__udp_channel_t *udp4, *udp6; /* channels outgoing UDP faces send from */
    dmsc_lpfrag_reasm_t *reasm;
    uint8_t *reasm_out;
    size_t reasm_out_cap;
    uint8_t *stream_rxbuf; /* shared read buffer of stream faces */
    size_t stream_rxbuf_cap;
    uv_idle_t defer; /* runs ft->pending */
    /* write what faces queued: after the I/O callbacks of a loop turn (check,
     * started on demand) and, for sends from timers, deferred work and other
     * prepare handles, before the loop blocks in poll (prepare, always on) */
    uv_check_t flush;
    uv_prepare_t flush_prep;
    dmsc__stream_face_t *flush_head;     /* stream faces with unwritten queued packets */
    dmsc__udp_channel_t *udp_flush_head; /* UDP channels with queued datagrams */
    uv_timer_t sweep; /* UDP idle/keep-alive, reassembly expiry, queue trimming */
    dmsc__face_t *pending, **pending_tail;
    dmsc__close_listener_t *on_close;
    size_t n_on_close;
    dmsc__error_listener_t *on_error; /* dmsc_facetable_on_error */
    size_t n_on_error;
    dmsc_ratelimit_t drop_rl;
    int in_fw; /* >0 while the face layer is inside the forwarder */
    bool shutting_down;
    uint64_t hash_seed;
};

/* ---- facetable.c ---- */

/* Initialise the common part of a face (id not assigned yet). */
void dmsc__face_init(dmsc__face_t *f, dmsc_facetable_t *ft, const dmsc__transport_ops_t *ops);
/* Assign an id (want 0: next dynamic), insert, register with the forwarder.
 * 0, DMSC_ENOBUFS (max_faces), DMSC_EINVAL (id taken), DMSC_ENOMEM. */
int dmsc__face_add(dmsc__face_t *f, dmsc_faceid_t want);
/* Remove from the table and the forwarder, tell listeners, close the
 * transport. Safe to call once the face is in the table; no-op if closing. */
void dmsc__face_destroy(dmsc__face_t *f, const char *why);
/* Destroy later (from the deferred-work callback): for errors found while
 * inside a send. */
void dmsc__face_fail(dmsc__face_t *f, const char *why);
/* The transport learned that f's remote endpoint is unreachable (err: errno,
 * e.g. ECONNREFUSED from an ICMP port unreachable): tell the error listeners
 * from deferred work (safe inside a send or the forwarder). No-op if closing. */
void dmsc__face_unreachable(dmsc__face_t *f, int err);
/* The transport has let go of f: free it (now or when off the pending list). */
void dmsc__face_release(dmsc__face_t *f);
/* Put f on the deferred-work list. */
void dmsc__face_schedule(dmsc__face_t *f);
dmsc__face_t *dmsc__face_get(dmsc_facetable_t *ft, dmsc_faceid_t id);
void dmsc__listener_add(dmsc_facetable_t *ft, dmsc__listener_t *l);
/* Count and (rate-limited) log a drop below the forwarder. id may be 0. */
void dmsc__drop(dmsc_facetable_t *ft, dmsc_faceid_t id, int reason, int err, const char *where);
/* Run dmsc__stream_flush and dmsc__udp_flush before the loop next blocks:
 * after this turn's I/O callbacks, or before polling if the send came from
 * a timer or deferred work. */
void dmsc__flush_schedule(dmsc_facetable_t *ft);
/* Give one network packet to the forwarder. */
void dmsc__deliver(dmsc__face_t *f, const dmsc_pkt_t *pkt, uint64_t now_ns);

/* ---- link.c ---- */
/* One link packet (bare Interest/Data or LpPacket) received on f. */
void dmsc__link_rx(dmsc__face_t *f, const uint8_t *p, size_t n, uint64_t now_ns);
/* Send a network packet on f (LP header, fragmentation). 0 or <0. */
int dmsc__link_tx(dmsc__face_t *f, const dmsc_pkt_t *pkt);
/* Send an IDLE LpPacket (keep-alive). */
void dmsc__link_tx_idle(dmsc__face_t *f);

/* ---- udp.c ---- */
int dmsc__udp_create(dmsc_facetable_t *ft, const struct sockaddr *sa, int persistency,
                     uint32_t flags, dmsc_faceid_t *out);
/* Periodic: idle timeout and keep-alive of one UDP face. */
void dmsc__udp_sweep(dmsc__face_t *f, uint64_t now_ms);
bool dmsc__face_is_udp(const dmsc__face_t *f);
/* Send what every UDP channel queued during this loop turn. */
void dmsc__udp_flush(dmsc_facetable_t *ft);

/* ---- stream.c / tcp.c / unix.c ---- */
/* Write what every stream face queued during this loop turn. */
void dmsc__stream_flush(dmsc_facetable_t *ft);
/* Allocate a stream face around an initialised handle type (UV_TCP / UV_NAMED_PIPE). */
dmsc__stream_face_t *dmsc__stream_new(dmsc_facetable_t *ft, const dmsc__transport_ops_t *ops);
uv_stream_t *dmsc__stream_handle(dmsc__stream_face_t *sf);
dmsc__face_t *dmsc__stream_face(dmsc__stream_face_t *sf);
/* Register and start reading. On failure the stream face is closed and freed. */
int dmsc__stream_start(dmsc__stream_face_t *sf, dmsc_faceid_t *out);
/* Free a stream face that never started (closes its handles). */
void dmsc__stream_abort(dmsc__stream_face_t *sf);
/* The handle (tcp/pipe) was initialised with uv_*_init: close it with the face. */
void dmsc__stream_mark_init(dmsc__stream_face_t *sf);
/* Outgoing connect: set up the request (connected() fills URIs and scope
 * once connected), issue uv_tcp_connect/uv_pipe_connect with
 * dmsc__stream_on_connect, then call dmsc__stream_connect_started (timeout,
 * cancellation at shutdown). cb runs once with the outcome. */
uv_connect_t *dmsc__stream_connect_req(dmsc__stream_face_t *sf, int persistency, uint32_t flags,
                                       dmsc_face_created_cb cb, void *arg,
                                       void (*connected)(dmsc__stream_face_t *));
void dmsc__stream_on_connect(uv_connect_t *req, int status);
void dmsc__stream_connect_started(dmsc__stream_face_t *sf);
/* Periodic: give back an empty send queue's memory. */
void dmsc__stream_sweep(dmsc__face_t *f);
bool dmsc__face_is_stream(const dmsc__face_t *f);
extern const dmsc__transport_ops_t dmsc__tcp_ops;
extern const dmsc__transport_ops_t dmsc__unix_ops;
int dmsc__tcp_connect(dmsc_facetable_t *ft, const struct sockaddr *sa, int persistency,
                      uint32_t flags, dmsc_face_created_cb cb, void *arg);
int dmsc__unix_connect(dmsc_facetable_t *ft, const char *path, int persistency, uint32_t flags,
                       dmsc_face_created_cb cb, void *arg);

/* ---- app.c ---- */
/* Deferred work of an app face: hand queued packets to the app, and queued
 * app packets to the forwarder. */
void dmsc__app_deliver(dmsc__face_t *f);

void dmsc__op_add(dmsc_facetable_t *ft, dmsc__op_t *op);
void dmsc__op_remove(dmsc_facetable_t *ft, dmsc__op_t *op);

/* ---- uri.c ---- */
enum { DMSC__URI_UDP = 1, DMSC__URI_TCP = 2, DMSC__URI_UNIX = 3 };
typedef struct {
    int scheme;     /* DMSC__URI_* */
    int family;     /* AF_INET, AF_INET6, or AF_UNSPEC (udp://, tcp:// with a name) */
    char host[256]; /* as written (brackets removed) */
    uint16_t port;
    char path[108]; /* unix */
    bool numeric;   /* host is an address literal; sa is filled */
    struct sockaddr_storage sa;
} dmsc__uri_t;
/* Parse a face URI. 0, DMSC_EINVAL, DMSC_ENOTSUP (scheme). */
int dmsc__uri_parse(const char *uri, dmsc__uri_t *u);
/* "udp4://1.2.3.4:5" / "tcp6://[::1]:5" from a socket address (v4-mapped
 * IPv6 addresses print as IPv4). */
void dmsc__uri_from_sa(char *out, size_t cap, const char *proto, const struct sockaddr *sa);
/* Map an IPv4-mapped IPv6 address to AF_INET in place. */
void dmsc__sa_unmap(struct sockaddr_storage *ss);
bool dmsc__sa_is_loopback(const struct sockaddr *sa);
socklen_t dmsc__sa_len(const struct sockaddr *sa);

/* ---- time ---- */
static inline uint64_t dmsc__now_ms(const dmsc_facetable_t *ft)
{
    return uv_now(ft->loop);
}

#endif
