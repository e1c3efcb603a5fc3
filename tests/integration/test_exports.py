"""The financial-year exports against a real PostgreSQL and a real ccmetricsd.

A year of calls (April 2025 to March 2026) in two queues of two services, with targets
that change mid-year: every figure, target and status of the table (months, quarters,
year) is computed here, independently, from the calls, and must be what every format
says: CSV read back with Python's csv module, the .xlsx read with zipfile and its XML
(not libxlsxwriter), JSON, and the HTML printed to PDF by headless Chromium (the PDF's
pages rendered to PNG as test artefacts). `ccmetricsd export` gives the API's bytes.
Commentary shows beside its figure; cells that a spreadsheet would run as formulas are
neutralised; a published month keeps its figures when late calls arrive, marked
restated with both values, and cannot be published twice."""
import csv
import datetime
import io
import json
import os
import re
import subprocess
import time
import xml.etree.ElementTree as ET
import zipfile
from zoneinfo import ZoneInfo

from harness import (DAEMON, Checks, Daemon, Postgres, Receiver, fetch, http, post_events, shown_places,
                     temp_dir, url_with, wait_until, write_config)

HERE = os.path.dirname(os.path.abspath(__file__))
BROWSER = os.path.join(HERE, "..", "browser")
ARTEFACTS = os.path.join(os.environ.get("CCM_BUILD_DIR", os.getcwd()), "test-artefacts")
os.makedirs(ARTEFACTS, exist_ok=True)
LONDON = ZoneInfo("Europe/London")
FY = 2025
MONTHS = [(2025, m) for m in range(4, 13)] + [(2026, m) for m in range(1, 4)]

c = Checks("exports")
pg = Postgres()
daemon = Daemon(database=pg.dsn)
token = daemon.token("council", "ingest,read,admin")
URL = daemon.url
for queue, service in (("bins", "street"), ("tax", "revenues")):
    c.equal(http("PUT", URL + f"/v1/queues/{queue}", token, {"service": service})[0], 200, queue)
TARGETS = [
    ("tenant", "answered_pct", 85, 5, None),
    ("tenant", "abandoned_pct", 8, 2, None),
    ("tenant", "service_level_pct", 70, None, None),
    ("tenant", "asa_s", 20, 5, "2025-04-01"),
    ("tenant", "asa_s", 35, 5, "2025-07-01"),       # mid-year change
    ("tenant", "fcr_pct", 80, None, "2025-10-01"),  # a target that starts mid-year
    ("service:street", "answered_pct", 90, None, None),
]
for scope, kpi, value, amber, since in TARGETS:
    body = {"scope": scope, "kpi": kpi, "value": value}
    if amber is not None:
        body["amber"] = amber
    if since:
        body["effective_from"] = since
    c.equal(http("PUT", URL + "/v1/targets", token, body)[0], 200, f"target {body}")

# ---- a year of calls, and their figures computed here
calls = []
for year, month in MONTHS:
    for day in (3, 11, 19, 27):
        for q, queue in enumerate(("bins", "tax")):
            count = 6 + (month * 7 + day + q * 5) % 9
            for n in range(count):
                offered = datetime.datetime(year, month, day, 9 + n % 8, (n * 7) % 60, tzinfo=LONDON)
                kind = (month + day + n + q) % 10
                wait = (n * 23 + month * 11 + q * 7) % 160
                call = {"id": f"x-{year}{month:02d}{day:02d}-{q}-{n}", "queue": queue,
                        "offered_at": offered.isoformat()}
                if kind == 0 or kind == 7:
                    call["outcome"] = "abandoned"
                    call["ended_at"] = (offered + datetime.timedelta(seconds=wait)).isoformat()
                elif kind == 3 and n == 0:
                    call["outcome"] = "refused"
                    call["ended_at"] = offered.isoformat()
                    wait = 0
                else:
                    call["outcome"] = "answered"
                    call["answered_at"] = (offered + datetime.timedelta(seconds=wait)).isoformat()
                    call["handle_s"] = 150 + (n * 37 + day) % 300
                    call["ended_at"] = (offered + datetime.timedelta(seconds=wait + call["handle_s"])).isoformat()
                    call["first_contact_resolved"] = (n + day) % 6 != 0
                call["_wait"] = wait
                calls.append(call)
