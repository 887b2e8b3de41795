#include "ndn/data.h"

#include <string.h>

/* Positions in the Data and MetaInfo grammars. */
enum { O_NAME = 1, O_META_INFO, O_CONTENT, O_SIG_INFO, O_SIG_VALUE };
enum { O_CONTENT_TYPE = 1, O_FRESHNESS, O_FINAL_BLOCK };

static int order_of(uint64_t type)
{
    switch (type) {
    case DMSC_TT_NAME:
        return O_NAME;
    case DMSC_TT_META_INFO:
        return O_META_INFO;
    case DMSC_TT_CONTENT:
        return O_CONTENT;
    case DMSC_TT_SIG_INFO:
        return O_SIG_INFO;
    case DMSC_TT_SIG_VALUE:
        return O_SIG_VALUE;
    default:
        return 0;
    }
}

void dmsc_data_init(dmsc_data_t *d)
{
    dmsc_name_init(&d->name);
    d->has_meta_info = d->has_content_type = d->has_freshness = false;
    d->has_final_block = d->has_content = false;
    d->content_type = DMSC_CONTENT_BLOB;
    d->freshness = 0;
    memset(&d->final_block, 0, sizeof d->final_block);
    d->content = dmsc_slice(NULL, 0);
    dmsc_siginfo_init(&d->sig_info);
    d->sig_value = dmsc_slice(NULL, 0);
    d->signed_portion = dmsc_slice(NULL, 0);
    d->wire = dmsc_slice(NULL, 0);
}

/* ---- decoding ---- */

static int final_block_decode(dmsc_data_t *d, const uint8_t *v, size_t n)
{
    dmsc_name_t one; /* FinalBlockId's value is one NameComponent: index it like a Name */
    int rc = dmsc_name_from_value(&one, v, n);
    if (rc) return rc == DMSC_ENAMECOMPS ? DMSC_EVALUE : rc;
    if (one.ncomps != 1) return DMSC_EVALUE;
    d->final_block = dmsc_name_comp(&one, 0);
    d->has_final_block = true;
    return 0;
}

static int meta_info_decode(dmsc_data_t *d, const uint8_t *v, size_t n)
{
    dmsc_tlv_reader_t r;
    dmsc_tlv_reader_init(&r, v, n);
    int last = 0;
    while (!dmsc_tlv_reader_eof(&r)) {
        dmsc_tlv_t t;
        int rc = dmsc_tlv_read_fast(&r, &t);
        if (rc) return rc;
        int order = t.type == DMSC_TT_CONTENT_TYPE       ? O_CONTENT_TYPE
                    : t.type == DMSC_TT_FRESHNESS_PERIOD ? O_FRESHNESS
                    : t.type == DMSC_TT_FINAL_BLOCK_ID   ? O_FINAL_BLOCK
                                                         : 0;
        rc = dmsc__evolve(t.type, order, &last);
        if (rc <= 0) {
            if (rc) return rc;
            continue;
        }
        switch (order) {
        case O_CONTENT_TYPE:
            rc = dmsc_nni_decode(t.value, t.len, &d->content_type);
            d->has_content_type = true;
            break;
        case O_FRESHNESS:
            rc = dmsc_nni_decode(t.value, t.len, &d->freshness);
            d->has_freshness = true;
            break;
        default: /* O_FINAL_BLOCK */
            rc = final_block_decode(d, t.value, t.len);
            break;
        }
        if (rc) return rc;
    }
    return 0;
}

int dmsc_data_decode(dmsc_data_t *d, const uint8_t *wire, size_t len, size_t max_size)
{
    dmsc_tlv_reader_t r;
    dmsc_tlv_t top;
    int rc = dmsc__packet_open(wire, len, max_size, DMSC_TT_DATA, &top, &r);
    if (rc) return rc;

    dmsc_data_init(d);
    d->wire = dmsc_slice(wire, len);
    const uint8_t *sigval_start = NULL;
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
            rc = dmsc_name_from_value(&d->name, t.value, t.len);
            break;
        case O_META_INFO:
            rc = meta_info_decode(d, t.value, t.len);
            d->has_meta_info = true;
            break;
        case O_CONTENT:
            d->content = dmsc_slice(t.value, t.len);
            d->has_content = true;
            rc = 0;
            break;
        case O_SIG_INFO:
            rc = dmsc_siginfo_decode(&d->sig_info, &t);
            has_sig_info = true;
            break;
        default: /* O_SIG_VALUE */
            d->sig_value = dmsc_slice(t.value, t.len);
            sigval_start = t.start;
            has_sig_value = true;
            rc = 0;
            break;
        }
        if (rc) return rc;
    }
    if (last == 0 || !has_sig_info || !has_sig_value) return DMSC_EMISSING;
    d->signed_portion = dmsc_slice(top.value, (size_t)(sigval_start - top.value));
    return 0;
}

/* ---- encoding ---- */

/* Octets of the SignatureValue element a signer writes at most. */
static size_t sig_value_room(const dmsc_signer_t *signer)
{
    return dmsc_varnum_size(DMSC_TT_SIG_VALUE) + dmsc_varnum_size(signer->max_sig_len) +
           signer->max_sig_len;
}

