"""Channels, customer satisfaction, channel shift and reasons in exports (issue 8 points
1-4) against a real ccmetricsd and PostgreSQL. Every expected figure is computed here
from the posted contacts and responses, independently of the daemon:

- queue settings per channel, in versions: a social channel answered within 2 hours from
  mid-October (before: the queue's 80 s), a reception (face_to_face) within 10 minutes
  always, and a queue-wide change of short_abandon_s that a channel inherits;
- every KPI per channel (&channel= on /v1/kpis and the series), with its own targets;
- survey responses (good/average/poor and 1-5; queue, service and tenant scopes),
  idempotent, bad ones refused with nothing stored;
- channel shift against a baseline financial year that holds 29 February 2024, with
  targets whose sign gives the better direction (web forms +5 %, calls -5 %);
- the financial-year export of one channel, with the survey and channel-shift rows of a
  profile, and the top reasons rows."""
import csv
import datetime
import io
import json
import time
import zipfile
from zoneinfo import ZoneInfo


from harness import (Checks, Daemon, Postgres, Receiver, SseStream, fetch, http, post_events, url_with,
                     write_config)

c = Checks("channels")
pg = Postgres()
receiver = Receiver()
daemon = Daemon(database=pg.dsn, extra=["--config", write_config(
    "alert_evaluate_interval_s = 1\nwebhook_allow = 127.0.0.1\npublic_url = https://ccm.example.gov.uk/\n")])
token = daemon.token("council", "ingest,read,admin")
URL = daemon.url
LONDON = ZoneInfo("Europe/London")


def put(path, body, want=200):
    status, answer, _ = http("PUT", URL + path, token, body)
    c.equal(status, want, f"PUT {path} {json.dumps(body)[:90]}")
    return answer


def get(path, **params):
    status, answer, _ = http("GET", url_with(URL, path, **params), token)
    c.equal(status, 200, f"GET {path} {params}")
    return answer


def get_bytes(path, **params):
    """The status and bytes of a GET (exports that are not JSON)."""
    status, _, data = fetch(url_with(URL, path, **params), token)
    return status, data


def local(y, m, d, hh=10, mm=0, ss=0):
    return datetime.datetime(y, m, d, hh, mm, ss, tzinfo=LONDON)


# ---- 1. channel settings in versions ------------------------------------------------
put("/v1/queues/contact", {"service": "customer", "short_abandon_s": 0})
put("/v1/queues/contact", {"short_abandon_s": 10, "effective_from": "2025-10-20"})
put("/v1/queues/contact", {"channel": "social", "sl_threshold_s": 7200, "effective_from": "2025-10-15"})
put("/v1/queues/contact", {"channel": "face_to_face", "sl_threshold_s": 600})
put("/v1/queues/contact", {"channel": "face_to_face", "sl_formula": "answered_only",
                           "effective_from": "2025-10-25"})
c.equal(http("PUT", URL + "/v1/queues/contact", token, {"channel": "fax", "sl_threshold_s": 5})[0], 422,
        "an unknown channel is refused")
c.equal(http("PUT", URL + "/v1/queues/contact", token, {"channel": "social", "service": "x"})[0], 422,
        "service is a setting of the whole queue")
settings = get("/v1/queues/contact")
c.equal([(v["effective_from"], v["sl_threshold_s"]) for v in settings["channels"]["social"]],
        [("2025-10-15", 7200)], "the social channel's version")
c.equal([(v["effective_from"], v["sl_threshold_s"], v["sl_formula"]) for v in settings["channels"]["face_to_face"]],
        [(None, 600, None), ("2025-10-25", 600, "answered_only")],
        "face to face: keys carried forward, null where the queue's value applies")

WAITS = [5, 9, 45, 79, 81, 150, 590, 610, 3000, 7300]
OUTCOMES = ["answered", "answered", "abandoned", "answered", "abandoned", "answered", "answered",
            "answered", "abandoned", "answered"]
