"""Tenants are isolated: two tenants on one ccmetricsd use the same queue,
service and event ids; nothing one does shows in the other's figures, queue
settings or targets."""
import datetime
import threading
import time

from harness import Checks, Daemon, Postgres, get_kpis, http, post_events, url_with

c = Checks("isolation")
started = time.time()
pg = Postgres()
daemon = Daemon(database=pg.dsn)
A = daemon.token("council-a", "ingest,read,admin")
B = daemon.token("council-b", "ingest,read,admin")
URL = daemon.url
MONTH = "2026-05"
Q, SVC = "council-tax", "revenues"


def call(id_, offered, outcome="answered", wait=10, queue=Q, channel=None, handle=None):
    """offered: "DDTHH:MM" in May 2026 (UTC)."""
    t0 = datetime.datetime(2026, 5, int(offered[:2]), int(offered[3:5]), int(offered[6:8]),
                           tzinfo=datetime.timezone.utc)
    fmt = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")
    at = lambda s: fmt(t0 + datetime.timedelta(seconds=s))
    e = {"id": id_, "queue": queue, "offered_at": fmt(t0), "outcome": outcome}
    if outcome == "answered":
        e["answered_at"] = at(wait)
        e["ended_at"] = at(wait + 5)
    elif outcome in ("abandoned", "timeout"):
        e["ended_at"] = at(wait)
    if channel:
        e["channel"] = channel
    if handle is not None:
        e["handle_s"] = handle
    return e


def kpis(token, scope, period=MONTH, channel=None):
    status, body, _ = get_kpis(URL, token, scope, period, channel)
    c.equal(status, 200, f"GET /v1/kpis {scope} {period} {channel or ''} status")
    return (body or {}).get("kpis", {})


def v(k, key):
    return (k.get(key) or {}).get("value", "<missing>")


def post(token, events, want, what):
    status, body, _ = post_events(URL, token, events)
    c.equal((status, body), (200, want), what)


def put(token, path, body, what):
    status, answer, _ = http("PUT", URL + path, token, body)
    c.equal(status, 200, f"{what}: status ({answer!r:.200})")


# Both tenants put the same queue into the same service name.
put(A, f"/v1/queues/{Q}", {"service": SVC}, "A: queue settings")
put(B, f"/v1/queues/{Q}", {"service": SVC}, "B: queue settings")

# A: 7 contacts (5 answered, wait 10 s; 2 abandoned, wait 40 s), one on webchat.
a_events = [call(f"a-{i}", f"04T09:0{i}", wait=10) for i in range(5)]
a_events += [call(f"a-{i}", f"04T09:0{i}", "abandoned", wait=40) for i in range(5, 7)]
a_events[0]["channel"] = "webchat"
# B: 3 contacts (1 answered, wait 50 s; 2 timed out, wait 100 s).
b_events = [call("b-0", "05T10:00", wait=50), call("b-1", "05T10:01", "timeout", wait=100),
            call("b-2", "05T10:02", "timeout", wait=100)]
post(A, a_events, {"accepted": 7, "duplicates": 0}, "A posts 7")
post(B, b_events, {"accepted": 3, "duplicates": 0}, "B posts 3")

want_a = {"offered": 7, "answered": 5, "abandoned": 2, "timed_out": 0, "asa_s": 10.0,
          "longest_wait_s": 40.0}
want_b = {"offered": 3, "answered": 1, "abandoned": 0, "timed_out": 2, "asa_s": 50.0,
          "longest_wait_s": 100.0}


def check_figures(token, name, want, what):
    for scope in ("tenant", f"queue:{Q}", f"service:{SVC}"):
        k = kpis(token, scope)
        for key, value in want.items():
            c.equal(v(k, key), value, f"{what}: {name} {scope} {key}")


check_figures(A, "A", want_a, "after both posted")
check_figures(B, "B", want_b, "after both posted")
c.equal(v(kpis(A, "tenant", channel="webchat"), "offered"), 1, "A tenant webchat offered")
c.equal(v(kpis(B, "tenant", channel="webchat"), "offered"), 0, "B tenant webchat offered")
c.equal(v(kpis(B, f"queue:{Q}", channel="phone"), "offered"), 3, "B queue phone offered")

# The same ids in the other tenant are other contacts.
post(B, [call("a-0", "06T11:00", wait=20), call("a-1", "06T11:01", wait=20)],
     {"accepted": 2, "duplicates": 0}, "B posts ids that A already used")
post(A, [call("b-0", "06T12:00", wait=30)], {"accepted": 1, "duplicates": 0},
     "A posts an id that B already used")
post(B, [call("a-0", "06T11:00", wait=20)], {"accepted": 0, "duplicates": 1},
     "B re-posts its own a-0: a duplicate in B")
