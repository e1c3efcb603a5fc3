#!/usr/bin/env python3
"""Alert benchmarks (issue 5; run by bench/run after bench.py, or alone):
1. from the commit of a breaching event (its POST answered 200) to the webhook arriving
   at a real receiver process on loopback, p50/p99 over fires and resolves, beside the
   round trip of an empty POST to the same receiver (the floor of any delivery);
2. the cost of one evaluation pass as the rules grow to 10,000 (over 50 queues with
   calls today, every window and KPI), per rule.
Writes bench/out/alerts.json."""
import argparse
import datetime as dt
import json
import os
import re
import statistics
import sys
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
ap = argparse.ArgumentParser()
ap.add_argument("--build", default="build")
ap.add_argument("--trials", type=int, default=100)
args = ap.parse_args()
os.environ["CCM_BUILD_DIR"] = os.path.abspath(args.build)
import harness  # noqa: E402

results = {}


def say(text):
    print(text, flush=True)


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


say(f"== alert benchmarks  {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M}Z  cores={os.cpu_count()}")
pg = harness.Postgres()
receiver = harness.Receiver()
config = harness.write_config("alert_evaluate_interval_s = 1\nwebhook_allow = 127.0.0.1\n")
daemon = harness.Daemon(database=pg.dsn, extra=["--config", config, "--log-level", "debug"])
token = daemon.token("bench", "ingest,read,admin")
URL = daemon.url

# ---- 1. commit to webhook
status, ep, _ = harness.http("POST", URL + "/v1/alert-endpoints", token,
                             {"url": receiver.url + "/latency", "format": "generic"})
harness.http("POST", URL + "/v1/alert-rules", token,
             {"scope": "queue:latency", "kpi": "abandoned_pct", "threshold": 50, "min_sample": 1,
              "endpoints": [ep["id"]]})
now = dt.datetime.now(dt.timezone.utc)
sequence = 0


def post(kind, count):
    global sequence
    events = []
    for _ in range(count):
        sequence += 1
        t = (now + dt.timedelta(milliseconds=sequence)).isoformat(timespec="milliseconds")
        e = {"id": f"lat-{sequence}", "queue": "latency", "offered_at": t, "outcome": kind,
             "ended_at": t}
        if kind == "answered":
            e["answered_at"] = t
        events.append(e)
    status, body, _ = harness.post_events(URL, token, events)
    assert status == 200, body
    return time.time()


