/* libFuzzer: the NFD management decoders (mgmt/nfd_tlv.h) over arbitrary
 * bytes: ControlParameters (with an encode/decode round trip),
 * ControlResponse, and every StatusDataset record type, both as one element
 * and as a dataset payload (a sequence of records). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mgmt/nfd_tlv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(dmsc_slice_t s, const uint8_t *data, size_t size)
{
    if (s.n && (s.p < data || s.p + s.n > data + size)) __builtin_trap();
}

static void cp_roundtrip(const uint8_t *data, size_t size)
{
    dmsc_nfd_cp_t cp, again;
    if (dmsc_nfd_cp_decode(&cp, data, size) < 0) return;
    inside(cp.uri, data, size);
    inside(cp.local_uri, data, size);
    /* re-encoding never grows beyond the input plus header slack */
    size_t cap = size + 32;
    uint8_t *buf = malloc(cap);
    if (!buf) return;
    dmsc_enc_t e;
    dmsc_enc_init(&e, buf, cap);
    if (dmsc_nfd_cp_prepend(&e, &cp) != 0) __builtin_trap();
    if (dmsc_nfd_cp_decode(&again, dmsc_enc_data(&e), cap - dmsc_enc_mark(&e)) != 0)
        __builtin_trap();
    if (again.has != cp.has || again.face_id != cp.face_id || again.cost != cp.cost ||
        again.flags != cp.flags || again.mask != cp.mask || again.mtu != cp.mtu ||
        !dmsc_slice_eq(again.uri, cp.uri) || !dmsc_name_equal(&again.name, &cp.name) ||
        !dmsc_name_equal(&again.strategy, &cp.strategy))
        __builtin_trap();
    free(buf);
}

static void records(const uint8_t *data, size_t size)
{
    dmsc_nfd_face_status_t fs;
    dmsc_nfd_face_filter_t ff;
    dmsc_nfd_fib_entry_t fe;
    dmsc_nfd_rib_entry_t re;
    dmsc_nfd_cs_info_t ci;
    dmsc_nfd_cr_t cr;
    dmsc_name_t a, b;
    dmsc_nfd_iter_t it;

    if (dmsc_nfd_face_status_decode(&fs, data, size) == 0) {
        inside(fs.uri, data, size);
        inside(fs.local_uri, data, size);
    }
    (void)dmsc_nfd_face_filter_decode(&ff, data, size);
    if (dmsc_nfd_fib_entry_decode(&fe, data, size) == 0) {
        dmsc_nfd_nexthop_t nh;
        size_t n = 0;
        dmsc_nfd_iter_init(&it, fe.records);
        while (dmsc_nfd_nexthop_next(&it, &nh) == 1)
            n++;
        if (n != fe.n_nexthops) __builtin_trap();
    }
    if (dmsc_nfd_rib_entry_decode(&re, data, size) == 0) {
        dmsc_nfd_route_t rt;
        size_t n = 0;
        dmsc_nfd_iter_init(&it, re.records);
        while (dmsc_nfd_route_next(&it, &rt) == 1)
            n++;
        if (n != re.n_routes) __builtin_trap();
    }
    (void)dmsc_nfd_cs_info_decode(&ci, data, size);
    (void)dmsc_nfd_strategy_choice_decode(&a, &b, data, size);
    if (dmsc_nfd_cr_decode(&cr, data, size) == 0) {
        inside(cr.text, data, size);
        inside(cr.body, data, size);
        if (cr.body.n) cp_roundtrip(cr.body.p, cr.body.n);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dmsc_nfd_status_t st;
    cp_roundtrip(data, size);
    records(data, size);
    if (dmsc_nfd_status_decode(&st, data, size) == 0) inside(st.nfd_version, data, size);
    /* a dataset payload: every record of the sequence */
    dmsc_tlv_reader_t r;
    dmsc_tlv_reader_init(&r, data, size);
    while (!dmsc_tlv_reader_eof(&r)) {
        dmsc_tlv_t t;
        if (dmsc_tlv_read(&r, &t)) break;
        records(t.start, t.size);
    }
    return 0;
}
