/* libFuzzer: Data decoder, implicit digest and full name, and DigestSha256
 * verification of whatever decodes. */
#include <stdlib.h>

#include "ndn/data.h"
#include "sec/sig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dmsc_data_t d;
    if (dmsc_data_decode(&d, data, size, DMSC_TLV_DGRAM_MAX) != 0)
        return 0;
    if (d.wire.p != data || d.wire.n != size)
        abort();
    if (d.signed_portion.p < data || d.signed_portion.p + d.signed_portion.n > data + size)
        abort();
    static dmsc_namebuf_t nb;
    (void)dmsc_data_full_name(&d, &nb);
    (void)dmsc_data_verify(&d, dmsc_sig_digest_verifier());
    return 0;
}
