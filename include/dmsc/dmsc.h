/*
 * libdmsc: the C API for native NDN consumers and producers.
 *
 * A dmsc_client_t is one face to a forwarder (dmscd, NFD, or any NDN node
 * that speaks NDN packet format v0.3 + NDNLPv2 on a Unix, TCP or UDP
 * socket), or to a peer application directly. Through it an application
 *
 *   - expresses Interests and gets exactly one result per Interest: Data,
 *     Nack or timeout (dmsc_client_express);
 *   - registers name prefixes (the NFD rib/register command, which dmscd
 *     and NFD both answer) and receives the Interests under them
 *     (dmsc_client_register);
 *   - answers them with Data (dmsc_client_put_data), echoing the NDNLPv2
 *     PitToken of the Interest, or with a Nack.
 *
 * Event loop. Each client runs a small single-threaded poll(2) loop:
 * dmsc_client_run() until dmsc_client_stop(), or dmsc_client_run_once().
 * Applications that have their own loop poll dmsc_client_fd() for
 * dmsc_client_events() and call dmsc_client_process(), waking up after
 * dmsc_client_timeout_ms() at the latest. Every callback runs on the thread
 * that drives the client, from inside those calls; callbacks may call any
 * function of this API on the same client (express, put, cancel...) except
 * dmsc_client_close. Output is batched: packets are queued and written with
 * one write/sendmmsg per loop turn (or when the batch is full);
 * dmsc_client_flush() writes immediately.
 *
 * Threads. A client is not thread-safe; use one client per thread (several
 * clients may share a thread, see dmsc_client_fd). dmsc_client_stop() is the
 * exception: it is async-signal-safe and may be called from any thread.
 *
 * Memory. The pending-Interest table, the receive and send buffers are
 * allocated once by dmsc_client_open with the sizes in dmsc_client_opts_t;
 * nothing is allocated per packet. When a ceiling is reached the call
 * fails with a negative code (and the packet is counted as dropped).
 *
 * Names. Names cross this API in wire form: the TLV-VALUE of a Name
 * element, i.e. the concatenated NameComponent TLVs, as a byte pointer and
 * a length. dmsc_client_name_parse() turns an NDN URI ("/a/b/seg=3") into
 * that form, dmsc_client_name_format() turns it back into text.
 *
 * Errors. Functions return 0 (or a count) on success and a negative code on
 * failure; dmsc_client_strerror() gives the text. The codes are the dmsc
 * DMSC_E* codes; those a caller may want to tell apart are listed below.
 * Pointers passed to callbacks are valid during the callback only.
 */
#ifndef DMSC_DMSC_H
#define DMSC_DMSC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors (same values as DMSC_E* in the dmsc sources) ---- */
enum {
    DMSC_CLIENT_EINVAL = -1,  /* bad argument, bad URI, malformed name */
    DMSC_CLIENT_ENOMEM = -2,  /* allocation failed (open only) */
    DMSC_CLIENT_ENOBUFS = -3, /* a buffer or table ceiling is reached; retry later */
    DMSC_CLIENT_ENOTSUP = -4, /* unsupported URI scheme or option */
    DMSC_CLIENT_EIO = -5,     /* socket error or connection closed (errno has the cause) */
    DMSC_CLIENT_ETOOBIG = -18 /* packet larger than the configured maximum */
};

/* Text for an error code, e.g. "invalid argument". Never NULL. */
const char *dmsc_client_strerror(int err);

/* ---- names (wire form: the TLV-VALUE of a Name) ---- */

#define DMSC_CLIENT_NAME_MAX 2048 /* bytes of a name in wire form */

/* Name component TLV-TYPEs (NDN naming conventions rev3). */
enum {
    DMSC_CLIENT_COMP_GENERIC = 0x08,
    DMSC_CLIENT_COMP_KEYWORD = 0x20,
    DMSC_CLIENT_COMP_SEGMENT = 0x32,
    DMSC_CLIENT_COMP_BYTE_OFFSET = 0x34,
    DMSC_CLIENT_COMP_VERSION = 0x36,
    DMSC_CLIENT_COMP_TIMESTAMP = 0x38,
    DMSC_CLIENT_COMP_SEQUENCE_NUM = 0x3a
};