CHANNELS = ["phone", "social", "face_to_face", "webchat"]
calls = []
for day in range(1, 32):
    for n, (wait, outcome) in enumerate(zip(WAITS, OUTCOMES)):
        channel = CHANNELS[(day + n) % len(CHANNELS)]
        t = local(2025, 10, day, 8 + n % 9, (day * 7) % 60)
        call = {"id": f"c-{day}-{n}", "queue": "contact", "channel": channel, "offered_at": t.isoformat(),
                "outcome": outcome, "reason": ["council tax", "bins", "parking", ""][(day * n) % 4]}
        end = t + datetime.timedelta(seconds=wait)
        call["answered_at" if outcome == "answered" else "ended_at"] = end.isoformat()
        if outcome == "answered":
            call["ended_at"] = (end + datetime.timedelta(seconds=60)).isoformat()
        calls.append(call)
c.equal(post_events(URL, token, calls)[0], 200, f"{len(calls)} contacts on four channels")


def settings_on(channel, date):
    threshold, formula = 80, "abandons_count"
    short = 10 if date >= datetime.date(2025, 10, 20) else 0
    if channel == "social" and date >= datetime.date(2025, 10, 15):
        threshold = 7200
    if channel == "face_to_face":
        threshold = 600
        if date >= datetime.date(2025, 10, 25):
            formula = "answered_only"
    return threshold, formula, short


def service_level(selected):
    numerator = denominator = 0
    for call in selected:
        t = datetime.datetime.fromisoformat(call["offered_at"])
        threshold, formula, short = settings_on(call["channel"], t.date())
        end = datetime.datetime.fromisoformat(call["answered_at"] if call["outcome"] == "answered" else call["ended_at"])
        wait = (end - t).total_seconds()
        is_short = call["outcome"] == "abandoned" and wait < short
        if is_short:
            continue
        if formula == "answered_only":
            if call["outcome"] == "answered":
                denominator += 1
                numerator += wait <= threshold
        else:
            denominator += 1
            numerator += call["outcome"] == "answered" and wait <= threshold
    return 100 * numerator / denominator if denominator else None


for channel in CHANNELS + [None]:
    mine = [x for x in calls if channel in (None, x["channel"])]
    got = get("/v1/kpis", scope="queue:contact", period="2025-10", **({"channel": channel} if channel else {}))
    c.equal(got["kpis"]["offered"]["value"], len(mine), f"{channel or 'every channel'}: offered")
    c.near(got["kpis"]["service_level_pct"]["value"], service_level(mine),
           f"{channel or 'every channel'}: service level under its own settings")
    c.equal(got.get("channel"), channel, f"{channel}: the answer names its channel")
    series = get("/v1/kpis/series", scope="service:customer", interval="day", **({"channel": channel} if channel else {}),
                 **{"from": "2025-10-14", "to": "2025-10-17"})
    for point in series["series"]:
        day = datetime.date.fromisoformat(point["period"]["key"])
        on_day = [x for x in mine if datetime.datetime.fromisoformat(x["offered_at"]).date() == day]
        c.near(point["kpis"]["service_level_pct"]["value"], service_level(on_day),
               f"{channel}: service level on {day} (the social version starts on the 15th)")

# targets per channel: a channel's figure is judged by that channel's target only
put("/v1/targets", {"scope": "queue:contact", "kpi": "service_level_pct", "value": 80})
put("/v1/targets", {"scope": "queue:contact", "channel": "social", "kpi": "service_level_pct", "value": 95,
                    "amber": 10})
c.equal(http("PUT", URL + "/v1/targets", token, {"scope": "queue:contact", "channel": "pigeon",
                                                  "kpi": "asa_s", "value": 1})[0], 422, "unknown channel")
