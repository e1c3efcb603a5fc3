"""Members' enquiries (issue 8 point 5) against a real ccmetricsd and PostgreSQL.
Every expected figure is computed here, independently: due dates by counting
working days with Python's calendar (weekends and the bank holidays loaded for
the tenant), local dates with zoneinfo, in time = the local date of the closing
(or of the delay notice) on or before the due date. Covers Easter, Christmas and
New Year with substitute days, Scotland's 2 January, month ends, clock changes,
the last second of a due date, re-posting in every order, ageing at every bucket
boundary and at a clock change, targets with status, the FY table (JSON, CSV) and
bad input (nothing stored)."""
import csv
import html.parser
import datetime
import io
import itertools
import json
import random
from zoneinfo import ZoneInfo

from harness import Checks, Daemon, Postgres, fetch, http, shown_places, url_with

c = Checks("enquiries")
pg = Postgres()
daemon = Daemon(database=pg.dsn)
URL = daemon.url
token = daemon.token("council", "ingest,read,admin")
reader = daemon.token("council", "read")
scot = daemon.token("highland", "ingest,read,admin")
LONDON = ZoneInfo("Europe/London")
UTC = datetime.timezone.utc
D = datetime.date

ENGLAND = [D(2026, 4, 3), D(2026, 4, 6), D(2026, 5, 4), D(2026, 5, 25), D(2026, 8, 31),
           D(2026, 12, 25), D(2026, 12, 28), D(2027, 1, 1), D(2027, 3, 26), D(2027, 3, 29),
           D(2027, 5, 3)]
SCOTLAND = [D(2026, 4, 3), D(2026, 5, 4), D(2026, 5, 25), D(2026, 8, 3), D(2026, 11, 30),
            D(2026, 12, 25), D(2026, 12, 28), D(2027, 1, 1), D(2027, 1, 4), D(2027, 3, 26)]


def local(y, mo, d, h=12, mi=0, s=0):
    return datetime.datetime(y, mo, d, h, mi, s, tzinfo=LONDON)


def due_date(opened, holidays, n=5):
    day = opened.astimezone(LONDON).date()
    found = 0
    while found < n:
        day += datetime.timedelta(days=1)
        if day.weekday() < 5 and day not in holidays:
            found += 1
    return day


def judge(e, holidays, n=5):
    """(due date, 'closed' | 'delay' | None)."""
    opened = datetime.datetime.fromisoformat(e["opened_at"])
    due = due_date(opened, holidays, n)
    def in_time(key):
        return e.get(key) and datetime.datetime.fromisoformat(e[key]).astimezone(LONDON).date() <= due
    return due, "closed" if in_time("closed_at") else "delay" if in_time("delay_advised_at") else None


def figures(rows):
    due = len(rows)
    closed = sum(1 for r in rows if r == "closed")
    delay = sum(1 for r in rows if r == "delay")
    pct = (lambda x: 100.0 * x / due) if due else (lambda x: None)
    return {"items_due": due, "closed_in_time": closed, "delay_advised": delay,
            "responded_in_time": closed + delay, "closed_in_time_pct": pct(closed),
            "delay_advised_pct": pct(delay), "responded_in_time_pct": pct(closed + delay)}


def post(tok, body, ndjson=False):
    if ndjson:
        data = "".join(json.dumps(e) + "\n" for e in body).encode()
        return http("POST", URL + "/v1/enquiries", tok, data, ctype="application/x-ndjson")
    return http("POST", URL + "/v1/enquiries", tok, body)


def stored_count(tenant="council"):
    return int(pg.psql("SELECT count(*) FROM enquiries e JOIN tenants t ON t.id = e.tenant_id"
                       f" WHERE t.name = '{tenant}'")[0][0])


# ---- the calendar ----
status, body, _ = http("PUT", URL + "/v1/calendar/holidays", token,
                       {"dates": [d.isoformat() for d in reversed(ENGLAND)]})
c.equal((status, body["added"]), (200, len(ENGLAND)), "holidays added")
c.equal(body["dates"], [d.isoformat() for d in ENGLAND], "holidays listed in order")
status, body, _ = http("PUT", URL + "/v1/calendar/holidays", token,
                       {"dates": ["2026-12-25", "2026-12-25", "2027-09-01"]})
