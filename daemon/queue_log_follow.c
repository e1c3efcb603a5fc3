/*
 * queue_log_follow: follows an Asterisk queue_log file (see queue_log_follow.h).
 */
#include "queue_log_follow.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "db.h"
#include "ingest_arrays.h"
#include "ingest.h"
#include "log.h"
#include "queue_log.h"
#include "server.h"
#include "tenant.h"

#define FOLLOW_CHUNK_BYTES (256 * 1024)
#define FOLLOW_POLL_MS     200  /* how often a quiet file is looked at */
#define FOLLOW_RETRY_MS    1000 /* after a failed store or a missing file */

enum follow_state {
    FOLLOW_FINDING_TENANT,
    FOLLOW_LOADING_POSITION,
    FOLLOW_RUNNING,
};

struct queue_log_follower {
    struct server *server;
    char *path;
    char *source; /* "queue_log:" + path: the key of its position */
    const struct tenant *tenant;
    enum follow_state state;
    struct event *timer;
    bool in_flight;
    bool retiring; /* replaced by a reload: freed when its request in flight returns */

    /* The file being read: the configured path, or its rotated predecessor
     * (path.1) while the lines written before the rotation are drained. */
    int fd;
    char *reading_path;
    long long device, inode;
    long long offset; /* bytes committed */
    long long line;   /* lines committed */
    bool draining_rotated;

    char *buffer; /* FOLLOW_CHUNK_BYTES + 1 */
    char *scratch;
    struct ingest_lifecycle_arrays rows;
    /* The chunk in flight: what its commit advances the position by. */
    long long chunk_bytes, chunk_lines;
    char device_text[24], inode_text[24], offset_text[24], line_text[24];

    struct queue_log_follow_stats stats;
};

static void follow_schedule(struct queue_log_follower *follower, int delay_ms)
{
    struct timeval delay = {delay_ms / 1000, (delay_ms % 1000) * 1000};
    event_del(follower->timer);
    event_add(follower->timer, &delay);
}

static void follow_close(struct queue_log_follower *follower)
{
    if (follower->fd >= 0)
        close(follower->fd);
    follower->fd = -1;
    free(follower->reading_path);
    follower->reading_path = NULL;
}

/* Opens `path`; 0, or -1 (errno) when it is not there (yet). */
static int follow_open(struct queue_log_follower *follower, const char *path)
{
    struct stat info;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (fstat(fd, &info) != 0) {
        close(fd);
        return -1;
    }
    follow_close(follower);
    follower->fd = fd;
    follower->reading_path = strdup(path);
    follower->device = (long long)info.st_dev;
    follower->inode = (long long)info.st_ino;
    return 0;
}

/* ---- storing a chunk */

static void follow_on_stored(const struct db_result *result, void *user_data)
{
    struct queue_log_follower *follower = user_data;
    if (follower->retiring) {
        follower->in_flight = false;
        queue_log_follower_free(follower);
        return;
    }
    char quoted[300];

    follower->in_flight = false;
    if (!result->ok) {
        if (!result->connection_failed)
            log_warn("queue_log.store_failed", "file=%s error=\"%s\"", follower->reading_path,
                     log_quote(result->error, quoted, sizeof quoted));
        follow_schedule(follower, FOLLOW_RETRY_MS); /* the same lines again: idempotent */
        return;
    }
    follower->offset += follower->chunk_bytes;
    follower->line += follower->chunk_lines;
    follower->stats.commits++;
    if (follower->rows.count > 0)
        ingest_contacts_changed(follower->server, follower->tenant);
    /* A full chunk means more is probably waiting: read on at once. */
    follow_schedule(follower, follower->chunk_bytes >= FOLLOW_CHUNK_BYTES / 2 ? 0 : FOLLOW_POLL_MS);
}

/* Stores the lifecycle events of the chunk (if any) and the new position, in one
 * transaction: after a restart reading resumes exactly after the last stored line. */
