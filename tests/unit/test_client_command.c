/* libdmsc NFD management commands (src/client/command.c): the Interests a
 * client sends for rib/register, in the v0.3 signed and the legacy form,
 * and ControlResponse parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

/* tests/unit/meson.build links node_dep only: the module under test is
 * compiled in here. Drop this include once the tests link client_dep. */
#include "client/command.c"
#include "sec/key.h"

static void make_cmd(dmsc_command_t *cmd, dmsc_namebuf_t *prefix, dmsc_nfd_cp_t *cp,
                     dmsc_namebuf_t *target)
{
    assert_int_equal(dmsc_namebuf_from_uri(prefix, "/localhost/nfd"), 0);
    assert_int_equal(dmsc_namebuf_from_uri(target, "/app/video"), 0);
    dmsc_nfd_cp_init(cp);
    cp->has = DMSC_CP_NAME | DMSC_CP_ORIGIN | DMSC_CP_COST | DMSC_CP_FLAGS;
    cp->name = target->name;
    cp->flags = DMSC_NFD_ROUTE_CHILD_INHERIT;
    memset(cmd, 0, sizeof *cmd);
    cmd->prefix = &prefix->name;
    cmd->module = "rib";
    cmd->verb = "register";
    cmd->cp = cp;
    cmd->now_ms = 1700000000123ull;
    memcpy(cmd->sig_nonce, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    cmd->nonce = 0xa1b2c3d4;
}

static void assert_comp_str(const dmsc_name_t *n, size_t i, const char *s)
{
    dmsc_comp_t c = dmsc_name_comp(n, i);
    assert_int_equal(c.type, DMSC_TT_GENERIC);
    assert_int_equal(c.len, strlen(s));
    assert_memory_equal(c.value, s, c.len);
}

/* The ControlParameters in name component 4 carry the target prefix. */
static void assert_params(const dmsc_name_t *n, const dmsc_name_t *target)
{
    dmsc_comp_t c = dmsc_name_comp(n, 4);
    dmsc_nfd_cp_t cp;
    assert_int_equal(dmsc_nfd_cp_decode(&cp, c.value, c.len), 0);
    assert_true(cp.has & DMSC_CP_NAME);
    assert_true(dmsc_name_equal(&cp.name, target));
    assert_true(cp.has & DMSC_CP_FLAGS);
    assert_int_equal(cp.flags, DMSC_NFD_ROUTE_CHILD_INHERIT);
    assert_true(cp.has & DMSC_CP_ORIGIN);
    assert_int_equal(cp.origin, 0);
}

static void test_v03_digest(void **st)
{
    dmsc_command_t cmd;
    dmsc_namebuf_t prefix, target;
    dmsc_nfd_cp_t cp;
    make_cmd(&cmd, &prefix, &cp, &target);
    uint8_t buf[4096];
    dmsc_slice_t out;
    assert_int_equal(dmsc_command_encode(&cmd, NULL, 0, &out), DMSC_ENOBUFS);
    assert_int_equal(dmsc_command_encode(&cmd, buf, sizeof buf, &out), 0);

    dmsc_interest_t in;
    assert_int_equal(dmsc_interest_decode(&in, out.p, out.n, DMSC_TLV_MAX_PACKET), 0);
    assert_int_equal(in.name.ncomps, 6); /* localhost nfd rib register <cp> <digest> */
    assert_comp_str(&in.name, 0, "localhost");
    assert_comp_str(&in.name, 1, "nfd");
    assert_comp_str(&in.name, 2, "rib");
    assert_comp_str(&in.name, 3, "register");
    assert_params(&in.name, &target.name);
    assert_int_equal(in.params_digest_idx, 5);
    assert_true(in.is_signed);
    assert_int_equal(in.sig_info.type, DMSC_SIG_SHA256);
    assert_true(in.sig_info.has_nonce);
    assert_int_equal(in.sig_info.nonce.n, 8);
    assert_memory_equal(in.sig_info.nonce.p, cmd.sig_nonce, 8);
    assert_true(in.sig_info.has_time);
    assert_int_equal(in.sig_info.time, cmd.now_ms);
    assert_true(in.has_nonce);
    assert_int_equal(in.nonce, cmd.nonce);
    assert_int_equal(dmsc_interest_verify(&in, dmsc_sig_digest_verifier()), 0);
}

static void test_v03_named_key(void **st)
{
    dmsc_command_t cmd;
    dmsc_namebuf_t prefix, target, id;
    dmsc_nfd_cp_t cp;
    make_cmd(&cmd, &prefix, &cp, &target);
    dmsc_key_t *k;
    assert_int_equal(dmsc_key_generate(&k, DMSC_SIG_ED25519), 0);
    assert_int_equal(dmsc_namebuf_from_uri(&id, "/localhost/dmsc-client"), 0);
    assert_int_equal(dmsc_key_set_identity(k, &id.name, NULL, 0), 0);
    const dmsc_signer_t *s;
    const dmsc_verifier_t *v;
    assert_int_equal(dmsc_key_signer(k, DMSC_KEYLOC_NAME, &s), 0);
    assert_int_equal(dmsc_key_verifier(k, &v), 0);
    cmd.signer = s;
    uint8_t buf[4096];
    dmsc_slice_t out;
    assert_int_equal(dmsc_command_encode(&cmd, buf, sizeof buf, &out), 0);
    dmsc_interest_t in;
    assert_int_equal(dmsc_interest_decode(&in, out.p, out.n, DMSC_TLV_MAX_PACKET), 0);
    assert_int_equal(in.sig_info.type, DMSC_SIG_ED25519);
    /* NFD's command validator needs a KeyLocator Name */
    assert_int_equal(in.sig_info.keyloc_kind, DMSC_KEYLOC_NAME);
    assert_true(dmsc_name_is_prefix(&id.name, &in.sig_info.keyloc_name));
    assert_int_equal(dmsc_interest_verify(&in, v), 0);
    dmsc_key_free(k);
}

static void test_legacy(void **st)
{
    dmsc_command_t cmd;
    dmsc_namebuf_t prefix, target;
    dmsc_nfd_cp_t cp;
    make_cmd(&cmd, &prefix, &cp, &target);
    cmd.legacy = true;
    uint8_t buf[4096];
    dmsc_slice_t out;
    assert_int_equal(dmsc_command_encode(&cmd, buf, sizeof buf, &out), 0);
    dmsc_interest_t in;
    assert_int_equal(dmsc_interest_decode(&in, out.p, out.n, DMSC_TLV_MAX_PACKET), 0);
    assert_false(in.has_app_params);
    assert_int_equal(in.name.ncomps, 9);
    assert_params(&in.name, &target.name);
    /* <timestamp> <nonce> <SignatureInfo> <SignatureValue> */
    dmsc_comp_t ts = dmsc_name_comp(&in.name, 5), nonce = dmsc_name_comp(&in.name, 6);
    uint64_t t;
    assert_int_equal(dmsc_nni_decode(ts.value, ts.len, &t), 0);
    assert_int_equal(t, cmd.now_ms);
    assert_int_equal(nonce.len, 8);
    dmsc_comp_t si = dmsc_name_comp(&in.name, 7), sv = dmsc_name_comp(&in.name, 8);
    dmsc_tlv_t el;
    dmsc_siginfo_t sinfo;
    assert_int_equal(dmsc_tlv_decode_one(si.value, si.len, &el), 0);
    assert_int_equal(el.type, DMSC_TT_SIG_INFO);
    assert_int_equal(dmsc_siginfo_decode(&sinfo, &el), 0);
    assert_int_equal(sinfo.type, DMSC_SIG_SHA256);
    assert_int_equal(dmsc_tlv_decode_one(sv.value, sv.len, &el), 0);
    assert_int_equal(el.type, DMSC_TT_SIG_VALUE);
    /* signed portion: the name's TLV-VALUE through the SignatureInfo component */
    dmsc_slice_t signed_part = dmsc_name_prefix_bytes(&in.name, 8);
    assert_int_equal(
        dmsc_sig_verify(dmsc_sig_digest_verifier(), signed_part.p, signed_part.n, el.value, el.len),
        0);
}

static void test_response(void **st)
{
    uint8_t buf[512];
    dmsc_enc_t e;
    dmsc_enc_init(&e, buf, sizeof buf);
    assert_int_equal(dmsc_nfd_cr_prepend(&e, 200, "OK", NULL), 0);
    uint32_t code = 0;
    char text[64];
    assert_int_equal(dmsc_command_response(dmsc_enc_data(&e), sizeof buf - dmsc_enc_mark(&e), &code,
                                           text, sizeof text),
                     0);
    assert_int_equal(code, 200);
    assert_string_equal(text, "OK");

    /* text truncated to the buffer */
    dmsc_enc_init(&e, buf, sizeof buf);
    assert_int_equal(dmsc_nfd_cr_prepend(&e, 403, "authorization rejected", NULL), 0);
    char small[5];
    assert_int_equal(dmsc_command_response(dmsc_enc_data(&e), sizeof buf - dmsc_enc_mark(&e), &code,
                                           small, sizeof small),
                     0);
    assert_int_equal(code, 403);
    assert_string_equal(small, "auth");

    /* not a ControlResponse */
    const uint8_t junk[] = {0x15, 0x01, 0x00};
    assert_true(dmsc_command_response(junk, sizeof junk, &code, text, sizeof text) < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v03_digest),
        cmocka_unit_test(test_v03_named_key),
        cmocka_unit_test(test_legacy),
        cmocka_unit_test(test_response),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
