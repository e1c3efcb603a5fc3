"""Two ccmetricsd instances on one database, as behind a load balancer (issue 7 point 6):
events posted to either, in any mix, give the same figures from both (KPIs, series,
live view, the abandoned list and the export); re-posting through the other instance is
a duplicate; background work happens once (the alert evaluator, the repeat finalizer
and publishing are serialised in PostgreSQL: tested in test_alerts and test_exports)."""
import datetime
import json

from harness import Checks, Daemon, Postgres, get_kpis, http, post_events, url_with

c = Checks("multi")
pg = Postgres()
a = Daemon(database=pg.dsn)
b = Daemon(database=pg.dsn)
token = a.token("council", "ingest,read,admin")
http("PUT", a.url + "/v1/queues/bins", token, {"service": "street"})
http("PUT", b.url + "/v1/targets", token, {"scope": "service:street", "kpi": "answered_pct", "value": 80})
now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
events = []
for n in range(400):
    t = now - datetime.timedelta(minutes=5 + n % 240)
    e = {"id": f"m-{n}", "queue": "bins" if n % 3 else "tax", "offered_at": t.isoformat(),
         "outcome": "answered" if n % 5 else "abandoned", "caller": f"0770090{n % 37:04d}",
         "ended_at": (t + datetime.timedelta(seconds=200)).isoformat()}
    if n % 5:
        e["answered_at"] = (t + datetime.timedelta(seconds=n % 120)).isoformat()
    events.append(e)
for i in range(0, 400, 50):
    target = a if (i // 50) % 2 else b
    c.equal(post_events(target.url, token, events[i:i + 50])[0], 200, f"batch {i} through {'ab'[target is b]}")
status, body, _ = post_events(a.url, token, events[:50])
c.equal((status, body.get("duplicates")), (200, 50), "re-posted through the other instance: duplicates")

for path, params in (("/v1/kpis", {"scope": "tenant", "period": "today"}),
                     ("/v1/kpis", {"scope": "service:street", "period": "mtd"}),
                     ("/v1/kpis/series", {"scope": "queue:bins", "interval": "hour",
                                          "from": (now - datetime.timedelta(hours=5)).isoformat(),
                                          "to": now.isoformat()}),
                     ("/v1/abandoned", {"scope": "tenant", "period": "today"}),
                     ("/v1/queues", {})):
    one = http("GET", url_with(a.url, path, **params), token)
    two = http("GET", url_with(b.url, path, **params), token)
    c.equal((one[0], two[0]), (200, 200), f"{path} {params}: answered by both")
    c.equal(json.dumps(one[1], sort_keys=True), json.dumps(two[1], sort_keys=True), f"{path} {params}: the same")
live_a = http("GET", url_with(a.url, "/v1/live", scope="tenant"), token)[1]
live_b = http("GET", url_with(b.url, "/v1/live", scope="tenant"), token)[1]
c.equal(live_a["today"], live_b["today"], "the live view's figures are the same")
c.equal(get_kpis(a.url, token, "tenant", "today")[1]["kpis"]["offered"]["value"], 400, "every event counted once")
export = [http("GET", url_with(x.url, "/v1/exports/monthly", scope="tenant", fy=now.year if now.month >= 4 else now.year - 1,
                               format="json"), token)[1] for x in (a, b)]
c.equal(json.dumps(export[0]["tables"], sort_keys=True), json.dumps(export[1]["tables"], sort_keys=True),
        "the exports are the same")
c.equal(a.stop(), 0, "daemon a exit code")
c.equal(b.stop(), 0, "daemon b exit code")
pg.stop()
c.finish()
