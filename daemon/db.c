/*
 * db: asynchronous libpq connections in pipeline mode on the event loop, and
 * the small pool that spreads requests over them (see db.h).
 */
#include "db.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "clock.h"
#include "log.h"
#include "metrics.h"

enum db_conn_state {
    DB_CONN_DISCONNECTED,
    DB_CONN_CONNECTING,
    DB_CONN_READY,
};

/* One request in flight on a connection: its results arrive in order. */
struct db_request {
    struct db_pool *pool;
    double submitted_s; /* monotonic, for the pool's latency histogram */
    db_callback callback;
    void *user_data;
    int statement_count;
    int result_count;
    PGresult *results[DB_MAX_STATEMENTS];
    /* Statements prepared ahead of this request's own: their results come first. */
    int prepare_count;
    int prepare_results_seen;
    const char *prepare_names[DB_MAX_STATEMENTS];
    char *error; /* first error seen, owned */
    char sqlstate[6];
    struct db_request *next;
};

struct db_conn {
    struct db_pool *pool;
    int index;
    PGconn *pg;
    enum db_conn_state state;
    struct event *read_event;
    struct event *write_event;
    struct event *retry_timer;
    double retry_delay_s;
    double connect_started_s; /* monotonic: an attempt with no answer is given up */
    struct db_request *head;  /* oldest in flight */
    struct db_request *tail;
    size_t in_flight;
    bool write_wanted;
    bool broken; /* a send failed; the reset is scheduled */
    /* Names prepared (or being prepared) on this PGconn; forgotten with it. */
    const char *prepared[DB_MAX_PREPARED];
    int prepared_count;
};

struct db_pool {
    struct event_base *base;
    /* The DSN parsed, with "-c jit=off" added to its options: the daemon's statements
     * are short and planned for known sizes; JIT compiling one costs ~30 ms, ten times
     * the statement. Keywords and values point into conninfo, or to options. */
    PQconninfoOption *conninfo;
    char *options;
    const char **keywords;
    const char **values;
    char *name;
    int count;
    struct db_conn *conns;
    struct metrics_histogram latency; /* submit to answer, seconds */
    struct event *watchdog;           /* gives up connection attempts that hang */
};

/* libpq's asynchronous connect has no timeout of its own (connect_timeout applies
 * to PQconnectdb): an attempt to a server whose packets are dropped would wait for
 * the kernel's SYN retries (minutes). */
#define DB_CONNECT_TIMEOUT_S 10.0

/* A callback deferred to the loop (no connection available). */
struct db_deferred {
    db_callback callback;
    void *user_data;
};

static void db_conn_connect(struct db_conn *conn);

/* event_free(NULL) crashes in libevent 2.1. */
static void db_event_free(struct event **event)
{
    if (*event)
        event_free(*event);
    *event = NULL;
}
static void db_conn_on_socket(evutil_socket_t fd, short what, void *arg);

static void db_request_free(struct db_request *request)
{
    for (int i = 0; i < request->result_count; i++)
        PQclear(request->results[i]);
    free(request->error);
    free(request);
}

static void db_request_finish(struct db_request *request, bool connection_failed,
                              const char *failure)
{
    struct db_result result;

    memset(&result, 0, sizeof result);
    result.connection_failed = connection_failed;
    result.ok = !connection_failed && !failure && !request->error;
    result.error = failure ? failure : request->error;
    result.sqlstate = request->sqlstate;
    result.result_count = request->result_count;
    memcpy(result.results, request->results, sizeof result.results);
    if (request->pool)
        metrics_histogram_observe(&request->pool->latency,
                                  clock_monotonic_s() - request->submitted_s);
    request->callback(&result, request->user_data);
    db_request_free(request);
}

/* Fail everything in flight and schedule a reconnect. */
static void db_conn_lost(struct db_conn *conn, const char *why)
{
    struct db_request *request;
    struct timeval delay;
    char quoted[256];

    log_warn("db.disconnected", "pool=%s conn=%d reason=\"%s\"", conn->pool->name, conn->index,
             log_quote(why, quoted, sizeof quoted));
    db_event_free(&conn->read_event);
    db_event_free(&conn->write_event);
    if (conn->pg)
        PQfinish(conn->pg);
    conn->pg = NULL;
    conn->state = DB_CONN_DISCONNECTED;
    conn->write_wanted = false;
    conn->broken = false;
    conn->prepared_count = 0;

    while ((request = conn->head) != NULL) {
        conn->head = request->next;
        db_request_finish(request, true, "the database connection was lost");
    }
    conn->tail = NULL;
    conn->in_flight = 0;

    delay.tv_sec = (long)conn->retry_delay_s;
    delay.tv_usec = (long)((conn->retry_delay_s - (double)delay.tv_sec) * 1e6);
    evtimer_add(conn->retry_timer, &delay);
    conn->retry_delay_s = conn->retry_delay_s * 2 > 5.0 ? 5.0 : conn->retry_delay_s * 2;
}

