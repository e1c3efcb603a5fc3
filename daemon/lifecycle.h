/*
 * lifecycle: closes calls assembled from lifecycle events that stay open too
 * long (config lifecycle_max_open_s): a call whose call.ended never comes is
 * counted once, as a timeout (or answered, when it was answered), by
 * ccm_lifecycle_close_stale() (sql/003_lifecycle.sql). Owns struct
 * lifecycle_sweeper: its timer and the one request it may have in flight.
 * Several daemons on one database may sweep: the SQL is idempotent.
 */
#ifndef CCM_LIFECYCLE_H
#define CCM_LIFECYCLE_H

struct server;
struct lifecycle_sweeper;

struct lifecycle_sweeper *lifecycle_sweeper_new(struct server *server);
void lifecycle_sweeper_free(struct lifecycle_sweeper *sweeper);

#endif
