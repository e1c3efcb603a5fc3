/*
 * main: the ccmetricsd command line. Owns struct server for a daemon run:
 * reads the configuration, starts (or connects to) PostgreSQL, applies the
 * migrations, then runs one libevent loop serving HTTP until SIGTERM/SIGINT.
 * `token create` and `rebuild` are subcommands of the same binary (cli.c).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <sys/resource.h>

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/http.h>
#include <event2/thread.h>
#include <jansson.h>
#include <libpq-fe.h>

#ifdef CCM_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "alert_eval.h"
#include "api_export.h"
#include "api_metrics.h"
#include "cli.h"
#include "export_query.h"
#include "config.h"
#include "db.h"
#include "embedded_pg.h"
#include "http.h"
#include "ingest.h"
#include "lifecycle.h"
#include "live.h"
#include "repeat.h"
#include "dashboards.h"
#include "publisher.h"
#include "queue_log_follow.h"
#include "rate_limit.h"
#include "log.h"
#include "migrate.h"
#include "server.h"
#include "tenant.h"
#include "webhook_sender.h"

#define MAIN_SHUTDOWN_GRACE_S 20

static void main_usage(FILE *out)
{
    fprintf(out,
            "usage: ccmetricsd [OPTIONS]                      run the daemon\n"
            "       ccmetricsd token create --tenant NAME --scopes LIST [OPTIONS]\n"
            "                  [--time-zone ZONE] [--fy-start-month N]\n"
            "       ccmetricsd rebuild [--tenant NAME] [OPTIONS]  rebuild interval aggregates\n"
            "       ccmetricsd export --scope S [--scope S2...] --fy YYYY --format F [-o FILE]\n"
            "                  [--profile NAME] [--channel C] [--tenant NAME] [OPTIONS]\n"
            "                  the financial-year table (csv, xlsx, html or json; xlsx needs -o)\n"
            "\n"
            "Options (override the config file):\n"
            "  --config FILE        config file of `key = value` lines\n"
            "  --data-dir DIR       data directory (embedded PostgreSQL, run files);\n"
            "                       default /var/lib/ccmetrics as root, else ./var\n"
            "  --listen HOST:PORT   HTTP address (default 127.0.0.1:8080; port 0 picks one,\n"
            "                       the readiness line names it)\n"
            "  --database DSN       PostgreSQL connection string; none: the embedded server\n"
            "  --log-level LEVEL    debug, info, warn or error\n"
            "  --webhook-allow CIDR allow webhook targets in this network (repeatable)\n"
            "  --help               this text\n"
            "  --version            the version\n"
            "\n"
            "token create: --tenant NAME (created if new), --scopes ingest,read,admin;\n"
            "  --time-zone (default Europe/London) and --fy-start-month (default 4) apply\n"
            "  when the tenant is created. Prints the token as the last line.\n\n");
    config_print_keys();
}

static volatile sig_atomic_t main_fatal;

static void main_on_fatal(void *user_data)
{
    struct server *server = user_data;
    log_error("daemon.fatal", "reason=\"the embedded PostgreSQL server keeps dying\"");
    main_fatal = 1;
    event_base_loopbreak(server->base);
}

static void main_notify(const char *state)
{
#ifdef CCM_HAVE_SYSTEMD
    sd_notify(0, state);
#else
    (void)state;
#endif
}

struct main_shutdown {
    struct server *server;
    struct event *timer;
    int ticks;
};

static void main_on_shutdown_tick(evutil_socket_t fd, short what, void *arg)
{
    struct main_shutdown *shutdown = arg;
    struct server *server = shutdown->server;
    size_t pending = ingest_pending(server->ingest) + db_pool_pending(server->readers);
    if (pending == 0 || ++shutdown->ticks > MAIN_SHUTDOWN_GRACE_S * 10) {
        if (pending)
            log_warn("daemon.shutdown_timeout", "pending=%zu", pending);
        event_base_loopbreak(server->base);
    }
}

static bool main_same_text(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

/* A new queue_log_path or queue_log_tenant: the old follower retires, a new one starts
 * from the new file's saved position. */
