/*
 * publisher: automatic publishing of the monthly figures (issue 6). Owns struct
 * publisher: a timer (publish_check_interval_s) that, on or after publish_day of a
 * month in each tenant's time zone, publishes the month before if nobody has
 * (ccm_publish_month: the figures, targets and settings frozen), queues an
 * "export.published" notification to the tenant's endpoints that asked for them
 * (publications: true), and, with publish_dir set, writes that financial year's
 * export of the tenant and its services as CSV, Excel, HTML and JSON to
 * publish_dir/TENANT/YYYY-MM/ (on the export worker's thread). Several daemons may
 * run it: a month is published once (the second attempt is refused by the SQL).
 */
#ifndef CCM_PUBLISHER_H
#define CCM_PUBLISHER_H

struct server;
struct publisher;

/* NULL when out of memory; with publish_day 0 it does nothing. */
struct publisher *publisher_new(struct server *server);
void publisher_free(struct publisher *publisher);

#endif
