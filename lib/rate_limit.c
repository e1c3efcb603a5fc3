/*
 * rate_limit: token buckets (see rate_limit.h).
 */
#include "rate_limit.h"

#include <string.h>

double rate_bucket_take(struct rate_bucket *bucket, double now_s, double rate_per_s, double burst)
{
    if (now_s > bucket->updated_s) {
        bucket->tokens += (now_s - bucket->updated_s) * rate_per_s;
        if (bucket->tokens > burst)
            bucket->tokens = burst;
        bucket->updated_s = now_s;
    }
    if (bucket->tokens >= 1.0) {
        bucket->tokens -= 1.0;
        return 0;
    }
    return (1.0 - bucket->tokens) / rate_per_s;
}

void rate_limiter_init(struct rate_limiter *limiter)
{
    memset(limiter, 0, sizeof *limiter);
}

double rate_limiter_take(struct rate_limiter *limiter, uint64_t key, double now_s,
                         double rate_per_s, double burst)
{
    size_t start = (size_t)(key % RATE_LIMIT_SLOTS), oldest = start;
    if (key == 0)
        key = 1;
    for (size_t i = 0; i < RATE_LIMIT_PROBE; i++) {
        size_t slot = (start + i) % RATE_LIMIT_SLOTS;
        if (limiter->slots[slot].key == key)
            return rate_bucket_take(&limiter->slots[slot].bucket, now_s, rate_per_s, burst);
        if (limiter->slots[slot].key == 0 ||
            limiter->slots[slot].bucket.updated_s < limiter->slots[oldest].bucket.updated_s)
            oldest = slot;
        if (limiter->slots[slot].key == 0)
            break;
    }
    /* A new token (or one idle for long): a full bucket in the freest place. */
    limiter->slots[oldest].key = key;
    limiter->slots[oldest].bucket.tokens = burst;
    limiter->slots[oldest].bucket.updated_s = now_s;
    return rate_bucket_take(&limiter->slots[oldest].bucket, now_s, rate_per_s, burst);
}
