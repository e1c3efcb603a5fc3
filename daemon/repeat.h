/*
 * repeat: makes the repeat-contact counts of past days final (repeat_fcr_pct).
 * Each local day's answered contacts get their "followed by another contact of
 * the caller within the window" counts once the window has passed, by
 * ccm_repeat_finalize() (sql/008_repeat_contacts.sql), tenant by tenant, a week
 * of days a transaction, on a timer (config repeat_finalize_interval_s) on its
 * own database connection. While a backfill is in progress (marks newer than
 * one tick) a tenant's days wait, at most ten ticks. Until then reads compute those days from
 * the raw contacts, so figures never depend on how far behind this is. Owns struct
 * repeat_finalizer: its timer, its pool and the one call it has in flight.
 * Several daemons on one database may finalize: the SQL serialises them.
 */
#ifndef CCM_REPEAT_H
#define CCM_REPEAT_H

struct server;
struct repeat_finalizer;

/* NULL when out of memory. The first pass starts at once (none with an interval of 0). */
struct repeat_finalizer *repeat_finalizer_new(struct server *server, const char *dsn);
/* Finishes (or fails) the call in flight first. */
void repeat_finalizer_free(struct repeat_finalizer *finalizer);

#endif
