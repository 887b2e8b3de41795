#include "mgmt/nfdmgmt.h"

#include <stdlib.h>
#include <string.h>

#include "mgmt/nfd_tlv.h"
#include "mgmt/version.h"
#include "ndn/data.h"
#include "sec/sig.h"

#define FRESHNESS_MS 1000
#define CONTENT_MAX 8192 /* a ControlResponse: names (2 x 2 KiB) and two short URIs */
#define OUT_MAX 16384    /* a reply Data: name, content, signature with KeyLocator */
#define SCRATCH_INIT 16384
#define WORD_MAX 32 /* module and verb components */

/* ---- state ---- */

typedef struct pending pending_t;
/* A faces/create waiting for dmsc_facetable_create()'s callback. When the
 * dispatcher is freed first, m is set to NULL and the callback frees it. */
struct pending {
    dmsc_nfdmgmt_t *m;
    pending_t *prev, *next;
    dmsc_nfdmgmt_reply_cb cb;
    void *arg;
    uint8_t *name; /* the command Interest's Name TLV-VALUE */
    size_t name_len;
    uint32_t mask, flags; /* Flags/Mask of the command: applied to the new face */
};

/* One generated dataset version, kept so that its segments can be fetched. */
typedef struct {
    uint8_t *base; /* dataset Name TLV-VALUE, without version */
    size_t base_len;
    uint64_t version;
    uint8_t *payload;
    size_t len;
    uint64_t created;
} cached_t;

struct dmsc_nfdmgmt {
    dmsc_fw_t *fw;
    dmsc_facetable_t *ft;
    dmsc_rib_t *rib;
    const dmsc_signer_t *signer;

    bool have_clock, started;
    uint64_t clock_unix_ms, clock_mono_ns, start_mono_ns;
    uint64_t last_version;
    char version[64];
    dmsc_fw_config_t fw_cfg;
    dmsc_nfdmgmt_authorizer_cb authorizer;
    void *authorizer_arg;

    cached_t cache[DMSC_NFDMGMT_CACHE_VERSIONS];
    size_t cache_next;
    pending_t *pending;
    size_t npending;

    uint8_t *scratch; /* dataset record encoding; grows */
    size_t scap;
    uint8_t content[CONTENT_MAX];
    uint8_t out[OUT_MAX];
};

/* ---- clock ---- */

static uint64_t wall_ms(const dmsc_nfdmgmt_t *m, uint64_t mono_ns)
{
    if (!m->have_clock) return mono_ns / 1000000u;
    if (mono_ns >= m->clock_mono_ns)
        return m->clock_unix_ms + (mono_ns - m->clock_mono_ns) / 1000000u;
    uint64_t back = (m->clock_mono_ns - mono_ns) / 1000000u;
    return back < m->clock_unix_ms ? m->clock_unix_ms - back : 0;
}

static void mark_started(dmsc_nfdmgmt_t *m, uint64_t mono_ns)
{
    if (m->started) return;
    m->started = true;
    m->start_mono_ns = mono_ns;
}

/* ---- reply encoding ---- */

/* Encode and sign a reply Data named `name`, send it. final_seg < 0: no
 * FinalBlockId. Encoding failures drop the reply (they cannot happen with
 * the sizes used here). */
static void send_data(dmsc_nfdmgmt_t *m, const dmsc_name_t *name, dmsc_slice_t content, bool nack,
                      int64_t final_seg, dmsc_nfdmgmt_reply_cb cb, void *arg)
{
    dmsc_data_t d;
    uint8_t fb[8];
    dmsc_slice_t out;
    dmsc_data_init(&d);
    d.name = *name;
    d.has_freshness = true;
    d.freshness = FRESHNESS_MS;
    if (nack) {
        d.has_content_type = true;
        d.content_type = DMSC_CONTENT_NACK;
    }
    if (final_seg >= 0) {
        d.has_final_block = true;
        d.final_block.type = DMSC_TT_SEGMENT;
        d.final_block.len = (uint16_t)dmsc_nni_write(fb, (uint64_t)final_seg);
        d.final_block.value = fb;
    }
    d.has_content = true;
    d.content = content;
    const dmsc_signer_t *s = m->signer ? m->signer : dmsc_sig_digest_signer();
    if (dmsc_data_encode(&d, s, m->out, sizeof m->out, &out) < 0) return;
    cb(arg, out.p, out.n);
}

/* Reply a ControlResponse (as a Data named after the Interest). nack: the
 * ContentType is Nack (StatusDataset rejections, as ndn-cxx sends them). */
static void reply_cr(dmsc_nfdmgmt_t *m, const dmsc_name_t *name, uint64_t code, const char *text,
                     const dmsc_nfd_cp_t *body, bool nack, dmsc_nfdmgmt_reply_cb cb, void *arg)
{
    dmsc_enc_t e;
    dmsc_enc_init(&e, m->content, sizeof m->content);
    if (dmsc_nfd_cr_prepend(&e, code, text, body) < 0) {
        dmsc_enc_init(&e, m->content, sizeof m->content);
        dmsc_nfd_cr_prepend(&e, 500, "response too large", NULL);
    }
    dmsc_slice_t c = dmsc_slice(dmsc_enc_data(&e), sizeof m->content - dmsc_enc_mark(&e));
    send_data(m, name, c, nack, -1, cb, arg);
}

/* ---- helpers ---- */

/* Component k as a NUL-terminated word if it is a short GenericNameComponent. */
static bool comp_word(const dmsc_name_t *n, size_t k, char out[WORD_MAX])
{
    dmsc_comp_t c = dmsc_name_comp(n, k);
    if (c.type != DMSC_TT_GENERIC || c.len >= WORD_MAX) return false;
    memcpy(out, c.value, c.len);
    out[c.len] = '\0';
    return strlen(out) == c.len;
}

static bool slice_to_cstr(dmsc_slice_t s, char *out, size_t cap)
{
    if (s.n >= cap || memchr(s.p, '\0', s.n)) return false;
    if (s.n) memcpy(out, s.p, s.n);
    out[s.n] = '\0';
    return true;
}

static bool slice_eq_str(dmsc_slice_t s, const char *str)
{
    return s.n == strlen(str) && (s.n == 0 || memcmp(s.p, str, s.n) == 0);
}

/* Scheme of a FaceUri ("udp4" in "udp4://..."), as a slice of uri. */
static dmsc_slice_t uri_scheme(const char *uri)
{
    const char *colon = strchr(uri, ':');
    return dmsc_slice(uri, colon ? (size_t)(colon - uri) : 0);
}

/* ---- commands ---- */

