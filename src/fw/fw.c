/* Forwarder lifecycle, faces, configuration and the management-side API.
 * The packet pipelines are in pipeline.c. */
#include "fw/fw_int.h"

#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "ndn/tlv.h"

static const char *const drop_names[] = {
#define DMSC__DROP_STR(n, s) s,
    DMSC_FW_DROP_MAP(DMSC__DROP_STR)
#undef DMSC__DROP_STR
};

const char *dmsc_fw_drop_name(int reason)
{
    if (reason < 0 || reason >= DMSC_DROP__COUNT) return "unknown";
    return drop_names[reason];
}

void dmsc_fw_config_default(dmsc_fw_config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->pit_max = 1u << 20;
    cfg->pit_max_per_face = 1u << 16;
    cfg->cs_max_entries = 1u << 16;
    cfg->cs_max_bytes = (size_t)256 << 20;
    cfg->dnl_lifetime_ns = 6000000000ull;
    cfg->dnl_max = 1u << 16;
    cfg->max_lifetime_ns = 120000000000ull;
    cfg->max_packet = DMSC_TLV_DGRAM_MAX;
    cfg->fib_max = 1u << 20;
}

/* Bytes kept in the buffer pool's free lists: enough for bursts, bounded. */
#define BUFPOOL_CACHE (16u << 20)
/* Room to add a Nonce (6 bytes) and grow the outer TLV-LENGTH (<= 4 bytes). */
#define SCRATCH_EXTRA 16

static void sanitize(dmsc_fw_config_t *c)
{
    if (c->max_packet == 0) c->max_packet = DMSC_TLV_DGRAM_MAX;
    if (c->max_packet > DMSC_TLV_MAX_PACKET) c->max_packet = DMSC_TLV_MAX_PACKET;
    if (c->fib_max == 0) c->fib_max = 1u << 20;
}

dmsc_fw_t *dmsc_fw_new(const dmsc_fw_config_t *cfg, const dmsc_fw_io_t *io)
{
    dmsc_fw_t *fw = calloc(1, sizeof *fw);
    if (!fw) goto fail_alloc;
    fw->cfg = *cfg;
    sanitize(&fw->cfg);
    fw->io = *io;
    fw->rng = 0x853c49e6748fea9bull ^ (uint64_t)(uintptr_t)fw;
    dmsc_bufpool_init(&fw->bp, BUFPOOL_CACHE);
    fw->scratch_cap = fw->cfg.max_packet + SCRATCH_EXTRA;
    fw->scratch = malloc(fw->scratch_cap);
    if (!fw->scratch) goto fail_scratch;
    fw->faces_mask = 63;
    fw->faces = calloc(fw->faces_mask + 1, sizeof *fw->faces);
    if (!fw->faces) goto fail_faces;
    if (dmsc_pit_init(&fw->pit, fw->cfg.pit_max + DMSC_FW_PIT_LOCALHOST_RESERVE, &fw->bp) != 0) goto fail_pit;
    if (dmsc_cs_init(&fw->cs, fw->cfg.cs_max_entries, fw->cfg.cs_max_bytes) != 0) goto fail_cs;
    if (dmsc_fib_init(&fw->fib, fw->cfg.fib_max) != 0) goto fail_fib;
    if (dmsc_dnl_init(&fw->dnl, fw->cfg.dnl_max, fw->cfg.dnl_lifetime_ns) != 0) goto fail_dnl;
    if (dmsc_sc_init(&fw->sc, fw->cfg.fib_max) != 0) goto fail_sc;
    return fw;

fail_sc:
    dmsc_dnl_destroy(&fw->dnl);
fail_dnl:
    dmsc_fib_destroy(&fw->fib);
fail_fib:
    dmsc_cs_destroy(&fw->cs);
fail_cs:
    dmsc_pit_destroy(&fw->pit);
fail_pit:
    free(fw->faces);
fail_faces:
    free(fw->scratch);
fail_scratch:
    free(fw);
fail_alloc:
    return NULL;
}

void dmsc_fw_free(dmsc_fw_t *fw)
{
    if (!fw) return;
    dmsc_sc_destroy(&fw->sc);
    dmsc_dnl_destroy(&fw->dnl);
    dmsc_fib_destroy(&fw->fib);
    dmsc_cs_destroy(&fw->cs);
    dmsc_pit_destroy(&fw->pit);
    for (size_t i = 0; i <= fw->faces_mask; i++)
        free(fw->faces[i]);
    free(fw->faces);
    for (size_t i = 0; i < fw->n_regions; i++)
        free(fw->region[i]);
    free(fw->scratch);
    dmsc_bufpool_destroy(&fw->bp);
    free(fw);
}

