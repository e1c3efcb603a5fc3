"""GET /v1/abandoned against a real ccmetricsd on a real PostgreSQL: the
abandoned contacts of a scope and period (short abandons flagged), each with
the first later answered contact of the same caller in any queue; scopes,
limit, tenant isolation and parameter errors."""
from harness import Checks, Daemon, Postgres, http, post_events, url_with

c = Checks("abandoned")
pg = Postgres()
daemon = Daemon(database=pg.dsn)
token = daemon.token("ab", "ingest,read,admin")
other = daemon.token("ab-other", "ingest,read")
URL = daemon.url
status, body, _ = http("PUT", URL + "/v1/queues/bins", token,
                       {"service": "waste", "short_abandon_s": 5})
c.equal(status, 200, f"PUT queue ({body})")


def t(day, h, m, s=0, month=2):
    return f"2026-{month:02d}-{day:02d}T{h:02d}:{m:02d}:{s:02d}Z"


def abandoned(cid, at, wait, caller=None, queue="bins"):
    e = dict(id=cid, queue=queue, offered_at=at, outcome="abandoned")
    e["ended_at"] = at[:-3] + f"{int(at[-3:-1]) + wait:02d}Z" if wait < 50 else None
    if caller:
        e["caller"] = caller
    return e


def answered(cid, at, caller, queue="bins", wait=10):
    return dict(id=cid, queue=queue, offered_at=at, answered_at=at[:-3] + f"{wait:02d}Z",
                ended_at=t(28, 23, 0), outcome="answered", caller=caller)


events = [
    answered("Y0", t(10, 8, 0), "+441632960002"),             # before: not "later"
    abandoned("A1", t(10, 9, 0), 30, "+441632960001"),
    abandoned("A6", t(10, 9, 10), 40, "+441632960001"),
    answered("X1", t(10, 9, 20), "+441632960001", queue="council-tax", wait=5),
    answered("X2", t(10, 9, 40), "+441632960001"),              # not the first later answer
    abandoned("A2", t(10, 10, 0), 3, "+441632960002"),          # short abandon
    abandoned("A3", t(10, 11, 0), 20),                          # no caller
    abandoned("A4", t(2, 9, 0, month=3), 20, "+441632960003"),  # March
    abandoned("A5", t(10, 12, 0), 20, "+441632960004", queue="other"),
]
status, body, _ = post_events(URL, token, events)
c.equal(status, 200, f"POST ({body})")
status, body, _ = post_events(URL, other, [abandoned("B1", t(10, 9, 0), 30, "+441632960001")])
c.equal(status, 200, "another tenant's abandoned call")


def listing(scope, period="2026-02", tok=token, **extra):
    return http("GET", url_with(URL, "/v1/abandoned", scope=scope, period=period, **extra), tok)


status, body, _ = listing("queue:bins")
c.equal(status, 200, f"GET /v1/abandoned ({body})")
c.equal([a["id"] for a in body["abandoned"]], ["A1", "A6", "A2", "A3"],
        "bins in February, in time order (March, other queue, other tenant left out)")
by_id = {a["id"]: a for a in body["abandoned"]}
c.equal(by_id["A1"]["later_answered"]["id"], "X1", "A1: the first later answered call, any queue")
c.equal(by_id["A1"]["later_answered"]["queue"], "council-tax", "A1: it was in council-tax")
c.near(by_id["A1"]["later_answered"]["after_s"], 20 * 60 + 5, "A1: answered 20 min 5 s later")
c.equal(by_id["A6"]["later_answered"]["id"], "X1", "A6: the same later call")
c.equal(by_id["A2"]["later_answered"], None, "A2: the caller's answered call was before")
c.equal((by_id["A2"]["short"], by_id["A1"]["short"]), (True, False), "short abandons flagged")
c.equal((by_id["A3"]["caller_known"], by_id["A3"]["later_answered"]), (False, None),
        "A3: no caller, nothing to match")
c.near(by_id["A1"]["wait_s"], 30, "A1: waited 30 s")
c.equal((by_id["A1"]["offered_at"], by_id["A1"]["ended_at"]), (t(10, 9, 0), t(10, 9, 0, 30)),
        "A1: its times")
c.equal((body["count"], body["recovered"], body["truncated"]), (4, 2, False), "counts")
c.check("caller" not in by_id["A1"], "the caller is never shown")

status, body, _ = listing("service:waste")
c.equal([a["id"] for a in body["abandoned"]], ["A1", "A6", "A2", "A3"], "service scope")
status, body, _ = listing("tenant")
c.equal([a["id"] for a in body["abandoned"]], ["A1", "A6", "A2", "A3", "A5"], "tenant scope")
status, body, _ = listing("tenant", limit=2)
c.equal(([a["id"] for a in body["abandoned"]], body["truncated"]), (["A1", "A6"], True),
        "limit cuts the list and says so")
status, body, _ = listing("tenant", period="2026-03")
c.equal([a["id"] for a in body["abandoned"]], ["A4"], "March")
status, body, _ = listing("tenant", tok=other)
c.equal([a["id"] for a in body["abandoned"]], ["B1"], "the other tenant sees only its own")
c.equal(body["abandoned"][0]["later_answered"], None,
        "the same caller in another tenant is not a match")
for params, what in (({"scope": "queue:bins"}, "no period"),
                     ({"scope": "x:y", "period": "2026-02"}, "bad scope"),
                     ({"scope": "tenant", "period": "2026-13"}, "bad period"),
                     ({"scope": "tenant", "period": "2026-02", "limit": "0"}, "limit 0")):
    status, body, _ = http("GET", url_with(URL, "/v1/abandoned", **params), token)
    c.equal(status, 400, f"{what}: 400 ({body})")
status, _, _ = http("GET", url_with(URL, "/v1/abandoned", scope="tenant", period="2026-02"))
c.equal(status, 401, "no token: 401")

daemon.stop()
pg.stop()
c.finish()
