"""repeat_fcr_pct against a real ccmetricsd on a real PostgreSQL.

A contact is followed when another contact of the same caller (any queue, channel or
outcome) is offered after it and at most repeat_window_days x 24 h later. Checked: the
later contact arriving before, after or in the same request as the one it follows;
lifecycle-assembled contacts and their late re-assembly; the window's edges; the
figure before and after the finalizer has stored a day's counts, after a late contact
changes a final day, after a queue's window changes and after `ccmetricsd rebuild`;
raw (off-grid) periods, series, channels and services; provisional until the window
has passed; the live view. Every figure is also compared with flags computed here from
the contacts posted.

Daemons with repeat_finalize_interval_s = 0 never finalize, so the figures they serve
come from the raw-contact path alone, or from stored counts that the test itself set:
that shows each path is used where it must be, not only that some path is right."""
import datetime

from harness import (Checks, Daemon, Postgres, SseStream, get_kpis, http, post_events,
                     run_cli, url_with, wait_until, write_config)

c = Checks("repeat")
pg = Postgres()
FINALIZING = write_config("repeat_finalize_interval_s = 1\n")
NOT_FINALIZING = write_config("repeat_finalize_interval_s = 0\n")
daemon = Daemon(database=pg.dsn, extra=["--config", NOT_FINALIZING])
token = daemon.token("rp", "ingest,read,admin")
URL = daemon.url


def restart(config):
    global daemon, URL
    c.equal(daemon.stop(), 0, "daemon exit code")
    daemon = Daemon(database=pg.dsn, extra=["--config", config])
    URL = daemon.url
DAY_US = 86_400_000_000

posted = {}  # id -> (queue, channel, offered instant, outcome, caller)


def t(day, h=10, m=0, s=0, month=3):
    return f"2026-{month:02d}-{day:02d}T{h:02d}:{m:02d}:{s:02d}Z"


def us(text):
    return int(datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1e6)


def call(cid, day, caller, outcome="answered", queue="bins", h=10, m=0, s=0, month=3,
         channel=None):
    offered = t(day, h, m, s, month)
    e = dict(id=cid, queue=queue, offered_at=offered, outcome=outcome)
    if outcome == "answered":
        e["answered_at"] = t(day, h, m + 1, s, month)
    e["ended_at"] = t(day, h, m + 5, s, month)
    if caller:
        e["caller"] = caller
    if channel:
        e["channel"] = channel
    return e


WITHHELD = {"anonymous", "unknown", "unavailable", "restricted", "private", "withheld",
            "blocked"}


def remember(e):
    caller = e.get("caller")
    if caller and caller.lower() in WITHHELD:
        caller = None  # a hidden number is no known caller
    posted[e["id"]] = (e["queue"], e.get("channel", "phone"), us(e["offered_at"]), e["outcome"],
                       caller)


def post(events, what):
    status, body, _ = post_events(URL, token, events)
    c.equal(status, 200, f"{what} ({body})")
    for e in events:
        if e.get("type", "call") == "call":
            remember(e)


WINDOW = {}  # queue -> days (default 7)


def expected(queue=None, lo=None, hi=None, channel=None, service_of=None, service=None):
    """repeat_fcr_pct from the posted contacts (None when no answered caller is known)."""
    by_caller = {}
    for q, ch, at, outcome, caller in posted.values():
        if caller:
            by_caller.setdefault(caller, []).append(at)
    known = followed = 0
    for q, ch, at, outcome, caller in posted.values():
        if outcome != "answered" or not caller:
            continue
        if queue and q != queue or service and service_of.get(q) != service:
            continue
        if channel and ch != channel:
            continue
        if lo is not None and not lo <= at < hi:
            continue
        known += 1
        window = WINDOW.get(q, 7) * DAY_US
        followed += any(at < later <= at + window for later in by_caller[caller])
    return None if known == 0 else 100.0 * (known - followed) / known


def repeat(scope="queue:bins", period="2026-03", **params):
    status, body, _ = get_kpis(URL, token, scope, period, **params)
    c.equal(status, 200, f"kpis {scope} {period} {params}")
    return body["kpis"]["repeat_fcr_pct"] if status == 200 else {}


