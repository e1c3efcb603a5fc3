"""Periods and series: a monthly series with targets that change mid-year and
green/amber/red/none status at the tolerance boundaries, daily series across
the 2026 clock changes, fy-YYYY against its months, today/mtd/rolling-30d
around now, explicit from/to instants, and 400 answers for bad parameters."""
import datetime
import time
from zoneinfo import ZoneInfo

from harness import Checks, Daemon, Postgres, get_kpis, http, post_events, url_with

c = Checks("periods")
started = time.time()
LONDON = ZoneInfo("Europe/London")
UTC = datetime.timezone.utc
pg = Postgres()
daemon = Daemon(database=pg.dsn)
token = daemon.token("per")
URL = daemon.url


def z(t):
    """RFC 3339 UTC with Z (microseconds when needed)."""
    t = t.astimezone(UTC)
    text = t.strftime("%Y-%m-%dT%H:%M:%S")
    return text + (f".{t.microsecond:06d}" if t.microsecond else "") + "Z"


def utc(*a):
    return datetime.datetime(*a, tzinfo=UTC)


def local_midnight(d):
    return datetime.datetime(d.year, d.month, d.day, tzinfo=LONDON).astimezone(UTC)


def instant(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def event(id_, queue, offered, outcome="answered", wait=10.0):
    e = {"id": id_, "queue": queue, "offered_at": z(offered), "outcome": outcome}
    if outcome == "answered":
        e["answered_at"] = z(offered + datetime.timedelta(seconds=wait))
    elif outcome in ("abandoned", "timeout"):
        e["ended_at"] = z(offered + datetime.timedelta(seconds=wait))
    return e


def post(events, what):
    status, body, _ = post_events(URL, token, events)
    c.equal((status, body), (200, {"accepted": len(events), "duplicates": 0}), what)


def kpis(scope, period=None, **params):
    status, body, _ = get_kpis(URL, token, scope, period, **params)
    c.equal(status, 200, f"GET /v1/kpis {scope} {period or params}: status ({body!r:.200})")
    return body or {}


def fig(body, key):
    return (body.get("kpis", {}).get(key) or {})


def check_period(p, key, lo, hi, what):
    """period.key (when given), and from/to as UTC instants with Z."""
    p = p or {}
    ok = (str(p.get("from", "")).endswith("Z") and str(p.get("to", "")).endswith("Z")
          and instant(p["from"]) == lo and instant(p["to"]) == hi
          and (key is None or p.get("key") == key) and p.get("tz") == "Europe/London")
    c.check(ok, f"{what}: period {p}, want key {key}, from {z(lo)}, to {z(hi)}, "
                "tz Europe/London")


# ---- monthly series with targets that change mid-year ------------------------------------------
# (answered, answered wait s, timed out) per month of queue p.
MONTHS = {1: (4, 10, 1), 2: (3, 10, 1), 3: (7, 10, 3), 4: (2, 20, 0), 5: (0, 0, 0),
          6: (19, 25, 6), 7: (9, 36, 1), 8: (21, 35, 4), 9: (17, 34, 3), 10: (1, 40, 1),
          11: (5, 10, 1), 12: (0, 0, 0)}
events = []
for m, (answered, wait, timed_out) in MONTHS.items():
    for i in range(answered + timed_out):
        offered = utc(2026, m, 10 + i % 15, 12, i // 15, 0)
        events.append(event(f"p-{m}-{i}", "p", offered, "answered" if i < answered else "timeout",
                            wait if i < answered else 300))
post(events, "queue p events")

targets = [
    {"scope": "queue:p", "kpi": "answered_pct", "value": 80, "amber": 5,
     "effective_from": "2026-01-01"},
    {"scope": "queue:p", "kpi": "answered_pct", "value": 95, "effective_from": "2026-07-01"},
    {"scope": "queue:p", "kpi": "answered_pct", "value": 90, "amber": 2,
     "effective_from": "2026-07-01"},  # replaces the one above
    {"scope": "queue:p", "kpi": "answered_pct", "value": 85, "amber": 1,
     "effective_from": "2026-07-15"},  # mid-July: in force from August's first day
    {"scope": "queue:p", "kpi": "asa_s", "value": 20, "amber": 5, "effective_from": "2026-04-01"},
    {"scope": "queue:p", "kpi": "asa_s", "value": 35, "effective_from": "2026-07-01"},
    {"scope": "queue:p", "kpi": "abandoned_pct", "value": 10, "amber": 2},  # always
    {"scope": "tenant", "kpi": "asa_s", "value": 999, "effective_from": "2026-01-01"},
    {"scope": "queue:other", "kpi": "answered_pct", "value": 1, "effective_from": "2026-01-01"},
]
for t in targets:
    status, body, _ = http("PUT", URL + "/v1/targets", token, t)
    c.equal(status, 200, f"PUT /v1/targets {t}: status ({body!r:.200})")
status, body, _ = http("GET", url_with(URL, "/v1/targets", scope="queue:p"), token)
listed = sorted((t.get("kpi"), t.get("effective_from"), t.get("value"), t.get("amber"))
                for t in (body or {}).get("targets", []))
c.equal(listed, sorted([("abandoned_pct", None, 10, 2), ("answered_pct", "2026-01-01", 80, 5),
                        ("answered_pct", "2026-07-01", 90, 2), ("answered_pct", "2026-07-15", 85, 1),
                        ("asa_s", "2026-04-01", 20, 5), ("asa_s", "2026-07-01", 35, None)]),
        "GET /v1/targets?scope=queue:p (the same-date PUT replaced the 95)")

# month: (answered_pct value, target, status), (asa_s value, target, status)
WANT = {
    1: ((80.0, 80, "green"), (10.0, None, "none")),    # exactly at target: green
    2: ((75.0, 80, "amber"), (10.0, None, "none")),    # exactly target - amber: amber
    3: ((70.0, 80, "red"), (10.0, None, "none")),
    4: ((100.0, 80, "green"), (20.0, 20, "green")),    # asa exactly at target: green
    5: ((None, 80, "none"), (None, 20, "none")),       # no contacts: null, status none
    6: ((76.0, 80, "amber"), (25.0, 20, "amber")),     # asa exactly target + amber: amber
    7: ((90.0, 90, "green"), (36.0, 35, "red")),       # no amber: red just past the target
    8: ((84.0, 85, "amber"), (35.0, 35, "green")),     # the 15 July target, 1 under: amber
    9: ((85.0, 85, "green"), (34.0, 35, "green")),
    10: ((50.0, 85, "red"), (40.0, 35, "red")),
    11: ((500 / 6, 85, "red"), (10.0, 35, "green")),
    12: ((None, 85, "none"), (None, 35, "none")),
}


def check_month(k, m, what):
    for key, (value, target, status) in zip(("answered_pct", "asa_s"), WANT[m]):
        f = (k.get(key) or {})
        c.near(f.get("value"), value, f"{what} {key} value")
        c.equal(f.get("target"), target, f"{what} {key} target")
        c.equal(f.get("status"), status, f"{what} {key} status")
    a = k.get("abandoned_pct") or {}
    c.equal((a.get("target"), a.get("status")),
            (10, "green" if WANT[m][0][0] is not None else "none"),
            f"{what} abandoned_pct target and status (a target without effective_from)")


status, body, _ = http("GET", url_with(URL, "/v1/kpis/series", scope="queue:p",
                                       **{"from": "2026-01", "to": "2026-12"}), token)
series = (body or {}).get("series", [])
if c.check(status == 200 and len(series) == 12,
           f"monthly series 2026-01..2026-12: {status}, {len(series)} buckets"):
    for m, bucket in enumerate(series, 1):
        lo = local_midnight(datetime.date(2026, m, 1))
        hi = local_midnight(datetime.date(2026 + m // 12, m % 12 + 1, 1))
        check_period(bucket.get("period"), f"2026-{m:02d}", lo, hi, f"series 2026-{m:02d}")
        check_month(bucket.get("kpis", {}), m, f"series 2026-{m:02d}")
for m in range(1, 13):
    check_month(kpis("queue:p", f"2026-{m:02d}").get("kpis", {}), m, f"period=2026-{m:02d}")
c.equal((fig(kpis("tenant", "2026-08"), "asa_s").get("target")), 999,
        "the tenant's asa_s target applies to scope tenant")
c.equal((fig(kpis("tenant", "2026-08"), "answered_pct").get("target")), None,
        "queue:p's answered_pct target does not apply to scope tenant")
# a series starting mid-year still picks each month's target by its first day
status, body, _ = http("GET", url_with(URL, "/v1/kpis/series", scope="queue:p",
                                       **{"from": "2026-07", "to": "2026-08"}), token)
got = [(fig(b, "answered_pct").get("target")) for b in (body or {}).get("series", [])]
c.equal(got, [90, 85], "series 2026-07..2026-08 answered_pct targets")

# ---- months and days across the clock changes ----------------------------------------------------
day_events = [
    ("d-1", utc(2026, 3, 28, 23, 59, 59, 999999)), ("d-2", utc(2026, 3, 29, 0, 0, 0)),
    ("d-3", utc(2026, 3, 29, 0, 59, 59)), ("d-4", utc(2026, 3, 29, 1, 0, 0)),
    ("d-5", utc(2026, 3, 29, 22, 59, 59, 500000)), ("d-6", utc(2026, 3, 29, 23, 0, 0)),
    ("d-7", utc(2026, 3, 30, 11, 0, 0)),
    ("d-8", utc(2026, 10, 24, 22, 59, 59)), ("d-9", utc(2026, 10, 24, 23, 0, 0)),
    ("d-10", utc(2026, 10, 25, 0, 30, 0)), ("d-11", utc(2026, 10, 25, 1, 30, 0)),
    ("d-12", utc(2026, 10, 25, 23, 59, 59)), ("d-13", utc(2026, 10, 26, 0, 0, 0)),
]
post([event(i, "d", t, "refused") for i, t in day_events], "queue d events")
for name, lo_day, frm, to, want in [
        ("spring", datetime.date(2026, 3, 28), "2026-03-28T00:00:00Z", "2026-03-30T23:00:00Z",
         [1, 4, 2]),
        ("autumn", datetime.date(2026, 10, 24), "2026-10-24T00:00:00+01:00",
         "2026-10-27T00:00:00Z", [1, 4, 1])]:
    status, body, _ = http("GET", url_with(URL, "/v1/kpis/series", scope="queue:d",
                                           interval="day", **{"from": frm, "to": to}), token)
    series = (body or {}).get("series", [])
    c.equal((status, [fig(b, "offered").get("value") for b in series]), (200, want),
            f"daily series ({name} clock change) offered per day")
    for i, b in enumerate(series):
        d = lo_day + datetime.timedelta(days=i)
        lo, hi = local_midnight(d), local_midnight(d + datetime.timedelta(days=1))
        check_period(b.get("period"), None, lo, hi, f"daily series {d}")
        c.check((hi - lo).total_seconds() / 3600 == {datetime.date(2026, 3, 29): 23,
                                                      datetime.date(2026, 10, 25): 25}.get(d, 24),
                f"test sanity: day {d} length")
spring = kpis("queue:d", "2026-03")
check_period(spring.get("period"), "2026-03", utc(2026, 3, 1), utc(2026, 3, 31, 23),
             "period=2026-03 (743 h)")
c.equal(fig(spring, "offered").get("value"), 7, "queue d offered in 2026-03")
autumn = kpis("queue:d", "2026-10")
check_period(autumn.get("period"), "2026-10", utc(2026, 9, 30, 23), utc(2026, 11, 1),
             "period=2026-10 (745 h)")
c.equal(fig(autumn, "offered").get("value"), 6, "queue d offered in 2026-10")

# ---- explicit from/to instants -------------------------------------------------------------------
for frm, to, want in [
        ("2026-03-29T00:00:00Z", "2026-03-29T01:00:00Z", 2),            # to is exclusive
        ("2026-03-29T02:00:00+01:00", "2026-03-30T00:00:00+01:00", 2),  # BST offsets
        ("2026-03-28T23:59:59.999999Z", "2026-03-29T00:00:00.000001Z", 2),  # off the grid
        ("2026-10-25T01:30:00+01:00", "2026-10-25T01:30:00+00:00", 1),  # the repeated hour
        ("2026-10-24T23:00:00Z", "2026-10-26T00:00:00Z", 4),            # the 25-hour day
        ("2026-03-29T01:00:00Z", "2026-03-29T01:00:00.000001Z", 1),
]:
    body = kpis("queue:d", **{"from": frm, "to": to})
    c.equal(fig(body, "offered").get("value"), want, f"from {frm} to {to}: offered")
    check_period(body.get("period"), None, instant(frm), instant(to), f"from {frm} to {to}")

# ---- fy-2026 is April 2026 .. March 2027 ------------------------------------------------------------
fy_events = [
    event("fy-0", "fy", utc(2026, 3, 31, 22, 59, 59), "answered", 5),     # 31 Mar BST: fy-2025
    event("fy-1", "fy", utc(2026, 3, 31, 23, 0, 0), "answered", 12),      # 1 Apr 00:00 BST
    event("fy-2", "fy", utc(2026, 6, 15, 12), "abandoned", 70),
    event("fy-3", "fy", utc(2026, 12, 25, 12), "timeout", 400),
    event("fy-4", "fy", utc(2027, 2, 1, 12), "refused"),
    event("fy-5", "fy", utc(2027, 3, 31, 22, 59, 59), "answered", 30),    # 31 Mar 2027 BST
    event("fy-6", "fy", utc(2027, 3, 31, 23, 0, 0), "answered", 1),       # 1 Apr 2027: fy-2027
]
post(fy_events, "queue fy events")
fy = kpis("queue:fy", "fy-2026")
check_period(fy.get("period"), "fy-2026", utc(2026, 3, 31, 23), utc(2027, 3, 31, 23), "fy-2026")
for key, want in [("offered", 5), ("answered", 2), ("abandoned", 1), ("timed_out", 1),
                  ("refused", 1), ("handled_denominator", 4), ("answered_pct", 50.0),
                  ("abandoned_pct", 25.0), ("asa_s", 21.0), ("service_level_pct", 50.0),
                  ("longest_wait_s", 400.0)]:
    c.near(fig(fy, key).get("value"), want, f"queue fy fy-2026 {key}")
c.equal(fig(kpis("queue:fy", "fy-2025"), "offered").get("value"), 1, "queue fy fy-2025 offered")
c.equal(fig(kpis("queue:fy", "fy-2027"), "offered").get("value"), 1, "queue fy fy-2027 offered")
for scope in ("tenant", "queue:p", "queue:fy"):
    total = kpis(scope, "fy-2026")
    months = [kpis(scope, f"{2026 + (m > 12)}-{(m - 1) % 12 + 1:02d}") for m in range(4, 16)]
    sums = {k: sum(fig(b, k).get("value") or 0 for b in months)
            for k in ("offered", "answered", "abandoned", "short_abandoned", "timed_out",
                      "refused", "handled_denominator")}
    for k, v in sums.items():
        c.equal(fig(total, k).get("value"), v, f"{scope} fy-2026 {k} = sum of its months")
    handled, answered = sums["handled_denominator"], sums["answered"]
    c.near(fig(total, "answered_pct").get("value"), 100 * answered / handled if handled else None,
           f"{scope} fy-2026 answered_pct from the months' sums")
    c.near(fig(total, "abandoned_pct").get("value"),
           100 * sums["abandoned"] / handled if handled else None,
           f"{scope} fy-2026 abandoned_pct from the months' sums")
    wait_sum = sum((fig(b, "asa_s").get("value") or 0) * (fig(b, "answered").get("value") or 0)
                   for b in months)
    c.near(fig(total, "asa_s").get("value"), wait_sum / answered if answered else None,
           f"{scope} fy-2026 asa_s from the months", rel=1e-9)
    waits = [fig(b, "longest_wait_s").get("value") for b in months]
    waits = [w for w in waits if w is not None]
    c.near(fig(total, "longest_wait_s").get("value"), max(waits) if waits else None,
           f"{scope} fy-2026 longest_wait_s = the months' largest")

# ---- today, mtd, rolling-30d around now --------------------------------------------------------------
for attempt in range(2):
    now = datetime.datetime.now(UTC)
    today = now.astimezone(LONDON).date()
    noon = lambda d: datetime.datetime(d.year, d.month, d.day, 12, tzinfo=LONDON)
    first_of_month = today.replace(day=1)
    sample = {
        "now": now,
        "40d": now - datetime.timedelta(days=40),
        "last-month": noon(first_of_month - datetime.timedelta(days=1)),
        "29d": noon(today - datetime.timedelta(days=29)),
        "30d-midnight": datetime.datetime.combine(today - datetime.timedelta(days=30),
                                                  datetime.time(0), tzinfo=LONDON),
        "31d": noon(today - datetime.timedelta(days=31)),
        "31d-last-moment": datetime.datetime.combine(today - datetime.timedelta(days=30),
                                                     datetime.time(0), tzinfo=LONDON)
        - datetime.timedelta(microseconds=1),
        "yesterday-late": datetime.datetime.combine(today, datetime.time(0), tzinfo=LONDON)
        - datetime.timedelta(milliseconds=1),
    }
    queue = f"now-{attempt}"
    post([event(f"{queue}-{k}", queue, t, "refused") for k, t in sample.items()],
         f"{queue} events")
    local_days = {k: t.astimezone(LONDON).date() for k, t in sample.items()}
    want = {
        "today": sum(1 for d in local_days.values() if d == today),
        "mtd": sum(1 for d in local_days.values() if first_of_month <= d <= today),
        "rolling-30d": sum(1 for d in local_days.values()
                           if today - datetime.timedelta(days=30) <= d <= today),
    }
    got = {p: kpis(f"queue:{queue}", p) for p in want}
    if datetime.datetime.now(UTC).astimezone(LONDON).date() != today and attempt == 0:
        continue  # local midnight passed meanwhile: once more
    tomorrow = local_midnight(today + datetime.timedelta(days=1))
    for p, n in want.items():
        c.equal(fig(got[p], "offered").get("value"), n, f"{p}: offered of {queue} "
                f"(local days {sorted(str(d) for d in local_days.values())}, today {today})")
    check_period(got["today"].get("period"), "today", local_midnight(today), tomorrow, "today")
    for p, lo in (("mtd", local_midnight(first_of_month)),
                  ("rolling-30d", local_midnight(today - datetime.timedelta(days=30)))):
        per = got[p].get("period") or {}
        ok = (per.get("key") == p and str(per.get("from", "")).endswith("Z")
              and instant(per["from"]) == lo
              and str(per.get("to", "")).endswith("Z")
              and now < instant(per["to"]) <= tomorrow)
        c.check(ok, f"{p}: period {per}, want from {z(lo)} and to after now, at most {z(tomorrow)}")
    c.equal(fig(kpis(f"queue:{queue}", "today", channel="phone"), "offered").get("value"),
            want["today"], "today on channel phone")
    break

# ---- targets of other periods: chosen by the period's first local day ---------------------------------
status, body, _ = http("GET", url_with(URL, "/v1/kpis/series", scope="queue:p", interval="day",
                                       **{"from": "2026-07-14T00:00:00+01:00",
                                          "to": "2026-07-17T00:00:00+01:00"}), token)
c.equal([fig(b, "answered_pct").get("target") for b in (body or {}).get("series", [])],
        [90, 85, 85], "daily series 14..16 July: answered_pct target per day (85 from 15 July)")
c.equal(fig(kpis("queue:p", "fy-2026"), "answered_pct").get("target"), 80,
        "fy-2026 answered_pct target (the one in force on 1 April 2026)")
c.equal(fig(kpis("queue:p", **{"from": "2026-07-15T00:00:00+01:00",
                               "to": "2026-07-20T00:00:00+01:00"}), "answered_pct").get("target"),
        85, "from 15 July: answered_pct target")
c.equal(fig(kpis("queue:p", **{"from": "2026-07-14T23:59:00+01:00",
                               "to": "2026-07-20T00:00:00+01:00"}), "answered_pct").get("target"),
        90, "from 14 July 23:59 local: answered_pct target")

# ---- a tenant in another time zone with another financial year ---------------------------------------
NY = ZoneInfo("America/New_York")
ny_token = daemon.token("per-ny", extra=("--time-zone", "America/New_York", "--fy-start-month", "1"))
ny_events = [event("ny-1", "ny", utc(2026, 3, 1, 4, 59, 59), "refused"),  # 28 Feb 23:59:59 EST
             event("ny-2", "ny", utc(2026, 3, 1, 5, 0, 0), "refused"),    # 1 Mar 00:00 EST
             event("ny-3", "ny", utc(2026, 3, 8, 6, 59, 59), "refused"),  # 8 Mar 01:59:59 EST
             event("ny-4", "ny", utc(2026, 3, 8, 7, 0, 0), "refused"),    # 8 Mar 03:00 EDT
             event("ny-5", "ny", utc(2026, 3, 9, 3, 59, 59), "refused"),  # 8 Mar 23:59:59 EDT
             event("ny-6", "ny", utc(2026, 1, 1, 4, 59, 59), "refused"),  # 31 Dec 2025 EST
             event("ny-7", "ny", utc(2026, 1, 1, 5, 0, 0), "refused")]    # 1 Jan 2026 EST
status, body, _ = post_events(URL, ny_token, ny_events)
c.equal((status, body), (200, {"accepted": 7, "duplicates": 0}), "New York tenant events")


def ny_kpis(**params):
    status, body, _ = get_kpis(URL, ny_token, "tenant", **params)
    c.equal(status, 200, f"New York tenant GET /v1/kpis {params}: status")
    return body or {}


def ny_midnight(d):
    return datetime.datetime(d.year, d.month, d.day, tzinfo=NY).astimezone(UTC)


mar = ny_kpis(period="2026-03")
c.equal(fig(mar, "offered").get("value"), 4, "New York tenant 2026-03 offered")
p = mar.get("period") or {}
c.check(p.get("tz") == "America/New_York" and p.get("from") and p.get("to")
        and instant(p["from"]) == ny_midnight(datetime.date(2026, 3, 1))
        and instant(p["to"]) == ny_midnight(datetime.date(2026, 4, 1)),
        f"New York tenant 2026-03 period {p}: want from 2026-03-01T05:00:00Z to "
        "2026-04-01T04:00:00Z, tz America/New_York")
c.equal(fig(ny_kpis(period="2026-02"), "offered").get("value"), 1, "New York tenant 2026-02 offered")
fy = ny_kpis(period="fy-2026")
p = fy.get("period") or {}
c.check(fig(fy, "offered").get("value") == 6 and p.get("from") and p.get("to")
        and instant(p["from"]) == ny_midnight(datetime.date(2026, 1, 1))
        and instant(p["to"]) == ny_midnight(datetime.date(2027, 1, 1)),
        f"New York tenant with fy start month 1: fy-2026 offered "
        f"{fig(fy, 'offered').get('value')} (want 6), period {p}")
status, body, _ = http("GET", url_with(URL, "/v1/kpis/series", scope="tenant", interval="day",
                                       **{"from": "2026-03-07T05:00:00Z",
                                          "to": "2026-03-10T04:00:00Z"}), ny_token)
series = (body or {}).get("series", [])
c.equal([fig(b, "offered").get("value") for b in series], [0, 3, 0],
        "New York tenant daily series 7..9 March offered")
for i, b in enumerate(series):
    d = datetime.date(2026, 3, 7) + datetime.timedelta(days=i)
    p = b.get("period") or {}
    c.check(p.get("tz") == "America/New_York" and p.get("from") and p.get("to")
            and instant(p["from"]) == ny_midnight(d)
            and instant(p["to"]) == ny_midnight(d + datetime.timedelta(days=1)),
            f"New York tenant day {d}: period {p}")
status, body, _ = post_events(URL, ny_token, event("ny-now", "ny", datetime.datetime.now(UTC),
                                                  "refused"))
c.equal(fig(ny_kpis(period="today"), "offered").get("value"), 1, "New York tenant today offered")

# ---- bad parameters: 400 with a JSON error --------------------------------------------------------
def bad(path, what, **params):
    status, body, _ = http("GET", url_with(URL, path, **params), token)
    shape = (isinstance(body, dict) and isinstance(body.get("error"), dict)
             and isinstance(body["error"].get("code"), str) and body["error"]["code"]
             and isinstance(body["error"].get("message"), str) and body["error"]["message"])
    c.check(status == 400 and shape,
            f"{what}: want 400 with {{\"error\":{{\"code\",\"message\"}}}}, got {status} {body!r:.200}")


for p in ("2026-13", "2026-00", "2026-1", "fy-26", "fy-abcd", "fy-2026x", "yesterday", "TODAY",
          "rolling-31d", "mtd ", "2026-02-30", "", "12-2026"):
    bad("/v1/kpis", f"period {p!r}", scope="tenant", period=p)
bad("/v1/kpis", "no period and no from/to", scope="tenant")
bad("/v1/kpis", "from without to", scope="tenant", **{"from": "2026-03-01T00:00:00Z"})
bad("/v1/kpis", "from not a time", scope="tenant",
    **{"from": "last tuesday", "to": "2026-03-02T00:00:00Z"})
bad("/v1/kpis", "from without an offset", scope="tenant",
    **{"from": "2026-03-01T00:00:00", "to": "2026-03-02T00:00:00Z"})
bad("/v1/kpis", "to before from", scope="tenant",
    **{"from": "2026-03-02T00:00:00Z", "to": "2026-03-01T00:00:00Z"})
bad("/v1/kpis", "to equal to from", scope="tenant",
    **{"from": "2026-03-02T00:00:00Z", "to": "2026-03-02T00:00:00Z"})
for s in ("", "queue:", "service:", "team:x", "TENANT", "queue"):
    bad("/v1/kpis", f"scope {s!r}", scope=s, period="2026-03")
bad("/v1/kpis", "no scope", period="2026-03")
for ch in ("fax", "", "PHONE", "phone,email"):
    bad("/v1/kpis", f"channel {ch!r}", scope="tenant", period="2026-03", channel=ch)
bad("/v1/kpis/series", "monthly series to before from", scope="tenant",
    **{"from": "2026-12", "to": "2026-01"})
bad("/v1/kpis/series", "monthly series month 13", scope="tenant",
    **{"from": "2026-01", "to": "2026-13"})
bad("/v1/kpis/series", "series without to", scope="tenant", **{"from": "2026-01"})
bad("/v1/kpis/series", "interval week", scope="tenant", interval="week",
    **{"from": "2026-03-01T00:00:00Z", "to": "2026-03-08T00:00:00Z"})
bad("/v1/kpis/series", "series with a bad scope", scope="queue:",
    **{"from": "2026-01", "to": "2026-02"})
bad("/v1/kpis/series", "series with a bad channel", scope="tenant", channel="fax",
    **{"from": "2026-01", "to": "2026-02"})

c.equal(daemon.stop(), 0, "daemon exit code after SIGTERM")
print(f"  ran in {time.time() - started:.1f}s", flush=True)
c.finish()
