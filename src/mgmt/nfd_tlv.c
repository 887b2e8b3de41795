#include "mgmt/nfd_tlv.h"

#include <string.h>

/* ---- small helpers ---- */

static int read_nni(const dmsc_tlv_t *el, uint64_t *out)
{
    return dmsc_nni_decode(el->value, el->len, out);
}

/* Decode one element of type `type` that covers exactly [p, p + n); set
 * *inner to its TLV-VALUE. */
static int outer(const uint8_t *p, size_t n, uint64_t type, dmsc_slice_t *inner)
{
    dmsc_tlv_t el;
    int rc = dmsc_tlv_decode_one(p, n, &el);
    if (rc < 0) return rc;
    if (el.type != type) return DMSC_ETYPE;
    *inner = dmsc_slice(el.value, el.len);
    return 0;
}

/* Strategy = 0x6b { Name }: the Name must be the first element; anything
 * after it is ignored (ndn-cxx reads the first sub-element). */
static int nested_name(const dmsc_tlv_t *el, dmsc_name_t *out)
{
    dmsc_tlv_reader_t r;
    dmsc_tlv_t inner;
    dmsc_tlv_reader_init(&r, el->value, el->len);
    if (dmsc_tlv_reader_eof(&r)) return DMSC_EMISSING;
    int rc = dmsc_tlv_read(&r, &inner);
    if (rc < 0) return rc;
    if (inner.type != DMSC_TT_NAME) return DMSC_EMISSING;
    while (!dmsc_tlv_reader_eof(&r)) { /* framing of the rest must hold */
        dmsc_tlv_t skip;
        rc = dmsc_tlv_read(&r, &skip);
        if (rc < 0) return rc;
    }
    return dmsc_name_from_value(out, inner.value, inner.len);
}

static void prepend_nested_name(dmsc_enc_t *e, uint64_t type, const dmsc_name_t *n)
{
    size_t mark = dmsc_enc_mark(e);
    dmsc_enc_prepend_name(e, n);
    dmsc_enc_prepend_hdr(e, type, mark - dmsc_enc_mark(e));
}

static void prepend_str(dmsc_enc_t *e, uint64_t type, dmsc_slice_t s)
{
    dmsc_enc_prepend_tlv(e, type, s.p, s.n);
}

/* ---- ordered records: a table of fields in ndn-cxx's order ---- */

enum { F_NNI, F_STR, F_NAME };
#define REQUIRED ((size_t)-1)

typedef struct {
    uint64_t type;
    uint8_t kind;
    size_t off;     /* offset of the value in the struct */
    size_t has_off; /* offset of the `bool has_x`, or REQUIRED */
} field_t;

#define MAX_FIELDS 24

static int decode_ordered(void *obj, const field_t *f, size_t nf, const uint8_t *p, size_t n)
{
    dmsc_tlv_reader_t r;
    bool seen[MAX_FIELDS] = {false};
    size_t next = 0;
    dmsc_tlv_reader_init(&r, p, n);
    while (!dmsc_tlv_reader_eof(&r)) {
        dmsc_tlv_t el;
        int rc = dmsc_tlv_read(&r, &el);
        if (rc < 0) return rc;
        size_t i = 0;
        while (i < nf && f[i].type != el.type)
            i++;
        if (i == nf) continue; /* unknown: ignored */
        if (seen[i]) return DMSC_EDUP;
        if (i < next) return DMSC_EORDER;
        uint8_t *base = (uint8_t *)obj;
        switch (f[i].kind) {
        case F_NNI:
            rc = read_nni(&el, (uint64_t *)(void *)(base + f[i].off));
            break;
        case F_STR:
            *(dmsc_slice_t *)(void *)(base + f[i].off) = dmsc_slice(el.value, el.len);
            break;
        default: /* F_NAME */
            rc = dmsc_name_from_value((dmsc_name_t *)(void *)(base + f[i].off), el.value, el.len);
            break;
        }
        if (rc < 0) return rc;
        if (f[i].has_off != REQUIRED) *(bool *)(base + f[i].has_off) = true;
        seen[i] = true;
        next = i + 1;
    }
    for (size_t i = 0; i < nf; i++)
        if (f[i].has_off == REQUIRED && !seen[i]) return DMSC_EMISSING;
    return 0;
}

/* ---- ControlParameters ---- */

void dmsc_nfd_cp_init(dmsc_nfd_cp_t *cp)
{
    memset(cp, 0, sizeof *cp);
    dmsc_name_init(&cp->name);
    dmsc_name_init(&cp->strategy);
}