static void db_conn_watch(struct db_conn *conn, bool want_write)
{
    event_add(conn->read_event, NULL);
    if (want_write && !conn->write_wanted) {
        event_add(conn->write_event, NULL);
        conn->write_wanted = true;
    } else if (!want_write && conn->write_wanted) {
        event_del(conn->write_event);
        conn->write_wanted = false;
    }
}

static bool db_conn_make_events(struct db_conn *conn)
{
    evutil_socket_t fd = PQsocket(conn->pg);
    if (fd < 0)
        return false;
    db_event_free(&conn->read_event);
    db_event_free(&conn->write_event);
    conn->read_event =
        event_new(conn->pool->base, fd, EV_READ | EV_PERSIST, db_conn_on_socket, conn);
    conn->write_event =
        event_new(conn->pool->base, fd, EV_WRITE | EV_PERSIST, db_conn_on_socket, conn);
    conn->write_wanted = false;
    return conn->read_event && conn->write_event;
}

static void db_conn_continue_connect(struct db_conn *conn)
{
    PostgresPollingStatusType status = PQconnectPoll(conn->pg);

    switch (status) {
    case PGRES_POLLING_READING:
    case PGRES_POLLING_WRITING:
        /* libpq may switch sockets while trying hosts: rebuild the events. */
        if (!db_conn_make_events(conn)) {
            db_conn_lost(conn, "no socket while connecting");
            return;
        }
        if (status == PGRES_POLLING_READING) {
            event_add(conn->read_event, NULL);
        } else {
            event_add(conn->write_event, NULL);
            conn->write_wanted = true;
        }
        return;
    case PGRES_POLLING_OK:
        if (PQsetnonblocking(conn->pg, 1) != 0 || PQenterPipelineMode(conn->pg) != 1) {
            db_conn_lost(conn, PQerrorMessage(conn->pg));
            return;
        }
        conn->state = DB_CONN_READY;
        conn->retry_delay_s = 0.25;
        if (!db_conn_make_events(conn)) {
            db_conn_lost(conn, "no socket after connecting");
            return;
        }
        db_conn_watch(conn, false);
        log_info("db.connected", "pool=%s conn=%d server_version=%d", conn->pool->name, conn->index,
                 PQserverVersion(conn->pg));
        return;
    default:
        db_conn_lost(conn, PQerrorMessage(conn->pg));
        return;
    }
}

static void db_conn_connect(struct db_conn *conn)
{
    conn->connect_started_s = clock_monotonic_s();
    conn->pg = PQconnectStartParams(conn->pool->keywords, conn->pool->values, 0);
    if (!conn->pg) {
        db_conn_lost(conn, "out of memory");
        return;
    }
    if (PQstatus(conn->pg) == CONNECTION_BAD) {
        db_conn_lost(conn, PQerrorMessage(conn->pg));
        return;
    }
    conn->state = DB_CONN_CONNECTING;
    db_conn_continue_connect(conn);
}

static void db_conn_on_retry(evutil_socket_t fd, short what, void *arg)
{
    db_conn_connect(arg);
}

static void db_pool_on_watchdog(evutil_socket_t fd, short what, void *arg)
{
    struct db_pool *pool = arg;
    double now = clock_monotonic_s();
    for (int i = 0; i < pool->count; i++)
        if (pool->conns[i].state == DB_CONN_CONNECTING &&
            now - pool->conns[i].connect_started_s > DB_CONNECT_TIMEOUT_S)
            db_conn_lost(&pool->conns[i], "no answer from the server while connecting");
}

/* A send failed inside db_pool_submit: fail the connection from the loop, so
 * that no callback runs re-entrantly inside the caller's submit. */
static void db_conn_on_broken(evutil_socket_t fd, short what, void *arg)
{
    struct db_conn *conn = arg;
    if (conn->broken) {
        conn->broken = false;
        db_conn_lost(conn, conn->pg ? PQerrorMessage(conn->pg) : "connection broken");
    }
}

