"""The month and financial-year pages in Debian's chromium (headless, driven by
playwright-core) against a real ccmetricsd on a real PostgreSQL, with a year of calls
and targets that change mid-year (and one mid-month): every figure each page shows, in
its table and in its charts, equals the API's answer for the same scope and period,
shown rounded as the KPI definitions say; each month's target is the one in force on
its first day, each day's on that day. Nothing shows without a token; a refused token
is asked for again; a read token is entered once and kept. Keyboard only reaches every
control and changes the scope; axe-core finds no WCAG 2.1 A/AA violation (contrast
included) in light or dark; first view under 1 s on loopback; screenshots at 1920x1080
and 1280x800, light and dark, as test artefacts."""
import datetime
import json
import os
import subprocess
from zoneinfo import ZoneInfo

from harness import Checks, Daemon, Postgres, get_kpis, half_away, http, post_events, url_with

HERE = os.path.dirname(os.path.abspath(__file__))
BROWSER = os.path.join(HERE, "..", "browser")
ARTEFACTS = os.path.join(os.environ.get("CCM_BUILD_DIR", os.getcwd()), "test-artefacts")
os.makedirs(ARTEFACTS, exist_ok=True)
LONDON = ZoneInfo("Europe/London")
STATUS_WORDS = {"green": "✓ On target", "amber": "▲ Near target", "red": "✗ Off target",
                "none": "No target"}
YEAR_KPIS = ["offered", "answered_pct", "abandoned_pct", "service_level_pct", "asa_s", "aht_s",
             "fcr_pct", "repeat_fcr_pct"]

c = Checks("pages")
pg = Postgres()
daemon = Daemon(database=pg.dsn)
admin = daemon.token("council", "ingest,read,admin")
reader = daemon.token("council", "read")
URL = daemon.url
for queue, service in (("bins", "street"), ("council-tax", "revenues")):
    c.equal(http("PUT", URL + f"/v1/queues/{queue}", admin, {"service": service})[0], 200,
            f"queue {queue}")
targets = [
    {"scope": "tenant", "kpi": "answered_pct", "value": 90, "amber": 5},
    {"scope": "tenant", "kpi": "asa_s", "value": 20, "amber": 5, "effective_from": "2025-04-01"},
    {"scope": "tenant", "kpi": "asa_s", "value": 35, "amber": 5, "effective_from": "2025-07-01"},
    {"scope": "tenant", "kpi": "abandoned_pct", "value": 5, "amber": 2},
    {"scope": "tenant", "kpi": "abandoned_pct", "value": 4, "amber": 2,
     "effective_from": "2025-07-15"},
    {"scope": "tenant", "kpi": "service_level_pct", "value": 80},
    {"scope": "tenant", "kpi": "fcr_pct", "value": 85, "amber": 3},
    {"scope": "queue:bins", "kpi": "fcr_pct", "value": 80},
]
for target in targets:
    c.equal(http("PUT", URL + "/v1/targets", admin, target)[0], 200, f"target {target}")

# A year of calls, April 2025 to March 2026: a few a day per queue, of every outcome,
# waits either side of the 80 s service level, callers who ring back.
events = []
day = datetime.date(2025, 4, 1)
while day < datetime.date(2026, 4, 1):
    ordinal = day.toordinal()
    for q, queue in enumerate(("bins", "council-tax")):
        for k in range(2 + (ordinal * 7 + q * 3) % 5):
            offered = datetime.datetime(day.year, day.month, day.day, 9, 0, tzinfo=LONDON) + \
                datetime.timedelta(minutes=37 * k + 11 * q)
            wait = (k * 53 + ordinal * 7) % 150
            kind = (ordinal + k * 3 + q) % 9
            event = {"id": f"p-{ordinal}-{q}-{k}", "queue": queue,
                     "offered_at": offered.isoformat(),
                     "caller": f"07700 900{(ordinal + k) % 40:03d}"}
            if (ordinal + k) % 4:
                event["reason"] = ["missed bin", "council tax bill", "bulky waste"][(ordinal + k * 5) % 3]
            end = offered + datetime.timedelta(seconds=wait)
            if kind == 0:
                event["outcome"] = "abandoned"
            elif kind == 1 and k == 0:
                event["outcome"] = "refused"
                wait = 0
            else:
                event["outcome"] = "answered"
                event["answered_at"] = end.isoformat()
                event["handle_s"] = 120 + (ordinal * k) % 400
                event["first_contact_resolved"] = (ordinal + k) % 7 != 0
                end += datetime.timedelta(seconds=event["handle_s"])
            event["ended_at"] = end.isoformat()
            events.append(event)
    day += datetime.timedelta(days=1)