static int cp_nni(dmsc_nfd_cp_t *cp, uint32_t bit, const dmsc_tlv_t *el, uint64_t *out)
{
    if (cp->has & bit) return DMSC_EDUP;
    cp->has |= bit;
    return read_nni(el, out);
}

static int cp_str(dmsc_nfd_cp_t *cp, uint32_t bit, const dmsc_tlv_t *el, dmsc_slice_t *out)
{
    if (cp->has & bit) return DMSC_EDUP;
    cp->has |= bit;
    *out = dmsc_slice(el->value, el->len);
    return 0;
}

int dmsc_nfd_cp_decode(dmsc_nfd_cp_t *cp, const uint8_t *p, size_t n)
{
    dmsc_slice_t v;
    dmsc_tlv_reader_t r;
    int rc = outer(p, n, DMSC_NFD_TT_CONTROL_PARAMETERS, &v);
    dmsc_nfd_cp_init(cp);
    if (rc < 0) return rc;
    dmsc_tlv_reader_init(&r, v.p, v.n);
    while (!dmsc_tlv_reader_eof(&r)) {
        dmsc_tlv_t el;
        rc = dmsc_tlv_read(&r, &el);
        if (rc < 0) return rc;
        switch (el.type) {
        case DMSC_TT_NAME:
            if (cp->has & DMSC_CP_NAME) return DMSC_EDUP;
            cp->has |= DMSC_CP_NAME;
            rc = dmsc_name_from_value(&cp->name, el.value, el.len);
            break;
        case DMSC_NFD_TT_FACE_ID:
            rc = cp_nni(cp, DMSC_CP_FACE_ID, &el, &cp->face_id);
            break;
        case DMSC_NFD_TT_URI:
            rc = cp_str(cp, DMSC_CP_URI, &el, &cp->uri);
            break;
        case DMSC_NFD_TT_LOCAL_URI:
            rc = cp_str(cp, DMSC_CP_LOCAL_URI, &el, &cp->local_uri);
            break;
        case DMSC_NFD_TT_ORIGIN:
            rc = cp_nni(cp, DMSC_CP_ORIGIN, &el, &cp->origin);
            break;
        case DMSC_NFD_TT_COST:
            rc = cp_nni(cp, DMSC_CP_COST, &el, &cp->cost);
            break;
        case DMSC_NFD_TT_CAPACITY:
            rc = cp_nni(cp, DMSC_CP_CAPACITY, &el, &cp->capacity);
            break;
        case DMSC_NFD_TT_COUNT:
            rc = cp_nni(cp, DMSC_CP_COUNT, &el, &cp->count);
            break;
        case DMSC_NFD_TT_FLAGS:
            rc = cp_nni(cp, DMSC_CP_FLAGS, &el, &cp->flags);
            break;
        case DMSC_NFD_TT_MASK:
            rc = cp_nni(cp, DMSC_CP_MASK, &el, &cp->mask);
            break;
        case DMSC_NFD_TT_STRATEGY:
            if (cp->has & DMSC_CP_STRATEGY) return DMSC_EDUP;
            cp->has |= DMSC_CP_STRATEGY;
            rc = nested_name(&el, &cp->strategy);
            break;
        case DMSC_NFD_TT_EXPIRATION_PERIOD:
            rc = cp_nni(cp, DMSC_CP_EXPIRATION_PERIOD, &el, &cp->expiration_period);
            break;
        case DMSC_NFD_TT_FACE_PERSISTENCY:
            rc = cp_nni(cp, DMSC_CP_FACE_PERSISTENCY, &el, &cp->face_persistency);
            break;
        case DMSC_NFD_TT_BASE_CONG_MARK_INTERVAL:
            rc = cp_nni(cp, DMSC_CP_BASE_CONG_MARK_INTERVAL, &el, &cp->base_cong_mark_interval);
            break;
        case DMSC_NFD_TT_DEFAULT_CONG_THRESHOLD:
            rc = cp_nni(cp, DMSC_CP_DEFAULT_CONG_THRESHOLD, &el, &cp->default_cong_threshold);
            break;
        case DMSC_NFD_TT_MTU:
            rc = cp_nni(cp, DMSC_CP_MTU, &el, &cp->mtu);
            break;
        default:
            break; /* unknown: ignored, as ndn-cxx and NDNts do */
        }
        if (rc < 0) return rc;
    }
    return 0;
}