typedef struct {
    dmsc_nfdmgmt_t *m;
    const dmsc_interest_t *in;
    dmsc_faceid_t incoming;
    uint64_t now;
    dmsc_nfd_cp_t cp;
    dmsc_nfdmgmt_reply_cb cb;
    void *arg;
} cmd_t;

static void reply(cmd_t *c, uint64_t code, const char *text, const dmsc_nfd_cp_t *body)
{
    reply_cr(c->m, &c->in->name, code, text, body, false, c->cb, c->arg);
}

/* FaceId 0 or absent means the requesting face. Returns 0 if unknown. */
static dmsc_faceid_t target_face(cmd_t *c)
{
    if ((c->cp.has & DMSC_CP_FACE_ID) && c->cp.face_id != 0) {
        return c->cp.face_id > UINT32_MAX ? DMSC_FACEID_INVALID : (dmsc_faceid_t)c->cp.face_id;
    }
    return c->incoming;
}

static bool face_exists(dmsc_nfdmgmt_t *m, dmsc_faceid_t id, dmsc_face_info_t *fi)
{
    dmsc_face_info_t tmp;
    return id != DMSC_FACEID_INVALID && dmsc_facetable_get(m->ft, id, fi ? fi : &tmp) == 0;
}

/* NFD's collectFaceProperties(): what faces/create and faces/update answer. */
static void face_props(const dmsc_face_info_t *fi, bool want_uris, dmsc_nfd_cp_t *cp)
{
    dmsc_nfd_cp_init(cp);
    cp->has = DMSC_CP_FACE_ID | DMSC_CP_FACE_PERSISTENCY | DMSC_CP_FLAGS;
    cp->face_id = fi->id;
    cp->face_persistency = (uint64_t)fi->persistency;
    cp->flags = fi->flags;
    if (want_uris) {
        /* Mtu only here: ndn-cxx before 0.9 rejects it in faces/update responses */
        if (fi->mtu) {
            cp->has |= DMSC_CP_MTU;
            cp->mtu = fi->mtu;
        }
        cp->has |= DMSC_CP_URI | DMSC_CP_LOCAL_URI;
        cp->uri = dmsc_slice(fi->remote_uri, strlen(fi->remote_uri));
        cp->local_uri = dmsc_slice(fi->local_uri, strlen(fi->local_uri));
    }
}

static void cmd_rib_register(cmd_t *c)
{
    dmsc_nfd_cp_t *cp = &c->cp;
    if (cp->name.ncomps > DMSC_NFDMGMT_MAX_PREFIX_COMPS)
        return reply(c, 414, "Route prefix cannot exceed 32 components", NULL);
    dmsc_faceid_t face = target_face(c);
    if (face == DMSC_FACEID_INVALID)
        return reply(c, 404, "No FaceId specified and IncomingFaceId not available", NULL);
    if (!face_exists(c->m, face, NULL)) return reply(c, 410, "Face not found", NULL);
    /* defaults (ndn-cxx RibRegisterCommand::applyDefaultsToRequest) */
    cp->has |= DMSC_CP_FACE_ID;
    cp->face_id = face;
    if (!(cp->has & DMSC_CP_ORIGIN)) cp->origin = DMSC_ROUTE_ORIGIN_APP;
    if (!(cp->has & DMSC_CP_COST)) cp->cost = 0;
    if (!(cp->has & DMSC_CP_FLAGS)) cp->flags = DMSC_ROUTE_CHILD_INHERIT;
    cp->has |= DMSC_CP_ORIGIN | DMSC_CP_COST | DMSC_CP_FLAGS;

    dmsc_route_t r = {.face = face, .origin = cp->origin, .cost = cp->cost, .flags = cp->flags};
    r.expires = DMSC_RIB_NEVER;
    if ((cp->has & DMSC_CP_EXPIRATION_PERIOD) && cp->expiration_period < UINT64_MAX / 1000000u &&
        c->now < UINT64_MAX - cp->expiration_period * 1000000u)
        r.expires = c->now + cp->expiration_period * 1000000u;
    int rc = dmsc_rib_add(c->m->rib, &cp->name, &r);
    if (rc == DMSC_EINVAL) return reply(c, 410, "Face not found", NULL);
    if (rc < 0) return reply(c, 503, "RIB or FIB is full", NULL);
    reply(c, 200, "Success", cp);
}

static void cmd_rib_unregister(cmd_t *c)
{
    dmsc_nfd_cp_t *cp = &c->cp;
    dmsc_faceid_t face = target_face(c);
    if (face == DMSC_FACEID_INVALID)
        return reply(c, 404, "No FaceId specified and IncomingFaceId not available", NULL);
    cp->has |= DMSC_CP_FACE_ID | DMSC_CP_ORIGIN;
    cp->face_id = face;
    if (!(c->cp.has & DMSC_CP_ORIGIN)) cp->origin = DMSC_ROUTE_ORIGIN_APP;
    dmsc_rib_remove(c->m->rib, &cp->name, face, cp->origin);
    reply(c, 200, "Success", cp);
}

static void cmd_fib_add(cmd_t *c)
{
    dmsc_nfd_cp_t *cp = &c->cp;
    if (cp->name.ncomps > DMSC_NFDMGMT_MAX_PREFIX_COMPS)
        return reply(c, 414, "FIB entry prefix cannot exceed 32 components", NULL);
    dmsc_faceid_t face = target_face(c);
    if (face == DMSC_FACEID_INVALID)
        return reply(c, 404, "No FaceId specified and IncomingFaceId not available", NULL);
    if (!face_exists(c->m, face, NULL)) return reply(c, 410, "Face not found", NULL);
    cp->has |= DMSC_CP_FACE_ID | DMSC_CP_COST;
    cp->face_id = face;
    int rc = dmsc_fw_fib_add(c->m->fw, &cp->name, face, cp->cost);
    if (rc == DMSC_EINVAL) return reply(c, 410, "Face not found", NULL);
    if (rc < 0) return reply(c, 503, "FIB is full", NULL);
    reply(c, 200, "Success", cp);
}

static void cmd_fib_remove(cmd_t *c)
{
    dmsc_nfd_cp_t *cp = &c->cp;
    dmsc_faceid_t face = target_face(c);
    if (face == DMSC_FACEID_INVALID)
        return reply(c, 404, "No FaceId specified and IncomingFaceId not available", NULL);
    cp->has |= DMSC_CP_FACE_ID;
    cp->face_id = face;
    dmsc_fw_fib_remove(c->m->fw, &cp->name, face);
    reply(c, 200, "Success", cp);
}

typedef struct {
    const dmsc_name_t *prefix;
    dmsc_namebuf_t *out;
    bool found;
} sc_find_t;