status, body, _ = post_events(URL, admin, events)
c.equal(status, 200, f"a year of calls ({len(events)}): {body}")
# A queue with contacts and no settings is a scope too (GET /v1/queues feeds the pickers).
c.equal(post_events(URL, admin, [{"id": "adhoc-1", "queue": "ad hoc", "outcome": "answered",
                                  "offered_at": "2025-05-01T10:00:00Z",
                                  "answered_at": "2025-05-01T10:00:05Z"}])[0], 200, "ad hoc call")
c.equal(http("GET", URL + "/v1/queues", reader)[1],
        {"queues": [{"name": "ad hoc", "service": None}, {"name": "bins", "service": "street"},
                    {"name": "council-tax", "service": "revenues"}],
         "services": ["revenues", "street"]}, "GET /v1/queues: every queue and service")
c.equal(http("GET", URL + "/v1/queues")[0], 401, "GET /v1/queues needs a token")
# Commentary shows beside its figure on the month view (issue 6).
c.equal(http("PUT", URL + "/v1/commentary", admin, {"scope": "tenant", "kpi": "asa_s", "month": "2025-07",
                                                     "text": "Target raised to 35 s in July."})[0], 200, "commentary")
# Past days' repeat counts are made final by the daemon's finalizer; the pages show
# whatever the API answers, so no need to wait for it.

MONTH, FY, OTHER = "2025-07", 2025, "queue:bins"
month_path = f"/month.html?scope=tenant&month={MONTH}"
year_path = f"/year.html?scope=tenant&fy={FY}"
node = subprocess.run(["node", "pages.mjs", URL, reader, ARTEFACTS, month_path, year_path, OTHER],
                      cwd=BROWSER, capture_output=True, text=True, timeout=300)
c.equal(node.returncode, 0, f"chromium run ({node.stderr[-1500:]})")
result = json.loads(node.stdout.strip().splitlines()[-1]) if node.returncode == 0 else {}


def shown(key, value):
    """A figure as the KPI definitions say to show it: half away from zero."""
    if value is None:
        return "–"
    if key.endswith("_pct"):
        return f"{half_away(value, 1)}%"
    if key.endswith("_s"):
        return f"{half_away(value, 0)} s"
    return f"{value:,}"


def same_value(page_text, api_value):
    if api_value is None:
        return page_text == ""
    return page_text != "" and float(page_text) == float(api_value)


def get(path, **params):
    status, body, _ = http("GET", url_with(URL, path, **params), reader)
    c.equal(status, 200, f"GET {path} {params}")
    return body


# -- token
token = result.get("token", {})
c.equal(token.get("asked"), True, "without a token the page asks for one")
c.equal(token.get("figuresWithout"), 0, "without a token no figure is shown")
c.equal(token.get("refusedAgain"), True, "a refused token is asked for again, with the reason")
c.equal(token.get("keptForNextPage"), True, "the token is entered once and kept for other pages")
c.equal(result.get("errors"), [], "no script or loading error on any page")


