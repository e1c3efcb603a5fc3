#!/usr/bin/env python3
"""ccmetrics benchmarks (see bench/run). Starts a real PostgreSQL and a real
ccmetricsd (release build), drives them with ccmetrics-sim (the traffic
simulator, in C) and wrk, and prints figures with their reference in the
same run. Writes bench/out/results.json."""
import argparse
import datetime as dt
import json
import os
import re
import subprocess
import sys
import time
from zoneinfo import ZoneInfo

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))

ap = argparse.ArgumentParser()
ap.add_argument("--build", default="build")
ap.add_argument("--big", type=int, default=10_000_000)
ap.add_argument("--small", type=int, default=10_000)
ap.add_argument("--copy-rows", type=int, default=200_000)
ap.add_argument("--single-calls", type=int, default=100_000)
args = ap.parse_args()
os.environ["CCM_BUILD_DIR"] = os.path.abspath(args.build)

import harness  # noqa: E402  (after CCM_BUILD_DIR is set)

SIM = os.path.join(os.path.abspath(args.build), "tools", "sim", "ccmetrics-sim")
LONDON = ZoneInfo("Europe/London")
results = {}


def say(text):
    print(text, flush=True)


def parse_kv(line):
    return {k: v for k, v in re.findall(r"(\w+)=([^\s]+)", line)}


def rss(pid):
    status = open(f"/proc/{pid}/status").read()
    get = lambda key: int(re.search(key + r":\s+(\d+) kB", status).group(1)) / 1024.0
    return get("VmRSS"), get("VmHWM")


say(f"== ccmetrics benchmarks  {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M}Z  "
    f"cores={os.cpu_count()}")
pg = harness.Postgres()
# The repeat-contact finalizer ticks every 60 s (the default); each measurement starts
# once the previous load's days are final (settle_repeat), so none pays for its catch-up.
# The per-token rate limit (1,000/s by default) would measure itself, not the daemon.
daemon = harness.Daemon(database=pg.dsn, extra=["--config", harness.write_config("rate_limit_per_s = 0\n")])
pid = daemon.proc.pid
say(f"   PostgreSQL {pg.psql('SHOW server_version')[0][0]} on a unix socket; ccmetricsd pid {pid}")

# Physical limit: how many fsyncs a second this disk does (one per commit).
fsync_out = subprocess.run([os.path.join(harness.pg_bindir(), "pg_test_fsync"), "-s", "3", "-f",
                            os.path.join(pg.dir, "fsync.test")],
                           capture_output=True, text=True).stdout
fsync_ops = float(re.search(r"fdatasync\s+([\d.]+) ops/sec", fsync_out).group(1))
results["fsync_ops_per_s"] = fsync_ops
say(f"-- disk: fdatasync {fsync_ops:.0f} ops/s (pg_test_fsync)")

# ---- 1. batched ingest vs COPY of the same rows -------------------------------
token = daemon.token("bench-copy")
lines = subprocess.run([SIM, "ndjson", "--days", "60", "--rate", "40", "--seed", "7", "--calls",
                        str(args.copy_rows)],
                       capture_output=True, text=True, check=True).stdout.splitlines()
lines = lines[: args.copy_rows]
if len(lines) < args.copy_rows:
    say(f"   (the simulator produced {len(lines)} rows; using all of them)")
rows = [json.loads(line) for line in lines]


def csv_row(r):
    offered = dt.datetime.fromisoformat(r["offered_at"].replace("Z", "+00:00"))
    interval = offered.replace(minute=offered.minute - offered.minute % 15, second=0, microsecond=0)
    channel = 0
    outcome = {"answered": 1, "abandoned": 2, "timeout": 3, "refused": 4}[r["outcome"]]
    fcr = r.get("first_contact_resolved")
    return ",".join([
        "999", '"%s"' % r["id"], '"%s"' % r["queue"], str(channel), str(outcome), r["offered_at"],
        r.get("answered_at") or "", r.get("ended_at") or "",
        offered.astimezone(LONDON).date().isoformat(), interval.isoformat(),
        str(round(r["handle_s"] * 1000)) if r.get("handle_s") is not None else "",
        "" if fcr is None else ("t" if fcr else "f"),
        ("%064x" % (hash(r["caller"]) & (2**256 - 1))) if r.get("caller") else "",
        '"%s"' % r["reason"] if r.get("reason") else "", '"%s"' % r["agent"] if r.get("agent") else "",
    ])


csv_path = os.path.join(pg.dir, "copy.csv")
with open(csv_path, "w") as f:
    for r in rows:
        f.write(csv_row(r) + "\n")
