/*
 * metrics: the Prometheus text format (see metrics.h).
 */
#include "metrics.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void metrics_histogram_init_latency(struct metrics_histogram *histogram)
{
    static const double bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                    0.1,    0.25,  0.5,    1,     2.5,  5,     10};
    memset(histogram, 0, sizeof *histogram);
    histogram->bucket_count = sizeof bounds / sizeof bounds[0];
    memcpy(histogram->bounds, bounds, sizeof bounds);
}

void metrics_histogram_observe(struct metrics_histogram *histogram, double value)
{
    size_t bucket = 0;
    while (bucket < histogram->bucket_count && value > histogram->bounds[bucket])
        bucket++;
    histogram->counts[bucket]++;
    histogram->sum += value;
    histogram->count++;
}

void metrics_write_header(struct text_buffer *out, const char *name, const char *type,
                          const char *help)
{
    text_buffer_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void metrics_write_number(struct text_buffer *out, double value)
{
    if (isinf(value))
        text_buffer_append_string(out, value > 0 ? "+Inf" : "-Inf");
    else if (isnan(value))
        text_buffer_append_string(out, "NaN");
    else if (value == floor(value) && fabs(value) < 1e15)
        text_buffer_printf(out, "%.0f", value);
    else
        text_buffer_printf(out, "%.17g", value);
}

void metrics_write_sample(struct text_buffer *out, const char *name, const char *labels,
                          double value)
{
    text_buffer_append_string(out, name);
    if (labels && *labels)
        text_buffer_printf(out, "{%s}", labels);
    text_buffer_append_string(out, " ");
    metrics_write_number(out, value);
    text_buffer_append_string(out, "\n");
}

void metrics_write_histogram(struct text_buffer *out, const char *name, const char *labels,
                             const struct metrics_histogram *histogram)
{
    uint64_t cumulative = 0;
    const char *comma = labels && *labels ? "," : "";
    for (size_t b = 0; b <= histogram->bucket_count; b++) {
        cumulative += histogram->counts[b];
        text_buffer_printf(out, "%s_bucket{%s%sle=\"", name, labels ? labels : "", comma);
        if (b < histogram->bucket_count)
            text_buffer_printf(out, "%g", histogram->bounds[b]);
        else
            text_buffer_append_string(out, "+Inf");
        text_buffer_printf(out, "\"} %llu\n", (unsigned long long)cumulative);
    }
    char sum_name[128], count_name[128];
    snprintf(sum_name, sizeof sum_name, "%s_sum", name);
    snprintf(count_name, sizeof count_name, "%s_count", name);
    metrics_write_sample(out, sum_name, labels, histogram->sum);
    metrics_write_sample(out, count_name, labels, (double)histogram->count);
}

void metrics_label_value(const char *value, char *out, size_t size)
{
    size_t used = 0;
    for (const char *p = value; *p && used + 3 < size; p++) {
        if (*p == '\\' || *p == '"') {
            out[used++] = '\\';
            out[used++] = *p;
        } else if (*p == '\n') {
            out[used++] = '\\';
            out[used++] = 'n';
        } else {
            out[used++] = *p;
        }
    }
    out[used] = '\0';
}
