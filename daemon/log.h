/*
 * log: one structured line per event on stderr (journald keeps stderr), as
 * key=value pairs: `ts=... level=info event=http.listen port=8080`. The level
 * can change at run time (SIGHUP reload).
 */
#ifndef CCM_LOG_H
#define CCM_LOG_H

enum log_level {
    LOG_LEVEL_DEBUG,
    LOG_LEVEL_INFO,
    LOG_LEVEL_WARN,
    LOG_LEVEL_ERROR,
};

void log_set_level(enum log_level level);
/* -1 when the name is not debug, info, warn or error. */
int log_level_from_name(const char *name);

/* `event` is a dotted machine name; `format` adds key=value pairs (values with
 * spaces must be quoted by the caller with %s inside \"...\"; see log_quote). */
void log_write(enum log_level level, const char *event, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* Quote a value for a log line into buffer: escapes '"', '\\' and control
 * characters, truncates to the buffer. Returns buffer. */
const char *log_quote(const char *value, char *buffer, unsigned long size);

#define log_debug(event, ...) log_write(LOG_LEVEL_DEBUG, event, __VA_ARGS__)
#define log_info(event, ...)  log_write(LOG_LEVEL_INFO, event, __VA_ARGS__)
#define log_warn(event, ...)  log_write(LOG_LEVEL_WARN, event, __VA_ARGS__)
#define log_error(event, ...) log_write(LOG_LEVEL_ERROR, event, __VA_ARGS__)

#endif
