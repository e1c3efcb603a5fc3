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
daemon = harness.Daemon(database=pg.dsn)
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
    out = subprocess.run(["wrk", "-t1", "-c1", f"-d{seconds}s", "--latency", "-H",
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
queue, month, intervals = busiest_queue_month("bench-small")
url = f"{daemon.url}/v1/kpis?scope=queue:{queue}&period={month}"
small_p50, small_p99, small_rps = wrk_latency(url, small_token)
results.update(small_p50_ms=small_p50, small_p99_ms=small_p99)
say(f"-- GET /v1/kpis one queue one month, {args.small:,} calls stored ({intervals} intervals): "
    f"p50 {small_p50:.2f} ms, p99 {small_p99:.2f} ms, {small_rps:,.0f} req/s")

say(f"   loading {args.big:,} calls through the API (bench-batch, 1,000 a request, 4 in flight)...")
big_token, big_rate, big_s = load("bench-big", args.big)
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

# ---- 4. memory -----------------------------------------------------------------
rss_now, rss_peak = rss(pid)
results.update(daemon_rss_mib=rss_now, daemon_peak_rss_mib=rss_peak)
say(f"-- ccmetricsd RSS {rss_now:.1f} MiB now, peak {rss_peak:.1f} MiB over the run (goal < 64 MiB)")

os.makedirs(os.path.join(HERE, "out"), exist_ok=True)
with open(os.path.join(HERE, "out", "results.json"), "w") as f:
    json.dump(results, f, indent=2)
daemon.stop()
say("== done; figures in bench/out/results.json")