static void follow_store(struct queue_log_follower *follower, long long new_offset,
                         long long new_line)
{
    static const char *const position_sql =
        "INSERT INTO source_positions (source, tenant_id, device, inode, offset_bytes, line)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (source) DO UPDATE SET"
        " tenant_id = excluded.tenant_id, device = excluded.device, inode = excluded.inode,"
        " offset_bytes = excluded.offset_bytes, line = excluded.line, updated_at = now()";
    struct db_statement statements[2];
    int count = 0;

    memset(statements, 0, sizeof statements);
    if (follower->rows.count > 0 && !ingest_lifecycle_arrays_statement(
                                        &follower->rows, follower->tenant, &statements[count++])) {
        log_error("queue_log.out_of_memory", "file=%s", follower->reading_path);
        follow_schedule(follower, FOLLOW_RETRY_MS);
        return;
    }
    snprintf(follower->device_text, sizeof follower->device_text, "%lld", follower->device);
    snprintf(follower->inode_text, sizeof follower->inode_text, "%lld", follower->inode);
    snprintf(follower->offset_text, sizeof follower->offset_text, "%lld", new_offset);
    snprintf(follower->line_text, sizeof follower->line_text, "%lld", new_line);
    statements[count].sql = position_sql;
    statements[count].prepared_name = "ccm_source_position";
    statements[count].param_count = 6;
    statements[count].params[0] = follower->source;
    statements[count].params[1] = follower->tenant->id_text;
    statements[count].params[2] = follower->device_text;
    statements[count].params[3] = follower->inode_text;
    statements[count].params[4] = follower->offset_text;
    statements[count].params[5] = follower->line_text;
    count++;
    follower->chunk_bytes = new_offset - follower->offset;
    follower->chunk_lines = new_line - follower->line;
    follower->in_flight = true;
    if (db_pool_submit(follower->server->writer, statements, count, follow_on_stored, follower) !=
        0) {
        follower->in_flight = false;
        follow_schedule(follower, FOLLOW_RETRY_MS);
    }
}

/* Starts reading `path` from its beginning (a new or truncated file), and records so. */
static void follow_restart_at(struct queue_log_follower *follower, const char *why)
{
    log_info("queue_log.reset", "file=%s reason=%s previous_offset=%lld previous_line=%lld",
             follower->reading_path, why, follower->offset, follower->line);
    follower->offset = 0;
    follower->line = 0;
    ingest_lifecycle_arrays_begin(&follower->rows);
    follow_store(follower, 0, 0);
}

/* Parses the complete lines of `data` (length bytes ending with '\n') into rows; returns
 * how many lines they were. */
static long long follow_parse_lines(struct queue_log_follower *follower, const char *data,
                                    size_t length, long long first_line)
{
    const char *cursor = data, *end = data + length;
    long long line = first_line;

    while (cursor < end) {
        const char *newline = memchr(cursor, '\n', (size_t)(end - cursor));
        size_t line_length = (size_t)((newline ? newline : end) - cursor);
        struct queue_log_record record;
        struct ccm_error error;

        line++;
        if (line_length > 0 && !(line_length == 1 && cursor[0] == '\r')) {
            follower->stats.lines++;
            if (queue_log_parse_line(cursor, line_length, follower->scratch,
                                     QUEUE_LOG_SCRATCH_SIZE(FOLLOW_CHUNK_BYTES), &record,
                                     &error) != 0) {
                char quoted[300];
                follower->stats.malformed++;
                log_warn("queue_log.malformed_line", "file=%s line=%lld error=\"%s\"",
                         follower->reading_path, line,
                         log_quote(error.message, quoted, sizeof quoted));
            } else if (record.kind == QUEUE_LOG_LIFECYCLE) {
                follower->stats.events++;
                ingest_lifecycle_arrays_add(&follower->rows, follower->tenant, &record.event);
            } else if (record.kind == QUEUE_LOG_RING_NO_ANSWER) {
                follower->stats.ring_no_answer++;
            } else {
                follower->stats.other++;
            }
        }
        cursor = newline ? newline + 1 : end;
    }
    return line - first_line;
}

/* Rotation (the path names another file now) or truncation of the file being read. */
static bool follow_check_replaced(struct queue_log_follower *follower)
{
    struct stat current, at_path;

    if (fstat(follower->fd, &current) == 0 && (long long)current.st_size < follower->offset) {
        follow_restart_at(follower, "truncated");
        return true;
    }
    if (stat(follower->path, &at_path) != 0)
        return false; /* rotated away and not yet recreated: keep draining */
    if ((long long)at_path.st_dev == follower->device &&
        (long long)at_path.st_ino == follower->inode)
        return false;
    /* The path is a new file and everything of the old one has been read. */
    if (follow_open(follower, follower->path) != 0)
        return false;
    follower->draining_rotated = false;
    follow_restart_at(follower, "rotated");
    return true;
}

