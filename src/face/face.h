/*
 * Faces: the face table seen from above (management, daemon, routing).
 * Transports (udp, tcp, unix, app) and the NDNLPv2 link service live in
 * the .c files of src/face/; this header is the contract other layers use.
 */
#ifndef DMSC_FACE_FACE_H
#define DMSC_FACE_FACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fw/fw.h"

/* FacePersistency (NFD) */
enum {
    DMSC_FACE_PERSISTENT = 0,
    DMSC_FACE_ON_DEMAND = 1,
    DMSC_FACE_PERMANENT = 2,
};
/* LinkType (NFD) */
enum { DMSC_LINK_P2P = 0, DMSC_LINK_MULTI_ACCESS = 1, DMSC_LINK_AD_HOC = 2 };
/* Face flags (NFD FaceFlags bits) */
enum {
    DMSC_FACE_FLAG_LOCAL_FIELDS = 1u << 0,   /* LocalFieldsEnabled */
    DMSC_FACE_FLAG_LP_RELIABILITY = 1u << 1, /* LpReliabilityEnabled (not implemented) */
    DMSC_FACE_FLAG_CONGESTION_MARKING = 1u << 2,
};

#define DMSC_FACE_URI_MAX 128

/* Link-service and transport counters of one face (what the forwarder
 * cannot see). Returned by dmsc_facetable_link_counters(). */
typedef struct {
    uint64_t in_lp_packets;   /* LpPackets and bare packets received */
    uint64_t in_idle;         /* LpPackets without Fragment (keep-alive) */
    uint64_t in_lp_invalid;   /* undecodable LpPacket or disallowed field */
    uint64_t in_net_invalid;  /* Fragment is not an Interest or Data */
    uint64_t in_frags;        /* fragments received */
    uint64_t in_reasm_drops;  /* fragments the reassembler dropped (bad, dup, timeout...) */
    uint64_t out_lp_packets;  /* LpPackets and bare packets sent (fragments count one each) */
    uint64_t out_frags;       /* of which fragments */
    uint64_t out_idle;        /* keep-alives sent */
    uint64_t out_drops;       /* send failed: queue full, socket error, too big */
    uint64_t out_cmarks;      /* packets sent with a CongestionMark this face added */
    uint64_t out_queue_bytes; /* stream faces: bytes queued now */
    uint64_t out_queue_hiwat; /* stream faces: highest queue bytes seen */
} dmsc_face_link_counters_t;

typedef struct {
    dmsc_faceid_t id;
    char remote_uri[DMSC_FACE_URI_MAX]; /* udp4://127.0.0.1:6363, tcp4://..., unix:///path,
                                           app://mgmt */
    char local_uri[DMSC_FACE_URI_MAX];
    int scope;       /* DMSC_SCOPE_* */
    int persistency; /* DMSC_FACE_* persistency */
    int link_type;   /* DMSC_LINK_* */
    uint32_t flags;  /* DMSC_FACE_FLAG_* */
    uint64_t mtu;    /* 0 = unlimited (stream faces) */
    const dmsc_fw_face_counters_t *counters;
    dmsc_face_link_counters_t link; /* as dmsc_facetable_link_counters() */
} dmsc_face_info_t;

typedef struct dmsc_facetable dmsc_facetable_t;

/* Completion of an asynchronous create (TCP connect): status 0 or <0. */
typedef void (*dmsc_face_created_cb)(void *arg, int status, dmsc_faceid_t id);

/* Create an outgoing face to remote_uri (udp4/udp6/tcp4/tcp6/udp/tcp "host:port";
 * unix:///path). If an equivalent face exists, cb gets its id with status
 * DMSC_EEXIST-like semantics: status 0 and existing=true is reported by
 * dmsc_facetable_find_uri() beforehand. Returns 0 if started (cb will run,
 * possibly synchronously), or a negative code (bad URI: DMSC_EINVAL,
 * unsupported scheme: DMSC_ENOTSUP).
 * Implementation notes: persistency must be PERSISTENT or PERMANENT
 * (DMSC_EINVAL otherwise, as NFD); LocalFields on a face that cannot be local
 * (UDP, non-loopback TCP) is DMSC_EINVAL; LpReliability is DMSC_ENOTSUP.
 * Numeric UDP: the face exists and cb ran before this returns. TCP and unix:
 * cb runs when the connection is up, or with DMSC_EINVAL when it fails or
 * times out (connect_timeout_ms), or at shutdown. A host name is resolved
 * first (uv_getaddrinfo). An existing on-demand face is upgraded to the
 * requested persistency (NFD). cb may be NULL. */
