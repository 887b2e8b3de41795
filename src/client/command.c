/* NFD management commands, client side: see command.h. */
#include <string.h>

#include "base/err.h"
#include "client/command.h"
#include "ndn/siginfo.h"
#include "ndn/tlv.h"
#include "sec/sig.h"

/* <prefix>/<module>/<verb>/<ControlParameters> into nb. */
static int command_name(const dmsc_command_t *cmd, dmsc_namebuf_t *nb)
{
    uint8_t cpbuf[DMSC_NAME_MAX_LEN];
    dmsc_enc_t e;
    dmsc_enc_init(&e, cpbuf, sizeof cpbuf);
    int rc = dmsc_nfd_cp_prepend(&e, cmd->cp);
    if (rc) return rc;
    rc = dmsc_namebuf_copy(nb, cmd->prefix);
    if (!rc) rc = dmsc_namebuf_append(nb, DMSC_TT_GENERIC, cmd->module, strlen(cmd->module));
    if (!rc) rc = dmsc_namebuf_append(nb, DMSC_TT_GENERIC, cmd->verb, strlen(cmd->verb));
    if (!rc)
        rc = dmsc_namebuf_append(nb, DMSC_TT_GENERIC, dmsc_enc_data(&e),
                                 sizeof cpbuf - dmsc_enc_mark(&e));
    return rc;
}

/* Legacy signed command: append <timestamp>/<nonce>/<SignatureInfo>/<SignatureValue>;
 * the signature covers the name's TLV-VALUE through the SignatureInfo component. */
static int legacy_sign(const dmsc_command_t *cmd, const dmsc_signer_t *s, dmsc_namebuf_t *nb)
{
    uint8_t ts[8];
    size_t tsn = dmsc_nni_write(ts, cmd->now_ms);
    int rc = dmsc_namebuf_append(nb, DMSC_TT_GENERIC, ts, tsn);
    if (!rc) rc = dmsc_namebuf_append(nb, DMSC_TT_GENERIC, cmd->sig_nonce, 8);
    if (rc) return rc;

    dmsc_siginfo_t si;
    dmsc_siginfo_init(&si);
    dmsc_siginfo_set_signer(&si, s);
    uint8_t sibuf[DMSC_NAME_MAX_LEN + 64];
    dmsc_enc_t e;
    dmsc_enc_init(&e, sibuf, sizeof sibuf);
    if ((rc = dmsc_siginfo_prepend(&e, DMSC_TT_SIG_INFO, &si))) return rc;
    rc = dmsc_namebuf_append(nb, DMSC_TT_GENERIC, dmsc_enc_data(&e),
                             sizeof sibuf - dmsc_enc_mark(&e));
    if (rc) return rc;

    if (s->max_sig_len > DMSC_SIG_MAX_LEN) return DMSC_EINVAL;
    uint8_t sig[DMSC_SIG_MAX_LEN + 4];
    size_t siglen = 0;
    dmsc_slice_t part = dmsc_slice(nb->name.value, nb->name.len);
    if ((rc = s->sign(s, &part, 1, sig + 2, &siglen))) return rc;
    if (siglen > DMSC_SIG_MAX_LEN) return DMSC_EINVAL;
    sig[0] = DMSC_TT_SIG_VALUE;
    sig[1] = (uint8_t)siglen; /* < 0xfd */
    return dmsc_namebuf_append(nb, DMSC_TT_GENERIC, sig, siglen + 2);
}

int dmsc_command_encode(const dmsc_command_t *cmd, uint8_t *buf, size_t cap, dmsc_slice_t *out)
{
    if (!cmd->prefix || !cmd->module || !cmd->verb || !cmd->cp) return DMSC_EINVAL;
    const dmsc_signer_t *s = cmd->signer ? cmd->signer : dmsc_sig_digest_signer();
    dmsc_namebuf_t nb;
    dmsc_namebuf_init(&nb);
    int rc = command_name(cmd, &nb);
    if (rc) return rc;

    dmsc_interest_t in;
    dmsc_interest_init(&in);
    in.has_nonce = true;
    in.nonce = cmd->nonce;
    in.has_lifetime = true;
    in.lifetime = cmd->lifetime_ms ? cmd->lifetime_ms : DMSC_INTEREST_LIFETIME_DEFAULT;

    if (cmd->legacy) {
        if ((rc = legacy_sign(cmd, s, &nb))) return rc;
        in.name = nb.name;
        return dmsc_interest_encode(&in, NULL, buf, cap, out);
    }
    in.name = nb.name;
    in.sig_info.has_nonce = true;
    in.sig_info.nonce = dmsc_slice(cmd->sig_nonce, sizeof cmd->sig_nonce);
    in.sig_info.has_time = true;
    in.sig_info.time = cmd->now_ms;
    return dmsc_interest_encode(&in, s, buf, cap, out);
}

int dmsc_command_response(const uint8_t *content, size_t n, uint32_t *code, char *text, size_t cap)
{
    dmsc_nfd_cr_t cr;
    int rc = dmsc_nfd_cr_decode(&cr, content, n);
    if (rc) return rc;
    *code = cr.code > UINT32_MAX ? UINT32_MAX : (uint32_t)cr.code;
    if (cap) {
        size_t k = cr.text.n < cap - 1 ? cr.text.n : cap - 1;
        if (k) memcpy(text, cr.text.p, k);
        text[k] = '\0';
    }
    return 0;
}
