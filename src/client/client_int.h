/*
 * libdmsc internals shared by the files of src/client (dmsc__ prefix).
 * Applications include <dmsc/dmsc.h> only.
 */
#ifndef DMSC_CLIENT_CLIENT_INT_H
#define DMSC_CLIENT_CLIENT_INT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "client/pending.h"
#include "dmsc/dmsc.h"
#include "ndn/lp.h"
#include "ndn/lpfrag.h"
#include "ndn/name.h"
#include "ndn/signer.h"
#include "sec/key.h"

#define DMSC__URI_MAX 256
#define DMSC__MAX_FILTERS 256
#define DMSC__MAX_TIMERS 64
#define DMSC__RX_BATCH 64  /* datagrams per recvmmsg */
#define DMSC__TX_BATCH 64  /* datagrams per sendmmsg */
#define DMSC__HEADROOM 128 /* room for an LP header in front of a packet */
#define DMSC__STREAM_RBUF (256u << 10)
#define DMSC__STREAM_FLUSH (64u << 10) /* write as soon as this much is queued */
#define DMSC__STASH_MAX (1u << 20)     /* datagrams a UDP listener hands over */
#define DMSC__TX_MAX_FRAGS 400

typedef struct {
    dmsc_namebuf_t prefix;
    uint64_t hash;
    uint32_t flags;
    dmsc_client_interest_cb cb;
    void *arg;
} dmsc__filter_t;

typedef struct {
    int id; /* 0: free */
    uint64_t deadline;
    dmsc_client_timer_cb cb;
    void *arg;
} dmsc__timer_t;

struct dmsc_client {
    int fd;
    bool dgram;
    bool down;
    volatile sig_atomic_t stop;
    char uri[DMSC__URI_MAX];
    dmsc_client_opts_t o; /* string fields cleared: copied below */
    dmsc_namebuf_t mgmt_prefix;

    /* clock (tests replace it) */
    uint64_t (*clock)(void *arg);
    void *clock_arg;

    /* receive: stream */
    uint8_t *rbuf;
    size_t rcap, rlen;
    /* receive: datagrams */
    uint8_t *dbuf;
    size_t dslot;
    struct mmsghdr *rmsg;
    struct iovec *riov;
    /* datagrams handed over by a UDP listener: [u32 len][bytes]... */
    uint8_t *stash;
    size_t stash_len;
    struct dmsc_listener *listener;

    /* NDNLPv2 reassembly */
    dmsc_lpfrag_reasm_t *reasm;
    uint8_t *reasm_out;
    size_t reasm_cap;
    uint64_t lp_seq;

    /* send: stream */
    uint8_t *wbuf;
    size_t wcap, whead, wtail;
    /* send: datagrams */
    uint8_t *tbuf;
    size_t tslot;
    unsigned tn;
    struct mmsghdr *tmsg;
    struct iovec *tiov;

    /* encode area: [0, HEADROOM) for an LP header, then the packet */
    uint8_t *scratch;
    size_t scap;

    dmsc_pend_t pend;
    dmsc__filter_t *filters[DMSC__MAX_FILTERS];
    unsigned nfilters;
    uint64_t filter_len_mask; /* bit k (k < 63): a filter with k components; bit 63: longer */
    dmsc__timer_t timers[DMSC__MAX_TIMERS];
    int timer_seq;

    dmsc_key_t *key;
    const dmsc_signer_t *signer;
    /* commands: the key above when set, else an ephemeral named Ed25519 key
     * (NFD's command validator needs a KeyLocator Name) */
    dmsc_key_t *cmd_key;
    uint64_t last_cmd_ms; /* SignatureTime strictly increases (NFD rejects reordering) */
    uint64_t rng;
    dmsc_client_stats_t st;
};

struct dmsc_listener {
    int fd;
    bool dgram;
    char uri[DMSC__URI_MAX];
    char path[108]; /* unix: removed at close */
    struct sockaddr_storage local;
    socklen_t local_len;
    /* UDP: peers accepted so far, to hand them datagrams that reached the
     * listener before their own socket was connected */
    struct {
        struct sockaddr_storage addr;
        socklen_t len;
        dmsc_client_t *c;
    } * peers;
    unsigned npeers, peers_cap;
    uint8_t *rxbuf; /* UDP: one datagram (64 KiB) */
};

/* ---- transport.c ---- */

/* Parsed face URI */
typedef struct {
    int kind;   /* DMSC__URI_UNIX / _TCP / _UDP */
    int family; /* AF_UNSPEC, AF_INET, AF_INET6 (ip kinds) */
    char host[DMSC__URI_MAX];
    char port[8];
    char path[108];
} dmsc__uri_t;
enum { DMSC__URI_UNIX = 1, DMSC__URI_TCP = 2, DMSC__URI_UDP = 3 };

int dmsc__uri_parse(const char *uri, dmsc__uri_t *out);
/* Connect (blocking), then make the socket non-blocking. *fd set on success. */
int dmsc__connect(const dmsc__uri_t *u, const char *local_uri, int *fd);
/* Socket options for a client socket (non-blocking, buffers, TCP_NODELAY). */
int dmsc__sock_setup(int fd, bool dgram);
/* Remove a client from its listener's peer table. */
void dmsc__listener_forget(struct dmsc_listener *l, dmsc_client_t *c);

/* ---- client.c ---- */

/* Build a client around a connected socket (takes fd). */
int dmsc__client_new(dmsc_client_t **out, int fd, bool dgram, const char *uri,
                     const dmsc_client_opts_t *opts);
/* Queue a datagram received on the client's behalf (UDP listener). */
int dmsc__client_stash(dmsc_client_t *c, const uint8_t *p, size_t n);
/* Replace the clock (microseconds); NULL restores CLOCK_MONOTONIC. */
void dmsc__client_set_clock(dmsc_client_t *c, uint64_t (*clock)(void *arg), void *arg);

#endif