c.equal((status, body["added"]), (200, 1), "adding again is idempotent")
status, body, _ = http("DELETE", URL + "/v1/calendar/holidays", token, {"dates": ["2027-09-01"]})
c.equal((status, body["removed"], len(body["dates"])), (200, 1, len(ENGLAND)), "holiday removed")
status, body, _ = http("GET", URL + "/v1/calendar/holidays", reader)
c.equal((status, body), (200, {"dates": [d.isoformat() for d in ENGLAND]}), "GET holidays")
c.equal(http("PUT", URL + "/v1/calendar/holidays", reader, {"dates": ["2026-01-01"]})[0], 403,
        "a read token cannot load holidays")
for bad in ({"dates": []}, {"dates": ["2026-02-30"]}, {"dates": "2026-12-25"}, {"days": ["2026-12-25"]},
            {"dates": ["2026-12-25"], "x": 1}):
    status, body, _ = http("PUT", URL + "/v1/calendar/holidays", token, bad)
    c.equal(status, 422, f"bad holidays {bad}")
c.equal(http("PUT", URL + "/v1/calendar/holidays", token, b"not json")[0], 400, "holidays: not JSON")
c.equal(len(http("GET", URL + "/v1/calendar/holidays", token)[1]["dates"]), len(ENGLAND),
        "bad holiday requests stored nothing")
c.equal(http("PUT", URL + "/v1/calendar/holidays", scot, {"dates": [d.isoformat() for d in SCOTLAND]})[0],
        200, "Scottish holidays")

# ---- enquiries: edge cases, then a random year ----
enquiries = []


def add(id, unit, opened, delay=None, closed=None):
    e = {"id": id, "unit": unit, "opened_at": opened.isoformat()}
    if delay is not None:
        e["delay_advised_at"] = delay.isoformat()
    if closed is not None:
        e["closed_at"] = closed.isoformat()
    enquiries.append(e)
    return e


# Thursday before Easter: due Monday 13 April; the last second of it is in time.
add("easter-in", "Revenues", local(2026, 4, 2, 10), closed=local(2026, 4, 13, 23, 59, 59))
add("easter-late", "Revenues", local(2026, 4, 2, 10), closed=local(2026, 4, 14, 0, 0, 0))
add("easter-delay", "Revenues", local(2026, 4, 2, 10), delay=local(2026, 4, 13, 23, 59, 59),
    closed=local(2026, 4, 20, 9))
add("easter-delay-late", "Revenues", local(2026, 4, 2, 10), delay=local(2026, 4, 14, 0, 0, 0))
# Christmas and New Year: due 4 January (England) - closed then.
add("xmas", "Housing", local(2026, 12, 23, 15), closed=local(2027, 1, 4, 16))
add("xmas-late", "Housing", local(2026, 12, 23, 15), closed=local(2027, 1, 5, 9))
# Month end: Wednesday 28 October is due Wednesday 4 November (a November item).
add("month-end", "Street Scene", local(2026, 10, 28, 11), closed=local(2026, 11, 4, 17))
add("month-end-2", "Street Scene", local(2026, 9, 24, 11), closed=local(2026, 10, 1, 8))
# Clock changes: 00:30 local on the last Sundays of October 2026 and March 2027, and
# 00:30 BST on a Monday (Sunday 23:30 UTC: the local Monday counts).
add("clock-oct", "Street Scene", local(2026, 10, 25, 0, 30), closed=local(2026, 11, 2, 0, 10))
add("clock-mar", "Street Scene", local(2027, 3, 28, 0, 30), closed=local(2027, 4, 5, 23, 59, 59))
add("monday-0030", "Street Scene", datetime.datetime(2026, 10, 18, 23, 30, tzinfo=UTC),
    closed=local(2026, 10, 26, 9))
add("monday-0030-gmt", "Street Scene", datetime.datetime(2026, 10, 26, 0, 30, tzinfo=UTC),
    closed=datetime.datetime(2026, 11, 2, 23, 59, 59, tzinfo=UTC))
# A due date's end in UTC during BST: 22:59:59Z in time, 23:00:00Z late.
add("bst-end-in", "Revenues", local(2026, 6, 1, 9), closed=datetime.datetime(2026, 6, 8, 22, 59, 59, tzinfo=UTC))
add("bst-end-late", "Revenues", local(2026, 6, 1, 9), closed=datetime.datetime(2026, 6, 8, 23, 0, 0, tzinfo=UTC))

