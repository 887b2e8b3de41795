#include "ndn/interest.h"

#include <string.h>

#include "base/sha256.h"

/* Legacy ForwardingHint content (early v0.3 drafts; ndn-cxx still decodes it):
 * Delegation = 0x1f TLV-LENGTH Preference Name, Preference = 0x1e NNI. */
#define TT_DELEGATION 0x1f
#define TT_PREFERENCE 0x1e

/* ParametersSha256DigestComponent element: T, L(=32), 32-octet value */
#define DIGEST_COMP_SIZE (2 + DMSC_SHA256_LEN)

/* Runs of a name without its digest components: at most one more run than
 * digest components, so half the components plus one; plus the signed
 * parameters part. */
#define MAX_PARTS (DMSC_NAME_MAX_COMPS / 2 + 2)

/* Positions in the Interest grammar. */
enum {
    O_NAME = 1,
    O_CAN_BE_PREFIX,
    O_MUST_BE_FRESH,
    O_FWHINT,
    O_NONCE,
    O_LIFETIME,
    O_HOP_LIMIT,
    O_APP_PARAMS,
    O_SIG_INFO,
    O_SIG_VALUE,
};

static int order_of(uint64_t type)
{
    switch (type) {
    case DMSC_TT_NAME:
        return O_NAME;
    case DMSC_TT_CAN_BE_PREFIX:
        return O_CAN_BE_PREFIX;
    case DMSC_TT_MUST_BE_FRESH:
        return O_MUST_BE_FRESH;
    case DMSC_TT_FORWARDING_HINT:
        return O_FWHINT;
    case DMSC_TT_NONCE:
        return O_NONCE;
    case DMSC_TT_INTEREST_LIFETIME:
        return O_LIFETIME;
    case DMSC_TT_HOP_LIMIT:
        return O_HOP_LIMIT;
    case DMSC_TT_APP_PARAMETERS:
        return O_APP_PARAMS;
    case DMSC_TT_ISIG_INFO:
        return O_SIG_INFO;
    case DMSC_TT_ISIG_VALUE:
        return O_SIG_VALUE;
    default:
        return 0;
    }
}

static inline uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* TLV-TYPE of component k; the cheap path covers every minimal encoding. */
static inline unsigned comp_type(const dmsc_name_t *n, size_t k)
{
    uint8_t b = n->value[n->off[k]];
    return b < 0xfd ? b : dmsc_name_comp(n, k).type;
}

/* Number of ParametersSha256DigestComponents in n; *first = index of the
 * first one (-1 if none). */
static int count_params_digest(const dmsc_name_t *n, int *first)
{
    int count = 0;
    *first = -1;
    for (size_t k = 0; k < n->ncomps; k++) {
        if (comp_type(n, k) != DMSC_TT_PARAMS_DIGEST) continue;
        if (count++ == 0) *first = (int)k;
    }
    return count;
}

void dmsc_interest_init(dmsc_interest_t *i)
{
    dmsc_name_init(&i->name);
    i->can_be_prefix = i->must_be_fresh = false;
    i->has_fwhint = i->has_nonce = i->has_lifetime = i->has_hop_limit = false;
    i->has_app_params = i->is_signed = false;
    i->hop_limit = 0;
    i->nonce = 0;
    i->lifetime = DMSC_INTEREST_LIFETIME_DEFAULT;
    i->fwhint = dmsc_slice(NULL, 0);
    i->fwhint_count = 0;
    i->app_params = dmsc_slice(NULL, 0);
    dmsc_siginfo_init(&i->sig_info);
    i->sig_value = dmsc_slice(NULL, 0);
    i->params_digest_idx = -1;
    i->params_portion = dmsc_slice(NULL, 0);
    i->signed_parts[0] = i->signed_parts[1] = dmsc_slice(NULL, 0);
    i->wire = dmsc_slice(NULL, 0);
}

/* ---- ForwardingHint ---- */

/* One ForwardingHint element: a Name, or a legacy Delegation holding one.
 * Returns 1 with *name set, 0 for a non-critical element to skip, or an
 * error. */