os.chmod(csv_path, 0o644)
pg.psql("CREATE TABLE bench_copy (LIKE contacts INCLUDING ALL)")
started = time.perf_counter()
pg.psql(f"COPY bench_copy (tenant_id, id, queue, channel, outcome, offered_at, answered_at, "
        f"ended_at, local_date, interval_start, handle_ms, first_contact_resolved, caller_hash, "
        f"reason, agent) FROM '{csv_path}' WITH (FORMAT csv)")
copy_s = time.perf_counter() - started
copy_rate = len(rows) / copy_s
results["copy_rows_per_s"] = copy_rate
say(f"-- COPY of {len(rows)} rows into an equivalent table: {copy_rate:,.0f} rows/s")

ndjson_path = os.path.join(pg.dir, "calls.ndjson")
with open(ndjson_path, "w") as f:
    f.write("".join(line + "\n" for line in lines))
out = subprocess.run([SIM, "bench-batch", "--url", daemon.url, "--token", token, "--file",
                      ndjson_path, "--batch", "1000", "--concurrency", "4"],
                     capture_output=True, text=True)
line = [l for l in out.stdout.splitlines() if l.startswith("bench-batch")]
if out.returncode != 0 or not line:
    say(out.stdout + out.stderr)
    raise SystemExit("bench-batch --file failed")
kv = parse_kv(line[-1])
batch_rate = float(kv["calls_per_s"])
accepted = int(pg.psql("SELECT count(*) FROM contacts c JOIN tenants t ON t.id = c.tenant_id "
                       "WHERE t.name = 'bench-copy'")[0][0])
results["batch_calls_per_s"] = batch_rate
results["batch_vs_copy"] = batch_rate / copy_rate
say(f"-- batched ingest of the same rows, NDJSON 1,000 calls a request, 4 in flight "
    f"(ccmetrics-sim): {batch_rate:,.0f} calls/s = {batch_rate / copy_rate:.2f}x COPY "
    f"(goal >= 0.5x); stored {accepted}, errors {kv['errors']}")
assert accepted == len(rows), "every row must be stored"

def settle_repeat(tenant):
    """Waits until the finalizer has made the tenant's past days final; seconds waited."""
    started = time.perf_counter()
    while pg.psql(f"SELECT NOT EXISTS (SELECT 1 FROM repeat_dirty d JOIN tenants t "
                  f"ON t.id = d.tenant_id WHERE t.name = '{tenant}') AND coalesce((SELECT "
                  f"s.final_through >= current_date - 12 FROM repeat_state s JOIN tenants t "
                  f"ON t.id = s.tenant_id WHERE t.name = '{tenant}'), false)")[0][0] != "t":
        if time.perf_counter() - started > 1800:
            raise SystemExit(f"the repeat finalizer did not catch up with {tenant} in 30 min")
        time.sleep(0.5)
    return time.perf_counter() - started


settle_repeat("bench-copy")

# ---- 2. single-call requests, 32 connections -----------------------------------
def cpu_seconds(pids):
    total = 0.0
    for p in pids:
        try:
            fields = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except OSError:
            pass
    return total


def postgres_pids():
    return [p for p in os.listdir("/proc") if p.isdigit() and
            open(f"/proc/{p}/comm").read().strip() == "postgres"]


daemon_cpu0, pg_cpu0, wall0 = cpu_seconds([pid]), cpu_seconds(postgres_pids()), time.time()
single = subprocess.run([SIM, "bench-single", "--url", daemon.url, "--token", token, "--calls",
                         str(args.single_calls), "--concurrency", "32"],
                        capture_output=True, text=True)
line = [l for l in single.stdout.splitlines() if l.startswith("bench-single")]
if single.returncode != 0 or not line:
    say(single.stdout + single.stderr)
    raise SystemExit("bench-single failed")
kv = parse_kv(line[-1])
single_rate = float(kv["calls_per_s"])
single_wall = time.time() - wall0
daemon_cpu = cpu_seconds([pid]) - daemon_cpu0
pg_cpu = cpu_seconds(postgres_pids()) - pg_cpu0
results.update(single_daemon_cpu_us_per_call=daemon_cpu / args.single_calls * 1e6,
               single_pg_cpu_us_per_call=pg_cpu / args.single_calls * 1e6)
ceiling = fsync_ops * 32
results.update(single_calls_per_s=single_rate, single_p50_ms=float(kv["p50_ms"]),
               single_p99_ms=float(kv["p99_ms"]), single_errors=int(kv["errors"]),
               single_fsync_ceiling=ceiling)