void dmsc_fw_reconfigure(dmsc_fw_t *fw, const dmsc_fw_config_t *cfg)
{
    dmsc_fw_config_t c = *cfg;
    sanitize(&c);
    if (c.max_packet + SCRATCH_EXTRA > fw->scratch_cap) {
        uint8_t *s = malloc(c.max_packet + SCRATCH_EXTRA);
        if (s) {
            free(fw->scratch);
            fw->scratch = s;
            fw->scratch_cap = c.max_packet + SCRATCH_EXTRA;
        } else {
            c.max_packet = fw->cfg.max_packet; /* keep what we can buffer */
        }
    }
    if (dmsc_dnl_resize(&fw->dnl, c.dnl_max, c.dnl_lifetime_ns) != 0) {
        c.dnl_max = fw->cfg.dnl_max;
        c.dnl_lifetime_ns = fw->cfg.dnl_lifetime_ns;
    }
    fw->cfg = c;
    dmsc_pit_set_max(&fw->pit, c.pit_max + DMSC_FW_PIT_LOCALHOST_RESERVE);
    dmsc_cs_set_limits(&fw->cs, c.cs_max_entries, c.cs_max_bytes);
    fw->fib.slab.max = c.fib_max > UINT32_MAX ? UINT32_MAX : (uint32_t)c.fib_max;
    fw->sc.max = c.fib_max;
}

/* ---- faces: open addressing on the id ---- */

static inline size_t face_slot(const dmsc_fw_t *fw, dmsc_faceid_t id)
{
    return (size_t)((id * 0x9e3779b1u) >> 7) & fw->faces_mask;
}

dmsc_fw_face_t *dmsc__fw_face(const dmsc_fw_t *fw, dmsc_faceid_t id)
{
    for (size_t i = face_slot(fw, id);; i = (i + 1) & fw->faces_mask) {
        dmsc_fw_face_t *f = fw->faces[i];
        if (!f) return NULL;
        if (f->id == id) return f;
    }
}

static void face_place(dmsc_fw_t *fw, dmsc_fw_face_t *f)
{
    size_t i = face_slot(fw, f->id);
    while (fw->faces[i])
        i = (i + 1) & fw->faces_mask;
    fw->faces[i] = f;
}

int dmsc_fw_face_add(dmsc_fw_t *fw, dmsc_faceid_t id, int scope)
{
    if (id == DMSC_FACEID_INVALID || dmsc__fw_face(fw, id)) return DMSC_EINVAL;
    if ((fw->n_faces + 1) * 2 > fw->faces_mask + 1) {
        size_t nmask = fw->faces_mask * 2 + 1;
        dmsc_fw_face_t **nf = calloc(nmask + 1, sizeof *nf);
        if (!nf) return DMSC_ENOMEM;
        dmsc_fw_face_t **old = fw->faces;
        size_t omask = fw->faces_mask;
        fw->faces = nf;
        fw->faces_mask = nmask;
        for (size_t i = 0; i <= omask; i++)
            if (old[i]) face_place(fw, old[i]);
        free(old);
    }
    dmsc_fw_face_t *f = calloc(1, sizeof *f);
    if (!f) return DMSC_ENOMEM;
    f->id = id;
    f->scope = scope == DMSC_SCOPE_LOCAL ? DMSC_SCOPE_LOCAL : DMSC_SCOPE_NONLOCAL;
    face_place(fw, f);
    fw->n_faces++;
    return 0;
}

static void face_unlink(dmsc_fw_t *fw, dmsc_fw_face_t *f)
{
    size_t i = face_slot(fw, f->id);
    while (fw->faces[i] != f)
        i = (i + 1) & fw->faces_mask;
    fw->faces[i] = NULL;
    /* backward shift so that probe chains stay unbroken */
    size_t hole = i;
    for (size_t j = (i + 1) & fw->faces_mask; fw->faces[j]; j = (j + 1) & fw->faces_mask) {
        size_t home = face_slot(fw, fw->faces[j]->id);
        bool movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
        if (movable) {
            fw->faces[hole] = fw->faces[j];
            fw->faces[j] = NULL;
            hole = j;
        }
    }
    fw->n_faces--;
}

typedef struct {
    dmsc_fw_t *fw;
    dmsc_faceid_t id;
} rmface_t;

static void pit_rmface(void *arg, dmsc_pit_entry_t *e)
{
    rmface_t *r = arg;
    dmsc_inrec_t *in = dmsc_pit_inrec_find(e, r->id);
    if (in) {
        dmsc_pit_inrec_remove(e, in);
        dmsc_fw_face_t *f = dmsc__fw_face(r->fw, r->id);
        if (f && f->ctr.pit_entries) f->ctr.pit_entries--;
    }
    dmsc_outrec_t *out = dmsc_pit_outrec_find(e, r->id);
    if (out) dmsc_pit_outrec_remove(e, out);
    if (e->n_in == 0 && e->n_out == 0) dmsc__fw_erase(r->fw, e);
}

void dmsc_fw_face_remove(dmsc_fw_t *fw, dmsc_faceid_t id)
{
    dmsc_fw_face_t *f = dmsc__fw_face(fw, id);
    if (!f) return;
    dmsc_fib_remove_face(&fw->fib, id);
    rmface_t r = {fw, id};
    dmsc_pit_foreach(&fw->pit, pit_rmface, &r);
    face_unlink(fw, f);
    free(f);
}

