/*
 * api_export: the financial-year exports and what they carry (see api_export.c).
 */
#ifndef CCM_API_EXPORT_H
#define CCM_API_EXPORT_H

#include <stddef.h>

struct server;
struct http_call;
struct export_worker;

/* NULL when out of memory. Free before evhttp: it answers the workbooks in flight. */
struct export_worker *export_worker_new(struct server *server);
void export_worker_free(struct export_worker *worker);
struct export_table;
/* Write tables (taken over on success) as performance.{csv,xlsx,html,json} into
 * directory (created), on the worker's thread. -1: not started, tables still yours. */
int export_worker_write_files(struct export_worker *worker, struct export_table *tables,
                              size_t count, const char *title, const char *directory);

void api_exports_monthly_get(struct http_call *call);
void api_export_profile_put(struct http_call *call);
void api_export_profiles_get(struct http_call *call);
void api_commentary_put(struct http_call *call);
void api_commentary_get(struct http_call *call);
void api_publications_post(struct http_call *call);
void api_publications_get(struct http_call *call);

#endif