/* Parse an NDN URI into buf (cap bytes; DMSC_CLIENT_NAME_MAX always
 * suffices); *len gets the wire length. Accepts the canonical URI and the
 * alternate forms seg=, v=, t=, seq=, off=. Returns 0, DMSC_CLIENT_EINVAL
 * (malformed URI, name too long) or DMSC_CLIENT_ENOBUFS. */
int dmsc_client_name_parse(const char *uri, uint8_t *buf, size_t cap, size_t *len);

/* Write the URI of a wire name into out (NUL-terminated), with the
 * alternate forms for typed components ("/a/v=3/seg=0"). Returns the string
 * length, DMSC_CLIENT_ENOBUFS or DMSC_CLIENT_EINVAL (malformed name). */
int dmsc_client_name_format(const uint8_t *name, size_t len, char *out, size_t cap);

/* Append one component to the wire name in buf[0 .. *len) (cap bytes);
 * *len is updated. _number writes a NonNegativeInteger value (segment,
 * version...). Returns 0, DMSC_CLIENT_ENOBUFS or DMSC_CLIENT_EINVAL. */
int dmsc_client_name_append(uint8_t *buf, size_t cap, size_t *len, uint16_t type, const void *value,
                            size_t vlen);
int dmsc_client_name_append_number(uint8_t *buf, size_t cap, size_t *len, uint16_t type,
                                   uint64_t value);

/* Components of a wire name: returns the number of components (negative on
 * a malformed name) and, when index is a valid component index (negative
 * values count from the end: -1 is the last component), sets the
 * component's type and value (type, value, vlen may be NULL). */
int dmsc_client_name_component(const uint8_t *name, size_t len, int index, uint16_t *type,
                               const uint8_t **value, size_t *vlen);

/* ---- packets as seen through the API ---- */

/* An Interest. To express one, fill name (required) and the options; the
 * fields marked "received" are ignored. In the on_interest callback every
 * field describes the Interest that arrived. */
typedef struct {
    const uint8_t *name; /* wire form */
    size_t name_len;
    bool can_be_prefix;
    bool must_be_fresh;
    uint32_t lifetime_ms;      /* InterestLifetime; 0 = 4000 (the NDN default) */
    uint8_t hop_limit;         /* 0 = no HopLimit element */
    const uint8_t *app_params; /* ApplicationParameters, when has_app_params */
    size_t app_params_len;
    bool has_app_params;
    /* express only: how long the client waits for an answer before the
     * result is a timeout; 0 = lifetime_ms. A consumer that retransmits on
     * its own RTO sets this below the lifetime. */
    uint32_t timeout_ms;
    /* received */
    uint32_t nonce;
    const uint8_t *pit_token; /* NDNLPv2 PitToken (NULL if none): echoed by put_data */
    size_t pit_token_len;
    const uint8_t *wire; /* the whole Interest TLV */
    size_t wire_len;
} dmsc_client_interest_t;

/* A Data packet. To produce one, fill name and the fields you want; to read
 * one (a result), every field describes the Data received. */
typedef struct {
    const uint8_t *name; /* wire form */
    size_t name_len;
    const uint8_t *content;
    size_t content_len;
    uint32_t content_type;      /* 0 BLOB (default), 1 LINK, 2 KEY, 3 NACK */
    uint32_t freshness_ms;      /* FreshnessPeriod; 0 = absent */
    bool has_final_block;       /* FinalBlockId */
    uint16_t final_block_type;  /* its component type (DMSC_CLIENT_COMP_SEGMENT...) */
    const uint8_t *final_block; /* its value */
    size_t final_block_len;
    /* received only */
    bool has_final_segment;   /* FinalBlockId is a Segment component ... */
    uint64_t final_segment;   /* ... with this number */
    int sig_type;             /* SignatureType (0 DigestSha256, 3 ECDSA, 4 HMAC, 5 Ed25519) */
    bool sig_valid;           /* DigestSha256 only: the digest was checked and is right */
    uint64_t congestion_mark; /* NDNLPv2 CongestionMark (0 = none) */
    const uint8_t *wire;      /* the whole Data TLV */
    size_t wire_len;
} dmsc_client_data_t;

