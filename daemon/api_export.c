/*
 * api_export: the financial-year exports (issue 6): GET /v1/exports/monthly in
 * csv, xlsx, html and json; export profiles (PUT /v1/export-profiles/NAME, GET
 * /v1/export-profiles); commentary (PUT/GET /v1/commentary); publishing months
 * (POST/GET /v1/publications). Owns struct export_worker: the thread-and-pipe
 * pair that writes workbooks off the event loop (libxlsxwriter writes files).
 */
#include "api_export.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "clock.h"
#include "api.h"
#include "calendar.h"
#include "config.h"
#include "db.h"
#include "export_query.h"
#include "export_xlsx.h"
#include "http.h"
#include "log.h"
#include "server.h"
#include "tenant.h"

/* One workbook being written on a thread. */
struct export_job {
    struct export_worker *worker;
    pthread_t thread;
    TAILQ_ENTRY(export_job) link;
    struct http_call *call;
    struct export_table *tables;
    size_t count;
    char title[200];
    char filename[200];
    char directory[1024];
    char *bytes; /* the workbook, read back */
    size_t length;
    bool write_files; /* publishing: every format into `directory`, no HTTP answer */
    struct ccm_error error;
    int rc;
};

struct export_worker {
    struct server *server;
    int pipe_fds[2]; /* a finished job's pointer goes through it to the loop */
    struct event *done;
    TAILQ_HEAD(, export_job) jobs;
};

/* One GET /v1/exports/monthly until the database answers. */
struct api_export_call {
    struct http_call *call;
    struct export_query query;
    char format[8];
};

static void api_export_job_free(struct export_job *job)
{
    export_query_tables_free(job->tables, job->count);
    free(job->bytes);
    free(job);
}

/* mkdir -p */
static int export_make_directories(const char *path)
{
    char partial[1200];
    for (const char *p = path + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            snprintf(partial, sizeof partial, "%.*s", (int)(p - path), path);
            if (mkdir(partial, 0750) != 0 && errno != EEXIST)
                return -1;
            if (*p == '\0')
                return 0;
        }
    }
}

/* Write `bytes` to directory/name through a temporary file and a rename, so a
 * reader never sees half a file. */
static int export_write_file(const char *directory, const char *name, const char *bytes,
                             size_t length, struct ccm_error *error)
{
    char path[1300], temporary[1320];
    snprintf(path, sizeof path, "%s/%s", directory, name);
    snprintf(temporary, sizeof temporary, "%s.partial", path);
    FILE *file = fopen(temporary, "wb");
    if (!file || fwrite(bytes, 1, length, file) != length || fclose(file) != 0) {
        if (file)
            fclose(file);
        unlink(temporary);
        return ccm_error_set(error, "cannot write %s: %s", path, strerror(errno));
    }
    if (rename(temporary, path) != 0)
        return ccm_error_set(error, "cannot rename %s: %s", temporary, strerror(errno));
    return 0;
}

static void export_job_write_files(struct export_job *job)
{
    struct text_buffer text;
    char path[1300], temporary[1320];

    if (export_make_directories(job->directory)) {
        job->rc =
            ccm_error_set(&job->error, "cannot create %s: %s", job->directory, strerror(errno));
        return;
    }
    text_buffer_init(&text);
    export_render_csv(job->tables, job->count, &text);
    job->rc = export_write_file(job->directory, "performance.csv", text.data ? text.data : "",
                                text.length, &job->error);
    text_buffer_reset(&text);
    export_render_html(job->tables, job->count, job->title, &text);
    if (!job->rc)
        job->rc = export_write_file(job->directory, "performance.html", text.data, text.length,
                                    &job->error);
    text_buffer_reset(&text);
    json_t *body = export_render_json(job->tables, job->count);
    char *dumped = json_dumps(body, JSON_INDENT(2));
    json_decref(body);
    if (!job->rc)
        job->rc = export_write_file(job->directory, "performance.json", dumped ? dumped : "{}",
                                    dumped ? strlen(dumped) : 2, &job->error);
    free(dumped);
    text_buffer_free(&text);
    snprintf(path, sizeof path, "%s/performance.xlsx", job->directory);
    snprintf(temporary, sizeof temporary, "%s.partial", path);
    if (!job->rc &&
        (job->rc = export_xlsx_write(job->tables, job->count, job->title, temporary, job->directory,
                                     &job->error)) == 0 &&
        rename(temporary, path) != 0)
        job->rc = ccm_error_set(&job->error, "cannot rename %s", temporary);
}

