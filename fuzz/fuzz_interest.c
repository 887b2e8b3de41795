/* libFuzzer: Interest decoder. Anything it accepts must re-encode (unsigned
 * path, verbatim parameters portion) and decode again to the same fields. */
#include <stdlib.h>
#include <string.h>

#include "ndn/interest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t buf[DMSC_TLV_DGRAM_MAX * 2 + 256];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dmsc_interest_t i, j;
    if (dmsc_interest_decode(&i, data, size, DMSC_TLV_DGRAM_MAX) != 0)
        return 0;
    dmsc_fwhint_iter_t it;
    dmsc_name_t n;
    dmsc_fwhint_iter_init(&it, &i);
    while (dmsc_fwhint_next(&it, &n) > 0)
        ;
    dmsc_slice_t out;
    if (i.is_signed)
        return 0; /* signed re-encoding needs the key */
    if (dmsc_interest_encode(&i, NULL, buf, sizeof buf, &out) != 0)
        return 0;
    if (dmsc_interest_decode(&j, out.p, out.n, sizeof buf) != 0)
        abort();
    if (!dmsc_name_equal(&i.name, &j.name) || i.can_be_prefix != j.can_be_prefix ||
        i.must_be_fresh != j.must_be_fresh || i.has_nonce != j.has_nonce || i.nonce != j.nonce ||
        i.lifetime != j.lifetime || i.has_hop_limit != j.has_hop_limit ||
        i.hop_limit != j.hop_limit || !dmsc_slice_eq(i.app_params, j.app_params))
        abort();
    return 0;
}
