/*
 * sim: the simulated contact centre of a UK council, the model behind
 * ccmetrics-sim (demo traffic, backfills, load tests) and behind tests that
 * need realistic contacts. Pure: no I/O, no clock, no globals; everything
 * follows from (seed, rate multiplier, time zone, always-open), so the same
 * arguments give the same calls, byte for byte, on every run (of one build: the
 * draws go through libm's log/exp/cos).
 *
 * The model: eight queues in four services; opening hours (Mon-Fri
 * 08:30-17:00 local, Saturday 09:00-12:00 on some queues, closed on Sundays,
 * 25/26 December and 1 January); a half-hourly arrival curve (Monday-morning
 * peak, lunch dip, post-lunch bump, quiet Friday afternoon; council tax busy
 * on the first working days of a month and in March/April); Poisson arrivals;
 * agents rostered per half hour from the expected load (slightly under-staffed
 * at peaks, thinner over lunch); unplanned bad days (sickness thins a roster,
 * an incident brings a surge); a FIFO queue served by the first free agent;
 * caller patience (log-normal, plus a few callers who hang up within seconds)
 * -> abandoned; a queue time-out, or a voicemail offer taken -> timeout; a
 * queue capacity -> refused; log-normal handle times; first-contact resolution
 * per queue; callers drawn from a pool with frequent repeat callers; an enquiry
 * reason per call.
 *
 * Each local day of each queue is simulated on its own from a random stream
 * seeded by (seed, queue, day): queues are empty at opening, so a day's calls
 * do not depend on the range asked for, and ids ("sim-SEED-YYYYMMDD-QUEUE-N")
 * are stable: a backfill and a live run with the same seed never post one
 * call under two ids (a re-post is a duplicate, which the API ignores).
 */
#ifndef CCM_SIM_H
#define CCM_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccm_error.h"
#include "tz.h"

/* ---- deterministic PRNG: xoshiro256** seeded through splitmix64 ---- */

struct sim_rng {
    uint64_t s[4];
};

void sim_rng_seed(struct sim_rng *rng, uint64_t seed);
uint64_t sim_rng_next(struct sim_rng *rng);
/* Uniform in [0, 1), 53 random bits. */
double sim_rng_uniform(struct sim_rng *rng);
/* Uniform integer in [0, n); n > 0. Unbiased. */
uint64_t sim_rng_below(struct sim_rng *rng, uint64_t n);
/* Exponential with the given mean (> 0). */
double sim_rng_exponential(struct sim_rng *rng, double mean);
/* Standard normal (Box-Muller, no cached state). */
double sim_rng_normal(struct sim_rng *rng);
/* Log-normal with the given median and shape sigma. */
double sim_rng_lognormal(struct sim_rng *rng, double median, double sigma);

/* ---- the queues ---- */

/* What a tool needs to configure a queue in the daemon (PUT /v1/queues/NAME). */
struct sim_queue_info {
    const char *name;    /* "council-tax" */
    const char *service; /* "revenues" */
    int sl_threshold_s;  /* service-level threshold the council reports against */
    int short_abandon_s; /* 0 = no short abandons */
    bool saturday;       /* open Saturday mornings */
};

size_t sim_queue_count(void);
/* NULL when index >= sim_queue_count(). */
const struct sim_queue_info *sim_queue_info(size_t index);

/* ---- the records ---- */

enum sim_outcome {
    SIM_OUTCOME_ANSWERED = 0,
    SIM_OUTCOME_ABANDONED = 1,
    SIM_OUTCOME_TIMEOUT = 2,
    SIM_OUTCOME_REFUSED = 3,
};
#define SIM_OUTCOME_COUNT 4

/* "answered", "abandoned", "timeout", "refused" (the API's names). */
const char *sim_outcome_name(enum sim_outcome outcome);

#define SIM_ID_MAX     72 /* "sim-" + 20-digit seed + date + queue + sequence, with NUL */
#define SIM_CALLER_MAX 16 /* "+4479NNNNNNNN" with NUL */
#define SIM_AGENT_MAX  16 /* "agent-NNNN" with NUL */

/* One call record: the fields of the ingest API's call record. All instants
 * are whole seconds (int64 microseconds since the Unix epoch). */
struct sim_record {
    char id[SIM_ID_MAX];
    const char *queue;   /* static string */
    const char *channel; /* "phone" */
    int64_t offered_us;
    int64_t answered_us; /* valid when outcome == SIM_OUTCOME_ANSWERED */
    int64_t ended_us;    /* >= answered_us (answered), >= offered_us (otherwise) */
    enum sim_outcome outcome;
    int32_t handle_s;            /* talk + hold + wrap; -1 unless answered */
    int first_contact_resolved;  /* 1, 0, or -1 when unknown (always -1 unless answered) */
    char caller[SIM_CALLER_MAX]; /* "" when the number was withheld */
    const char *reason;          /* static string, never NULL */
    char agent[SIM_AGENT_MAX];   /* "" unless answered */
    uint32_t queue_index;        /* index for sim_queue_info */
    uint32_t sequence;           /* 1-based, per queue and local day, in offered order */
};