rng = random.Random(8)
units = ["Street Scene", "Revenues", "Housing", "Planning & Building Control", "Élus"]
start = local(2026, 2, 20, 0).timestamp()
end = local(2027, 4, 10, 0).timestamp()
for i in range(500):
    opened = datetime.datetime.fromtimestamp(rng.uniform(start, end), tz=LONDON).replace(microsecond=0)
    kind = rng.random()
    delay = closed = None
    if kind < 0.6:
        closed = opened + datetime.timedelta(seconds=rng.randint(60, 14 * 86400))
    if 0.45 < kind < 0.85:
        delay = opened + datetime.timedelta(seconds=rng.randint(0, 10 * 86400))
    add(f"r{i}", rng.choice(units), opened, delay, closed)

before = stored_count()
status, body, _ = post(token, enquiries[:300])
c.equal((status, body), (200, {"accepted": 300, "created": 300, "updated": 0, "unchanged": 0}),
        "an array of 300")
status, body, _ = post(token, enquiries[300:], ndjson=True)
c.equal((status, body["accepted"], body["created"]), (200, len(enquiries) - 300, len(enquiries) - 300),
        "the rest as NDJSON")
status, body, _ = post(token, enquiries[5])
c.equal((status, body), (200, {"accepted": 1, "created": 0, "updated": 0, "unchanged": 1}),
        "one object re-sent: unchanged")
c.equal(stored_count() - before, len(enquiries), "every enquiry stored once")

# ---- re-posting in every order ends in the same state ----
o, dl, cl = local(2026, 7, 1, 9), local(2026, 7, 3, 9), local(2026, 7, 14, 9)
progressive = [{"unit": "Housing", "opened_at": o.isoformat()},
               {"unit": "Housing", "opened_at": o.isoformat(), "delay_advised_at": dl.isoformat()},
               {"unit": "Housing", "opened_at": o.isoformat(), "delay_advised_at": dl.isoformat(),
                "closed_at": cl.isoformat()}]
partial = progressive[:2] + [{"unit": "Revenues", "opened_at": o.isoformat(), "closed_at": cl.isoformat()}]
n_orders = 0
for variant, states in (("p", progressive), ("q", partial)):
    for k, order in enumerate(itertools.permutations(range(3))):
        id = f"perm-{variant}{k}"
        for step, s in enumerate(order):
            item = dict(states[s], id=id)
            status, body, _ = post(token, [item] if step % 2 else item, ndjson=step % 2 == 1)
            c.equal(status, 200, f"{id} post {s}")
        n_orders += 1
        # The same id three times in one request, in this order, too.
        status, body, _ = post(token, [dict(states[s], id=id + "-one") for s in order])
        c.equal((status, body["accepted"]), (200, 3), f"{id} in one request")
rows = pg.psql("SELECT id, unit, opened_at = '%s', delay_advised_at = '%s', closed_at = '%s'"
               " FROM enquiries WHERE id LIKE 'perm-%%' ORDER BY id" % (o.isoformat(), dl.isoformat(), cl.isoformat()))
c.equal(len(rows), 24, "permutation enquiries stored")
for row in rows:
    want_unit = "Housing" if row[0].startswith("perm-p") else "Revenues"
    c.equal(row[1:], [want_unit, "t", "t", "t"], f"{row[0]}: the closed state with its delay")
# The final states join the expected figures (due 8 July, closed 14 July, delay in time).
for row in rows:
    enquiries.append({"id": row[0], "unit": row[1], "opened_at": o.isoformat(),
                      "delay_advised_at": dl.isoformat(), "closed_at": cl.isoformat()})
# A correction of equal rank replaces; an older state never overwrites.
add_fix = {"id": "easter-late", "unit": "Revenues", "opened_at": local(2026, 4, 2, 10).isoformat()}
status, body, _ = post(token, add_fix)
c.equal((status, body["unchanged"]), (200, 1), "an older state after closed changes nothing")

# ---- bad input: 400/413/422 with details, nothing stored ----
count_before = stored_count()
status, body, _ = post(token, [{"id": "ok-1", "unit": "Housing", "opened_at": "2026-10-01T09:00:00+01:00"},
                               {"id": "", "unit": "Housing", "opened_at": "2026-10-01T09:00:00+01:00"},
                               {"id": "b2", "unit": "Housing", "opened_at": "2026-10-01T09:00:00",
                                "closed_at": "2026-10-02T09:00:00Z"},
                               {"id": "b3", "unit": "Housing", "opened_at": "2026-10-01T09:00:00Z",
                                "closed_at": "2026-10-01T08:00:00Z"},
                               {"id": "b4", "opened_at": "2026-10-01T09:00:00Z",
                                "delay_advised_at": "2026-09-30T09:00:00Z"},
                               "x"])
