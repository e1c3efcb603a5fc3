/*
 * rate_limit: a token bucket per API token (issue 7: per-token rate limits with 429
 * and Retry-After). Owns struct rate_limiter: a fixed table of buckets keyed by a
 * token's hash, so memory is bounded whatever the number of tokens (the least
 * recently used bucket of a probe window is reused). Pure: the caller gives the
 * time.
 */
#ifndef CCM_RATE_LIMIT_H
#define CCM_RATE_LIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RATE_LIMIT_SLOTS 4096
#define RATE_LIMIT_PROBE 8

struct rate_bucket {
    double tokens;
    double updated_s;
};

/* Takes one request from a bucket refilled at rate_per_s up to burst. Returns 0 when
 * the request may go, else the seconds until it could (> 0). */
double rate_bucket_take(struct rate_bucket *bucket, double now_s, double rate_per_s, double burst);

struct rate_limiter {
    struct {
        uint64_t key; /* 0: free */
        struct rate_bucket bucket;
    } slots[RATE_LIMIT_SLOTS];
};

void rate_limiter_init(struct rate_limiter *limiter);
/* key: any well-mixed 64-bit value of the token (e.g. from its SHA-256), not 0. */
double rate_limiter_take(struct rate_limiter *limiter, uint64_t key, double now_s,
                         double rate_per_s, double burst);

#endif