static int sc_find_cb(void *arg, const dmsc_name_t *prefix, const dmsc_name_t *strategy)
{
    sc_find_t *f = arg;
    if (!dmsc_name_equal(prefix, f->prefix)) return 0;
    f->found = dmsc_namebuf_copy(f->out, strategy) == 0;
    return 1;
}

static void cmd_strategy_set(cmd_t *c)
{
    dmsc_nfd_cp_t *cp = &c->cp;
    if (cp->name.ncomps > DMSC_NFDMGMT_MAX_PREFIX_COMPS)
        return reply(c, 414, "Prefix has too many components (limit is 32)", NULL);
    int rc = dmsc_fw_strategy_set(c->m->fw, &cp->name, &cp->strategy);
    if (rc == DMSC_ENOTSUP) return reply(c, 404, "Strategy not registered", NULL);
    if (rc == DMSC_EINVAL) return reply(c, 400, "Invalid strategy choice", NULL);
    if (rc < 0) return reply(c, 503, "Strategy choice table is full", NULL);
    /* answer the instance name the forwarder recorded (NFD adds the version) */
    dmsc_namebuf_t nb;
    sc_find_t f = {&cp->name, &nb, false};
    dmsc_fw_strategy_foreach(c->m->fw, sc_find_cb, &f);
    if (f.found) cp->strategy = nb.name;
    reply(c, 200, "OK", cp);
}

static void cmd_strategy_unset(cmd_t *c)
{
    if (c->cp.name.ncomps == 0) return reply(c, 400, "failed in validating parameters", NULL);
    dmsc_fw_strategy_unset(c->m->fw, &c->cp.name);
    reply(c, 200, "OK", &c->cp);
}

/* ---- faces ---- */

static void pending_unlink(dmsc_nfdmgmt_t *m, pending_t *p)
{
    if (p->prev)
        p->prev->next = p->next;
    else
        m->pending = p->next;
    if (p->next) p->next->prev = p->prev;
    m->npending--;
}

static void pending_free(pending_t *p)
{
    free(p->name);
    free(p);
}

static void face_created(void *arg, int status, dmsc_faceid_t id)
{
    pending_t *p = arg;
    dmsc_nfdmgmt_t *m = p->m;
    if (!m) { /* the dispatcher is gone */
        pending_free(p);
        return;
    }
    pending_unlink(m, p);
    dmsc_name_t name;
    if (dmsc_name_from_value(&name, p->name, p->name_len) < 0) {
        pending_free(p);
        return;
    }
    dmsc_face_info_t fi;
    dmsc_nfd_cp_t props;
    if (status == 0 && (p->mask & DMSC_FACE_FLAG_CONGESTION_MARKING) && face_exists(m, id, &fi)) {
        /* stream faces start with congestion marking on: a Mask with the bit
         * decides (the other bits were given to the face table) */
        dmsc_facetable_update(m->ft, id, fi.persistency, DMSC_FACE_FLAG_CONGESTION_MARKING,
                              p->flags);
    }
    if (status >= 0 && face_exists(m, id, &fi)) {
        face_props(&fi, true, &props);
        if (status > 0) /* the face table found an equivalent face */
            reply_cr(m, &name, 409, "Face with remote URI already exists", &props, false, p->cb,
                     p->arg);
        else
            reply_cr(m, &name, 200, "OK", &props, false, p->cb, p->arg);
    } else if (status == DMSC_ENOTSUP) {
        reply_cr(m, &name, 406, "Unsupported protocol", NULL, false, p->cb, p->arg);
    } else if (status == DMSC_EINVAL) {
        reply_cr(m, &name, 400, "Non-canonical remote URI", NULL, false, p->cb, p->arg);
    } else {
        reply_cr(m, &name, 504, "Connection failed", NULL, false, p->cb, p->arg);
    }
    pending_free(p);
}

static void cmd_faces_create(cmd_t *c)
{
    dmsc_nfdmgmt_t *m = c->m;
    dmsc_nfd_cp_t *cp = &c->cp;
    char raw[DMSC_FACE_URI_MAX], uri[DMSC_FACE_URI_MAX];
    if (!slice_to_cstr(cp->uri, raw, sizeof raw)) return reply(c, 400, "Malformed command", NULL);
    /* NFD rejects a non-canonical URI; dmscd canonizes what it can (nfdc
     * sends canonical URIs anyway, NDNts sends them as the user wrote them) */
    int rc = dmsc_face_uri_canonize(raw, uri, sizeof uri);
    if (rc == DMSC_ENOTSUP) return reply(c, 406, "Unsupported protocol", NULL);
    if (rc < 0) return reply(c, 400, "Non-canonical remote URI", NULL);
    if (cp->has & DMSC_CP_LOCAL_URI) return reply(c, 406, "LocalUri is not supported", NULL);
    if (cp->has & DMSC_CP_MTU) return reply(c, 406, "MTU override is not supported", NULL);
    uint64_t persistency =
        (cp->has & DMSC_CP_FACE_PERSISTENCY) ? cp->face_persistency : DMSC_FACE_PERSISTENT;
    if (persistency > DMSC_FACE_PERMANENT) return reply(c, 400, "Malformed command", NULL);
    if (persistency == DMSC_FACE_ON_DEMAND)
        return reply(c, 406, "Outgoing faces do not support on-demand persistency", NULL);
    uint32_t flags = (uint32_t)(cp->flags & cp->mask);

    dmsc_faceid_t existing = dmsc_facetable_find_uri(m->ft, uri);
    dmsc_face_info_t fi;
    if (existing != DMSC_FACEID_INVALID && face_exists(m, existing, &fi)) {
        dmsc_nfd_cp_t props;
        face_props(&fi, true, &props);
        return reply(c, 409, "Face with remote URI already exists", &props);
    }
    if (m->npending >= DMSC_NFDMGMT_PENDING_MAX)
        return reply(c, 503, "Too many face creations in progress", NULL);

    pending_t *p = calloc(1, sizeof *p);
    if (p) p->name = malloc(c->in->name.len ? c->in->name.len : 1);
    if (!p || !p->name) {
        free(p);
        return reply(c, 500, "Out of memory", NULL);
    }
    memcpy(p->name, c->in->name.value, c->in->name.len);
    p->name_len = c->in->name.len;
    p->mask = (uint32_t)((cp->has & DMSC_CP_MASK) ? cp->mask : 0);
    p->flags = flags;
    p->m = m;
    p->cb = c->cb;
    p->arg = c->arg;
    p->next = m->pending;
    if (m->pending) m->pending->prev = p;
    m->pending = p;
    m->npending++;

    rc = dmsc_facetable_create(m->ft, uri, (int)persistency, flags, face_created, p);
    if (rc < 0) { /* not started: the callback will not run */
        pending_unlink(m, p);
        pending_free(p);
        if (rc == DMSC_ENOTSUP) return reply(c, 406, "Unsupported protocol", NULL);
        if (rc == DMSC_EINVAL) return reply(c, 400, "Non-canonical remote URI", NULL);
        return reply(c, 500, "Face creation failed due to internal error", NULL);
    }
}