const dmsc_fw_face_counters_t *dmsc_fw_face_counters(const dmsc_fw_t *fw, dmsc_faceid_t id)
{
    dmsc_fw_face_t *f = dmsc__fw_face(fw, id);
    return f ? &f->ctr : NULL;
}

void dmsc__fw_drop(dmsc_fw_t *fw, dmsc_fw_face_t *face, int reason)
{
    if (reason < 0 || reason >= DMSC_DROP__COUNT) return;
    fw->ctr.drops[reason]++;
    if (face) face->ctr.drops[reason]++;
}

void dmsc_fw_count_drop(dmsc_fw_t *fw, dmsc_faceid_t id, int reason)
{
    dmsc__fw_drop(fw, dmsc__fw_face(fw, id), reason);
}

uint64_t dmsc__fw_rand(dmsc_fw_t *fw)
{
    /* xorshift64* */
    uint64_t x = fw->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    fw->rng = x;
    return x * 0x2545f4914f6cdd1dull;
}

const dmsc_fw_counters_t *dmsc_fw_counters(const dmsc_fw_t *cfw)
{
    /* table sizes are snapshotted here; the rest is counted as it happens */
    dmsc_fw_t *fw = (dmsc_fw_t *)cfw;
    fw->ctr.pit_size = dmsc_pit_size(&fw->pit);
    fw->ctr.fib_size = dmsc_fib_size(&fw->fib);
    fw->ctr.dnl_size = dmsc_dnl_size(&fw->dnl);
    fw->ctr.cs_entries = fw->cs.st.entries;
    fw->ctr.cs_bytes = fw->cs.st.bytes;
    fw->ctr.cs_hits = fw->cs.st.hits;
    fw->ctr.cs_misses = fw->cs.st.misses;
    fw->ctr.cs_inserts = fw->cs.st.inserts;
    fw->ctr.cs_evictions = fw->cs.st.evictions;
    return &fw->ctr;
}

/* ---- FIB, strategy choice, CS, regions ---- */

int dmsc_fw_fib_add(dmsc_fw_t *fw, const dmsc_name_t *prefix, dmsc_faceid_t face, uint64_t cost)
{
    if (!dmsc__fw_face(fw, face)) return DMSC_EINVAL;
    return dmsc_fib_add(&fw->fib, prefix, face, cost);
}

int dmsc_fw_fib_remove(dmsc_fw_t *fw, const dmsc_name_t *prefix, dmsc_faceid_t face)
{
    dmsc_fib_remove(&fw->fib, prefix, face);
    return 0;
}

void dmsc_fw_fib_foreach(const dmsc_fw_t *fw, dmsc_fw_fib_cb cb, void *arg)
{
    dmsc_fib_foreach(&fw->fib, cb, arg);
}

int dmsc_fw_strategy_set(dmsc_fw_t *fw, const dmsc_name_t *prefix, const dmsc_name_t *strategy)
{
    const dmsc_strategy_t *s = dmsc_strategy_by_name(strategy);
    if (!s) return DMSC_ENOTSUP;
    return dmsc_sc_set(&fw->sc, prefix, s);
}

int dmsc_fw_strategy_unset(dmsc_fw_t *fw, const dmsc_name_t *prefix)
{
    return dmsc_sc_unset(&fw->sc, prefix);
}

void dmsc_fw_strategy_foreach(const dmsc_fw_t *fw, dmsc_fw_strategy_cb cb, void *arg)
{
    dmsc_sc_foreach(&fw->sc, cb, arg);
}

void dmsc_fw_cs_erase_all(dmsc_fw_t *fw)
{
    dmsc_cs_erase_all(&fw->cs);
}

static int region_index(const dmsc_fw_t *fw, const dmsc_name_t *r)
{
    for (size_t i = 0; i < fw->n_regions; i++)
        if (fw->region_len[i] == r->len &&
            (r->len == 0 || memcmp(fw->region[i], r->value, r->len) == 0))
            return (int)i;
    return -1;
}

int dmsc_fw_region_add(dmsc_fw_t *fw, const dmsc_name_t *region)
{
    if (region_index(fw, region) >= 0) return 0;
    if (fw->n_regions == DMSC_FW_REGIONS_MAX) return DMSC_ENOMEM;
    uint8_t *k = malloc(region->len ? region->len : 1);
    if (!k) return DMSC_ENOMEM;
    if (region->len) memcpy(k, region->value, region->len);
    fw->region[fw->n_regions] = k;
    fw->region_len[fw->n_regions] = region->len;
    fw->n_regions++;
    return 0;
}

int dmsc_fw_region_remove(dmsc_fw_t *fw, const dmsc_name_t *region)
{
    int i = region_index(fw, region);
    if (i < 0) return 0;
    free(fw->region[i]);
    fw->n_regions--;
    fw->region[i] = fw->region[fw->n_regions];
    fw->region_len[i] = fw->region_len[fw->n_regions];
    return 0;
}