static void prepend_signed_portion(dmsc_enc_t *e, const dmsc_data_t *d)
{
    if (d->has_content) dmsc_enc_prepend_tlv(e, DMSC_TT_CONTENT, d->content.p, d->content.n);
    if (d->has_meta_info || d->has_content_type || d->has_freshness || d->has_final_block) {
        size_t mi_end = dmsc_enc_mark(e);
        if (d->has_final_block) {
            const dmsc_comp_t *c = &d->final_block;
            size_t fb_end = dmsc_enc_mark(e);
            dmsc_enc_prepend_tlv(e, c->type, c->value, c->len);
            dmsc_enc_prepend_hdr(e, DMSC_TT_FINAL_BLOCK_ID, fb_end - dmsc_enc_mark(e));
        }
        if (d->has_freshness) dmsc_enc_prepend_nni_tlv(e, DMSC_TT_FRESHNESS_PERIOD, d->freshness);
        if (d->has_content_type) dmsc_enc_prepend_nni_tlv(e, DMSC_TT_CONTENT_TYPE, d->content_type);
        dmsc_enc_prepend_hdr(e, DMSC_TT_META_INFO, mi_end - dmsc_enc_mark(e));
    }
    dmsc_enc_prepend_tlv(e, DMSC_TT_NAME, d->name.value, d->name.len);
}

int dmsc_data_encode(const dmsc_data_t *d, const dmsc_signer_t *signer, uint8_t *buf, size_t cap,
                     dmsc_slice_t *out)
{
    dmsc_enc_t e;
    size_t end;
    int rc;

    if (!signer) {
        end = cap;
        dmsc_enc_init(&e, buf, cap);
        dmsc_enc_prepend_tlv(&e, DMSC_TT_SIG_VALUE, d->sig_value.p, d->sig_value.n);
        if (d->sig_info.wire.n) {
            dmsc_enc_prepend(&e, d->sig_info.wire.p, d->sig_info.wire.n);
        } else {
            rc = dmsc_siginfo_prepend(&e, DMSC_TT_SIG_INFO, &d->sig_info);
            if (rc) return rc;
        }
        prepend_signed_portion(&e, d);
    } else {
        if (!signer->sign || signer->max_sig_len > DMSC_SIG_MAX_LEN) return DMSC_EINVAL;
        /* Signed portion first, ending before room for the SignatureValue */
        size_t room = sig_value_room(signer);
        if (room > cap) return DMSC_ENOBUFS;
        size_t sig_at = cap - room;
        dmsc_enc_init(&e, buf, sig_at);
        dmsc_siginfo_t si = d->sig_info;
        dmsc_siginfo_set_signer(&si, signer);
        rc = dmsc_siginfo_prepend(&e, DMSC_TT_SIG_INFO, &si);
        if (rc) return rc;
        prepend_signed_portion(&e, d);
        if (dmsc_enc_error(&e)) return DMSC_ENOBUFS;

        dmsc_slice_t part = dmsc_slice(dmsc_enc_data(&e), sig_at - dmsc_enc_mark(&e));
        uint8_t sig[DMSC_SIG_MAX_LEN];
        size_t sig_len = 0;
        rc = signer->sign(signer, &part, 1, sig, &sig_len);
        if (rc) return rc;
        if (sig_len > signer->max_sig_len) return DMSC_EINVAL;
        size_t h = dmsc_tlv_write_hdr(buf + sig_at, DMSC_TT_SIG_VALUE, sig_len);
        if (sig_len) memcpy(buf + sig_at + h, sig, sig_len);
        end = sig_at + h + sig_len;
    }
    dmsc_enc_prepend_hdr(&e, DMSC_TT_DATA, end - dmsc_enc_mark(&e));
    if (dmsc_enc_error(&e)) return DMSC_ENOBUFS;
    *out = dmsc_slice(dmsc_enc_data(&e), end - dmsc_enc_mark(&e));
    return 0;
}

size_t dmsc_data_content_tail(const dmsc_data_t *d, const dmsc_signer_t *signer)
{
    if (!signer || !signer->sign || signer->max_sig_len > DMSC_SIG_MAX_LEN) return 0;
    uint8_t tmp[DMSC_TLV_DGRAM_MAX];
    dmsc_enc_t e;
    dmsc_enc_init(&e, tmp, sizeof tmp);
    dmsc_siginfo_t si = d->sig_info;
    dmsc_siginfo_set_signer(&si, signer);
    if (dmsc_siginfo_prepend(&e, DMSC_TT_SIG_INFO, &si) || dmsc_enc_error(&e)) return 0;
    return sig_value_room(signer) + (sizeof tmp - dmsc_enc_mark(&e));
}

int dmsc_data_verify(const dmsc_data_t *d, const dmsc_verifier_t *v)
{
    if (!d->signed_portion.p) return DMSC_EINVAL;
    if (v->sig_type != d->sig_info.type) return DMSC_ESIGTYPE;
    return v->verify(v, &d->signed_portion, 1, d->sig_value.p, d->sig_value.n);
}

void dmsc_data_implicit_digest(const dmsc_data_t *d, uint8_t out[DMSC_SHA256_LEN])
{
    dmsc_sha256(&d->wire, 1, out);
}

int dmsc_data_full_name(const dmsc_data_t *d, dmsc_namebuf_t *nb)
{
    if (!d->wire.n) return DMSC_EINVAL;
    uint8_t digest[DMSC_SHA256_LEN];
    dmsc_data_implicit_digest(d, digest);
    int rc = dmsc_namebuf_copy(nb, &d->name);
    if (rc) return rc;
    return dmsc_namebuf_append(nb, DMSC_TT_IMPLICIT_DIGEST, digest, sizeof digest);
}