/* NackReason values (NDNLPv2). */
enum {
    DMSC_CLIENT_NACK_NONE = 0,
    DMSC_CLIENT_NACK_CONGESTION = 50,
    DMSC_CLIENT_NACK_DUPLICATE = 100,
    DMSC_CLIENT_NACK_NO_ROUTE = 150
};

/* ---- opening a face ---- */

typedef struct dmsc_client dmsc_client_t;

typedef struct {
    /* Pending-Interest table entries (Interests awaiting their result).
     * Default 65536. */
    uint32_t max_pending;
    /* Largest packet sent or accepted. Default 8800 (NFD's limit); at most
     * 1 MiB. On stream faces the NDNLPv2 header counts (dmscd and NFD
     * count it too); datagram faces fragment (NDNLPv2) what exceeds
     * udp_mtu. */
    uint32_t max_packet;
    /* Stream faces: bytes of output queued behind a slow peer before sends
     * fail with DMSC_CLIENT_ENOBUFS. Default 4 MiB. */
    uint32_t send_queue_max;
    /* UDP: largest datagram sent (larger packets are fragmented). Default 8800. */
    uint32_t udp_mtu;
    /* UDP: local address to bind, "udp4://127.0.0.1:7000" (NULL: any). */
    const char *local_uri;
    /* Management commands (rib/register...) are v0.3 signed Interests
     * (SignatureNonce, strictly increasing SignatureTime) signed with the
     * client's key (dmsc_client_use_key_file / use_new_key) or, without
     * one, an ephemeral Ed25519 key /localhost/dmsc-client/KEY/<id>: NFD
     * wants a KeyLocator Name even when it authorizes any signer. true
     * selects the legacy form (four trailing name components) for old
     * forwarders. */
    bool legacy_commands;
    /* Prefix of the management commands. NULL = "/localhost/nfd". */
    const char *mgmt_prefix;
    /* Check the DigestSha256 signature of every Data received
     * (dmsc_client_data_t.sig_valid). Default false. */
    bool verify_digest;
} dmsc_client_opts_t;

void dmsc_client_opts_default(dmsc_client_opts_t *o);

/* The face URI used when none is given: $DMSC_FACE when set, else the first
 * of the dmscd default socket locations that exists: /run/dmsc/dmsc.sock,
 * $XDG_RUNTIME_DIR/dmsc.sock, /tmp/dmsc-<uid>/dmsc.sock (as
 * "unix:///path"); when none exists, the first of them. Returns the length,
 * or DMSC_CLIENT_ENOBUFS. */
int dmsc_client_default_face(char *out, size_t cap);

/* Connect to a forwarder or peer. face_uri: "unix:///path",
 * "tcp4://host:port", "tcp6://[addr]:port", "udp4://host:port",
 * "udp6://[addr]:port" ("tcp://", "udp://" resolve either family; host
 * names are resolved); NULL = dmsc_client_default_face(). opts NULL =
 * defaults. TCP and Unix connects block until they complete.
 * Returns 0, DMSC_CLIENT_EINVAL (bad URI), DMSC_CLIENT_ENOTSUP (scheme),
 * DMSC_CLIENT_EIO (connect failed; errno), DMSC_CLIENT_ENOMEM. */
int dmsc_client_open(dmsc_client_t **out, const char *face_uri, const dmsc_client_opts_t *opts);

