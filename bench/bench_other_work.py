#!/usr/bin/env python3
"""Benchmarks of the other contact work (issue 8; run by bench/run, or alone):
1. batched ingest of survey responses and of members' enquiries (and their re-posted
   later states), beside batched ingest of calls in the same run and process (the peer);
2. reading: GET /v1/enquiries/kpis for a financial year, the enquiries table and
   ageing with 100,000 enquiries and a year of holidays; GET /v1/kpis and a 15-minute
   series with and without a baseline year (the price of channel shift) and surveys.
Writes bench/out/other_work.json."""
import argparse
import concurrent.futures
import datetime as dt
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
ap = argparse.ArgumentParser()
ap.add_argument("--build", default="build")
ap.add_argument("--items", type=int, default=100000)
args = ap.parse_args()
os.environ["CCM_BUILD_DIR"] = os.path.abspath(args.build)
import harness  # noqa: E402

results = {}
UTC = dt.timezone.utc


def say(text):
    print(text, flush=True)


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def batched(path, items, batch=1000, in_flight=4):
    """Posts items in NDJSON batches, in_flight at once; items per second."""
    bodies = ["\n".join(json.dumps(x) for x in items[i:i + batch]).encode() for i in range(0, len(items), batch)]

    def send(body):
        status, answer, _ = harness.http("POST", URL + path, token, body, ctype="application/x-ndjson")
        if status != 200:
            raise RuntimeError(f"{path}: {status} {answer}")

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(in_flight) as pool:
        list(pool.map(send, bodies))
    return len(items) / (time.monotonic() - started)


def timed(path, rounds=50, **params):
    times = []
    for _ in range(rounds):
        started = time.monotonic()
        status, _, _ = harness.http("GET", harness.url_with(URL, path, **params), token)
        times.append((time.monotonic() - started) * 1000)
        if status != 200:
            raise RuntimeError(f"{path} {params}: {status}")
    return percentile(times, 50), percentile(times, 99)


say(f"== other contact work benchmarks  {dt.datetime.now(UTC):%Y-%m-%d %H:%M}Z  cores={os.cpu_count()}")
pg = harness.Postgres()
daemon = harness.Daemon(database=pg.dsn, extra=["--config", harness.write_config("rate_limit_per_s = 0\n")])
token = daemon.token("bench", "ingest,read,admin")
URL = daemon.url
n = args.items
start = dt.datetime(2026, 4, 1, 8, tzinfo=UTC)
CHANNELS = ["phone", "webchat", "email", "webform", "social", "face_to_face"]

# ---- 1. ingest: calls (the peer), surveys, enquiries
calls = []
for i in range(n):
    t = start + dt.timedelta(seconds=97 * i)
    calls.append({"id": f"c{i}", "queue": f"q{i % 20}", "channel": CHANNELS[i % 6], "offered_at": t.isoformat(),
                  "outcome": "answered", "answered_at": (t + dt.timedelta(seconds=30)).isoformat(),
                  "reason": f"reason {i % 37}"})
# last year's calls too, for the baseline comparisons below
calls += [dict(x, id="b" + x["id"], offered_at=x["offered_at"].replace("2026-", "2025-", 1).replace("2027-", "2026-", 1),
               answered_at=x["answered_at"].replace("2026-", "2025-", 1).replace("2027-", "2026-", 1))
          for x in calls]
calls_rate = batched("/v1/events", calls[:n])
batched("/v1/events", calls[n:])
surveys = [{"id": f"s{i}", "at": (start + dt.timedelta(seconds=311 * i)).isoformat(), "rating": 1 + i % 5,
            "channel": CHANNELS[i % 6], "scope": f"queue:q{i % 20}"} for i in range(n)]
surveys_rate = batched("/v1/surveys", surveys)
opened = [start + dt.timedelta(seconds=307 * i) for i in range(n)]
enquiries = [{"id": f"e{i}", "unit": f"Unit {i % 12}", "opened_at": opened[i].isoformat()} for i in range(n)]
enquiries_rate = batched("/v1/enquiries", enquiries)
closed = [{"id": f"e{i}", "unit": f"Unit {i % 12}", "opened_at": opened[i].isoformat(),
           "closed_at": (opened[i] + dt.timedelta(days=1 + i % 9)).isoformat()} for i in range(0, n, 2)]
