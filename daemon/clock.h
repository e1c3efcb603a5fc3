/*
 * clock: the daemon's two readings of time, in one place. Monotonic seconds measure
 * durations and schedule work (never affected by the wall clock being set); the real
 * time in microseconds since 1970 is what periods, ages and timestamps are of (lib/
 * calendar's instants).
 */
#ifndef CCM_CLOCK_H
#define CCM_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline double clock_monotonic_s(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static inline int64_t clock_now_us(void)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
}

#endif