def wait_arrivals(n, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = receiver.arrivals("/latency")
        if len(found) >= n:
            return found[n - 1]["at"]
        time.sleep(0.002)
    raise RuntimeError("no webhook")


latencies = []
committed = post("abandoned", 1)  # 100%: fires
latencies.append(wait_arrivals(1) - committed)
for trial in range(1, args.trials):
    # alternately under 50% (resolves) and over it (fires): (2n+1)/(4n+3) < 50% < (2n+1)/(4n+1)
    committed = post("answered" if trial % 2 else "abandoned", 2)
    latencies.append(wait_arrivals(trial + 1) - committed)
    time.sleep(0.15)  # not in the pass gap of the previous one
floor = []
for _ in range(args.trials):
    started = time.time()
    urllib.request.urlopen(urllib.request.Request(receiver.url + "/floor", data=b"{}", method="POST"))
    floor.append(time.time() - started)
p50, p99 = percentile(latencies, 50) * 1e3, percentile(latencies, 99) * 1e3
floor50 = percentile(floor, 50) * 1e3
say(f"   commit -> webhook at the receiver: p50 {p50:.1f} ms, p99 {p99:.1f} ms over {len(latencies)}"
    f" notifications; a bare POST to the receiver: p50 {floor50:.2f} ms ({p50 / floor50:.0f}x)")
results["latency_ms"] = {"p50": p50, "p99": p99, "receiver_post_p50": floor50, "n": len(latencies)}

# ---- 2. evaluation cost per rule
queues = [f"q{i:02d}" for i in range(50)]
events = []
for q in queues:
    for n in range(100):
        t = (now - dt.timedelta(minutes=30) + dt.timedelta(seconds=n)).isoformat(timespec="seconds")
        e = {"id": f"{q}-{n}", "queue": q, "offered_at": t,
             "outcome": "answered" if n % 7 else "abandoned", "ended_at": t}
        if n % 7:
            e["answered_at"] = t
        events.append(e)
status, body, _ = harness.post_events(URL, token, events)
assert status == 200, body
kpis = ["answered_pct", "abandoned_pct", "service_level_pct", "asa_s", "aht_s", "fcr_pct"]
windows = ["today", "rolling-1h", "rolling-15m", "mtd"]
made = 1  # the latency rule


def make_rules(upto):
    global made
    bodies = []
    while made + len(bodies) < upto:
        i = made + len(bodies)
        scope = ("tenant" if i % 10 == 0 else f"service:s{i % 5}" if i % 10 == 1
                 else f"queue:{queues[i % 50]}")
        bodies.append({"scope": scope, "kpi": kpis[i % len(kpis)], "window": windows[i % 4],
                       "threshold": 50 + i % 40, "min_sample": 5})
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                if not bodies:
                    return
                body = bodies.pop()
            status, answer, _ = harness.http("POST", URL + "/v1/alert-rules", token, body)
            assert status == 201, answer
    threads = [threading.Thread(target=worker) for _ in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    made = upto


def pass_times(count):
    seen = len(daemon.log_lines)
    found = []
    deadline = time.time() + 120
    while len(found) < count and time.time() < deadline:
        time.sleep(0.2)
        lines = daemon.log_lines[seen:]
        seen += len(lines)
        found += [float(m.group(1)) for m in
                  (re.search(r"event=alert\.pass ms=([\d.]+)", line) for line in lines) if m]
    return found


cost = {}
for rules in (10, 100, 1000, 10000):
    make_rules(rules)
    pass_times(2)  # the passes that saw the rules arrive
    times = pass_times(5)
    median = statistics.median(times)
    cost[rules] = median
    parts = [l for l in daemon.log_lines if "event=alert.pass" in l][-1]
    say("     " + parts.split("event=alert.pass ")[1])
    say(f"   {rules:>6} rules: a pass takes {median:7.1f} ms (median of {len(times)}),"
        f" {median * 1e3 / rules:7.1f} us a rule")
results["pass_ms"] = cost
# The same 10,000 rules when every figure changes between passes: a call in every queue.
changing = []
for round_ in range(5):
    seen = len(daemon.log_lines)
    fresh = []
    for q in queues:
        t = dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")
        fresh.append({"id": f"{q}-change-{round_}", "queue": q, "offered_at": t, "outcome": "answered",
                      "answered_at": t, "ended_at": t})
    status, body, _ = harness.post_events(URL, token, fresh)
    assert status == 200, body
    deadline = time.time() + 30
    while time.time() < deadline:
        lines = [l for l in daemon.log_lines[seen:] if "event=alert.pass" in l and " states=0 " not in l]
        if lines:
            changing.append((float(re.search(r" ms=([\d.]+)", lines[0]).group(1)),
                             int(re.search(r"states=(\d+)", lines[0]).group(1))))
            break
        time.sleep(0.05)
median_changing = statistics.median(ms for ms, _ in changing)
say(f"   10,000 rules, every figure changed: {median_changing:.1f} ms a pass"
    f" ({median_changing * 1e3 / 10000:.1f} us a rule; {statistics.median(n for _, n in changing):.0f}"
    f" states stored)")
results["pass_ms_all_changed_10000"] = median_changing
say(f"   10,000 rules: {cost[10000] / cost[10]:.1f}x the pass of 10 rules when figures hold"
    f" (a pass every 10 s: {cost[10000] / 100:.1f}% of one core); when every figure changes"
    f" {median_changing / cost[10]:.1f}x, and passes are then spaced at twice their duration")
os.makedirs(os.path.join(HERE, "out"), exist_ok=True)
with open(os.path.join(HERE, "out", "alerts.json"), "w") as f:
    json.dump(results, f, indent=2)
daemon.stop()
pg.stop()
