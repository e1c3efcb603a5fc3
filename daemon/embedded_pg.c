/*
 * embedded_pg: initialise, start, supervise and stop the private PostgreSQL
 * server of the embedded default (see embedded_pg.h).
 */
#include "embedded_pg.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <libpq-fe.h>

#include "clock.h"
#include "log.h"

#define EMBEDDED_PG_PORT "5432"

static char *embedded_pg_join(const char *directory, const char *name)
{
    char *path;
    if (asprintf(&path, "%s/%s", directory, name) < 0)
        return NULL;
    return path;
}

static bool embedded_pg_is_executable(const char *directory, const char *name)
{
    char *path = embedded_pg_join(directory, name);
    bool ok = path && access(path, X_OK) == 0;
    free(path);
    return ok;
}

/* The newest /usr/lib/postgresql/N/bin, else a directory of PATH with postgres. */
static char *embedded_pg_find_bindir(void)
{
    glob_t found;
    char *best = NULL;
    int best_version = -1;
    const char *path_env = getenv("PATH");

    if (glob("/usr/lib/postgresql/*/bin/postgres", 0, NULL, &found) == 0) {
        for (size_t i = 0; i < found.gl_pathc; i++) {
            int version = atoi(found.gl_pathv[i] + strlen("/usr/lib/postgresql/"));
            if (version > best_version) {
                free(best);
                best = strndup(found.gl_pathv[i], strlen(found.gl_pathv[i]) - strlen("/postgres"));
                best_version = version;
            }
        }
        globfree(&found);
    }
    if (best)
        return best;
    if (path_env) {
        char *copy = strdup(path_env), *save = NULL;
        for (char *dir = copy ? strtok_r(copy, ":", &save) : NULL; dir;
             dir = strtok_r(NULL, ":", &save)) {
            if (embedded_pg_is_executable(dir, "postgres") &&
                embedded_pg_is_executable(dir, "initdb")) {
                best = strdup(dir);
                break;
            }
        }
        free(copy);
    }
    return best;
}

int embedded_pg_init(struct embedded_pg *server, const char *data_dir, const char *bin_dir,
                     const char *run_as_user, struct ccm_error *error)
{
    memset(server, 0, sizeof *server);
    server->data_dir = strdup(data_dir);
    server->cluster_dir = embedded_pg_join(data_dir, "postgresql");
    server->socket_dir = embedded_pg_join(data_dir, "run");
    server->log_path = embedded_pg_join(data_dir, "postgresql.log");
    server->bin_dir = bin_dir && *bin_dir ? strdup(bin_dir) : embedded_pg_find_bindir();
    if (!server->data_dir || !server->cluster_dir || !server->socket_dir || !server->log_path)
        return ccm_error_set(error, "out of memory");
    if (!server->bin_dir || !embedded_pg_is_executable(server->bin_dir, "postgres") ||
        !embedded_pg_is_executable(server->bin_dir, "initdb"))
        return ccm_error_set(error,
                             "no PostgreSQL server binaries found (looked in %s): install "
                             "the postgresql package (apt-get install postgresql), set "
                             "pg_bindir, or give --database DSN",
                             server->bin_dir ? server->bin_dir
                                             : "/usr/lib/postgresql/*/bin and PATH");
    if (geteuid() == 0) {
        struct passwd *user = getpwnam(run_as_user);
        if (!user)
            return ccm_error_set(error,
                                 "running as root, so the embedded PostgreSQL must run as an "
                                 "unprivileged user, but user \"%s\" does not exist: create it "
                                 "with `useradd --system --no-create-home --shell "
                                 "/usr/sbin/nologin %s` (scripts/setup does), or set pg_user",
                                 run_as_user, run_as_user);
        if (user->pw_uid == 0)
            return ccm_error_set(error,
                                 "pg_user \"%s\" is root; PostgreSQL refuses to run as "
                                 "root",
                                 run_as_user);
        server->drop_privileges = true;
        server->run_uid = user->pw_uid;
        server->run_gid = user->pw_gid;
    }
    return 0;
}

void embedded_pg_free(struct embedded_pg *server)
{
    if (server->child_event)
        event_free(server->child_event);
    if (server->restart_timer)
        event_free(server->restart_timer);
    free(server->data_dir);
    free(server->cluster_dir);
    free(server->socket_dir);
    free(server->bin_dir);
    free(server->log_path);
    memset(server, 0, sizeof *server);
}