MARCH = (us("2026-03-01T00:00:00Z"), us("2026-04-01T00:00:00+01:00"))


def check_march(what):
    r = repeat()
    c.near(r.get("value"), expected("bins", *MARCH), f"{what}: bins, March")
    c.equal(r.get("provisional"), False, f"{what}: March 2026 is final")
    c.near(repeat("tenant").get("value"), expected(None, *MARCH), f"{what}: tenant, March")


def settled():
    return pg.psql(
        "SELECT NOT EXISTS (SELECT 1 FROM repeat_dirty)"
        " AND coalesce((SELECT min(final_through) FROM repeat_state) >= '2026-04-05', false)"
    )[0][0] == "t"


def settle(what):
    """Waits until the finalizer has taken every mark and made March final."""
    ok = wait_until(settled, 60)
    c.check(ok, f"{what}: the finalizer has made March final and taken every mark")


# X: answered day 2, rings again day 6 (other queue, abandoned): followed. The later contact
# is stored FIRST, the earlier one after (out of order).
post([call("X2", 6, "+441632960010", outcome="abandoned", queue="housing")], "X2 first")
post([call("X1", 2, "+441632960010")], "X1 after")
# Y: answered day 3, never again: not followed.
post([call("Y1", 3, "+441632960011")], "Y1")
# Z: answered day 4, again 8 days later: outside the window.
post([call("Z1", 4, "+441632960012"), call("Z2", 12, "+441632960012", outcome="abandoned")],
     "Z1 and Z2")
# V: two answered calls in one request, 1 h apart: the first is followed.
post([call("V2", 7, "+441632960013", h=11), call("V1", 7, "+441632960013", h=10)],
     "V1 and V2 in one request")
# W: answered, no caller: not counted at all.
post([call("W1", 8, None)], "W1")
# S: again exactly 7 x 24 h later (followed); R: 7 x 24 h + 1 s later (not followed).
post([call("S1", 16, "+441632960017"), call("S2", 23, "+441632960017", outcome="refused"),
      call("R1", 17, "+441632960018"), call("R2", 24, "+441632960018", s=1)], "S and R")
# Q: 168 h later across the clock change of 29 March (BST starts): followed.
post([call("Q1", 25, "+441632960019"), call("Q2", 1, "+441632960019", month=4)], "Q")
# P: two contacts at the same instant: neither is "further" than the other.
post([call("P1", 20, "+441632960020"), call("P2", 20, "+441632960020", queue="housing")], "P")
# A: withheld numbers are no known caller, so neither counts (nor follows the other).
post([call("A1", 21, "anonymous"), call("A2", 22, "Anonymous", h=9)], "withheld callers")
# K: webchat, answered, followed by a phone call: counts under its channel.
post([call("K1", 18, "+441632960021", channel="webchat"), call("K2", 19, "+441632960021")], "K")
# U: lifecycle events; answered day 9, a call record of U on day 10 follows it.
post([{"type": "call.offered", "id": "U1", "queue": "bins", "at": t(9),
       "caller": "+441632960014"},
      {"type": "call.answered", "id": "U1", "at": t(9, 10, 1)},
      {"type": "call.ended", "id": "U1", "at": t(9, 10, 6)}], "U1 lifecycle")
posted["U1"] = ("bins", "phone", us(t(9)), "answered", "+441632960014")
post([call("U2", 10, "+441632960014", outcome="abandoned")], "U2")
# T: a lifecycle call first ends unanswered; a contact of T 2 days later; then the late
# call.answered makes the first call answered: it counts, followed.
post([{"type": "call.offered", "id": "T1", "queue": "bins", "at": t(13),
       "caller": "+441632960015"},
      {"type": "call.ended", "id": "T1", "at": t(13, 10, 6)}], "T1 offered+ended")
posted["T1"] = ("bins", "phone", us(t(13)), "abandoned", "+441632960015")
post([call("T2", 15, "+441632960015", outcome="abandoned", queue="housing")], "T2")
post([{"type": "call.answered", "id": "T1", "at": t(13, 10, 1)}], "T1 answered late")
posted["T1"] = ("bins", "phone", us(t(13)), "answered", "+441632960015")

