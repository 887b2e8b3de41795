/* libFuzzer: the admin API's HTTP/1.1 request parser and the whole sans-I/O
 * request path (router, error responses, pipelining) over arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mgmt/admin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static dmsc_admin_t *admin;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!admin) {
        admin = dmsc_admin_new(NULL, NULL, "/fuzz/node");
        if (!admin) __builtin_trap();
    }
    dmsc_admin_http_req_t r;
    int n = dmsc_admin_http_parse(data, size, NULL, &r);
    if (n > 0) {
        /* a complete request lies inside the input, head first */
        if ((size_t)n > size || r.head_len > (size_t)n ||
            r.head_len + r.content_length != (size_t)n)
            __builtin_trap();
        if (r.method < (const char *)data || r.method + r.method_len > (const char *)data + size)
            __builtin_trap();
        if (r.target_len == 0 || r.target[0] != '/') __builtin_trap();
    } else if (n < 0) {
        if (r.status != 400 && r.status != 413 && r.status != 431 && r.status != 501 &&
            r.status != 505)
            __builtin_trap();
    }
    /* serve every pipelined request in the input, as a connection would */
    size_t off = 0;
    while (off < size) {
        dmsc_admin_out_t out = {0};
        int c = dmsc_admin_process(admin, data + off, size - off, &out);
        if (c <= 0) break;
        if ((size_t)c > size - off || !out.data || out.len < 17 ||
            memcmp(out.data, "HTTP/1.1 ", 9) != 0)
            __builtin_trap();
        bool close = out.close;
        dmsc_admin_out_free(&out);
        off += (size_t)c;
        if (close) break;
    }
    return 0;
}
