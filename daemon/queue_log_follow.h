/*
 * queue_log_follow: follows the Asterisk queue_log file of the config
 * (queue_log_path, its calls in tenant queue_log_tenant), like `tail -F`. Owns
 * struct queue_log_follower: the open file, the position and the chunk in
 * flight.
 *
 * Lines are read in chunks (at most 256 KiB, complete lines only) from a timer,
 * parsed by lib/queue_log and stored as lifecycle events with the new position
 * in one transaction (source_positions), so after a restart reading resumes
 * after the last stored line: none lost, none counted twice (the events are
 * idempotent as well). Rotation (the path names a new file: the old one is read
 * to its end first, also when it happened while the daemon was down and the
 * old file is now path.1) and truncation (copytruncate) start the new content
 * from its beginning. Malformed lines are logged with file and line number and
 * skipped; they never stop the feed.
 */
#ifndef CCM_QUEUE_LOG_FOLLOW_H
#define CCM_QUEUE_LOG_FOLLOW_H

#include <stdint.h>

struct server;
struct queue_log_follower;

/* Stop following (a reload changed the path or tenant): freed now, or when the request
 * it has in flight returns; the position it committed stays for whoever follows next. */
void queue_log_follower_retire(struct queue_log_follower *follower);

struct queue_log_follow_stats {
    uint64_t lines;
    uint64_t events; /* lifecycle events stored (or already stored) */
    uint64_t other;  /* events that are not about a contact, and unknown ones */
    uint64_t ring_no_answer;
    uint64_t malformed;
    uint64_t commits;
};

/* NULL when no queue_log_path is configured (or out of memory). */
struct queue_log_follower *queue_log_follower_new(struct server *server);
void queue_log_follower_free(struct queue_log_follower *follower);
const struct queue_log_follow_stats *queue_log_follower_stats(const struct queue_log_follower *f);

#endif
