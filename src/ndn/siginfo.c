#include "ndn/siginfo.h"

void dmsc_siginfo_init(dmsc_siginfo_t *si)
{
    si->type = DMSC_SIG_SHA256;
    si->keyloc_kind = DMSC_KEYLOC_NONE;
    dmsc_name_init(&si->keyloc_name);
    si->keyloc_digest = dmsc_slice(NULL, 0);
    si->has_nonce = si->has_time = si->has_seq_num = si->has_validity = false;
    si->nonce = dmsc_slice(NULL, 0);
    si->time = 0;
    si->seq_num = 0;
    si->validity = dmsc_slice(NULL, 0);
    si->wire = dmsc_slice(NULL, 0);
}

/* KeyLocator = KEY-LOCATOR-TYPE TLV-LENGTH (Name / KeyDigest) */
static int keyloc_decode(dmsc_siginfo_t *si, const uint8_t *v, size_t n)
{
    dmsc_tlv_reader_t r;
    dmsc_tlv_reader_init(&r, v, n);
    while (!dmsc_tlv_reader_eof(&r)) {
        dmsc_tlv_t t;
        int rc = dmsc_tlv_read_fast(&r, &t);
        if (rc) return rc;
        if (t.type != DMSC_TT_NAME && t.type != DMSC_TT_KEY_DIGEST) {
            if (dmsc_tlv_is_critical(t.type)) return DMSC_ECRITICAL;
            continue;
        }
        if (si->keyloc_kind != DMSC_KEYLOC_NONE) return DMSC_EDUP; /* one of the two, once */
        if (t.type == DMSC_TT_NAME) {
            rc = dmsc_name_from_value(&si->keyloc_name, t.value, t.len);
            if (rc) return rc;
            si->keyloc_kind = DMSC_KEYLOC_NAME;
        } else {
            si->keyloc_digest = dmsc_slice(t.value, t.len);
            si->keyloc_kind = DMSC_KEYLOC_DIGEST;
        }
    }
    return si->keyloc_kind == DMSC_KEYLOC_NONE ? DMSC_EMISSING : 0;
}

/* Positions of the critical elements; the non-critical ones are unordered. */
enum { O_SIG_TYPE = 1, O_KEY_LOCATOR, O_VALIDITY };

static int nni_field(const dmsc_tlv_t *t, bool *has, uint64_t *out)
{
    if (*has) return DMSC_EDUP;
    int rc = dmsc_nni_decode(t->value, t->len, out);
    if (rc) return rc;
    *has = true;
    return 0;
}

int dmsc_siginfo_decode(dmsc_siginfo_t *si, const dmsc_tlv_t *el)
{
    if (el->type != DMSC_TT_SIG_INFO && el->type != DMSC_TT_ISIG_INFO) return DMSC_ETYPE;
    dmsc_siginfo_init(si);
    si->wire = dmsc_slice(el->start, el->size);

    dmsc_tlv_reader_t r;
    dmsc_tlv_reader_init(&r, el->value, el->len);
    int last = 0;
    bool has_type = false;
    while (!dmsc_tlv_reader_eof(&r)) {
        dmsc_tlv_t t;
        int rc = dmsc_tlv_read_fast(&r, &t);
        if (rc) return rc;
        switch (t.type) {
        case DMSC_TT_SIG_NONCE:
            if (si->has_nonce) return DMSC_EDUP;
            if (t.len == 0) return DMSC_EVALUE;
            si->nonce = dmsc_slice(t.value, t.len);
            si->has_nonce = true;
            continue;
        case DMSC_TT_SIG_TIME:
            rc = nni_field(&t, &si->has_time, &si->time);
            if (rc) return rc;
            continue;
        case DMSC_TT_SIG_SEQ_NUM:
            rc = nni_field(&t, &si->has_seq_num, &si->seq_num);
            if (rc) return rc;
            continue;
        default:
            break;
        }
        int order = t.type == DMSC_TT_SIG_TYPE          ? O_SIG_TYPE
                    : t.type == DMSC_TT_KEY_LOCATOR     ? O_KEY_LOCATOR
                    : t.type == DMSC_TT_VALIDITY_PERIOD ? O_VALIDITY
                                                        : 0;
        rc = dmsc__evolve(t.type, order, &last);
        if (rc <= 0) {
            if (rc) return rc;
            continue;
        }
        switch (order) {
        case O_SIG_TYPE:
            rc = dmsc_nni_decode(t.value, t.len, &si->type);
            has_type = true;
            break;
        case O_KEY_LOCATOR:
            rc = keyloc_decode(si, t.value, t.len);
            break;
        default: /* O_VALIDITY */
            si->validity = dmsc_slice(t.value, t.len);
            si->has_validity = true;
            rc = 0;
            break;
        }
        if (rc) return rc;
    }
    return has_type ? 0 : DMSC_EMISSING;
}

