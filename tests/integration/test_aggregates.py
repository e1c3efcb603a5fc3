"""The KPI figures (read from the 15-minute interval aggregates, or from raw
rows for periods off the 15-minute grid) equal an independent computation of
shared/spec/kpis.md over the raw `contacts` rows, on seeded random data with
queue settings versions added before, between and after the ingest; again
after `ccmetricsd rebuild`; and again after the aggregates were corrupted and
rebuilt.

The independent computation is plain Python over rows fetched from `contacts`
(no contact_facts view, no contact_intervals): settings in force on the local
Europe/London date of offered_at with omitted keys carried forward, short
abandons, the four service-level formulas per contact, null denominators."""
import datetime
import random
import threading
import time
from zoneinfo import ZoneInfo

from harness import (Checks, Daemon, Postgres, get_kpis, http, post_events, run_cli, url_with,
                     write_config)

c = Checks("aggregates")
started = time.time()
LONDON = ZoneInfo("Europe/London")
UTC = datetime.timezone.utc
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=UTC)
TENANT = "agg"
QUEUES = ["q-ctax", "q-benefits", "q-housing", "q-waste"]
SERVICES = ["revenues", "housing"]
CHANNELS = ["phone", "face_to_face", "webchat", "email", "social", "webform"]
OUTCOMES = {1: "answered", 2: "abandoned", 3: "timeout", 4: "refused"}
KEYS = ["offered", "answered", "abandoned", "short_abandoned", "timed_out", "refused",
        "handled_denominator", "answered_pct", "abandoned_pct", "asa_s", "service_level_pct",
        "aht_s", "fcr_pct", "longest_wait_s"]
COUNT_KEYS = KEYS[:7]
DEFAULTS = {"service": None, "sl_threshold_s": 80, "sl_formula": "abandons_count",
            "short_abandon_s": 0}

pg = Postgres()
# This daemon never finalizes repeat-contact counts (finalize_repeat() below does, at a
# chosen moment), so one round compares the figures of the raw-contact path and another
# those of the stored counts.
daemon = Daemon(database=pg.dsn,
                extra=["--config", write_config("repeat_finalize_interval_s = 0\n")])
token = daemon.token(TENANT)
URL = daemon.url


# ---- time helpers ---------------------------------------------------------------------------
def us_of(dt):
    return (dt - EPOCH) // datetime.timedelta(microseconds=1)


def dt_of(us):
    return EPOCH + datetime.timedelta(microseconds=us)


def local_us(y, mo, d, h=0, mi=0, s=0, us=0, fold=0):
    return us_of(datetime.datetime(y, mo, d, h, mi, s, us, tzinfo=LONDON, fold=fold))


def local_date(us):
    return dt_of(us).astimezone(LONDON).date()


def rfc3339(us, rng):
    """The instant in one of several equivalent RFC 3339 spellings."""
    style = rng.random()
    t = dt_of(us)
    if style < 0.25:
        t = t.astimezone(LONDON)
    micro = t.microsecond
    text = t.strftime("%Y-%m-%dT%H:%M:%S")
    if micro:
        text += f".{micro // 1000:03d}" if micro % 1000 == 0 else f".{micro:06d}"
    if style < 0.25:
        off = t.utcoffset()
        return text + ("+01:00" if off else "+00:00")
    return text + ("Z" if style < 0.85 else "+00:00")


def iso(us):
    """UTC RFC 3339 with Z, microseconds when needed (for query parameters)."""
    t = dt_of(us)
    text = t.strftime("%Y-%m-%dT%H:%M:%S")
    return text + (f".{t.microsecond:06d}" if t.microsecond else "") + "Z"


def parse_instant(text):
    return us_of(datetime.datetime.fromisoformat(text.replace("Z", "+00:00")))


# ---- the settings model: PUT /v1/queues versions ------------------------------------------
versions = {q: {} for q in QUEUES}  # queue -> {effective date or None: {given keys}}


def put_queue(queue, body):
    status, answer, _ = http("PUT", URL + f"/v1/queues/{queue}", token, body)
    c.equal(status, 200, f"PUT /v1/queues/{queue} {body}: status ({answer!r:.200})")
    eff = body.get("effective_from")
    versions[queue][datetime.date.fromisoformat(eff) if eff else None] = {
        k: v for k, v in body.items() if k != "effective_from"}


def settings_on(queue, day):
    """The settings in force on local date `day`: versions in date order (the one without a
    date first), each omitted key keeping the value of the version before."""
    current = dict(DEFAULTS)
    in_force = dict(DEFAULTS)
    ordered = sorted(versions[queue].items(),
                     key=lambda kv: datetime.date.min if kv[0] is None else kv[0])
    for eff, given in ordered:
        current = dict(current, **given)
        if eff is None or eff <= day:
            in_force = dict(current)
    return in_force


