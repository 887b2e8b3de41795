/*
 * Ping responder: <node-name>/ping/<anything> -> Data, as ndnpingserver
 * answers (without its payload): same name, empty Content,
 * FreshnessPeriod 0, DigestSha256.
 */
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "daemon/daemon.h"
#include "base/log.h"
#include "ndn/data.h"
#include "ndn/interest.h"
#include "sec/sig.h"

struct dmsc_ping {
    dmsc_facetable_t *ft;
    dmsc_rib_t *rib;
    dmsc_faceid_t face;
    dmsc_namebuf_t prefix; /* <node-name>/ping */
    uint64_t answered;
    uint8_t buf[DMSC_TLV_DGRAM_MAX];
};

static void on_packet(void *arg, dmsc_faceid_t id, const dmsc_pkt_t *pkt)
{
    dmsc_ping_t *p = arg;
    if (pkt->kind != DMSC_PKT_INTEREST) return;
    dmsc_interest_t in;
    if (dmsc_interest_decode(&in, pkt->wire, pkt->len, DMSC_TLV_MAX_PACKET)) return;
    if (in.name.ncomps <= p->prefix.name.ncomps || !dmsc_name_is_prefix(&p->prefix.name, &in.name))
        return;
    dmsc_data_t d;
    dmsc_data_init(&d);
    d.name = in.name;
    d.has_meta_info = true;
    d.has_freshness = true;
    d.freshness = 0;
    d.has_content = true;
    d.content = dmsc_slice(NULL, 0);
    dmsc_slice_t out;
    if (dmsc_data_encode(&d, dmsc_sig_digest_signer(), p->buf, sizeof p->buf, &out))
        return; /* a name too long for a reply */
    dmsc_pkt_t reply;
    memset(&reply, 0, sizeof reply);
    reply.kind = DMSC_PKT_DATA;
    reply.wire = out.p;
    reply.len = out.n;
    reply.pit_token = pkt->pit_token;
    if (dmsc_facetable_app_send(p->ft, id, &reply) == 0) p->answered++;
}

static int set_prefix(dmsc_namebuf_t *nb, const char *node_name)
{
    int rc = dmsc_namebuf_from_uri(nb, node_name);
    if (rc) return rc;
    return dmsc_namebuf_append(nb, DMSC_TT_GENERIC, "ping", 4);
}

static int route_add(dmsc_ping_t *p)
{
    dmsc_route_t r = {.face = p->face,
                      .origin = DMSC_ROUTE_ORIGIN_APP,
                      .cost = 0,
                      .flags = DMSC_ROUTE_CHILD_INHERIT,
                      .expires = DMSC_RIB_NEVER};
    return dmsc_rib_add(p->rib, &p->prefix.name, &r);
}

int dmsc_ping_new(dmsc_ping_t **out, dmsc_facetable_t *ft, dmsc_rib_t *rib, const char *node_name)
{
    dmsc_ping_t *p = calloc(1, sizeof *p);
    if (!p) return DMSC_ENOMEM;
    p->ft = ft;
    p->rib = rib;
    int rc = set_prefix(&p->prefix, node_name);
    if (rc) goto fail;
    rc = dmsc_facetable_app_new(ft, "ping", 0, on_packet, p, &p->face);
    if (rc) goto fail;
    rc = route_add(p);
    if (rc) {
        dmsc_facetable_destroy(ft, p->face);
        goto fail;
    }
    *out = p;
    return 0;
fail:
    free(p);
    return rc;
}

int dmsc_ping_set_name(dmsc_ping_t *p, const char *node_name)
{
    dmsc_namebuf_t *nb = malloc(sizeof *nb);
    if (!nb) return DMSC_ENOMEM;
    int rc = set_prefix(nb, node_name);
    if (rc == 0 && !dmsc_name_equal(&nb->name, &p->prefix.name)) {
        dmsc_rib_remove(p->rib, &p->prefix.name, p->face, DMSC_ROUTE_ORIGIN_APP);
        dmsc_namebuf_copy(&p->prefix, &nb->name);
        rc = route_add(p);
    }
    free(nb);
    return rc;
}

uint64_t dmsc_ping_answered(const dmsc_ping_t *p)
{
    return p->answered;
}

void dmsc_ping_free(dmsc_ping_t *p)
{
    if (!p) return;
    dmsc_face_info_t fi;
    if (dmsc_facetable_get(p->ft, p->face, &fi) == 0) dmsc_facetable_destroy(p->ft, p->face);
    free(p);
}