static void db_conn_mark_broken(struct db_conn *conn)
{
    if (conn->broken)
        return;
    conn->broken = true;
    if (event_base_once(conn->pool->base, -1, EV_TIMEOUT, db_conn_on_broken, conn, NULL) != 0)
        db_conn_lost(conn, "cannot schedule the connection reset");
}

static bool db_conn_has_prepared(const struct db_conn *conn, const char *name)
{
    for (int i = 0; i < conn->prepared_count; i++)
        if (strcmp(conn->prepared[i], name) == 0)
            return true;
    return false;
}

/* A prepare failed: the name is not on the server, prepare it again next time. */
static void db_conn_forget_prepared(struct db_conn *conn, const char *name)
{
    for (int i = 0; i < conn->prepared_count; i++) {
        if (strcmp(conn->prepared[i], name) == 0) {
            conn->prepared[i] = conn->prepared[--conn->prepared_count];
            return;
        }
    }
}

/* Records the first error of a request: message without libpq's trailing newline. */
static void db_request_note_error(struct db_request *request, const PGresult *result,
                                  ExecStatusType status)
{
    const char *message = status == PGRES_PIPELINE_ABORTED
                              ? "statement skipped after an earlier error"
                              : PQresultErrorMessage(result);
    const char *state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    size_t length;

    if (request->error)
        return;
    request->error = strdup(message && *message ? message : PQresStatus(status));
    if (state)
        snprintf(request->sqlstate, sizeof request->sqlstate, "%s", state);
    if (request->error) {
        length = strlen(request->error);
        while (length && (request->error[length - 1] == '\n'))
            request->error[--length] = '\0';
    }
}

/* Read every result that is complete; finish requests at their sync. */
static void db_conn_drain_results(struct db_conn *conn)
{
    int separators = 0;

    while (conn->head && !PQisBusy(conn->pg)) {
        struct db_request *request = conn->head;
        PGresult *result = PQgetResult(conn->pg);
        ExecStatusType status;

        if (!result) {
            /* End of one statement's results (pipeline mode separator);
             * two in a row means nothing more is ready. */
            if (PQstatus(conn->pg) == CONNECTION_BAD) {
                db_conn_lost(conn, PQerrorMessage(conn->pg));
                return;
            }
            if (++separators > 1)
                return;
            continue;
        }
        separators = 0;
        status = PQresultStatus(result);
        if (status == PGRES_PIPELINE_SYNC) {
            PQclear(result);
            conn->head = request->next;
            if (!conn->head)
                conn->tail = NULL;
            conn->in_flight--;
            db_request_finish(request, false, NULL);
            continue;
        }
        if (request->prepare_results_seen < request->prepare_count) {
            /* The result of a prepare sent ahead of the request's statements. */
            if (status != PGRES_COMMAND_OK) {
                db_conn_forget_prepared(conn,
                                        request->prepare_names[request->prepare_results_seen]);
                db_request_note_error(request, result, status);
            }
            request->prepare_results_seen++;
            PQclear(result);
            continue;
        }
        if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
            db_request_note_error(request, result, status);
        if (request->result_count < DB_MAX_STATEMENTS)
            request->results[request->result_count++] = result;
        else
            PQclear(result);
    }
}

static void db_conn_on_socket(evutil_socket_t fd, short what, void *arg)
{
    struct db_conn *conn = arg;

    if (conn->state == DB_CONN_CONNECTING) {
        event_del(conn->read_event);
        event_del(conn->write_event);
        conn->write_wanted = false;
        db_conn_continue_connect(conn);
        return;
    }
    if (conn->state != DB_CONN_READY)
        return;
    if (what & EV_WRITE) {
        int flushed = PQflush(conn->pg);
        if (flushed < 0) {
            db_conn_lost(conn, PQerrorMessage(conn->pg));
            return;
        }
        db_conn_watch(conn, flushed == 1);
    }
    if (what & EV_READ) {
        if (!PQconsumeInput(conn->pg)) {
            db_conn_lost(conn, PQerrorMessage(conn->pg));
            return;
        }
        db_conn_drain_results(conn);
        if (conn->state != DB_CONN_READY)
            return;
        if (!conn->head && conn->in_flight == 0) {
            /* Notices or a server-side close with nothing pending. */
            if (PQstatus(conn->pg) == CONNECTION_BAD)
                db_conn_lost(conn, PQerrorMessage(conn->pg));
        }
    }
}