static void cmd_faces_update(cmd_t *c)
{
    dmsc_nfdmgmt_t *m = c->m;
    dmsc_nfd_cp_t *cp = &c->cp;
    dmsc_faceid_t face = target_face(c);
    if (face == DMSC_FACEID_INVALID)
        return reply(c, 404, "No FaceId specified and IncomingFaceId not available", NULL);
    dmsc_face_info_t fi;
    if (!face_exists(m, face, &fi)) return reply(c, 404, "Specified face does not exist", NULL);

    /* validate every requested change first (NFD answers 409 with the
     * offending properties) */
    dmsc_nfd_cp_t bad;
    dmsc_nfd_cp_init(&bad);
    uint32_t mask = (uint32_t)((cp->has & DMSC_CP_MASK) ? cp->mask : 0);
    uint32_t flags = (uint32_t)((cp->has & DMSC_CP_FLAGS) ? cp->flags : 0);
    if ((mask & flags & DMSC_FACE_FLAG_LOCAL_FIELDS) && fi.scope != DMSC_SCOPE_LOCAL) {
        bad.has |= DMSC_CP_FLAGS | DMSC_CP_MASK;
        bad.flags = bad.mask = DMSC_FACE_FLAG_LOCAL_FIELDS;
    }
    int persistency = fi.persistency;
    if (cp->has & DMSC_CP_FACE_PERSISTENCY) {
        if (cp->face_persistency > DMSC_FACE_PERMANENT) {
            bad.has |= DMSC_CP_FACE_PERSISTENCY;
            bad.face_persistency = cp->face_persistency;
        } else {
            persistency = (int)cp->face_persistency;
        }
    }
    if (bad.has) return reply(c, 409, "Invalid properties specified", &bad);

    int rc = dmsc_facetable_update(m->ft, face, persistency, mask, flags & mask);
    if (rc == DMSC_ENOTSUP) {
        bad.has |= DMSC_CP_FACE_PERSISTENCY;
        bad.face_persistency = (uint64_t)persistency;
        return reply(c, 409, "Invalid properties specified", &bad);
    }
    if (rc < 0 || !face_exists(m, face, &fi))
        return reply(c, 404, "Specified face does not exist", NULL);
    dmsc_nfd_cp_t props;
    face_props(&fi, false, &props);
    reply(c, 200, "OK", &props);
}

static void cmd_faces_destroy(cmd_t *c)
{
    if (c->cp.face_id == 0) return reply(c, 400, "failed in validating parameters", NULL);
    /* NFD answers 200 whether or not the face existed */
    if (c->cp.face_id <= UINT32_MAX) dmsc_facetable_destroy(c->m->ft, (dmsc_faceid_t)c->cp.face_id);
    reply(c, 200, "OK", &c->cp);
}

/* ---- CS ---- */

static void cs_props(const dmsc_nfdmgmt_t *m, dmsc_nfd_cp_t *cp)
{
    dmsc_nfd_cp_init(cp);
    cp->has = DMSC_CP_CAPACITY | DMSC_CP_FLAGS;
    cp->capacity = m->fw_cfg.cs_max_entries;
    cp->flags = DMSC_NFD_CS_ENABLE_ADMIT | DMSC_NFD_CS_ENABLE_SERVE;
}

static void cmd_cs_config(cmd_t *c)
{
    dmsc_nfdmgmt_t *m = c->m;
    dmsc_nfd_cp_t *cp = &c->cp;
    uint64_t both = DMSC_NFD_CS_ENABLE_ADMIT | DMSC_NFD_CS_ENABLE_SERVE;
    if ((cp->has & DMSC_CP_MASK) && (cp->mask & both & ~cp->flags))
        return reply(c, 501, "Disabling CS admit or serve is not supported", NULL);
    if (cp->has & DMSC_CP_CAPACITY) {
        m->fw_cfg.cs_max_entries = (size_t)cp->capacity;
        dmsc_fw_reconfigure(m->fw, &m->fw_cfg);
    }
    dmsc_nfd_cp_t props;
    cs_props(m, &props);
    reply(c, 200, "OK", &props);
}

static void cmd_cs_erase(cmd_t *c)
{
    dmsc_nfd_cp_t *cp = &c->cp;
    if ((cp->has & DMSC_CP_COUNT) && cp->count == 0)
        return reply(c, 400, "failed in validating parameters", NULL);
    if (cp->name.ncomps != 0) return reply(c, 501, "cs/erase supports only the root prefix", NULL);
    uint64_t before = dmsc_fw_counters(c->m->fw)->cs_entries;
    dmsc_fw_cs_erase_all(c->m->fw);
    uint64_t after = dmsc_fw_counters(c->m->fw)->cs_entries;
    cp->has = DMSC_CP_NAME | DMSC_CP_COUNT;
    cp->count = before > after ? before - after : 0;
    reply(c, 200, "OK", cp);
}

/* ---- command table ---- */

#define F(x) DMSC_CP_##x
typedef struct {
    const char *module, *verb;
    uint32_t required, optional;
    void (*fn)(cmd_t *c);
} command_t;

static const command_t commands[] = {
    {"rib", "register", F(NAME), F(FACE_ID) | F(ORIGIN) | F(COST) | F(FLAGS) | F(EXPIRATION_PERIOD),
     cmd_rib_register},
    {"rib", "unregister", F(NAME), F(FACE_ID) | F(ORIGIN), cmd_rib_unregister},
    {"faces", "create", F(URI),
     F(LOCAL_URI) | F(FLAGS) | F(MASK) | F(FACE_PERSISTENCY) | F(BASE_CONG_MARK_INTERVAL) |
         F(DEFAULT_CONG_THRESHOLD) | F(MTU),
     cmd_faces_create},
    {"faces", "update", 0,
     F(FACE_ID) | F(FLAGS) | F(MASK) | F(FACE_PERSISTENCY) | F(BASE_CONG_MARK_INTERVAL) |
         F(DEFAULT_CONG_THRESHOLD) | F(MTU),
     cmd_faces_update},
    {"faces", "destroy", F(FACE_ID), 0, cmd_faces_destroy},
    {"fib", "add-nexthop", F(NAME), F(FACE_ID) | F(COST), cmd_fib_add},
    {"fib", "remove-nexthop", F(NAME), F(FACE_ID), cmd_fib_remove},
    {"strategy-choice", "set", F(NAME) | F(STRATEGY), 0, cmd_strategy_set},
    {"strategy-choice", "unset", F(NAME), 0, cmd_strategy_unset},
    {"cs", "config", 0, F(CAPACITY) | F(FLAGS) | F(MASK), cmd_cs_config},
    {"cs", "erase", F(NAME), F(COUNT), cmd_cs_erase},
};
#undef F

