/*
 * dmsc ping | cat | put: NDN tools over libdmsc (docs/cli.md).
 *
 *   dmsc ping NAME   like ndnping: Interests NAME/ping/<seq>, RTT per reply
 *   dmsc put NAME    like ndnputchunks: publish a file as NAME/v=<ts>/seg=<i>
 *   dmsc cat NAME    like ndncatchunks: fetch it (version discovery, AIMD or
 *                    CUBIC window, retransmissions) to stdout
 *
 * They talk NDN to a forwarder face (--face URI, else $DMSC_FACE, else the
 * dmscd Unix socket), so they work against dmscd, NFD or a direct peer.
 */
#ifndef DMSC_CLI_CMD_NDN_H
#define DMSC_CLI_CMD_NDN_H

#include <stdbool.h>

/* Lines for the main usage text, one per command, ending in '\n'. */
extern const char dmsc_cli_ndn_usage[];

/* true if name is "ping", "cat" or "put". */
bool dmsc_cli_ndn_is_command(const char *name);

/* Run a command: argv[0] is its name ("ping"...), the options follow.
 * Returns the exit status: 0 success; 1 error (usage, face unreachable,
 * registration refused, fetch failed); ping: 1 also when no reply came. */
int dmsc_cli_ndn_main(int argc, char **argv);

#endif