int dmsc_nfd_cp_prepend(dmsc_enc_t *e, const dmsc_nfd_cp_t *cp)
{
    size_t mark = dmsc_enc_mark(e);
    uint32_t h = cp->has;
    if (h & DMSC_CP_MTU) dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_MTU, cp->mtu);
    if (h & DMSC_CP_DEFAULT_CONG_THRESHOLD)
        dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_DEFAULT_CONG_THRESHOLD, cp->default_cong_threshold);
    if (h & DMSC_CP_BASE_CONG_MARK_INTERVAL)
        dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_BASE_CONG_MARK_INTERVAL,
                                 cp->base_cong_mark_interval);
    if (h & DMSC_CP_FACE_PERSISTENCY)
        dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_FACE_PERSISTENCY, cp->face_persistency);
    if (h & DMSC_CP_EXPIRATION_PERIOD)
        dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_EXPIRATION_PERIOD, cp->expiration_period);
    if (h & DMSC_CP_STRATEGY) prepend_nested_name(e, DMSC_NFD_TT_STRATEGY, &cp->strategy);
    if (h & DMSC_CP_MASK) dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_MASK, cp->mask);
    if (h & DMSC_CP_FLAGS) dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_FLAGS, cp->flags);
    if (h & DMSC_CP_COUNT) dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_COUNT, cp->count);
    if (h & DMSC_CP_CAPACITY) dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_CAPACITY, cp->capacity);
    if (h & DMSC_CP_COST) dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_COST, cp->cost);
    if (h & DMSC_CP_ORIGIN) dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_ORIGIN, cp->origin);
    if (h & DMSC_CP_LOCAL_URI) prepend_str(e, DMSC_NFD_TT_LOCAL_URI, cp->local_uri);
    if (h & DMSC_CP_URI) prepend_str(e, DMSC_NFD_TT_URI, cp->uri);
    if (h & DMSC_CP_FACE_ID) dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_FACE_ID, cp->face_id);
    if (h & DMSC_CP_NAME) dmsc_enc_prepend_name(e, &cp->name);
    dmsc_enc_prepend_hdr(e, DMSC_NFD_TT_CONTROL_PARAMETERS, mark - dmsc_enc_mark(e));
    return dmsc_enc_error(e);
}

/* ---- ControlResponse ---- */

int dmsc_nfd_cr_prepend(dmsc_enc_t *e, uint64_t code, const char *text, const dmsc_nfd_cp_t *body)
{
    size_t mark = dmsc_enc_mark(e);
    if (body) dmsc_nfd_cp_prepend(e, body);
    dmsc_enc_prepend_tlv(e, DMSC_NFD_TT_STATUS_TEXT, text ? text : "", text ? strlen(text) : 0);
    dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_STATUS_CODE, code);
    dmsc_enc_prepend_hdr(e, DMSC_NFD_TT_CONTROL_RESPONSE, mark - dmsc_enc_mark(e));
    return dmsc_enc_error(e);
}

int dmsc_nfd_cr_decode(dmsc_nfd_cr_t *cr, const uint8_t *p, size_t n)
{
    dmsc_slice_t v;
    dmsc_tlv_reader_t r;
    dmsc_tlv_t el;
    memset(cr, 0, sizeof *cr);
    int rc = outer(p, n, DMSC_NFD_TT_CONTROL_RESPONSE, &v);
    if (rc < 0) return rc;
    dmsc_tlv_reader_init(&r, v.p, v.n);
    if (dmsc_tlv_reader_eof(&r)) return DMSC_EMISSING;
    if ((rc = dmsc_tlv_read(&r, &el)) < 0) return rc;
    if (el.type == DMSC_NFD_TT_STATUS_TEXT) return DMSC_EORDER;
    if (el.type != DMSC_NFD_TT_STATUS_CODE) return DMSC_EMISSING;
    if ((rc = read_nni(&el, &cr->code)) < 0) return rc;
    if (dmsc_tlv_reader_eof(&r)) return DMSC_EMISSING;
    if ((rc = dmsc_tlv_read(&r, &el)) < 0) return rc;
    if (el.type != DMSC_NFD_TT_STATUS_TEXT) return DMSC_EMISSING;
    cr->text = dmsc_slice(el.value, el.len);
    cr->body = dmsc_slice(r.p, (size_t)(r.end - r.p));
    while (!dmsc_tlv_reader_eof(&r)) /* the body must be well-framed */
        if ((rc = dmsc_tlv_read(&r, &el)) < 0) return rc;
    return 0;
}

/* ---- ForwarderStatus ---- */

