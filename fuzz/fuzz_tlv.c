/* libFuzzer: TLV reader over arbitrary bytes, and nested Name decoding. */
#include <stddef.h>
#include <stdint.h>

#include "ndn/name.h"
#include "ndn/tlv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dmsc_tlv_reader_t r;
    dmsc_tlv_reader_init(&r, data, size);
    while (!dmsc_tlv_reader_eof(&r)) {
        dmsc_tlv_t t;
        if (dmsc_tlv_read(&r, &t))
            break;
        /* element must lie inside the input */
        if (t.start < data || t.value + t.len > data + size)
            __builtin_trap();
        uint64_t v;
        (void)dmsc_nni_decode(t.value, t.len, &v);
        dmsc_name_t n;
        if (dmsc_name_from_value(&n, t.value, t.len) == 0) {
            for (size_t i = 0; i < n.ncomps; i++) {
                dmsc_comp_t c = dmsc_name_comp(&n, i);
                if (c.value + c.len > data + size)
                    __builtin_trap();
            }
            (void)dmsc_name_hash(&n, n.ncomps);
        }
    }
    return 0;
}