static void *export_job_run(void *argument)
{
    struct export_job *job = argument;
    char path[1100];
    int fd;

    if (job->write_files) {
        export_job_write_files(job);
        while (write(job->worker->pipe_fds[1], &job, sizeof job) < 0 && errno == EINTR)
            ;
        return NULL;
    }

    snprintf(path, sizeof path, "%s/export-XXXXXX", job->directory);
    fd = mkstemp(path);
    if (fd < 0) {
        job->rc = ccm_error_set(&job->error, "cannot create a temporary file: %s", strerror(errno));
    } else {
        close(fd);
        job->rc = export_xlsx_write(job->tables, job->count, job->title, path, job->directory,
                                    &job->error);
        if (job->rc == 0) {
            FILE *file = fopen(path, "rb");
            struct stat info;
            if (!file || fstat(fileno(file), &info) != 0 ||
                !(job->bytes = malloc((size_t)info.st_size + 1)) ||
                fread(job->bytes, 1, (size_t)info.st_size, file) != (size_t)info.st_size)
                job->rc = ccm_error_set(&job->error, "cannot read the workbook back");
            else
                job->length = (size_t)info.st_size;
            if (file)
                fclose(file);
        }
        unlink(path);
    }
    /* A pointer is less than PIPE_BUF: the write is whole. */
    while (write(job->worker->pipe_fds[1], &job, sizeof job) < 0 && errno == EINTR)
        ;
    return NULL;
}