#define S(f) offsetof(dmsc_nfd_status_t, f)
static const field_t status_fields[] = {
    {DMSC_NFD_TT_NFD_VERSION, F_STR, S(nfd_version), REQUIRED},
    {DMSC_NFD_TT_START_TIMESTAMP, F_NNI, S(start_timestamp), REQUIRED},
    {DMSC_NFD_TT_CURRENT_TIMESTAMP, F_NNI, S(current_timestamp), REQUIRED},
    {DMSC_NFD_TT_N_NAME_TREE_ENTRIES, F_NNI, S(n_name_tree_entries), REQUIRED},
    {DMSC_NFD_TT_N_FIB_ENTRIES, F_NNI, S(n_fib_entries), REQUIRED},
    {DMSC_NFD_TT_N_PIT_ENTRIES, F_NNI, S(n_pit_entries), REQUIRED},
    {DMSC_NFD_TT_N_MEASUREMENTS_ENTRIES, F_NNI, S(n_measurements_entries), REQUIRED},
    {DMSC_NFD_TT_N_CS_ENTRIES, F_NNI, S(n_cs_entries), REQUIRED},
    {DMSC_NFD_TT_N_IN_INTERESTS, F_NNI, S(n_in_interests), REQUIRED},
    {DMSC_NFD_TT_N_IN_DATA, F_NNI, S(n_in_data), REQUIRED},
    {DMSC_NFD_TT_N_IN_NACKS, F_NNI, S(n_in_nacks), REQUIRED},
    {DMSC_NFD_TT_N_OUT_INTERESTS, F_NNI, S(n_out_interests), REQUIRED},
    {DMSC_NFD_TT_N_OUT_DATA, F_NNI, S(n_out_data), REQUIRED},
    {DMSC_NFD_TT_N_OUT_NACKS, F_NNI, S(n_out_nacks), REQUIRED},
    {DMSC_NFD_TT_N_SATISFIED_INTERESTS, F_NNI, S(n_satisfied_interests), REQUIRED},
    {DMSC_NFD_TT_N_UNSATISFIED_INTERESTS, F_NNI, S(n_unsatisfied_interests), REQUIRED},
};
#undef S

int dmsc_nfd_status_prepend(dmsc_enc_t *e, const dmsc_nfd_status_t *s)
{
    dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_N_UNSATISFIED_INTERESTS, s->n_unsatisfied_interests);
    dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_N_SATISFIED_INTERESTS, s->n_satisfied_interests);
    dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_N_OUT_NACKS, s->n_out_nacks);
    dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_N_OUT_DATA, s->n_out_data);
    dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_N_OUT_INTERESTS, s->n_out_interests);
    dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_N_IN_NACKS, s->n_in_nacks);
    dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_N_IN_DATA, s->n_in_data);
    dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_N_IN_INTERESTS, s->n_in_interests);
    dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_N_CS_ENTRIES, s->n_cs_entries);
    dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_N_MEASUREMENTS_ENTRIES, s->n_measurements_entries);
    dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_N_PIT_ENTRIES, s->n_pit_entries);
    dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_N_FIB_ENTRIES, s->n_fib_entries);
    dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_N_NAME_TREE_ENTRIES, s->n_name_tree_entries);
    dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_CURRENT_TIMESTAMP, s->current_timestamp);
    dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_START_TIMESTAMP, s->start_timestamp);
    prepend_str(e, DMSC_NFD_TT_NFD_VERSION, s->nfd_version);
    return dmsc_enc_error(e);
}

int dmsc_nfd_status_decode(dmsc_nfd_status_t *s, const uint8_t *p, size_t n)
{
    memset(s, 0, sizeof *s);
    return decode_ordered(s, status_fields, sizeof status_fields / sizeof status_fields[0], p, n);
}

/* ---- FaceStatus ---- */

