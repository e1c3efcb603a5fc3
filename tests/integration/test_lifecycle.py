"""Lifecycle events (call.offered, call.answered, call.ended) against a real
ccmetricsd on a real PostgreSQL: assembled into one contact per call whatever
order they arrive in and however often they are re-sent; a late event
re-assembles the call (replaced, never counted twice); a call that never ends
is closed after lifecycle_max_open_s and counted once, and its real end still
replaces it; the 15-minute aggregates always equal a plain SQL computation
over the raw contacts."""
import datetime
import time

from harness import Checks, Daemon, Postgres, get_kpis, post_events, wait_until, write_config

c = Checks("lifecycle")
pg = Postgres()
config = write_config("lifecycle_max_open_s = 5\n")
daemon = Daemon(database=pg.dsn, extra=["--config", config])
token = daemon.token("lc", "ingest,read,admin")
URL = daemon.url


def ts(h, m, s=0):
    return f"2026-02-10T{h:02d}:{m:02d}:{s:02d}Z"


def offered(call, at, queue="bins", **extra):
    return dict(type="call.offered", id=call, queue=queue, at=at, **extra)


def answered(call, at, **extra):
    return dict(type="call.answered", id=call, at=at, **extra)


def ended(call, at, **extra):
    return dict(type="call.ended", id=call, at=at, **extra)


def post(events, what, want_status=200, ndjson=True):
    status, body, _ = post_events(URL, token, events, ndjson=ndjson)
    c.equal(status, want_status, f"{what}: status ({body})")
    return body


def feb_kpis():
    status, body, _ = get_kpis(URL, token, "queue:bins", "2026-02")
    c.equal(status, 200, f"GET /v1/kpis ({body})")
    return {k: v.get("value") for k, v in body["kpis"].items()}


def contacts(where="true"):
    return pg.psql(f"SELECT id, outcome, answered_at IS NOT NULL, "
                   f"extract(epoch FROM coalesce(answered_at, ended_at) - offered_at)::int "
                   f"FROM contacts WHERE {where} ORDER BY id")


def aggregates_match_raw(what):
    """Every interval row equals the raw contacts' classification summed (and none is
    missing or extra)."""
    rows = pg.psql("""
        WITH raw AS (
            SELECT tenant_id, queue, interval_start, channel, count(*) AS offered,
                   sum(is_answered) AS answered, sum(is_abandoned) AS abandoned,
                   sum(is_timed_out) AS timed_out, sum(answered_wait_us) AS wait,
                   sum(sl_numerator) AS sl_num, sum(sl_denominator) AS sl_den,
                   sum(handle_ms) AS handle, max(wait_us) AS max_wait
              FROM contact_facts GROUP BY 1, 2, 3, 4)
        SELECT count(*) FROM raw r
          FULL JOIN contact_intervals i USING (tenant_id, queue, interval_start, channel)
         WHERE (r.offered, r.answered, r.abandoned, r.timed_out, r.wait, r.sl_num, r.sl_den,
                r.handle, r.max_wait)
               IS DISTINCT FROM
               (i.offered::bigint, i.answered::bigint, i.abandoned::bigint,
                i.timed_out::bigint, i.answered_wait_us::numeric, i.sl_numerator::bigint,
                i.sl_denominator::bigint, i.handle_ms::numeric, i.max_wait_us)""")
    c.equal(rows[0][0], "0", f"{what}: interval aggregates equal the raw contacts")


# A: in order, in one request each.
body = post([offered("A", ts(9, 0), caller="+441632960001")], "A offered")
c.equal(body, {"accepted": 1, "duplicates": 0}, "A offered: counts")
post([answered("A", ts(9, 0, 20), agent="ag-1")], "A answered")
c.equal(contacts(), [], "not a contact before it ends")
post([ended("A", ts(9, 5), outcome="answered", handle_s=280, first_contact_resolved=True)],
     "A ended")
c.equal(contacts(), [["A", "1", "t", "20"]], "A: one answered contact, wait 20 s")

# B: reversed order, ended without an outcome -> answered (it was answered).
post([ended("B", ts(10, 1))], "B ended first")
post([answered("B", ts(10, 0, 30))], "B answered second")
c.equal(contacts("id = 'B'"), [], "B: no contact without its call.offered")
post([offered("B", ts(10, 0))], "B offered last")
c.equal(contacts("id = 'B'"), [["B", "1", "t", "30"]], "B: answered, wait 30 s")