/* ndn-cxx ControlParametersCommandFormat::validate(): required fields
 * present, nothing else, Flags with Mask where both are allowed. */
static bool fields_valid(const command_t *cmd, const dmsc_nfd_cp_t *cp)
{
    if ((cp->has & cmd->required) != cmd->required) return false;
    if (cp->has & ~(cmd->required | cmd->optional)) return false;
    uint32_t fm = DMSC_CP_FLAGS | DMSC_CP_MASK;
    if ((cmd->optional & fm) == fm && ((cp->has & fm) != 0 && (cp->has & fm) != fm)) return false;
    return true;
}

/* The single place where command authentication and authorization happen.
 * Signatures are not verified yet: dmscd trusts localhost (the forwarder
 * keeps /localhost off non-local faces), like NFD's default configuration
 * that authorizes any signer. To verify, check sig_info / the signature
 * here (the legacy signed portion is the name up to the SignatureValue
 * component; the v0.3 one is in interest->signed_parts). */
static bool authorize(const dmsc_nfdmgmt_t *m, const dmsc_interest_t *in,
                      const dmsc_siginfo_t *sig_info, const char *module, const char *verb)
{
    if (m->authorizer) return m->authorizer(m->authorizer_arg, in, sig_info, module, verb);
    return true;
}

/* Legacy (v0.2) signed command: <params>/<timestamp>/<nonce>/<SignatureInfo>/<SignatureValue>.
 * Checks the four components' structure; fills *si. */
static bool legacy_signature(const dmsc_name_t *n, dmsc_siginfo_t *si)
{
    dmsc_tlv_t el;
    uint64_t ts;
    size_t k = n->ncomps;
    dmsc_comp_t c_ts = dmsc_name_comp(n, k - 4);
    dmsc_comp_t c_si = dmsc_name_comp(n, k - 2);
    dmsc_comp_t c_sv = dmsc_name_comp(n, k - 1);
    if (dmsc_nni_decode(c_ts.value, c_ts.len, &ts) < 0) return false;
    if (dmsc_tlv_decode_one(c_si.value, c_si.len, &el) < 0 || el.type != DMSC_TT_SIG_INFO)
        return false;
    if (dmsc_siginfo_decode(si, &el) < 0) return false;
    if (dmsc_tlv_decode_one(c_sv.value, c_sv.len, &el) < 0 || el.type != DMSC_TT_SIG_VALUE)
        return false;
    return true;
}

static void handle_command(dmsc_nfdmgmt_t *m, const command_t *cmd, const dmsc_interest_t *in,
                           const dmsc_pkt_t *pkt, uint64_t now, dmsc_nfdmgmt_reply_cb cb, void *arg)
{
    cmd_t c = {.m = m, .in = in, .now = now, .cb = cb, .arg = arg};
    c.incoming = pkt->incoming_face > UINT32_MAX ? 0 : (dmsc_faceid_t)pkt->incoming_face;
    const dmsc_name_t *n = &in->name;
    dmsc_siginfo_t legacy_si;
    const dmsc_siginfo_t *sig = NULL;
    dmsc_slice_t params;

    /* where the ControlParameters are, and which signed-command format */
    if (in->has_app_params) {
        /* v0.3: /.../<verb>[/<params>]/<ParametersSha256Digest>, signed or not */
        if (in->params_digest_idx > 4)
            params = dmsc_slice(dmsc_name_comp(n, 4).value, dmsc_name_comp(n, 4).len);
        else
            params = in->app_params;
        if (in->is_signed) sig = &in->sig_info;
    } else if (n->ncomps == 5) {
        params = dmsc_slice(dmsc_name_comp(n, 4).value, dmsc_name_comp(n, 4).len);
    } else if (n->ncomps < 5) {
        return reply_cr(m, n, 400, "Malformed command", NULL, false, cb, arg);
    } else {
        if (n->ncomps != 9 || !legacy_signature(n, &legacy_si))
            return reply_cr(m, n, 403, "authorization rejected", NULL, false, cb, arg);
        params = dmsc_slice(dmsc_name_comp(n, 4).value, dmsc_name_comp(n, 4).len);
        sig = &legacy_si;
    }

    if (dmsc_nfd_cp_decode(&c.cp, params.p, params.n) < 0)
        return reply_cr(m, n, 400, "Malformed command", NULL, false, cb, arg);
    if (!authorize(m, in, sig, cmd->module, cmd->verb))
        return reply_cr(m, n, 403, "authorization rejected", NULL, false, cb, arg);
    if (!fields_valid(cmd, &c.cp))
        return reply_cr(m, n, 400, "failed in validating parameters", NULL, false, cb, arg);
    cmd->fn(&c);
}

/* ---- datasets ---- */

typedef struct {
    dmsc_nfdmgmt_t *m;
    uint64_t now;
    uint8_t *p; /* payload being built */
    size_t n, cap;
    int err;
    const dmsc_nfd_face_filter_t *filter; /* faces/query */
} ds_t;

static void ds_append(ds_t *ds, const uint8_t *p, size_t n)
{
    if (ds->err) return;
    if (n > DMSC_NFDMGMT_DATASET_MAX - ds->n) {
        ds->err = DMSC_ETOOBIG;
        return;
    }
    if (ds->n + n > ds->cap) {
        size_t ncap = ds->cap ? ds->cap * 2 : 4096;
        while (ncap < ds->n + n)
            ncap *= 2;
        uint8_t *q = realloc(ds->p, ncap);
        if (!q) {
            ds->err = DMSC_ENOMEM;
            return;
        }
        ds->p = q;
        ds->cap = ncap;
    }
    memcpy(ds->p + ds->n, p, n);
    ds->n += n;
}

/* Encode one record with enc(ctx) into the scratch buffer (grown until it
 * fits, up to the dataset ceiling) and append it to the payload. */
typedef int (*rec_enc_fn)(dmsc_enc_t *e, const void *ctx);