social = get("/v1/kpis", scope="queue:contact", period="2025-10", channel="social")["kpis"]["service_level_pct"]
every = get("/v1/kpis", scope="queue:contact", period="2025-10")["kpis"]["service_level_pct"]
webchat = get("/v1/kpis", scope="queue:contact", period="2025-10", channel="webchat")["kpis"]["service_level_pct"]
c.equal((social["target"], every["target"], webchat["target"]), (95, 80, None), "targets per channel")
want_social = service_level([x for x in calls if x["channel"] == "social"])
c.equal(social["status"], "green" if want_social >= 95 else "amber" if want_social >= 85 else "red",
        f"social status at {want_social:.1f}")
listed = get("/v1/targets", scope="queue:contact")["targets"]
c.equal(sorted((t.get("channel", ""), t["value"]) for t in listed), [("", 80), ("social", 95)],
        "GET /v1/targets lists the channel")

# ---- 2. surveys --------------------------------------------------------------------
put("/v1/queues/tax", {"service": "revenues"})
surveys = []
RATINGS = ["good", "average", "poor", 5, 4, 3, 2, 1, "good", 4]
for n in range(60):
    day = 1 + n % 31
    scope = ["queue:contact", "queue:tax", "service:revenues", "tenant"][n % 4]
    surveys.append({"id": f"s-{n}", "at": local(2025, 10, day, 12).isoformat(), "rating": RATINGS[n % 10],
                    "channel": CHANNELS[n % 3], "scope": scope})
# the last minute of September and the first of November (local) are outside October
surveys.append({"id": "s-sep", "at": local(2025, 9, 30, 23, 59).isoformat(), "rating": "poor"})
surveys.append({"id": "s-nov", "at": local(2025, 11, 1, 0, 0).isoformat(), "rating": "poor"})
status, answer, _ = http("POST", URL + "/v1/surveys", token, surveys)
c.equal((status, answer.get("accepted"), answer.get("duplicates")), (200, len(surveys), 0), "surveys stored")
ndjson = "\n".join(json.dumps(s) for s in surveys[:5]).encode()
status, answer, _ = http("POST", URL + "/v1/surveys", token, ndjson, ctype="application/x-ndjson")
c.equal((status, answer.get("accepted"), answer.get("duplicates")), (200, 0, 5), "re-sent (NDJSON): duplicates")
bad = [{"id": "b-1", "at": local(2025, 10, 3).isoformat(), "rating": "good"},
       {"id": "b-2", "at": "yesterday", "rating": 6},
       {"id": "b-3", "at": local(2025, 10, 3).isoformat(), "rating": "excellent", "channel": "fax"}]
status, answer, _ = http("POST", URL + "/v1/surveys", token, bad)
details = answer.get("error", {}).get("details", [])
c.equal((status, [d.get("index") for d in details]), (422, [1, 2]), "bad responses: 422, one entry each")
c.check(any(d["field"] == "at" for d in details), "the bad field is named")
c.equal(http("POST", URL + "/v1/surveys", token, b"{not json")[0], 400, "not JSON: 400")


def satisfaction(scope, channel=None):
    picked = []
    for s in surveys:
        t = datetime.datetime.fromisoformat(s["at"])
        if not (local(2025, 10, 1, 0) <= t < local(2025, 11, 1, 0)):
            continue
        if channel and s.get("channel", "phone") != channel:
            continue
        own = s.get("scope", "tenant")
        if scope == "tenant" or own == scope or (scope == "service:revenues" and own == "queue:tax") or \
                (scope == "service:customer" and own == "queue:contact"):
            picked.append(s["rating"])
    rating = lambda r: r if isinstance(r, str) else "good" if r >= 4 else "average" if r == 3 else "poor"
    good = sum(rating(r) == "good" for r in picked)
    average = sum(rating(r) == "average" for r in picked)
    poor = sum(rating(r) == "poor" for r in picked)
    n = len(picked)
    return n, (100 * (good + average - poor) / n if n else None), (100 * good / n if n else None)


