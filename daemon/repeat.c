/*
 * repeat: the periodic finalizer of repeat-contact counts (see repeat.h).
 */
#include "repeat.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "clock.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "server.h"

#define REPEAT_DAYS_PER_CALL "7" /* one transaction: bounded work and lock time */

struct repeat_finalizer {
    struct server *server;
    struct db_pool *pool; /* one connection: a long pass never delays a read */
    struct event *timer;
    bool in_flight;
    bool closing;      /* repeat_finalizer_free has begun: start nothing new */
    char **tenant_ids; /* this pass's tenants, in order */
    int tenant_count;
    int next_tenant;
    long busy_calls;             /* calls of this pass that left more days to do (for the log) */
    char last_final_through[16]; /* of the current tenant, this pass ("" before its first) */
    double call_started_s;       /* monotonic, of the call in flight */
    char interval_text[16];      /* repeat_finalize_interval_s */
};

static void repeat_finalize_next(struct repeat_finalizer *finalizer);

static void repeat_pass_end(struct repeat_finalizer *finalizer)
{
    for (int i = 0; i < finalizer->tenant_count; i++)
        free(finalizer->tenant_ids[i]);
    free(finalizer->tenant_ids);
    finalizer->tenant_ids = NULL;
    finalizer->tenant_count = 0;
    finalizer->next_tenant = 0;
    finalizer->in_flight = false;
}

static void repeat_on_finalized(const struct db_result *result, void *user_data)
{
    struct repeat_finalizer *finalizer = user_data;
    char quoted[300];

    if (!result->ok || finalizer->closing || finalizer->server->shutting_down) {
        if (!result->ok && !result->connection_failed)
            log_warn("repeat.finalize_failed", "tenant=%s error=\"%s\"",
                     finalizer->tenant_ids[finalizer->next_tenant],
                     log_quote(result->error, quoted, sizeof quoted));
        repeat_pass_end(finalizer);
        return;
    }
    PGresult *row = result->results[0];
    const char *final_through = PQntuples(row) == 1 ? PQgetvalue(row, 0, 0) : "";
    bool more = PQntuples(row) == 1 && PQgetvalue(row, 0, 1)[0] == 't';
    /* Went back: contacts of finalized days are being stored (a backfill). Its next
     * marks would send this pass back again, so the rest waits for the next tick. */
    bool disturbed = finalizer->last_final_through[0] &&
                     strcmp(final_through, finalizer->last_final_through) < 0;
    snprintf(finalizer->last_final_through, sizeof finalizer->last_final_through, "%s",
             final_through);
    log_debug("repeat.finalize_call", "tenant=%s final_through=%s more=%d ms=%.0f",
              finalizer->tenant_ids[finalizer->next_tenant], final_through, more,
              (clock_monotonic_s() - finalizer->call_started_s) * 1e3);
    if (more && !disturbed) {
        finalizer->busy_calls++;
    } else {
        log_debug("repeat.final_through", "tenant=%s date=%s",
                  finalizer->tenant_ids[finalizer->next_tenant], final_through);
        finalizer->next_tenant++;
        finalizer->last_final_through[0] = '\0';
    }
    repeat_finalize_next(finalizer);
}

/* One call for the current tenant, or the end of the pass. */
static void repeat_finalize_next(struct repeat_finalizer *finalizer)
{
    struct db_statement statement = {0};

    if (finalizer->next_tenant >= finalizer->tenant_count) {
        if (finalizer->busy_calls > 0)
            log_info("repeat.finalized", "busy_calls=%ld", finalizer->busy_calls);
        repeat_pass_end(finalizer);
        return;
    }
    /* A backfill in progress: marks newer than one tick. Redone anyway every ten ticks. */
    statement.sql = "SELECT final_through, more FROM ccm_repeat_finalize($1::bigint, $2::integer,"
                    " make_interval(secs => $3::integer), make_interval(secs => 10 * $3::integer))";
    statement.param_count = 3;
    statement.params[0] = finalizer->tenant_ids[finalizer->next_tenant];
    statement.params[1] = REPEAT_DAYS_PER_CALL;
    statement.params[2] = finalizer->interval_text;
    finalizer->call_started_s = clock_monotonic_s();
    if (db_pool_submit(finalizer->pool, &statement, 1, repeat_on_finalized, finalizer) != 0)
        repeat_pass_end(finalizer);
}

static void repeat_on_tenants(const struct db_result *result, void *user_data)
{
    struct repeat_finalizer *finalizer = user_data;
    int count;

    if (!result->ok || finalizer->closing || finalizer->server->shutting_down) {
        finalizer->in_flight = false;
        return;
    }
    count = PQntuples(result->results[0]);
    finalizer->tenant_ids = calloc(count > 0 ? (size_t)count : 1, sizeof *finalizer->tenant_ids);
    if (!finalizer->tenant_ids) {
        finalizer->in_flight = false;
        return;
    }
    for (int i = 0; i < count; i++) {
        finalizer->tenant_ids[i] = strdup(PQgetvalue(result->results[0], i, 0));
        if (!finalizer->tenant_ids[i]) {
            finalizer->tenant_count = i;
            repeat_pass_end(finalizer);
            return;
        }
    }
    finalizer->tenant_count = count;
    finalizer->next_tenant = 0;
    finalizer->last_final_through[0] = '\0';
    finalizer->busy_calls = 0;
    repeat_finalize_next(finalizer);
}

static void repeat_on_timer(evutil_socket_t fd, short what, void *arg)
{
    struct repeat_finalizer *finalizer = arg;
    struct db_statement statement = {0};
    (void)fd;
    (void)what;

    if (finalizer->in_flight || finalizer->server->shutting_down)
        return;
    statement.sql = "SELECT id FROM tenants ORDER BY id";
    finalizer->in_flight = true;
    if (db_pool_submit(finalizer->pool, &statement, 1, repeat_on_tenants, finalizer) != 0)
        finalizer->in_flight = false;
}

struct repeat_finalizer *repeat_finalizer_new(struct server *server, const char *dsn)
{
    struct repeat_finalizer *finalizer = calloc(1, sizeof *finalizer);
    struct timeval period = {server->config->repeat_finalize_interval_s, 0};

    if (!finalizer)
        return NULL;
    finalizer->server = server;
    snprintf(finalizer->interval_text, sizeof finalizer->interval_text, "%d",
             server->config->repeat_finalize_interval_s);
    if (period.tv_sec == 0)
        return finalizer; /* another daemon finalizes: no connection, no timer */
    finalizer->pool = db_pool_new(server->base, dsn, 1, "repeat");
    finalizer->timer = event_new(server->base, -1, EV_PERSIST, repeat_on_timer, finalizer);
    if (!finalizer->pool || !finalizer->timer) {
        repeat_finalizer_free(finalizer);
        return NULL;
    }
    event_add(finalizer->timer, &period);
    /* The first pass now (not event_active: a persistent timer activated by hand
     * would skip its next scheduled run). */
    repeat_on_timer(-1, 0, finalizer);
    return finalizer;
}

void repeat_finalizer_free(struct repeat_finalizer *finalizer)
{
    if (!finalizer)
        return;
    finalizer->closing = true;
    if (finalizer->timer)
        event_free(finalizer->timer);
    /* The pool's callbacks (the call in flight, failed) still reach the finalizer. */
    if (finalizer->pool)
        db_pool_free(finalizer->pool);
    repeat_pass_end(finalizer);
    free(finalizer);
}