static void main_reload_queue_log(struct server *server, const struct config *reloaded)
{
    if (main_same_text(server->config->queue_log_path, reloaded->queue_log_path) &&
        main_same_text(server->config->queue_log_tenant, reloaded->queue_log_tenant))
        return;
    free(server->config->queue_log_path);
    free(server->config->queue_log_tenant);
    server->config->queue_log_path =
        reloaded->queue_log_path ? strdup(reloaded->queue_log_path) : NULL;
    server->config->queue_log_tenant =
        reloaded->queue_log_tenant ? strdup(reloaded->queue_log_tenant) : NULL;
    queue_log_follower_retire(server->queue_log);
    server->queue_log = NULL;
    if (server->config->queue_log_path && *server->config->queue_log_path) {
        server->queue_log = queue_log_follower_new(server);
        if (!server->queue_log)
            log_error("queue_log.reload_failed", "path=\"%s\"", server->config->queue_log_path);
    }
    log_info("queue_log.reloaded", "path=\"%s\" tenant=%s",
             server->config->queue_log_path ? server->config->queue_log_path : "",
             server->config->queue_log_tenant ? server->config->queue_log_tenant : "");
}

static void main_on_signal(evutil_socket_t signal_number, short what, void *arg)
{
    struct main_shutdown *shutdown = arg;
    struct server *server = shutdown->server;
    struct timeval tick = {0, 100000};

    if (signal_number == SIGHUP) {
        int level;
        struct config reloaded;
        struct ccm_error error;
        char reloading[64];
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        /* systemd wants the time of the reload with it (Type=notify-reload and later) */
        snprintf(reloading, sizeof reloading, "RELOADING=1\nMONOTONIC_USEC=%llu",
                 (unsigned long long)now.tv_sec * 1000000ULL +
                     (unsigned long long)now.tv_nsec / 1000);
        main_notify(reloading);
        config_init(&reloaded);
        if (server->config->config_file &&
            config_load_file(&reloaded, server->config->config_file, &error) != 0) {
            log_error("config.reload_failed", "error=\"%s\" action=kept_old_config", error.message);
        } else if (config_validate(&reloaded, &error) != 0) {
            log_error("config.reload_failed", "error=\"%s\" action=kept_old_config", error.message);
        } else if ((level = log_level_from_name(reloaded.log_level)) >= 0) {
            char needs_restart[256];
            log_set_level((enum log_level)level);
            /* What a reload applies: the log level and the rate limits. */
            free(server->config->log_level);
            server->config->log_level = strdup(reloaded.log_level);
            server->config->rate_limit_per_s = reloaded.rate_limit_per_s;
            server->config->rate_limit_burst = reloaded.rate_limit_burst;
            tenant_registry_forget_tokens(server->tenants);
            main_reload_queue_log(server, &reloaded);
            config_restart_needed(server->config, &reloaded, needs_restart, sizeof needs_restart);
            log_info(
                "config.reloaded",
                "log_level=%s rate_limit_per_s=%.0f rate_limit_burst=%.0f tokens=forgotten%s%s",
                reloaded.log_level, reloaded.rate_limit_per_s, reloaded.rate_limit_burst,
                needs_restart[0] ? " restart_needed=" : "", needs_restart);
        }
        config_free(&reloaded);
        main_notify("READY=1");
        return;
    }
    if (server->shutting_down)
        return;
    server->shutting_down = true;
    main_notify("STOPPING=1");
    log_info("daemon.stopping", "signal=%d pending=%zu", (int)signal_number,
             ingest_pending(server->ingest));
    /* Wait (bounded) for requests in flight to be answered, then stop. */
    shutdown->timer = event_new(server->base, -1, EV_PERSIST, main_on_shutdown_tick, shutdown);
    if (!shutdown->timer || event_add(shutdown->timer, &tick) != 0)
        event_base_loopbreak(server->base);
}

static void main_on_watchdog(evutil_socket_t fd, short what, void *arg)
{
    main_notify("WATCHDOG=1");
}

/* Start-up: serve only once every database connection is up, so that the
 * readiness line means "requests will be stored", not "connecting". */