static int fwhint_elem(const dmsc_tlv_t *el, dmsc_name_t *name)
{
    if (el->type == DMSC_TT_NAME) {
        int rc = dmsc_name_from_value(name, el->value, el->len);
        return rc ? rc : 1;
    }
    if (el->type != TT_DELEGATION) return dmsc_tlv_is_critical(el->type) ? DMSC_ECRITICAL : 0;

    dmsc_tlv_reader_t r;
    dmsc_tlv_reader_init(&r, el->value, el->len);
    bool has_name = false;
    while (!dmsc_tlv_reader_eof(&r)) {
        dmsc_tlv_t t;
        uint64_t pref;
        int rc = dmsc_tlv_read_fast(&r, &t);
        if (rc) return rc;
        switch (t.type) {
        case TT_PREFERENCE:
            rc = dmsc_nni_decode(t.value, t.len, &pref);
            break;
        case DMSC_TT_NAME:
            if (has_name) return DMSC_EDUP;
            rc = dmsc_name_from_value(name, t.value, t.len);
            has_name = true;
            break;
        default:
            rc = dmsc_tlv_is_critical(t.type) ? DMSC_ECRITICAL : 0;
            break;
        }
        if (rc) return rc;
    }
    return has_name ? 1 : DMSC_EMISSING;
}

static int fwhint_check(const uint8_t *v, size_t n, uint32_t *count)
{
    dmsc_tlv_reader_t r;
    dmsc_tlv_reader_init(&r, v, n);
    *count = 0;
    while (!dmsc_tlv_reader_eof(&r)) {
        dmsc_tlv_t t;
        dmsc_name_t scratch;
        int rc = dmsc_tlv_read_fast(&r, &t);
        if (rc) return rc;
        rc = fwhint_elem(&t, &scratch);
        if (rc < 0) return rc;
        *count += (uint32_t)rc;
    }
    return *count ? 0 : DMSC_EMISSING;
}

int dmsc_fwhint_next(dmsc_fwhint_iter_t *it, dmsc_name_t *out)
{
    while (!dmsc_tlv_reader_eof(&it->r)) {
        dmsc_tlv_t t;
        int rc = dmsc_tlv_read_fast(&it->r, &t);
        if (rc) return rc;
        rc = fwhint_elem(&t, out);
        if (rc) return rc;
    }
    return 0;
}

int dmsc_fwhint_build(const dmsc_name_t *names, size_t n, uint8_t *buf, size_t cap,
                      dmsc_slice_t *out)
{
    if (n == 0) return DMSC_EINVAL;
    dmsc_enc_t e;
    dmsc_enc_init(&e, buf, cap);
    for (size_t k = n; k-- > 0;)
        dmsc_enc_prepend_tlv(&e, DMSC_TT_NAME, names[k].value, names[k].len);
    if (dmsc_enc_error(&e)) return DMSC_ENOBUFS;
    *out = dmsc_slice(dmsc_enc_data(&e), cap - dmsc_enc_mark(&e));
    return 0;
}

/* ---- decoding ---- */

