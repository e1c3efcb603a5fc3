/*
 * alert_eval: evaluates the alert rules of every tenant (issue 5). Owns struct
 * alert_evaluator: its timer (every alert_evaluate_interval_s, at most 10 s),
 * a wake-up shortly after each ingest commit, and one database connection whose
 * session holds the advisory lock that makes this daemon the one evaluator
 * among those sharing the database (sql/010_alerts.sql, ccm_alert_leader()).
 *
 * A pass: one read transaction (leadership, the enabled rules with their state,
 * the day and month sums of the interval aggregates and the last hour of raw
 * contacts of the tenants with rules, the last contact of each no-data rule's
 * scope, the targets), then every rule judged in C (lib/alert.c alert_step)
 * without a query per rule, then one write transaction with every new state and
 * the notifications they cause (ccm_alert_store: the transactional outbox).
 * Figures are the API's: today and mtd from the aggregates as GET /v1/kpis,
 * rolling windows from the raw contacts offered in the last 15 or 60 minutes.
 */
#ifndef CCM_ALERT_EVAL_H
#define CCM_ALERT_EVAL_H

#include <stddef.h>
#include <stdint.h>

#include "alert.h"

struct server;
struct alert_evaluator;

/* NULL when out of memory. With alert_evaluate_interval_s 0 it never evaluates. */
struct alert_evaluator *alert_evaluator_new(struct server *server, const char *dsn);
/* Finishes (or fails) the pass in flight first. */
void alert_evaluator_free(struct alert_evaluator *evaluator);

/* Contacts were committed: evaluate soon (10 ms on; at most ten passes a second). */
void alert_evaluator_wake(struct alert_evaluator *evaluator);

/* The dashboard page for a scope, channel (NULL: every channel) and window: public_url
 * (else the listen address) + "/?scope=..." (the wallboard), or "/month.html?scope=..."
 * for mtd, with "&channel=..." for one channel. */
void alert_evaluator_link(const struct server *server, const char *scope_text, const char *channel,
                          enum alert_window window, char *out, size_t size);

#endif
