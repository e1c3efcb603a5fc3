/*
 * test_rate_limit: token buckets (a burst, then the rate, the wait a 429 names, the
 * refill capped at the burst) and the bounded table (tokens apart, reuse of the
 * least recently used slot when a probe window is full).
 */
#include "rate_limit.h"

#include <stdlib.h>

#include "unit.h"

void unit_main(void)
{
    struct rate_limiter *limiter = malloc(sizeof *limiter);
    rate_limiter_init(limiter);
    /* burst 10 at 5/s: ten go at once, the eleventh waits 0.2 s */
    for (int i = 0; i < 10; i++)
        CHECK(rate_limiter_take(limiter, 42, 100.0, 5, 10) == 0);
    CHECK_NEAR(rate_limiter_take(limiter, 42, 100.0, 5, 10), 0.2);
    CHECK_NEAR(rate_limiter_take(limiter, 42, 100.1, 5, 10), 0.1);
    CHECK(rate_limiter_take(limiter, 42, 100.2, 5, 10) == 0);
    /* another token has its own bucket */
    CHECK(rate_limiter_take(limiter, 43, 100.2, 5, 10) == 0);
    /* after a long pause: a full burst, not more */
    int allowed = 0;
    for (int i = 0; i < 50; i++)
        allowed += rate_limiter_take(limiter, 42, 1000.0, 5, 10) == 0;
    CHECK_INT(allowed, 10);
    /* a full probe window: the least recently used is reused, others keep theirs */
    for (uint64_t k = 0; k < RATE_LIMIT_PROBE; k++)
        rate_limiter_take(limiter, 7 + k * RATE_LIMIT_SLOTS, 2000.0 + (double)k, 1, 1);
    CHECK(rate_limiter_take(limiter, 7 + 100 * RATE_LIMIT_SLOTS, 2010.0, 1, 1) == 0);
    CHECK(rate_limiter_take(limiter, 7 + 7 * RATE_LIMIT_SLOTS, 2007.5, 1, 1) > 0); /* still there */
    free(limiter);
}