int dmsc_interest_decode(dmsc_interest_t *i, const uint8_t *wire, size_t len, size_t max_size)
{
    dmsc_tlv_reader_t r;
    dmsc_tlv_t top;
    int rc = dmsc__packet_open(wire, len, max_size, DMSC_TT_INTEREST, &top, &r);
    if (rc) return rc;

    dmsc_interest_init(i);
    i->wire = dmsc_slice(wire, len);
    const uint8_t *end = top.value + top.len;
    const uint8_t *app_start = NULL, *sigval_start = NULL;
    bool has_sig_info = false, has_sig_value = false;
    int last = 0;

    while (!dmsc_tlv_reader_eof(&r)) {
        dmsc_tlv_t t;
        rc = dmsc_tlv_read_fast(&r, &t);
        if (rc) return rc;
        int order = order_of(t.type);
        if (last == 0 && order != O_NAME) return dmsc__misplaced_name(&r);
        rc = dmsc__evolve(t.type, order, &last);
        if (rc <= 0) {
            if (rc) return rc;
            continue;
        }
        switch (order) {
        case O_NAME:
            rc = dmsc_name_from_value(&i->name, t.value, t.len);
            if (rc) return rc;
            if (i->name.ncomps == 0) return DMSC_EVALUE;
            break;
        case O_CAN_BE_PREFIX:
            if (t.len != 0) return DMSC_EVALUE;
            i->can_be_prefix = true;
            break;
        case O_MUST_BE_FRESH:
            if (t.len != 0) return DMSC_EVALUE;
            i->must_be_fresh = true;
            break;
        case O_FWHINT:
            rc = fwhint_check(t.value, t.len, &i->fwhint_count);
            if (rc) return rc;
            i->fwhint = dmsc_slice(t.value, t.len);
            i->has_fwhint = true;
            break;
        case O_NONCE:
            if (t.len != 4) return DMSC_EVALUE;
            i->nonce = be32(t.value);
            i->has_nonce = true;
            break;
        case O_LIFETIME:
            rc = dmsc_nni_decode(t.value, t.len, &i->lifetime);
            if (rc) return rc;
            i->has_lifetime = true;
            break;
        case O_HOP_LIMIT:
            if (t.len != 1) return DMSC_EVALUE;
            i->hop_limit = t.value[0];
            i->has_hop_limit = true;
            break;
        case O_APP_PARAMS:
            i->app_params = dmsc_slice(t.value, t.len);
            i->has_app_params = true;
            app_start = t.start;
            break;
        case O_SIG_INFO:
            rc = dmsc_siginfo_decode(&i->sig_info, &t);
            if (rc) return rc;
            has_sig_info = true;
            break;
        default: /* O_SIG_VALUE */
            i->sig_value = dmsc_slice(t.value, t.len);
            sigval_start = t.start;
            has_sig_value = true;
            break;
        }
    }
    if (last == 0) return DMSC_EMISSING; /* empty Interest */
    if (has_sig_info != has_sig_value) return DMSC_EMISSING;
    if (has_sig_info && !i->has_app_params) return DMSC_EMISSING;
    i->is_signed = has_sig_info;

    int idx;
    int count = count_params_digest(&i->name, &idx);
    if (!i->has_app_params) return count ? DMSC_EDIGEST : 0;
    if (count != 1) return DMSC_EDIGEST;
    if (i->is_signed && (size_t)idx != i->name.ncomps - 1u) return DMSC_EDIGEST;

    i->params_portion = dmsc_slice(app_start, (size_t)(end - app_start));
    uint8_t digest[DMSC_SHA256_LEN];
    dmsc_sha256(&i->params_portion, 1, digest);
    dmsc_comp_t c = dmsc_name_comp(&i->name, (size_t)idx);
    if (memcmp(c.value, digest, DMSC_SHA256_LEN) != 0) return DMSC_EDIGEST;
    i->params_digest_idx = idx;

    if (i->is_signed) {
        i->signed_parts[0] = dmsc_slice(i->name.value, i->name.off[idx]);
        i->signed_parts[1] = dmsc_slice(app_start, (size_t)(sigval_start - app_start));
    }
    return 0;
}

/* ---- encoding ---- */

/* The name's TLV-VALUE without its digest components, as runs of adjacent
 * components appended to parts[*np]. */
static void runs_without_digest(const dmsc_name_t *n, dmsc_slice_t *parts, size_t *np)
{
    size_t run = 0;
    for (size_t k = 0; k < n->ncomps; k++) {
        if (comp_type(n, k) != DMSC_TT_PARAMS_DIGEST) continue;
        if (n->off[k] > run) parts[(*np)++] = dmsc_slice(n->value + run, n->off[k] - run);
        run = n->off[k + 1];
    }
    if (n->len > run) parts[(*np)++] = dmsc_slice(n->value + run, n->len - run);
}

static int check_name_room(size_t len, size_t ncomps)
{
    if (ncomps > DMSC_NAME_MAX_COMPS) return DMSC_ENAMECOMPS;
    if (len > DMSC_NAME_MAX_LEN) return DMSC_ENAMELEN;
    return 0;
}

/* Signed tail: ApplicationParameters, InterestSignatureInfo, signature.
 * Written before a room reserved at the end of buf for the SignatureValue,
 * which is then written forward. Sets *tail_end past the SignatureValue and
 * the name pieces (runs without digest components) in pieces[]. */
