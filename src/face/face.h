/*
 * Faces: the face table seen from above (management, daemon, routing).
 * Transports (udp, tcp, unix, app) and the NDNLPv2 link service live in
 * src/face/*.c; this header is the contract other layers use.
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
    DMSC_FACE_FLAG_LOCAL_FIELDS = 1u << 0,     /* LocalFieldsEnabled */
    DMSC_FACE_FLAG_LP_RELIABILITY = 1u << 1,   /* LpReliabilityEnabled (not implemented) */
    DMSC_FACE_FLAG_CONGESTION_MARKING = 1u << 2,
};

#define DMSC_FACE_URI_MAX 128

typedef struct {
    dmsc_faceid_t id;
    char remote_uri[DMSC_FACE_URI_MAX]; /* udp4://127.0.0.1:6363, tcp4://..., unix:///path, app://mgmt */
    char local_uri[DMSC_FACE_URI_MAX];
    int scope;       /* DMSC_SCOPE_* */
    int persistency; /* DMSC_FACE_* persistency */
    int link_type;   /* DMSC_LINK_* */
    uint32_t flags;  /* DMSC_FACE_FLAG_* */
    uint64_t mtu;    /* 0 = unlimited (stream faces) */
    const dmsc_fw_face_counters_t *counters;
} dmsc_face_info_t;

typedef struct dmsc_facetable dmsc_facetable_t;

/* Completion of an asynchronous create (TCP connect): status 0 or <0. */
typedef void (*dmsc_face_created_cb)(void *arg, int status, dmsc_faceid_t id);

/* Create an outgoing face to remote_uri (udp4/udp6/tcp4/tcp6/udp/tcp "host:port";
 * unix:///path). If an equivalent face exists, cb gets its id with status
 * DMSC_EEXIST-like semantics: status 0 and existing=true is reported by
 * dmsc_facetable_find_uri() beforehand. Returns 0 if started (cb will run,
 * possibly synchronously), or a negative code (bad URI: DMSC_EINVAL,
 * unsupported scheme: DMSC_ENOTSUP). */
int dmsc_facetable_create(dmsc_facetable_t *ft, const char *remote_uri, int persistency,
                          uint32_t flags, dmsc_face_created_cb cb, void *arg);
/* Find a face by canonical remote URI; DMSC_FACEID_INVALID if none. */
dmsc_faceid_t dmsc_facetable_find_uri(dmsc_facetable_t *ft, const char *remote_uri);
/* Close and remove a face. DMSC_EINVAL if no such face. */
int dmsc_facetable_destroy(dmsc_facetable_t *ft, dmsc_faceid_t id);
/* Update persistency / flags (faces/update). */
int dmsc_facetable_update(dmsc_facetable_t *ft, dmsc_faceid_t id, int persistency,
                          uint32_t flags_mask, uint32_t flags);
int dmsc_facetable_get(dmsc_facetable_t *ft, dmsc_faceid_t id, dmsc_face_info_t *out);
/* Visit every face; stops when cb returns non-zero. */
void dmsc_facetable_foreach(dmsc_facetable_t *ft, int (*cb)(void *arg, const dmsc_face_info_t *fi),
                            void *arg);
/* Register a listener told when any face goes away (RIB cleanup). */
void dmsc_facetable_on_close(dmsc_facetable_t *ft, void (*cb)(void *arg, dmsc_faceid_t id),
                             void *arg);

#endif