put("/v1/targets", {"scope": "service:revenues", "kpi": "satisfied_pct", "value": 40, "amber": 5})
for scope in ("tenant", "service:revenues", "queue:tax", "queue:contact", "service:customer"):
    for channel in (None, "phone", "social"):
        n, net, satisfied = satisfaction(scope, channel)
        got = get("/v1/kpis", scope=scope, period="2025-10", **({"channel": channel} if channel else {}))["kpis"]
        c.equal(got["survey_responses"]["value"], n, f"{scope} {channel}: responses")
        c.near(got["satisfaction_net_pct"]["value"], net, f"{scope} {channel}: satisfaction_net_pct")
        c.near(got["satisfied_pct"]["value"], satisfied, f"{scope} {channel}: satisfied_pct")
got = get("/v1/kpis", scope="service:revenues", period="2025-10")["kpis"]["satisfied_pct"]
want = satisfaction("service:revenues")[2]
c.equal((got["target"], got["status"]), (40, "green" if want >= 40 else "amber" if want >= 35 else "red"),
        f"satisfied_pct target and status ({want:.1f})")
series = get("/v1/kpis/series", scope="tenant", **{"from": "2025-09", "to": "2025-11"})["series"]
c.equal([p["kpis"]["survey_responses"]["value"] for p in series], [1, satisfaction("tenant")[0], 1],
        "monthly series: responses by local month")

# ---- 3. channel shift across a leap year -----------------------------------------
put("/v1/settings", {"baseline_fy": 2023})
settings = get("/v1/settings")
c.equal((settings["baseline_fy"], settings["time_zone"], settings["fy_start_month"], settings["due_working_days"]),
        (2023, "Europe/London", 4, 5), "GET /v1/settings: the baseline year is kept, with the other settings")
c.equal(http("PUT", URL + "/v1/settings", token, {"baseline_fy": "last year"})[0], 422, "a bad year")
shift = []
for day in range(1, 30):  # February 2024 has 29 days (in the baseline year 2023-24)
    for n in range(3 if day != 29 else 7):
        shift.append(("webform", local(2024, 2, day, 9 + n)))
    for n in range(5):
        shift.append(("phone", local(2024, 2, day, 9 + n)))
for day in range(1, 29):  # February 2025: 28 days
    for n in range(4):
        shift.append(("webform", local(2025, 2, day, 9 + n)))
    for n in range(4 if day % 2 else 5):
        shift.append(("phone", local(2025, 2, day, 9 + n)))
shift_calls = [{"id": f"v-{i}", "queue": "forms", "channel": ch, "offered_at": t.isoformat(), "outcome": "answered",
                "answered_at": (t + datetime.timedelta(seconds=30)).isoformat()} for i, (ch, t) in enumerate(shift)]
c.equal(post_events(URL, token, shift_calls)[0], 200, f"{len(shift_calls)} contacts in two Februaries")
put("/v1/targets", {"scope": "queue:forms", "channel": "webform", "kpi": "volume_change_pct", "value": 5})
put("/v1/targets", {"scope": "queue:forms", "channel": "phone", "kpi": "volume_change_pct", "value": -5})


def volume(channel, start, end):
    return sum(1 for ch, t in shift if ch == channel and start <= t < end)


def change(channel, start, end, back_start, back_end):
    now, then = volume(channel, start, end), volume(channel, back_start, back_end)
    return now, then, (100 * (now - then) / then if then else None)


