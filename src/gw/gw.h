/*
 * The service gateway: unmodified HTTP/1.1, h2c and gRPC services call each
 * other by name through their local node (docs/gateway.md; the mapping is
 * docs/http-mapping.md).
 *
 *  - egress: an HTTP listener (gateway.http, gateway.unix) takes requests
 *    by Host, as an HTTP proxy (absolute URI) or by path prefix, turns each
 *    into an Interest for the service prefix and the answer back into an
 *    HTTP response;
 *  - ingress: for every configured service with a healthy instance the
 *    prefix is registered (origin app, so routing announces it); Interests
 *    under it become HTTP requests to a local instance, responses become
 *    Data (segmented when large).
 */
#ifndef DMSC_GW_GW_H
#define DMSC_GW_GW_H

#include <uv.h>

#include "face/face.h"
#include "mgmt/config.h"
#include "mgmt/rib.h"

typedef struct dmsc_gw dmsc_gw_t;
struct dmsc_admin;

/* Start the gateway: app face, services from cfg->services (probed, then
 * announced), listeners from cfg->gateway. *out is set even on failure
 * (then stop and free it). Returns 0, DMSC_ENOMEM, DMSC_EINVAL (bad
 * service prefix or mapping) or DMSC_ENOTSUP (a listener could not bind;
 * the log says which). */
int dmsc_gw_new(dmsc_gw_t **out, uv_loop_t *loop, dmsc_facetable_t *ft, dmsc_rib_t *rib,
                const dmsc_config_t *cfg);
/* Admin API: GET /gateway, GET/POST /services, DELETE /services/<prefix>,
 * and the dmsc_gw_* metric families. */
int dmsc_gw_attach_admin(dmsc_gw_t *g, struct dmsc_admin *a);
/* Reload: services and host/path mappings are replaced (listeners need a
 * restart). 0 or DMSC_ENOMEM/DMSC_EINVAL (then nothing changed). */
int dmsc_gw_apply(dmsc_gw_t *g, const dmsc_config_t *cfg);
/* The TCP port the HTTP listener is bound to (0 when off). */
int dmsc_gw_http_port(const dmsc_gw_t *g);
/* Stop: close listeners, connections, timers; withdraw prefixes. Free
 * after the loop has run to completion. NULL ignored. */
void dmsc_gw_stop(dmsc_gw_t *g);
void dmsc_gw_free(dmsc_gw_t *g);

#endif