say(f"-- single-call requests, 32 connections: {single_rate:,.0f} calls/s (goal 10,000), "
    f"p50 {kv['p50_ms']} ms, p99 {kv['p99_ms']} ms, errors {kv['errors']}; "
    f"fsync ceiling 32 x {fsync_ops:.0f} = {ceiling:,.0f}/s -> {single_rate / ceiling:.2f}x of it")
say(f"   CPU per call: ccmetricsd {daemon_cpu / args.single_calls * 1e6:.0f} us, PostgreSQL "
    f"{pg_cpu / args.single_calls * 1e6:.0f} us, over {single_wall:.1f} s on {os.cpu_count()} "
    f"cores shared with the load generator")


# ---- 3. KPI latency with 10 thousand and 10 million calls -------------------------
def busiest_queue_month(tenant):
    row = pg.psql(f"SELECT queue, to_char(local_date, 'YYYY-MM'), count(*) FROM contact_intervals i "
                  f"JOIN tenants t ON t.id = i.tenant_id WHERE t.name = '{tenant}' "
                  f"GROUP BY 1, 2 ORDER BY sum(offered) DESC LIMIT 1")[0]
    return row[0], row[1], int(row[2])


def wrk_latency(url, tok, seconds=10):
    out = subprocess.run(["wrk", "-t1", "-c1", f"-d{seconds}s", "--timeout", "30s", "--latency", "-H",
                          f"Authorization: Bearer {tok}", url],
                         capture_output=True, text=True, check=True).stdout

    def ms(label):
        m = re.search(label + r"\s+([\d.]+)(us|ms|s)\b", out)
        value = float(m.group(1))
        return value / 1000 if m.group(2) == "us" else value * 1000 if m.group(2) == "s" else value
    reqs = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return ms("50%"), ms("99%"), reqs


def load(tenant, calls):
    tok = daemon.token(tenant)
    started = time.perf_counter()
    out = subprocess.run([SIM, "bench-batch", "--url", daemon.url, "--token", tok, "--calls",
                          str(calls), "--batch", "1000", "--concurrency", "4", "--seed", "11"],
                         capture_output=True, text=True)
    line = [l for l in out.stdout.splitlines() if l.startswith("bench-batch")]
    if out.returncode != 0 or not line:
        say(out.stdout[-2000:] + out.stderr[-2000:])
        raise SystemExit("bench-batch failed")
    kv = parse_kv(line[-1])
    return tok, float(kv["calls_per_s"]), time.perf_counter() - started


small_token, _, _ = load("bench-small", args.small)
settle_repeat("bench-copy")
settle_repeat("bench-small")
queue, month, intervals = busiest_queue_month("bench-small")
url = f"{daemon.url}/v1/kpis?scope=queue:{queue}&period={month}"
small_p50, small_p99, small_rps = wrk_latency(url, small_token)
results.update(small_p50_ms=small_p50, small_p99_ms=small_p99)
say(f"-- GET /v1/kpis one queue one month, {args.small:,} calls stored ({intervals} intervals): "
    f"p50 {small_p50:.2f} ms, p99 {small_p99:.2f} ms, {small_rps:,.0f} req/s")

say(f"   loading {args.big:,} calls through the API (bench-batch, 1,000 a request, 4 in flight)...")
big_token, big_rate, big_s = load("bench-big", args.big)
big_settle_s = settle_repeat("bench-big")
results["big_repeat_settle_s"] = big_settle_s
say(f"   repeat finalizer caught up {big_settle_s:.0f} s after the load (its tick: 60 s)")
results["big_load_calls_per_s"] = big_rate
say(f"-- sustained batched ingest of {args.big:,} calls: {big_rate:,.0f} calls/s over {big_s:.0f} s")
pg.psql("ANALYZE")
queue, month, intervals = busiest_queue_month("bench-big")
total = int(pg.psql("SELECT count(*) FROM contacts")[0][0])
url = f"{daemon.url}/v1/kpis?scope=queue:{queue}&period={month}"
big_p50, big_p99, big_rps = wrk_latency(url, big_token)
results.update(big_p50_ms=big_p50, big_p99_ms=big_p99, big_contacts_total=total,
               big_vs_small_p99=big_p99 / small_p99)
say(f"-- GET /v1/kpis one queue one month, {total:,} calls stored ({intervals} intervals): "
    f"p50 {big_p50:.2f} ms, p99 {big_p99:.2f} ms (goal < 10 ms), {big_rps:,.0f} req/s; "
    f"{big_p99 / small_p99:.2f}x the 10k p99 (goal <= 2x)")