static void ds_record(ds_t *ds, rec_enc_fn enc, const void *ctx)
{
    dmsc_nfdmgmt_t *m = ds->m;
    while (!ds->err) {
        dmsc_enc_t e;
        dmsc_enc_init(&e, m->scratch, m->scap);
        int rc = enc(&e, ctx);
        if (rc == 0) {
            ds_append(ds, dmsc_enc_data(&e), m->scap - dmsc_enc_mark(&e));
            return;
        }
        if (rc != DMSC_ENOBUFS || m->scap >= DMSC_NFDMGMT_DATASET_MAX) {
            ds->err = rc == DMSC_ENOBUFS ? DMSC_ETOOBIG : rc;
            return;
        }
        uint8_t *q = realloc(m->scratch, m->scap * 2);
        if (!q) {
            ds->err = DMSC_ENOMEM;
            return;
        }
        m->scratch = q;
        m->scap *= 2;
    }
}

/* status/general */
typedef struct {
    uint64_t in_i, in_d, in_n, out_i, out_d, out_n;
} sum_t;

static int sum_face_cb(void *arg, const dmsc_face_info_t *fi)
{
    sum_t *s = arg;
    if (!fi->counters) return 0;
    s->in_i += fi->counters->in_interests;
    s->in_d += fi->counters->in_data;
    s->in_n += fi->counters->in_nacks;
    s->out_i += fi->counters->out_interests;
    s->out_d += fi->counters->out_data;
    s->out_n += fi->counters->out_nacks;
    return 0;
}

static int enc_status(dmsc_enc_t *e, const void *ctx)
{
    return dmsc_nfd_status_prepend(e, ctx);
}

static void ds_status_general(ds_t *ds)
{
    dmsc_nfdmgmt_t *m = ds->m;
    const dmsc_fw_counters_t *fc = dmsc_fw_counters(m->fw);
    sum_t sum = {0};
    dmsc_facetable_foreach(m->ft, sum_face_cb, &sum);
    dmsc_nfd_status_t s = {
        .nfd_version = dmsc_slice(m->version, strlen(m->version)),
        .start_timestamp = m->have_clock ? wall_ms(m, m->start_mono_ns) : 0,
        .current_timestamp = wall_ms(m, ds->now),
        .n_name_tree_entries = fc->fib_size + fc->pit_size, /* no name tree: an estimate */
        .n_fib_entries = fc->fib_size,
        .n_pit_entries = fc->pit_size,
        .n_measurements_entries = 0,
        .n_cs_entries = fc->cs_entries,
        .n_in_interests = sum.in_i,
        .n_in_data = sum.in_d,
        .n_in_nacks = sum.in_n,
        .n_out_interests = sum.out_i,
        .n_out_data = sum.out_d,
        .n_out_nacks = sum.out_n,
        .n_satisfied_interests = fc->satisfied_interests,
        .n_unsatisfied_interests = fc->unsatisfied_interests,
    };
    ds_record(ds, enc_status, &s);
}

/* faces/list, faces/query */
static bool face_matches(const dmsc_nfd_face_filter_t *f, const dmsc_face_info_t *fi)
{
    if (!f) return true;
    if ((f->has & DMSC_FQF_FACE_ID) && f->face_id != fi->id) return false;
    if ((f->has & DMSC_FQF_URI_SCHEME) &&
        !dmsc_slice_eq(f->uri_scheme, uri_scheme(fi->remote_uri)) &&
        !dmsc_slice_eq(f->uri_scheme, uri_scheme(fi->local_uri)))
        return false;
    if ((f->has & DMSC_FQF_URI) && !slice_eq_str(f->uri, fi->remote_uri)) return false;
    if ((f->has & DMSC_FQF_LOCAL_URI) && !slice_eq_str(f->local_uri, fi->local_uri)) return false;
    if ((f->has & DMSC_FQF_FACE_SCOPE) && f->face_scope != (uint64_t)fi->scope) return false;
    if ((f->has & DMSC_FQF_FACE_PERSISTENCY) && f->face_persistency != (uint64_t)fi->persistency)
        return false;
    if ((f->has & DMSC_FQF_LINK_TYPE) && f->link_type != (uint64_t)fi->link_type) return false;
    return true;
}

static int enc_face_status(dmsc_enc_t *e, const void *ctx)
{
    return dmsc_nfd_face_status_prepend(e, ctx);
}

static int face_list_cb(void *arg, const dmsc_face_info_t *fi)
{
    ds_t *ds = arg;
    if (!face_matches(ds->filter, fi)) return 0;
    dmsc_nfd_face_status_t fs = {
        .face_id = fi->id,
        .uri = dmsc_slice(fi->remote_uri, strnlen(fi->remote_uri, sizeof fi->remote_uri)),
        .local_uri = dmsc_slice(fi->local_uri, strnlen(fi->local_uri, sizeof fi->local_uri)),
        .face_scope = (uint64_t)fi->scope,
        .face_persistency = (uint64_t)fi->persistency,
        .link_type = (uint64_t)fi->link_type,
        .has_mtu = fi->mtu != 0,
        .mtu = fi->mtu,
        .flags = fi->flags,
    };
    const dmsc_fw_face_counters_t *fc = fi->counters;
    if (fc) {
        fs.n_in_interests = fc->in_interests;
        fs.n_in_data = fc->in_data;
        fs.n_in_nacks = fc->in_nacks;
        fs.n_out_interests = fc->out_interests;
        fs.n_out_data = fc->out_data;
        fs.n_out_nacks = fc->out_nacks;
        fs.n_in_bytes = fc->in_bytes;
        fs.n_out_bytes = fc->out_bytes;
    }
    ds_record(ds, enc_face_status, &fs);
    return ds->err != 0;
}

static void ds_faces_list(ds_t *ds)
{
    dmsc_facetable_foreach(ds->m->ft, face_list_cb, ds);
}

static void ds_empty(ds_t *ds) {}

/* fib/list */
typedef struct {
    const dmsc_name_t *prefix;
    const dmsc_nexthop_t *nh;
    size_t n;
} fib_rec_t;

static int enc_fib_entry(dmsc_enc_t *e, const void *ctx)
{
    const fib_rec_t *r = ctx;
    /* prepend the records last-first straight from the forwarder's array */
    size_t mark = dmsc_enc_mark(e);
    for (size_t i = r->n; i-- > 0;) {
        size_t m = dmsc_enc_mark(e);
        dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_COST, r->nh[i].cost);
        dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_FACE_ID, r->nh[i].face);
        dmsc_enc_prepend_hdr(e, DMSC_NFD_TT_NEXT_HOP_RECORD, m - dmsc_enc_mark(e));
    }
    dmsc_enc_prepend_name(e, r->prefix);
    dmsc_enc_prepend_hdr(e, DMSC_NFD_TT_FIB_ENTRY, mark - dmsc_enc_mark(e));
    return dmsc_enc_error(e);
}