post(A, [call("a-0", "04T09:00", wait=10)], {"accepted": 0, "duplicates": 1},
     "A re-posts its own a-0: a duplicate in A")
want_a.update(offered=8, answered=6, asa_s=(5 * 10 + 30) / 6)
want_b.update(offered=5, answered=3, asa_s=(50 + 20 + 20) / 3)
check_figures(A, "A", want_a, "after shared ids")
check_figures(B, "B", want_b, "after shared ids")
rows = pg.psql("SELECT t.name, count(*) FROM contacts c JOIN tenants t ON t.id = c.tenant_id"
               " GROUP BY t.name ORDER BY t.name")
c.equal(rows, [["council-a", "8"], ["council-b", "5"]], "contacts rows per tenant")
rows = pg.psql("SELECT t.name, c.id, c.queue FROM contacts c JOIN tenants t ON t.id = c.tenant_id"
               " WHERE c.id IN ('a-0', 'b-0') ORDER BY 1, 2")
c.equal(len(rows), 4, f"a-0 and b-0 stored once per tenant: {rows}")

# B's settings and targets do not touch A.
a_before = {s: kpis(A, s) for s in ("tenant", f"queue:{Q}", f"service:{SVC}")}
status, a_queue_before, _ = http("GET", URL + f"/v1/queues/{Q}", A)
c.equal(status, 200, "A GET /v1/queues status")
put(A, "/v1/targets", {"scope": f"queue:{Q}", "kpi": "asa_s", "value": 20, "amber": 5,
                       "effective_from": "2026-04-01"}, "A puts an asa_s target")
a_targets_before = http("GET", url_with(URL, "/v1/targets", scope=f"queue:{Q}"), A)[1]
put(B, f"/v1/queues/{Q}", {"service": "other-service", "sl_threshold_s": 5, "short_abandon_s": 60,
                          "sl_formula": "answered_only"}, "B replaces its always-version")
put(B, f"/v1/queues/{Q}", {"service": SVC, "sl_threshold_s": 1,
                          "effective_from": "2026-05-01"}, "B adds a May version")
for kpi, value in (("asa_s", 99), ("answered_pct", 50), ("abandoned_pct", 1)):
    put(B, "/v1/targets", {"scope": f"queue:{Q}", "kpi": kpi, "value": value,
                           "effective_from": "2026-04-01"}, f"B puts a {kpi} target")
put(B, "/v1/targets", {"scope": "tenant", "kpi": "asa_s", "value": 7}, "B puts a tenant target")
put(B, "/v1/targets", {"scope": f"service:{SVC}", "kpi": "asa_s", "value": 8},
    "B puts a service target")

c.equal(http("GET", URL + f"/v1/queues/{Q}", A)[1], a_queue_before,
        "A's GET /v1/queues after B's PUTs")
c.equal(http("GET", url_with(URL, "/v1/targets", scope=f"queue:{Q}"), A)[1], a_targets_before,
        "A's GET /v1/targets?scope=queue after B's PUTs")
status, all_a, _ = http("GET", URL + "/v1/targets", A)
c.equal([(t.get("scope"), t.get("kpi"), t.get("value")) for t in (all_a or {}).get("targets", [])],
        [(f"queue:{Q}", "asa_s", 20)], "A's GET /v1/targets (all scopes) after B's PUTs")
a_after = {s: kpis(A, s) for s in a_before}
for s in a_before:
    for key in a_before[s]:
        if key == "asa_s":
            continue  # A's own target was added in between; compared below
        c.equal(a_after[s].get(key), a_before[s].get(key), f"A {s} {key} after B's PUTs")
k = a_after[f"queue:{Q}"]
c.equal((k.get("asa_s") or {}).get("target"), 20, "A's asa_s target after B's PUTs")
c.equal((k.get("asa_s") or {}).get("status"), "green", "A's asa_s status (11.43 s vs 20)")
c.equal((a_after["tenant"].get("asa_s") or {}).get("target"), None,
        "A's tenant asa_s target (B put one for its tenant)")
c.equal((a_after[f"service:{SVC}"].get("asa_s") or {}).get("target"), None,
        "A's service asa_s target (B put one for its service)")
# ... while B's own figures did change: its settings and targets took effect.
kb = kpis(B, f"queue:{Q}")
c.equal((kb.get("asa_s") or {}).get("target"), 99, "B's asa_s target")
c.equal((kb.get("answered_pct") or {}).get("target"), 50, "B's answered_pct target")
c.equal(v(kb, "service_level_pct"), 0.0,
        "B's service level with a 1 s threshold in May (answered_only: 0 of 3 within 1 s)")
c.equal(v(kb, "short_abandoned"), 0, "B's short abandons")
c.equal(v(kpis(B, "service:other-service"), "offered"), 0,
        "B's other-service offered (the May version moves the queue back)")
