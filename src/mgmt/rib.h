/*
 * The RIB: name prefix -> routes (face, origin, cost, flags, expiration),
 * which drives the forwarder's FIB (dmsc_fw_fib_add / dmsc_fw_fib_remove)
 * with NFD's route-inheritance semantics. Sans I/O: time comes in as `now`
 * (monotonic nanoseconds, the clock the forwarder uses).
 *
 * Who adds routes: rib/register and rib/unregister (NFD management, origin
 * as the client says, 0 "app" by default), the daemon (static routes from
 * the config, origin 255), and the routing module (its own origin, e.g.
 * DMSC_ROUTE_ORIGIN_NLSR). A route is identified by (prefix, face, origin):
 * adding it again updates its cost, flags and expiration.
 *
 * FIB nexthops of a RIB entry E (NFD "RIB Management", FibUpdater):
 *  1. E's own routes, one nexthop per face, the lowest cost among the
 *     route's origins;
 *  2. unless E has a route with the CAPTURE flag: the routes with
 *     CHILD_INHERIT of E's ancestors that are RIB entries, nearest ancestor
 *     first, for faces not already present (own routes win; a nearer
 *     ancestor wins over a farther one; within one ancestor the lowest
 *     cost); the walk up stops after an ancestor that has a CAPTURE route.
 * Only names that are RIB entries get FIB entries; a longer name without
 * routes uses its nearest FIB ancestor through longest-prefix match.
 * Simplifications (documented in docs/management.md): within one entry, a
 * face's nexthop cost is the minimum over its origins, also for inherited
 * routes; nexthops added directly with fib/add-nexthop on a prefix that is
 * also a RIB entry are overwritten by the next RIB change of that prefix
 * (as in NFD).
 *
 * Face close: routes of a face go when the face goes. dmsc_rib_new()
 * registers with dmsc_facetable_on_close() when given a face table; the
 * face table cannot unregister a listener, so destroy the face table (or at
 * least stop it closing faces) before dmsc_rib_free(), and the forwarder
 * after both: free order facetable -> (nfdmgmt) -> rib -> fw.
 *
 * Limits: at most max_entries prefixes and max_routes routes per prefix
 * (DMSC_ENOMEM past them); defaults below, dmsc_rib_set_limits() to change.
 * Not thread-safe: one RIB per forwarder, used on the forwarder's thread.
 */
#ifndef DMSC_MGMT_RIB_H
#define DMSC_MGMT_RIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "face/face.h"
#include "fw/fw.h"
#include "ndn/name.h"

/* Route flags (NFD RouteFlags) */
enum { DMSC_ROUTE_CHILD_INHERIT = 1, DMSC_ROUTE_CAPTURE = 2 };

/* Route origins (NFD RouteOrigin). */
enum {
    DMSC_ROUTE_ORIGIN_APP = 0,
    DMSC_ROUTE_ORIGIN_AUTOREG = 64,
    DMSC_ROUTE_ORIGIN_CLIENT = 65,
    DMSC_ROUTE_ORIGIN_AUTOCONF = 66,
    DMSC_ROUTE_ORIGIN_NLSR = 128, /* a routing protocol: what the routing module should use */
    DMSC_ROUTE_ORIGIN_PREFIXANN = 129,
    DMSC_ROUTE_ORIGIN_STATIC = 255,
};

#define DMSC_RIB_NEVER UINT64_MAX /* dmsc_route_t.expires: no expiration */
#define DMSC_RIB_DEFAULT_MAX_ENTRIES 262144
#define DMSC_RIB_DEFAULT_MAX_ROUTES 256 /* per prefix */

typedef struct {
    dmsc_faceid_t face;
    uint64_t origin;
    uint64_t cost;
    uint64_t flags;   /* DMSC_ROUTE_* */
    uint64_t expires; /* monotonic ns, DMSC_RIB_NEVER if none */
} dmsc_route_t;

typedef struct dmsc_rib dmsc_rib_t;

/* A RIB driving fw's FIB. ft may be NULL (tests, or a daemon that calls
 * dmsc_rib_remove_face() itself). NULL on allocation failure. */
dmsc_rib_t *dmsc_rib_new(dmsc_fw_t *fw, dmsc_facetable_t *ft);
/* Frees the RIB. Its FIB nexthops stay in the forwarder. NULL is ignored. */
void dmsc_rib_free(dmsc_rib_t *rib);
void dmsc_rib_set_limits(dmsc_rib_t *rib, size_t max_entries, size_t max_routes);

/* Add a route, or update the route with the same (prefix, face, origin).
 * Returns 0, DMSC_EINVAL (face 0, or a face the forwarder does not know:
 * nothing is changed), DMSC_ENOMEM (a limit, or the forwarder's FIB is
 * full; nothing is changed). */
int dmsc_rib_add(dmsc_rib_t *rib, const dmsc_name_t *prefix, const dmsc_route_t *route);
/* Remove the route (prefix, face, origin). Returns 0 if it was removed,
 * 1 if there was no such route. */
int dmsc_rib_remove(dmsc_rib_t *rib, const dmsc_name_t *prefix, dmsc_faceid_t face,
                    uint64_t origin);
/* Remove every route via a face (also called on face close); returns the
 * number of routes removed. */
size_t dmsc_rib_remove_face(dmsc_rib_t *rib, dmsc_faceid_t face);
/* Remove every route of an origin (e.g. routing module restart). */
size_t dmsc_rib_remove_origin(dmsc_rib_t *rib, uint64_t origin);

/* Expire routes whose expiration time is <= now. Returns the next
 * expiration time (DMSC_RIB_NEVER if none): call again by then. */
uint64_t dmsc_rib_run_timers(dmsc_rib_t *rib, uint64_t now);

/* Number of RIB entries (prefixes with at least one route). */
size_t dmsc_rib_size(const dmsc_rib_t *rib);

/* Observer: told after a route was added or updated (added = true) and
 * after one was removed (by dmsc_rib_remove, face close, origin removal or
 * expiration). The routing module uses it to advertise what applications
 * register. prefix and route are valid during the call only; cb must not
 * modify the RIB. One observer; cb NULL removes it. */
typedef void (*dmsc_rib_observer_cb)(void *arg, const dmsc_name_t *prefix,
                                     const dmsc_route_t *route, bool added);
void dmsc_rib_set_observer(dmsc_rib_t *rib, dmsc_rib_observer_cb cb, void *arg);

/* Visit every entry in canonical name order. routes[] is valid during the
 * call only; do not modify the RIB from cb. Stops when cb returns non-zero. */
typedef int (*dmsc_rib_cb)(void *arg, const dmsc_name_t *prefix, const dmsc_route_t *routes,
                           size_t n);
void dmsc_rib_foreach(const dmsc_rib_t *rib, dmsc_rib_cb cb, void *arg);

/* Routes of exactly `prefix`: *routes points into the RIB (valid until the
 * next change). Returns the number of routes (0 if not an entry). */
size_t dmsc_rib_find(const dmsc_rib_t *rib, const dmsc_name_t *prefix, const dmsc_route_t **routes);

#endif
