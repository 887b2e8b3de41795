/* libFuzzer: NDN URI parser; every parsed name must print and re-parse to
 * the same bytes in both URI styles. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ndn/name.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static dmsc_namebuf_t a, b;
static char uri[4 * DMSC_NAME_MAX_LEN + 8];
static char out[3 * DMSC_NAME_MAX_LEN + 4 * DMSC_NAME_MAX_COMPS + 64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size >= sizeof uri)
        return 0;
    memcpy(uri, data, size);
    uri[size] = '\0';
    if (dmsc_namebuf_from_uri(&a, uri) != 0)
        return 0;
    for (int style = 0; style < 2; style++) {
        int n = dmsc_name_to_uri(&a.name, style, out, sizeof out);
        if (n < 0)
            abort();
        if (dmsc_namebuf_from_uri(&b, out) != 0 || !dmsc_name_equal(&a.name, &b.name))
            abort();
    }
    return 0;
}
