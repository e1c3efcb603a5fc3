/*
 * bench_event_parse: throughput of the ingest body parser (lib/event.c) on realistic call
 * records. Not part of ctest; build by hand with optimisation:
 *
 *   gcc -std=c11 -O2 -D_GNU_SOURCE -Ilib lib/ccm_error.c lib/calendar.c lib/utf8.c lib/arena.c
 * lib/event.c \ bench/bench_event_parse.c -ljansson -o /tmp/bench_event_parse
 *   /tmp/bench_event_parse [RECORDS_PER_BODY]      (default 1000)
 *
 * Generates 100,000 NDJSON call records in memory (every outcome, several queues and
 * channels, offsets, fractions), split into bodies of RECORDS_PER_BODY records, and times
 * event_parse_body over all of them (best of 5 rounds). The same bytes parsed by jansson
 * alone, line by line, are timed as the reference floor.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "event.h"

#define RECORD_COUNT 100000
#define ROUNDS       5

struct body {
    char *text;
    size_t length;
    size_t records;
};

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A small deterministic generator, so every run parses the same bytes. */
static unsigned long next_random(unsigned long *state)
{
    *state = *state * 6364136223846793005UL + 1442695040888963407UL;
    return *state >> 33;
}

static void format_time(char *out, size_t size, long seconds_of_day, int micros, int offset_hours)
{
    long local = seconds_of_day + offset_hours * 3600L;
    if (micros)
        snprintf(out, size, "2026-10-06T%02ld:%02ld:%02ld.%06d%s", local / 3600, local / 60 % 60,
                 local % 60, micros, offset_hours ? "+01:00" : "Z");
    else
        snprintf(out, size, "2026-10-06T%02ld:%02ld:%02ld%s", local / 3600, local / 60 % 60,
                 local % 60, offset_hours ? "+01:00" : "Z");
}

/* One NDJSON line, written at `out`; returns its length. */
static int write_record(char *out, size_t size, long number, unsigned long *state)
{
    static const char *const queues[] = {"council-tax",       "benefits",   "housing-repairs",
                                         "waste-recycling",   "parking",    "planning",
                                         "adult-social-care", "switchboard"};
    static const char *const channels[] = {"phone",   "phone", "phone",
                                           "webchat", "email", "face_to_face"};
    static const char *const reasons[] = {"payment arrangement", "missed bin",
                                          "blue badge",          "repair request",
                                          "change of address",   "fault report"};
    char offered[40], answered[40], ended[40];
    unsigned long roll = next_random(state) % 100;
    long offered_s = 8 * 3600 + (number * 7) % (10 * 3600);
    long wait = 1 + (long)(next_random(state) % 300);
    long handle = 60 + (long)(next_random(state) % 900);
    int offset = (int)(next_random(state) % 2);
    int micros = next_random(state) % 4 == 0 ? (int)(next_random(state) % 1000000) : 0;
    const char *queue = queues[next_random(state) % 8];
    const char *channel = channels[next_random(state) % 6];
    const char *reason = reasons[next_random(state) % 6];

    format_time(offered, sizeof offered, offered_s, micros, offset);
    if (roll < 80) {
        format_time(answered, sizeof answered, offered_s + wait, 0, offset);
        format_time(ended, sizeof ended, offered_s + wait + handle, 0, offset);
        return snprintf(out, size,
                        "{\"id\":\"C-20261006-%07ld\",\"queue\":\"%s\",\"channel\":\"%s\","
                        "\"offered_at\":\"%s\",\"answered_at\":\"%s\",\"ended_at\":\"%s\","
                        "\"outcome\":\"answered\",\"handle_s\":%ld,"
                        "\"first_contact_resolved\":%s,\"caller\":\"+4477009%05lu\","
                        "\"reason\":\"%s\",\"agent\":\"agent-%02lu\"}\n",
                        number, queue, channel, offered, answered, ended, handle,
                        next_random(state) % 3 ? "true" : "false", next_random(state) % 100000,
                        reason, next_random(state) % 60);
    }
    format_time(ended, sizeof ended, offered_s + wait, 0, offset);
    return snprintf(out, size,
                    "{\"id\":\"C-20261006-%07ld\",\"queue\":\"%s\",\"channel\":\"%s\","
                    "\"offered_at\":\"%s\",\"ended_at\":\"%s\",\"outcome\":\"%s\","
                    "\"caller\":\"+4477009%05lu\"}\n",
                    number, queue, channel, offered, ended,
                    roll < 92   ? "abandoned"
                    : roll < 96 ? "timeout"
                                : "refused",
                    next_random(state) % 100000);
}

