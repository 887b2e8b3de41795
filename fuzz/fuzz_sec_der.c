/* libFuzzer: the parsers of src/sec: DER ECDSA signature (strict: accepted
 * input re-encodes to the same bytes), SPKI, PKCS#8, key files. */
#include <stdlib.h>
#include <string.h>

#include "sec/der.h"
#include "sec/key.h"
#include "sec/keyfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t raw[DMSC_ECDSA_P256_RAW_LEN], der[80];
    size_t len;
    if (dmsc_der_ecdsa_sig_decode(data, size, raw) == 0) {
        /* strict DER: re-encoding gives the same bytes */
        if (dmsc_der_ecdsa_sig_encode(raw, der, sizeof der, &len) != 0 || len != size ||
            memcmp(der, data, size) != 0)
            abort();
    }
    dmsc_key_t *k = NULL;
    if (dmsc_key_import_spki(&k, data, size) == 0)
        dmsc_key_free(k);
    k = NULL;
    if (dmsc_key_import_pkcs8(&k, data, size) == 0)
        dmsc_key_free(k);
    k = NULL;
    if (dmsc_keyfile_decode(&k, data, size) == 0)
        dmsc_key_free(k);
    return 0;
}
