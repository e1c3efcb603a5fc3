/*
 * bench_queue_log: throughput of the Asterisk queue_log line parser (lib/queue_log.c) on the
 * lines a real call centre writes. Not part of ctest; the top CMakeLists builds it (use a
 * RelWithDebInfo or Release build directory), or by hand:
 *
 *   gcc -std=c11 -O2 -D_GNU_SOURCE -Ilib lib/ccm_error.c lib/queue_log.c \
 *       bench/bench_queue_log.c -o /tmp/bench_queue_log
 *   /tmp/bench_queue_log [LINES]      (default 1000000)
 *
 * Generates LINES queue_log lines in memory, call by call, as Asterisk writes them:
 * ENTERQUEUE, 0-3 RINGNOANSWER, then CONNECT and COMPLETECALLER/COMPLETEAGENT (answered),
 * or ABANDON, EXITWITHTIMEOUT, EXITEMPTY, EXITWITHKEY; some answered calls end in a blind or
 * attended transfer; agents' PAUSE/UNPAUSE/ADDMEMBER and DID lines in between, a few
 * fractional epochs. Times queue_log_parse_line over every line (best of 5 rounds) with one
 * reused scratch buffer, and prints one line:
 *   bench-queue-log lines=N seconds=S lines_per_s=R ns_per_line=T mb_per_s=M
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "queue_log.h"

#define DEFAULT_LINES 1000000L
#define ROUNDS        5
#define LINE_MAX_SIZE 512

struct corpus {
    char *text;      /* every line, each followed by '\n' */
    size_t *starts;  /* offset of each line */
    size_t *lengths; /* without the '\n' */
    long count;
    size_t bytes;
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

/* Appends one line (printf-style) to the corpus, if there is room for it. */
static void add_line(struct corpus *corpus, long limit, size_t capacity, const char *format, ...)
    __attribute__((format(printf, 4, 5)));

static void add_line(struct corpus *corpus, long limit, size_t capacity, const char *format, ...)
{
    va_list args;
    int length;

    if (corpus->count >= limit)
        return;
    if (capacity - corpus->bytes < LINE_MAX_SIZE) {
        fprintf(stderr, "the generated lines are longer than planned\n");
        exit(1);
    }
    va_start(args, format);
    length = vsnprintf(corpus->text + corpus->bytes, LINE_MAX_SIZE, format, args);
    va_end(args);
    if (length <= 0 || length >= LINE_MAX_SIZE - 1) {
        fprintf(stderr, "a generated line does not fit in %d bytes\n", LINE_MAX_SIZE);
        exit(1);
    }
    corpus->starts[corpus->count] = corpus->bytes;
    corpus->lengths[corpus->count] = (size_t)length;
    corpus->bytes += (size_t)length;
    corpus->text[corpus->bytes++] = '\n';
    corpus->count++;
}

