/* log: key=value log lines on stderr with a run-time level (see log.h). */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static enum log_level log_threshold = LOG_LEVEL_INFO;

static const char *const log_level_names[] = {"debug", "info", "warn", "error"};

void log_set_level(enum log_level level)
{
    log_threshold = level;
}

int log_level_from_name(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(name, log_level_names[i]) == 0)
            return i;
    return -1;
}

void log_write(enum log_level level, const char *event, const char *format, ...)
{
    char line[2048];
    struct timeval now;
    struct tm utc;
    size_t used;
    va_list args;

    if (level < log_threshold)
        return;
    gettimeofday(&now, NULL);
    gmtime_r(&now.tv_sec, &utc);
    used = strftime(line, sizeof line, "ts=%Y-%m-%dT%H:%M:%S", &utc);
    used += (size_t)snprintf(line + used, sizeof line - used, ".%03ldZ level=%s event=%s",
                             (long)now.tv_usec / 1000, log_level_names[level], event);
    if (format && *format && used < sizeof line - 2) {
        line[used++] = ' ';
        va_start(args, format);
        vsnprintf(line + used, sizeof line - used, format, args);
        va_end(args);
    }
    fprintf(stderr, "%s\n", line);
}

const char *log_quote(const char *value, char *buffer, unsigned long size)
{
    unsigned long used = 0;

    if (size == 0)
        return "";
    for (; value && *value && used + 5 < size; value++) {
        unsigned char c = (unsigned char)*value;
        if (c == '"' || c == '\\') {
            buffer[used++] = '\\';
            buffer[used++] = (char)c;
        } else if (c < 0x20 || c == 0x7f) {
            used += (unsigned long)snprintf(buffer + used, size - used, "\\x%02x", c);
        } else {
            buffer[used++] = (char)c;
        }
    }
    buffer[used] = '\0';
    return buffer;
}
