/*
 * db: asynchronous PostgreSQL on the daemon's event loop. Owns struct db_conn
 * (one libpq connection in non-blocking pipeline mode, driven by read/write
 * events on PQsocket, reconnecting by itself with backoff) and struct db_pool
 * (a few of them, requests routed to the least busy). Nothing here blocks.
 *
 * A request is a list of statements sent back to back and closed by one
 * pipeline sync, so it runs as one implicit transaction: all statements commit
 * at the sync or none do. Its callback runs exactly once, with one result per
 * statement after the commit has returned (the data is durable), or with an
 * error (connection lost, a statement failed: nothing of the request stored).
 * Statements are handed to libpq at submit time, so callers need not keep
 * their parameters alive.
 *
 * A statement with a `prepared_name` is planned once per connection: the first
 * request that uses it on a connection prepares it in the same pipeline (its
 * result is not one of the request's results), later ones only bind and
 * execute. Planning a function call costs more than a small insert, so the hot
 * statements (ingest) are named.
 */
#ifndef CCM_DB_H
#define CCM_DB_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

struct event_base;
struct db_conn;
struct db_pool;

#define DB_MAX_STATEMENTS 80
#define DB_MAX_PARAMS     24
#define DB_MAX_PREPARED   16 /* distinct prepared statement names a connection keeps */

struct db_statement {
    const char *sql;
    /* NULL, or a name with static storage ("ingest_calls"): the same name must
     * always come with the same sql. */
    const char *prepared_name;
    int param_count;
    const char *params[DB_MAX_PARAMS]; /* sent (copied into libpq) by db_pool_submit */
    int param_lengths[DB_MAX_PARAMS];  /* binary parameters only */
    int param_formats[DB_MAX_PARAMS];  /* 0 text (NUL-terminated), 1 binary */
};

struct db_result {
    bool ok;
    const char *error;      /* human message when !ok */
    const char *sqlstate;   /* SQLSTATE of the failing statement, "" if none */
    bool connection_failed; /* the database could not be reached: answer 503 */
    int result_count;
    PGresult *results[DB_MAX_STATEMENTS]; /* owned by db; cleared after the callback */
};

typedef void (*db_callback)(const struct db_result *result, void *user_data);

struct db_pool *db_pool_new(struct event_base *base, const char *dsn, int connections,
                            const char *name);
void db_pool_free(struct db_pool *pool);

/*
 * Send a request. When no connection
 * is up, the callback runs from the event loop (never re-entrantly) with
 * connection_failed set. Returns 0, or -1 when out of memory (callback not called).
 */
int db_pool_submit(struct db_pool *pool, const struct db_statement *statements, int statement_count,
                   db_callback callback, void *user_data);

struct metrics_histogram;
const char *db_pool_name(const struct db_pool *pool);
/* Connections that are connected now. */
int db_pool_connections_up(const struct db_pool *pool);
/* Seconds from submit to answer of every request, connection failures included. */
const struct metrics_histogram *db_pool_latency(const struct db_pool *pool);

/* True when at least one connection is up. */
bool db_pool_is_ready(const struct db_pool *pool);
/* Requests queued or in flight over all connections. */
size_t db_pool_pending(const struct db_pool *pool);

#endif
