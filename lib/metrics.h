/*
 * metrics: counters and histograms in the Prometheus text exposition format
 * (version 0.0.4). Owns struct metrics_histogram: fixed upper bounds, a count
 * per bucket, the sum and the count of observations. Pure: the daemon keeps the
 * numbers and asks for the text at GET /metrics.
 */
#ifndef CCM_METRICS_H
#define CCM_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "text_buffer.h"

#define METRICS_BUCKETS_MAX 16

struct metrics_histogram {
    size_t bucket_count;
    double bounds[METRICS_BUCKETS_MAX]; /* upper bounds, increasing; +Inf is implicit */
    uint64_t counts[METRICS_BUCKETS_MAX + 1];
    double sum;
    uint64_t count;
};

/* Seconds from 0.5 ms to 10 s: request and query latencies. */
void metrics_histogram_init_latency(struct metrics_histogram *histogram);
void metrics_histogram_observe(struct metrics_histogram *histogram, double value);

/* "# HELP name help\n# TYPE name type\n" */
void metrics_write_header(struct text_buffer *out, const char *name, const char *type,
                          const char *help);
/* name{labels} value: labels is "" or `key="value",...` already escaped (see
 * metrics_label_value). */
void metrics_write_sample(struct text_buffer *out, const char *name, const char *labels,
                          double value);
/* The _bucket (cumulative, le="..."), _sum and _count lines of one histogram. */
void metrics_write_histogram(struct text_buffer *out, const char *name, const char *labels,
                             const struct metrics_histogram *histogram);
/* A label value escaped as the format wants (\\, \", \n). */
void metrics_label_value(const char *value, char *out, size_t size);

#endif