static int embedded_pg_make_dir(struct embedded_pg *server, const char *path, mode_t mode,
                                bool give_to_server_user, struct ccm_error *error)
{
    if (mkdir(path, mode) != 0 && errno != EEXIST)
        return ccm_error_set(error, "cannot create %s: %s", path, strerror(errno));
    if (give_to_server_user && server->drop_privileges &&
        chown(path, server->run_uid, server->run_gid) != 0)
        return ccm_error_set(error, "cannot give %s to uid %d: %s", path, (int)server->run_uid,
                             strerror(errno));
    if (give_to_server_user && chmod(path, mode) != 0)
        return ccm_error_set(error, "cannot chmod %s: %s", path, strerror(errno));
    return 0;
}

/* In a forked child: output to the log, drop privileges, die with the parent. */
static void embedded_pg_child_setup(struct embedded_pg *server)
{
    int log_fd = open(server->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    int null_fd = open("/dev/null", O_RDONLY);
    pid_t parent = getppid();

    if (null_fd >= 0)
        dup2(null_fd, STDIN_FILENO);
    if (log_fd >= 0) {
        dup2(log_fd, STDOUT_FILENO);
        dup2(log_fd, STDERR_FILENO);
    }
    setsid(); /* a terminal's Ctrl-C reaches ccmetricsd, which shuts the server down */
    if (server->drop_privileges) {
        if (setgroups(0, NULL) != 0 || setgid(server->run_gid) != 0 ||
            setuid(server->run_uid) != 0) {
            fprintf(stderr, "ccmetricsd: cannot switch to uid %d: %s\n", (int)server->run_uid,
                    strerror(errno));
            _exit(126);
        }
    }
    /* After setuid (which clears it): a fast shutdown if ccmetricsd dies. */
    prctl(PR_SET_PDEATHSIG, SIGINT);
    if (getppid() != parent)
        _exit(1);
}

static pid_t embedded_pg_spawn(struct embedded_pg *server, char *const argv[])
{
    pid_t pid = fork();
    if (pid == 0) {
        embedded_pg_child_setup(server);
        execv(argv[0], argv);
        fprintf(stderr, "ccmetricsd: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    return pid;
}

/* The last lines of the server log, for error messages. */
static void embedded_pg_log_tail(struct embedded_pg *server, char *out, size_t size)
{
    FILE *file = fopen(server->log_path, "r");
    long length;
    size_t got;

    out[0] = '\0';
    if (!file)
        return;
    fseek(file, 0, SEEK_END);
    length = ftell(file);
    fseek(file, length > (long)size - 1 ? length - (long)size + 1 : 0, SEEK_SET);
    got = fread(out, 1, size - 1, file);
    out[got] = '\0';
    for (size_t i = 0; i < got; i++)
        if (out[i] == '\n')
            out[i] = ' ';
    fclose(file);
}

static int embedded_pg_initdb(struct embedded_pg *server, struct ccm_error *error)
{
    char *initdb = embedded_pg_join(server->bin_dir, "initdb");
    char *argv[] = {
        initdb, "-D",         server->cluster_dir, "-U", "ccmetrics", "-A", "trust", "-E",
        "UTF8", "--locale=C", "--no-instructions", NULL};
    int status = 0;
    pid_t pid;

    log_info("embedded_pg.initdb", "cluster=%s", server->cluster_dir);
    pid = embedded_pg_spawn(server, argv);
    if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        char tail[600];
        embedded_pg_log_tail(server, tail, sizeof tail);
        free(initdb);
        return ccm_error_set(error, "initdb of %s failed (see %s): %s", server->cluster_dir,
                             server->log_path, tail);
    }
    free(initdb);
    return 0;
}

static pid_t embedded_pg_launch(struct embedded_pg *server)
{
    char *postgres = embedded_pg_join(server->bin_dir, "postgres");
    char *argv[] = {postgres,
                    "-D",
                    server->cluster_dir,
                    "-k",
                    server->socket_dir,
                    "-p",
                    EMBEDDED_PG_PORT,
                    "-c",
                    "listen_addresses=",
                    "-c",
                    "unix_socket_permissions=0700",
                    "-c",
                    "max_connections=100",
                    "-c",
                    "jit=off", /* no W+X memory: the unit sets MemoryDenyWriteExecute */
                    NULL};
    pid_t pid;

    pid = embedded_pg_spawn(server, argv);
    free(postgres);
    if (pid > 0)
        log_info("embedded_pg.started", "pid=%d socket_dir=%s", (int)pid, server->socket_dir);
    return pid;
}

static char *embedded_pg_dsn(struct embedded_pg *server, const char *database)
{
    char *dsn;
    if (asprintf(&dsn,
                 "host=%s port=" EMBEDDED_PG_PORT " user=ccmetrics dbname=%s "
                 "connect_timeout=5",
                 server->socket_dir, database) < 0)
        return NULL;
    return dsn;
}

/* A server from an earlier run that is still up: stop it so this run supervises its own. */
static void embedded_pg_stop_stale(struct embedded_pg *server)
{
    char *pid_path = embedded_pg_join(server->cluster_dir, "postmaster.pid");
    FILE *file = pid_path ? fopen(pid_path, "r") : NULL;
    long pid = 0;

    if (file) {
        if (fscanf(file, "%ld", &pid) != 1)
            pid = 0;
        fclose(file);
    }
    free(pid_path);
    if (pid <= 1 || kill((pid_t)pid, 0) != 0)
        return;
    log_warn("embedded_pg.stale", "pid=%ld action=fast_shutdown", pid);
    kill((pid_t)pid, SIGINT);
    for (int i = 0; i < 300 && kill((pid_t)pid, 0) == 0; i++)
        usleep(100000);
}

/* As root, the server runs as run_uid: every directory above the data dir must
 * let that user through, or initdb fails with a bare "permission denied". */
static int embedded_pg_check_reachable(struct embedded_pg *server, struct ccm_error *error)
{
    char path[4096];
    size_t length;

    if (!server->drop_privileges)
        return 0;
    snprintf(path, sizeof path, "%s", server->data_dir);
    length = strlen(path);
    for (size_t i = 1; i <= length; i++) {
        struct stat info;
        bool traversable;
        char saved = path[i];
        if (saved != '/' && saved != '\0')
            continue;
        path[i] = '\0';
        if (stat(path, &info) == 0) {
            if (info.st_uid == server->run_uid)
                traversable = info.st_mode & S_IXUSR;
            else if (info.st_gid == server->run_gid)
                traversable = info.st_mode & S_IXGRP;
            else
                traversable = info.st_mode & S_IXOTH;
            if (!traversable)
                return ccm_error_set(error,
                                     "the embedded PostgreSQL runs as uid %d, which cannot enter "
                                     "%s (mode %04o): give it o+x, or use a --data-dir outside "
                                     "it such as /var/lib/ccmetrics",
                                     (int)server->run_uid, path, (unsigned)(info.st_mode & 07777));
        }
        path[i] = saved;
    }
    return 0;
}

int embedded_pg_start(struct embedded_pg *server, struct ccm_error *error)
{
    char *version_file, *dsn;
    bool initialised;
    double deadline;
    PGconn *conn;
    PGresult *result;

    if (mkdir(server->data_dir, 0755) != 0 && errno != EEXIST)
        return ccm_error_set(error, "cannot create data directory %s: %s", server->data_dir,
                             strerror(errno));
    if (embedded_pg_check_reachable(server, error) ||
        embedded_pg_make_dir(server, server->cluster_dir, 0700, true, error) ||
        embedded_pg_make_dir(server, server->socket_dir, 0700, true, error))
        return -1;
    if (server->drop_privileges) {
        int fd = open(server->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (fd >= 0) {
            if (fchown(fd, server->run_uid, server->run_gid) != 0)
                log_warn("embedded_pg.log_owner", "path=%s", server->log_path);
            close(fd);
        }
    }

    version_file = embedded_pg_join(server->cluster_dir, "PG_VERSION");
    initialised = version_file && access(version_file, F_OK) == 0;
    free(version_file);
    if (!initialised && embedded_pg_initdb(server, error))
        return -1;

    embedded_pg_stop_stale(server);
    server->pid = embedded_pg_launch(server);
    if (server->pid < 0)
        return ccm_error_set(error, "cannot fork the PostgreSQL server: %s", strerror(errno));
    server->started_here = true;

    dsn = embedded_pg_dsn(server, "postgres");
    deadline = clock_monotonic_s() + 120;
    for (;;) {
        int status;
        if (PQping(dsn) == PQPING_OK)
            break;
        if (waitpid(server->pid, &status, WNOHANG) == server->pid) {
            char tail[800];
            server->pid = 0;
            embedded_pg_log_tail(server, tail, sizeof tail);
            free(dsn);
            return ccm_error_set(error,
                                 "the embedded PostgreSQL server exited at start-up "
                                 "(log %s): %s",
                                 server->log_path, tail);
        }
        if (clock_monotonic_s() > deadline) {
            free(dsn);
            return ccm_error_set(error,
                                 "the embedded PostgreSQL server did not accept "
                                 "connections within 120 s (log %s)",
                                 server->log_path);
        }
        usleep(50000);
    }

    conn = PQconnectdb(dsn);
    free(dsn);
    if (PQstatus(conn) != CONNECTION_OK) {
        ccm_error_set(error, "cannot connect to the embedded server: %s", PQerrorMessage(conn));
        PQfinish(conn);
        return -1;
    }
    result = PQexec(conn, "SELECT 1 FROM pg_database WHERE datname = 'ccmetrics'");
    if (PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 0) {
        PQclear(result);
        result = PQexec(conn, "CREATE DATABASE ccmetrics");
        if (PQresultStatus(result) != PGRES_COMMAND_OK) {
            ccm_error_set(error, "cannot create database ccmetrics: %s", PQerrorMessage(conn));
            PQclear(result);
            PQfinish(conn);
            return -1;
        }
        log_info("embedded_pg.created_database", "name=ccmetrics");
    }
    PQclear(result);
    PQfinish(conn);
    return 0;
}

static void embedded_pg_on_restart(evutil_socket_t fd, short what, void *arg)
{
    struct embedded_pg *server = arg;
    server->pid = embedded_pg_launch(server);
    if (server->pid < 0) {
        log_error("embedded_pg.restart_failed", "error=\"%s\"", strerror(errno));
        server->pid = 0;
        if (server->on_fatal)
            server->on_fatal(server->fatal_user_data);
    }
}

static void embedded_pg_on_child(evutil_socket_t fd, short what, void *arg)
{
    struct embedded_pg *server = arg;
    int status;
    pid_t pid;
    double now;
    struct timeval delay = {1, 0};

    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        if (pid != server->pid)
            continue;
        server->pid = 0;
        log_error("embedded_pg.exited", "status=%d signal=%d",
                  WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                  WIFSIGNALED(status) ? WTERMSIG(status) : 0);
        now = clock_monotonic_s();
        if (now - server->first_restart_time > 60) {
            server->first_restart_time = now;
            server->restarts = 0;
        }
        if (++server->restarts > 5) {
            log_error("embedded_pg.giving_up", "restarts=%d window_s=60 log=%s",
                      server->restarts - 1, server->log_path);
            if (server->on_fatal)
                server->on_fatal(server->fatal_user_data);
            return;
        }
        evtimer_add(server->restart_timer, &delay);
    }
}

int embedded_pg_supervise(struct embedded_pg *server, struct event_base *base,
                          void (*on_fatal)(void *), void *user_data)
{
    server->on_fatal = on_fatal;
    server->fatal_user_data = user_data;
    server->child_event = evsignal_new(base, SIGCHLD, embedded_pg_on_child, server);
    server->restart_timer = evtimer_new(base, embedded_pg_on_restart, server);
    if (!server->child_event || !server->restart_timer || event_add(server->child_event, NULL))
        return -1;
    return 0;
}

void embedded_pg_stop(struct embedded_pg *server, int timeout_s)
{
    int status;
    double deadline;

    if (server->restart_timer)
        evtimer_del(server->restart_timer);
    if (server->child_event)
        event_del(server->child_event);
    if (!server->started_here || server->pid <= 0)
        return;
    kill(server->pid, SIGINT);
    deadline = clock_monotonic_s() + timeout_s;
    while (clock_monotonic_s() < deadline) {
        if (waitpid(server->pid, &status, WNOHANG) == server->pid) {
            log_info("embedded_pg.stopped", "pid=%d", (int)server->pid);
            server->pid = 0;
            return;
        }
        usleep(20000);
    }
    log_warn("embedded_pg.stop_timeout", "pid=%d action=SIGQUIT", (int)server->pid);
    kill(server->pid, SIGQUIT);
    waitpid(server->pid, &status, 0);
    server->pid = 0;
}
