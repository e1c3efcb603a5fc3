/* config: defaults, config file and option values of ccmetricsd (see config.h). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net_policy.h"

static char *config_strdup(const char *value)
{
    char *copy = strdup(value ? value : "");
    if (!copy) {
        fprintf(stderr, "ccmetricsd: out of memory\n");
        exit(1);
    }
    return copy;
}

static void config_replace(char **slot, const char *value)
{
    free(*slot);
    *slot = value ? config_strdup(value) : NULL;
}

void config_init(struct config *config)
{
    memset(config, 0, sizeof *config);
    config->data_dir = config_strdup(geteuid() == 0 ? "/var/lib/ccmetrics" : "./var");
    config->listen = config_strdup("127.0.0.1:8080");
    config->log_level = config_strdup("info");
    config->pg_user = config_strdup("ccmetrics");
    config->db_readers = 3;
    config->max_body_bytes = 32u * 1024 * 1024;
    config->max_header_bytes = 16u * 1024;
    config->http_timeout_s = 60;
    config->ingest_max_rows = 20000;
    config->lifecycle_max_open_s = 4 * 3600;
    config->repeat_finalize_interval_s = 60;
    config->alert_evaluate_interval_s = 10;
    config->webhook_timeout_s = 10;
    config->webhook_disable_after_s = 3 * 86400;
    config->webhook_retry_base_s = 30;
    config->publish_check_interval_s = 3600;
    config->rate_limit_per_s = 1000;
    config->rate_limit_burst = 5000;
    config->max_connections = 16384;
}

void config_free(struct config *config)
{
    free(config->config_file);
    free(config->data_dir);
    free(config->listen);
    free(config->database);
    free(config->log_level);
    free(config->pg_bindir);
    free(config->pg_user);
    free(config->queue_log_path);
    free(config->queue_log_tenant);
    free(config->dashboards_dir);
    free(config->public_url);
    free(config->publish_dir);
    for (int i = 0; i < config->webhook_allow_count; i++)
        free(config->webhook_allow[i]);
    memset(config, 0, sizeof *config);
}

static int config_parse_long(const char *key, const char *value, long minimum, long maximum,
                             long *out, struct ccm_error *error)
{
    char *end;
    long parsed;

    errno = 0;
    parsed = strtol(value, &end, 10);
    if (errno || end == value || *end || parsed < minimum || parsed > maximum)
        return ccm_error_set(error, "%s must be a whole number from %ld to %ld, not \"%s\"", key,
                             minimum, maximum, value);
    *out = parsed;
    return 0;
}

int config_set(struct config *config, const char *key, const char *value, struct ccm_error *error)
{
    long number;

    if (strcmp(key, "data_dir") == 0) {
        config_replace(&config->data_dir, value);
    } else if (strcmp(key, "listen") == 0) {
        config_replace(&config->listen, value);
    } else if (strcmp(key, "database") == 0) {
        config_replace(&config->database, value);
    } else if (strcmp(key, "log_level") == 0) {
        config_replace(&config->log_level, value);
    } else if (strcmp(key, "pg_bindir") == 0) {
        config_replace(&config->pg_bindir, value);
    } else if (strcmp(key, "pg_user") == 0) {
        config_replace(&config->pg_user, value);
    } else if (strcmp(key, "db_readers") == 0) {
        if (config_parse_long(key, value, 1, 64, &number, error))
            return -1;
        config->db_readers = (int)number;
    } else if (strcmp(key, "max_body_bytes") == 0) {
        if (config_parse_long(key, value, 1024, 1L << 30, &number, error))
            return -1;
        config->max_body_bytes = (size_t)number;
    } else if (strcmp(key, "max_header_bytes") == 0) {
        if (config_parse_long(key, value, 1024, 1L << 20, &number, error))
            return -1;
        config->max_header_bytes = (size_t)number;
    } else if (strcmp(key, "http_timeout_s") == 0) {
        if (config_parse_long(key, value, 1, 3600, &number, error))
            return -1;
        config->http_timeout_s = (int)number;
    } else if (strcmp(key, "ingest_max_rows") == 0) {
        if (config_parse_long(key, value, 1, 1000000, &number, error))
            return -1;
        config->ingest_max_rows = (int)number;
    } else if (strcmp(key, "lifecycle_max_open_s") == 0) {
        if (config_parse_long(key, value, 1, 7 * 86400, &number, error))
            return -1;
        config->lifecycle_max_open_s = (int)number;
    } else if (strcmp(key, "repeat_finalize_interval_s") == 0) {
        if (config_parse_long(key, value, 0, 86400, &number, error))
            return -1;
        config->repeat_finalize_interval_s = (int)number;
    } else if (strcmp(key, "dashboards_dir") == 0) {
        config_replace(&config->dashboards_dir, value);
    } else if (strcmp(key, "queue_log_path") == 0) {
        config_replace(&config->queue_log_path, value);
    } else if (strcmp(key, "queue_log_tenant") == 0) {
        config_replace(&config->queue_log_tenant, value);
    } else if (strcmp(key, "webhook_allow") == 0) {
        if (config->webhook_allow_count >= CONFIG_MAX_WEBHOOK_ALLOW)
            return ccm_error_set(error, "at most %d webhook_allow networks",
                                 CONFIG_MAX_WEBHOOK_ALLOW);
        config->webhook_allow[config->webhook_allow_count++] = config_strdup(value);
    } else if (strcmp(key, "alert_evaluate_interval_s") == 0) {
        if (config_parse_long(key, value, 0, 10, &number, error))
            return -1;
        config->alert_evaluate_interval_s = (int)number;
    } else if (strcmp(key, "webhook_timeout_s") == 0) {
        if (config_parse_long(key, value, 1, 300, &number, error))
            return -1;
        config->webhook_timeout_s = (int)number;
    } else if (strcmp(key, "webhook_disable_after_s") == 0) {
        if (config_parse_long(key, value, 1, 30L * 86400, &number, error))
            return -1;
        config->webhook_disable_after_s = (int)number;
    } else if (strcmp(key, "webhook_retry_base_s") == 0) {
        if (config_parse_long(key, value, 1, 3600, &number, error))
            return -1;
        config->webhook_retry_base_s = (int)number;
    } else if (strcmp(key, "publish_day") == 0) {
        if (config_parse_long(key, value, 0, 28, &number, error))
            return -1;
        config->publish_day = (int)number;
    } else if (strcmp(key, "publish_check_interval_s") == 0) {
        if (config_parse_long(key, value, 1, 86400, &number, error))
            return -1;
        config->publish_check_interval_s = (int)number;
    } else if (strcmp(key, "rate_limit_per_s") == 0) {
        if (config_parse_long(key, value, 0, 1000000, &number, error))
            return -1;
        config->rate_limit_per_s = (double)number;
    } else if (strcmp(key, "max_connections") == 0) {
        if (config_parse_long(key, value, 16, 1000000, &number, error))
            return -1;
        config->max_connections = (int)number;
    } else if (strcmp(key, "rate_limit_burst") == 0) {
        if (config_parse_long(key, value, 1, 10000000, &number, error))
            return -1;
        config->rate_limit_burst = (double)number;
    } else if (strcmp(key, "publish_dir") == 0) {
        config_replace(&config->publish_dir, value);
    } else if (strcmp(key, "public_url") == 0) {
        config_replace(&config->public_url, value);
    } else {
        return ccm_error_set(error, "unknown setting \"%s\"", key);
    }
    return 0;
}

static char *config_trim(char *text)
{
    char *end;
    while (isspace((unsigned char)*text))
        text++;
    end = text + strlen(text);
    while (end > text && isspace((unsigned char)end[-1]))
        *--end = '\0';
    return text;
}

int config_load_file(struct config *config, const char *path, struct ccm_error *error)
{
    FILE *file = fopen(path, "r");
    char line[4096];
    int line_number = 0;
    struct ccm_error setting_error;

    if (!file)
        return ccm_error_set(error, "cannot open config file %s: %s", path, strerror(errno));
    while (fgets(line, sizeof line, file)) {
        char *text, *equals, *key, *value;
        line_number++;
        text = config_trim(line);
        if (!*text || *text == '#' || *text == ';')
            continue;
        equals = strchr(text, '=');
        if (!equals) {
            fclose(file);
            return ccm_error_set(error, "%s:%d: expected \"key = value\"", path, line_number);
        }
        *equals = '\0';
        key = config_trim(text);
        value = config_trim(equals + 1);
        if (strlen(value) >= 2 && value[0] == '"' && value[strlen(value) - 1] == '"') {
            value[strlen(value) - 1] = '\0';
            value++;
        }
        for (char *p = key; *p; p++)
            if (*p == '-')
                *p = '_';
        if (config_set(config, key, value, &setting_error)) {
            fclose(file);
            return ccm_error_set(error, "%s:%d: %s", path, line_number, setting_error.message);
        }
    }
    fclose(file);
    return 0;
}

int config_validate(const struct config *config, struct ccm_error *error)
{
    const char *colon = strrchr(config->listen, ':');
    if (!colon || colon == config->listen || !colon[1])
        return ccm_error_set(error, "listen must be HOST:PORT, not \"%s\"", config->listen);
    if (strspn(colon + 1, "0123456789") != strlen(colon + 1) || atol(colon + 1) > 65535)
        return ccm_error_set(error, "listen port must be 0..65535, not \"%s\"", colon + 1);
    if (!config->data_dir || !*config->data_dir)
        return ccm_error_set(error, "data_dir must not be empty");
    if (strcmp(config->log_level, "debug") && strcmp(config->log_level, "info") &&
        strcmp(config->log_level, "warn") && strcmp(config->log_level, "error"))
        return ccm_error_set(error, "log_level must be debug, info, warn or error");
    if (config->queue_log_path && *config->queue_log_path &&
        (!config->queue_log_tenant || !*config->queue_log_tenant))
        return ccm_error_set(error, "queue_log_path needs queue_log_tenant: the tenant (as in "
                                    "token create --tenant) its calls belong to");
    struct net_policy policy;
    net_policy_init(&policy);
    for (int i = 0; i < config->webhook_allow_count; i++) {
        struct ccm_error why;
        if (net_policy_allow(&policy, config->webhook_allow[i], &why))
            return ccm_error_set(error, "webhook_allow: %s", why.message);
    }
    if (config->public_url && *config->public_url && strncmp(config->public_url, "http://", 7) &&
        strncmp(config->public_url, "https://", 8))
        return ccm_error_set(error, "public_url must start with http:// or https://");
    return 0;
}

bool config_uses_embedded(const struct config *config)
{
    return !config->database || !*config->database;
}

char *config_database_dsn(const struct config *config)
{
    char *dsn;
    if (!config_uses_embedded(config))
        return config_strdup(config->database);
    if (asprintf(&dsn,
                 "host=%s/run port=5432 dbname=ccmetrics user=ccmetrics "
                 "application_name=ccmetricsd",
                 config->data_dir) < 0)
        return NULL;
    return dsn;
}

void config_print_keys(void)
{
    puts("Config file keys (`key = value`, # comments; options override them):\n"
         "  data_dir, listen, database, log_level, pg_bindir, pg_user, db_readers,\n"
         "  max_body_bytes, max_header_bytes, http_timeout_s,\n"
         "  ingest_max_rows, lifecycle_max_open_s, repeat_finalize_interval_s,\n"
         "  queue_log_path, queue_log_tenant, dashboards_dir,\n"
         "  alert_evaluate_interval_s, webhook_timeout_s, webhook_disable_after_s,\n"
         "  webhook_retry_base_s, public_url, publish_day, publish_dir,\n"
         "  publish_check_interval_s, rate_limit_per_s, rate_limit_burst, max_connections,\n"
         "  webhook_allow (repeatable)");
}

void config_restart_needed(const struct config *running, const struct config *loaded, char *out,
                           size_t size)
{
    struct {
        const char *name;
        const char *was, *now;
    } texts[] = {
        {"listen", running->listen, loaded->listen},
        {"database", running->database, loaded->database},
        {"dashboards_dir", running->dashboards_dir, loaded->dashboards_dir},
        {"public_url", running->public_url, loaded->public_url},
        {"publish_dir", running->publish_dir, loaded->publish_dir},
    };
    struct {
        const char *name;
        long was, now;
    } numbers[] = {
        {"db_readers", running->db_readers, loaded->db_readers},
        {"max_body_bytes", (long)running->max_body_bytes, (long)loaded->max_body_bytes},
        {"max_header_bytes", (long)running->max_header_bytes, (long)loaded->max_header_bytes},
        {"http_timeout_s", running->http_timeout_s, loaded->http_timeout_s},
        {"alert_evaluate_interval_s", running->alert_evaluate_interval_s,
         loaded->alert_evaluate_interval_s},
        {"webhook_timeout_s", running->webhook_timeout_s, loaded->webhook_timeout_s},
        {"publish_day", running->publish_day, loaded->publish_day},
        {"webhook_allow", running->webhook_allow_count, loaded->webhook_allow_count},
    };
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        const char *was = texts[i].was ? texts[i].was : "", *now = texts[i].now ? texts[i].now : "";
        if (strcmp(was, now) != 0 && used + strlen(texts[i].name) + 2 < size)
            used +=
                (size_t)snprintf(out + used, size - used, "%s%s", used ? "," : "", texts[i].name);
    }
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++)
        if (numbers[i].was != numbers[i].now && used + strlen(numbers[i].name) + 2 < size)
            used +=
                (size_t)snprintf(out + used, size - used, "%s%s", used ? "," : "", numbers[i].name);
}