static void follow_read(struct queue_log_follower *follower)
{
    ssize_t got;
    char *last_newline;
    size_t complete;
    long long lines;

    if (follower->fd < 0) {
        if (follow_open(follower, follower->path) != 0) {
            follow_schedule(follower, FOLLOW_RETRY_MS);
            return;
        }
        follow_restart_at(follower, "opened");
        return;
    }
    got = pread(follower->fd, follower->buffer, FOLLOW_CHUNK_BYTES, (off_t)follower->offset);
    if (got < 0) {
        log_warn("queue_log.read_failed", "file=%s error=\"%s\"", follower->reading_path,
                 strerror(errno));
        follow_close(follower);
        follow_schedule(follower, FOLLOW_RETRY_MS);
        return;
    }
    last_newline = got > 0 ? memrchr(follower->buffer, '\n', (size_t)got) : NULL;
    if (!last_newline) {
        if (got == FOLLOW_CHUNK_BYTES) {
            /* A "line" longer than a chunk is not queue_log: skip it whole. */
            follower->stats.malformed++;
            log_warn("queue_log.malformed_line", "file=%s line=%lld error=\"longer than %d bytes\"",
                     follower->reading_path, follower->line + 1, FOLLOW_CHUNK_BYTES);
            ingest_lifecycle_arrays_begin(&follower->rows);
            follow_store(follower, follower->offset + got, follower->line);
            return;
        }
        if (!follow_check_replaced(follower))
            follow_schedule(follower, FOLLOW_POLL_MS);
        return;
    }
    complete = (size_t)(last_newline - follower->buffer) + 1;
    ingest_lifecycle_arrays_begin(&follower->rows);
    lines = follow_parse_lines(follower, follower->buffer, complete, follower->line);
    follow_store(follower, follower->offset + (long long)complete, follower->line + lines);
}

static void follow_on_timer(evutil_socket_t fd, short what, void *arg)
{
    struct queue_log_follower *follower = arg;
    if (follower->in_flight || follower->server->shutting_down || follower->state != FOLLOW_RUNNING)
        return;
    follow_read(follower);
}

/* ---- start-up: the tenant, then the saved position */

static void follow_on_position(const struct db_result *result, void *user_data)
{
    struct queue_log_follower *follower = user_data;
    if (follower->retiring) {
        follower->in_flight = false;
        queue_log_follower_free(follower);
        return;
    }
    char rotated[4096];
    struct stat info;

    follower->in_flight = false;
    if (!result->ok) {
        follow_schedule(follower, FOLLOW_RETRY_MS);
        return;
    }
    follower->state = FOLLOW_RUNNING;
    if (PQntuples(result->results[0]) == 1) {
        long long device = strtoll(PQgetvalue(result->results[0], 0, 0), NULL, 10);
        long long inode = strtoll(PQgetvalue(result->results[0], 0, 1), NULL, 10);
        long long offset = strtoll(PQgetvalue(result->results[0], 0, 2), NULL, 10);
        long long line = strtoll(PQgetvalue(result->results[0], 0, 3), NULL, 10);
        snprintf(rotated, sizeof rotated, "%s.1", follower->path);
        if (follow_open(follower, follower->path) == 0 && follower->device == device &&
            follower->inode == inode) {
            follower->offset = offset;
            follower->line = line;
        } else if (stat(rotated, &info) == 0 && (long long)info.st_dev == device &&
                   (long long)info.st_ino == inode && follow_open(follower, rotated) == 0) {
            /* Rotated while the daemon was down: finish the old file first. */
            follower->offset = offset;
            follower->line = line;
            follower->draining_rotated = true;
        }
        if (follower->fd >= 0 && fstat(follower->fd, &info) == 0 &&
            (long long)info.st_size < follower->offset) {
            follower->offset = follower->line = 0; /* truncated while down */
        }
        if (follower->fd >= 0 && (follower->device != device || follower->inode != inode)) {
            follower->offset = follower->line = 0; /* a new file */
        }
        log_info("queue_log.following", "file=%s tenant=%s offset=%lld line=%lld",
                 follower->reading_path ? follower->reading_path : follower->path,
                 follower->tenant->name, follower->offset, follower->line);
        follow_schedule(follower, 0);
        return;
    }
    log_info("queue_log.following", "file=%s tenant=%s offset=0 line=0 (new)", follower->path,
             follower->tenant->name);
    follow_schedule(follower, 0); /* opens the file and records position 0 */
}

