/*
 * lifecycle: the periodic close of stale lifecycle calls (see lifecycle.h).
 */
#include "lifecycle.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <event2/event.h>

#include "alert_eval.h"
#include "config.h"
#include "db.h"
#include "live.h"
#include "log.h"
#include "server.h"

#define LIFECYCLE_SWEEP_MAX_S 30

struct lifecycle_sweeper {
    struct server *server;
    struct event *timer;
    bool in_flight;
    char max_open_text[24];
};

static const char *const sweep_sql =
    "SELECT coalesce(sum(ccm_lifecycle_close_stale(t.id, now(),"
    " make_interval(secs => $1::integer))), 0)::bigint FROM tenants t"
    " WHERE EXISTS (SELECT 1 FROM lifecycle_calls l WHERE l.tenant_id = t.id"
    " AND l.offered_at IS NOT NULL AND l.timeout_at IS NULL"
    " AND l.offered_at < now() - make_interval(secs => $1::integer)"
    " AND l.last_event_at < now() - make_interval(secs => $1::integer)"
    " AND (l.ended_at IS NULL OR (l.outcome = 1 AND l.answered_at IS NULL)))";

static void lifecycle_on_swept(const struct db_result *result, void *user_data)
{
    struct lifecycle_sweeper *sweeper = user_data;
    char quoted[300];

    sweeper->in_flight = false;
    if (!result->ok) {
        if (!result->connection_failed)
            log_warn("lifecycle.sweep_failed", "error=\"%s\"",
                     log_quote(result->error, quoted, sizeof quoted));
        return;
    }
    if (result->result_count == 1 && PQntuples(result->results[0]) == 1 &&
        atoll(PQgetvalue(result->results[0], 0, 0)) > 0) {
        live_all_changed(sweeper->server->live);
        alert_evaluator_wake(sweeper->server->alerts);
        log_info("lifecycle.closed_stale", "calls=%s max_open_s=%s",
                 PQgetvalue(result->results[0], 0, 0), sweeper->max_open_text);
    }
}

static void lifecycle_on_timer(evutil_socket_t fd, short what, void *arg)
{
    struct lifecycle_sweeper *sweeper = arg;
    struct db_statement statement = {0};

    if (sweeper->in_flight || sweeper->server->shutting_down)
        return;
    snprintf(sweeper->max_open_text, sizeof sweeper->max_open_text, "%d",
             sweeper->server->config->lifecycle_max_open_s);
    statement.sql = sweep_sql;
    statement.param_count = 1;
    statement.params[0] = sweeper->max_open_text;
    sweeper->in_flight = true;
    if (db_pool_submit(sweeper->server->writer, &statement, 1, lifecycle_on_swept, sweeper) != 0)
        sweeper->in_flight = false;
}

struct lifecycle_sweeper *lifecycle_sweeper_new(struct server *server)
{
    struct lifecycle_sweeper *sweeper = calloc(1, sizeof *sweeper);
    int period_s = server->config->lifecycle_max_open_s / 4;
    struct timeval period;

    if (!sweeper)
        return NULL;
    sweeper->server = server;
    sweeper->timer = event_new(server->base, -1, EV_PERSIST, lifecycle_on_timer, sweeper);
    if (!sweeper->timer) {
        free(sweeper);
        return NULL;
    }
    period.tv_sec = period_s < 1                       ? 1
                    : period_s > LIFECYCLE_SWEEP_MAX_S ? LIFECYCLE_SWEEP_MAX_S
                                                       : period_s;
    period.tv_usec = 0;
    event_add(sweeper->timer, &period);
    return sweeper;
}

void lifecycle_sweeper_free(struct lifecycle_sweeper *sweeper)
{
    if (!sweeper)
        return;
    event_free(sweeper->timer);
    free(sweeper);
}
