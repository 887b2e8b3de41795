/*
 * Packet-layer throughput: decode and encode rates of typical Interests and
 * Data (names of 3 and 10 components), and sign/verify rates for each
 * signature type over a typical Data signed portion. One core, release build.
 * Prints a table; run by `make bench`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ndn/data.h"
#include "ndn/interest.h"
#include "ndn/name.h"
#include "sec/key.h"
#include "sec/sig.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static volatile uint64_t sink;

/* Run fn repeatedly for about `secs`; return operations per second. */
#define RATE(secs, body)                                                                           \
    ({                                                                                             \
        double t0 = now_s(), t;                                                                    \
        uint64_t n = 0;                                                                            \
        do {                                                                                       \
            for (int k_ = 0; k_ < 256; k_++) {                                                     \
                body;                                                                              \
            }                                                                                      \
            n += 256;                                                                              \
        } while ((t = now_s() - t0) < (secs));                                                     \
        (double)n / t;                                                                             \
    })

static void make_name(dmsc_namebuf_t *nb, int comps)
{
    char uri[512] = "";
    const char *parts[] = {"/shop",   "/cart",    "/items", "/user42", "/v=3",
                           "/region", "/eu-west", "/az1",   "/rack7",  "/seg=12"};
    if (comps == 3) {
        strcpy(uri, "/shop/cart/items");
    } else {
        for (int i = 0; i < comps; i++)
            strcat(uri, parts[i % 10]);
    }
    if (dmsc_namebuf_from_uri(nb, uri) != 0) abort();
}

static void bench_interest(int comps, double secs)
{
    dmsc_namebuf_t nb;
    make_name(&nb, comps);
    dmsc_interest_t in;
    dmsc_interest_init(&in);
    in.name = nb.name;
    in.can_be_prefix = true;
    in.must_be_fresh = true;
    in.has_nonce = true;
    in.nonce = 0x01020304;
    in.has_lifetime = true;
    in.lifetime = 2000;
    in.has_hop_limit = true;
    in.hop_limit = 64;
    uint8_t buf[1024];
    dmsc_slice_t out;
    if (dmsc_interest_encode(&in, NULL, buf, sizeof buf, &out)) abort();
    uint8_t wire[1024];
    memcpy(wire, out.p, out.n);
    size_t len = out.n;
    double dec = RATE(secs, {
        dmsc_interest_t d;
        if (dmsc_interest_decode(&d, wire, len, DMSC_TLV_DGRAM_MAX)) abort();
        sink += d.nonce;
    });
    double enc = RATE(secs, {
        dmsc_slice_t o;
        if (dmsc_interest_encode(&in, NULL, buf, sizeof buf, &o)) abort();
        sink += o.n;
    });
    char label[64];
    snprintf(label, sizeof label, "Interest, %d comps (%zu B)", comps, len);
    printf("| %-40s | %12.0f | %12.0f |\n", label, dec, enc);
}

static void bench_data(int comps, size_t payload, double secs)
{
    dmsc_namebuf_t nb;
    make_name(&nb, comps);
    static uint8_t content[8192];
    memset(content, 'x', sizeof content);
    dmsc_data_t d;
    dmsc_data_init(&d);
    d.name = nb.name;
    d.has_freshness = true;
    d.freshness = 10000;
    d.has_content = true;
    d.content = dmsc_slice(content, payload);
    static uint8_t buf[16384], wire[16384];
    dmsc_slice_t out;
    const dmsc_signer_t *digest = dmsc_sig_digest_signer();
    if (dmsc_data_encode(&d, digest, buf, sizeof buf, &out)) abort();
    memcpy(wire, out.p, out.n);
    size_t len = out.n;
    double dec = RATE(secs, {
        dmsc_data_t x;
        if (dmsc_data_decode(&x, wire, len, DMSC_TLV_DGRAM_MAX)) abort();
        sink += x.content.n;
    });
    double enc = RATE(secs, {
        dmsc_slice_t o;
        if (dmsc_data_encode(&d, digest, buf, sizeof buf, &o)) abort();
        sink += o.n;
    });
    char label[64];
    snprintf(label, sizeof label, "Data, %d comps, %zu B payload (%zu B)", comps, payload, len);
    printf("| %-40s | %12.0f | %12.0f |\n", label, dec, enc);
}

static void bench_sig(const char *label, uint64_t type, double secs)
{
    const dmsc_signer_t *s;
    const dmsc_verifier_t *v;
    dmsc_key_t *k = NULL;
    if (type == DMSC_SIG_SHA256) {
        s = dmsc_sig_digest_signer();
        v = dmsc_sig_digest_verifier();
    } else {
        if (dmsc_key_generate(&k, type) || dmsc_key_signer(k, DMSC_KEYLOC_NONE, &s) ||
            dmsc_key_verifier(k, &v))
            abort();
    }
    uint8_t msg[200];
    memset(msg, 'm', sizeof msg); /* ~ a Data signed portion: name + metainfo + 100 B */
    dmsc_slice_t part = dmsc_slice(msg, sizeof msg);
    uint8_t sig[DMSC_SIG_MAX_LEN];
    size_t siglen;
    double sr = RATE(secs, {
        msg[0]++;
        if (s->sign(s, &part, 1, sig, &siglen)) abort();
    });
    double vr = RATE(secs, {
        if (v->verify(v, &part, 1, sig, siglen)) abort();
    });
    printf("| %-22s | %12.0f | %12.0f |\n", label, sr, vr);
    dmsc_key_free(k);
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 0.5;
    printf("packet codec, one core (operations/s)\n\n");
    printf("| %-40s | %12s | %12s |\n", "packet", "decode/s", "encode/s");
    printf("|------------------------------------------|--------------|--------------|\n");
    bench_interest(3, secs);
    bench_interest(10, secs);
    bench_data(3, 100, secs);
    bench_data(10, 100, secs);
    bench_data(3, 4096, secs);
    printf("\n(Data encode includes the DigestSha256 signature.)\n\n");
    printf("| signature type         | sign/s       | verify/s     |\n");
    printf("|------------------------|--------------|--------------|\n");
    bench_sig("DigestSha256", DMSC_SIG_SHA256, secs);
    bench_sig("HmacWithSha256", DMSC_SIG_HMAC_SHA256, secs);
    bench_sig("Ed25519 (libsodium)", DMSC_SIG_ED25519, secs);
    bench_sig("EcdsaSha256 P-256", DMSC_SIG_ECDSA_SHA256, secs);
    return (int)(sink & 0);
}