#define S(f) offsetof(dmsc_nfd_face_status_t, f)
static const field_t face_status_fields[] = {
    {DMSC_NFD_TT_FACE_ID, F_NNI, S(face_id), REQUIRED},
    {DMSC_NFD_TT_URI, F_STR, S(uri), REQUIRED},
    {DMSC_NFD_TT_LOCAL_URI, F_STR, S(local_uri), REQUIRED},
    {DMSC_NFD_TT_EXPIRATION_PERIOD, F_NNI, S(expiration_period), S(has_expiration_period)},
    {DMSC_NFD_TT_FACE_SCOPE, F_NNI, S(face_scope), REQUIRED},
    {DMSC_NFD_TT_FACE_PERSISTENCY, F_NNI, S(face_persistency), REQUIRED},
    {DMSC_NFD_TT_LINK_TYPE, F_NNI, S(link_type), REQUIRED},
    {DMSC_NFD_TT_BASE_CONG_MARK_INTERVAL, F_NNI, S(base_cong_mark_interval),
     S(has_base_cong_mark_interval)},
    {DMSC_NFD_TT_DEFAULT_CONG_THRESHOLD, F_NNI, S(default_cong_threshold),
     S(has_default_cong_threshold)},
    {DMSC_NFD_TT_MTU, F_NNI, S(mtu), S(has_mtu)},
    {DMSC_NFD_TT_N_IN_INTERESTS, F_NNI, S(n_in_interests), REQUIRED},
    {DMSC_NFD_TT_N_IN_DATA, F_NNI, S(n_in_data), REQUIRED},
    {DMSC_NFD_TT_N_IN_NACKS, F_NNI, S(n_in_nacks), REQUIRED},
    {DMSC_NFD_TT_N_OUT_INTERESTS, F_NNI, S(n_out_interests), REQUIRED},
    {DMSC_NFD_TT_N_OUT_DATA, F_NNI, S(n_out_data), REQUIRED},
    {DMSC_NFD_TT_N_OUT_NACKS, F_NNI, S(n_out_nacks), REQUIRED},
    {DMSC_NFD_TT_N_IN_BYTES, F_NNI, S(n_in_bytes), REQUIRED},
    {DMSC_NFD_TT_N_OUT_BYTES, F_NNI, S(n_out_bytes), REQUIRED},
    {DMSC_NFD_TT_FLAGS, F_NNI, S(flags), REQUIRED},
};
#undef S

int dmsc_nfd_face_status_prepend(dmsc_enc_t *e, const dmsc_nfd_face_status_t *fs)
{
    size_t mark = dmsc_enc_mark(e);
    dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_FLAGS, fs->flags);
    dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_N_OUT_BYTES, fs->n_out_bytes);
    dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_N_IN_BYTES, fs->n_in_bytes);
    dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_N_OUT_NACKS, fs->n_out_nacks);
    dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_N_OUT_DATA, fs->n_out_data);
    dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_N_OUT_INTERESTS, fs->n_out_interests);
    dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_N_IN_NACKS, fs->n_in_nacks);
    dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_N_IN_DATA, fs->n_in_data);
    dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_N_IN_INTERESTS, fs->n_in_interests);
    if (fs->has_mtu) dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_MTU, fs->mtu);
    if (fs->has_default_cong_threshold)
        dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_DEFAULT_CONG_THRESHOLD, fs->default_cong_threshold);
    if (fs->has_base_cong_mark_interval)
        dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_BASE_CONG_MARK_INTERVAL,
                                 fs->base_cong_mark_interval);
    dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_LINK_TYPE, fs->link_type);
    dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_FACE_PERSISTENCY, fs->face_persistency);
    dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_FACE_SCOPE, fs->face_scope);
    if (fs->has_expiration_period)
        dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_EXPIRATION_PERIOD, fs->expiration_period);
    prepend_str(e, DMSC_NFD_TT_LOCAL_URI, fs->local_uri);
    prepend_str(e, DMSC_NFD_TT_URI, fs->uri);
    dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_FACE_ID, fs->face_id);
    dmsc_enc_prepend_hdr(e, DMSC_NFD_TT_FACE_STATUS, mark - dmsc_enc_mark(e));
    return dmsc_enc_error(e);
}

int dmsc_nfd_face_status_decode(dmsc_nfd_face_status_t *fs, const uint8_t *p, size_t n)
{
    dmsc_slice_t v;
    memset(fs, 0, sizeof *fs);
    int rc = outer(p, n, DMSC_NFD_TT_FACE_STATUS, &v);
    if (rc < 0) return rc;
    return decode_ordered(fs, face_status_fields,
                          sizeof face_status_fields / sizeof face_status_fields[0], v.p, v.n);
}

/* ---- FaceQueryFilter ---- */