static int fib_list_cb(void *arg, const dmsc_name_t *prefix, const dmsc_nexthop_t *nh, size_t n)
{
    ds_t *ds = arg;
    fib_rec_t r = {prefix, nh, n};
    ds_record(ds, enc_fib_entry, &r);
    return ds->err != 0;
}

static void ds_fib_list(ds_t *ds)
{
    dmsc_fw_fib_foreach(ds->m->fw, fib_list_cb, ds);
}

/* rib/list */
typedef struct {
    const dmsc_name_t *prefix;
    const dmsc_route_t *routes;
    size_t n;
    uint64_t now;
} rib_rec_t;

static int enc_rib_entry(dmsc_enc_t *e, const void *ctx)
{
    const rib_rec_t *r = ctx;
    size_t mark = dmsc_enc_mark(e);
    for (size_t i = r->n; i-- > 0;) {
        const dmsc_route_t *rt = &r->routes[i];
        dmsc_nfd_route_t nr = {.face_id = rt->face,
                               .origin = rt->origin,
                               .cost = rt->cost,
                               .flags = rt->flags,
                               .has_expiration_period = rt->expires != DMSC_RIB_NEVER};
        if (nr.has_expiration_period)
            nr.expiration_period = rt->expires > r->now ? (rt->expires - r->now) / 1000000u : 0;
        size_t m = dmsc_enc_mark(e);
        if (nr.has_expiration_period)
            dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_EXPIRATION_PERIOD, nr.expiration_period);
        dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_FLAGS, nr.flags);
        dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_COST, nr.cost);
        dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_ORIGIN, nr.origin);
        dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_FACE_ID, nr.face_id);
        dmsc_enc_prepend_hdr(e, DMSC_NFD_TT_ROUTE, m - dmsc_enc_mark(e));
    }
    dmsc_enc_prepend_name(e, r->prefix);
    dmsc_enc_prepend_hdr(e, DMSC_NFD_TT_RIB_ENTRY, mark - dmsc_enc_mark(e));
    return dmsc_enc_error(e);
}

static int rib_list_cb(void *arg, const dmsc_name_t *prefix, const dmsc_route_t *routes, size_t n)
{
    ds_t *ds = arg;
    rib_rec_t r = {prefix, routes, n, ds->now};
    ds_record(ds, enc_rib_entry, &r);
    return ds->err != 0;
}

static void ds_rib_list(ds_t *ds)
{
    dmsc_rib_foreach(ds->m->rib, rib_list_cb, ds);
}

/* cs/info */
static int enc_cs_info(dmsc_enc_t *e, const void *ctx)
{
    return dmsc_nfd_cs_info_prepend(e, ctx);
}

static void ds_cs_info(ds_t *ds)
{
    const dmsc_fw_counters_t *fc = dmsc_fw_counters(ds->m->fw);
    dmsc_nfd_cs_info_t ci = {
        .capacity = ds->m->fw_cfg.cs_max_entries,
        .flags = DMSC_NFD_CS_ENABLE_ADMIT | DMSC_NFD_CS_ENABLE_SERVE,
        .n_entries = fc->cs_entries,
        .n_hits = fc->cs_hits,
        .n_misses = fc->cs_misses,
    };
    ds_record(ds, enc_cs_info, &ci);
}

/* strategy-choice/list */
typedef struct {
    const dmsc_name_t *prefix, *strategy;
} sc_rec_t;

static int enc_strategy_choice(dmsc_enc_t *e, const void *ctx)
{
    const sc_rec_t *r = ctx;
    return dmsc_nfd_strategy_choice_prepend(e, r->prefix, r->strategy);
}

static int sc_list_cb(void *arg, const dmsc_name_t *prefix, const dmsc_name_t *strategy)
{
    ds_t *ds = arg;
    sc_rec_t r = {prefix, strategy};
    ds_record(ds, enc_strategy_choice, &r);
    return ds->err != 0;
}

static void ds_strategy_list(ds_t *ds)
{
    dmsc_fw_strategy_foreach(ds->m->fw, sc_list_cb, ds);
}

typedef struct {
    const char *module, *name;
    bool has_param; /* one parameter component follows (faces/query) */
    void (*fn)(ds_t *ds);
} dataset_t;

static const dataset_t datasets[] = {
    {"status", "general", false, ds_status_general},
    {"faces", "list", false, ds_faces_list},
    {"faces", "query", true, ds_faces_list},
    {"faces", "channels", false, ds_empty},
    {"fib", "list", false, ds_fib_list},
    {"rib", "list", false, ds_rib_list},
    {"cs", "info", false, ds_cs_info},
    {"strategy-choice", "list", false, ds_strategy_list},
};

static void cache_clear(cached_t *c)
{
    free(c->base);
    free(c->payload);
    memset(c, 0, sizeof *c);
}

static bool cache_live(const cached_t *c, uint64_t now)
{
    return c->base && now - c->created < DMSC_NFDMGMT_CACHE_TTL_NS;
}

/* Send segment seg of a cached version (nothing if out of range). */
static void send_segment(dmsc_nfdmgmt_t *m, const cached_t *c, uint64_t seg,
                         dmsc_nfdmgmt_reply_cb cb, void *arg)
{
    uint64_t nseg =
        c->len ? (c->len + DMSC_NFDMGMT_SEGMENT_SIZE - 1) / DMSC_NFDMGMT_SEGMENT_SIZE : 1;
    if (seg >= nseg) return;
    dmsc_namebuf_t nb;
    dmsc_name_t base;
    if (dmsc_name_from_value(&base, c->base, c->base_len) < 0) return;
    if (dmsc_namebuf_copy(&nb, &base) < 0 ||
        dmsc_namebuf_append_nni(&nb, DMSC_TT_VERSION, c->version) < 0 ||
        dmsc_namebuf_append_nni(&nb, DMSC_TT_SEGMENT, seg) < 0)
        return;
    size_t off = (size_t)seg * DMSC_NFDMGMT_SEGMENT_SIZE;
    size_t len =
        c->len - off < DMSC_NFDMGMT_SEGMENT_SIZE ? c->len - off : DMSC_NFDMGMT_SEGMENT_SIZE;
    send_data(m, &nb.name, dmsc_slice(c->payload + off, len), false, (int64_t)(nseg - 1), cb, arg);
}