status, body, _ = post_events(URL, token, [{k: v for k, v in x.items() if k != "_wait"} for x in calls])
c.equal(status, 200, f"a year of calls ({len(calls)}): {body}")


def figures(subset):
    """The KPI definitions, here in Python: sums, then formulas."""
    offered = len(subset)
    answered = [x for x in subset if x["outcome"] == "answered"]
    abandoned = [x for x in subset if x["outcome"] == "abandoned"]
    refused = sum(1 for x in subset if x["outcome"] == "refused")
    handled = offered - refused
    within = sum(1 for x in answered if x["_wait"] <= 80)
    known = [x for x in answered if "first_contact_resolved" in x]
    rate = lambda a, b: None if b == 0 else 100 * a / b
    return {
        "offered": offered,
        "answered_pct": rate(len(answered), handled),
        "abandoned_pct": rate(len(abandoned), handled),
        "service_level_pct": rate(within, handled),
        "asa_s": None if not answered else sum(x["_wait"] for x in answered) / len(answered),
        "aht_s": None if not answered else sum(x["handle_s"] for x in answered) / len(answered),
        "fcr_pct": rate(sum(1 for x in known if x["first_contact_resolved"]), len(known)),
        "repeat_fcr_pct": None,  # no callers given
    }


def month_of(call):
    t = datetime.datetime.fromisoformat(call["offered_at"])
    return (t.year, t.month)


def in_scope(call, scope):
    return scope == "tenant" or (scope == "service:street" and call["queue"] == "bins") or \
        (scope == "queue:tax" and call["queue"] == "tax")


def target_for(scope, kpi, first_day):
    best = None
    for s, k, value, amber, since in TARGETS:
        start = datetime.date.fromisoformat(since) if since else datetime.date.min
        if s == scope and k == kpi and start <= first_day and (best is None or start >= best[2]):
            best = (value, amber, start)
    return best


HIGHER = {"answered_pct", "service_level_pct", "fcr_pct", "repeat_fcr_pct"}


def status_of(kpi, value, target):
    if target is None or value is None or kpi == "offered":
        return "none"
    shortfall = target[0] - value if kpi in HIGHER else value - target[0]
    if shortfall <= 0:
        return "green"
    if target[1] is not None and shortfall <= target[1]:
        return "amber"
    return "red"


def shown(kpi, value):
    """As published: percentages to one place, seconds and counts whole, half away from 0."""
    if value is None:
        return ""
    return shown_places(value, 1 if kpi.endswith("_pct") else 0)


KPIS = ["offered", "answered_pct", "abandoned_pct", "service_level_pct", "asa_s", "aht_s",
        "fcr_pct", "repeat_fcr_pct"]
COLUMNS = [f"{y}-{m:02d}" for y, m in MONTHS] + ["Q1", "Q2", "Q3", "Q4", "year"]


def expected_table(scope, subset):
    table = {}
    for kpi in KPIS:
        for i, key in enumerate(COLUMNS):
            if i < 12:
                months, first = [MONTHS[i]], datetime.date(*MONTHS[i], 1)
            elif i < 16:
                months, first = MONTHS[(i - 12) * 3:(i - 12) * 3 + 3], datetime.date(*MONTHS[(i - 12) * 3], 1)
            else:
                months, first = MONTHS, datetime.date(*MONTHS[0], 1)
            value = figures([x for x in subset if month_of(x) in months and in_scope(x, scope)])[kpi]
            target = None if kpi == "offered" else target_for(scope, kpi, first)
            table[(kpi, key)] = {"actual": shown(kpi, value), "target": shown(kpi, target and target[0]),
                                 "status": status_of(kpi, value, target), "value": value}
    return table


def get(path, **params):
    return fetch(url_with(URL, path, **params), token)


SCOPES = ["tenant", "service:street", "queue:tax"]
expected = {scope: expected_table(scope, calls) for scope in SCOPES}

# ---- commentary, and cells a spreadsheet would run
c.equal(http("PUT", URL + "/v1/commentary", token, {"scope": "tenant", "kpi": "asa_s", "month": "2025-07",
                                                     "text": "Target raised to 35 s; two vacancies."})[0], 200, "commentary")