cases = [
    ("2025-02", local(2025, 2, 1, 0), local(2025, 3, 1, 0), local(2024, 2, 1, 0), local(2024, 3, 1, 0)),
    ("2025-02-28", local(2025, 2, 28, 0), local(2025, 3, 1, 0), local(2024, 2, 28, 0), local(2024, 2, 29, 0)),
    ("fy-2024", local(2024, 4, 1, 0), local(2025, 4, 1, 0), local(2023, 4, 1, 0), local(2024, 4, 1, 0)),
]
for period, start, end, back_start, back_end in cases:
    for channel in ("webform", "phone"):
        now, then, pct = change(channel, start, end, back_start, back_end)
        got = get("/v1/kpis", scope="queue:forms", period=period, channel=channel)["kpis"]
        c.equal((got["offered"]["value"], got["baseline_offered"]["value"]), (now, then),
                f"{period} {channel}: volume and baseline volume")
        c.near(got["volume_change_pct"]["value"], pct, f"{period} {channel}: volume_change_pct")
        target = 5 if channel == "webform" else -5
        good = pct >= target if target > 0 else pct <= target
        c.equal((got["volume_change_pct"]["target"], got["volume_change_pct"]["status"]),
                (target, "green" if good else "red"), f"{period} {channel}: target and direction")
got = get("/v1/kpis", scope="queue:forms", period="2024-02-29", channel="webform")["kpis"]
c.near(got["volume_change_pct"]["value"], 0.0, "29 February 2024 is in the baseline year: no change")
series = get("/v1/kpis/series", scope="queue:forms", channel="phone", **{"from": "2025-01", "to": "2025-03"})["series"]
c.near(series[1]["kpis"]["volume_change_pct"]["value"],
       change("phone", local(2025, 2, 1, 0), local(2025, 3, 1, 0), local(2024, 2, 1, 0), local(2024, 3, 1, 0))[2],
       "the monthly series carries volume_change_pct")
c.equal(series[0]["kpis"]["volume_change_pct"]["value"], None, "no baseline volume: null, never 0")

# ---- 4. exports: one channel, the new rows, reasons -----------------------------
put("/v1/export-profiles/channels", {"kpis": [
    {"kpi": "offered", "reference": "CH01", "description": "Contacts"},
    {"kpi": "service_level_pct", "reference": "CH02", "description": "Answered within the service level"},
    {"kpi": "satisfied_pct", "reference": "CH03", "description": "% satisfied"},
    {"kpi": "satisfaction_net_pct", "reference": "CH04", "description": "Net satisfaction"},
    {"kpi": "volume_change_pct", "reference": "CH05", "description": "Change on the baseline year"}]})
status, data, _ = http("GET", url_with(URL, "/v1/exports/monthly", scope="queue:contact", fy=2025, format="json",
                                        profile="channels", channel="social"), token)
c.equal(status, 200, "a channel's export")
table = data["tables"][0]
c.equal(table.get("channel"), "social", "the table names its channel")
c.check("social" in table["label"], f"and its label ({table['label']})")
rows = {row["kpi"]: row for row in table["kpis"]}
social_calls = [x for x in calls if x["channel"] == "social"]
c.equal(rows["offered"]["columns"]["2025-10"]["actual"], len(social_calls), "export: social contacts in October")
c.near(rows["service_level_pct"]["columns"]["2025-10"]["actual"], service_level(social_calls),
       "export: social service level")
c.equal(rows["service_level_pct"]["columns"]["2025-10"]["target"], 95, "export: the social target")
c.near(rows["satisfied_pct"]["columns"]["2025-10"]["actual"], satisfaction("queue:contact", "social")[2],
       "export: satisfied_pct")

status, text = get_bytes("/v1/exports/monthly", scope="queue:contact", fy=2025, format="csv", channel="webchat")
csv_rows = list(csv.reader(io.StringIO(text.decode(), newline="")))
c.check(all(r[0] == "queue:contact (webchat)" for r in csv_rows[1:]), "CSV: every row's scope names the channel")
reason_rows = {(r[3], r[5]): r for r in csv_rows if r[2] == "reason"}
webchat_calls = [x for x in calls if x["channel"] == "webchat"]
counts = {}
for x in webchat_calls:
    if x["reason"]:
        counts[x["reason"]] = counts.get(x["reason"], 0) + 1
ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
OCT = 6 + 6  # Scope..Measure, then April..: October is the 7th month
c.equal([r[3] for r in csv_rows if r[2] == "reason" and r[5] == "Contacts"],
        [name for name, _ in ranked] + ["Other reasons", "No reason recorded", "All contacts"],
        "CSV: the top reasons in rank order, then the rest")