struct main_startup {
    struct server *server;
    struct event *timer;
    int waited_ms;
    int rc;
};

static void main_on_startup_tick(evutil_socket_t fd, short what, void *arg)
{
    struct main_startup *startup = arg;
    struct server *server = startup->server;
    struct ccm_error error;
    struct timeval tick = {0, 10000};

    if (!db_pool_is_ready(server->writer) || !db_pool_is_ready(server->readers)) {
        startup->waited_ms += 10;
        if (startup->waited_ms > 60000) {
            log_error("daemon.start_failed", "error=\"no database connection within 60 s\"");
            startup->rc = 1;
            event_base_loopbreak(server->base);
            return;
        }
        evtimer_add(startup->timer, &tick);
        return;
    }
    if (http_start(server, &error)) {
        fprintf(stderr, "ccmetricsd: %s\n", error.message);
        log_error("daemon.start_failed", "error=\"%s\"", error.message);
        startup->rc = 1;
        event_base_loopbreak(server->base);
        return;
    }
    /* The one readiness line tests and operators wait for. */
    log_info("daemon.ready", "listen=%s port=%d database=%s version=%s", server->config->listen,
             server->port, config_uses_embedded(server->config) ? "embedded" : "dsn", CCM_VERSION);
    main_notify("READY=1");
}

static int main_make_absolute(struct config *config)
{
    char resolved[PATH_MAX];
    if (mkdir(config->data_dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "ccmetricsd: cannot create data directory %s: %s\n", config->data_dir,
                strerror(errno));
        return -1;
    }
    if (!realpath(config->data_dir, resolved)) {
        fprintf(stderr, "ccmetricsd: data directory %s: %s\n", config->data_dir, strerror(errno));
        return -1;
    }
    return config_set(config, "data_dir", resolved, NULL);
}
/* The event loop. epoll's change list folds the several event changes evhttp
 * makes to a connection within one loop iteration (stop reading, start
 * writing, ...) into at most one epoll_ctl: four system calls a request become
 * about one. Its one caveat, fds cloned with dup(), does not apply here. */
static struct event_base *main_event_base_new(void)
{
    struct event_config *config = event_config_new();
    struct event_base *base;

    if (!config)
        return NULL;
    event_config_set_flag(config, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
    base = event_base_new_with_config(config);
    event_config_free(config);
    return base;
}

/* Every connection is a descriptor: take the hard limit (systemd's LimitNOFILE), not
 * the soft 1,024 a shell gives, so thousands of idle clients do not exhaust it. */
static void main_raise_file_limit(void)
{
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &limit) != 0)
            log_warn("daemon.file_limit", "error=\"%s\"", strerror(errno));
    }
}