int dmsc_facetable_create(dmsc_facetable_t *ft, const char *remote_uri, int persistency,
                          uint32_t flags, dmsc_face_created_cb cb, void *arg);
/* Find a face by canonical remote URI; DMSC_FACEID_INVALID if none. */
dmsc_faceid_t dmsc_facetable_find_uri(dmsc_facetable_t *ft, const char *remote_uri);
/* Close and remove a face. DMSC_EINVAL if no such face. */
int dmsc_facetable_destroy(dmsc_facetable_t *ft, dmsc_faceid_t id);
/* Update persistency / flags (faces/update). Returns 0, DMSC_EINVAL (no such
 * face, persistency value out of range, LocalFields on a non-local face),
 * DMSC_ENOTSUP (LpReliability requested, or a persistency change of an app
 * face, which is always permanent). */
int dmsc_facetable_update(dmsc_facetable_t *ft, dmsc_faceid_t id, int persistency,
                          uint32_t flags_mask, uint32_t flags);
int dmsc_facetable_get(dmsc_facetable_t *ft, dmsc_faceid_t id, dmsc_face_info_t *out);
/* Visit every face; stops when cb returns non-zero. */
void dmsc_facetable_foreach(dmsc_facetable_t *ft, int (*cb)(void *arg, const dmsc_face_info_t *fi),
                            void *arg);
/* Register a listener told when any face goes away (RIB cleanup). */
void dmsc_facetable_on_close(dmsc_facetable_t *ft, void (*cb)(void *arg, dmsc_faceid_t id),
                             void *arg);
/* Register a listener told when a face's remote endpoint is reported
 * unreachable while the face stays open (routing: fast neighbor-failure
 * detection). UDP faces report the kernel's ICMP errors for their endpoint
 * (IP_RECVERR: port, host or network unreachable, i.e. the peer process or
 * host is gone) and sends refused with EHOSTUNREACH/ENETUNREACH (no route,
 * interface down). err is that errno value (ECONNREFUSED, EHOSTUNREACH,
 * ENETUNREACH, EHOSTDOWN). The listener runs from deferred work on a later
 * loop turn (never inside a send or the forwarder); reports of one turn are
 * merged into one call. A stale ICMP is possible: treat one report as a
 * hint, several as a fact. */
void dmsc_facetable_on_error(dmsc_facetable_t *ft, void (*cb)(void *arg, dmsc_faceid_t id, int err),
                             void *arg);

/* ======================================================================
 * Additions by the face-system implementation (additive: everything above
 * is unchanged). The daemon uses these to build the face system; management
 * and the admin API mostly need only the functions above.
 * ==================================================================== */

struct uv_loop_s; /* libuv; include <uv.h> to use */

/* Face-system limits and timers. Each is a hard ceiling or a period. */
typedef struct {
    size_t max_packet;            /* stream faces (tcp, unix): largest TLV accepted or sent,
                                     LP header included; a peer declaring more is disconnected.
                                     Default 8800 (NFD's MAX_NDN_PACKET_SIZE); <= 1 MiB */
    size_t send_queue_max;        /* stream faces: bytes queued behind a slow peer; past it
                                     packets are dropped (counted). Default 1 MiB */
    size_t app_queue_max;         /* app faces: bytes queued towards the app. Default 4 MiB */
    uint32_t max_faces;           /* dynamic faces (on-demand, created, accepted). Default 16384 */
    uint32_t udp_mtu;             /* largest UDP datagram sent; larger packets are fragmented
                                     (NDNLPv2). 576..65507, default 8800 */
    uint64_t udp_idle_timeout_ms; /* on-demand UDP face closed after this long without input.
                                     Default 600000 (NFD) */
    uint64_t udp_keepalive_ms;    /* persistent/permanent UDP faces send an IDLE LpPacket after
                                     this long without output. 0 = never. Default 25000 (NFD) */
    uint64_t connect_timeout_ms;  /* TCP connect. Default 5000 */
    uint64_t reconnect_max_ms;    /* reserved for reconnecting permanent TCP faces (not done
                                     yet: they close like persistent ones; dmscd re-creates
                                     its configured faces itself). Default 60000 */
} dmsc_facetable_config_t;

void dmsc_facetable_config_default(dmsc_facetable_config_t *cfg);

/* 0 or DMSC_EINVAL (no such face). */
int dmsc_facetable_link_counters(dmsc_facetable_t *ft, dmsc_faceid_t id,
                                 dmsc_face_link_counters_t *out);

/* Create the face table on a libuv loop. The forwarder is attached later
 * (it needs the table's io first):
 *     dmsc_facetable_new(&ft, loop, &cfg);
 *     dmsc_fw_io_t io; dmsc_facetable_fw_io(ft, &io);
 *     fw = dmsc_fw_new(&fwcfg, &io);
 *     dmsc_facetable_attach_fw(ft, fw);
 * Returns 0, DMSC_EINVAL (bad cfg) or DMSC_ENOMEM. */