# By hand: answered with a caller in bins: X1 f, Y1, Z1, V1 f, V2, S1 f, R1, R2, Q1 f, P1,
# K1 f, K2, U1 f, T1 f -> 14 known, 7 followed.
c.near(expected("bins", *MARCH), 100.0 * 7 / 14, "the test's own flags agree with the hand count")
check_march("from raw contacts (nothing finalized)")
c.equal(pg.psql("SELECT count(*) FROM repeat_state"), [["0"]], "nothing was finalized yet")
restart(FINALIZING)
settle("first pass")
check_march("after the finalizer")
c.equal(pg.psql("SELECT sum(repeat_known), sum(repeat_followed) FROM contact_intervals"
                " WHERE queue = 'bins' AND local_date < '2026-04-01'"), [["14", "7"]],
        "stored counts of March in bins")

# Series and off-grid (raw) periods, channels.
status, body, _ = http("GET", url_with(URL, "/v1/kpis/series", scope="queue:bins", **{
    "from": "2026-03-01", "to": "2026-03-08", "interval": "day"}), token)
c.equal(status, 200, "daily series")
days = {e["period"]["key"]: e["kpis"]["repeat_fcr_pct"]["value"] for e in body["series"]}
for day in (2, 3, 7):
    lo = us(f"2026-03-{day:02d}T00:00:00Z")
    c.near(days.get(f"2026-03-{day:02d}"), expected("bins", lo, lo + DAY_US), f"day {day}")
lo, hi = us("2026-03-02T10:00:00Z"), us("2026-03-17T10:00:00Z") + 500_000
status, body, _ = get_kpis(URL, token, "queue:bins", None, **{
    "from": "2026-03-02T10:00:00Z", "to": "2026-03-17T10:00:00.5Z"})
c.equal(status, 200, "off-grid period")
c.near(body["kpis"]["repeat_fcr_pct"]["value"], expected("bins", lo, hi), "off-grid period (raw)")
c.near(repeat(channel="webchat").get("value"), expected("bins", *MARCH, channel="webchat"),
       "webchat only")

# A late contact of Y (day 5) follows Y1 on a final day: right at once, and after redoing.
post([call("Y2", 5, "+441632960011", outcome="abandoned", queue="housing")], "Y2, late")
check_march("straight after a late contact")
settle("after the late contact")
check_march("after the late contact is finalized")
c.equal(pg.psql("SELECT sum(repeat_followed) FROM contact_intervals"
                " WHERE queue = 'bins' AND local_date < '2026-04-01'"), [["8"]],
        "stored followed count after the late contact")

# A shorter window for bins (3 days): X1 (4 days) is no longer followed.
status, body, _ = http("PUT", URL + "/v1/queues/bins", token, {"repeat_window_days": 3})
c.equal(status, 200, f"PUT repeat_window_days ({body})")
WINDOW["bins"] = 3
check_march("straight after the window change")
settle("after the window change")
check_march("after the window change is finalized")
status, body, _ = http("GET", URL + "/v1/queues/bins", token)
c.equal(body["versions"][0].get("repeat_window_days") if status == 200 else None, 3,
        "GET /v1/queues shows the window")
status, body, _ = http("PUT", URL + "/v1/queues/bins", token, {"repeat_window_days": 0})
c.equal(status, 422, "a window of 0 days is refused")

# A service: both queues.
http("PUT", URL + "/v1/queues/bins", token, {"service": "street", "repeat_window_days": 3})
http("PUT", URL + "/v1/queues/housing", token, {"service": "street"})
settle("after the services")
c.near(repeat("service:street").get("value"),
       expected(None, *MARCH, service_of={"bins": "street", "housing": "street"},
                service="street"), "service street, March")

# This month: provisional, and exact so far.
now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
hour_ago = now - datetime.timedelta(hours=1)
fmt = "%Y-%m-%dT%H:%M:%SZ"
n1 = dict(id="N1", queue="bins", offered_at=hour_ago.strftime(fmt), outcome="answered",
          answered_at=hour_ago.strftime(fmt), ended_at=hour_ago.strftime(fmt),
          caller="+441632960016")