for name, count in ranked:
    row = reason_rows[(name, "Contacts")]
    c.equal((row[OCT], row[-2]), (str(count), str(count)), f"CSV: {name} in October and the year")
    share = reason_rows[(name, "Share %")][OCT]
    c.equal(share, f"{round(100 * count / len(webchat_calls) + 1e-9, 1):.1f}", f"CSV: {name} share")
c.equal(reason_rows[("No reason recorded", "Contacts")][OCT], str(sum(1 for x in webchat_calls if not x["reason"])),
        "CSV: contacts without a reason")
c.equal(reason_rows[("All contacts", "Contacts")][OCT], str(len(webchat_calls)), "CSV: every contact")
status, workbook = get_bytes("/v1/exports/monthly", scope="queue:contact", fy=2025, format="xlsx", channel="webchat")
with zipfile.ZipFile(io.BytesIO(workbook)) as book:
    strings = book.read("xl/sharedStrings.xml").decode()
    sheet = book.read("xl/worksheets/sheet1.xml").decode()
c.check("Top reasons for contact" in strings and "webchat only" in strings and ranked[0][0] in strings,
        "Excel: the channel's label and the reasons block")
# the top reason's October count sits in a cell of the sheet (as a number)
c.check(f"<v>{ranked[0][1]}</v>" in sheet, "Excel: the reasons' counts as numbers")
status, html = get_bytes("/v1/exports/monthly", scope="queue:contact", fy=2025, format="html")
c.check(b"Top reasons for contact" in html and b"council tax" in html, "HTML: the reasons table")
reasons = get("/v1/reasons", scope="queue:contact", period="2025-10", channel="webchat")
c.equal([(r["reason"], r["count"]) for r in reasons["reasons"]], ranked, "GET /v1/reasons per channel")

# ---- publishing freezes the survey ratings and the baseline-year volume too
c.equal(http("POST", URL + "/v1/publications", token, {"month": "2025-10"})[0], 201, "October 2025 published")
c.equal(http("POST", URL + "/v1/publications", token, {"month": "2025-02"})[0], 201, "February 2025 published")
published_satisfied = satisfaction("queue:contact")[2]
published_change = change("webform", local(2025, 2, 1, 0), local(2025, 3, 1, 0), local(2024, 2, 1, 0),
                          local(2024, 3, 1, 0))
late_survey = {"id": "s-late", "at": local(2025, 10, 20, 12).isoformat(), "rating": "poor", "scope": "queue:contact"}
c.equal(http("POST", URL + "/v1/surveys", token, [late_survey])[0], 200, "a late response for October")
surveys.append(late_survey)
late_call = {"id": "v-late", "queue": "forms", "channel": "webform", "offered_at": local(2024, 2, 10, 9).isoformat(),
             "outcome": "answered", "answered_at": local(2024, 2, 10, 9, 1).isoformat()}
c.equal(post_events(URL, token, [late_call])[0], 200, "a late call in the baseline month")
shift.append(("webform", local(2024, 2, 10, 9)))
status, data, _ = http("GET", url_with(URL, "/v1/exports/monthly", scope="queue:contact", fy=2025, format="json",
                                        profile="channels"), token)
cell = {row["kpi"]: row for row in data["tables"][0]["kpis"]}["satisfied_pct"]["columns"]["2025-10"]
c.near(cell["actual"], published_satisfied, "export: October's satisfied_pct as published")
c.near(cell.get("live"), satisfaction("queue:contact")[2], "and the live figure beside it (restated)")
status, data, _ = http("GET", url_with(URL, "/v1/exports/monthly", scope="queue:forms", fy=2024, format="json",
                                        profile="channels", channel="webform"), token)
