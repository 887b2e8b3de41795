/* libFuzzer: NDNLPv2 decoder (every slice inside the input; decode -> encode ->
 * decode round trip), the reassembler, and split + reassemble of any fragment. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ndn/lp.h"
#include "ndn/lpfrag.h"
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
static dmsc_lpfrag_reasm_t *R;
static int in(dmsc_slice_t s, const uint8_t *p, size_t n)
{
    return s.n == 0 || (s.p >= p && s.p + s.n <= p + n);
}
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!R) {
        dmsc_lpfrag_cfg_t c;
        dmsc_lpfrag_cfg_default(&c);
        c.max_partials = 4;
        dmsc_lpfrag_reasm_new(&R, &c);
    }
    dmsc_lp_t lp, again, res;
    static uint8_t enc[1 << 17], out[DMSC_LPFRAG_OUT_SIZE(DMSC_TLV_DGRAM_MAX)];
    static uint64_t now;
    if (dmsc_lp_decode(data, size, DMSC_TLV_MAX_PACKET, &lp) != 0) return 0;
    if (!in(lp.fragment, data, size) || !in(lp.headers, data, size) ||
        !in(lp.pit_token, data, size) || !in(lp.acks_raw, data, size) ||
        !in(lp.prefix_ann, data, size) || lp.frag_index >= lp.frag_count)
        __builtin_trap();
    if (!lp.bare && lp.n_acks <= DMSC_LP_ACKS_INLINE) {
        dmsc_enc_t e;
        dmsc_enc_init(&e, enc, sizeof enc);
        if (dmsc_lp_encode(&e, &lp) != 0) __builtin_trap();
        size_t n = sizeof enc - dmsc_enc_mark(&e);
        if (n != dmsc_lp_encoded_size(&lp)) __builtin_trap();
        if (dmsc_lp_decode(dmsc_enc_data(&e), n, DMSC_TLV_MAX_PACKET, &again) != 0)
            __builtin_trap();
        if (again.has != lp.has || again.n_acks != lp.n_acks ||
            !dmsc_slice_eq(again.fragment, lp.fragment))
            __builtin_trap();
    }
    /* feed to the reassembler from a few endpoints, moving time */
    now += size & 7;
    (void)dmsc_lpfrag_reasm_push(R, size & 3, &lp, now, out, sizeof out, &res);
    /* split the fragment and reassemble it */
    if (lp.has & DMSC_LP_HAS_FRAGMENT && lp.fragment.n <= DMSC_TLV_DGRAM_MAX) {
        dmsc_lpfrag_split_t s;
        uint64_t seq = size * 0x9e3779b97f4a7c15ull;
        size_t mtu = 23 + (size * 131) % 1500;
        dmsc_lpfrag_reasm_t *r2;
        dmsc_lpfrag_cfg_t c;
        dmsc_lpfrag_cfg_default(&c);
        dmsc_lpfrag_reasm_new(&r2, &c);
        if (dmsc_lpfrag_split_init(&s, NULL, lp.fragment, mtu, 400, &seq) == 0) {
            int rc = 0;
            for (uint32_t i = 0; i < s.count; i++) {
                dmsc_enc_t e;
                dmsc_lp_t f;
                dmsc_enc_init(&e, enc, mtu);
                if (dmsc_lpfrag_split_encode(&s, i, &e)) __builtin_trap();
                size_t n = mtu - dmsc_enc_mark(&e);
                if (s.bare) {
                    rc = 1;
                    res.fragment = dmsc_slice(dmsc_enc_data(&e), n);
                    break;
                }
                if (dmsc_lp_decode(dmsc_enc_data(&e), n, mtu, &f)) __builtin_trap();
                rc = dmsc_lpfrag_reasm_push(r2, 0, &f, 0, out, sizeof out, &res);
                if (rc < 0) __builtin_trap();
            }
            if (rc != 1 || !dmsc_slice_eq(res.fragment, lp.fragment)) __builtin_trap();
        }
        dmsc_lpfrag_reasm_free(r2);
    }
    return 0;
}