c.equal(http("PUT", URL + "/v1/commentary", token, {"scope": "tenant", "kpi": "answered_pct", "month": "2025-12",
                                                     "text": "x"})[0], 200, "commentary to remove")
c.equal(http("PUT", URL + "/v1/commentary", token, {"scope": "tenant", "kpi": "answered_pct", "month": "2025-12",
                                                     "text": ""})[0], 200, "an empty text removes it")
c.equal(http("GET", url_with(URL, "/v1/commentary", scope="tenant"), token)[1]["commentary"],
        [{"kpi": "asa_s", "month": "2025-07", "text": "Target raised to 35 s; two vacancies.",
          "updated_at": http("GET", url_with(URL, "/v1/commentary", scope="tenant"), token)[1]["commentary"][0]["updated_at"]}],
        "GET /v1/commentary")
for bad in ({"scope": "tenant", "kpi": "nope", "month": "2025-07", "text": "x"},
            {"scope": "tenant", "kpi": "asa_s", "month": "2025-13", "text": "x"},
            {"scope": "tenant", "kpi": "asa_s", "month": "2025-07", "text": "x", "extra": 1}):
    c.equal(http("PUT", URL + "/v1/commentary", token, bad)[0], 422, f"commentary refused: {bad}")
evil = {"kpis": [{"kpi": "answered_pct", "reference": "=1+2", "description": "@SUM(A1:A9)"},
                 {"kpi": "abandoned_pct", "reference": "+CMD|' /C calc'!A0", "description": "-2+3"},
                 {"kpi": "asa_s", "reference": "-", "description": "=HYPERLINK(\"http://x\",\"y\")"}]}
c.equal(http("PUT", URL + "/v1/export-profiles/evil", token, evil)[0], 200, "a profile")
c.equal(http("PUT", URL + "/v1/export-profiles/bad", token, {"kpis": [{"kpi": "nope"}]})[0], 422,
        "a profile with an unknown KPI is refused")
c.equal(http("PUT", URL + "/v1/export-profiles/bad", token,
             {"kpis": [{"kpi": "asa_s", "reference": "\tTAB"}]})[0], 422,
        "control characters are refused (tab and CR at the start of a cell: lib unit test)")

# ---- CSV: every figure, read back with a real CSV reader
status, headers, data = get("/v1/exports/monthly", scope=SCOPES, fy=FY, format="csv")
c.equal(status, 200, "CSV export")
c.check(headers["Content-Type"].startswith("text/csv"), f"CSV content type ({headers['Content-Type']})")
rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
header = rows[0]
labels = ["Apr 2025", "May 2025", "Jun 2025", "Jul 2025", "Aug 2025", "Sep 2025", "Oct 2025", "Nov 2025",
          "Dec 2025", "Jan 2026", "Feb 2026", "Mar 2026", "Q1", "Q2", "Q3", "Q4", "Year"]
c.equal(header, ["Scope", "Reference", "KPI", "Description", "Frequency", "Measure"] + labels + ["Commentary"],
        "CSV header: months April-March, quarters, year, commentary")
c.check(data.count(b"\r\n") == len(rows), "CSV lines end in CRLF (RFC 4180)")
checked = 0
# the KPI rows; the top reasons rows (KPI "reason") are checked in test_channels
for row in (r for r in rows[1:] if r[2] != "reason"):
    scope, kpi, measure = row[0], row[2], row[5]
    for i, key in enumerate(COLUMNS):
        want = expected[scope][(kpi, key)]
        got = row[6 + i]
        if measure == "Actual":
            c.equal(got, want["actual"], f"CSV {scope} {kpi} {key} actual")
        elif measure == "Target":
            c.equal(got, want["target"], f"CSV {scope} {kpi} {key} target")
        elif measure == "Status":
            words = {"green": "On target", "amber": "Near target", "red": "Off target", "none": ""}
            c.equal(got, words[want["status"]], f"CSV {scope} {kpi} {key} status")
        checked += 1
c.check(checked == len(SCOPES) * len(KPIS) * 3 * 17, f"every cell compared ({checked})")
c.check(any(r[2] == "asa_s" and r[5] == "Actual" and r[-1] == "Jul 2025: Target raised to 35 s; two vacancies."
            for r in rows if r[0] == "tenant"), "commentary beside its figure")