int dmsc_siginfo_prepend(dmsc_enc_t *e, uint64_t tlv_type, const dmsc_siginfo_t *si)
{
    if (tlv_type != DMSC_TT_SIG_INFO && tlv_type != DMSC_TT_ISIG_INFO) return DMSC_EINVAL;
    if (si->has_nonce && si->nonce.n == 0) return DMSC_EINVAL;
    size_t end = dmsc_enc_mark(e);
    /* backward: last element first */
    if (si->has_validity)
        dmsc_enc_prepend_tlv(e, DMSC_TT_VALIDITY_PERIOD, si->validity.p, si->validity.n);
    if (si->has_seq_num) dmsc_enc_prepend_nni_tlv(e, DMSC_TT_SIG_SEQ_NUM, si->seq_num);
    if (si->has_time) dmsc_enc_prepend_nni_tlv(e, DMSC_TT_SIG_TIME, si->time);
    if (si->has_nonce) dmsc_enc_prepend_tlv(e, DMSC_TT_SIG_NONCE, si->nonce.p, si->nonce.n);
    switch (si->keyloc_kind) {
    case DMSC_KEYLOC_NONE:
        break;
    case DMSC_KEYLOC_NAME: {
        size_t kl_end = dmsc_enc_mark(e);
        dmsc_enc_prepend_tlv(e, DMSC_TT_NAME, si->keyloc_name.value, si->keyloc_name.len);
        dmsc_enc_prepend_hdr(e, DMSC_TT_KEY_LOCATOR, kl_end - dmsc_enc_mark(e));
        break;
    }
    case DMSC_KEYLOC_DIGEST: {
        size_t kl_end = dmsc_enc_mark(e);
        dmsc_enc_prepend_tlv(e, DMSC_TT_KEY_DIGEST, si->keyloc_digest.p, si->keyloc_digest.n);
        dmsc_enc_prepend_hdr(e, DMSC_TT_KEY_LOCATOR, kl_end - dmsc_enc_mark(e));
        break;
    }
    default:
        return DMSC_EINVAL;
    }
    dmsc_enc_prepend_nni_tlv(e, DMSC_TT_SIG_TYPE, si->type);
    dmsc_enc_prepend_hdr(e, tlv_type, end - dmsc_enc_mark(e));
    return dmsc_enc_error(e);
}

void dmsc_siginfo_set_signer(dmsc_siginfo_t *si, const dmsc_signer_t *s)
{
    si->type = s->sig_type;
    si->keyloc_kind = s->keyloc_kind;
    if (s->keyloc_kind == DMSC_KEYLOC_NAME) si->keyloc_name = s->keyloc_name;
    if (s->keyloc_kind == DMSC_KEYLOC_DIGEST) si->keyloc_digest = s->keyloc_digest;
    si->wire = dmsc_slice(NULL, 0);
}

int dmsc__packet_open(const uint8_t *wire, size_t len, size_t max_size, uint64_t type,
                      dmsc_tlv_t *top, dmsc_tlv_reader_t *r)
{
    if (len > max_size) return DMSC_ETOOBIG;
    if (len == 0) return DMSC_ETRUNC;
    dmsc_tlv_reader_init(r, wire, len);
    int rc = dmsc_tlv_read_fast(r, top);
    if (rc) return rc;
    if (top->type != type) return DMSC_ETYPE;
    if (!dmsc_tlv_reader_eof(r)) return DMSC_ETRAILING;
    dmsc_tlv_reader_init(r, top->value, top->len);
    return 0;
}

int dmsc__misplaced_name(dmsc_tlv_reader_t *r)
{
    while (!dmsc_tlv_reader_eof(r)) {
        dmsc_tlv_t t;
        int rc = dmsc_tlv_read_fast(r, &t);
        if (rc) return rc;
        if (t.type == DMSC_TT_NAME) return DMSC_EORDER;
    }
    return DMSC_EMISSING;
}