def check_month(page, scope, month, channel=None):
    api = get_kpis(URL, reader, scope, month, channel=channel)[1]
    kpis = page.get("kpis", {})
    c.equal(sorted(kpis), sorted(api["kpis"]), f"{scope} {month}: every KPI of the API, no other")
    for key, figure in api["kpis"].items():
        got = kpis.get(key, {})
        c.check(same_value(got.get("value", ""), figure["value"]),
                f"{scope} {month} {key}: page {got.get('value')!r}, API {figure['value']!r}")
        c.equal(got.get("shown"), shown(key, figure["value"]) +
                (" (provisional)" if figure.get("provisional") else ""), f"{key} shown")
        c.equal(got.get("status"), figure.get("status", "none"), f"{key} status")
        if "target" in figure:
            c.equal(got.get("target"), shown(key, figure["target"]), f"{key} target shown")
            c.equal(got.get("word"), STATUS_WORDS[figure["status"]], f"{key} status in words")
    # Daily charts: the API's day series, values and each day's target.
    first = datetime.date.fromisoformat(month + "-01")
    after = (first + datetime.timedelta(days=32)).replace(day=1)
    days = get("/v1/kpis/series", scope=scope, interval="day", channel=channel,
               **{"from": first.isoformat(), "to": after.isoformat()})["series"]
    charts = page.get("charts", {})
    expected = {"offered:Contacts by day": (["Offered", "Answered", "Abandoned"],
                                            [("offered", "value"), ("answered", "value"),
                                             ("abandoned", "value")])}
    for key, title in (("service_level_pct", "Service level by day"),
                       ("abandoned_pct", "% abandoned by day"),
                       ("asa_s", "Average speed of answer by day")):
        label = {"service_level_pct": "Service level", "abandoned_pct": "% abandoned",
                 "asa_s": "Average speed of answer"}[key]
        expected[f"{key}:{title}"] = ([label, "Target"], [(key, "value"), (key, "target")])
    c.equal(sorted(charts), sorted(expected), f"{scope} {month}: the daily charts")
    for name, (labels, fields) in expected.items():
        chart = charts.get(name, {})
        c.equal(chart.get("columns"), ["Period"] + labels, f"{name}: series")
        rows = chart.get("rows", [])
        c.equal(len(rows), len(days), f"{name}: one point a day")
        c.check(chart.get("canvas") and chart["canvas"][0] > 200, f"{name}: drawn ({chart.get('canvas')})")
        for row, bucket in zip(rows, days):
            want = [shown(k if f == "value" or k.endswith(("_pct", "_s")) else k,
                          bucket["kpis"][k].get(f)) for k, f in fields]
            c.equal(row[1:], want, f"{name} {bucket['period']['key']}")
    return days


month = result.get("month", {})
days = check_month(month, "tenant", MONTH)
c.equal(month.get("heading"), "July 2025 · Whole centre", "month heading")
reasons = get("/v1/reasons", scope="tenant", period=MONTH, top=10)
want_reasons = [[r["reason"], f"{r['count']:,}", shown("share_pct", r["share_pct"])] for r in reasons["reasons"]]
if reasons["no_reason"]["count"]:
    want_reasons.append(["No reason recorded", f"{reasons['no_reason']['count']:,}",
                         shown("share_pct", reasons["no_reason"]["share_pct"])])
c.equal(month.get("reasons"), want_reasons, "the top reasons as GET /v1/reasons gives them")
c.check(len(reasons["reasons"]) >= 2, f"calls with reasons in the month ({reasons['reasons']})")
c.equal({k: v.get("note") for k, v in month.get("kpis", {}).items() if v.get("note")},
        {"asa_s": "Target raised to 35 s in July."}, "the commentary beside its figure")
# The target of the month is the one in force on its first day; the chart's target
# line steps on 15 July, as the daily series says.
c.equal(get_kpis(URL, reader, "tenant", MONTH)[1]["kpis"]["asa_s"]["target"], 35.0,
        "July's speed-of-answer target is the one from 1 July")
line = [r[2] for r in month.get("charts", {}).get("abandoned_pct:% abandoned by day", {}).get("rows", [])]
c.equal((line[:1], line[14:15]), (["5.0%"], ["4.0%"]), "the target line steps on 15 July")

# -- financial year
year = result.get("year", {})
fy = get_kpis(URL, reader, "tenant", f"fy-{FY}")[1]
months = get("/v1/kpis/series", scope="tenant", **{"from": f"{FY}-04", "to": f"{FY + 1}-03"})["series"]
c.equal(year.get("heading"), "Financial year 2025-26 · Whole centre", "year heading")
names = ["Apr 2025", "May 2025", "Jun 2025", "Jul 2025", "Aug 2025", "Sept 2025", "Oct 2025",
         "Nov 2025", "Dec 2025", "Jan 2026", "Feb 2026", "Mar 2026"]