# C: ends unanswered (abandoned), then a late call.answered re-assembles it.
post([offered("C", ts(11, 0)), ended("C", ts(11, 0, 40))], "C offered+ended")
c.equal(contacts("id = 'C'"), [["C", "2", "f", "40"]], "C: abandoned first, wait 40 s")
k = feb_kpis()
c.equal((k["offered"], k["abandoned"]), (3, 1), "after C ended: 3 offered, 1 abandoned")
post([answered("C", ts(11, 0, 10))], "C answered late")
c.equal(contacts("id = 'C'"), [["C", "1", "t", "10"]], "C: replaced by answered, wait 10 s")
k = feb_kpis()
c.equal((k["offered"], k["answered"], k["abandoned"]), (3, 3, 0),
        "after C's late answer: counted once, now answered")
aggregates_match_raw("after a replacement")

# D: every event of A re-sent: duplicates, nothing changes.
body = post([offered("A", ts(9, 0), caller="+441632960001"), answered("A", ts(9, 0, 20)),
             ended("A", ts(9, 5), outcome="answered")], "A re-sent")
c.equal(body, {"accepted": 0, "duplicates": 3}, "A re-sent: 3 duplicates")
body = post([ended("E", ts(12, 2), outcome="timeout"), ended("E", ts(12, 2), outcome="timeout"),
             offered("E", ts(12, 0))], "E with a repeat inside the body", ndjson=False)
c.equal(body, {"accepted": 2, "duplicates": 1}, "a repeat within one body is a duplicate")

# F: a whole call in one request, with a call record beside it.
post([offered("F", ts(13, 0), channel="phone"), answered("F", ts(13, 0, 5)),
      ended("F", ts(13, 3)),
      dict(id="R", queue="bins", offered_at=ts(14, 0), ended_at=ts(14, 0, 50),
           outcome="abandoned")], "F + a call record")

# An invalid lifecycle event refuses the whole request.
status, body, _ = post_events(URL, token, [offered("X", ts(15, 0)), ended("X", "yesterday")],
                           ndjson=True)
c.equal(status, 422, "a bad event: 422")
c.equal([(d.get("line"), d.get("field")) for d in body["error"]["details"]], [(2, "at")],
        "the bad event is named by line and field")
c.equal(contacts("id = 'X'"), [], "nothing of the refused request stored")
c.equal(pg.psql("SELECT count(*) FROM call_events WHERE call_id = 'X'")[0][0], "0",
        "no event of the refused request stored")

k = feb_kpis()
c.equal((k["offered"], k["answered"], k["abandoned"], k["timed_out"]), (6, 4, 1, 1),
        "February: A, B, C, F answered; R abandoned; E timed out")
c.near(k["asa_s"], (20 + 30 + 10 + 5) / 4, "ASA from the assembled waits")
c.near(k["longest_wait_s"], 120, "longest wait: E's 120 s")
c.near(k["fcr_pct"], 100.0, "FCR from call.ended's first_contact_resolved")

# G, H: calls that never end (today, so the live view sees them too).
now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
iso = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")
g_offered = now - datetime.timedelta(seconds=10)
post([offered("G", iso(g_offered), queue="live-q"),
      offered("H", iso(g_offered), queue="live-q"),
      ended("H", iso(g_offered + datetime.timedelta(seconds=5)), outcome="answered")],
     "G (never ends) and H (ended answered, never a call.answered)")
c.equal(contacts("queue = 'live-q'"), [], "G and H not closed before the maximum has passed "
        "since their latest event (although offered 10 s ago)")
c.check(wait_until(lambda: len(contacts("queue = 'live-q'")) == 2, timeout=30),
        "G and H closed by the maximum within 30 s")
c.equal(contacts("queue = 'live-q'"), [["G", "3", "f", "5"], ["H", "1", "f", "5"]],
        "G: timeout after lifecycle_max_open_s (5 s); H: answered, wait up to its end")
post([ended("G", iso(g_offered + datetime.timedelta(seconds=8)), outcome="abandoned")],
     "G's real end arrives late")
c.equal(contacts("id = 'G'"), [["G", "2", "f", "8"]], "G replaced by its real end")
status, body, _ = get_kpis(URL, token, "queue:live-q", "today")
got = {k: v.get("value") for k, v in body["kpis"].items()}
c.equal((got["offered"], got["answered"], got["abandoned"], got["timed_out"]), (2, 1, 1, 0),
        "today: G and H each counted once")
time.sleep(6)
c.equal(contacts("queue = 'live-q'"), [["G", "2", "f", "8"], ["H", "1", "f", "5"]],
        "later sweeps change nothing")
aggregates_match_raw("at the end")

daemon.stop()
pg.stop()
c.finish()