tenant_rows = int(pg.psql(f"SELECT count(*) FROM contact_intervals i JOIN tenants t ON "
                          f"t.id = i.tenant_id WHERE t.name = 'bench-big' AND "
                          f"to_char(local_date, 'YYYY-MM') = '{month}'")[0][0])
t_p50, t_p99, t_rps = wrk_latency(f"{daemon.url}/v1/kpis?scope=tenant&period={month}", big_token)
results.update(big_tenant_p50_ms=t_p50, big_tenant_p99_ms=t_p99)
say(f"-- GET /v1/kpis whole tenant one month ({tenant_rows} intervals): p50 {t_p50:.2f} ms, "
    f"p99 {t_p99:.2f} ms, {t_rps:,.0f} req/s")

# ---- repeat_fcr_pct: the finalizer and the provisional (raw-contact) path ----------------
# The months above are final: their repeat counts were read from the intervals.
big_id = pg.psql("SELECT id FROM tenants WHERE name = 'bench-big'")[0][0]
# Its rate from scratch: every day of the tenant, a week a transaction, as the daemon calls
# it (a daemon pass running at the same time takes turns on the tenant's row lock).
answered_known = int(pg.psql(f"SELECT sum(repeat_known) FROM contact_intervals "
                             f"WHERE tenant_id = {big_id}")[0][0])
big_contacts = int(pg.psql(f"SELECT count(*) FROM contacts WHERE tenant_id = {big_id}")[0][0])
pg.psql(f"UPDATE repeat_state SET final_through = '-infinity' WHERE tenant_id = {big_id}")
finalize_started = time.perf_counter()
while pg.psql(f"SELECT more FROM ccm_repeat_finalize({big_id}, 7, '0', '0')")[0][0] == "t":
    pass
finalize_s = time.perf_counter() - finalize_started
results["repeat_finalize_contacts_per_s"] = answered_known / finalize_s
say(f"-- repeat finalizer from scratch: {answered_known:,} answered contacts with a caller "
    f"(of {big_contacts:,} contacts) in {finalize_s:.1f} s = {answered_known / finalize_s:,.0f} "
    f"contacts/s")
per_day = big_contacts // 90
for period in ("today", "mtd"):
    p50, p99, _ = wrk_latency(f"{daemon.url}/v1/kpis?scope=queue:{queue}&period={period}",
                              big_token, seconds=5)
    results[f"big_{period}_p99_ms"] = p99
    say(f"-- GET /v1/kpis one queue, {period} (provisional: repeat flags of the days not final "
        f"yet read from raw contacts, ~{per_day:,} contacts a day): p50 {p50:.2f} ms, "
        f"p99 {p99:.2f} ms")

# ---- 5. real sources and the live view -------------------------------------------
# queue_log parsing in lib/ (goal 1 million lines/s on one core).
out = subprocess.run([os.path.join(os.path.abspath(args.build), "bench_queue_log")],
                     capture_output=True, text=True)
line = [l for l in out.stdout.splitlines() if l.startswith("bench-queue-log")]
if line:
    kv = parse_kv(line[-1])
    results["queue_log_parse_lines_per_s"] = float(kv["lines_per_s"])
    say(f"-- queue_log lines parsed (lib/queue_log, one core): {float(kv['lines_per_s']):,.0f} "
        f"lines/s (goal 1,000,000), {float(kv['ns_per_line']):.0f} ns a line")

# queue_log followed from a file into PostgreSQL, end to end.
import selectors
import socket
qlog_dir = harness.temp_dir("ccm-bench-qlog-")
qlog_path = os.path.join(qlog_dir, "queue_log")
open(qlog_path, "w").close()
os.chmod(qlog_dir, 0o755)
daemon.token("bench-qlog")
follower = harness.Daemon(database=pg.dsn, extra=["--config", harness.write_config(
    f"queue_log_path = {qlog_path}\nqueue_log_tenant = bench-qlog\n")])
qlog_calls = 100_000
base_epoch = int(dt.datetime(2026, 2, 2, 8, tzinfo=dt.timezone.utc).timestamp())
with open(qlog_path + ".tmp", "w") as f:
    for i in range(qlog_calls):
        t0, cid, q = base_epoch + i * 3, f"{1700000000 + i}.{i % 97}", f"q{i % 8}"
        f.write(f"{t0}|{cid}|{q}|NONE|ENTERQUEUE||0163296{i % 10000:04d}|1\n")
        if i % 10 == 0:
            f.write(f"{t0 + 40}|{cid}|{q}|NONE|ABANDON|1|1|40\n")
        else:
            f.write(f"{t0 + 20}|{cid}|{q}|PJSIP/2{i % 50:02d}|CONNECT|20|{cid}9|2\n")
            f.write(f"{t0 + 200}|{cid}|{q}|PJSIP/2{i % 50:02d}|COMPLETECALLER|20|180|1\n")