static int encode_signed_tail(const dmsc_interest_t *i, const dmsc_signer_t *signer, dmsc_enc_t *e,
                              size_t cap, size_t *tail_end, dmsc_slice_t *pieces, size_t *npieces)
{
    if (!signer->sign || signer->max_sig_len > DMSC_SIG_MAX_LEN) return DMSC_EINVAL;
    size_t room = dmsc_varnum_size(DMSC_TT_ISIG_VALUE) + dmsc_varnum_size(signer->max_sig_len) +
                  signer->max_sig_len;
    if (room > cap) return DMSC_ENOBUFS;
    size_t sig_at = cap - room;
    dmsc_enc_init(e, e->buf, sig_at);

    dmsc_siginfo_t si = i->sig_info;
    dmsc_siginfo_set_signer(&si, signer);
    int rc = dmsc_siginfo_prepend(e, DMSC_TT_ISIG_INFO, &si);
    if (rc) return rc;
    if (i->has_app_params)
        dmsc_enc_prepend_tlv(e, DMSC_TT_APP_PARAMETERS, i->app_params.p, i->app_params.n);
    else
        dmsc_enc_prepend_hdr(e, DMSC_TT_APP_PARAMETERS, 0);
    if (dmsc_enc_error(e)) return DMSC_ENOBUFS;

    /* signed portion: name components without the digest, then
     * ApplicationParameters and InterestSignatureInfo as written */
    dmsc_slice_t parts[MAX_PARTS];
    size_t np = 0;
    runs_without_digest(&i->name, parts, &np);
    memcpy(pieces, parts, np * sizeof parts[0]);
    *npieces = np;
    size_t tail = dmsc_enc_mark(e);
    parts[np++] = dmsc_slice(e->buf + tail, sig_at - tail);

    uint8_t sig[DMSC_SIG_MAX_LEN];
    size_t sig_len = 0;
    rc = signer->sign(signer, parts, np, sig, &sig_len);
    if (rc) return rc;
    if (sig_len > signer->max_sig_len) return DMSC_EINVAL;
    size_t h = dmsc_tlv_write_hdr(e->buf + sig_at, DMSC_TT_ISIG_VALUE, sig_len);
    if (sig_len) memcpy(e->buf + sig_at + h, sig, sig_len);
    *tail_end = sig_at + h + sig_len;
    return 0;
}

