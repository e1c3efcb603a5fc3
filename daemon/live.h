/*
 * live: what is happening now, per scope. GET /v1/live answers once; GET
 * /v1/live/stream keeps the connection and pushes the same JSON as a
 * Server-Sent Event whenever it changes. Owns struct live: the scopes that
 * have streams, their last snapshot and their streams.
 *
 * A snapshot: contacts waiting now and the oldest wait (calls offered by
 * lifecycle events, not answered, not ended), calls in progress (answered, not
 * ended), and today's KPIs with targets and status (the interval aggregates,
 * as GET /v1/kpis?period=today). After every ingest commit the tenant's scopes
 * are queried again (changes within a few tens of milliseconds are folded into
 * one query) and streams get the snapshot when it differs from the last one
 * sent; while calls wait, every second (the oldest wait grows).
 *
 * A stream whose client does not read is skipped (its unsent output stays
 * under LIVE_MAX_BACKLOG_BYTES; it gets the next snapshot once it has drained),
 * so a slow or vanished client never grows memory or blocks the loop; a closed
 * connection removes its stream.
 */
#ifndef CCM_LIVE_H
#define CCM_LIVE_H

#include <stddef.h>

struct server;
struct tenant;
struct http_call;
struct live;

struct live *live_new(struct server *server);
/* Ends every stream (before evhttp is freed). */
void live_free(struct live *live);

/* Something of `tenant` was committed: refresh its scopes soon. */
void live_tenant_changed(struct live *live, const struct tenant *tenant);
/* Every tenant: refresh all scopes soon (e.g. stale calls were closed). */
void live_all_changed(struct live *live);

size_t live_stream_count(const struct live *live);

void api_live_get(struct http_call *call);
void api_live_stream(struct http_call *call);

#endif
