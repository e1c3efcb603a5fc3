/*
 * config: every setting of ccmetricsd, from defaults, then the config file
 * (`key = value` lines), then command-line options. Owns struct config and its
 * strings. The daemon keeps one; a reload (SIGHUP) builds a new one and keeps
 * the old if the new one is invalid.
 */
#ifndef CCM_CONFIG_H
#define CCM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "ccm_error.h"

#define CONFIG_MAX_WEBHOOK_ALLOW 32

struct config {
    char *config_file; /* NULL: none */
    char *data_dir;    /* embedded PostgreSQL and run files */
    char *listen;      /* HOST:PORT; port 0 picks a free one */
    char *database;    /* libpq DSN; NULL/"": the embedded server */
    char *log_level;
    char *pg_bindir; /* where initdb/postgres live; NULL: search */
    char *pg_user;   /* system user the embedded server runs as when started by root */
    int db_readers;  /* connections for reads and admin writes */
    size_t max_body_bytes;
    size_t max_header_bytes;
    int http_timeout_s;
    int ingest_max_rows;            /* contacts per group commit */
    int lifecycle_max_open_s;       /* a call open longer is closed (timeout, or answered) */
    int repeat_finalize_interval_s; /* how often past days' repeat counts are finalized;
                                       0: never by this daemon (another one does) */
    char *queue_log_path;           /* an Asterisk queue_log to follow; NULL: none */
    char *queue_log_tenant;         /* the tenant its calls belong to */
    char *dashboards_dir;           /* the pages served at /; NULL: the built-in default */
    char *webhook_allow[CONFIG_MAX_WEBHOOK_ALLOW]; /* CIDRs webhooks may reach although
                                                     private or loopback */
    int webhook_allow_count;
    int alert_evaluate_interval_s; /* 1-10; 0: this daemon never evaluates alert rules */
    int webhook_timeout_s;         /* a delivery not answered 2xx within it has failed */
    int webhook_disable_after_s;   /* an endpoint failing this long is disabled */
    int webhook_retry_base_s;      /* the first retry's delay, doubling up to 1 h */
    char *public_url;              /* the pages' address in notifications; NULL: listen */
    int publish_day;               /* 1-28: publish last month on this day; 0: by hand */
    char *publish_dir;             /* where automatic publishing writes the exports */
    int publish_check_interval_s;  /* how often to look for a month to publish */
    double rate_limit_per_s;       /* requests a second per token; 0: no limit */
    int max_connections;           /* open descriptors above which accepting pauses */
    double rate_limit_burst;       /* requests a token may make at once */
};

void config_init(struct config *config); /* defaults */
void config_free(struct config *config);

/* Apply one `key = value` setting (names as in the config file). */
int config_set(struct config *config, const char *key, const char *value, struct ccm_error *error);

/* Load a config file over the current values. Errors name the file and line. */
int config_load_file(struct config *config, const char *path, struct ccm_error *error);

/* Checks that do not depend on the environment (ranges, formats). */
int config_validate(const struct config *config, struct ccm_error *error);

/* The DSN to connect with: config->database or the embedded server's socket. */
char *config_database_dsn(const struct config *config);
bool config_uses_embedded(const struct config *config);

/* The settings a reload read but cannot apply (they need a restart), comma-separated
 * into out ("" when none). */
void config_restart_needed(const struct config *running, const struct config *loaded, char *out,
                           size_t size);

/* The help text of the config keys (for --help). */
void config_print_keys(void);

#endif