/* Adopt a connected socket: a stream (SOCK_STREAM: TLV framing) or a
 * datagram socket (SOCK_DGRAM: one packet per datagram), e.g. one end of a
 * socketpair(2). The client owns fd from then on (also on failure). */
int dmsc_client_open_fd(dmsc_client_t **out, int fd, const dmsc_client_opts_t *opts);

/* Close the socket and free everything. Pending Interests are dropped
 * silently (their callbacks are not called). NULL is ignored. */
void dmsc_client_close(dmsc_client_t *c);

/* The face URI the client was opened with ("fd://N" for open_fd). */
const char *dmsc_client_uri(const dmsc_client_t *c);

/* ---- consumer ---- */

enum {
    DMSC_CLIENT_DATA = 0,    /* r->data is the Data */
    DMSC_CLIENT_NACK = 1,    /* r->nack_reason says why */
    DMSC_CLIENT_TIMEOUT = 2, /* no answer within the timeout */
    DMSC_CLIENT_CLOSED = 3   /* the face went down (run returned DMSC_CLIENT_EIO) */
};

typedef struct {
    int kind;                       /* DMSC_CLIENT_DATA ... */
    const dmsc_client_data_t *data; /* DATA only */
    uint32_t nack_reason;           /* NACK only: DMSC_CLIENT_NACK_* (raw value) */
    uint64_t rtt_us;                /* from express to this result */
    uint64_t id;                    /* what dmsc_client_express returned */
} dmsc_client_result_t;

typedef void (*dmsc_client_result_cb)(void *arg, dmsc_client_t *c, const dmsc_client_result_t *r);

/* Express an Interest (a fresh random Nonce is added). cb is called exactly
 * once, later, from the loop (never from inside this call) -- unless the
 * Interest is cancelled or the client closed. Data matches when the client
 * finds its PitToken in the answer (forwarders that implement NDNLPv2 echo
 * it) or, without a token, by name (exact, or prefix with CanBePrefix). On
 * success *id (may be NULL) identifies the Interest for dmsc_client_cancel.
 * Returns 0, DMSC_CLIENT_EINVAL (no name, malformed name),
 * DMSC_CLIENT_ENOBUFS (pending table full or send queue full),
 * DMSC_CLIENT_ETOOBIG, DMSC_CLIENT_EIO (face down). */
int dmsc_client_express(dmsc_client_t *c, const dmsc_client_interest_t *in,
                        dmsc_client_result_cb cb, void *arg, uint64_t *id);

/* Forget a pending Interest: its callback will not be called. Returns 0 or
 * DMSC_CLIENT_EINVAL (unknown id, already answered). */
int dmsc_client_cancel(dmsc_client_t *c, uint64_t id);

/* Interests awaiting a result. */
uint32_t dmsc_client_pending(const dmsc_client_t *c);

/* ---- producer ---- */

typedef void (*dmsc_client_interest_cb)(void *arg, dmsc_client_t *c,
                                        const dmsc_client_interest_t *in);

/* Result of a registration: status 0 and code 200 on success; otherwise
 * status < 0 (timeout: DMSC_CLIENT_EIO; malformed reply: DMSC_CLIENT_EINVAL)
 * or status 0 with the ControlResponse code (e.g. 403) and text. */
typedef void (*dmsc_client_register_cb)(void *arg, dmsc_client_t *c, int status, uint32_t code,
                                        const char *text);

enum {
    /* Only install the local filter, send no command: for a peer connected
     * directly (no forwarder), or a route configured elsewhere. */
    DMSC_CLIENT_REG_LOCAL = 1u << 0,
    /* rib/register Flags: CAPTURE instead of the default CHILD_INHERIT. */
    DMSC_CLIENT_REG_CAPTURE = 1u << 1
};

/* Receive the Interests under prefix: on_interest is called for every
 * Interest whose name the prefix matches (longest registered prefix wins).
 * Unless DMSC_CLIENT_REG_LOCAL, a rib/register command for the prefix is
 * sent to the forwarder (Origin app 0, Cost 0, FaceId = this face) and done
 * (may be NULL) reports its ControlResponse. The filter is active at once,
 * whatever the outcome. At most 256 prefixes per client.
 * Returns 0, DMSC_CLIENT_EINVAL, DMSC_CLIENT_ENOBUFS (too many prefixes,
 * send queue full). */
