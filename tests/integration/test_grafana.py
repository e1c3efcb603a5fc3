"""The Grafana dashboard (dashboards/grafana) over the reporting views (sql/009), against a
real PostgreSQL filled through a real ccmetricsd: every panel's SQL, with Grafana's
variables and time filter put in as Grafana would, returns the API's figures for the same
tenant, queue and month (stat panels: the month; time series: each day). Also: the views
keep the columns docs/reporting.md documents, and the provisioning files parse."""
import datetime
import json
import os
import random
import re

from harness import Checks, Daemon, Postgres, get_kpis, http, post_events, url_with, wait_until, \
    write_config

HERE = os.path.dirname(os.path.abspath(__file__))
GRAFANA = os.path.join(HERE, "..", "..", "dashboards", "grafana")
c = Checks("grafana")
pg = Postgres()
daemon = Daemon(database=pg.dsn, extra=["--config", write_config("repeat_finalize_interval_s = 1\n")])
token = daemon.token("gf", "ingest,read,admin")
URL = daemon.url
rng = random.Random(20260301)

http("PUT", URL + "/v1/queues/bins", token, {"service": "street", "sl_threshold_s": 60,
                                              "sl_formula": "abandons_ignored",
                                              "short_abandon_s": 5})
http("PUT", URL + "/v1/queues/housing", token, {"service": "street"})


def instant(day, seconds):
    t = datetime.datetime(2026, 3, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(
        days=day, seconds=seconds)
    return t, t.strftime("%Y-%m-%dT%H:%M:%SZ")


events = []
for n in range(700):
    offered, offered_text = instant(rng.randrange(31), rng.randrange(7 * 3600, 19 * 3600))
    outcome = rng.choices(["answered", "abandoned", "timeout", "refused"], [70, 20, 6, 4])[0]
    e = {"id": f"gf-{n}", "queue": rng.choice(["bins", "housing"]), "offered_at": offered_text,
         "outcome": outcome, "channel": rng.choice(["phone", "phone", "webchat"])}
    wait = rng.randrange(0, 200)
    if outcome == "answered":
        e["answered_at"] = (offered + datetime.timedelta(seconds=wait)).strftime("%Y-%m-%dT%H:%M:%SZ")
        e["handle_s"] = rng.randrange(30, 900)
        if rng.random() < 0.8:
            e["first_contact_resolved"] = rng.random() < 0.7
    if outcome != "refused" or rng.random() < 0.5:
        e["ended_at"] = (offered + datetime.timedelta(seconds=wait + 5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    if outcome in ("abandoned", "timeout") and "ended_at" not in e:
        e["ended_at"] = offered_text
    if rng.random() < 0.85:
        e["caller"] = f"+4477009{rng.randrange(120):05d}"
    events.append(e)
status, body, _ = post_events(URL, token, events)
c.equal(status, 200, f"700 contacts stored ({body})")
c.check(wait_until(lambda: pg.psql(
    "SELECT NOT EXISTS (SELECT 1 FROM repeat_dirty) AND coalesce((SELECT min(final_through)"
    " FROM repeat_state) >= '2026-04-05', false)")[0][0] == "t", 60),
    "the finalizer has made March final")

# ---- the interface: documented columns, in order
want_columns = ["tenant", "queue", "service", "channel", "interval_start", "local_date", "offered",
                "answered", "abandoned", "short_abandoned", "timed_out", "refused",
                "handled_denominator", "answered_wait_s", "sl_numerator", "sl_denominator",
                "handle_s", "handle_count", "fcr_resolved", "fcr_known", "max_wait_s",
                "repeat_known", "repeat_not_followed"]
got_columns = [r[0] for r in pg.psql(
    "SELECT column_name FROM information_schema.columns WHERE table_schema = 'reporting'"
    " AND table_name = 'kpi_intervals' ORDER BY ordinal_position")]
c.equal(got_columns, want_columns, "reporting.kpi_intervals columns")
doc = open(os.path.join(HERE, "..", "..", "docs", "reporting.md")).read()
c.check(all(f"`{col}`" in doc for col in want_columns), "docs/reporting.md names every column")

# ---- the dashboard's panels against the API
dashboard = json.load(open(os.path.join(GRAFANA, "dashboards", "ccmetrics-kpis.json")))
for name in ("datasources/ccmetrics.yaml", "dashboards/ccmetrics.yaml"):
    text = open(os.path.join(GRAFANA, "provisioning", name)).read()
    c.check(text.startswith("#") and "apiVersion: 1" in text, f"provisioning/{name}")


def grafana_sql(sql, queue, lo, hi):
    """The panel's SQL as Grafana's PostgreSQL data source sends it."""
    sql = sql.replace("$tenant", "gf").replace("$queue", queue)
    return re.sub(r"\$__timeFilter\((\w+)\)",
                  lambda m: f"{m.group(1)} BETWEEN '{lo}' AND '{hi}'", sql)


def near(got, want):
    if want is None or got in (None, ""):
        return want is None and got in (None, "")
    return abs(float(got) - float(want)) <= 1e-9 * max(1.0, abs(float(want)))


for scope, queue in [("tenant", "*"), ("queue:bins", "bins"), ("queue:housing", "housing")]:
    status, body, _ = get_kpis(URL, token, scope, "2026-03")
    c.equal(status, 200, f"API {scope}")
    kpis = body["kpis"]
    # Grafana's time filter is inclusive at both ends; the dashboard's range ends 1 ms
    # before the next month, as Grafana's "this month" does.
    lo = body["period"]["from"]
    hi_dt = datetime.datetime.fromisoformat(body["period"]["to"].replace("Z", "+00:00"))
    hi = (hi_dt - datetime.timedelta(milliseconds=1)).isoformat()
    status, series, _ = http("GET", url_with(URL, "/v1/kpis/series", scope=scope,
                                             interval="day", **{"from": "2026-03-01",
                                                                "to": "2026-04-01"}), token)
    days = {e["period"]["key"]: e["kpis"] for e in series["series"]}
    for panel in dashboard["panels"]:
        sql = grafana_sql(panel["targets"][0]["rawSql"], queue, lo, hi)
        rows = pg.psql(sql)
        keys = re.findall(r'AS "(\w+)"', sql)
        if panel["type"] == "stat":
            key = keys[0]
            got = rows[0][0] if rows else None
            c.check(near(got, kpis[key]["value"]),
                    f"{scope} {panel['title']}: panel {got!r}, API {kpis[key]['value']!r}")
        else:
            bad = []
            for row in rows:
                day = row[0][:10]
                for key, value in zip(keys, row[1:]):
                    if not near(value, days[day][key]["value"]):
                        bad.append((day, key, value, days[day][key]["value"]))
            c.check(rows and not bad, f"{scope} {panel['title']}: {len(rows)} days, {bad[:3]}")

c.equal(daemon.stop(), 0, "daemon exit code")
pg.stop()
c.finish()
