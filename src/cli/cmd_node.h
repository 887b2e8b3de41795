/*
 * dmsc status | faces | routes | cs | strategy | neighbors | lsdb: read-only views of a
 * running dmscd, read from its admin API (docs/cli.md).
 */
#ifndef DMSC_CLI_CMD_NODE_H
#define DMSC_CLI_CMD_NODE_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

/* Lines for the main usage text, one per command, ending in '\n'. */
extern const char dmsc_cli_node_usage[];

/* true if name is one of the commands handled here. */
bool dmsc_cli_node_is_command(const char *name);

/* Run a command: argv[0] is its name ("status"...), the options follow:
 * --json, --admin HOST:PORT (else $DMSC_ADMIN, else 127.0.0.1:7380),
 * --timeout MS, --help. Returns the exit status: 0 success, 1 error
 * (usage, admin API unreachable, HTTP error, unexpected response). */
int dmsc_cli_node_main(int argc, char **argv);

/* Print the human-readable view of command cmd for the JSON body of its
 * endpoint. Returns 0, or DMSC_EINVAL if cmd is unknown or body does not
 * have the expected shape (nothing useful printed). */
int dmsc_cli_node_render(const char *cmd, const json_t *body, FILE *out);

#endif