static int main_run_daemon(struct config *config)
{
    struct server server;
    struct embedded_pg embedded;
    bool have_embedded = false;
    struct ccm_error error;
    struct main_shutdown shutdown = {0};
    struct main_startup startup = {0};
    struct event *signals[3] = {0}, *watchdog = NULL;
    const int signal_numbers[3] = {SIGTERM, SIGINT, SIGHUP};
    char *dsn;
    PGconn *conn;
    int rc = 0;
    uint64_t watchdog_usec = 0;

    memset(&server, 0, sizeof server);
    server.config = config;
    signal(SIGPIPE, SIG_IGN);
    main_raise_file_limit();
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) { /* before any thread */
        fprintf(stderr, "ccmetricsd: libcurl could not start\n");
        return 1;
    }

    if (config_uses_embedded(config)) {
        if (embedded_pg_init(&embedded, config->data_dir, config->pg_bindir, config->pg_user,
                             &error) ||
            embedded_pg_start(&embedded, &error)) {
            log_error("daemon.start_failed", "error=\"%s\"", error.message);
            fprintf(stderr, "ccmetricsd: %s\n", error.message);
            embedded_pg_stop(&embedded, 30);
            embedded_pg_free(&embedded);
            return 1;
        }
        have_embedded = true;
    }
    dsn = config_database_dsn(config);
    conn = PQconnectdb(dsn);
    if (PQstatus(conn) != CONNECTION_OK || migrate_apply(conn, &error) < 0) {
        const char *why = PQstatus(conn) != CONNECTION_OK ? PQerrorMessage(conn) : error.message;
        fprintf(stderr, "ccmetricsd: database start-up failed: %s\n", why);
        log_error("daemon.start_failed", "error=\"database start-up failed\"");
        PQfinish(conn);
        free(dsn);
        if (have_embedded) {
            embedded_pg_stop(&embedded, 30);
            embedded_pg_free(&embedded);
        }
        return 1;
    }
    PQfinish(conn);

    server.base = main_event_base_new();
    server.writer = db_pool_new(server.base, dsn, 2, "writer");
    server.readers = db_pool_new(server.base, dsn, config->db_readers, "readers");
    server.tenants = tenant_registry_new(server.readers);
    server.ingest = ingest_new(&server);
    server.lifecycle = server.base ? lifecycle_sweeper_new(&server) : NULL;
    server.live = server.base ? live_new(&server) : NULL;
    server.repeat = server.base ? repeat_finalizer_new(&server, dsn) : NULL;
    server.alerts = server.base ? alert_evaluator_new(&server, dsn) : NULL;
    server.webhooks = server.base ? webhook_sender_new(&server) : NULL;
    server.exports = server.base ? export_worker_new(&server) : NULL;
    server.publisher = server.base ? publisher_new(&server) : NULL;
    server.limiter = malloc(sizeof *server.limiter);
    if (server.limiter)
        rate_limiter_init(server.limiter);
    server.metrics = calloc(1, sizeof *server.metrics);
    if (server.metrics)
        daemon_metrics_init(server.metrics);
    server.dashboards = dashboards_new(config->dashboards_dir && *config->dashboards_dir
                                           ? config->dashboards_dir
                                           : dashboards_default_directory());
    free(dsn);
    if (server.base && config->queue_log_path && *config->queue_log_path) {
        server.queue_log = queue_log_follower_new(&server);
        if (!server.queue_log) {
            fprintf(stderr, "ccmetricsd: cannot start following %s\n", config->queue_log_path);
            rc = 1;
            goto done;
        }
    }
    if (!server.base || !server.writer || !server.readers || !server.tenants || !server.ingest ||
        !server.lifecycle || !server.live || !server.repeat || !server.dashboards ||
        !server.alerts || !server.webhooks || !server.exports || !server.publisher ||
        !server.metrics || !server.limiter) {
        fprintf(stderr, "ccmetricsd: out of memory at start-up\n");
        rc = 1;
        goto done;
    }
    if (have_embedded &&
        embedded_pg_supervise(&embedded, server.base, main_on_fatal, &server) != 0) {
        fprintf(stderr, "ccmetricsd: cannot supervise the embedded server\n");
        rc = 1;
        goto done;
    }
    shutdown.server = &server;
    for (int i = 0; i < 3; i++) {
        signals[i] = evsignal_new(server.base, signal_numbers[i], main_on_signal, &shutdown);
        event_add(signals[i], NULL);
    }
#ifdef CCM_HAVE_SYSTEMD
    if (sd_watchdog_enabled(0, &watchdog_usec) > 0 && watchdog_usec > 0) {
        struct timeval every = {(long)(watchdog_usec / 2000000),
                                (long)((watchdog_usec / 2) % 1000000)};
        watchdog = event_new(server.base, -1, EV_PERSIST, main_on_watchdog, NULL);
        event_add(watchdog, &every);
    }
#endif
    (void)watchdog_usec;
    (void)main_on_watchdog;

    startup.server = &server;
    startup.timer = evtimer_new(server.base, main_on_startup_tick, &startup);
    if (!startup.timer) {
        rc = 1;
        goto done;
    }
    main_on_startup_tick(-1, 0, &startup);

    event_base_dispatch(server.base);
    rc = main_fatal || startup.rc ? 1 : 0;