statuses = {expected[s][(k, col)]["status"] for s in SCOPES for k in KPIS for col in COLUMNS}
c.check({"green", "amber", "red", "none"} <= statuses, f"the year has every status ({statuses})")

# the CLI gives the API's bytes
cli = subprocess.run([DAEMON, "export", "--database", pg.dsn, "--data-dir", daemon.data_dir,
                      "--scope", "tenant", "--scope", "service:street", "--scope", "queue:tax",
                      "--fy", str(FY), "--format", "csv"], capture_output=True, timeout=120)
c.equal((cli.returncode, cli.stdout == data), (0, True), f"ccmetricsd export = the API ({cli.stderr[-300:]})")

# injection: the cells a spreadsheet would run
status, _, evil_csv = get("/v1/exports/monthly", scope="tenant", fy=FY, format="csv", profile="evil")
cells = [cell for row in csv.reader(io.StringIO(evil_csv.decode(), newline="")) for cell in row]
for cell in ("=1+2", "@SUM(A1:A9)", "+CMD|' /C calc'!A0", "-2+3", "-", '=HYPERLINK("http://x","y")'):
    c.check(cell not in cells and "'" + cell in cells, f"{cell!r} is neutralised with a leading '")
c.check(all(not cell or cell[0] not in "=+@\t\r" for cell in cells), "no cell starts a formula")
c.equal(get("/v1/exports/monthly", scope="tenant", fy=FY, format="csv", profile="absent")[0] if False else
        http("GET", url_with(URL, "/v1/exports/monthly", scope="tenant", fy=FY, format="csv", profile="absent"), token)[0],
        404, "an unknown profile is 404")