static void generate(struct corpus *corpus, long lines)
{
    static const char *const queues[] = {"council-tax",       "benefits",   "housing-repairs",
                                         "waste-recycling",   "parking",    "planning",
                                         "adult-social-care", "switchboard"};
    static const char *const pauses[] = {"Lunch", "Training", "Wrap-up", ""};
    size_t capacity = (size_t)lines * 160 + LINE_MAX_SIZE;
    unsigned long state = 42;
    long epoch = 1791273600L, call = 0;

    corpus->text = malloc(capacity);
    corpus->starts = malloc((size_t)lines * sizeof *corpus->starts);
    corpus->lengths = malloc((size_t)lines * sizeof *corpus->lengths);
    if (!corpus->text || !corpus->starts || !corpus->lengths) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    corpus->count = 0;
    corpus->bytes = 0;
    while (corpus->count < lines) {
        const char *queue = queues[next_random(&state) % 8];
        unsigned long roll = next_random(&state) % 100, rings = next_random(&state) % 4;
        long wait = 1 + (long)(next_random(&state) % 240),
             talk = 30 + (long)(next_random(&state) % 900);
        long start = epoch, id = epoch, agent = 1001 + (long)(next_random(&state) % 60);
        unsigned long sequence = (unsigned long)call++;
        int fraction = next_random(&state) % 10 == 0;

        epoch += 1 + (long)(next_random(&state) % 4);
        if (next_random(&state) % 20 == 0)
            add_line(corpus, lines, capacity, "%ld|NONE|%s|PJSIP/%ld|%s|%s", start, queue, agent,
                     next_random(&state) % 2 ? "PAUSE" : "UNPAUSE",
                     pauses[next_random(&state) % 4]);
        if (next_random(&state) % 50 == 0)
            add_line(corpus, lines, capacity, "%ld|NONE|%s|PJSIP/%ld|ADDMEMBER|", start, queue,
                     agent);
        if (next_random(&state) % 4 == 0)
            add_line(corpus, lines, capacity, "%ld|%ld.%lu|%s|NONE|DID|0163296%04lu", start, id,
                     sequence, queue, next_random(&state) % 10000);
        if (fraction)
            add_line(corpus, lines, capacity, "%ld.%06lu|%ld.%lu|%s|NONE|ENTERQUEUE||07700%06lu|1",
                     start, next_random(&state) % 1000000, id, sequence, queue,
                     next_random(&state) % 1000000);
        else
            add_line(corpus, lines, capacity, "%ld|%ld.%lu|%s|NONE|ENTERQUEUE||07700%06lu|1", start,
                     id, sequence, queue, next_random(&state) % 1000000);
        for (unsigned long r = 0; r < rings && roll < 80; r++)
            add_line(corpus, lines, capacity, "%ld|%ld.%lu|%s|PJSIP/%lu|RINGNOANSWER|15000",
                     start + 15 * (long)(r + 1), id, sequence, queue,
                     1001 + next_random(&state) % 60);
        if (roll < 80) {
            long answered = start + wait, ended = answered + talk;
            add_line(corpus, lines, capacity, "%ld|%ld.%lu|%s|PJSIP/%ld|CONNECT|%ld|%ld.%lu|%ld",
                     answered, id, sequence, queue, agent, wait, answered, sequence + 7, wait % 20);
            if (roll < 74)
                add_line(corpus, lines, capacity, "%ld|%ld.%lu|%s|PJSIP/%ld|%s|%ld|%ld|%lu", ended,
                         id, sequence, queue, agent, roll % 2 ? "COMPLETECALLER" : "COMPLETEAGENT",
                         wait, talk, 1 + next_random(&state) % 5);
            else if (roll < 77)
                add_line(corpus, lines, capacity,
                         "%ld|%ld.%lu|%s|PJSIP/%ld|BLINDTRANSFER|2100|from-internal|%ld|%ld|1",
                         ended, id, sequence, queue, agent, wait, talk);
            else
                add_line(corpus, lines, capacity,
                         "%ld|%ld.%lu|%s|PJSIP/%ld|ATTENDEDTRANSFER|BRIDGE|"
                         "6f1c2a7e-88b0-4d5a-9b1e-%012lu|%ld|%ld|2",
                         ended, id, sequence, queue, agent, sequence, wait, talk);
        } else if (roll < 92) {
            add_line(corpus, lines, capacity, "%ld|%ld.%lu|%s|NONE|ABANDON|%lu|%lu|%ld",
                     start + wait, id, sequence, queue, 1 + next_random(&state) % 5,
                     1 + next_random(&state) % 8, wait);
        } else if (roll < 96) {
            add_line(corpus, lines, capacity, "%ld|%ld.%lu|%s|NONE|EXITWITHTIMEOUT|1|3|300",
                     start + 300, id, sequence, queue);
        } else if (roll < 98) {
            add_line(corpus, lines, capacity, "%ld|%ld.%lu|%s|NONE|EXITWITHKEY|1|2|4|%ld",
                     start + wait, id, sequence, queue, wait);
        } else {
            add_line(corpus, lines, capacity, "%ld|%ld.%lu|%s|NONE|EXITEMPTY|1|1|0", start, id,
                     sequence, queue);
        }
    }
}

int main(int argc, char **argv)
{
    long lines = argc > 1 ? atol(argv[1]) : DEFAULT_LINES;
    struct corpus corpus;
    char scratch[QUEUE_LOG_SCRATCH_SIZE(LINE_MAX_SIZE)];
    long kinds[3] = {0, 0, 0};
    double best = 1e9;

    if (lines < 1 || lines > 100000000L) {
        fprintf(stderr, "LINES must be 1..100000000\n");
        return 2;
    }
    generate(&corpus, lines);

    for (int round = 0; round < ROUNDS; round++) {
        double start = now_seconds(), elapsed;
        long counted[3] = {0, 0, 0};

        for (long i = 0; i < corpus.count; i++) {
            struct queue_log_record record;
            struct ccm_error error;
            if (queue_log_parse_line(corpus.text + corpus.starts[i], corpus.lengths[i], scratch,
                                     sizeof scratch, &record, &error) != 0) {
                fprintf(stderr, "line %ld rejected: %s\n%.*s\n", i + 1, error.message,
                        (int)corpus.lengths[i], corpus.text + corpus.starts[i]);
                return 1;
            }
            counted[record.kind]++;
        }
        elapsed = now_seconds() - start;
        if (elapsed < best)
            best = elapsed;
        memcpy(kinds, counted, sizeof kinds);
    }

    printf("bench-queue-log lines=%ld seconds=%.4f lines_per_s=%.0f ns_per_line=%.1f "
           "mb_per_s=%.1f lifecycle=%ld ring_no_answer=%ld other=%ld bytes_per_line=%.1f\n",
           corpus.count, best, (double)corpus.count / best, best * 1e9 / (double)corpus.count,
           (double)corpus.bytes / 1e6 / best, kinds[QUEUE_LOG_LIFECYCLE],
           kinds[QUEUE_LOG_RING_NO_ANSWER], kinds[QUEUE_LOG_OTHER],
           (double)corpus.bytes / (double)corpus.count);
    free(corpus.text);
    free(corpus.starts);
    free(corpus.lengths);
    return 0;
}