static void export_job_reply(struct export_job *job)
{
    struct http_call *call = job->call;
    if (job->write_files) {
        if (job->rc)
            log_warn("publish.files_failed", "error=\"%s\"", job->error.message);
        else
            log_info("publish.files", "directory=\"%s\"", job->directory);
        return;
    }
    if (job->rc) {
        log_warn("export.xlsx_failed", "error=\"%s\"", job->error.message);
        http_reply_error(call, 500, "export_failed", "the workbook could not be written", NULL);
        return;
    }
    struct evkeyvalq *headers = evhttp_request_get_output_headers(call->request);
    char disposition[300];
    evhttp_add_header(headers, "Content-Type",
                      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    snprintf(disposition, sizeof disposition, "attachment; filename=\"%s\"", job->filename);
    evhttp_add_header(headers, "Content-Disposition", disposition);
    evbuffer_add(evhttp_request_get_output_buffer(call->request), job->bytes, job->length);
    http_reply(call, 200);
}

static void export_worker_on_done(evutil_socket_t fd, short what, void *argument)
{
    struct export_worker *worker = argument;
    struct export_job *job;
    (void)what;
    while (read(fd, &job, sizeof job) == (ssize_t)sizeof job) {
        pthread_join(job->thread, NULL);
        TAILQ_REMOVE(&worker->jobs, job, link);
        export_job_reply(job);
        api_export_job_free(job);
    }
}

struct export_worker *export_worker_new(struct server *server)
{
    struct export_worker *worker = calloc(1, sizeof *worker);
    if (!worker)
        return NULL;
    worker->server = server;
    TAILQ_INIT(&worker->jobs);
    if (pipe2(worker->pipe_fds, O_CLOEXEC | O_NONBLOCK) != 0) {
        free(worker);
        return NULL;
    }
    worker->done = event_new(server->base, worker->pipe_fds[0], EV_READ | EV_PERSIST,
                             export_worker_on_done, worker);
    if (!worker->done) {
        export_worker_free(worker);
        return NULL;
    }
    event_add(worker->done, NULL);
    return worker;
}

int export_worker_write_files(struct export_worker *worker, struct export_table *tables,
                              size_t count, const char *title, const char *directory)
{
    struct export_job *job = calloc(1, sizeof *job);
    if (!job)
        return -1;
    job->worker = worker;
    job->write_files = true;
    job->tables = tables;
    job->count = count;
    snprintf(job->title, sizeof job->title, "%s", title);
    snprintf(job->directory, sizeof job->directory, "%s", directory);
    TAILQ_INSERT_TAIL(&worker->jobs, job, link);
    if (pthread_create(&job->thread, NULL, export_job_run, job) != 0) {
        TAILQ_REMOVE(&worker->jobs, job, link);
        job->tables = NULL; /* the caller keeps them */
        free(job);
        return -1;
    }
    return 0;
}

void export_worker_free(struct export_worker *worker)
{
    struct export_job *job;
    if (!worker)
        return;
    /* Jobs are short (a few tables): wait for them, and answer them. */
    while ((job = TAILQ_FIRST(&worker->jobs))) {
        pthread_join(job->thread, NULL);
        struct export_job *sent;
        if (read(worker->pipe_fds[0], &sent, sizeof sent) != (ssize_t)sizeof sent)
            sent = job;
        TAILQ_REMOVE(&worker->jobs, sent, link);
        export_job_reply(sent);
        api_export_job_free(sent);
    }
    if (worker->done)
        event_free(worker->done);
    close(worker->pipe_fds[0]);
    close(worker->pipe_fds[1]);
    free(worker);
}

static void api_export_reply_db_error(struct http_call *call, const struct db_result *result)
{
    http_reply_db_failure(call, result, "query_failed", "the export could not be read");
}

static void api_export_on_result(const struct db_result *result, void *user_data)
{
    struct api_export_call *export = user_data;
    struct http_call *call = export->call;
    struct export_table *tables = NULL;
    struct ccm_error error;
    struct text_buffer text;
    char title[200], filename[200];

    if (!result->ok) {
        api_export_reply_db_error(call, result);
        free(export);
        return;
    }
    if (export_query_tables(&export->query, result->results, &tables, &error)) {
        http_reply_error(call, strstr(error.message, "profile") ? 404 : 500, "export_failed",
                         error.message, NULL);
        free(export);
        return;
    }
    snprintf(title, sizeof title, "%s: contact centre performance %d-%02d", call->tenant->name,
             export->query.fy, (export->query.fy + 1) % 100);
    snprintf(filename, sizeof filename, "ccmetrics-%s-%d-%02d.%s", call->tenant->name,
             export->query.fy, (export->query.fy + 1) % 100, export->format);
    if (strcmp(export->format, "xlsx") == 0) {
        struct export_job *job = calloc(1, sizeof *job);
        struct export_worker *worker = call->server->exports;
        if (!job) {
            export_query_tables_free(tables, export->query.scope_count);
            http_reply_error(call, 503, "out_of_memory", "out of memory", NULL);
            free(export);
            return;
        }
        job->worker = worker;
        job->call = call;
        job->tables = tables;
        job->count = export->query.scope_count;
        snprintf(job->title, sizeof job->title, "%s", title);
        snprintf(job->filename, sizeof job->filename, "%s", filename);
        snprintf(job->directory, sizeof job->directory, "%s/tmp", call->server->config->data_dir);
        mkdir(job->directory, 0700);
        TAILQ_INSERT_TAIL(&worker->jobs, job, link);
        if (pthread_create(&job->thread, NULL, export_job_run, job) != 0) {
            TAILQ_REMOVE(&worker->jobs, job, link);
            api_export_job_free(job);
            http_reply_error(call, 503, "busy", "no thread for the workbook; retry", NULL);
        }
        free(export);
        return;
    }
    if (strcmp(export->format, "json") == 0) {
        json_t *body = export_render_json(tables, export->query.scope_count);
        json_object_set_new(body, "title", json_string(title));
        export_query_tables_free(tables, export->query.scope_count);
        http_reply_json(call, 200, body);
        free(export);
        return;
    }
    text_buffer_init(&text);
    struct evkeyvalq *headers = evhttp_request_get_output_headers(call->request);
    if (strcmp(export->format, "csv") == 0) {
        char disposition[300];
        export_render_csv(tables, export->query.scope_count, &text);
        evhttp_add_header(headers, "Content-Type", "text/csv; charset=utf-8; header=present");
        snprintf(disposition, sizeof disposition, "attachment; filename=\"%s\"", filename);
        evhttp_add_header(headers, "Content-Disposition", disposition);
    } else {
        export_render_html(tables, export->query.scope_count, title, &text);
        evhttp_add_header(headers, "Content-Type", "text/html; charset=utf-8");
        /* Its own inline style and SVG, nothing else: no script, no fetch. */
        evhttp_add_header(headers, "Content-Security-Policy",
                          "default-src 'none'; style-src 'unsafe-inline'; img-src data:");
        evhttp_add_header(headers, "X-Content-Type-Options", "nosniff");
    }
    export_query_tables_free(tables, export->query.scope_count);
    if (text.failed) {
        text_buffer_free(&text);
        http_reply_error(call, 503, "out_of_memory", "out of memory", NULL);
        free(export);
        return;
    }
    evbuffer_add(evhttp_request_get_output_buffer(call->request), text.data, text.length);
    text_buffer_free(&text);
    http_reply(call, 200);
    free(export);
}

/* GET /v1/exports/monthly?scope=S[&scope=S2...]&fy=YYYY&format=...[&profile=NAME] */
void api_exports_monthly_get(struct http_call *call)
{
    struct api_export_call *export = calloc(1, sizeof *export);
    struct db_statement statements[DB_MAX_STATEMENTS];
    const char *scopes[EXPORT_SCOPES_MAX + 1];
    const char *format = http_query(call, "format");
    struct evkeyval *parameter;
    size_t scope_count = 0;
    struct ccm_error error;

    if (!export) {
        http_reply_error(call, 503, "out_of_memory", "out of memory", NULL);
        return;
    }
    export->call = call;
    TAILQ_FOREACH(parameter, &call->query, next)
    if (strcmp(parameter->key, "scope") == 0 && scope_count <= EXPORT_SCOPES_MAX)
        scopes[scope_count++] = parameter->value;
    if (!format)
        format = "json";
    if (strcmp(format, "csv") && strcmp(format, "xlsx") && strcmp(format, "html") &&
        strcmp(format, "json")) {
        free(export);
        http_reply_error(call, 400, "bad_format", "format must be csv, xlsx, html or json", NULL);
        return;
    }
    snprintf(export->format, sizeof export->format, "%s", format);
    if (export_query_init(&export->query, call->tenant->id, &call->tenant->tz,
                          call->tenant->fy_start_month, clock_now_us(), scopes, scope_count,
                          http_query(call, "fy"), http_query(call, "profile"), &error) ||
        (http_query(call, "channel") &&
         export_query_set_channel(&export->query, http_query(call, "channel"), &error))) {
        free(export);
        http_reply_error(call, 400, "bad_export", error.message, NULL);
        return;
    }
    int count = export_query_statements(&export->query, statements);
    if (db_pool_submit(call->server->readers, statements, count, api_export_on_result, export)) {
        free(export);
        http_reply_error(call, 503, "out_of_memory", "out of memory", NULL);
    }
}

/* ---- profiles, commentary, publications: small statements answering JSON ---- */

struct api_export_small {
    struct http_call *call;
    int status;
    char *texts[6];
};

static void api_export_small_free(struct api_export_small *small)
{
    for (int i = 0; i < 6; i++)
        free(small->texts[i]);
    free(small);
}

static void api_export_on_small(const struct db_result *result, void *user_data)
{
    struct api_export_small *small = user_data;
    struct http_call *call = small->call;
    json_t *body = NULL;

    if (!result->ok) {
        if (strcmp(result->sqlstate, "23505") == 0)
            http_reply_error(call, 409, "already_published", result->error, NULL);
        else
            api_export_reply_db_error(call, result);
        api_export_small_free(small);
        return;
    }
    PGresult *rows = result->results[result->result_count - 1];
    if (PQntuples(rows) == 1 && !PQgetisnull(rows, 0, 0))
        body = json_loads(PQgetvalue(rows, 0, 0), 0, NULL);
    if (!body)
        http_reply_error(call, 404, "not_found", "no such profile", NULL);
    else
        http_reply_json(call, small->status, body);
    api_export_small_free(small);
}

/* Sends the statements; 503 when a parameter copied for them (texts[0..texts)) could
 * not be made (out of memory): a NULL would read as SQL NULL and change the meaning. */
static void api_export_submit(struct http_call *call, struct api_export_small *small,
                              struct db_statement *statements, int count, int texts)
{
    bool complete = true;
    for (int i = 0; i < texts; i++)
        complete = complete && small->texts[i] != NULL;
    if (!complete ||
        db_pool_submit(call->server->readers, statements, count, api_export_on_small, small)) {
        http_reply_error(call, 503, "out_of_memory", "out of memory", NULL);
        api_export_small_free(small);
    }
}

static struct api_export_small *api_export_small_new(struct http_call *call, int status)
{
    struct api_export_small *small = calloc(1, sizeof *small);
    if (!small)
        http_reply_error(call, 503, "out_of_memory", "out of memory", NULL);
    else {
        small->call = call;
        small->status = status;
    }
    return small;
}

/* PUT /v1/export-profiles/NAME {"kpis": [...]} */
void api_export_profile_put(struct http_call *call)
{
    const char *name = call->path + strlen("/v1/export-profiles/");
    struct export_profile profile;
    struct ccm_error error;
    struct db_statement statement = {0};
    struct api_export_small *small;
    json_t *body;

    if (!*name || strlen(name) >= sizeof profile.name || strchr(name, '/')) {
        http_reply_error(call, 400, "bad_profile", "a profile name is 1-63 bytes without '/'",
                         NULL);
        return;
    }
    if (!(body = http_body_json_object(call)))
        return;
    snprintf(profile.name, sizeof profile.name, "%s", name);
    if (export_profile_parse(&profile, body, &error)) {
        json_decref(body);
        http_reply_error(call, 422, "invalid_profile", error.message, NULL);
        return;
    }
    if (!(small = api_export_small_new(call, 200))) {
        json_decref(body);
        return;
    }
    small->texts[0] = strdup(name);
    small->texts[1] = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    statement.sql = "INSERT INTO export_profiles (tenant_id, name, definition) VALUES ($1, $2,"
                    " $3::jsonb) ON CONFLICT (tenant_id, name) DO UPDATE SET definition ="
                    " excluded.definition, updated_at = now()"
                    " RETURNING json_build_object('name', name, 'kpis', definition->'kpis')::text";
    statement.param_count = 3;
    statement.params[0] = call->tenant->id_text;
    statement.params[1] = small->texts[0];
    statement.params[2] = small->texts[1];
    api_export_submit(call, small, &statement, 1, 2);
}

void api_export_profiles_get(struct http_call *call)
{
    struct db_statement statement = {0};
    struct api_export_small *small = api_export_small_new(call, 200);
    if (!small)
        return;
    statement.sql = "SELECT json_build_object('profiles', coalesce(json_agg(json_build_object("
                    "'name', name, 'kpis', definition->'kpis') ORDER BY name), '[]'::json))::text"
                    " FROM export_profiles WHERE tenant_id = $1";
    statement.param_count = 1;
    statement.params[0] = call->tenant->id_text;
    api_export_submit(call, small, &statement, 1, 0);
}

/* PUT /v1/commentary {"scope", "kpi", "month": "YYYY-MM", "text"}: "" removes it. */
void api_commentary_put(struct http_call *call)
{
    struct db_statement statement = {0};
    struct api_export_small *small;
    struct scope scope;
    struct ccm_error error;
    char scope_text[SCOPE_TEXT_MAX], month[16];
    json_t *body = http_body_json_object(call);
    const char *kpi, *month_text, *text, *key;
    json_t *value;
    int32_t day;

    if (!body)
        return;
    json_object_foreach(body, key, value) if (strcmp(key, "scope") && strcmp(key, "kpi") &&
                                              strcmp(key, "month") && strcmp(key, "text"))
    {
        ccm_error_set(&error, "unknown key \"%.40s\" (known: scope, kpi, month, text)", key);
        goto invalid;
    }
    kpi = json_string_value(json_object_get(body, "kpi"));
    month_text = json_string_value(json_object_get(body, "month"));
    text = json_string_value(json_object_get(body, "text"));
    if (!json_is_string(json_object_get(body, "scope")) ||
        scope_parse(json_string_value(json_object_get(body, "scope")), &scope, &error)) {
        if (!json_is_string(json_object_get(body, "scope")))
            ccm_error_set(&error, "scope is required");
        goto invalid;
    }
    if (!kpi || kpi_from_name(kpi) < 0) {
        ccm_error_set(&error, "kpi must be a KPI key of the definitions");
        goto invalid;
    }
    snprintf(month, sizeof month, "%.7s-01", month_text ? month_text : "");
    if (!month_text || strlen(month_text) != 7 || calendar_parse_date(month, 10, &day, NULL)) {
        ccm_error_set(&error, "month must be YYYY-MM");
        goto invalid;
    }
    if (!text || strlen(text) > 1500) {
        ccm_error_set(&error, "text must be a string of at most 1,500 bytes (\"\" removes the "
                              "commentary)");
        goto invalid;
    }
    if (!(small = api_export_small_new(call, 200))) {
        json_decref(body);
        return;
    }
    scope_format(&scope, scope_text, sizeof scope_text);
    small->texts[0] = strdup(scope_text);
    small->texts[1] = strdup(kpi);
    small->texts[2] = strdup(month);
    small->texts[3] = strdup(text);
    json_decref(body);
    statement.sql =
        "WITH removed AS (DELETE FROM commentary WHERE $5 = '' AND tenant_id = $1 AND scope = $2"
        " AND kpi = $3 AND month = $4::date),"
        " stored AS (INSERT INTO commentary (tenant_id, scope, kpi, month, text)"
        " SELECT $1, $2, $3, $4::date, $5 WHERE $5 <> ''"
        " ON CONFLICT (tenant_id, scope, kpi, month) DO UPDATE SET text = excluded.text,"
        " updated_at = now())"
        " SELECT json_build_object('scope', $2::text, 'kpi', $3::text, 'month',"
        " to_char($4::date, 'YYYY-MM'), 'text', nullif($5, ''))::text";
    statement.param_count = 5;
    statement.params[0] = call->tenant->id_text;
    for (int i = 0; i < 4; i++)
        statement.params[1 + i] = small->texts[i];
    api_export_submit(call, small, &statement, 1, 4);
    return;
invalid:
    json_decref(body);
    http_reply_error(call, 422, "invalid_commentary", error.message, NULL);
}

/* GET /v1/commentary?scope=S[&fy=YYYY] */
void api_commentary_get(struct http_call *call)
{
    struct db_statement statement = {0};
    struct api_export_small *small;
    struct scope scope;
    struct ccm_error error;
    char scope_text[SCOPE_TEXT_MAX];

    if (scope_parse(http_query(call, "scope"), &scope, &error)) {
        http_reply_error(call, 400, "bad_scope", error.message, NULL);
        return;
    }
    if (!(small = api_export_small_new(call, 200)))
        return;
    scope_format(&scope, scope_text, sizeof scope_text);
    small->texts[0] = strdup(scope_text);
    statement.sql = "SELECT json_build_object('scope', $2::text, 'commentary',"
                    " coalesce(json_agg(json_build_object('kpi', kpi, 'month',"
                    " to_char(month, 'YYYY-MM'), 'text', text, 'updated_at',"
                    " ccm_utc_text(updated_at)) ORDER BY month, kpi), '[]'::json))::text"
                    " FROM commentary WHERE tenant_id = $1 AND scope = $2";
    statement.param_count = 2;
    statement.params[0] = call->tenant->id_text;
    statement.params[1] = small->texts[0];
    api_export_submit(call, small, &statement, 1, 1);
}

/* POST /v1/publications {"month": "YYYY-MM"}: freeze a finished month. */
void api_publications_post(struct http_call *call)
{
    struct db_statement statements[2] = {{0}};
    struct api_export_small *small;
    char month[16];
    json_t *body = http_body_json_object(call);
    const char *month_text;
    int32_t day;

    if (!body)
        return;
    month_text = json_string_value(json_object_get(body, "month"));
    snprintf(month, sizeof month, "%.7s-01", month_text ? month_text : "");
    if (!month_text || strlen(month_text) != 7 || json_object_size(body) != 1 ||
        calendar_parse_date(month, 10, &day, NULL)) {
        json_decref(body);
        http_reply_error(call, 422, "invalid_publication", "give {\"month\": \"YYYY-MM\"}", NULL);
        return;
    }
    json_decref(body);
    int32_t today = tz_local_day(&call->tenant->tz, clock_now_us());
    struct calendar_date next = calendar_civil_from_days(day + 31);
    if (calendar_days_from_civil(next.year, next.month, 1) > today) {
        http_reply_error(call, 422, "month_not_over",
                         "only a month that has ended can be published", NULL);
        return;
    }
    if (!(small = api_export_small_new(call, 201)))
        return;
    small->texts[0] = strdup(month);
    statements[0].sql = "SELECT ccm_publish_month($1, $2::date, false)";
    statements[0].param_count = 2;
    statements[0].params[0] = call->tenant->id_text;
    statements[0].params[1] = small->texts[0];
    statements[1].sql = "SELECT json_build_object('month', to_char(month, 'YYYY-MM'),"
                        " 'published_at', ccm_utc_text(published_at), 'automatic', automatic)::text"
                        " FROM publications WHERE tenant_id = $1 AND month = $2::date";
    statements[1].param_count = 2;
    statements[1].params[0] = call->tenant->id_text;
    statements[1].params[1] = small->texts[0];
    api_export_submit(call, small, statements, 2, 1);
}

void api_publications_get(struct http_call *call)
{
    struct db_statement statement = {0};
    struct api_export_small *small = api_export_small_new(call, 200);
    if (!small)
        return;
    statement.sql = "SELECT json_build_object('publications', coalesce(json_agg(json_build_object("
                    "'month', to_char(month, 'YYYY-MM'), 'published_at',"
                    " ccm_utc_text(published_at), 'automatic', automatic) ORDER BY month),"
                    " '[]'::json))::text FROM publications WHERE tenant_id = $1";
    statement.param_count = 1;
    statement.params[0] = call->tenant->id_text;
    api_export_submit(call, small, &statement, 1, 0);
}