cell = {row["kpi"]: row for row in data["tables"][0]["kpis"]}["volume_change_pct"]["columns"]["2025-02"]
c.near(cell["actual"], change("webform", local(2025, 2, 1, 0), local(2025, 3, 1, 0), local(2024, 2, 1, 0),
                              local(2024, 3, 1, 0))[2], "a channel's export: live figures (publications are of every channel)")
status, data, _ = http("GET", url_with(URL, "/v1/exports/monthly", scope="queue:forms", fy=2024, format="json",
                                        profile="channels"), token)
cell = {row["kpi"]: row for row in data["tables"][0]["kpis"]}["volume_change_pct"]["columns"]["2025-02"]


def both(start, end, back_start, back_end):
    now = sum(1 for _, t in shift if start <= t < end)
    then = sum(1 for _, t in shift if back_start <= t < back_end)
    return 100 * (now - then) / then


live_both = both(local(2025, 2, 1, 0), local(2025, 3, 1, 0), local(2024, 2, 1, 0), local(2024, 3, 1, 0))
shift.pop()
frozen_both = both(local(2025, 2, 1, 0), local(2025, 3, 1, 0), local(2024, 2, 1, 0), local(2024, 3, 1, 0))
c.near(cell["actual"], frozen_both, "export: February's volume_change_pct as published")
c.near(cell.get("live"), live_both, "and the live figure after a late call in the baseline month (restated)")
c.check(published_change[2] is not None, "the fixture has a baseline volume")

# ---- 5. the live view of one channel (the wallboard's &channel=)
now = datetime.datetime.now(datetime.timezone.utc)
live_events = [{"type": "call.offered", "id": f"l-{n}", "queue": "live", "channel": ch,
                "at": (now - datetime.timedelta(seconds=30 + n)).isoformat()}
               for n, ch in enumerate(["webchat", "webchat", "phone", "webchat"])]
live_events.append({"type": "call.answered", "id": "l-3", "at": now.isoformat()})
done = [{"id": f"ld-{n}", "queue": "live", "channel": ch, "outcome": "answered",
         "offered_at": (now - datetime.timedelta(minutes=5, seconds=n)).isoformat(),
         "answered_at": (now - datetime.timedelta(minutes=4)).isoformat()}
        for n, ch in enumerate(["webchat", "phone", "phone"])]
c.equal(post_events(URL, token, live_events + done)[0], 200, "calls waiting now on two channels")
for channel, waiting, in_progress, offered in (("webchat", 2, 1, 1), ("phone", 1, 0, 2), (None, 3, 1, 3)):
    live = get("/v1/live", scope="queue:live", **({"channel": channel} if channel else {}))
    c.equal((live["waiting"], live["in_progress"], live["today"]["kpis"]["offered"]["value"], live.get("channel")),
            (waiting, in_progress, offered, channel), f"GET /v1/live {channel or 'every channel'}")
c.equal(http("GET", url_with(URL, "/v1/live", scope="queue:live", channel="carrier pigeon"), token)[0], 400,
        "an unknown channel: 400")
webchat = SseStream(daemon.port, "queue:live", token, channel="webchat")
phone = SseStream(daemon.port, "queue:live", token, channel="phone")
c.equal(webchat.next_snapshot()["waiting"], 2, "stream of webchat: 2 waiting")
c.equal(phone.next_snapshot()["waiting"], 1, "stream of phone: 1 waiting")
c.equal(post_events(URL, token, [{"type": "call.offered", "id": "l-9", "queue": "live", "channel": "webchat",
                                  "at": now.isoformat()}])[0], 200, "one more webchat")
c.check(webchat.wait_for(lambda s: s["waiting"] == 3)[0] is not None, "the webchat stream is pushed its new figure")
c.equal(get("/v1/live", scope="queue:live", channel="phone")["waiting"], 1, "phone unchanged")
webchat.close()
phone.close()