/* Wait as the KPI definitions measure it: answered - offered, else ended - offered. */
int64_t sim_record_wait_us(const struct sim_record *record);

/* One NDJSON line ('\n'-terminated, NUL after it) with RFC 3339 UTC instants; fields a
 * record does not have (answered_at, handle_s, agent, ...) are omitted. */
#define SIM_NDJSON_MAX 640
/* Returns the length written (without the NUL), or -1 when size is too small. */
int sim_format_ndjson(const struct sim_record *record, char *out, size_t size);

/* The record as the lifecycle events a PBX sends as the call happens (API contract):
 * call.offered at offered_at (queue, channel, caller), call.answered at answered_at
 * (agent; answered calls only), call.ended at ended_at (outcome, handle_s,
 * first_contact_resolved). One NDJSON line, like sim_format_ndjson. */
enum sim_lifecycle_step {
    SIM_LIFECYCLE_OFFERED,
    SIM_LIFECYCLE_ANSWERED,
    SIM_LIFECYCLE_ENDED,
};
int sim_format_lifecycle(const struct sim_record *record, enum sim_lifecycle_step step, char *out,
                         size_t size);

/* ---- the model ---- */

#define SIM_SLOTS    48 /* half hours of a local day */
#define SIM_RATE_MAX 1000.0

/* Caller-allocated; every field is private. Initialise with sim_model_init and
 * release with sim_model_free. Not thread-safe (one model per thread). */
struct sim_model {
    uint64_t seed;
    double rate;
    bool always_open;
    struct tz_rule tz;
    /* simulated local days (all queues, offered order), least recently used replaced */
    struct sim_day_cache {
        bool valid;
        int32_t day;
        uint64_t used;
        struct sim_record *records;
        size_t count;
        size_t capacity;
    } cache[2];
    uint64_t cache_clock;
    /* scratch owned by the model, reused from day to day */
    void *scratch_internal;
};

/* rate_multiplier scales arrivals and staffing (1 = a large council, ~7,000 weekday
 * calls); must be > 0 and <= SIM_RATE_MAX. The time zone is Europe/London. */
int sim_model_init(struct sim_model *model, uint64_t seed, double rate_multiplier,
                   struct ccm_error *error);
void sim_model_free(struct sim_model *model);

/* Local opening hours and arrival curve in another zone (default Europe/London). */
void sim_model_set_tz(struct sim_model *model, const struct tz_rule *rule);
/* Every half hour of every day is open, with the daytime curve squeezed into 24 h
 * (a demo outside opening hours). Changes the calls a seed gives. */
void sim_model_set_always_open(struct sim_model *model, bool always_open);

/* Whether queue `queue_index` takes calls at an instant. */
bool sim_model_is_open(struct sim_model *model, size_t queue_index, int64_t instant_us);
/* Agents rostered on a queue at an instant (0 when closed). */
int sim_model_agents(struct sim_model *model, size_t queue_index, int64_t instant_us);
/* The expected number of calls (all queues) offered in [from_us, to_us). */
double sim_model_expected_calls(struct sim_model *model, int64_t from_us, int64_t to_us);

/* Iteration in offered order over the records offered in [from_us, to_us). */
struct sim_cursor {
    int64_t from_us;
    int64_t to_us;
    int32_t day;     /* the local day being read */
    int32_t end_day; /* one past the last local day */
    size_t index;    /* next record of that day */
};

void sim_cursor_init(struct sim_cursor *cursor, struct sim_model *model, int64_t from_us,
                     int64_t to_us);
/* 1 and *record set (valid until the next call on this model), 0 at the end, -1 on
 * out-of-memory (error filled). Cursors may interleave on one model: the model keeps
 * the two days used last, and re-simulates an evicted one (with the same result). */
int sim_cursor_next(struct sim_model *model, struct sim_cursor *cursor,
                    const struct sim_record **record, struct ccm_error *error);

/* Calls fn for each record offered in [from_us, to_us), in offered order (ties by
 * queue, then sequence). fn returns 0 to go on, or a positive value to stop, which is
 * then returned. Returns 0 at the end, -1 on out-of-memory (error filled). */
typedef int (*sim_record_fn)(const struct sim_record *record, void *user_data);
int sim_generate(struct sim_model *model, int64_t from_us, int64_t to_us, sim_record_fn fn,
                 void *user_data, struct ccm_error *error);

#endif