updates_rate = batched("/v1/enquiries", closed)
say(f"-- batched ingest, NDJSON 1,000 a request, 4 in flight: calls {calls_rate:,.0f}/s (the peer); "
    f"survey responses {surveys_rate:,.0f}/s = {surveys_rate / calls_rate:.2f}x; "
    f"enquiries {enquiries_rate:,.0f}/s = {enquiries_rate / calls_rate:.2f}x; "
    f"later states of {len(closed):,} enquiries {updates_rate:,.0f}/s = {updates_rate / calls_rate:.2f}x")
results["ingest_per_s"] = {"calls": calls_rate, "surveys": surveys_rate, "enquiries": enquiries_rate,
                           "enquiry_updates": updates_rate}

# ---- 2. reading
holidays = [d.isoformat() for d in (dt.date(2026, 4, 3), dt.date(2026, 4, 6), dt.date(2026, 5, 4),
                                    dt.date(2026, 5, 25), dt.date(2026, 8, 31), dt.date(2026, 12, 25),
                                    dt.date(2026, 12, 28), dt.date(2027, 1, 1))]
harness.http("PUT", URL + "/v1/calendar/holidays", token, {"dates": holidays})
reads = {
    "enquiries_kpis_fy": timed("/v1/enquiries/kpis", scope="tenant", period="fy-2026"),
    "enquiries_kpis_unit_month": timed("/v1/enquiries/kpis", scope="unit:Unit 3", period="2026-06"),
    "enquiries_table_fy": timed("/v1/exports/enquiries", fy="2026"),
    "enquiries_ageing": timed("/v1/enquiries/ageing", at="2026-10-01T12:00:00Z"),
}
say(f"-- {n:,} enquiries, {len(holidays)} holidays: "
    + "; ".join(f"{k} p50 {v[0]:.1f} ms p99 {v[1]:.1f} ms" for k, v in reads.items()))
without = timed("/v1/kpis", scope="tenant", period="2026-06")
series_without = timed("/v1/kpis/series", rounds=20, scope="tenant", interval="15m",
                       **{"from": "2026-06-01", "to": "2026-07-01"})
harness.http("PUT", URL + "/v1/settings", token, {"baseline_fy": 2025})
with_baseline = timed("/v1/kpis", scope="tenant", period="2026-06")
series_with = timed("/v1/kpis/series", rounds=20, scope="tenant", interval="15m",
                    **{"from": "2026-06-01", "to": "2026-07-01"})
channel = timed("/v1/kpis", scope="queue:q3", period="2026-06", channel="webchat")
say(f"-- GET /v1/kpis tenant, one month ({2 * n:,} calls and {n:,} responses stored): p99 {without[1]:.2f} ms "
    f"without a baseline year, {with_baseline[1]:.2f} ms with one ({with_baseline[1] / without[1]:.2f}x); "
    f"one queue and channel p99 {channel[1]:.2f} ms")
say(f"-- GET /v1/kpis/series tenant, 15-minute buckets over a month (2,880): p99 {series_without[1]:.0f} ms "
    f"without a baseline year, {series_with[1]:.0f} ms with one ({series_with[1] / series_without[1]:.2f}x)")
results["reads_ms"] = {k: {"p50": v[0], "p99": v[1]} for k, v in reads.items()}
results["reads_ms"].update({"kpis_month_no_baseline": {"p50": without[0], "p99": without[1]},
                            "kpis_month_baseline": {"p50": with_baseline[0], "p99": with_baseline[1]},
                            "kpis_month_queue_channel": {"p50": channel[0], "p99": channel[1]},
                            "series_15m_no_baseline": {"p50": series_without[0], "p99": series_without[1]},
                            "series_15m_baseline": {"p50": series_with[0], "p99": series_with[1]}})
os.makedirs(os.path.join(HERE, "out"), exist_ok=True)
with open(os.path.join(HERE, "out", "other_work.json"), "w") as out:
    json.dump(results, out, indent=2)
daemon.stop()
pg.stop()
say("== done; figures in bench/out/other_work.json")