c.equal(status, 422, "invalid items")
c.equal(body["error"]["code"], "invalid_enquiries", "error code")
c.equal([(d.get("index"), d["field"]) for d in body["error"]["details"]],
        [(1, "id"), (2, "opened_at"), (3, "closed_at"), (4, "unit"), (5, "")], "details: index and field")
c.check("delay_advised_at" in body["error"]["details"][3]["message"], "the other bad field named")
status, body, _ = http("POST", URL + "/v1/enquiries", token,
                       b'{"id":"n1","unit":"Housing","opened_at":"2026-10-01T09:00:00Z"}\n\n'
                       b'{"id":"n2","unit":"Housing","opened_at":"yesterday"}\n',
                       ctype="application/x-ndjson")
c.equal((status, [(d.get("line"), d["field"]) for d in body["error"]["details"]]), (422, [(3, "opened_at")]),
        "NDJSON: the line")
for bad in (b"", b"nonsense", b"[]", b"[1,", b'{"id":"a","id":"b"}'):
    status, body, _ = http("POST", URL + "/v1/enquiries", token, bad)
    c.equal((status, body["error"]["code"]), (400, "bad_body"), f"bad body {bad!r}")
many = b"".join(b'{"id":"m%d","unit":"Housing","opened_at":"2026-10-01T09:00:00Z"}\n' % i for i in range(20001))
status, body, _ = http("POST", URL + "/v1/enquiries", token, many, ctype="application/x-ndjson")
c.equal((status, body["error"]["code"]), (413, "too_many_items"), "20,001 enquiries")
c.equal(http("POST", URL + "/v1/enquiries", reader, enquiries[0])[0], 403, "a read token cannot post")
c.equal(stored_count(), count_before, "nothing stored by a bad request")

# ---- targets (the targets table; '' channel = every channel) ----
pg.psql("INSERT INTO targets (tenant_id, scope, kpi, effective_from, value, amber) SELECT id, 'tenant',"
        " 'responded_in_time_pct', '-infinity', 95, 5 FROM tenants WHERE name = 'council'")
pg.psql("INSERT INTO targets (tenant_id, scope, kpi, effective_from, value, amber) SELECT id, 'tenant',"
        " 'responded_in_time_pct', '2026-10-01', 70, NULL FROM tenants WHERE name = 'council'")
pg.psql("INSERT INTO targets (tenant_id, scope, kpi, effective_from, value, amber) SELECT id, 'unit:Revenues',"
        " 'closed_in_time_pct', '2026-07-01', 50, 10 FROM tenants WHERE name = 'council'")
TARGETS = {("tenant", "responded_in_time_pct"): [(D(1, 1, 1), 95.0, 5.0), (D(2026, 10, 1), 70.0, None)],
           ("unit:Revenues", "closed_in_time_pct"): [(D(2026, 7, 1), 50.0, 10.0)]}


def target_for(scope, kpi, first_day):
    best = None
    for since, value, amber in TARGETS.get((scope, kpi), []):
        if since <= first_day:
            best = (value, amber)
    return best


def status_of(value, target):
    if target is None or value is None:
        return "none"
    shortfall = target[0] - value
    if shortfall <= 0:
        return "green"
    return "amber" if target[1] is not None and shortfall <= target[1] else "red"


holidays = set(ENGLAND)
judged = [(e["unit"],) + judge(e, holidays) for e in enquiries]


def expected(scope, first, end):
    rows = [r for u, due, r in judged if first <= due < end and (scope == "tenant" or scope == "unit:" + u)]
    return figures(rows)


def check_kpis(got, want, scope, first_day, what):
    for key, value in want.items():
        if key.endswith("_pct"):
            c.near(got[key]["value"], value, f"{what} {key}")
        else:
            c.equal(got[key]["value"], value, f"{what} {key}")
    for key in ("closed_in_time_pct", "responded_in_time_pct"):
        target = target_for(scope, key, first_day)
        c.equal(got[key]["target"], target[0] if target else None, f"{what} {key} target")
        c.equal(got[key]["status"], status_of(want[key], target), f"{what} {key} status")
    c.check("target" not in got["delay_advised_pct"] and "target" not in got["items_due"],
            f"{what}: no target on counts and delay_advised_pct")