c.equal(v(kpis(A, "service:other-service"), "offered"), 0, "A's other-service offered")
c.equal(v(kpis(A, f"queue:{Q}"), "service_level_pct"), 100 * 6 / 8,
        "A's service level (default 80 s, abandons_count: 6 of 8)")

# Series are isolated too.
for token, name, want in ((A, "A", want_a), (B, "B", want_b)):
    status, body, _ = http("GET", url_with(URL, "/v1/kpis/series", scope=f"service:{SVC}",
                                           **{"from": "2026-04", "to": "2026-06"}), token)
    offered = [v(p.get("kpis", {}), "offered") for p in (body or {}).get("series", [])]
    c.equal((status, offered), (200, [0, want["offered"], 0]), f"{name} monthly series offered")

# Concurrent posts of both tenants share group commits but not figures.
PER, THREADS = 40, 8
errors = []


def poster(token, prefix, pair):
    for i in range(PER):
        e = call(f"{prefix}-{i}", f"20T08:{i % 60:02d}", wait=3, queue="busy")
        status, body, _ = post_events(URL, token, e)
        if (status, body) != (200, {"accepted": 1, "duplicates": 0}):
            errors.append((prefix, i, status, body))
    # an id the other tenant's twin thread posts at the same time
    status, body, _ = post_events(URL, token, call(f"both-{pair}", "21T08:00", queue="busy"))
    if status != 200 or body.get("accepted") != 1:
        errors.append((prefix, "both", status, body))


threads = [threading.Thread(target=poster, args=(A if t % 2 == 0 else B, f"t{t}", t // 2))
           for t in range(THREADS)]
for th in threads:
    th.start()
for th in threads:
    th.join()
c.check(not errors, f"concurrent posts of two tenants: {errors[:3]}")
per_tenant = PER * THREADS // 2 + THREADS // 2
c.equal(v(kpis(A, "queue:busy"), "offered"), per_tenant, "A queue:busy offered")
c.equal(v(kpis(B, "queue:busy"), "offered"), per_tenant, "B queue:busy offered")
c.equal(v(kpis(A, "tenant"), "offered"), want_a["offered"] + per_tenant, "A tenant offered")
c.equal(v(kpis(B, "tenant"), "offered"), want_b["offered"] + per_tenant, "B tenant offered")
rows = pg.psql("SELECT t.name, count(*) FROM contact_intervals i JOIN tenants t"
               " ON t.id = i.tenant_id WHERE queue = 'busy' GROUP BY 1 ORDER BY 1")
c.check(len(rows) == 2, f"aggregates of queue busy exist per tenant: {rows}")
rows = pg.psql("SELECT t.name, sum(offered) FROM contact_intervals i JOIN tenants t"
               " ON t.id = i.tenant_id WHERE queue = 'busy' GROUP BY 1 ORDER BY 1")
c.equal(rows, [["council-a", str(per_tenant)], ["council-b", str(per_tenant)]],
        "contact_intervals offered of queue busy per tenant")

# A tenant in another time zone: the same instant, posted at once by both, falls on each
# tenant's own local date (the group commit computes local dates per tenant).
C = daemon.token("council-ny", "ingest,read,admin", extra=("--time-zone", "America/New_York"))
instant = {"queue": "tz", "offered_at": "2026-06-01T02:30:00Z", "outcome": "refused"}
tz_answers, tz_barrier = [], threading.Barrier(2 * 10)


def tz_poster(token, prefix, i):
    tz_barrier.wait()
    tz_answers.append(post_events(URL, token, dict(instant, id=f"{prefix}-{i}"))[:2])


threads = [threading.Thread(target=tz_poster, args=(tok, name, i))
           for i in range(10) for tok, name in ((A, "a-tz"), (C, "c-tz"))]
for th in threads:
    th.start()
for th in threads:
    th.join()
c.check(all(a == (200, {"accepted": 1, "duplicates": 0}) for a in tz_answers),
        f"posts of the London and New York tenants at once: {tz_answers[:3]}")
c.equal(v(kpis(A, "queue:tz", "2026-06"), "offered"), 10, "A (London): 02:30Z on 1 June is June")
c.equal(v(kpis(A, "queue:tz", "2026-05"), "offered"), 0, "A (London): nothing in May")
c.equal(v(kpis(C, "queue:tz", "2026-05"), "offered"), 10,
        "C (New York): 02:30Z on 1 June is 31 May 22:30 local")
c.equal(v(kpis(C, "queue:tz", "2026-06"), "offered"), 0, "C (New York): nothing in June")
c.equal(v(kpis(C, "tenant", "2026-05"), "offered"), 10, "C tenant May offered (only its own)")

c.equal(daemon.stop(), 0, "daemon exit code after SIGTERM")
print(f"  ran in {time.time() - started:.1f}s", flush=True)
c.finish()
