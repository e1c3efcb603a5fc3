/*
 * unit: the tiny assertion kit of the lib/ unit tests. Each test_*.c defines
 * unit_main(); every failed check prints file:line and what differed, and the
 * process exits non-zero if any check failed. Table-driven tests loop over a
 * static array of cases and name the case in each message.
 */
#ifndef CCM_UNIT_H
#define CCM_UNIT_H

#include <math.h>
#include <stdio.h>
#include <string.h>

extern int unit_checks;
extern int unit_failures;

void unit_fail(const char *file, int line, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        unit_checks++;                                                                             \
        if (!(cond))                                                                               \
            unit_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);                                     \
    } while (0)

#define CHECK_MSG(cond, ...)                                                                       \
    do {                                                                                           \
        unit_checks++;                                                                             \
        if (!(cond))                                                                               \
            unit_fail(__FILE__, __LINE__, __VA_ARGS__);                                            \
    } while (0)

#define CHECK_INT(got, want)                                                                       \
    do {                                                                                           \
        long long unit_got_ = (long long)(got), unit_want_ = (long long)(want);                    \
        unit_checks++;                                                                             \
        if (unit_got_ != unit_want_)                                                               \
            unit_fail(__FILE__, __LINE__, "%s = %lld, want %lld", #got, unit_got_, unit_want_);    \
    } while (0)

#define CHECK_STR(got, want)                                                                       \
    do {                                                                                           \
        const char *unit_got_ = (got), *unit_want_ = (want);                                       \
        unit_checks++;                                                                             \
        if (!unit_got_ || !unit_want_ || strcmp(unit_got_, unit_want_) != 0)                       \
            unit_fail(__FILE__, __LINE__, "%s = \"%s\", want \"%s\"", #got,                        \
                      unit_got_ ? unit_got_ : "(null)", unit_want_ ? unit_want_ : "(null)");       \
    } while (0)

/* Relative tolerance 1e-9 (the conformance suite allows 1e-6). */
#define CHECK_NEAR(got, want)                                                                      \
    do {                                                                                           \
        double unit_got_ = (got), unit_want_ = (want);                                             \
        unit_checks++;                                                                             \
        if (!(fabs(unit_got_ - unit_want_) <= 1e-9 * fmax(1.0, fabs(unit_want_))))                 \
            unit_fail(__FILE__, __LINE__, "%s = %.12g, want %.12g", #got, unit_got_, unit_want_);  \
    } while (0)

/* For loops over millions of cases: every check counts, but only the first
 * `budget` failures are printed (budget is an int variable, decremented). */
#define CHECK_BULK(cond, budget, ...)                                                              \
    do {                                                                                           \
        unit_checks++;                                                                             \
        if (!(cond)) {                                                                             \
            if ((budget)-- > 0)                                                                    \
                unit_fail(__FILE__, __LINE__, __VA_ARGS__);                                        \
            else                                                                                   \
                unit_failures++;                                                                   \
        }                                                                                          \
    } while (0)

/* Defined by each test file. */
void unit_main(void);

#endif
