/*
 * test_metrics: histograms (bucket edges, cumulative output, sum and count),
 * samples with and without labels, number formatting (+Inf, integers, reals) and
 * label escaping, against the Prometheus text format.
 */
#include "metrics.h"

#include "unit.h"

void unit_main(void)
{
    struct metrics_histogram histogram;
    struct text_buffer out;
    char escaped[64];

    metrics_histogram_init_latency(&histogram);
    metrics_histogram_observe(&histogram, 0.0005); /* on a bound: that bucket (le) */
    metrics_histogram_observe(&histogram, 0.003);
    metrics_histogram_observe(&histogram, 99); /* beyond every bound: +Inf */
    CHECK_INT(histogram.count, 3);
    CHECK_INT(histogram.counts[0], 1);
    CHECK_INT(histogram.counts[3], 1);
    CHECK_INT(histogram.counts[histogram.bucket_count], 1);
    text_buffer_init(&out);
    metrics_write_header(&out, "x_seconds", "histogram", "Latency.");
    metrics_write_histogram(&out, "x_seconds", "route=\"/v1/events\"", &histogram);
    const char *text = text_buffer_string(&out);
    CHECK(strstr(text, "# HELP x_seconds Latency.\n# TYPE x_seconds histogram\n") == text);
    CHECK(strstr(text, "x_seconds_bucket{route=\"/v1/events\",le=\"0.0005\"} 1\n") != NULL);
    CHECK(strstr(text, "x_seconds_bucket{route=\"/v1/events\",le=\"0.0025\"} 1\n") != NULL);
    CHECK(strstr(text, "x_seconds_bucket{route=\"/v1/events\",le=\"0.005\"} 2\n") != NULL);
    CHECK(strstr(text, "x_seconds_bucket{route=\"/v1/events\",le=\"10\"} 2\n") != NULL);
    CHECK(strstr(text, "x_seconds_bucket{route=\"/v1/events\",le=\"+Inf\"} 3\n") != NULL);
    CHECK(strstr(text, "x_seconds_sum{route=\"/v1/events\"} 99.003500000000003\n") != NULL ||
          strstr(text, "x_seconds_sum{route=\"/v1/events\"} 99.0035") != NULL);
    CHECK(strstr(text, "x_seconds_count{route=\"/v1/events\"} 3\n") != NULL);
    text_buffer_reset(&out);
    metrics_write_sample(&out, "up", "", 1);
    metrics_write_sample(&out, "ratio", "a=\"b\"", 0.25);
    CHECK_STR(text_buffer_string(&out), "up 1\nratio{a=\"b\"} 0.25\n");
    text_buffer_reset(&out);
    metrics_histogram_init_latency(&histogram);
    metrics_write_histogram(&out, "empty", NULL, &histogram);
    CHECK(strstr(text_buffer_string(&out),
                 "empty_bucket{le=\"+Inf\"} 0\nempty_sum 0\nempty_count 0\n") != NULL);
    text_buffer_free(&out);
    metrics_label_value("a\"b\\c\nd", escaped, sizeof escaped);
    CHECK_STR(escaped, "a\\\"b\\\\c\\nd");
}
