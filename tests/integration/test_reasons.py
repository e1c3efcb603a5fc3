"""Enquiry reasons (issue 8 point 4): GET /v1/reasons?scope=S&period=P&top=N against a
real ccmetricsd, with counts and shares computed here from the calls: the top N by
count (ties by name), shares of every contact of the scope and period (those without a
reason included), the rest as other and no reason; per queue, per service (the queue's
service on each contact's day, which changes mid-month here), tenant, and period
bounds in local time."""
import datetime
import itertools
from zoneinfo import ZoneInfo

from harness import Checks, Daemon, Postgres, http, post_events, url_with

c = Checks("reasons")
pg = Postgres()
daemon = Daemon(database=pg.dsn)
token = daemon.token("council", "ingest,read,admin")
URL = daemon.url
LONDON = ZoneInfo("Europe/London")
http("PUT", URL + "/v1/queues/bins", token, {"service": "street"})
http("PUT", URL + "/v1/queues/tax", token, {"service": "revenues"})
# From 15 October 2025 the queue "bulky" belongs to street (before: no service).
http("PUT", URL + "/v1/queues/bulky", token, {"service": "street", "effective_from": "2025-10-15"})
reasons = ["missed bin", "council tax bill", "bulky waste", "moving home", "direct debit", None, ""]
calls = []
for n, (queue, day) in enumerate(itertools.product(["bins", "tax", "bulky"], range(1, 32))):
    for k in range(1 + (n * 7 + day) % 5):
        t = datetime.datetime(2025, 10, day, 9 + k, 0, tzinfo=LONDON)
        reason = reasons[(n + k * 3 + day) % len(reasons)]
        call = {"id": f"r-{n}-{k}", "queue": queue, "offered_at": t.isoformat(), "outcome": "answered",
                "answered_at": (t + datetime.timedelta(seconds=20)).isoformat()}
        if reason is not None:
            call["reason"] = reason
        calls.append(call)
# The first hour of 1 November (local) and the last of 30 September are outside October.
for t in (datetime.datetime(2025, 9, 30, 23, 30, tzinfo=LONDON), datetime.datetime(2025, 11, 1, 0, 30, tzinfo=LONDON)):
    calls.append({"id": f"edge-{t.day}", "queue": "bins", "offered_at": t.isoformat(), "outcome": "abandoned",
                  "ended_at": (t + datetime.timedelta(seconds=30)).isoformat(), "reason": "missed bin"})
c.equal(post_events(URL, token, calls)[0], 200, f"{len(calls)} calls")


def expected(scope, top):
    def member(call):
        t = datetime.datetime.fromisoformat(call["offered_at"])
        if not (datetime.datetime(2025, 10, 1, tzinfo=LONDON) <= t < datetime.datetime(2025, 11, 1, tzinfo=LONDON)):
            return False
        if scope == "tenant":
            return True
        if scope.startswith("queue:"):
            return call["queue"] == scope[6:]
        service = {"bins": "street", "tax": "revenues"}.get(call["queue"])
        if call["queue"] == "bulky" and t.date() >= datetime.date(2025, 10, 15):
            service = "street"
        return service == scope[8:]
    mine = [x for x in calls if member(x)]
    counts = {}
    for x in mine:
        if x.get("reason"):
            counts[x["reason"]] = counts.get(x["reason"], 0) + 1
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    with_reason = sum(counts.values())
    listed = sum(v for _, v in ranked[:top])
    share = lambda v: 100 * v / len(mine) if mine else None
    return {"contacts": len(mine), "with_reason": with_reason,
            "reasons": [{"reason": r, "count": v, "share_pct": share(v)} for r, v in ranked[:top]],
            "other": {"count": with_reason - listed, "share_pct": share(with_reason - listed)},
            "no_reason": {"count": len(mine) - with_reason, "share_pct": share(len(mine) - with_reason)}}


for scope in ("tenant", "queue:bins", "queue:bulky", "service:street", "service:revenues", "queue:nothing"):
    for top in (10, 3, 1):
        status, got, _ = http("GET", url_with(URL, "/v1/reasons", scope=scope, period="2025-10", top=top), token)
        c.equal(status, 200, f"{scope} top {top}")
        want = expected(scope, top)
        for key in ("contacts", "with_reason"):
            c.equal(got.get(key), want[key], f"{scope} top {top}: {key}")
        c.equal([(r["reason"], r["count"]) for r in got.get("reasons", [])],
                [(r["reason"], r["count"]) for r in want["reasons"]], f"{scope} top {top}: the top reasons")
        for g, w in zip(got.get("reasons", []), want["reasons"]):
            c.near(g["share_pct"], w["share_pct"], f"{scope} {g['reason']}: share")
        for key in ("other", "no_reason"):
            c.equal(got[key]["count"], want[key]["count"], f"{scope} top {top}: {key}")
            if want[key]["share_pct"] is None:
                c.equal(got[key]["share_pct"], None, f"{scope}: no contacts, no share")
            else:
                c.near(got[key]["share_pct"], want[key]["share_pct"], f"{scope} top {top}: {key} share")
c.equal(http("GET", url_with(URL, "/v1/reasons", scope="tenant", period="2025-10", top=0), token)[0], 400, "top 0")
c.equal(http("GET", url_with(URL, "/v1/reasons", scope="tenant"), token)[0], 400, "a period is required")
c.equal(http("GET", url_with(URL, "/v1/reasons", scope="tenant", period="2025-10"))[0], 401, "a token is required")
c.equal(daemon.stop(), 0, "daemon exit code")
pg.stop()
c.finish()
