/* migrate: start-up schema migrations (see migrate.h). */
#include "migrate.h"

#include <stdio.h>
#include <stdlib.h>

#include "log.h"

#define MIGRATE_LOCK_KEY "727365001" /* advisory lock id: "ccmetrics migrations" */

static int migrate_exec(PGconn *conn, const char *sql, struct ccm_error *error)
{
    PGresult *result = PQexec(conn, sql);
    ExecStatusType status = PQresultStatus(result);
    int rc = 0;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
        rc = ccm_error_set(error, "%s", PQresultErrorMessage(result));
    PQclear(result);
    return rc;
}

int migrate_apply(PGconn *conn, struct ccm_error *error)
{
    int applied = 0;
    struct ccm_error step_error;

    if (migrate_exec(conn, "SET client_min_messages TO warning", error) ||
        migrate_exec(conn,
                     "CREATE TABLE IF NOT EXISTS schema_migrations ("
                     " version integer PRIMARY KEY, name text NOT NULL,"
                     " applied_at timestamptz NOT NULL DEFAULT now())",
                     error) ||
        migrate_exec(conn, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", error))
        return -1;

    for (int i = 0; i < migration_count; i++) {
        const struct migration *m = &migrations[i];
        char version[16];
        const char *params[2] = {version, m->name};
        PGresult *result;
        int already;

        snprintf(version, sizeof version, "%d", m->version);
        result = PQexecParams(conn, "SELECT 1 FROM schema_migrations WHERE version = $1", 1, NULL,
                              params, NULL, NULL, 0);
        if (PQresultStatus(result) != PGRES_TUPLES_OK) {
            ccm_error_set(error, "reading schema_migrations: %s", PQresultErrorMessage(result));
            PQclear(result);
            goto fail;
        }
        already = PQntuples(result) > 0;
        PQclear(result);
        if (already)
            continue;

        if (migrate_exec(conn, "BEGIN", &step_error) || migrate_exec(conn, m->sql, &step_error)) {
            ccm_error_set(error, "migration %s failed: %s", m->name, step_error.message);
            migrate_exec(conn, "ROLLBACK", &step_error);
            goto fail;
        }
        result = PQexecParams(conn, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                              2, NULL, params, NULL, NULL, 0);
        if (PQresultStatus(result) != PGRES_COMMAND_OK) {
            ccm_error_set(error, "recording migration %s: %s", m->name,
                          PQresultErrorMessage(result));
            PQclear(result);
            migrate_exec(conn, "ROLLBACK", &step_error);
            goto fail;
        }
        PQclear(result);
        if (migrate_exec(conn, "COMMIT", &step_error)) {
            ccm_error_set(error, "committing migration %s: %s", m->name, step_error.message);
            goto fail;
        }
        log_info("migrate.applied", "version=%d name=%s", m->version, m->name);
        applied++;
    }
    migrate_exec(conn, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")", &step_error);
    return applied;

fail:
    migrate_exec(conn, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")", &step_error);
    return -1;
}