static void follow_load_position(struct queue_log_follower *follower)
{
    struct db_statement statement = {0};
    statement.sql = "SELECT device, inode, offset_bytes, line FROM source_positions"
                    " WHERE source = $1";
    statement.param_count = 1;
    statement.params[0] = follower->source;
    follower->state = FOLLOW_LOADING_POSITION;
    follower->in_flight = true;
    if (db_pool_submit(follower->server->writer, &statement, 1, follow_on_position, follower) !=
        0) {
        follower->in_flight = false;
        follow_schedule(follower, FOLLOW_RETRY_MS);
    }
}

static void follow_on_tenant(const struct tenant *tenant, bool failed, void *user_data)
{
    struct queue_log_follower *follower = user_data;
    if (follower->retiring) {
        follower->in_flight = false;
        queue_log_follower_free(follower);
        return;
    }
    follower->in_flight = false;
    if (!tenant) {
        if (!failed)
            log_warn("queue_log.no_tenant",
                     "tenant=%s file=%s hint=\"create it with ccmetricsd token create --tenant\"",
                     follower->server->config->queue_log_tenant, follower->path);
        follow_schedule(follower, 5000);
        return;
    }
    follower->tenant = tenant;
    follow_load_position(follower);
}

static void follow_on_start_timer(evutil_socket_t fd, short what, void *arg);

static void follow_on_start_timer(evutil_socket_t fd, short what, void *arg)
{
    struct queue_log_follower *follower = arg;
    if (follower->in_flight || follower->server->shutting_down)
        return;
    if (follower->state == FOLLOW_RUNNING) {
        follow_on_timer(fd, what, arg);
        return;
    }
    follower->in_flight = true;
    if (!follower->tenant)
        tenant_find_by_name(follower->server->tenants, follower->server->config->queue_log_tenant,
                            follow_on_tenant, follower);
    else
        follow_load_position(follower);
}

struct queue_log_follower *queue_log_follower_new(struct server *server)
{
    struct queue_log_follower *follower;
    const char *path = server->config->queue_log_path;

    if (!path || !*path)
        return NULL;
    follower = calloc(1, sizeof *follower);
    if (!follower)
        return NULL;
    follower->server = server;
    follower->fd = -1;
    follower->path = strdup(path);
    follower->buffer = malloc(FOLLOW_CHUNK_BYTES + 1);
    follower->scratch = malloc(QUEUE_LOG_SCRATCH_SIZE(FOLLOW_CHUNK_BYTES));
    ingest_lifecycle_arrays_init(&follower->rows);
    if (asprintf(&follower->source, "queue_log:%s", path) < 0)
        follower->source = NULL;
    follower->timer = evtimer_new(server->base, follow_on_start_timer, follower);
    if (!follower->path || !follower->buffer || !follower->scratch || !follower->source ||
        !follower->timer) {
        queue_log_follower_free(follower);
        return NULL;
    }
    follow_schedule(follower, 0);
    return follower;
}

void queue_log_follower_retire(struct queue_log_follower *follower)
{
    if (!follower)
        return;
    if (!follower->in_flight) {
        queue_log_follower_free(follower);
        return;
    }
    follower->retiring = true;
    if (follower->timer)
        event_del(follower->timer);
}

void queue_log_follower_free(struct queue_log_follower *follower)
{
    if (!follower)
        return;
    if (follower->timer)
        event_free(follower->timer);
    follow_close(follower);
    ingest_lifecycle_arrays_free(&follower->rows);
    free(follower->path);
    free(follower->source);
    free(follower->buffer);
    free(follower->scratch);
    free(follower);
}

const struct queue_log_follow_stats *queue_log_follower_stats(const struct queue_log_follower *f)
{
    return &f->stats;
}