# ---- XLSX: read with zipfile and XML
status, headers, workbook = get("/v1/exports/monthly", scope=SCOPES, fy=FY, format="xlsx")
c.equal(status, 200, "xlsx export")
path = os.path.join(ARTEFACTS, "export-2025-26.xlsx")
open(path, "wb").write(workbook)
NS = {"x": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
book = zipfile.ZipFile(io.BytesIO(workbook))
strings = [si.findtext(".//x:t", default="", namespaces=NS) for si in
           ET.fromstring(book.read("xl/sharedStrings.xml")).findall("x:si", NS)]
sheets = [s.get("name") for s in ET.fromstring(book.read("xl/workbook.xml")).find("x:sheets", NS)]
c.equal(sheets, ["1 tenant", "2 service street", "3 queue tax"], "one sheet per scope")


def sheet_rows(n):
    out = {}
    for cell in ET.fromstring(book.read(f"xl/worksheets/sheet{n}.xml")).iter(f"{{{NS['x']}}}c"):
        ref = re.match(r"([A-Z]+)(\d+)", cell.get("r"))
        col = 0
        for ch in ref.group(1):
            col = col * 26 + ord(ch) - 64
        v = cell.findtext("x:v", namespaces=NS)
        value = strings[int(v)] if cell.get("t") == "s" and v is not None else v
        out.setdefault(int(ref.group(2)), {})[col] = (value, cell.get("s"))
    return out


xlsx_checked = 0
for n, scope in enumerate(SCOPES, 1):
    table = sheet_rows(n)
    sheet = ET.fromstring(book.read(f"xl/worksheets/sheet{n}.xml"))
    pane = sheet.find(".//x:pane", NS)
    c.check(pane is not None and pane.get("state") == "frozen" and pane.get("topLeftCell") == "F5",
            f"{scope}: header and KPI columns frozen")
    for row in table.values():
        if row.get(2, (None,))[0] not in KPIS or row.get(5, (None,))[0] not in ("Target", "Actual"):
            continue
        kpi, measure = row[2][0], row[5][0]
        for i, key in enumerate(COLUMNS):
            want = expected[scope][(kpi, key)]["actual" if measure == "Actual" else "target"]
            got = row.get(6 + i, (None, None))[0]
            got = "" if got is None else shown(kpi, float(got))
            c.equal(got, want, f"xlsx {scope} {kpi} {key} {measure}")
            xlsx_checked += 1
c.check(xlsx_checked == len(SCOPES) * len(KPIS) * 2 * 17, f"every xlsx figure compared ({xlsx_checked})")
styles = ET.fromstring(book.read("xl/styles.xml"))
fills = [f.find(".//x:fgColor", NS) for f in styles.find("x:fills", NS)]
c.check(sum(1 for f in fills if f is not None and f.get("rgb") in ("FFD9F0DF", "FFFDE9C8", "FFF7D4D4")) == 3,
        "status fills (green, amber, red)")
numfmts = [n.get("formatCode") for n in styles.find("x:numFmts", NS)]
c.check("0.0" in numfmts and "#,##0" in numfmts, f"number formats ({numfmts})")

# ---- JSON
status, _, raw = get("/v1/exports/monthly", scope="tenant", fy=FY, format="json")
answer = json.loads(raw)
table = answer["tables"][0]
c.equal([col["key"] for col in table["columns"]], COLUMNS, "JSON columns")
for row in table["kpis"]:
    for key in COLUMNS:
        got = row["columns"][key]
        want = expected["tenant"][(row["kpi"], key)]
        c.check((got["actual"] is None and want["value"] is None) or
                (want["value"] is not None and abs(got["actual"] - want["value"]) < 1e-9),
                f"JSON {row['kpi']} {key}: {got['actual']} vs {want['value']}")
        c.equal(got["status"], want["status"], f"JSON {row['kpi']} {key} status")

# ---- HTML, printed to PDF by Chromium; its pages as images
status, headers, html = get("/v1/exports/monthly", scope=SCOPES, fy=FY, format="html")
c.check(b"@page { size: A4 landscape" in html and b"<svg class=\"trend\"" in html,
        "printable HTML: A4 landscape, SVG charts")
c.check(b"Target raised to 35 s; two vacancies." in html, "commentary in the printable report")
pdf = os.path.join(ARTEFACTS, "export-2025-26.pdf")
printed = subprocess.run(["node", "print.mjs", url_with(URL, "/v1/exports/monthly", scope=SCOPES, fy=FY,
                                                        format="html"), token, pdf],
                         cwd=BROWSER, capture_output=True, text=True, timeout=120)
c.equal(printed.returncode, 0, f"Chromium printed it ({printed.stderr[-500:]})")
pages = json.loads(printed.stdout.strip().splitlines()[-1])["pages"] if printed.returncode == 0 else 0
c.check(3 <= pages <= 9, f"a few A4 pages, one scope from a new page ({pages})")
for old in os.listdir(ARTEFACTS):
    if old.startswith("export-page-"):
        os.remove(os.path.join(ARTEFACTS, old))
subprocess.run(["pdftoppm", "-png", "-r", "50", pdf, os.path.join(ARTEFACTS, "export-page")], check=True)
images = sorted(f for f in os.listdir(ARTEFACTS) if f.startswith("export-page-"))
c.equal(len(images), pages, f"the PDF's pages as images ({images})")
size = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True).stdout
c.check(re.search(r"Page size:\s+84[12]\.\d+ x 59[45]\.\d+ pts", size) is not None, f"A4 landscape ({size[-200:]})")

# ---- publishing, then late calls: restated
c.equal(http("POST", URL + "/v1/publications", token, {"month": "2025-06"})[0], 201, "June published")
c.equal(http("POST", URL + "/v1/publications", token, {"month": "2025-06"})[0], 409, "not twice")
c.equal(http("POST", URL + "/v1/publications", token, {"month": "2099-01"})[0], 422, "not a month to come")
http("PUT", URL + "/v1/targets", token, {"scope": "tenant", "kpi": "answered_pct", "value": 95,
                                         "effective_from": "2025-05-01"})  # a target changed afterwards
late = [{"id": f"late-{n}", "queue": "tax", "offered_at": "2025-06-20T10:00:00+01:00", "outcome": "abandoned",
         "ended_at": "2025-06-20T10:05:00+01:00"} for n in range(6)]
c.equal(post_events(URL, token, late)[0], 200, "late calls for June")
status, _, raw = get("/v1/exports/monthly", scope="tenant", fy=FY, format="json")
table = json.loads(raw)["tables"][0]
june = next(col for col in table["columns"] if col["key"] == "2025-06")
c.equal((june["published"], june["restated"]), (True, True), "June: published and restated")
answered = next(r for r in table["kpis"] if r["kpi"] == "answered_pct")["columns"]["2025-06"]
live = figures([x for x in calls if month_of(x) == (2025, 6)] +
               [dict(x, _wait=300) for x in late])["answered_pct"]