int dmsc_nfd_face_filter_prepend(dmsc_enc_t *e, const dmsc_nfd_face_filter_t *f)
{
    size_t mark = dmsc_enc_mark(e);
    if (f->has & DMSC_FQF_LINK_TYPE)
        dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_LINK_TYPE, f->link_type);
    if (f->has & DMSC_FQF_FACE_PERSISTENCY)
        dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_FACE_PERSISTENCY, f->face_persistency);
    if (f->has & DMSC_FQF_FACE_SCOPE)
        dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_FACE_SCOPE, f->face_scope);
    if (f->has & DMSC_FQF_LOCAL_URI) prepend_str(e, DMSC_NFD_TT_LOCAL_URI, f->local_uri);
    if (f->has & DMSC_FQF_URI) prepend_str(e, DMSC_NFD_TT_URI, f->uri);
    if (f->has & DMSC_FQF_URI_SCHEME) prepend_str(e, DMSC_NFD_TT_URI_SCHEME, f->uri_scheme);
    if (f->has & DMSC_FQF_FACE_ID) dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_FACE_ID, f->face_id);
    dmsc_enc_prepend_hdr(e, DMSC_NFD_TT_FACE_QUERY_FILTER, mark - dmsc_enc_mark(e));
    return dmsc_enc_error(e);
}

int dmsc_nfd_face_filter_decode(dmsc_nfd_face_filter_t *f, const uint8_t *p, size_t n)
{
    dmsc_slice_t v;
    dmsc_tlv_reader_t r;
    memset(f, 0, sizeof *f);
    int rc = outer(p, n, DMSC_NFD_TT_FACE_QUERY_FILTER, &v);
    if (rc < 0) return rc;
    dmsc_tlv_reader_init(&r, v.p, v.n);
    while (!dmsc_tlv_reader_eof(&r)) {
        dmsc_tlv_t el;
        uint32_t bit = 0;
        uint64_t *num = NULL;
        dmsc_slice_t *str = NULL;
        if ((rc = dmsc_tlv_read(&r, &el)) < 0) return rc;
        switch (el.type) {
        case DMSC_NFD_TT_FACE_ID:
            bit = DMSC_FQF_FACE_ID, num = &f->face_id;
            break;
        case DMSC_NFD_TT_URI_SCHEME:
            bit = DMSC_FQF_URI_SCHEME, str = &f->uri_scheme;
            break;
        case DMSC_NFD_TT_URI:
            bit = DMSC_FQF_URI, str = &f->uri;
            break;
        case DMSC_NFD_TT_LOCAL_URI:
            bit = DMSC_FQF_LOCAL_URI, str = &f->local_uri;
            break;
        case DMSC_NFD_TT_FACE_SCOPE:
            bit = DMSC_FQF_FACE_SCOPE, num = &f->face_scope;
            break;
        case DMSC_NFD_TT_FACE_PERSISTENCY:
            bit = DMSC_FQF_FACE_PERSISTENCY, num = &f->face_persistency;
            break;
        case DMSC_NFD_TT_LINK_TYPE:
            bit = DMSC_FQF_LINK_TYPE, num = &f->link_type;
            break;
        default:
            continue; /* unknown (e.g. ExpirationPeriod, which NDNts may add): ignored */
        }
        if (f->has & bit) return DMSC_EDUP;
        f->has |= bit;
        if (num && (rc = read_nni(&el, num)) < 0) return rc;
        if (str) *str = dmsc_slice(el.value, el.len);
    }
    return 0;
}

/* ---- FibEntry / NextHopRecord ---- */

int dmsc_nfd_fib_entry_prepend(dmsc_enc_t *e, const dmsc_name_t *prefix,
                               const dmsc_nfd_nexthop_t *nh, size_t n)
{
    size_t mark = dmsc_enc_mark(e);
    for (size_t i = n; i-- > 0;) {
        size_t m = dmsc_enc_mark(e);
        dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_COST, nh[i].cost);
        dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_FACE_ID, nh[i].face_id);
        dmsc_enc_prepend_hdr(e, DMSC_NFD_TT_NEXT_HOP_RECORD, m - dmsc_enc_mark(e));
    }
    dmsc_enc_prepend_name(e, prefix);
    dmsc_enc_prepend_hdr(e, DMSC_NFD_TT_FIB_ENTRY, mark - dmsc_enc_mark(e));
    return dmsc_enc_error(e);
}

#define NH(f) offsetof(dmsc_nfd_nexthop_t, f)
static const field_t nexthop_fields[] = {
    {DMSC_NFD_TT_FACE_ID, F_NNI, NH(face_id), REQUIRED},
    {DMSC_NFD_TT_COST, F_NNI, NH(cost), REQUIRED},
};
#undef NH

