/*
 * embedded_pg: the private PostgreSQL server ccmetricsd runs when no database
 * is configured. Owns struct embedded_pg: initdb on first start under
 * DATA_DIR/postgresql, the server listening only on a unix socket in
 * DATA_DIR/run (no TCP), supervision (restart with backoff, or a clear exit
 * when it keeps dying) and a fast shutdown on exit. When ccmetricsd runs as
 * root (initdb refuses root), the server runs as an unprivileged system user
 * (config pg_user, default "ccmetrics"; created by scripts/setup or the
 * package).
 */
#ifndef CCM_EMBEDDED_PG_H
#define CCM_EMBEDDED_PG_H

#include <stdbool.h>
#include <sys/types.h>

#include "ccm_error.h"

struct event_base;

struct embedded_pg {
    char *data_dir;       /* the daemon's data dir (absolute) */
    char *cluster_dir;    /* DATA_DIR/postgresql */
    char *socket_dir;     /* DATA_DIR/run */
    char *bin_dir;        /* where initdb and postgres are */
    char *log_path;       /* DATA_DIR/postgresql.log */
    bool drop_privileges; /* running as root: run the server as run_uid */
    uid_t run_uid;
    gid_t run_gid;
    pid_t pid;         /* running server, 0 if none */
    bool started_here; /* we started it (so we stop it) */
    int restarts;
    double first_restart_time;
    struct event *child_event; /* SIGCHLD */
    struct event *restart_timer;
    void (*on_fatal)(void *user_data); /* the server cannot be kept up */
    void *fatal_user_data;
};

/* Fill paths, find binaries, resolve the run-as user. No process started. */
int embedded_pg_init(struct embedded_pg *server, const char *data_dir, const char *bin_dir,
                     const char *run_as_user, struct ccm_error *error);
void embedded_pg_free(struct embedded_pg *server);

/* initdb if needed, start the server, wait (start-up only: blocking) until it
 * accepts connections, and create the ccmetrics database if missing. When a
 * server from an earlier run is still up on the socket, it is used as is. */
int embedded_pg_start(struct embedded_pg *server, struct ccm_error *error);

/* Supervise from the loop: restart on unexpected exit (at most 5 times in
 * 60 s, then on_fatal). */
int embedded_pg_supervise(struct embedded_pg *server, struct event_base *base,
                          void (*on_fatal)(void *), void *user_data);

/* Fast shutdown (SIGINT), waiting up to timeout_s, then SIGQUIT. Blocking: for exit. */
void embedded_pg_stop(struct embedded_pg *server, int timeout_s);

#endif
