/*
 * cli: the administrative subcommands of ccmetricsd that run beside (or
 * without) a running daemon: `token create`, `rebuild` and `export`. They use blocking
 * libpq: they are short-lived command-line programs, not the event loop.
 */
#ifndef CCM_CLI_H
#define CCM_CLI_H

#include <libpq-fe.h>

#include "config.h"

/* Connect to the configured database; with the embedded default, start the
 * private server for the duration of the command if it is not running.
 * *started_server tells the caller to stop it (cli_disconnect does). */
PGconn *cli_connect(struct config *config, void **embedded_out);
void cli_disconnect(PGconn *conn, void *embedded);

int cli_token_create(struct config *config, const char *tenant, const char *scopes,
                     const char *time_zone, int fy_start_month);
int cli_rebuild(struct config *config, const char *tenant);
/* The financial-year export of GET /v1/exports/monthly; output NULL or "-": stdout. */
int cli_export(struct config *config, const char *tenant, const char *const *scopes,
               size_t scope_count, const char *fy, const char *format, const char *profile,
               const char *channel, const char *output);

#endif