#define RT(f) offsetof(dmsc_nfd_route_t, f)
static const field_t route_fields[] = {
    {DMSC_NFD_TT_FACE_ID, F_NNI, RT(face_id), REQUIRED},
    {DMSC_NFD_TT_ORIGIN, F_NNI, RT(origin), REQUIRED},
    {DMSC_NFD_TT_COST, F_NNI, RT(cost), REQUIRED},
    {DMSC_NFD_TT_FLAGS, F_NNI, RT(flags), REQUIRED},
    {DMSC_NFD_TT_EXPIRATION_PERIOD, F_NNI, RT(expiration_period), RT(has_expiration_period)},
};
#undef RT

/* Next record of type rec_type in the iterator, decoded with the table.
 * Unknown elements between records are skipped. */
static int next_record(dmsc_nfd_iter_t *it, uint64_t rec_type, void *obj, size_t obj_size,
                       const field_t *f, size_t nf)
{
    while (!dmsc_tlv_reader_eof(&it->r)) {
        dmsc_tlv_t el;
        int rc = dmsc_tlv_read(&it->r, &el);
        if (rc < 0) return rc;
        if (el.type != rec_type) continue;
        memset(obj, 0, obj_size);
        rc = decode_ordered(obj, f, nf, el.value, el.len);
        return rc < 0 ? rc : 1;
    }
    return 0;
}

int dmsc_nfd_nexthop_next(dmsc_nfd_iter_t *it, dmsc_nfd_nexthop_t *out)
{
    return next_record(it, DMSC_NFD_TT_NEXT_HOP_RECORD, out, sizeof *out, nexthop_fields,
                       sizeof nexthop_fields / sizeof nexthop_fields[0]);
}

int dmsc_nfd_route_next(dmsc_nfd_iter_t *it, dmsc_nfd_route_t *out)
{
    return next_record(it, DMSC_NFD_TT_ROUTE, out, sizeof *out, route_fields,
                       sizeof route_fields / sizeof route_fields[0]);
}

/* Entry = T { Name Record* }: Name first and required; then records (and
 * ignored unknown elements) to the end; every record validated. */
static int entry_decode(const uint8_t *p, size_t n, uint64_t type, dmsc_name_t *name,
                        dmsc_slice_t *records, size_t *count,
                        int (*next)(dmsc_nfd_iter_t *, void *))
{
    dmsc_slice_t v;
    dmsc_tlv_reader_t r;
    dmsc_tlv_t el;
    dmsc_name_init(name);
    *records = dmsc_slice(NULL, 0);
    *count = 0;
    int rc = outer(p, n, type, &v);
    if (rc < 0) return rc;
    dmsc_tlv_reader_init(&r, v.p, v.n);
    if (dmsc_tlv_reader_eof(&r)) return DMSC_EMISSING;
    if ((rc = dmsc_tlv_read(&r, &el)) < 0) return rc;
    if (el.type != DMSC_TT_NAME) return DMSC_EMISSING;
    if ((rc = dmsc_name_from_value(name, el.value, el.len)) < 0) return rc;
    *records = dmsc_slice(r.p, (size_t)(r.end - r.p));
    dmsc_nfd_iter_t it;
    dmsc_nfd_iter_init(&it, *records);
    while ((rc = next(&it, NULL)) > 0)
        (*count)++;
    return rc;
}

static int nexthop_next_any(dmsc_nfd_iter_t *it, void *unused)
{
    dmsc_nfd_nexthop_t nh;
    return dmsc_nfd_nexthop_next(it, &nh);
}

static int route_next_any(dmsc_nfd_iter_t *it, void *unused)
{
    dmsc_nfd_route_t rt;
    return dmsc_nfd_route_next(it, &rt);
}

int dmsc_nfd_fib_entry_decode(dmsc_nfd_fib_entry_t *fe, const uint8_t *p, size_t n)
{
    return entry_decode(p, n, DMSC_NFD_TT_FIB_ENTRY, &fe->name, &fe->records, &fe->n_nexthops,
                        nexthop_next_any);
}

/* ---- RibEntry / Route ---- */

int dmsc_nfd_rib_entry_prepend(dmsc_enc_t *e, const dmsc_name_t *prefix,
                               const dmsc_nfd_route_t *routes, size_t n)
{
    size_t mark = dmsc_enc_mark(e);
    for (size_t i = n; i-- > 0;) {
        const dmsc_nfd_route_t *rt = &routes[i];
        size_t m = dmsc_enc_mark(e);
        if (rt->has_expiration_period)
            dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_EXPIRATION_PERIOD, rt->expiration_period);
        dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_FLAGS, rt->flags);
        dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_COST, rt->cost);
        dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_ORIGIN, rt->origin);
        dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_FACE_ID, rt->face_id);
        dmsc_enc_prepend_hdr(e, DMSC_NFD_TT_ROUTE, m - dmsc_enc_mark(e));
    }
    dmsc_enc_prepend_name(e, prefix);
    dmsc_enc_prepend_hdr(e, DMSC_NFD_TT_RIB_ENTRY, mark - dmsc_enc_mark(e));
    return dmsc_enc_error(e);
}

