/*
 * webhook_sender: delivers the notifications of the outbox (sql/010_alerts.sql)
 * with libcurl's multi-socket API on the daemon's event loop. Owns struct
 * webhook_sender: the curl multi handle, its one libevent timer, the socket
 * events curl asks for, the deliveries in flight, and the address policy.
 *
 * Every second (and at once when woken: a notification was stored, an endpoint
 * turned back on) it claims what is due: per endpoint the oldest undelivered
 * notification, one at a time, so an endpoint receives them in order, each
 * under a lease (a daemon that dies mid-delivery leaves it to be tried again).
 * A delivery is a POST of the stored body with the Standard Webhooks headers,
 * signed at send time; 2xx within webhook_timeout_s is success. Anything else is
 * tried again after a growing delay with jitter (or the receiver's Retry-After);
 * 410 disables the endpoint, as does failing for webhook_disable_after_s. Every
 * attempt is logged in alert_deliveries.
 *
 * Safety: the address connected to is checked (after DNS, for every connection)
 * against lib/net_policy: loopback, private, link-local and metadata addresses
 * are refused unless webhook_allow lists them; no redirects are followed; no
 * proxy from the environment is used (its address is not the receiver's); the
 * secret and the URL's path are never logged.
 */
#ifndef CCM_WEBHOOK_SENDER_H
#define CCM_WEBHOOK_SENDER_H

struct server;
struct webhook_sender;

/* NULL when out of memory or the allow-list is invalid (config_validate checks it). */
struct webhook_sender *webhook_sender_new(struct server *server);
/* Abandons transfers in flight (their leases expire; another run sends them). */
void webhook_sender_free(struct webhook_sender *sender);

/* Claim what is due now rather than at the next tick. */
void webhook_sender_wake(struct webhook_sender *sender);

#endif