qlog_size = os.path.getsize(qlog_path + ".tmp")
qlog_lines = sum(1 for _ in open(qlog_path + ".tmp"))
started = time.perf_counter()
with open(qlog_path, "a") as out_file, open(qlog_path + ".tmp") as in_file:
    out_file.write(in_file.read())
position_sql = f"SELECT offset_bytes FROM source_positions WHERE source = 'queue_log:{qlog_path}'"
while time.perf_counter() - started < 600:
    rows = pg.psql(position_sql)
    if rows and int(rows[0][0]) >= qlog_size:
        break
    time.sleep(0.05)
follow_s = time.perf_counter() - started
stored = int(pg.psql("SELECT count(*) FROM contacts c JOIN tenants t ON t.id = c.tenant_id "
                     "WHERE t.name = 'bench-qlog'")[0][0])
follower.stop()
results["queue_log_follow_lines_per_s"] = qlog_lines / follow_s
say(f"-- queue_log followed from a file into PostgreSQL: {qlog_lines:,} lines "
    f"({qlog_calls:,} calls) in {follow_s:.1f} s = {qlog_lines / follow_s:,.0f} lines/s; "
    f"contacts stored {stored:,}")

# Live push: 100 Server-Sent Event streams; the time from a commit (the 200 of the
# POST) to each stream receiving the changed snapshot.
live_token = daemon.token("bench-live")
streams = []
selector = selectors.DefaultSelector()
for i in range(100):
    sock = socket.create_connection(("127.0.0.1", daemon.port))
    sock.sendall((f"GET /v1/live/stream?scope=queue:live HTTP/1.1\r\nHost: x\r\n"
                  f"Authorization: Bearer {live_token}\r\n\r\n").encode())
    sock.setblocking(False)
    streams.append({"sock": sock, "buffer": b""})
    selector.register(sock, selectors.EVENT_READ, streams[-1])


def drain(deadline, want_waiting=None):
    """Read all streams until each has seen `waiting: want_waiting` (or the deadline);
    returns {stream index: arrival time}."""
    seen = {}
    while time.perf_counter() < deadline and len(seen) < len(streams):
        for key, _ in selector.select(timeout=0.05):
            st = key.data
            try:
                data = st["sock"].recv(65536)
            except BlockingIOError:
                continue
            st["buffer"] += data
            now = time.perf_counter()
            if want_waiting is not None and f'"waiting":{want_waiting},'.encode() in st["buffer"]:
                seen.setdefault(id(st), now)
            st["buffer"] = st["buffer"][-4096:]
    return seen


drain(time.perf_counter() + 2)
latencies = []
for i in range(1, 31):
    at = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    event = {"type": "call.offered", "id": f"live-{i}", "queue": "live", "at": at}
    status, _, _ = harness.http("POST", daemon.url + "/v1/events", live_token, event)
    committed = time.perf_counter()
    seen = drain(committed + 3, want_waiting=i)
    latencies += [t - committed for t in seen.values()]
    latencies += [3.0] * (len(streams) - len(seen))  # missed: counted as 3 s
    time.sleep(0.1)
for st in streams:
    st["sock"].close()
latencies.sort()
p50 = latencies[len(latencies) // 2] * 1000
p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
results.update(live_push_p50_ms=p50, live_push_p99_ms=p99)
say(f"-- live push to 100 SSE streams, commit -> snapshot received: p50 {p50:.0f} ms, "
    f"p99 {p99:.0f} ms over {len(latencies):,} deliveries (goal: within 1 s)")

# ---- 4. memory -----------------------------------------------------------------
rss_now, rss_peak = rss(pid)
results.update(daemon_rss_mib=rss_now, daemon_peak_rss_mib=rss_peak)
say(f"-- ccmetricsd RSS {rss_now:.1f} MiB now, peak {rss_peak:.1f} MiB over the run (goal < 64 MiB)")

os.makedirs(os.path.join(HERE, "out"), exist_ok=True)
with open(os.path.join(HERE, "out", "results.json"), "w") as f:
    json.dump(results, f, indent=2)
daemon.stop()
say("== done; figures in bench/out/results.json")