/* pool->keywords/values from the DSN, with JIT off. -1 when out of memory or the
 * DSN does not parse (the start-up connection check has parsed it already). */
static int db_pool_parse_dsn(struct db_pool *pool, const char *dsn)
{
    static const char jit_off[] = "-c jit=off";
    /* Over TCP, a server whose packets are dropped (no reset) is noticed by the kernel:
     * idle, by keepalives (10 s + 3 x 5 s); with a request unanswered, by
     * tcp_user_timeout (15 s). Unless the DSN says otherwise. */
    static const char *const defaults[][2] = {
        {"keepalives", "1"},       {"keepalives_idle", "10"},     {"keepalives_interval", "5"},
        {"keepalives_count", "3"}, {"tcp_user_timeout", "15000"},
    };
    size_t count = 0, n = 0;
    bool have_options = false;

    pool->conninfo = PQconninfoParse(dsn, NULL);
    if (!pool->conninfo)
        return -1;
    for (PQconninfoOption *o = pool->conninfo; o->keyword; o++)
        count++;
    pool->keywords = calloc(count + 8, sizeof *pool->keywords);
    pool->values = calloc(count + 8, sizeof *pool->values);
    if (!pool->keywords || !pool->values)
        return -1;
    for (PQconninfoOption *o = pool->conninfo; o->keyword; o++) {
        if (!o->val)
            continue;
        pool->keywords[n] = o->keyword;
        pool->values[n] = o->val;
        if (strcmp(o->keyword, "options") == 0) {
            size_t size = strlen(o->val) + sizeof jit_off + 1;
            if (!(pool->options = malloc(size)))
                return -1;
            snprintf(pool->options, size, "%s %s", o->val, jit_off);
            pool->values[n] = pool->options;
            have_options = true;
        }
        n++;
    }
    if (!have_options) {
        pool->keywords[n] = "options";
        pool->values[n++] = jit_off;
    }
    for (size_t d = 0; d < sizeof defaults / sizeof defaults[0]; d++) {
        bool given = false;
        for (size_t k = 0; k < n; k++)
            given = given || strcmp(pool->keywords[k], defaults[d][0]) == 0;
        if (!given) {
            pool->keywords[n] = defaults[d][0];
            pool->values[n++] = defaults[d][1];
        }
    }
    return 0;
}

struct db_pool *db_pool_new(struct event_base *base, const char *dsn, int connections,
                            const char *name)
{
    struct db_pool *pool = calloc(1, sizeof *pool);

    if (!pool)
        return NULL;
    pool->base = base;
    pool->name = strdup(name);
    pool->count = connections;
    metrics_histogram_init_latency(&pool->latency);
    pool->watchdog = event_new(base, -1, EV_PERSIST, db_pool_on_watchdog, pool);
    pool->conns = calloc((size_t)connections, sizeof *pool->conns);
    if (!pool->name || !pool->conns || !pool->watchdog || db_pool_parse_dsn(pool, dsn) != 0) {
        db_pool_free(pool);
        return NULL;
    }
    {
        struct timeval every = {1, 0};
        event_add(pool->watchdog, &every);
    }
    for (int i = 0; i < connections; i++) {
        struct db_conn *conn = &pool->conns[i];
        conn->pool = pool;
        conn->index = i;
        conn->retry_delay_s = 0.25;
        conn->retry_timer = evtimer_new(base, db_conn_on_retry, conn);
        if (!conn->retry_timer) {
            db_pool_free(pool);
            return NULL;
        }
        db_conn_connect(conn);
    }
    return pool;
}

void db_pool_free(struct db_pool *pool)
{
    if (!pool)
        return;
    db_event_free(&pool->watchdog);
    for (int i = 0; pool->conns && i < pool->count; i++) {
        struct db_conn *conn = &pool->conns[i];
        struct db_request *request;
        db_event_free(&conn->read_event);
        db_event_free(&conn->write_event);
        db_event_free(&conn->retry_timer);
        while ((request = conn->head) != NULL) {
            conn->head = request->next;
            db_request_finish(request, true, "the daemon is shutting down");
        }
        if (conn->pg)
            PQfinish(conn->pg);
    }
    free(pool->conns);
    free(pool->keywords);
    free(pool->values);
    free(pool->options);
    if (pool->conninfo)
        PQconninfoFree(pool->conninfo);
    free(pool->name);
    free(pool);
}

