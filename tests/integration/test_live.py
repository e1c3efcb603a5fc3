"""The live view against a real ccmetricsd on a real PostgreSQL: GET /v1/live
and GET /v1/live/stream (Server-Sent Events read by a real HTTP client over a
socket): waiting now, oldest wait, calls in progress and today's KPIs; a change
reaches the stream within a second of its commit; queue, service and tenant
scopes; auth; clients that stop reading or vanish do not stop the others."""
import datetime
import time

from harness import Checks, Daemon, Postgres, SseStream, http, post_events, url_with

c = Checks("live")
pg = Postgres()
daemon = Daemon(database=pg.dsn)
token = daemon.token("lv", "ingest,read,admin")
other = daemon.token("lv-other", "ingest,read")
URL = daemon.url
http("PUT", URL + "/v1/queues/bins", token, {"service": "waste"})
http("PUT", URL + "/v1/targets", token, {"scope": "queue:bins", "kpi": "answered_pct",
                                          "value": 90})


def Stream(scope, tok=token, read=True):
    return SseStream(daemon.port, scope, tok, read)


def now_iso(delta_s=0):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=delta_s)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def post(events):
    status, body, _ = post_events(URL, token, events, ndjson=True)
    c.equal(status, 200, f"POST ({body})")
    return time.time()


# ---- auth and scope errors
status, body, _ = http("GET", url_with(URL, "/v1/live", scope="queue:bins"))
c.equal(status, 401, "GET /v1/live without a token: 401")
status, body, _ = http("GET", url_with(URL, "/v1/live", scope="nonsense:x"), token)
c.equal(status, 400, "a bad scope: 400")
s = Stream("queue:bins", tok="not-a-token")
c.equal(s.status, 401, "a stream without a valid token: 401")
s.close()

# ---- the stream
queue = Stream("queue:bins")
c.equal(queue.status, 200, "stream: 200")
c.check("text/event-stream" in queue.headers, "stream: Content-Type text/event-stream")
first = queue.next_snapshot()
c.check(first is not None, "stream: a snapshot straight away")
c.equal((first["scope"], first["waiting"], first["oldest_wait_s"], first["in_progress"]),
        ("queue:bins", 0, None, 0), "stream: nothing waiting at first")
c.equal(first["today"]["kpis"]["offered"]["value"], 0, "stream: today offered 0")
c.equal(first["today"]["kpis"]["answered_pct"]["target"], 90, "stream: the target in force")
service = Stream("service:waste")
tenant_stream = Stream("tenant")
c.check(service.next_snapshot() is not None and tenant_stream.next_snapshot() is not None,
        "service and tenant streams: first snapshots")
stuck = Stream("queue:bins", read=False)  # never reads a byte after its request
vanished = Stream("queue:bins")
vanished.close()

latencies = []
committed = post([{"type": "call.offered", "id": "L1", "queue": "bins", "at": now_iso(-3),
                   "caller": "+441632960009"}])
snap, seen = queue.wait_for(lambda s: s["waiting"] == 1)
c.check(snap is not None, "stream: the offered call is waiting")
latencies.append(seen - committed)
c.check(snap and snap["oldest_wait_s"] >= 3, f"stream: oldest wait >= 3 s ({snap})")
snap2, _ = queue.wait_for(lambda s: s["oldest_wait_s"] is not None
                          and s["oldest_wait_s"] > snap["oldest_wait_s"], timeout=3)
c.check(snap2 is not None, "stream: the oldest wait grows while the call waits")
ssnap, seen = service.wait_for(lambda s: s["waiting"] == 1)
c.check(ssnap is not None, "service stream: the call waits in its service")
tsnap, seen = tenant_stream.wait_for(lambda s: s["waiting"] == 1)
c.check(tsnap is not None, "tenant stream: the call waits in the tenant")

status, body, _ = http("GET", url_with(URL, "/v1/live", scope="queue:bins"), token)
c.equal((status, body["waiting"], body["in_progress"]), (200, 1, 0), "GET /v1/live: 1 waiting")
status, body, _ = http("GET", url_with(URL, "/v1/live", scope="queue:bins"), other)
c.equal((status, body["waiting"]), (200, 0), "another tenant sees none of it")

committed = post([{"type": "call.answered", "id": "L1", "at": now_iso(-1), "agent": "a1"}])
snap, seen = queue.wait_for(lambda s: s["waiting"] == 0 and s["in_progress"] == 1)
c.check(snap is not None, "stream: answered -> in progress")
latencies.append(seen - committed)
committed = post([{"type": "call.ended", "id": "L1", "at": now_iso()}])
snap, seen = queue.wait_for(lambda s: s["in_progress"] == 0
                            and s["today"]["kpis"]["offered"]["value"] == 1)
c.check(snap is not None, "stream: ended -> counted in today's KPIs")
latencies.append(seen - committed)
c.equal(snap and snap["today"]["kpis"]["answered"]["value"], 1, "stream: today answered 1")
committed = post([{"id": "R1", "queue": "bins", "offered_at": now_iso(-60),
                   "ended_at": now_iso(-50), "outcome": "abandoned"}])
snap, seen = queue.wait_for(lambda s: s["today"]["kpis"]["offered"]["value"] == 2)
c.check(snap is not None, "stream: a call record changes today's KPIs too")
latencies.append(seen - committed)
c.check(max(latencies) < 1.0, f"every change reached the stream within 1 s ({latencies})")

# The client that never read and the one that vanished did not stop anything; a
# flood of changes with a stuck client keeps the daemon answering.
for i in range(30):
    post([{"type": "call.offered", "id": f"F{i}", "queue": "bins", "at": now_iso(-1)}])
snap, _ = queue.wait_for(lambda s: s["waiting"] == 30, timeout=5)
c.check(snap is not None, "after 30 changes with a stuck client: the reader sees them all")
status, _, _ = http("GET", URL + "/healthz")
c.equal(status, 200, "healthz still answers")
stuck.close()
for s in (queue, service, tenant_stream):
    s.close()
print(f"  change -> stream latencies: {[round(x * 1000) for x in latencies]} ms", flush=True)

daemon.stop()
c.check(daemon.proc.returncode == 0,
        f"daemon stopped cleanly (exit {daemon.proc.returncode}): " + "\n".join(daemon.log_lines[-60:]))
pg.stop()
c.finish()