int dmsc_client_register(dmsc_client_t *c, const uint8_t *prefix, size_t prefix_len, uint32_t flags,
                         dmsc_client_interest_cb on_interest, void *arg,
                         dmsc_client_register_cb done, void *done_arg);

/* Remove the filter of exactly this prefix and (unless it was registered
 * with DMSC_CLIENT_REG_LOCAL) send rib/unregister; done as above.
 * Returns 0 or DMSC_CLIENT_EINVAL (no such prefix). */
int dmsc_client_unregister(dmsc_client_t *c, const uint8_t *prefix, size_t prefix_len,
                           dmsc_client_register_cb done, void *done_arg);

/* Encode and send a Data packet, signed with the client's signer
 * (DigestSha256 unless a key was set). in (may be NULL) is the Interest it
 * answers: its PitToken is echoed in an NDNLPv2 header. Returns 0,
 * DMSC_CLIENT_EINVAL, DMSC_CLIENT_ETOOBIG, DMSC_CLIENT_ENOBUFS (send queue
 * full), DMSC_CLIENT_EIO. */
int dmsc_client_put_data(dmsc_client_t *c, const dmsc_client_interest_t *in,
                         const dmsc_client_data_t *d);

/* Encode and sign a Data packet into buf without sending it (to serve the
 * same packet many times with dmsc_client_put_wire). *len gets its size.
 * Returns 0, DMSC_CLIENT_EINVAL, DMSC_CLIENT_ENOBUFS. */
int dmsc_client_encode_data(dmsc_client_t *c, const dmsc_client_data_t *d, uint8_t *buf, size_t cap,
                            size_t *len);

/* Send an already encoded Data (or any network packet) answering in (may
 * be NULL; its PitToken is echoed). Same returns as put_data. */
int dmsc_client_put_wire(dmsc_client_t *c, const dmsc_client_interest_t *in, const uint8_t *wire,
                         size_t len);

/* Answer an Interest with an NDNLPv2 Nack (reason DMSC_CLIENT_NACK_*). */
int dmsc_client_put_nack(dmsc_client_t *c, const dmsc_client_interest_t *in, uint32_t reason);

/* Signer for put_data, encode_data and management commands (default:
 * DigestSha256 for Data, see legacy_commands for commands).
 * use_key_file: a key file as written by `dmsc packet keygen --out FILE`
 *   (Ed25519, ECDSA P-256 or HMAC); the KeyLocator is the key's name.
 * use_new_key: generate a key of sig_type (5 Ed25519, 3 ECDSA, 4 HMAC)
 *   named <identity>/KEY/<keyid>; sig_type 0 goes back to DigestSha256.
 * Returns 0, DMSC_CLIENT_EINVAL, DMSC_CLIENT_ENOTSUP, DMSC_CLIENT_EIO. */
int dmsc_client_use_key_file(dmsc_client_t *c, const char *path);
int dmsc_client_use_new_key(dmsc_client_t *c, int sig_type, const uint8_t *identity,
                            size_t identity_len);

/* ---- event loop ---- */

/* Run until dmsc_client_stop() (returns 0) or the face fails (returns
 * DMSC_CLIENT_EIO after the pending Interests got DMSC_CLIENT_CLOSED). */
int dmsc_client_run(dmsc_client_t *c);

/* One loop turn: wait at most timeout_ms (-1: until something happens, 0:
 * do not wait) for input or a deadline, and handle it. Returns 0,
 * DMSC_CLIENT_EIO (face down). An interrupted wait (EINTR) returns 0. */
int dmsc_client_run_once(dmsc_client_t *c, int timeout_ms);