# ---- seeded random contacts -------------------------------------------------------------------
rng = random.Random(20260329)
FINAL_PUTS = []  # filled below; thresholds for "exactly at T" waits use the final settings


def plan_settings():
    """Every PUT of the test in order: (phase, queue, body)."""
    return [
        ("before", "q-ctax", {"service": "revenues"}),
        ("before", "q-benefits", {"service": "revenues", "sl_threshold_s": 20,
                                  "sl_formula": "abandons_ignored", "effective_from": "2026-01-01"}),
        ("before", "q-housing", {"service": "housing", "short_abandon_s": 5}),
        ("before", "q-waste", {"service": "housing", "sl_formula": "answered_only",
                               "effective_from": "2026-03-10"}),
        ("before", "q-ctax", {"sl_threshold_s": 30, "sl_formula": "abandons_positive",
                              "effective_from": "2026-03-15"}),
        ("before", "q-housing", {"service": "revenues", "effective_from": "2026-03-01"}),
        # between the two halves of the ingest
        ("between", "q-benefits", {"short_abandon_s": 10, "sl_formula": "answered_only",
                                   "effective_from": "2026-03-29"}),
        ("between", "q-ctax", {"sl_threshold_s": 25, "short_abandon_s": 8,
                               "effective_from": "2026-03-15"}),  # replaces that version
        # after everything was ingested
        ("after", "q-waste", {"sl_threshold_s": 15, "service": "housing"}),  # has always applied
        ("after", "q-housing", {"sl_threshold_s": 45, "sl_formula": "abandons_positive",
                                "effective_from": "2026-04-20"}),
        ("after", "q-benefits", {"service": "housing", "effective_from": "2026-10-01"}),
        ("after", "q-ctax", {"short_abandon_s": 3, "effective_from": "2026-02-14"}),
    ]


# The final model, to place waits exactly on the thresholds that will judge them.
for _, q, body in plan_settings():
    eff = body.get("effective_from")
    versions[q][datetime.date.fromisoformat(eff) if eff else None] = {
        k: v for k, v in body.items() if k != "effective_from"}
final_versions = {q: dict(v) for q, v in versions.items()}
versions = {q: {} for q in QUEUES}


def final_settings(queue, day):
    global versions
    saved, versions = versions, final_versions
    try:
        return settings_on(queue, day)
    finally:
        versions = saved


def offered_times():
    out = []
    lo, hi = local_us(2026, 2, 1), local_us(2026, 5, 1)
    out += [rng.randrange(lo, hi) for _ in range(2700)]
    # contacts a moment either side of local midnight, clock-change nights included
    for day in [datetime.date(2026, 2, 1) + datetime.timedelta(days=rng.randrange(89))
                for _ in range(40)] + [datetime.date(2026, 3, d) for d in (28, 29, 30, 31)] + [
                datetime.date(2026, 10, d) for d in (24, 25, 26, 27)] + [datetime.date(2026, 4, 1),
                                                                            datetime.date(2026, 5, 1)]:
        midnight = us_of(datetime.datetime(day.year, day.month, day.day, tzinfo=LONDON))
        for delta in (-1, 0, 1, rng.randrange(1, 900_000_000), -rng.randrange(1, 900_000_000)):
            out.append(midnight + delta)
    # the spring-forward day: 23 local hours, and around the jump at 01:00 UTC
    lo, hi = local_us(2026, 3, 29), local_us(2026, 3, 30)
    out += [rng.randrange(lo, hi) for _ in range(90)]
    jump = us_of(datetime.datetime(2026, 3, 29, 1, 0, tzinfo=UTC))
    out += [jump - 1, jump, jump + 1, jump - 450_000_000, jump + 450_000_000]
    # the fall-back day: 25 local hours, 01:00-02:00 local twice
    lo, hi = local_us(2026, 10, 25), local_us(2026, 10, 26)
    out += [rng.randrange(lo, hi) for _ in range(110)]
    out += [local_us(2026, 10, 25, 1, 30, fold=0), local_us(2026, 10, 25, 1, 30, fold=1),
            us_of(datetime.datetime(2026, 10, 25, 1, 0, tzinfo=UTC)) - 1,
            us_of(datetime.datetime(2026, 10, 25, 1, 0, tzinfo=UTC))]
    return out


