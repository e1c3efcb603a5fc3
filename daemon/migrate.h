/*
 * migrate: applies the numbered SQL migrations of sql/ (embedded in the binary
 * at build time) at start-up: each once, in its own transaction, recorded in
 * schema_migrations, under an advisory lock so that several daemons starting
 * together on one database apply each migration exactly once. Blocking libpq:
 * it runs before the event loop starts.
 */
#ifndef CCM_MIGRATE_H
#define CCM_MIGRATE_H

#include <libpq-fe.h>

#include "ccm_error.h"

struct migration {
    int version;
    const char *name;
    const char *sql;
};

extern const struct migration migrations[];
extern const int migration_count;

/* Returns the number applied (0 when up to date), or -1 with error set. */
int migrate_apply(PGconn *conn, struct ccm_error *error);

#endif