int dmsc_nfd_rib_entry_decode(dmsc_nfd_rib_entry_t *re, const uint8_t *p, size_t n)
{
    return entry_decode(p, n, DMSC_NFD_TT_RIB_ENTRY, &re->name, &re->records, &re->n_routes,
                        route_next_any);
}

/* ---- CsInfo ---- */

#define S(f) offsetof(dmsc_nfd_cs_info_t, f)
static const field_t cs_info_fields[] = {
    {DMSC_NFD_TT_CAPACITY, F_NNI, S(capacity), REQUIRED},
    {DMSC_NFD_TT_FLAGS, F_NNI, S(flags), REQUIRED},
    {DMSC_NFD_TT_N_CS_ENTRIES, F_NNI, S(n_entries), REQUIRED},
    {DMSC_NFD_TT_N_HITS, F_NNI, S(n_hits), REQUIRED},
    {DMSC_NFD_TT_N_MISSES, F_NNI, S(n_misses), REQUIRED},
};
#undef S

int dmsc_nfd_cs_info_prepend(dmsc_enc_t *e, const dmsc_nfd_cs_info_t *ci)
{
    size_t mark = dmsc_enc_mark(e);
    dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_N_MISSES, ci->n_misses);
    dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_N_HITS, ci->n_hits);
    dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_N_CS_ENTRIES, ci->n_entries);
    dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_FLAGS, ci->flags);
    dmsc_enc_prepend_nni_tlv(e, DMSC_NFD_TT_CAPACITY, ci->capacity);
    dmsc_enc_prepend_hdr(e, DMSC_NFD_TT_CS_INFO, mark - dmsc_enc_mark(e));
    return dmsc_enc_error(e);
}

int dmsc_nfd_cs_info_decode(dmsc_nfd_cs_info_t *ci, const uint8_t *p, size_t n)
{
    dmsc_slice_t v;
    memset(ci, 0, sizeof *ci);
    int rc = outer(p, n, DMSC_NFD_TT_CS_INFO, &v);
    if (rc < 0) return rc;
    return decode_ordered(ci, cs_info_fields, sizeof cs_info_fields / sizeof cs_info_fields[0], v.p,
                          v.n);
}

/* ---- StrategyChoice ---- */

int dmsc_nfd_strategy_choice_prepend(dmsc_enc_t *e, const dmsc_name_t *prefix,
                                     const dmsc_name_t *strategy)
{
    size_t mark = dmsc_enc_mark(e);
    prepend_nested_name(e, DMSC_NFD_TT_STRATEGY, strategy);
    dmsc_enc_prepend_name(e, prefix);
    dmsc_enc_prepend_hdr(e, DMSC_NFD_TT_STRATEGY_CHOICE, mark - dmsc_enc_mark(e));
    return dmsc_enc_error(e);
}

int dmsc_nfd_strategy_choice_decode(dmsc_name_t *prefix, dmsc_name_t *strategy, const uint8_t *p,
                                    size_t n)
{
    dmsc_slice_t v;
    dmsc_tlv_reader_t r;
    bool have_name = false, have_strategy = false;
    dmsc_name_init(prefix);
    dmsc_name_init(strategy);
    int rc = outer(p, n, DMSC_NFD_TT_STRATEGY_CHOICE, &v);
    if (rc < 0) return rc;
    dmsc_tlv_reader_init(&r, v.p, v.n);
    while (!dmsc_tlv_reader_eof(&r)) {
        dmsc_tlv_t el;
        if ((rc = dmsc_tlv_read(&r, &el)) < 0) return rc;
        if (el.type == DMSC_TT_NAME) {
            if (have_name) return DMSC_EDUP;
            if (have_strategy) return DMSC_EORDER;
            have_name = true;
            rc = dmsc_name_from_value(prefix, el.value, el.len);
        } else if (el.type == DMSC_NFD_TT_STRATEGY) {
            if (have_strategy) return DMSC_EDUP;
            have_strategy = true;
            rc = nested_name(&el, strategy);
        }
        if (rc < 0) return rc;
    }
    return have_name && have_strategy ? 0 : DMSC_EMISSING;
}