def make_contacts():
    contacts = []
    for n, offered in enumerate(sorted(offered_times())):
        queue = QUEUES[rng.randrange(4)] if rng.random() < 0.9 else "q-ctax"
        day = local_date(offered)
        s = final_settings(queue, day)
        t_us, short_us = s["sl_threshold_s"] * 1_000_000, s["short_abandon_s"] * 1_000_000
        r = rng.random()
        outcome = 1 if r < 0.62 else 2 if r < 0.82 else 3 if r < 0.91 else 4
        channel = rng.choices(range(6), weights=[70, 4, 12, 8, 3, 3])[0]
        answered = ended = handle_ms = fcr = None
        pick = rng.random()
        if outcome == 1:
            wait = (t_us if pick < 0.12 else t_us + 1 if pick < 0.15 else t_us - 1 if pick < 0.18
                    else rng.randrange(0, 240_000_000))
            answered = offered + wait
            ended = answered + rng.randrange(1_000_000, 900_000_000)
            if rng.random() < 0.8:
                handle_ms = rng.randrange(5, 1800) * 1000 + (500 if rng.random() < 0.3 else 0)
            f = rng.random()
            fcr = True if f < 0.45 else False if f < 0.65 else None
        elif outcome == 2:
            wait = (short_us if pick < 0.1 and short_us else short_us - 1 if pick < 0.2 and short_us
                    else t_us if pick < 0.27 else t_us + 1 if pick < 0.3
                    else rng.randrange(0, 180_000_000))
            ended = offered + wait
        elif outcome == 3:
            ended = offered + (t_us if pick < 0.1 else rng.randrange(60_000_000, 900_000_000))
        else:
            if pick < 0.5:
                ended = offered + rng.randrange(0, 3_000_000)
        if outcome != 1 and rng.random() < 0.08:
            handle_ms = rng.randrange(1, 100) * 1000  # not answered: must not count
        if outcome != 1 and rng.random() < 0.08:
            fcr = rng.random() < 0.5  # not answered: must not count
        contacts.append({"id": f"agg-{n:05d}-{rng.randrange(16 ** 6):06x}", "queue": queue,
                         "channel": channel, "outcome": outcome, "offered": offered,
                         "answered": answered, "ended": ended, "handle_ms": handle_ms,
                         "fcr": fcr, "caller": None})
    # Callers: a further contact of the same caller comes either within 5 days or after more
    # than 9, so any reading of the 7-day repeat window gives the same figures.
    last_of = {}
    for contact in contacts:
        if rng.random() < 0.3:
            continue
        fits = [k for k, last in last_of.items()
                if 3_600_000_000 <= contact["offered"] - last <= 5 * 86_400_000_000
                or contact["offered"] - last > 9 * 86_400_000_000]
        caller = rng.choice(fits) if fits and rng.random() < 0.6 else f"+447700{len(last_of):06d}"
        contact["caller"] = caller
        last_of[caller] = contact["offered"]
    return contacts


def event_json(ct):
    e = {"id": ct["id"], "queue": ct["queue"], "offered_at": rfc3339(ct["offered"], rng),
         "outcome": OUTCOMES[ct["outcome"]]}
    if ct["channel"] != 0 or rng.random() < 0.5:
        e["channel"] = CHANNELS[ct["channel"]]
    if ct["answered"] is not None:
        e["answered_at"] = rfc3339(ct["answered"], rng)
    if ct["ended"] is not None:
        e["ended_at"] = rfc3339(ct["ended"], rng)
    if ct["handle_ms"] is not None:
        e["handle_s"] = ct["handle_ms"] // 1000 if ct["handle_ms"] % 1000 == 0 else ct["handle_ms"] / 1000
    if ct["fcr"] is not None:
        e["first_contact_resolved"] = ct["fcr"]
    if ct["caller"]:
        e["caller"] = ct["caller"]
    return e


generated = make_contacts()
print(f"  {len(generated)} contacts generated", flush=True)
order = list(generated)
rng.shuffle(order)
half = len(order) // 2