int main(int argc, char **argv)
{
    long per_body = argc > 1 ? atol(argv[1]) : 1000;
    size_t body_count, total_bytes = 0;
    struct body *bodies;
    unsigned long state = 42;
    double best_parse = 1e9, best_jansson = 1e9;
    long number = 0;

    if (per_body < 1 || per_body > EVENT_MAX_ITEMS) {
        fprintf(stderr, "RECORDS_PER_BODY must be 1..%d\n", EVENT_MAX_ITEMS);
        return 2;
    }
    body_count = (size_t)((RECORD_COUNT + per_body - 1) / per_body);
    bodies = calloc(body_count, sizeof *bodies);
    for (size_t b = 0; b < body_count; b++) {
        size_t capacity = (size_t)per_body * 512, used = 0;
        bodies[b].text = malloc(capacity);
        for (long r = 0; r < per_body && number < RECORD_COUNT; r++, number++) {
            used += (size_t)write_record(bodies[b].text + used, capacity - used, number, &state);
            bodies[b].records++;
        }
        bodies[b].length = used;
        total_bytes += used;
    }

    for (int round = 0; round < ROUNDS; round++) {
        double start = now_seconds(), elapsed;
        size_t accepted = 0;

        for (size_t b = 0; b < body_count; b++) {
            struct event_batch batch;
            event_batch_init(&batch);
            if (event_parse_body(&batch, bodies[b].text, bodies[b].length, EVENT_BODY_NDJSON) !=
                0) {
                fprintf(stderr, "body %zu rejected: %s\n", b, batch.errors[0].message);
                return 1;
            }
            accepted += batch.contact_count;
            event_batch_free(&batch);
        }
        elapsed = now_seconds() - start;
        if (accepted != RECORD_COUNT) {
            fprintf(stderr, "accepted %zu of %d records\n", accepted, RECORD_COUNT);
            return 1;
        }
        if (elapsed < best_parse)
            best_parse = elapsed;

        /* Reference: jansson alone, one json_loadb per line, nothing validated or kept. */
        start = now_seconds();
        for (size_t b = 0; b < body_count; b++) {
            const char *line = bodies[b].text, *end = line + bodies[b].length;
            while (line < end) {
                const char *newline = memchr(line, '\n', (size_t)(end - line));
                json_error_t error;
                json_decref(
                    json_loadb(line, (size_t)(newline - line), JSON_DECODE_INT_AS_REAL, &error));
                line = newline + 1;
            }
        }
        elapsed = now_seconds() - start;
        if (elapsed < best_jansson)
            best_jansson = elapsed;
    }

    printf("%d records, %zu bodies of %ld, %.1f MB (%.0f bytes/record), best of %d rounds\n",
           RECORD_COUNT, body_count, per_body, (double)total_bytes / 1e6,
           (double)total_bytes / RECORD_COUNT, ROUNDS);
    printf("event_parse_body:     %8.0f records/s  %6.1f MB/s  (%.3f s)\n",
           RECORD_COUNT / best_parse, (double)total_bytes / 1e6 / best_parse, best_parse);
    printf("jansson alone (ref):  %8.0f records/s  %6.1f MB/s  (%.3f s)\n",
           RECORD_COUNT / best_jansson, (double)total_bytes / 1e6 / best_jansson, best_jansson);
    printf("parser time / jansson time: %.2f\n", best_parse / best_jansson);

    for (size_t b = 0; b < body_count; b++)
        free(bodies[b].text);
    free(bodies);
    return 0;
}