months = [(2026 + (m + 3) // 12, (m + 3) % 12 + 1) for m in range(12)]
scopes = ["tenant"] + ["unit:" + u for u in units]
statuses_seen = set()
for scope in scopes:
    for y, m in months:
        first, end = D(y, m, 1), D(y + m // 12, m % 12 + 1, 1)
        status, body, _ = http("GET", url_with(URL, "/v1/enquiries/kpis", scope=scope, period=f"{y}-{m:02d}"), reader)
        if not c.equal(status, 200, f"kpis {scope} {y}-{m:02d}"):
            continue
        c.equal((body["scope"], body["period"]["key"], body["due_working_days"]), (scope, f"{y}-{m:02d}", 5),
                "answer head")
        want = expected(scope, first, end)
        check_kpis(body["kpis"], want, scope, first, f"{scope} {y}-{m:02d}")
        statuses_seen.add(body["kpis"]["responded_in_time_pct"]["status"])
        statuses_seen.add(body["kpis"]["closed_in_time_pct"]["status"])
    status, body, _ = http("GET", url_with(URL, "/v1/enquiries/kpis", scope=scope, period="fy-2026"), reader)
    check_kpis(body["kpis"], expected(scope, D(2026, 4, 1), D(2027, 4, 1)), scope, D(2026, 4, 1), f"{scope} fy-2026")
c.check({"green", "red"} <= statuses_seen, f"statuses seen: {statuses_seen}")
# The edge cases land where their due dates say.
april = expected("unit:Revenues", D(2026, 4, 1), D(2026, 5, 1))
c.check(april["items_due"] >= 4, "the Easter enquiries are due in April (the fixture)")
c.equal(http("GET", url_with(URL, "/v1/enquiries/kpis", scope="unit:Revenues", period="2026-04"),
             reader)[1]["kpis"]["items_due"]["value"], april["items_due"], "and the daemon counts them there")
c.equal(judge(enquiries[0], holidays)[0], D(2026, 4, 13), "Easter due date (Python)")
for bad in ({"scope": "queue:bins", "period": "2026-10"}, {"scope": "unit:", "period": "2026-10"},
            {"scope": "tenant", "period": "2026-13"}, {"scope": "tenant"}):
    c.equal(http("GET", url_with(URL, "/v1/enquiries/kpis", **bad), reader)[0], 400, f"bad query {bad}")

# ---- the FY table: JSON and CSV ----
status, table, _ = http("GET", url_with(URL, "/v1/exports/enquiries", fy="2026", format="json"), reader)
c.equal(status, 200, "table")
c.equal([col["key"] for col in table["columns"]],
        [f"{y}-{m:02d}" for y, m in months] + ["Q1", "Q2", "Q3", "Q4", "year"], "table columns")
c.equal([r["scope"] for r in table["rows"]], ["tenant"] + sorted("unit:" + u for u in units),
        "table rows: overall, then units in order")
col_ranges = [(D(y, m, 1), D(y + m // 12, m % 12 + 1, 1)) for y, m in months]
col_ranges += [(col_ranges[3 * q][0], col_ranges[3 * q + 2][1]) for q in range(4)]
col_ranges += [(D(2026, 4, 1), D(2027, 4, 1))]
for row in table["rows"]:
    for (first, end), cell in zip(col_ranges, row["columns"]):
        check_kpis(cell, expected(row["scope"], first, end), row["scope"], first, f"table {row['scope']} {first}")
status, headers, text = fetch(url_with(URL, "/v1/exports/enquiries", fy="2026", format="csv"), reader)
text = text.decode()
c.equal(status, 200, "CSV")
lines = list(csv.reader(io.StringIO(text)))
c.equal(lines[0][:4] + lines[0][-2:], ["Scope", "Measure", "Row", "2026-04", "Q4", "Year"], "CSV header")
csv_cells = {(r[0], r[1], r[2]): r[3:] for r in lines[1:]}
for scope in scopes:
    want = expected(scope, D(2026, 4, 1), D(2027, 4, 1))
    c.equal(csv_cells[(scope, "Items due", "Actual")][-1], str(want["items_due"]), f"CSV {scope} items due")
    pct = want["responded_in_time_pct"]
    c.equal(csv_cells[(scope, "Responded in time %", "Actual")][-1],
            "" if pct is None else shown_places(pct, 1), f"CSV {scope} responded %")
c.equal(csv_cells[("tenant", "Responded in time %", "Target")][:7], ["95.0"] * 6 + ["70.0"], "CSV targets by month")
c.check(headers.get("Content-Type", "").startswith("text/csv"), "CSV content type")
# Status rows in words, as the monthly export writes them, for every column of the table
WORDS = {"green": "On target", "amber": "Near target", "red": "Off target", "none": ""}
for row in table["rows"]:
    for key, label in (("closed_in_time_pct", "Closed in time %"), ("responded_in_time_pct", "Responded in time %")):
        c.equal(csv_cells[(row["scope"], label, "Status")], [WORDS[cell[key]["status"]] for cell in row["columns"]],
                f"CSV {row['scope']} {label} status in words")
# the printable HTML: every unit's table, each Actual cell the CSV's figure (plus its
# status symbol), each Target cell the CSV's target
status, headers, page = fetch(url_with(URL, "/v1/exports/enquiries", fy="2026", format="html"), reader)
page = page.decode()
c.equal((status, headers.get("Content-Type", "")[:9]), (200, "text/html"), "printable HTML")
c.check("<script" not in page and "A4 landscape" in page, "HTML: printable, no script")


class TableRows(html.parser.HTMLParser):
    """(heading, kpi label, Actual|Target) -> the cells' texts."""
    def __init__(self):
        super().__init__()
        self.rows, self.heading, self.row, self.cell, self.in_h2 = {}, None, None, None, False

    def handle_starttag(self, tag, attrs):
        if tag == "h2":
            self.in_h2, self.heading = True, ""
        elif tag == "tr" and dict(attrs).get("data-kpi"):
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell = ""

    def handle_data(self, data):
        if self.in_h2:
            self.heading += data
        elif self.cell is not None:
            self.cell += data

    def handle_endtag(self, tag):
        if tag == "h2":
            self.in_h2 = False
        elif tag in ("td", "th") and self.cell is not None:
            self.row.append(self.cell)
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.rows[(self.heading, self.row[0], self.row[1])] = self.row[2:]
            self.row = None


parsed = TableRows()
parsed.feed(page)
symbols = " \u2713\u25b2\u2717"
for (scope, label, kind), cells in csv_cells.items():
    if kind == "Status":
        continue
    heading = "Every delivery unit" if scope == "tenant" else scope[5:]
    shown = parsed.rows.get((heading, label, kind))
    c.equal(None if shown is None else [s.rstrip(symbols) for s in shown], cells, f"HTML {heading} {label} {kind}")
c.equal(http("GET", url_with(URL, "/v1/exports/enquiries", fy="26"), reader)[0], 400, "bad fy")
c.equal(http("GET", url_with(URL, "/v1/exports/enquiries", fy="2026", format="pdf"), reader)[0], 400, "bad format")

# ---- ageing ----
AT = datetime.datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
for days in (0, 9, 10, 19, 20, 29, 30, 39, 40, 41):
    opened_day = (AT.astimezone(LONDON) - datetime.timedelta(days=days)).date()
    # 23:59:59 local: 10 calendar days back is only 9.5 days of elapsed time.
    late = (23, 59, 59) if days else (0, 0, 0)
    add(f"age-{days}", "Ageing", local(opened_day.year, opened_day.month, opened_day.day, *late))
add("age-closed-at", "Ageing", local(2026, 10, 1), closed=AT)
add("age-closed-after", "Ageing", local(2026, 10, 1), closed=AT + datetime.timedelta(seconds=1))
add("age-opened-after", "Ageing", AT + datetime.timedelta(seconds=1))
c.equal(post(token, enquiries[-13:])[0], 200, "ageing enquiries")


def bucket(days):
    return "lt10" if days < 10 else "d10_19" if days < 20 else "d20_29" if days < 30 else \
        "d30_39" if days < 40 else "d40_plus"


def ageing_expected(at):
    out = {}
    for e in enquiries:
        opened = datetime.datetime.fromisoformat(e["opened_at"])
        closed = datetime.datetime.fromisoformat(e["closed_at"]) if e.get("closed_at") else None
        if opened > at or (closed is not None and closed <= at):
            continue
        days = (at.astimezone(LONDON).date() - opened.astimezone(LONDON).date()).days
        for key in (e["unit"], None):
            b = out.setdefault(key, dict.fromkeys(["lt10", "d10_19", "d20_29", "d30_39", "d40_plus",
                                                   "over_10", "total"], 0))
            b[bucket(days)] += 1
            b["over_10"] += days >= 10
            b["total"] += 1
    return out


# At a clock change: 00:30 BST on 25 October is the 24th in UTC; 23:30Z the 25th is
# 23:30 GMT (local 25th), one hour after 00:30 BST the 26th would have been.
for at in (AT, datetime.datetime(2026, 10, 24, 23, 30, tzinfo=UTC),
           datetime.datetime(2026, 10, 25, 23, 30, tzinfo=UTC), datetime.datetime(2027, 3, 28, 0, 30, tzinfo=UTC),
           datetime.datetime(2026, 6, 30, 23, 0, tzinfo=UTC)):
    status, body, _ = http("GET", url_with(URL, "/v1/enquiries/ageing", at=at.isoformat()), reader)
    want = ageing_expected(at)
    c.equal(status, 200, f"ageing at {at}")
    c.equal(body["total"], want.get(None), f"ageing total at {at}")
    c.equal(body["units"], {k: v for k, v in want.items() if k is not None}, f"ageing by unit at {at}")
status, body, _ = http("GET", url_with(URL, "/v1/enquiries/ageing", at=AT.isoformat()), reader)
# 0 and 9 days; 10, 19; 20, 29; 30, 39; 40, 41 and the one closed a second after the instant.
c.equal(body["units"]["Ageing"], {"lt10": 2, "d10_19": 2, "d20_29": 2, "d30_39": 2, "d40_plus": 3,
                                  "over_10": 9, "total": 11}, "ageing boundaries (9/10/19/20/29/30/39/40)")
c.equal(http("GET", url_with(URL, "/v1/enquiries/ageing", at="yesterday"), reader)[0], 400, "bad instant")
status, body, _ = http("GET", URL + "/v1/enquiries/ageing", reader)
c.equal((status, sorted(body)), (200, ["at", "total", "tz", "units"]), "ageing now")

# ---- Scotland, and due_working_days ----
xmas = [{"id": "s1", "unit": "Roads", "opened_at": local(2026, 12, 23, 15).isoformat(),
         "closed_at": local(2027, 1, 5, 16).isoformat()},
        {"id": "s2", "unit": "Roads", "opened_at": local(2026, 12, 23, 15).isoformat(),
         "closed_at": local(2027, 1, 6, 0, 0).isoformat()}]
c.equal(post(scot, xmas)[0], 200, "Scottish enquiries")
status, body, _ = http("GET", url_with(URL, "/v1/enquiries/kpis", scope="unit:Roads", period="2027-01"), scot)
c.equal((body["kpis"]["items_due"]["value"], body["kpis"]["closed_in_time"]["value"]), (2, 1),
        "Scotland: due 5 January (2 January substituted on the 4th)")
c.equal(due_date(local(2026, 12, 23, 15), set(SCOTLAND)), D(2027, 1, 5), "Python agrees")
status, body, _ = http("PUT", URL + "/v1/enquiries/settings", scot, {"due_working_days": 2})
c.equal((status, body), (200, {"due_working_days": 2}), "due_working_days 2")
status, body, _ = http("GET", url_with(URL, "/v1/enquiries/kpis", scope="tenant", period="2026-12"), scot)
c.equal((body["due_working_days"], body["kpis"]["items_due"]["value"]), (2, 2),
        "with 2 working days both are due on 29 December")
c.equal(due_date(local(2026, 12, 23, 15), set(SCOTLAND), 2), D(2026, 12, 29), "Python agrees (2 days)")
for bad in ({"due_working_days": 0}, {"due_working_days": 61}, {"due_working_days": "5"}, {"days": 5}):
    c.equal(http("PUT", URL + "/v1/enquiries/settings", scot, bad)[0], 422, f"bad settings {bad}")
# Tenants are apart: the council's figures do not see the Scottish enquiries.
status, body, _ = http("GET", url_with(URL, "/v1/enquiries/kpis", scope="unit:Roads", period="2027-01"), token)
c.equal(body["kpis"]["items_due"]["value"], 0, "tenants are isolated")

# ---- the page, in Debian's chromium: every figure shown equals the API's ----
import os
import subprocess

BROWSER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "browser")
ARTEFACTS = os.path.join(os.environ.get("CCM_BUILD_DIR", os.getcwd()), "test-artefacts")
os.makedirs(ARTEFACTS, exist_ok=True)
page_at = "2026-11-20"
node = subprocess.run(["node", "enquiries.mjs", URL, reader, ARTEFACTS, f"/enquiries.html?fy=2026&at={page_at}"],
                      cwd=BROWSER, capture_output=True, text=True, timeout=300)
c.equal(node.returncode, 0, f"chromium run ({node.stderr[-1500:]})")
result = json.loads(node.stdout.strip().splitlines()[-1]) if node.returncode == 0 else {}
c.equal(result.get("errors"), [], "no page errors")
c.equal(result.get("axe"), {"light": [], "dark": []}, "axe-core: no WCAG 2.1 A/AA violation")
c.equal(result.get("tabOrder", [])[:6], ["./", "month.html", "year.html", "enquiries.html", "fy", "at"],
        "keyboard: the links, then the form")


def shown(key, value):
    if value is None:
        return "–"
    if key.endswith("_pct"):
        return shown_places(value, 1) + "%"
    return f"{value:,}"


STATUS_WORDS = {"green": " ✓ On target", "amber": " ▲ Near target", "red": " ✗ Off target", "none": ""}
shown_page = result.get("page", {})
api_table = http("GET", url_with(URL, "/v1/exports/enquiries", fy="2026", format="json"), reader)[1]
c.equal(shown_page.get("columns", [])[:5], ["Delivery unit", "Measure", "", "Apr 2026", "May 2026"],
        "page columns")
c.equal(sorted(shown_page.get("table", {})), sorted(r["scope"] for r in api_table["rows"]), "page rows")
cells_checked = 0
for row in api_table["rows"]:
    mine = shown_page.get("table", {}).get(row["scope"], {})
    for key, kinds in (("items_due", ["actual"]), ("closed_in_time_pct", ["target", "actual"]),
                       ("delay_advised_pct", ["actual"]), ("responded_in_time_pct", ["target", "actual"])):
        for column, figures in zip(api_table["columns"], row["columns"]):
            figure = figures[key]
            for kind in kinds:
                cell = mine.get(key, {}).get(kind, {}).get(column["key"], {})
                if kind == "target":
                    c.equal(cell.get("shown"), "" if figure["target"] is None else shown(key, figure["target"]),
                            f"page {row['scope']} {key} target {column['key']}")
                    continue
                status = figure.get("status", "none")
                symbol = {"green": " ✓", "amber": " ▲", "red": " ✗", "none": ""}[status]
                c.equal(cell.get("shown"), shown(key, figure["value"]) + symbol + STATUS_WORDS[status][2:],
                        f"page {row['scope']} {key} {column['key']}")
                c.equal(cell.get("status"), status, f"page {row['scope']} {key} {column['key']} status")
                cells_checked += 1
c.check(cells_checked >= 17 * 4 * 6, f"page cells compared: {cells_checked}")
end_of_day = datetime.datetime(2026, 11, 20, 23, 59, 59, tzinfo=LONDON).astimezone(UTC)
c.equal(shown_page.get("ageingAt"), end_of_day.strftime("%Y-%m-%dT%H:%M:%SZ"), "page ageing instant")
api_ageing = http("GET", url_with(URL, "/v1/enquiries/ageing", at=end_of_day.isoformat()), reader)[1]
want_ageing = {"unit:" + u: b for u, b in api_ageing["units"].items()}
want_ageing["tenant"] = api_ageing["total"]
c.equal({scope: {k: int(v["value"]) for k, v in buckets.items()} for scope, buckets in shown_page.get("ageing", {}).items()},
        want_ageing, "page ageing equals the API")
c.equal({scope: {k: v["shown"] for k, v in buckets.items()} for scope, buckets in shown_page.get("ageing", {}).items()},
        {scope: {k: f"{v:,}" for k, v in b.items()} for scope, b in want_ageing.items()}, "page ageing as shown")

# Every handler replied once and freed what it owned: a sanitizer build reports leaks
# and errors at exit.
c.equal(daemon.stop(), 0, "the daemon stops cleanly")
c.equal([line for line in daemon.log_lines if "Sanitizer" in line or "runtime error" in line], [],
        "no sanitizer report")
pg.stop()
c.finish()