c.check(abs(answered["actual"] - expected["tenant"][("answered_pct", "2025-06")]["value"]) < 1e-9,
        "the published figure is the one shown")
c.check(abs(answered["live"] - live) < 1e-9, f"with the live one beside it ({answered['live']} vs {live})")
c.equal(answered["target"], 85.0, "and the target in force when it was published")
status, _, data = get("/v1/exports/monthly", scope="tenant", fy=FY, format="csv")
restated = [r for r in csv.reader(io.StringIO(data.decode(), newline="")) if r[2] == "answered_pct"]
c.equal([r[5] for r in restated], ["Target", "Actual", "Status", "Restated actual"], "CSV: a restated row")
c.equal(restated[1][8], expected["tenant"][("answered_pct", "2025-06")]["actual"], "CSV: June as published")
c.equal(restated[3][8], shown("answered_pct", live), "CSV: and as it is now")
c.equal(http("GET", URL + "/v1/publications", token)[1]["publications"][0]["month"], "2025-06", "listed")


# ---- automatic publishing: last month, on publish_day, with files and a notification
c.equal(daemon.stop(), 0, "daemon exit code")
receiver = Receiver()
publish_dir = temp_dir("ccm-published-")
os.chmod(publish_dir, 0o777)
daemon = Daemon(database=pg.dsn, extra=["--config", write_config(
    f"publish_day = 1\npublish_check_interval_s = 1\npublish_dir = {publish_dir}\n"
    "webhook_allow = 127.0.0.1\nwebhook_retry_base_s = 1\n")])
URL = daemon.url
now = datetime.datetime.now(LONDON)
last = (now.replace(day=1) - datetime.timedelta(days=1)).strftime("%Y-%m")
endpoint = http("POST", URL + "/v1/alert-endpoints", token,
                {"url": receiver.url + "/published", "publications": True})[1]
c.equal(endpoint.get("publications"), True, "an endpoint that hears of publications")
files = os.path.join(publish_dir, "council", last)
c.check(wait_until(lambda: os.path.exists(os.path.join(files, "performance.xlsx")), 30),
        f"last month ({last}) published on publish_day, its exports written to {files}")
published = {p["month"]: p for p in http("GET", URL + "/v1/publications", token)[1]["publications"]}
c.equal(published.get(last, {}).get("automatic"), True, "published automatically")
c.equal(sorted(f for f in os.listdir(files)), ["performance.csv", "performance.html", "performance.json",
                                                "performance.xlsx"], "every format, no partial file")
written = list(csv.reader(open(os.path.join(files, "performance.csv"), newline="")))
c.check(written[0][0] == "Scope" and {r[0] for r in written[1:]} >= {"tenant", "service:street"},
        "the tenant and its services")
c.equal(daemon.stop(), 0, "daemon exit code")
pg.stop()

# A notification: the endpoint is there before the month is published.
pg = Postgres()
daemon = Daemon(database=pg.dsn)
token = daemon.token("council", "ingest,read,admin")
http("POST", daemon.url + "/v1/alert-endpoints", token,
     {"url": receiver.url + "/published", "publications": True})
http("POST", daemon.url + "/v1/alert-endpoints", token, {"url": receiver.url + "/alerts-only"})
c.equal(daemon.stop(), 0, "daemon exit code")
daemon = Daemon(database=pg.dsn, extra=["--config", write_config(
    "publish_day = 1\npublish_check_interval_s = 1\nwebhook_allow = 127.0.0.1\n")])
URL = daemon.url
c.check(wait_until(lambda: receiver.requests("/published"), 15), "a notification when a month is published")
if receiver.requests("/published"):
    message = json.loads(receiver.requests("/published")[0]["body"])
    c.equal((message["type"], message["data"]["month"]), ("export.published", last), "export.published")
    c.check("/v1/exports/monthly?scope=tenant&fy=" in message["data"]["link"], "with a link to the report")
time.sleep(1)
c.equal(receiver.requests("/alerts-only"), [], "endpoints that did not ask hear nothing")
c.equal(daemon.stop(), 0, "daemon exit code")
pg.stop()
c.finish()