post([n1], "N1 an hour ago")
r = repeat(period="today")
c.equal((r.get("value"), r.get("provisional")), (100.0, True), "today: 100 % so far, provisional")
post([dict(n1, id="N2", offered_at=now.strftime(fmt), answered_at=now.strftime(fmt),
           ended_at=now.strftime(fmt))], "N2 now, the same caller")
r = repeat(period="today")
c.equal((r.get("value"), r.get("provisional")), (50.0, True), "today: N1 followed at once")
status, body, _ = http("GET", url_with(URL, "/v1/live", scope="queue:bins"), token)
r = body["today"]["kpis"]["repeat_fcr_pct"] if status == 200 else {}
c.equal((r.get("value"), r.get("provisional")), (50.0, True), "live view: today's figure")
stream = SseStream(daemon.port, "queue:bins", token)
snap = stream.next_snapshot()
r = snap["today"]["kpis"]["repeat_fcr_pct"] if snap else {}
c.equal((r.get("value"), r.get("provisional")), (50.0, True), "live stream: today's figure")
stream.close()

# Stored counts are what a final day is read from, unless a mark says they are stale.
restart(NOT_FINALIZING)
# While marks keep coming (a backfill), the finalizer leaves the days to the raw path,
# but not for longer than its maximum wait.
pg.psql("INSERT INTO repeat_dirty (tenant_id, touched_date) SELECT id, '2026-03-20' FROM tenants")
pg.psql("SELECT ccm_repeat_finalize(id, 7, '1 hour', '1 hour') FROM tenants")
c.equal(pg.psql("SELECT count(*) FROM repeat_dirty"), [["1"]],
        "a fresh mark (a backfill in progress): the finalizer waits")
pg.psql("SELECT ccm_repeat_finalize(id, 7, '1 hour', '0') FROM tenants")
c.equal(pg.psql("SELECT count(*) FROM repeat_dirty"), [["0"]],
        "... but not longer than its maximum wait")
for _ in range(100):
    if pg.psql("SELECT bool_or(f.more) FROM tenants t,"
               " ccm_repeat_finalize(t.id, 31, '0', '0') f")[0][0] == "f":
        break
c.check(settled(), "finalized again")
pg.psql("UPDATE contact_intervals SET repeat_followed = repeat_known"
        " WHERE local_date < '2026-04-01'")
c.equal(repeat().get("value"), 0.0, "final days are read from their stored counts")
# A change on 20 March can change flags from 12 March (7 days + 1 for the clock) on.
pg.psql("INSERT INTO repeat_dirty SELECT id, '2026-03-20' FROM tenants")
c.equal(repeat(period=None, **{"from": "2026-03-01", "to": "2026-03-12"}).get("value"), 0.0,
        "days before a mark's reach keep their stored counts")
lo, hi = us("2026-03-12T00:00:00Z"), MARCH[1]
c.near(repeat(period=None, **{"from": "2026-03-12", "to": "2026-04-01"}).get("value"),
       expected("bins", lo, hi), "days in a mark's reach are read from raw contacts")
pg.psql("INSERT INTO repeat_dirty SELECT id, '2026-03-10' FROM tenants")
check_march("a mark sends its days to the raw contacts")
restart(FINALIZING)
settle("after the stale mark")
c.equal(pg.psql("SELECT sum(repeat_known) - sum(repeat_followed) FROM contact_intervals"
                " WHERE queue = 'bins' AND local_date < '2026-04-01'")[0][0] != "0", True,
        "the finalizer redid the stored counts")
check_march("after the stale mark is finalized")

# A rebuild from raw contacts gives the same figures.
out = run_cli(["rebuild", "--database", pg.dsn, "--data-dir", daemon.data_dir])
c.equal(out.returncode, 0, f"ccmetricsd rebuild ({out.stderr[-300:]})")
check_march("straight after rebuild")
settle("after rebuild")
check_march("after rebuild is finalized")

c.equal(daemon.stop(), 0, "daemon exit code")
pg.stop()
c.finish()
