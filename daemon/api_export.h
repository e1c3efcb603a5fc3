/*
 * api_export: the financial-year exports and what they carry (see api_export.c).
 */
#ifndef CCM_API_EXPORT_H
#define CCM_API_EXPORT_H

struct server;
struct http_call;
struct export_worker;

/* NULL when out of memory. Free before evhttp: it answers the workbooks in flight. */
struct export_worker *export_worker_new(struct server *server);
void export_worker_free(struct export_worker *worker);

void api_exports_monthly_get(struct http_call *call);
void api_export_profile_put(struct http_call *call);
void api_export_profiles_get(struct http_call *call);
void api_commentary_put(struct http_call *call);
void api_commentary_get(struct http_call *call);
void api_publications_post(struct http_call *call);
void api_publications_get(struct http_call *call);

#endif