static void db_deferred_run(evutil_socket_t fd, short what, void *arg)
{
    struct db_deferred *deferred = arg;
    struct db_result result;

    memset(&result, 0, sizeof result);
    result.connection_failed = true;
    result.error = "the database is not reachable";
    result.sqlstate = "";
    deferred->callback(&result, deferred->user_data);
    free(deferred);
}

/* Hands a request's statements to libpq, each named one prepared first where this
 * connection has not prepared it yet. False when a send failed. */
static bool db_conn_send(struct db_conn *conn, struct db_request *request,
                         const struct db_statement *statements, int statement_count)
{
    for (int i = 0; i < statement_count; i++) {
        const char *name = statements[i].prepared_name;
        if (!name || db_conn_has_prepared(conn, name) || conn->prepared_count == DB_MAX_PREPARED)
            continue;
        if (!PQsendPrepare(conn->pg, name, statements[i].sql, statements[i].param_count, NULL))
            return false;
        conn->prepared[conn->prepared_count++] = name;
        request->prepare_names[request->prepare_count++] = name;
    }
    for (int i = 0; i < statement_count; i++) {
        const struct db_statement *statement = &statements[i];
        int sent;
        if (statement->prepared_name && db_conn_has_prepared(conn, statement->prepared_name))
            sent = PQsendQueryPrepared(conn->pg, statement->prepared_name, statement->param_count,
                                       statement->params, statement->param_lengths,
                                       statement->param_formats, 0);
        else
            sent = PQsendQueryParams(conn->pg, statement->sql, statement->param_count, NULL,
                                     statement->params, statement->param_lengths,
                                     statement->param_formats, 0);
        if (!sent)
            return false;
    }
    return true;
}

int db_pool_submit(struct db_pool *pool, const struct db_statement *statements, int statement_count,
                   db_callback callback, void *user_data)
{
    struct db_conn *best = NULL;
    struct db_request *request;

    for (int i = 0; i < pool->count; i++) {
        struct db_conn *conn = &pool->conns[i];
        if (conn->state == DB_CONN_READY && !conn->broken &&
            (!best || conn->in_flight < best->in_flight))
            best = conn;
    }
    if (!best || statement_count < 1 || statement_count > DB_MAX_STATEMENTS) {
        struct db_deferred *deferred = malloc(sizeof *deferred);
        if (!deferred)
            return -1;
        deferred->callback = callback;
        deferred->user_data = user_data;
        if (event_base_once(pool->base, -1, EV_TIMEOUT, db_deferred_run, deferred, NULL) != 0) {
            free(deferred);
            return -1;
        }
        return 0;
    }

    request = calloc(1, sizeof *request);
    if (!request)
        return -1;
    request->callback = callback;
    request->user_data = user_data;
    request->pool = pool;
    request->submitted_s = clock_monotonic_s();
    request->statement_count = statement_count;

    if (!db_conn_send(best, request, statements, statement_count)) {
        /* The connection is unusable; everything on it fails, this too. */
        if (!best->head)
            best->head = best->tail = request;
        else
            best->tail = best->tail->next = request;
        best->in_flight++;
        db_conn_mark_broken(best);
        return 0;
    }
    if (!best->head)
        best->head = best->tail = request;
    else
        best->tail = best->tail->next = request;
    best->in_flight++;
    if (!PQpipelineSync(best->pg)) {
        db_conn_mark_broken(best);
        return 0;
    }
    switch (PQflush(best->pg)) {
    case 0:
        db_conn_watch(best, false);
        break;
    case 1:
        db_conn_watch(best, true);
        break;
    default:
        db_conn_mark_broken(best);
        break;
    }
    return 0;
}

bool db_pool_is_ready(const struct db_pool *pool)
{
    for (int i = 0; i < pool->count; i++)
        if (pool->conns[i].state == DB_CONN_READY)
            return true;
    return false;
}

size_t db_pool_pending(const struct db_pool *pool)
{
    size_t pending = 0;
    for (int i = 0; i < pool->count; i++)
        pending += pool->conns[i].in_flight;
    return pending;
}

const char *db_pool_name(const struct db_pool *pool)
{
    return pool->name;
}

int db_pool_connections_up(const struct db_pool *pool)
{
    int up = 0;
    for (int i = 0; i < pool->count; i++)
        up += pool->conns[i].pg && PQstatus(pool->conns[i].pg) == CONNECTION_OK;
    return up;
}

const struct metrics_histogram *db_pool_latency(const struct db_pool *pool)
{
    return &pool->latency;
}