def ingest(contacts, what):
    accepted = 0
    for i in range(0, len(contacts), 250):
        chunk = contacts[i:i + 250]
        events = [event_json(ct) for ct in chunk]
        status, body, _ = post_events(URL, token, events, ndjson=(i // 250) % 3 == 1)
        if c.equal(status, 200, f"{what}: POST of {len(chunk)} events: status ({body!r:.300})"):
            accepted += body.get("accepted", 0)
    c.equal(accepted, len(contacts), f"{what}: accepted")


plan = plan_settings()
for phase, q, body in plan:
    if phase == "before":
        put_queue(q, body)
ingest(order[:half], "first half")
for phase, q, body in plan:
    if phase == "between":
        put_queue(q, body)
ingest(order[half:], "second half")
for phase, q, body in plan:
    if phase == "after":
        put_queue(q, body)
c.equal(final_versions, versions, "the test's settings model (sanity)")

# ---- the raw rows -----------------------------------------------------------------------------
rows = pg.psql(
    "SELECT c.id, c.queue, c.channel, c.outcome,"
    " (extract(epoch FROM c.offered_at) * 1000000)::bigint,"
    " (extract(epoch FROM c.answered_at) * 1000000)::bigint,"
    " (extract(epoch FROM c.ended_at) * 1000000)::bigint,"
    " c.handle_ms, c.first_contact_resolved, c.caller_hash"
    " FROM contacts c JOIN tenants t ON t.id = c.tenant_id"
    f" WHERE t.name = '{TENANT}' ORDER BY c.id")
opt_int = lambda s: int(s) if s != "" else None
raw = [{"id": r[0], "queue": r[1], "channel": int(r[2]), "outcome": int(r[3]),
        "offered": int(r[4]), "answered": opt_int(r[5]), "ended": opt_int(r[6]),
        "handle_ms": opt_int(r[7]), "fcr": {"t": True, "f": False, "": None}[r[8]],
        "caller": r[9] or None} for r in rows]
c.equal(len(raw), len(generated), "contacts rows stored")
by_id = {ct["id"]: ct for ct in generated}
diffs = [(r["id"], k, r[k], by_id.get(r["id"], {}).get(k)) for r in raw
         for k in ("queue", "channel", "outcome", "offered", "answered", "ended", "handle_ms",
                   "fcr") if r[k] != by_id.get(r["id"], {}).get(k)]
c.check(not diffs, f"stored contacts equal the posted ones: {len(diffs)} differences, "
                   f"e.g. {diffs[:5]}")


# ---- the independent computation --------------------------------------------------------------
def classify(ct):
    day = local_date(ct["offered"])
    s = settings_on(ct["queue"], day)
    o = ct["outcome"]
    if o == 1:
        wait = ct["answered"] - ct["offered"]
    elif ct["ended"] is not None:
        wait = ct["ended"] - ct["offered"]
    else:
        wait = None
    t_us, short_us = s["sl_threshold_s"] * 1_000_000, s["short_abandon_s"] * 1_000_000
    short = o == 2 and wait is not None and wait < short_us
    handled = not short and o != 4
    ans_within = o == 1 and wait <= t_us
    ab_within = o == 2 and not short and wait is not None and wait <= t_us
    formula = s["sl_formula"]
    if formula == "abandons_count":
        num, den = ans_within, handled
    elif formula == "abandons_ignored":
        num, den = ans_within, handled and not ab_within
    elif formula == "answered_only":
        num, den = ans_within, o == 1
    else:  # abandons_positive
        num, den = ans_within or ab_within, handled
    return dict(ct, day=day, service=s["service"], wait=wait, short=short, num=int(num),
                den=int(den))


facts = [classify(ct) for ct in raw]


def repeat_flags():
    """answered contacts with a known caller -> True when no further contact of the caller
    follows within 7 days."""
    by_caller = {}
    for f in facts:
        if f["caller"]:
            by_caller.setdefault(f["caller"], []).append(f["offered"])
    out = {}
    for f in facts:
        if f["outcome"] == 1 and f["caller"]:
            later = [t for t in by_caller[f["caller"]] if t > f["offered"]]
            out[f["id"]] = not later or min(later) - f["offered"] > 7 * 86_400_000_000
    return out


no_repeat = repeat_flags()


def figures(subset):
    n = len(subset)
    answered = [f for f in subset if f["outcome"] == 1]
    abandoned = sum(1 for f in subset if f["outcome"] == 2 and not f["short"])
    short = sum(1 for f in subset if f["short"])
    refused = sum(1 for f in subset if f["outcome"] == 4)
    handled = n - short - refused
    handles = [f["handle_ms"] for f in answered if f["handle_ms"] is not None]
    known = [f for f in answered if f["fcr"] is not None]
    den = sum(f["den"] for f in subset)
    waits = [f["wait"] for f in subset if f["wait"] is not None]
    callers = [f for f in answered if f["caller"]]
    pct = lambda a, b: 100 * a / b if b else None
    return {
        "offered": n, "answered": len(answered), "abandoned": abandoned,
        "short_abandoned": short, "timed_out": sum(1 for f in subset if f["outcome"] == 3),
        "refused": refused, "handled_denominator": handled,
        "answered_pct": pct(len(answered), handled), "abandoned_pct": pct(abandoned, handled),
        "asa_s": sum(f["wait"] for f in answered) / len(answered) / 1e6 if answered else None,
        "service_level_pct": pct(sum(f["num"] for f in subset), den),
        "aht_s": sum(handles) / len(handles) / 1e3 if handles else None,
        "fcr_pct": pct(sum(1 for f in known if f["fcr"]), len(known)),
        "longest_wait_s": max(waits) / 1e6 if waits else None,
        "repeat_fcr_pct": pct(sum(1 for f in callers if no_repeat[f["id"]]), len(callers)),
    }


def in_scope(f, scope, channel=None):
    if channel is not None and f["channel"] != CHANNELS.index(channel):
        return False
    if scope == "tenant":
        return True
    kind, name = scope.split(":", 1)
    return f["queue"] == name if kind == "queue" else f["service"] == name


def month_range(y, m):
    return datetime.date(y, m, 1), datetime.date(y + m // 12, m % 12 + 1, 1)


def same(got, want):
    if want is None or got is None:
        return got is None and want is None
    if isinstance(want, int) and not isinstance(want, bool):
        return got == want and isinstance(got, int)
    return isinstance(got, (int, float)) and abs(got - want) <= 1e-9 * max(1.0, abs(want))


missing_repeat = []


def compare(got_kpis, want, what):
    """One check per answer: every KPI key present and equal."""
    bad = []
    for key in KEYS:
        entry = got_kpis.get(key)
        if not isinstance(entry, dict) or "value" not in entry:
            bad.append(f"{key} missing")
        elif not same(entry["value"], want[key]):
            bad.append(f"{key} {entry['value']!r} != {want[key]!r}")
    entry = got_kpis.get("repeat_fcr_pct")
    if entry is None:
        missing_repeat.append(what)
    elif not isinstance(entry, dict) or not isinstance(entry.get("provisional"), bool):
        bad.append(f"repeat_fcr_pct {entry!r} without a provisional flag")
    elif not same(entry.get("value"), want["repeat_fcr_pct"]):
        # provisional or not: the figure of the contacts stored so far
        bad.append(f"repeat_fcr_pct {entry.get('value')!r} != {want['repeat_fcr_pct']!r}")
    return c.check(not bad, f"{what}: " + "; ".join(bad[:8]))


SCOPES = ["tenant"] + [f"queue:{q}" for q in QUEUES] + [f"service:{s}" for s in SERVICES]
CHANNEL_VIEWS = [("tenant", "webchat"), ("service:revenues", "phone"), ("queue:q-ctax", "email")]
expected_cache = {}


def expected(scope, channel, lo_day=None, hi_day=None, lo_us=None, hi_us=None):
    key = (scope, channel, lo_day, hi_day, lo_us, hi_us)
    if key not in expected_cache:
        subset = [f for f in facts if in_scope(f, scope, channel)
                  and (lo_day is None or lo_day <= f["day"] < hi_day)
                  and (lo_us is None or lo_us <= f["offered"] < hi_us)]
        expected_cache[key] = figures(subset)
    return expected_cache[key]


def check_period(got_period, lo_us, hi_us, what):
    ok = (isinstance(got_period, dict) and str(got_period.get("from", "")).endswith("Z")
          and str(got_period.get("to", "")).endswith("Z")
          and parse_instant(got_period["from"]) == lo_us and parse_instant(got_period["to"]) == hi_us)
    return c.check(ok, f"{what}: period {got_period!r}, want from {iso(lo_us)} to {iso(hi_us)}")


def compare_all(round_name):
    t0 = time.time()
    # months, one request each, and the monthly series
    for scope, channel in [(s, None) for s in SCOPES] + CHANNEL_VIEWS:
        for m in range(1, 13):
            lo, hi = month_range(2026, m)
            status, body, _ = get_kpis(URL, token, scope, f"2026-{m:02d}", channel)
            what = f"{round_name}: {scope} {channel or ''} 2026-{m:02d}"
            if c.equal(status, 200, what + " status"):
                compare(body.get("kpis", {}), expected(scope, channel, lo, hi), what)
        status, body, _ = http("GET", url_with(URL, "/v1/kpis/series", scope=scope, channel=channel,
                                               **{"from": "2026-01", "to": "2026-12"}), token)
        series = (body or {}).get("series", [])
        if c.check(status == 200 and len(series) == 12,
                   f"{round_name}: monthly series {scope} {channel}: {status}, {len(series)} "
                   "buckets (want 12)"):
            for m, bucket in enumerate(series, 1):
                lo, hi = month_range(2026, m)
                what = f"{round_name}: series {scope} {channel or ''} 2026-{m:02d}"
                check_period(bucket.get("period"), local_us(lo.year, lo.month, lo.day),
                             local_us(hi.year, hi.month, hi.day), what)
                compare(bucket.get("kpis", {}), expected(scope, channel, lo, hi), what)
    # a daily series over the whole bulk (both clock changes' months) and October's change
    for scope in SCOPES:
        for first, days in ((datetime.date(2026, 2, 1), 89), (datetime.date(2026, 10, 23), 5)):
            lo_us = local_us(first.year, first.month, first.day)
            end = first + datetime.timedelta(days=days)
            hi_us = local_us(end.year, end.month, end.day)
            status, body, _ = http("GET", url_with(URL, "/v1/kpis/series", scope=scope,
                                                   interval="day", **{"from": iso(lo_us),
                                                                      "to": iso(hi_us)}), token)
            series = (body or {}).get("series", [])
            if not c.check(status == 200 and len(series) == days,
                           f"{round_name}: daily series {scope} from {first}: {status}, "
                           f"{len(series)} buckets (want {days})"):
                continue
            for i, bucket in enumerate(series):
                day = first + datetime.timedelta(days=i)
                nxt = day + datetime.timedelta(days=1)
                what = f"{round_name}: daily {scope} {day}"
                check_period(bucket.get("period"), local_us(day.year, day.month, day.day),
                             local_us(nxt.year, nxt.month, nxt.day), what)
                compare(bucket.get("kpis", {}), expected(scope, None, day, nxt), what)
    # explicit periods: off the 15-minute grid (raw rows) and on it (aggregates)
    explicit = [
        (us_of(datetime.datetime(2026, 3, 14, 10, 7, 13, 500000, tzinfo=UTC)),
         us_of(datetime.datetime(2026, 3, 29, 1, 0, 0, 250000, tzinfo=UTC))),
        (us_of(datetime.datetime(2026, 3, 28, 22, 3, tzinfo=UTC)),
         us_of(datetime.datetime(2026, 3, 30, 6, 59, 59, tzinfo=UTC))),
        (local_us(2026, 10, 25, 1, 30, fold=0) + 1, local_us(2026, 10, 25, 1, 30, fold=1) + 1),
        (us_of(datetime.datetime(2026, 3, 29, 0, 45, tzinfo=UTC)),
         local_us(2026, 4, 2, 13, 15)),
        (local_us(2026, 2, 1), local_us(2026, 5, 1)),
    ]
    for lo_us, hi_us in explicit:
        for scope in SCOPES:
            status, body, _ = get_kpis(URL, token, scope, None, None,
                                       **{"from": iso(lo_us), "to": iso(hi_us)})
            what = f"{round_name}: {scope} from {iso(lo_us)} to {iso(hi_us)}"
            if c.equal(status, 200, what + " status"):
                check_period(body.get("period"), lo_us, hi_us, what)
                compare(body.get("kpis", {}), expected(scope, None, lo_us=lo_us, hi_us=hi_us), what)
    # hourly and 15-minute series across the clock changes (tenant)
    for interval, lo_us, hi_us, step in (
            ("hour", us_of(datetime.datetime(2026, 10, 24, 22, tzinfo=UTC)),
             us_of(datetime.datetime(2026, 10, 26, 2, tzinfo=UTC)), 3600),
            ("15m", us_of(datetime.datetime(2026, 3, 28, 22, tzinfo=UTC)),
             us_of(datetime.datetime(2026, 3, 29, 4, tzinfo=UTC)), 900)):
        status, body, _ = http("GET", url_with(URL, "/v1/kpis/series", scope="tenant",
                                               interval=interval, **{"from": iso(lo_us),
                                                                     "to": iso(hi_us)}), token)
        series = (body or {}).get("series", [])
        n = (hi_us - lo_us) // (step * 1_000_000)
        if c.check(status == 200 and len(series) == n,
                   f"{round_name}: {interval} series: {status}, {len(series)} buckets (want {n})"):
            for i, bucket in enumerate(series):
                a = lo_us + i * step * 1_000_000
                b = a + step * 1_000_000
                what = f"{round_name}: {interval} bucket {iso(a)}"
                check_period(bucket.get("period"), a, b, what)
                compare(bucket.get("kpis", {}), expected("tenant", None, lo_us=a, hi_us=b), what)
    print(f"  {round_name}: compared in {time.time() - t0:.1f}s", flush=True)


def aggregates_table_check(round_name):
    """The contact_intervals rows themselves against the computation (diagnostic detail)."""
    rows = pg.psql(
        "SELECT queue, extract(epoch FROM interval_start)::bigint, channel, local_date,"
        " coalesce(service, ''), offered, answered, abandoned, short_abandoned, timed_out, refused,"
        " answered_wait_us, sl_numerator, sl_denominator, handle_ms, handle_count, fcr_resolved,"
        " fcr_known, coalesce(max_wait_us::text, '') FROM contact_intervals i"
        f" JOIN tenants t ON t.id = i.tenant_id WHERE t.name = '{TENANT}'")
    got = {(r[0], int(r[1]), int(r[2])): r[3:] for r in rows}
    want = {}
    for f in facts:
        k = (f["queue"], f["offered"] // 900_000_000 * 900, f["channel"])
        want.setdefault(k, []).append(f)
    bad = []
    for k, fs in want.items():
        fig = figures(fs)
        waits = [f["wait"] for f in fs if f["wait"] is not None]
        exp = [str(fs[0]["day"]), fs[0]["service"] or "", str(fig["offered"]), str(fig["answered"]),
               str(fig["abandoned"]), str(fig["short_abandoned"]), str(fig["timed_out"]),
               str(fig["refused"]), str(sum(f["wait"] for f in fs if f["outcome"] == 1)),
               str(sum(f["num"] for f in fs)), str(sum(f["den"] for f in fs)),
               str(sum(f["handle_ms"] for f in fs if f["outcome"] == 1 and f["handle_ms"] is not None)),
               str(sum(1 for f in fs if f["outcome"] == 1 and f["handle_ms"] is not None)),
               str(sum(1 for f in fs if f["outcome"] == 1 and f["fcr"] is True)),
               str(sum(1 for f in fs if f["outcome"] == 1 and f["fcr"] is not None)),
               str(max(waits)) if waits else ""]
        if got.get(k) != exp:
            bad.append((k, got.get(k), exp))
    extra = [k for k in got if k not in want]
    c.check(not bad and not extra,
            f"{round_name}: contact_intervals rows: {len(bad)} differ, {len(extra)} unexpected; "
            f"e.g. {bad[:2]} {extra[:2]}")


def finalize_repeat(round_name):
    """Runs the finalizer's SQL until every tenant is final as far as it can be."""
    for _ in range(1000):
        if pg.psql("SELECT bool_or(r.more) FROM tenants t, ccm_repeat_finalize(t.id, 31, '0', '0') r"
                   )[0][0] == "f":
            break
    stored = pg.psql("SELECT count(*) FROM contact_intervals WHERE repeat_known > 0")[0][0]
    c.check(int(stored) > 0, f"{round_name}: repeat counts stored ({stored} intervals)")


compare_all("after ingest (repeat counts from raw contacts)")
aggregates_table_check("after ingest")

# ---- ccmetricsd rebuild ---------------------------------------------------------------------------
out = run_cli(["rebuild", "--database", pg.dsn, "--data-dir", daemon.data_dir])
c.equal(out.returncode, 0, f"ccmetricsd rebuild exit code (stderr: {out.stderr[-300:]})")
finalize_repeat("after rebuild")
compare_all("after rebuild (repeat counts stored)")
aggregates_table_check("after rebuild")

# ---- corrupt the aggregates; the API must show it; rebuild repairs it ----------------------------
pg.psql("UPDATE contact_intervals SET offered = offered + 7, sl_numerator = 0")
status, body, _ = get_kpis(URL, token, "tenant", "2026-03")
want = expected("tenant", None, *month_range(2026, 3))
got = ((body or {}).get("kpis", {}).get("offered") or {}).get("value")
c.check(status == 200 and got != want["offered"] and got is not None and got > want["offered"],
        f"corrupted aggregates show in GET /v1/kpis (2026-03 offered {got!r}, raw {want['offered']})")
got = ((body or {}).get("kpis", {}).get("service_level_pct") or {}).get("value")
c.check(got == 0.0, f"corrupted aggregates show in service_level_pct (2026-03: {got!r})")
out = run_cli(["rebuild", "--database", pg.dsn, "--data-dir", daemon.data_dir,
               "--tenant", TENANT])
c.equal(out.returncode, 0, f"ccmetricsd rebuild --tenant exit code (stderr: {out.stderr[-300:]})")
compare_all("after corruption and rebuild")
aggregates_table_check("after corruption and rebuild")

# ---- settings changes (rebuilds) while ingesting: no contact counted twice or lost --------------
# Another tenant; three queues with 3,000 intervals each; PUT /v1/queues versions (each
# rebuilds the queue's aggregates) loop while posters add contacts in new intervals. After
# each PUT the aggregates of its queue are compared with the raw rows in one snapshot.
race_token = daemon.token("agg-race")
RACE_QUEUES = ["race-0", "race-1", "race-2"]
race_base = datetime.datetime(2026, 6, 1, tzinfo=UTC)


def race_event(id_, queue, k):
    t = race_base + datetime.timedelta(minutes=15 * k, seconds=k % 900)
    return {"id": id_, "queue": queue, "offered_at": iso(us_of(t)), "outcome": "answered",
            "answered_at": iso(us_of(t) + 5_000_000)}


for q in RACE_QUEUES:
    status, body, _ = post_events(URL, race_token, [race_event(f"pre-{q}-{k}", q, k)
                                                     for k in range(3000)])
    c.equal((status, body), (200, {"accepted": 3000, "duplicates": 0}), f"preload of {q}")
race_stop = threading.Event()
race_puts, race_posts, race_seen = [], [], []
race_t0 = time.time()


def race_putter(q):
    n = 0
    while not race_stop.is_set() and time.time() - race_t0 < 30:
        n += 1
        status = http("PUT", URL + f"/v1/queues/{q}", race_token,
                      {"sl_threshold_s": 10 + n % 50, "effective_from": "2026-06-01"})[0]
        race_puts.append(status)
        row = pg.psql(f"SELECT (SELECT count(*) FROM contacts c JOIN tenants t ON t.id = c.tenant_id"
                      f" WHERE t.name = 'agg-race' AND c.queue = '{q}'),"
                      f" (SELECT coalesce(sum(offered), 0) FROM contact_intervals i JOIN tenants t"
                      f" ON t.id = i.tenant_id WHERE t.name = 'agg-race' AND i.queue = '{q}')")[0]
        if row[0] != row[1]:
            race_seen.append((q, f"contacts {row[0]}, aggregated offered {row[1]}",
                              round(time.time() - race_t0, 2)))
            race_stop.set()
        if n >= 40:
            break


def race_poster(t):
    i = 0
    while not race_stop.is_set() and time.time() - race_t0 < 32:
        i += 1
        q = RACE_QUEUES[i % 3]
        answer = post_events(URL, race_token, race_event(f"new-{t}-{i}", q, 10000 + t * 100000 + i))
        race_posts.append(answer[:2])


putters = [threading.Thread(target=race_putter, args=(q,)) for q in RACE_QUEUES]
posters = [threading.Thread(target=race_poster, args=(t,)) for t in range(4)]
for th in putters + posters:
    th.start()
for th in putters:
    th.join()
race_stop.set()
for th in posters:
    th.join()
c.check(all(s == 200 for s in race_puts), f"PUT /v1/queues while ingesting: statuses "
                                           f"{sorted(set(race_puts))} ({len(race_puts)} PUTs)")
bad_posts = [a for a in race_posts if a != (200, {"accepted": 1, "duplicates": 0})]
c.check(not bad_posts, f"posts while settings change: {len(bad_posts)} of {len(race_posts)} not "
                       f"accepted, e.g. {bad_posts[:2]}")
c.check(not race_seen, f"aggregates equal the raw rows after every settings change made while "
                       f"ingesting ({len(race_puts)} PUTs, {len(race_posts)} posts): {race_seen}")
for q in RACE_QUEUES:
    stored = int(pg.psql(f"SELECT count(*) FROM contacts c JOIN tenants t ON t.id = c.tenant_id"
                         f" WHERE t.name = 'agg-race' AND c.queue = '{q}'")[0][0])
    status, body, _ = get_kpis(URL, race_token, f"queue:{q}", None, None,
                               **{"from": "2026-06-01T00:00:00Z", "to": "2040-01-01T00:00:00Z"})
    got = ((body or {}).get("kpis", {}).get("offered") or {}).get("value")
    c.equal(got, stored, f"offered of {q} over all its data (aggregates) vs its raw rows, "
                         f"after settings changes while ingesting")
print(f"  settings changes while ingesting: {len(race_puts)} PUTs, {len(race_posts)} posts in "
      f"{time.time() - race_t0:.1f}s", flush=True)

# Three admins PUT versions of one queue at once (different dates): each PUT is stored.
same_queue, same_answers = "race-0", []
same_barrier = threading.Barrier(3)


def same_queue_putter(t):
    same_barrier.wait()
    for n in range(5):
        same_answers.append(http("PUT", URL + f"/v1/queues/{same_queue}", race_token,
                                 {"sl_threshold_s": 100 + n,
                                  "effective_from": f"2026-07-0{1 + t}"})[:2])


same_threads = [threading.Thread(target=same_queue_putter, args=(t,)) for t in range(3)]
for th in same_threads:
    th.start()
for th in same_threads:
    th.join()
failed_puts = [a for a in same_answers if a[0] != 200]
c.check(not failed_puts, f"concurrent PUT /v1/queues/{same_queue} (3 threads x 5, other dates): "
                         f"{len(failed_puts)} of 15 failed, e.g. {failed_puts[:1]}")
status, body, _ = http("GET", URL + f"/v1/queues/{same_queue}", race_token)
got = {v.get("effective_from"): v.get("sl_threshold_s") for v in (body or {}).get("versions", [])}
c.equal({d: got.get(d) for d in ("2026-07-01", "2026-07-02", "2026-07-03")},
        {"2026-07-01": 104, "2026-07-02": 104, "2026-07-03": 104},
        f"versions of {same_queue} after concurrent PUTs (each date's last PUT)")

# repeat_fcr_pct is in every answer (its value is compared above).
c.equal(missing_repeat[:5], [], "repeat_fcr_pct present in every answer")
c.equal(daemon.stop(), 0, "daemon exit code after SIGTERM")
print(f"  ran in {time.time() - started:.1f}s", flush=True)
c.finish()
