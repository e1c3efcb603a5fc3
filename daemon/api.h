/*
 * api: the handlers of the HTTP API contract (shared/spec/api.md). Each takes
 * an authenticated struct http_call (see http.h) and answers it exactly once.
 */
#ifndef CCM_API_H
#define CCM_API_H

struct http_call;

void api_healthz(struct http_call *call);
void api_readyz(struct http_call *call);
void api_events_post(struct http_call *call);              /* ingest.c */
void api_kpis_get(struct http_call *call);                 /* api_kpi.c */
void api_kpis_series_get(struct http_call *call);          /* api_kpi.c */
void api_queue_put(struct http_call *call);                /* api_admin.c */
void api_queue_get(struct http_call *call);                /* api_admin.c */
void api_queue_list(struct http_call *call);               /* api_admin.c */
void api_targets_put(struct http_call *call);              /* api_admin.c */
void api_targets_get(struct http_call *call);              /* api_admin.c */
void api_abandoned_get(struct http_call *call);            /* api_abandoned.c */
void api_asterisk_queue_log_post(struct http_call *call);  /* api_sources.c */
void api_amazon_connect_post(struct http_call *call);      /* api_sources.c */
void api_alert_endpoints_post(struct http_call *call);     /* api_alerts.c */
void api_alert_endpoints_get(struct http_call *call);      /* api_alerts.c */
void api_alert_endpoint_get(struct http_call *call);       /* api_alerts.c */
void api_alert_endpoint_post(struct http_call *call);      /* api_alerts.c */
void api_alert_endpoint_patch(struct http_call *call);     /* api_alerts.c */
void api_alert_endpoint_delete(struct http_call *call);    /* api_alerts.c */
void api_alert_rules_post(struct http_call *call);         /* api_alerts.c */
void api_alert_rules_get(struct http_call *call);          /* api_alerts.c */
void api_alert_rule_put(struct http_call *call);           /* api_alerts.c */
void api_alert_rule_delete(struct http_call *call);        /* api_alerts.c */
void api_alerts_get(struct http_call *call);               /* api_alerts.c */
void api_reasons_get(struct http_call *call);              /* api_reasons.c */
void api_enquiries_post(struct http_call *call);           /* api_enquiries.c */
void api_enquiries_kpis_get(struct http_call *call);       /* api_enquiries.c */
void api_enquiries_ageing_get(struct http_call *call);     /* api_enquiries.c */
void api_enquiries_settings_put(struct http_call *call);   /* api_enquiries.c */
void api_calendar_holidays_put(struct http_call *call);    /* api_enquiries.c */
void api_calendar_holidays_delete(struct http_call *call); /* api_enquiries.c */
void api_calendar_holidays_get(struct http_call *call);    /* api_enquiries.c */
void api_exports_enquiries_get(struct http_call *call);    /* api_enquiries.c */
void api_surveys_post(struct http_call *call);             /* api_surveys.c */
void api_settings_put(struct http_call *call);             /* api_admin.c */
void api_settings_get(struct http_call *call);             /* api_admin.c */

#endif
