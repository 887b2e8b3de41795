/*
 * dmsc service add | remove | list and dmsc gateway: the service registry
 * and the HTTP gateway of a running dmscd, over its admin API
 * (GET/POST /services, DELETE /services/<prefix>, GET /gateway;
 * docs/cli.md).
 */
#ifndef DMSC_CLI_CMD_SERVICE_H
#define DMSC_CLI_CMD_SERVICE_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

/* Lines for the main usage text, one per command, ending in '\n'. */
extern const char dmsc_cli_service_usage[];

/* true if name is "service" or "gateway". */
bool dmsc_cli_service_is_command(const char *name);

/* Run a command: argv[0] is "service" (argv[1] the subcommand: add, remove,
 * list) or "gateway"; the options follow. Common options: --admin HOST:PORT
 * (else $DMSC_ADMIN, else 127.0.0.1:7380), --timeout MS, --help; list and
 * gateway also take --json. Returns the exit status: 0 success, 1 error
 * (usage, admin API unreachable, the daemon refused the request, unexpected
 * response). */
int dmsc_cli_service_main(int argc, char **argv);

/* Print the human-readable view for the JSON body of GET /services
 * (view "list") or GET /gateway (view "gateway"). Returns 0, DMSC_EINVAL if
 * view is unknown or body does not have the expected shape (nothing useful
 * printed), or DMSC_ENOMEM. */
int dmsc_cli_service_render(const char *view, const json_t *body, FILE *out);

#endif