c.equal(year.get("columns"), ["KPI", ""] + names + ["Year"], "one column per month April-March")
c.equal(list(year.get("rows", {})), YEAR_KPIS, "the scrutiny KPIs, in order")
for key in YEAR_KPIS:
    rows = year.get("rows", {}).get(key, {})
    for column, answer in [(m["period"]["key"], m["kpis"][key]) for m in months] + [("year", fy["kpis"][key])]:
        actual = rows.get("actual", {}).get(column, {})
        target = rows.get("target", {}).get(column, {})
        c.check(same_value(actual.get("value", "x"), answer["value"]),
                f"{key} {column}: page {actual.get('value')!r}, API {answer['value']!r}")
        status = answer.get("status", "none")
        c.equal(actual.get("status"), status, f"{key} {column} status")
        text = shown(key, answer["value"])
        if status != "none":
            text += f" {STATUS_WORDS[status][0]} {STATUS_WORDS[status][2:]}"
        c.equal(actual.get("shown"), text, f"{key} {column} shown with its status symbol")
        if "target" in answer:
            c.check(same_value(target.get("value", "x"), answer["target"]),
                    f"{key} {column} target: page {target.get('value')!r}, API {answer['target']!r}")
    chart = year.get("charts", {}).get(f"{key}:" + {"offered": "Contacts offered"}.get(key, ""), None)
    chart = chart or next((v for k, v in year.get("charts", {}).items() if k.startswith(key + ":")), {})
    want = [[shown(key, m["kpis"][key]["value"])] +
            ([shown(key, m["kpis"][key].get("target"))] if "target" in m["kpis"][key] else [])
            for m in months]
    c.equal([r[1:] for r in chart.get("rows", [])], want, f"{key}: trend chart figures")
asa_targets = [m["kpis"]["asa_s"]["target"] for m in months]
c.equal(asa_targets, [20.0] * 3 + [35.0] * 9, "the target changes in July, as the API says")
c.equal([year["rows"]["asa_s"]["target"][m]["value"] for m in ("2025-06", "2025-07")]
        if year.get("rows") else None, ["20", "35"], "the table shows the July change")

# -- keyboard, accessibility, speed, screenshots
keyboard = result.get("keyboard", {})
order = keyboard.get("focusOrder", [])
c.check(order[:7] == ["Wallboard", "Month", "Financial year", "Scope", "Channel", "Month", "Month"],
        f"Tab reaches the links, the scope, the channel and the month in reading order ({order})")
c.equal(keyboard.get("after"), OTHER, "the scope changed with the keyboard alone")
if keyboard.get("month"):
    check_month(keyboard["month"], OTHER, MONTH)
# one channel's month view (issue 8): the channel's own figures, named in the heading
channel_month = result.get("monthChannel", {})
c.equal(channel_month.get("picked"), "phone", "the channel picker shows the page's channel")
c.equal(channel_month.get("heading"), "July 2025 · Whole centre · Phone", "the heading names the channel")
check_month(channel_month, "tenant", MONTH, channel="phone")
c.equal(result.get("wallboardChannel"), "Whole centre · Phone", "the wallboard of one channel goes live and says which")
for view in ("month", "year"):
    for theme in ("light", "dark"):
        violations = result.get(view, {}).get("violations", {}).get(theme)
        c.equal(violations, [], f"{view} page, {theme}: no WCAG 2.1 A/AA violation (axe-core)")
    ready_ms = result.get(view, {}).get("readyMs")
    c.check(ready_ms is not None and ready_ms < 1000, f"{view} page: first view {ready_ms} ms (< 1 s)")
shots = result.get("screenshots", [])
c.check(len(shots) == 8 and all(os.path.getsize(s) > 10000 for s in shots),
        f"screenshots written: {shots}")
print(f"  first view: month {month.get('readyMs')} ms, year {year.get('readyMs')} ms;"
      f" screenshots in {ARTEFACTS}", flush=True)

c.equal(daemon.stop(), 0, "daemon exit code")
pg.stop()
c.finish()
