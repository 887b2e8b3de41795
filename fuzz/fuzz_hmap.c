/* libFuzzer: HTTP <-> NDN mapping decoders (src/gw/hmap.c). The input is
 * tried as an HttpRequest (ApplicationParameters value), an HttpResponse,
 * an HttpSegment and an HttpError (Data Content), and as an Interest / Data
 * wire. Whatever decodes must re-encode, decode again, and re-encode to the
 * same bytes; a decoded request must also survive the full Interest mapping
 * (name built from its target, then checked against it by the decoder). */
#include <stdlib.h>
#include <string.h>

#include "gw/hmap.h"
#include "ndn/data.h"
#include "ndn/interest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CAP (DMSC_TLV_DGRAM_MAX * 4 + 70000)
static uint8_t b1[CAP], b2[CAP], b3[CAP];
static dmsc_hmap_request_t rq1, rq2;
static dmsc_hmap_response_t rs1, rs2;
static dmsc_hmap_segment_t sg1, sg2;
static dmsc_hmap_fieldset_t fs;
static dmsc_namebuf_t nb;

static void same(dmsc_slice_t a, dmsc_slice_t b)
{
    if (!dmsc_slice_eq(a, b)) abort();
}

static void request(const uint8_t *p, size_t n)
{
    if (dmsc_hmap_params_decode(p, n, &rq1) != 0) return;
    dmsc_slice_t e1, e2;
    if (dmsc_hmap_params_encode(&rq1, b1, sizeof b1, &e1) != 0) abort();
    if (dmsc_hmap_params_decode(e1.p, e1.n, &rq2) != 0) abort();
    if (dmsc_hmap_params_encode(&rq2, b2, sizeof b2, &e2) != 0) abort();
    same(e1, e2);
    if (rq1.nfields != rq2.nfields || rq1.body != rq2.body ||
        rq1.has_request_id != rq2.has_request_id)
        abort();

    /* the whole Interest */
    static const uint8_t pfx[] = {0x08, 0x04, 'f', 'u', 'z', 'z'};
    dmsc_name_t prefix;
    if (dmsc_name_from_value(&prefix, pfx, sizeof pfx) != 0) abort();
    dmsc_slice_t wire;
    int rc = dmsc_hmap_request_encode(&prefix, &rq1, 1, 4000, 3, b3, sizeof b3, &wire);
    if (rc == DMSC_ENAMELEN || rc == DMSC_ENAMECOMPS) return;
    if (rc) abort();
    dmsc_interest_t in;
    if (dmsc_interest_decode(&in, wire.p, wire.n, sizeof b3) != 0) abort();
    if (dmsc_hmap_request_decode(&in, &rq2) != 0) abort();
    if (rq2.prefix_ncomps != 1 || in.must_be_fresh != dmsc_hmap_request_is_stable(&rq1)) abort();
    if (dmsc_hmap_params_encode(&rq2, b2, sizeof b2, &e2) != 0) abort();
    same(e1, e2);

    /* ingress helpers on decoded data */
    if (dmsc_hmap_upstream_fields(&rq1, "h", 1, "n1", "192.0.2.1", &fs) == 0 && fs.n == 0)
        abort(); /* at least Host */
    if (rq1.authority) (void)dmsc_hmap_host_to_prefix(rq1.authority, rq1.authority_len, &nb);
}

static void response(const uint8_t *p, size_t n)
{
    if (dmsc_hmap_response_decode(p, n, &rs1) != 0) return;
    dmsc_slice_t e1, e2;
    if (dmsc_hmap_response_encode(&rs1, b1, sizeof b1, &e1) != 0) abort();
    if (dmsc_hmap_response_decode(e1.p, e1.n, &rs2) != 0) abort();
    if (dmsc_hmap_response_encode(&rs2, b2, sizeof b2, &e2) != 0) abort();
    same(e1, e2);
    bool c;
    uint64_t ms = dmsc_hmap_freshness(true, rs1.fields, rs1.nfields, rs1.status, rs1.fields,
                                      rs1.nfields, 1700000000, &c);
    if (c != (ms > 0)) abort();
    (void)dmsc_hmap_client_response_fields(&rs1, true, "n2", &fs);
}

static void segment(const uint8_t *p, size_t n)
{
    if (dmsc_hmap_segment_decode(p, n, &sg1) != 0) return;
    dmsc_slice_t e1, e2;
    if (dmsc_hmap_segment_encode(&sg1, b1, sizeof b1, &e1) != 0) abort();
    if (dmsc_hmap_segment_decode(e1.p, e1.n, &sg2) != 0) abort();
    if (dmsc_hmap_segment_encode(&sg2, b2, sizeof b2, &e2) != 0) abort();
    same(e1, e2);
}

static void error(const uint8_t *p, size_t n)
{
    dmsc_hmap_error_t e, f;
    if (dmsc_hmap_error_decode(p, n, &e) != 0) return;
    dmsc_slice_t e1, e2;
    if (dmsc_hmap_error_encode(&e, b1, sizeof b1, &e1) != 0) abort();
    if (dmsc_hmap_error_decode(e1.p, e1.n, &f) != 0) abort();
    if (dmsc_hmap_error_encode(&f, b2, sizeof b2, &e2) != 0) abort();
    same(e1, e2);
    (void)dmsc_hmap_error_status(e.code);
    (void)dmsc_hmap_error_name(e.code);
}

static void content(const uint8_t *p, size_t n)
{
    request(p, n);
    response(p, n);
    segment(p, n);
    error(p, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    content(data, size);

    dmsc_interest_t in;
    if (dmsc_interest_decode(&in, data, size, DMSC_TLV_MAX_PACKET) == 0) {
        if (dmsc_hmap_request_decode(&in, &rq1) == 0) {
            if (rq1.prefix_ncomps < 1 || rq1.prefix_ncomps + rq1.path_ncomps + 2 != in.name.ncomps)
                abort();
            if (dmsc_hmap_segment_name(&in.name, 3, &nb) == 0) {
                uint64_t s;
                if (dmsc_hmap_segment_match(&in.name, false, &nb.name, &s) != 1 || s != 3) abort();
            }
        }
        if (in.has_app_params) content(in.app_params.p, in.app_params.n);
    }
    dmsc_data_t d;
    if (dmsc_data_decode(&d, data, size, DMSC_TLV_MAX_PACKET) == 0 && d.has_content) {
        int kind = dmsc_hmap_content_kind(d.content.p, d.content.n);
        if (kind == DMSC_HMAP_TT_RESPONSE) response(d.content.p, d.content.n);
        if (kind == DMSC_HMAP_TT_SEGMENT) segment(d.content.p, d.content.n);
        if (kind == DMSC_HMAP_TT_ERROR) error(d.content.p, d.content.n);
    }

    /* the text-level entry points */
    (void)dmsc_hmap_host_to_prefix((const char *)data, size, &nb);
    dmsc_namebuf_init(&nb);
    (void)dmsc_hmap_target_to_name((const char *)data, size, &nb);
    int64_t t;
    (void)dmsc_hmap_parse_http_date((const char *)data, size, &t);
    return 0;
}