done:
    /* Streams end first; then the pools finish what is in flight (their
     * callbacks still reach ingest, the live view, the sweeper and HTTP
     * requests), and only then go the owners of those callbacks. */
    live_free(server.live);
    export_worker_free(server.exports); /* answers the workbooks in flight */
    db_pool_free(server.writer);
    db_pool_free(server.readers);
    /* After the pools: their last callbacks (claims, records, publishing) still reach
     * these, and see the daemon shutting down. */
    publisher_free(server.publisher);
    webhook_sender_free(server.webhooks); /* transfers in flight: their leases expire */
    ingest_free(server.ingest);
    lifecycle_sweeper_free(server.lifecycle);
    repeat_finalizer_free(server.repeat);
    alert_evaluator_free(server.alerts);
    dashboards_free(server.dashboards);
    queue_log_follower_free(server.queue_log);
    tenant_registry_free(server.tenants);
    if (server.connection_watch)
        event_free(server.connection_watch);
    if (server.http)
        evhttp_free(server.http);
    for (int i = 0; i < 3; i++)
        if (signals[i])
            event_free(signals[i]);
    if (shutdown.timer)
        event_free(shutdown.timer);
    if (watchdog)
        event_free(watchdog);
    if (startup.timer)
        event_free(startup.timer);
    if (server.base)
        event_base_free(server.base);
    free(server.metrics);
    free(server.limiter);
    if (have_embedded) {
        embedded_pg_stop(&embedded, 30);
        embedded_pg_free(&embedded);
    }
    curl_global_cleanup();
    log_info("daemon.stopped", "exit=%d", rc);
    return rc;
}

