/*
 * NFD-compatible management under /localhost/nfd: the ControlCommand and
 * StatusDataset protocols of NFD, so that nfdc, ndn-cxx applications
 * (Face::registerPrefix, nfd::Controller) and NDNts (@ndn/nfdmgmt) work
 * against dmscd. docs/management.md lists what is supported and how it
 * differs from NFD.
 *
 * Sans I/O: the daemon hands every Interest the forwarder delivers to the
 * management app face to dmsc_nfdmgmt_handle_interest() with the current
 * time; replies come back through reply_cb as encoded, signed Data packets,
 * which the daemon injects into the forwarder from the same app face.
 *
 * Commands (Interest name /localhost/nfd/<module>/<verb>/<ControlParameters>
 * [signature components], or the ControlParameters in ApplicationParameters):
 *   rib/register rib/unregister faces/create faces/update faces/destroy
 *   fib/add-nexthop fib/remove-nexthop strategy-choice/set strategy-choice/unset
 *   cs/config cs/erase
 * Datasets (segmented Data /<dataset>/<version>/<segment>, FinalBlockId,
 * FreshnessPeriod 1 s; an Interest without version gets segment 0 of a new
 * version, later segments are served from a short-lived cache):
 *   status/general faces/list faces/query faces/channels fib/list rib/list
 *   cs/info strategy-choice/list
 *
 * Authentication: unsigned commands, legacy signed Interests (four trailing
 * name components) and v0.3 signed Interests are all accepted; signatures
 * are NOT verified yet (localhost trust, like NFD's default "authorize any
 * signer" configuration). The one place to add verification is the
 * authorizer hook below (dmsc_nfdmgmt_set_authorizer), which nfdmgmt.c
 * calls from a single function (authorize()) for every command.
 */
#ifndef DMSC_MGMT_NFDMGMT_H
#define DMSC_MGMT_NFDMGMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "face/face.h"
#include "fw/fw.h"
#include "mgmt/rib.h"
#include "ndn/interest.h"
#include "ndn/signer.h"

typedef struct dmsc_nfdmgmt dmsc_nfdmgmt_t;

/* A reply Data packet (data[0 .. len) is valid during the call only). */
typedef void (*dmsc_nfdmgmt_reply_cb)(void *arg, const uint8_t *data, size_t len);

/* signer signs reply Data (NULL: DigestSha256). fw, ft, rib and signer must
 * outlive the dispatcher. Free order: facetable, nfdmgmt, rib, fw (see
 * rib.h). NULL on allocation failure. */
dmsc_nfdmgmt_t *dmsc_nfdmgmt_new(dmsc_fw_t *fw, dmsc_facetable_t *ft, dmsc_rib_t *rib,
                                 const dmsc_signer_t *signer);
/* Pending asynchronous faces/create requests are abandoned: their reply_cb
 * is never called. NULL is ignored. */
void dmsc_nfdmgmt_free(dmsc_nfdmgmt_t *m);

/* Handle one packet delivered to the management face. pkt->kind must be
 * DMSC_PKT_INTEREST (anything else is ignored); pkt->incoming_face is the
 * face the Interest came from (used when FaceId is 0 or absent). now_ns:
 * monotonic clock (the forwarder's). reply_cb is called zero times (not a
 * management Interest, or a dataset segment that is no longer cached, as
 * NFD does), once synchronously, or once later (faces/create of a TCP face
 * completes when the connection does). */
void dmsc_nfdmgmt_handle_interest(dmsc_nfdmgmt_t *m, const dmsc_pkt_t *pkt, uint64_t now_ns,
                                  dmsc_nfdmgmt_reply_cb reply_cb, void *arg);

/* ---- optional settings (the daemon knows these; defaults in brackets) ---- */

/* Wall clock: unix_ms is the Unix time in milliseconds at monotonic time
 * mono_ns. status/general's timestamps and dataset versions derive from it
 * [unset: StartTimestamp 0, CurrentTimestamp and versions from the
 * monotonic clock]. The first dmsc_nfdmgmt_handle_interest() or this call
 * fixes the start time. */
void dmsc_nfdmgmt_set_clock(dmsc_nfdmgmt_t *m, uint64_t unix_ms, uint64_t mono_ns);
/* NfdVersion string of status/general (copied) [dmsc_version()]. */
void dmsc_nfdmgmt_set_version(dmsc_nfdmgmt_t *m, const char *version);
/* The configuration the forwarder was created with: cs/info reports its
 * CS capacity and cs/config changes it through dmsc_fw_reconfigure()
 * [dmsc_fw_config_default()]. */
void dmsc_nfdmgmt_set_fw_config(dmsc_nfdmgmt_t *m, const dmsc_fw_config_t *cfg);

/* Command authorization: called for every command after its name and
 * ControlParameters were parsed. interest is the decoded command Interest;
 * sig_info is its signature (legacy or v0.3) or NULL for an unsigned
 * command. Return true to accept; false answers 403. [none: accept all] */
typedef bool (*dmsc_nfdmgmt_authorizer_cb)(void *arg, const dmsc_interest_t *interest,
                                           const dmsc_siginfo_t *sig_info, const char *module,
                                           const char *verb);
void dmsc_nfdmgmt_set_authorizer(dmsc_nfdmgmt_t *m, dmsc_nfdmgmt_authorizer_cb cb, void *arg);

/* Limits. */
#define DMSC_NFDMGMT_SEGMENT_SIZE 4400           /* dataset bytes per segment, as ndn-cxx */
#define DMSC_NFDMGMT_DATASET_MAX (8u << 20)      /* larger datasets answer a 500 Nack */
#define DMSC_NFDMGMT_CACHE_VERSIONS 8            /* dataset versions kept for segment fetch */
#define DMSC_NFDMGMT_CACHE_TTL_NS 10000000000ull /* how long a version stays fetchable */
#define DMSC_NFDMGMT_MAX_PREFIX_COMPS 32         /* NFD's FIB/RIB/strategy depth: 414 beyond */
#define DMSC_NFDMGMT_PENDING_MAX 64              /* concurrent faces/create in progress */

#endif