static void handle_dataset(dmsc_nfdmgmt_t *m, const dataset_t *dsd, const dmsc_interest_t *in,
                           uint64_t now, dmsc_nfdmgmt_reply_cb cb, void *arg)
{
    const dmsc_name_t *n = &in->name;
    size_t base_n = dsd->has_param ? 5 : 4;
    if (dsd->has_param && n->ncomps == 4 && !in->has_app_params) /* faces/query without filter */
        return reply_cr(m, n, 400, "Malformed filter", NULL, true, cb, arg);
    if (in->has_app_params || n->ncomps < base_n || n->ncomps > base_n + 2) return;

    /* a version (and segment) of a dataset generated earlier: from the cache */
    if (n->ncomps > base_n) {
        dmsc_comp_t cv = dmsc_name_comp(n, base_n);
        uint64_t version, seg = 0;
        if (cv.type != DMSC_TT_VERSION || dmsc_nni_decode(cv.value, cv.len, &version) < 0) return;
        if (n->ncomps == base_n + 2) {
            dmsc_comp_t cs = dmsc_name_comp(n, base_n + 1);
            if (cs.type != DMSC_TT_SEGMENT || dmsc_nni_decode(cs.value, cs.len, &seg) < 0) return;
        }
        dmsc_slice_t base = dmsc_name_prefix_bytes(n, base_n);
        for (size_t i = 0; i < DMSC_NFDMGMT_CACHE_VERSIONS; i++) {
            cached_t *c = &m->cache[i];
            if (!cache_live(c, now)) continue;
            if (c->version == version && dmsc_slice_eq(dmsc_slice(c->base, c->base_len), base))
                return send_segment(m, c, seg, cb, arg);
        }
        return; /* expired or unknown: no answer, as NFD */
    }

    ds_t ds = {.m = m, .now = now};
    dmsc_nfd_face_filter_t filter;
    if (dsd->has_param) {
        dmsc_comp_t fc = dmsc_name_comp(n, 4);
        if (dmsc_nfd_face_filter_decode(&filter, fc.value, fc.len) < 0)
            return reply_cr(m, n, 400, "Malformed filter", NULL, true, cb, arg);
        ds.filter = &filter;
    }
    dsd->fn(&ds);
    if (ds.err) {
        free(ds.p);
        return reply_cr(m, n, 500, ds.err == DMSC_ETOOBIG ? "Dataset too large" : "Out of memory",
                        NULL, true, cb, arg);
    }

    /* a new version, kept for the segment Interests that follow */
    cached_t *c = &m->cache[m->cache_next];
    m->cache_next = (m->cache_next + 1) % DMSC_NFDMGMT_CACHE_VERSIONS;
    cache_clear(c);
    c->base = malloc(n->len ? n->len : 1);
    if (!c->base) {
        free(ds.p);
        return reply_cr(m, n, 500, "Out of memory", NULL, true, cb, arg);
    }
    memcpy(c->base, n->value, n->len);
    c->base_len = n->len;
    uint64_t v = wall_ms(m, now);
    c->version = m->last_version = v > m->last_version ? v : m->last_version + 1;
    c->payload = ds.p;
    c->len = ds.n;
    c->created = now;
    send_segment(m, c, 0, cb, arg);
}

/* ---- entry points ---- */

dmsc_nfdmgmt_t *dmsc_nfdmgmt_new(dmsc_fw_t *fw, dmsc_facetable_t *ft, dmsc_rib_t *rib,
                                 const dmsc_signer_t *signer)
{
    dmsc_nfdmgmt_t *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->scratch = malloc(SCRATCH_INIT);
    if (!m->scratch) {
        free(m);
        return NULL;
    }
    m->scap = SCRATCH_INIT;
    m->fw = fw;
    m->ft = ft;
    m->rib = rib;
    m->signer = signer;
    dmsc_fw_config_default(&m->fw_cfg);
    dmsc_nfdmgmt_set_version(m, dmsc_version());
    return m;
}

void dmsc_nfdmgmt_free(dmsc_nfdmgmt_t *m)
{
    if (!m) return;
    for (pending_t *p = m->pending; p; p = p->next)
        p->m = NULL; /* face_created() frees it */
    for (size_t i = 0; i < DMSC_NFDMGMT_CACHE_VERSIONS; i++)
        cache_clear(&m->cache[i]);
    free(m->scratch);
    free(m);
}

void dmsc_nfdmgmt_set_clock(dmsc_nfdmgmt_t *m, uint64_t unix_ms, uint64_t mono_ns)
{
    m->have_clock = true;
    m->clock_unix_ms = unix_ms;
    m->clock_mono_ns = mono_ns;
    mark_started(m, mono_ns);
}

void dmsc_nfdmgmt_set_version(dmsc_nfdmgmt_t *m, const char *version)
{
    size_t n = strlen(version);
    if (n >= sizeof m->version) n = sizeof m->version - 1;
    memcpy(m->version, version, n);
    m->version[n] = '\0';
}

void dmsc_nfdmgmt_set_fw_config(dmsc_nfdmgmt_t *m, const dmsc_fw_config_t *cfg)
{
    m->fw_cfg = *cfg;
}

void dmsc_nfdmgmt_set_authorizer(dmsc_nfdmgmt_t *m, dmsc_nfdmgmt_authorizer_cb cb, void *arg)
{
    m->authorizer = cb;
    m->authorizer_arg = arg;
}

void dmsc_nfdmgmt_handle_interest(dmsc_nfdmgmt_t *m, const dmsc_pkt_t *pkt, uint64_t now_ns,
                                  dmsc_nfdmgmt_reply_cb reply_cb, void *arg)
{
    dmsc_interest_t in;
    char module[WORD_MAX], verb[WORD_MAX];
    if (!pkt || pkt->kind != DMSC_PKT_INTEREST) return;
    mark_started(m, now_ns);
    dmsc_rib_run_timers(m->rib, now_ns);
    if (dmsc_interest_decode(&in, pkt->wire, pkt->len, DMSC_TLV_MAX_PACKET) < 0) return;
    const dmsc_name_t *n = &in.name;
    if (n->ncomps < 4 || !comp_word(n, 0, module) || strcmp(module, "localhost") != 0 ||
        !comp_word(n, 1, module) || strcmp(module, "nfd") != 0)
        return;
    if (!comp_word(n, 2, module) || !comp_word(n, 3, verb))
        return reply_cr(m, n, 501, "Unsupported command", NULL, false, reply_cb, arg);

    for (size_t i = 0; i < sizeof datasets / sizeof datasets[0]; i++)
        if (strcmp(module, datasets[i].module) == 0 && strcmp(verb, datasets[i].name) == 0)
            return handle_dataset(m, &datasets[i], &in, now_ns, reply_cb, arg);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(module, commands[i].module) == 0 && strcmp(verb, commands[i].verb) == 0)
            return handle_command(m, &commands[i], &in, pkt, now_ns, reply_cb, arg);
    if (strcmp(module, "faces") == 0 && strcmp(verb, "events") == 0)
        return; /* notification stream: not supported, stay silent as for any stream */
    reply_cr(m, n, 501, "Unsupported command", NULL, false, reply_cb, arg);
}
