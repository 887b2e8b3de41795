/* libFuzzer: libdmsc's receive path. The input is a byte stream as a
 * forwarder would write it on a Unix/TCP face (TLV framing, then NDNLPv2,
 * reassembly, Interest/Data/Nack dispatch against pending Interests and
 * registered prefixes, replies from the producer callback), and, split at
 * its first byte, datagrams as on a UDP face; and the face URI parser. Invariants: no crash, no
 * read outside the input (ASan), pending-table bookkeeping consistent. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* compiled in, as the unit tests do (fuzz/meson.build links node_dep) */
#include "client/client.c"
#include "client/command.c"
#include "client/pending.c"
#include "client/transport.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static dmsc_client_t *S, *D; /* stream and datagram clients */
static uint64_t results;

static void on_result(void *arg, dmsc_client_t *c, const dmsc_client_result_t *r)
{
    results++;
    if (r->kind == DMSC_CLIENT_DATA && r->data->content_len > r->data->wire_len) __builtin_trap();
}

static void on_interest(void *arg, dmsc_client_t *c, const dmsc_client_interest_t *in)
{
    dmsc_client_data_t d;
    memset(&d, 0, sizeof d);
    d.name = in->name;
    d.name_len = in->name_len;
    d.content = (const uint8_t *)"x";
    d.content_len = 1;
    dmsc_client_put_data(c, in, &d);
    if (in->nonce & 1) dmsc_client_put_nack(c, in, DMSC_CLIENT_NACK_NO_ROUTE);
}

static dmsc_client_t *mk(int type)
{
    int sv[2];
    if (socketpair(AF_UNIX, type, 0, sv)) abort();
    close(sv[1]);         /* output is discarded below, never written */
    dmsc_client_opts_t o; /* small tables: a framing error means a new client */
    dmsc_client_opts_default(&o);
    o.max_pending = 64;
    o.send_queue_max = 1 << 16;
    dmsc_client_t *c;
    if (dmsc_client_open_fd(&c, sv[0], &o)) abort();
    uint8_t nm[64];
    size_t len;
    dmsc_client_name_parse("/a", nm, sizeof nm, &len);
    dmsc_client_register(c, nm, len, DMSC_CLIENT_REG_LOCAL, on_interest, NULL, NULL, NULL);
    return c;
}

static void refill(dmsc_client_t *c)
{
    static const char *names[] = {"/a/b", "/p", "/a", "/x/y/z"};
    for (int i = 0; dmsc_client_pending(c) < 8 && i < 8; i++) {
        uint8_t nm[64];
        size_t len;
        dmsc_client_name_parse(names[i % 4], nm, sizeof nm, &len);
        dmsc_client_interest_t in;
        memset(&in, 0, sizeof in);
        in.name = nm;
        in.name_len = len;
        in.can_be_prefix = i % 2;
        dmsc_client_express(c, &in, on_result, NULL, NULL);
    }
    c->whead = c->wtail = 0; /* drop queued output */
    c->tn = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!S) {
        S = mk(SOCK_STREAM);
        D = mk(SOCK_DGRAM);
    }
    refill(S);
    refill(D);
    /* stream: append to the receive buffer as a read would */
    size_t off = 0;
    while (off < size && !S->down) {
        size_t room = S->rcap - S->rlen, n = size - off < room ? size - off : room;
        memcpy(S->rbuf + S->rlen, data + off, n);
        S->rlen += n;
        off += n;
        parse_stream(S);
    }
    if (S->down) { /* framing error: start over with a fresh face */
        dmsc_client_close(S);
        S = mk(SOCK_STREAM);
    }
    S->rlen = 0;
    /* datagrams: the first byte says where to split */
    if (size > 1) {
        size_t cut = 1 + data[0] % (size - 1);
        uint8_t *a = malloc(cut - 1 ? cut - 1 : 1), *b = malloc(size - cut);
        memcpy(a, data + 1, cut - 1);
        memcpy(b, data + cut, size - cut);
        if (cut > 1) handle_packet(D, a, cut - 1);
        handle_packet(D, b, size - cut);
        free(a);
        free(b);
    }
    /* the face URI parser, on the input as text */
    if (size < 512) {
        char uri[512];
        memcpy(uri, data, size);
        uri[size] = '\0';
        dmsc__uri_t u;
        if (dmsc__uri_parse(uri, &u) == 0 && u.kind != DMSC__URI_UNIX && !u.host[0])
            __builtin_trap();
    }
    if (dmsc_pend_count(&S->pend) > S->pend.cap || dmsc_pend_count(&D->pend) > D->pend.cap)
        __builtin_trap();
    S->whead = S->wtail = 0;
    D->tn = 0;
    return 0;
}