int main(int argc, char **argv)
{
    enum {
        OPT_CONFIG = 256,
        OPT_DATA_DIR,
        OPT_LISTEN,
        OPT_DATABASE,
        OPT_LOG_LEVEL,
        OPT_WEBHOOK_ALLOW,
        OPT_TENANT,
        OPT_SCOPES,
        OPT_TIME_ZONE,
        OPT_FY_START,
        OPT_SCOPE,
        OPT_FY,
        OPT_FORMAT,
        OPT_PROFILE,
        OPT_CHANNEL,
        OPT_OUTPUT,
        OPT_HELP,
        OPT_VERSION,
    };
    static const struct option options[] = {
        {"config", required_argument, NULL, OPT_CONFIG},
        {"data-dir", required_argument, NULL, OPT_DATA_DIR},
        {"listen", required_argument, NULL, OPT_LISTEN},
        {"database", required_argument, NULL, OPT_DATABASE},
        {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
        {"webhook-allow", required_argument, NULL, OPT_WEBHOOK_ALLOW},
        {"tenant", required_argument, NULL, OPT_TENANT},
        {"scopes", required_argument, NULL, OPT_SCOPES},
        {"time-zone", required_argument, NULL, OPT_TIME_ZONE},
        {"fy-start-month", required_argument, NULL, OPT_FY_START},
        {"scope", required_argument, NULL, OPT_SCOPE},
        {"fy", required_argument, NULL, OPT_FY},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"profile", required_argument, NULL, OPT_PROFILE},
        {"channel", required_argument, NULL, OPT_CHANNEL},
        {"output", required_argument, NULL, OPT_OUTPUT},
        {"help", no_argument, NULL, OPT_HELP},
        {"version", no_argument, NULL, OPT_VERSION},
        {NULL, 0, NULL, 0},
    };
    /* Options are applied after the config file, whatever their order. */
    const char *overrides[8] = {0};
    const char *override_keys[8] = {"data_dir", "listen", "database", "log_level"};
    const char *webhook_allow[CONFIG_MAX_WEBHOOK_ALLOW];
    int webhook_allow_count = 0;
    const char *config_file = NULL, *tenant = NULL, *scopes = NULL;
    const char *time_zone = "Europe/London";
    long fy_start_month = 4;
    const char *export_scopes[EXPORT_SCOPES_MAX + 1];
    size_t export_scope_count = 0;
    const char *fy = NULL, *format = NULL, *profile = NULL, *output = NULL, *channel = NULL;
    const char *command = NULL, *subcommand = NULL;
    struct config config;
    struct ccm_error error;
    int option, rc, level;

    /* Subcommand words come first: `ccmetricsd token create ...`. */
    if (argc > 1 && argv[1][0] != '-') {
        command = argv[1];
        argv++;
        argc--;
        if (strcmp(command, "token") == 0 && argc > 1 && argv[1][0] != '-') {
            subcommand = argv[1];
            argv++;
            argc--;
        }
    }
    while ((option = getopt_long(argc, argv, "o:", options, NULL)) != -1) {
        switch (option) {
        case OPT_CONFIG:
            config_file = optarg;
            break;
        case OPT_DATA_DIR:
        case OPT_LISTEN:
        case OPT_DATABASE:
        case OPT_LOG_LEVEL:
            overrides[option - OPT_DATA_DIR] = optarg;
            break;
        case OPT_WEBHOOK_ALLOW:
            if (webhook_allow_count < CONFIG_MAX_WEBHOOK_ALLOW)
                webhook_allow[webhook_allow_count++] = optarg;
            break;
        case OPT_TENANT:
            tenant = optarg;
            break;
        case OPT_SCOPES:
            scopes = optarg;
            break;
        case OPT_TIME_ZONE:
            time_zone = optarg;
            break;
        case OPT_FY_START:
            fy_start_month = strtol(optarg, NULL, 10);
            if (fy_start_month < 1 || fy_start_month > 12) {
                fprintf(stderr, "ccmetricsd: --fy-start-month must be 1..12\n");
                return 2;
            }
            break;
        case OPT_SCOPE:
            if (export_scope_count <= EXPORT_SCOPES_MAX)
                export_scopes[export_scope_count++] = optarg;
            break;
        case OPT_FY:
            fy = optarg;
            break;
        case OPT_FORMAT:
            format = optarg;
            break;
        case OPT_PROFILE:
            profile = optarg;
            break;
        case OPT_CHANNEL:
            channel = optarg;
            break;
        case 'o':
        case OPT_OUTPUT:
            output = optarg;
            break;
        case OPT_HELP:
            main_usage(stdout);
            return 0;
        case OPT_VERSION:
            printf("ccmetricsd %s\n", CCM_VERSION);
            return 0;
        default:
            main_usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "ccmetricsd: unexpected argument \"%s\" (see --help)\n", argv[optind]);
        return 2;
    }

    config_init(&config);
    if (config_file) {
        if (config_load_file(&config, config_file, &error)) {
            fprintf(stderr, "ccmetricsd: %s\n", error.message);
            config_free(&config);
            return 2;
        }
        config.config_file = strdup(config_file);
    }
    for (int i = 0; i < 4; i++)
        if (overrides[i] && config_set(&config, override_keys[i], overrides[i], &error)) {
            fprintf(stderr, "ccmetricsd: %s\n", error.message);
            config_free(&config);
            return 2;
        }
    for (int i = 0; i < webhook_allow_count; i++)
        config_set(&config, "webhook_allow", webhook_allow[i], NULL);
    if (config_validate(&config, &error)) {
        fprintf(stderr, "ccmetricsd: %s\n", error.message);
        config_free(&config);
        return 2;
    }
    level = log_level_from_name(config.log_level);
    log_set_level(level < 0 ? LOG_LEVEL_INFO : (enum log_level)level);
    if (main_make_absolute(&config)) {
        config_free(&config);
        return 1;
    }

    if (!command) {
        rc = main_run_daemon(&config);
    } else if (strcmp(command, "token") == 0 && subcommand && strcmp(subcommand, "create") == 0) {
        rc = cli_token_create(&config, tenant, scopes, time_zone, (int)fy_start_month);
    } else if (strcmp(command, "rebuild") == 0) {
        rc = cli_rebuild(&config, tenant);
    } else if (strcmp(command, "export") == 0) {
        rc = cli_export(&config, tenant, export_scopes, export_scope_count, fy, format, profile,
                        channel, output);
    } else {
        fprintf(stderr, "ccmetricsd: unknown command \"%s%s%s\" (see --help)\n", command,
                subcommand ? " " : "", subcommand ? subcommand : "");
        rc = 2;
    }
    config_free(&config);
    return rc;
}