/* Make dmsc_client_run return after the current turn. Async-signal-safe. */
void dmsc_client_stop(dmsc_client_t *c);
bool dmsc_client_stopped(const dmsc_client_t *c);

/* External loops: poll dmsc_client_fd() for dmsc_client_events() (POLLIN,
 * plus POLLOUT while output is queued), then call dmsc_client_process()
 * with the revents (0 after a timeout). Wake up after at most
 * dmsc_client_timeout_ms() (-1: no deadline). process() returns like
 * run_once. */
int dmsc_client_fd(const dmsc_client_t *c);
short dmsc_client_events(const dmsc_client_t *c);
int dmsc_client_timeout_ms(const dmsc_client_t *c);
int dmsc_client_process(dmsc_client_t *c, short revents);

/* Write queued output now. Returns 0, DMSC_CLIENT_EIO. Output that the
 * socket cannot take yet stays queued (stream faces). */
int dmsc_client_flush(dmsc_client_t *c);

/* One-shot timers on the loop's clock: cb runs once, from the loop, after
 * delay_ms. Returns a timer id (> 0) or DMSC_CLIENT_ENOBUFS (64 timers at
 * most). cancel returns 0 or DMSC_CLIENT_EINVAL. */
typedef void (*dmsc_client_timer_cb)(void *arg, dmsc_client_t *c);
int dmsc_client_timer_start(dmsc_client_t *c, uint32_t delay_ms, dmsc_client_timer_cb cb,
                            void *arg);
int dmsc_client_timer_cancel(dmsc_client_t *c, int id);

/* The loop's monotonic clock, microseconds. */
uint64_t dmsc_client_now_us(const dmsc_client_t *c);

/* ---- direct peers (no forwarder) ---- */

typedef struct dmsc_listener dmsc_listener_t;

/* Listen on "unix:///path" (the socket file is replaced if stale, removed
 * on close) or "udp4://addr:port" / "tcp4://addr:port" (port 0 picks one;
 * dmsc_listener_uri tells which). Returns 0, DMSC_CLIENT_EINVAL,
 * DMSC_CLIENT_ENOTSUP, DMSC_CLIENT_EIO, DMSC_CLIENT_ENOMEM. */
int dmsc_listener_open(dmsc_listener_t **out, const char *uri);
void dmsc_listener_close(dmsc_listener_t *l);
const char *dmsc_listener_uri(const dmsc_listener_t *l);
/* Readable (POLLIN) when a peer is waiting to be accepted. */
int dmsc_listener_fd(const dmsc_listener_t *l);

/* Accept one peer as a new client, waiting at most timeout_ms (-1 forever).
 * Stream listeners accept a connection; a UDP listener takes the sender of
 * the next datagram and gives it its own socket, connected to that peer
 * (the datagram is delivered to the new client), as NFD does.
 * Returns 0, DMSC_CLIENT_ENOBUFS (nobody came in time), DMSC_CLIENT_EIO. */
int dmsc_listener_accept(dmsc_listener_t *l, dmsc_client_t **out, const dmsc_client_opts_t *opts,
                         int timeout_ms);

/* ---- counters ---- */

typedef struct {
    uint64_t out_interests, out_data, out_nacks;
    uint64_t in_interests, in_data, in_nacks;
    uint64_t timeouts;    /* expressed Interests that timed out */
    uint64_t unsolicited; /* Data/Nack matching no pending Interest */
    uint64_t unmatched;   /* Interests matching no registered prefix */
    uint64_t malformed;   /* undecodable input */
    uint64_t send_drops;  /* packets not sent: queue full, too big */
    uint64_t in_bytes, out_bytes;
    uint64_t in_frags, out_frags;       /* NDNLPv2 fragments (datagram faces) */
    uint64_t syscalls_in, syscalls_out; /* read/recvmmsg and write/sendmmsg calls */
} dmsc_client_stats_t;

void dmsc_client_get_stats(const dmsc_client_t *c, dmsc_client_stats_t *out);

#ifdef __cplusplus
}
#endif

#endif