int dmsc_interest_encode(const dmsc_interest_t *i, const dmsc_signer_t *signer, uint8_t *buf,
                         size_t cap, dmsc_slice_t *out)
{
    const dmsc_name_t *n = &i->name;
    if (i->has_fwhint && i->fwhint.n == 0) return DMSC_EINVAL;
    int idx;
    int count = count_params_digest(n, &idx);

    /* The name is written as up to MAX_PARTS + 1 pieces: runs of the
     * original TLV-VALUE and the new digest component. */
    dmsc_slice_t pieces[MAX_PARTS + 1];
    size_t np = 0;
    uint8_t dcomp[DIGEST_COMP_SIZE] = {DMSC_TT_PARAMS_DIGEST, DMSC_SHA256_LEN};
    dmsc_slice_t dslice = dmsc_slice(dcomp, sizeof dcomp);
    dmsc_enc_t e;
    size_t end = cap;
    int rc;

    dmsc_enc_init(&e, buf, cap);
    if (signer) {
        size_t dlen = 0;
        for (size_t k = 0; k < n->ncomps; k++)
            if (comp_type(n, k) == DMSC_TT_PARAMS_DIGEST) dlen += DIGEST_COMP_SIZE;
        rc = check_name_room(n->len - dlen + DIGEST_COMP_SIZE, n->ncomps - (size_t)count + 1);
        if (rc) return rc;
        rc = encode_signed_tail(i, signer, &e, cap, &end, pieces, &np);
        if (rc) return rc;
        size_t tail = dmsc_enc_mark(&e);
        dmsc_sha256_buf(buf + tail, end - tail, dcomp + 2);
        pieces[np++] = dslice;
    } else if (i->params_portion.n) {
        if (count != 1) return DMSC_EDIGEST;
        dmsc_enc_prepend(&e, i->params_portion.p, i->params_portion.n);
        pieces[np++] = dmsc_slice(n->value, n->len);
    } else if (i->has_app_params) {
        if (count > 1) return DMSC_EDIGEST;
        if (i->is_signed && count == 1 && (size_t)idx != n->ncomps - 1u) return DMSC_EDIGEST;
        if (count == 0) {
            rc = check_name_room(n->len + DIGEST_COMP_SIZE, n->ncomps + 1u);
            if (rc) return rc;
        }
        if (i->is_signed) {
            dmsc_enc_prepend_tlv(&e, DMSC_TT_ISIG_VALUE, i->sig_value.p, i->sig_value.n);
            if (i->sig_info.wire.n) {
                dmsc_enc_prepend(&e, i->sig_info.wire.p, i->sig_info.wire.n);
            } else {
                rc = dmsc_siginfo_prepend(&e, DMSC_TT_ISIG_INFO, &i->sig_info);
                if (rc) return rc;
            }
        }
        dmsc_enc_prepend_tlv(&e, DMSC_TT_APP_PARAMETERS, i->app_params.p, i->app_params.n);
        if (dmsc_enc_error(&e)) return DMSC_ENOBUFS;
        dmsc_sha256_buf(dmsc_enc_data(&e), cap - dmsc_enc_mark(&e), dcomp + 2);
        if (count == 1) {
            pieces[np++] = dmsc_slice(n->value, n->off[idx]);
            pieces[np++] = dslice;
            pieces[np++] = dmsc_slice(n->value + n->off[idx + 1], n->len - n->off[idx + 1]);
        } else {
            pieces[np++] = dmsc_slice(n->value, n->len);
            pieces[np++] = dslice;
        }
    } else {
        if (i->is_signed) return DMSC_EINVAL;
        if (count) return DMSC_EDIGEST;
        if (n->ncomps == 0) return DMSC_EINVAL;
        pieces[np++] = dmsc_slice(n->value, n->len);
    }

    if (i->has_hop_limit) dmsc_enc_prepend_tlv(&e, DMSC_TT_HOP_LIMIT, &i->hop_limit, 1);
    if (i->has_lifetime) dmsc_enc_prepend_nni_tlv(&e, DMSC_TT_INTEREST_LIFETIME, i->lifetime);
    if (i->has_nonce) {
        uint8_t nb[4] = {(uint8_t)(i->nonce >> 24), (uint8_t)(i->nonce >> 16),
                         (uint8_t)(i->nonce >> 8), (uint8_t)i->nonce};
        dmsc_enc_prepend_tlv(&e, DMSC_TT_NONCE, nb, sizeof nb);
    }
    if (i->has_fwhint) dmsc_enc_prepend_tlv(&e, DMSC_TT_FORWARDING_HINT, i->fwhint.p, i->fwhint.n);
    if (i->must_be_fresh) dmsc_enc_prepend_hdr(&e, DMSC_TT_MUST_BE_FRESH, 0);
    if (i->can_be_prefix) dmsc_enc_prepend_hdr(&e, DMSC_TT_CAN_BE_PREFIX, 0);

    size_t name_end = dmsc_enc_mark(&e);
    for (size_t k = np; k-- > 0;)
        dmsc_enc_prepend(&e, pieces[k].p, pieces[k].n);
    dmsc_enc_prepend_hdr(&e, DMSC_TT_NAME, name_end - dmsc_enc_mark(&e));
    dmsc_enc_prepend_hdr(&e, DMSC_TT_INTEREST, end - dmsc_enc_mark(&e));
    if (dmsc_enc_error(&e)) return DMSC_ENOBUFS;
    *out = dmsc_slice(dmsc_enc_data(&e), end - dmsc_enc_mark(&e));
    return 0;
}

int dmsc_interest_verify(const dmsc_interest_t *i, const dmsc_verifier_t *v)
{
    if (!i->is_signed) return DMSC_EMISSING;
    if (v->sig_type != i->sig_info.type) return DMSC_ESIGTYPE;
    return v->verify(v, i->signed_parts, 2, i->sig_value.p, i->sig_value.n);
}