int dmsc_facetable_new(dmsc_facetable_t **out, struct uv_loop_s *loop,
                       const dmsc_facetable_config_t *cfg);
/* The io the forwarder sends through (io->ctx is ft). */
void dmsc_facetable_fw_io(dmsc_facetable_t *ft, dmsc_fw_io_t *io);
/* Faces are registered with fw (dmsc_fw_face_add) as they come up. Attach
 * before any face exists. */
void dmsc_facetable_attach_fw(dmsc_facetable_t *ft, dmsc_fw_t *fw);
/* Apply new limits (send/app queue ceilings, max_faces, UDP timers, MTU for
 * faces created from now on). max_packet applies to new faces only. */
void dmsc_facetable_reconfigure(dmsc_facetable_t *ft, const dmsc_facetable_config_t *cfg);
/* Close every face and listener (faces are removed from the forwarder and
 * on_close listeners run). Handles close asynchronously: run the loop until
 * it has no more of them (uv_run) before dmsc_facetable_free(). */
void dmsc_facetable_shutdown(dmsc_facetable_t *ft);
/* Free the table. Call after shutdown and after the loop closed the handles. */
void dmsc_facetable_free(dmsc_facetable_t *ft);

/* ---- listeners (channels) ----
 * bind_addr: numeric IPv4 or IPv6 address ("0.0.0.0", "::", "127.0.0.1").
 * port 0 picks a free port; *bound_port (may be NULL) receives the port.
 * UDP: faces are created on demand per remote endpoint (non-local scope, as
 * NFD); outgoing udp faces of the same family send from this socket.
 * TCP: accepted faces are on-demand, local scope when both ends are
 * loopback addresses (127.0.0.0/8, ::1; NFD's default), else non-local.
 * Returns 0, DMSC_EINVAL (bad address), DMSC_ENOMEM, or DMSC_ENOTSUP
 * (the socket call failed: address in use, permission). */
int dmsc_facetable_listen_udp(dmsc_facetable_t *ft, const char *bind_addr, uint16_t port,
                              uint16_t *bound_port);
int dmsc_facetable_listen_tcp(dmsc_facetable_t *ft, const char *bind_addr, uint16_t port,
                              uint16_t *bound_port);
/* Unix stream socket at path (faces: local scope, on-demand). A stale socket
 * file (nobody accepting) is replaced; a live one is DMSC_EINVAL. mode is the
 * socket file's permission bits (e.g. 0666). The file is removed at
 * shutdown. */
int dmsc_facetable_listen_unix(dmsc_facetable_t *ft, const char *path, unsigned mode);

/* ---- in-process app faces ----
 * For the daemon's own modules (management, ping responder). Scope local,
 * LocalFields on, persistency permanent. Packets the forwarder sends to the
 * face are copied into a bounded queue and handed to cb on a later loop turn
 * (never from inside the forwarder); pkt and its slices are valid during the
 * call only. */
typedef void (*dmsc_app_recv_cb)(void *arg, dmsc_faceid_t id, const dmsc_pkt_t *pkt);

/* name: short label for the face URI ("app://<name>"). want_id: a reserved
 * id 1..253 (e.g. DMSC_FACEID_INTERNAL for NFD management), or 0 for the
 * next free one in that range. Returns 0, DMSC_EINVAL (id taken or out of
 * range), DMSC_ENOMEM. */
int dmsc_facetable_app_new(dmsc_facetable_t *ft, const char *name, dmsc_faceid_t want_id,
                           dmsc_app_recv_cb cb, void *arg, dmsc_faceid_t *out_id);
/* Hand a packet from the app to the forwarder as received on app face id.
 * Called from the app's callback or any loop callback: goes straight into
 * the forwarder (zero copy); if the forwarder is running right now (a call
 * from inside io->send), it is copied and queued for the next turn instead.
 * Returns 0, DMSC_EINVAL (no such app face, bad pkt), DMSC_ENOBUFS (queue
 * full). */
int dmsc_facetable_app_send(dmsc_facetable_t *ft, dmsc_faceid_t id, const dmsc_pkt_t *pkt);

/* Canonical form of a face URI ("udp://127.0.0.1:6363" ->
 * "udp4://127.0.0.1:6363", "tcp6://[::1]:6363"). Host names are not
 * resolved: DMSC_EINVAL for them, DMSC_ENOTSUP for an unknown scheme. */
int dmsc_face_uri_canonize(const char *uri, char *out, size_t cap);

#endif