# an alert rule judged by the target in force uses the all-channel target, never a
# channel's (webchat's is unreachable: were it taken, the rule would fire)
put("/v1/targets", {"scope": "queue:live", "kpi": "service_level_pct", "value": 50})
put("/v1/targets", {"scope": "queue:live", "channel": "webchat", "kpi": "service_level_pct", "value": 100.5,
                    "effective_from": now.date().isoformat()})
status, rule, _ = http("POST", URL + "/v1/alert-rules", token, {"scope": "queue:live", "kpi": "service_level_pct",
                                                                  "window": "today", "min_sample": 1})
c.equal(status, 201, "an alert rule on the target in force")
judged = None
for _ in range(150):
    judged = next((a for a in get("/v1/alerts")["alerts"] if a["rule"] == rule["id"]), None)
    if judged and judged.get("threshold") is not None:
        break
    time.sleep(0.2)
c.equal((judged or {}).get("threshold"), 50, "the rule's threshold is the all-channel target")
c.equal((judged or {}).get("state"), "ok", "and the rule does not fire")

# rules on one channel's figure: webchat's speed of answer (60 s) against 30 s fires, with
# the channel in the webhook and its link; an email rule has no figure and stays ok; a
# webchat rule on the target in force takes webchat's own target
status, endpoint, _ = http("POST", URL + "/v1/alert-endpoints", token,
                           {"url": receiver.url + "/hook", "format": "generic"})
c.equal(status, 201, "a webhook endpoint")
rules = {}
for name, body in (("webchat asa", {"kpi": "asa_s", "threshold": 30, "channel": "webchat"}),
                   ("email asa", {"kpi": "asa_s", "threshold": 30, "channel": "email"}),
                   ("webchat target", {"kpi": "service_level_pct", "channel": "webchat"})):
    status, made, _ = http("POST", URL + "/v1/alert-rules", token,
                           dict(body, scope="queue:live", window="today", min_sample=1, endpoints=[endpoint["id"]]))
    c.equal(status, 201, f"rule {name}")
    rules[name] = made["id"]
c.equal(http("POST", URL + "/v1/alert-rules", token, {"scope": "queue:live", "kpi": "asa_s", "threshold": 1,
                                                       "channel": "telex"})[0], 422, "a rule on an unknown channel")
states = {}
for _ in range(150):
    states = {a["rule"]: a for a in get("/v1/alerts")["alerts"]}
    if all(states.get(i, {}).get("evaluated_at") for i in rules.values()) and \
            states[rules["webchat asa"]]["state"] == "firing":
        break
    time.sleep(0.2)
c.equal((states[rules["webchat asa"]]["state"], states[rules["webchat asa"]]["value"],
         states[rules["webchat asa"]]["channel"]), ("firing", 60, "webchat"), "the webchat rule fires on webchat's figure")
c.equal((states[rules["email asa"]]["state"], states[rules["email asa"]]["value"]), ("ok", None),
        "the email rule has no figure")
c.equal((states[rules["webchat target"]]["threshold"], states[rules["webchat target"]]["state"]), (100.5, "firing"),
        "a webchat rule on the target in force takes webchat's target")
hooks = []
for _ in range(100):
    hooks = [json.loads(r["body"]) for r in receiver.requests("/hook")]
    if any(h["data"]["rule"] == rules["webchat asa"] for h in hooks):
        break
    time.sleep(0.1)
fired = next((h for h in hooks if h["data"]["rule"] == rules["webchat asa"]), {"data": {}})
c.equal((fired["data"].get("scope"), fired["data"].get("channel"), fired["data"].get("link")),
        ("queue:live", "webchat", "https://ccm.example.gov.uk/?scope=queue%3Alive&channel=webchat"),
        "the webhook names the channel, and its link opens that channel's wallboard")

c.equal(daemon.stop(), 0, "daemon exit code")
receiver.stop()
pg.stop()
c.finish()
