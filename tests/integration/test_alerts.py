"""Alert rules and signed webhooks against a real PostgreSQL, real ccmetricsd
processes and a real receiver process on loopback (webhook_receiver.py).

- A breach fires once and a recovery past the margin resolves once; the generic body is
  checked field by field against GET /v1/kpis, and its Standard Webhooks signature is
  verified here with Python's hmac (an independent implementation).
- Slack and Teams bodies have their platforms' shapes; the test call sends a sample.
- The receiver down, then up: every notification arrives, each webhook-id once after
  dedupe, per endpoint in order. The daemon killed (SIGKILL) while a delivery waits to be
  retried, and while one is in flight: a new daemon delivers everything.
- Retry-After is honoured; 410 disables the endpoint (and says so); re-enabling sends what
  waited. Redirects are not followed; loopback is refused without webhook_allow; secrets
  are never returned after creation nor logged.
- A figure oscillating around its target through an hour of traffic fires and resolves as
  the rule's hysteresis says (counted independently here), not at every crossing.
- Two daemons on one database: each notification once. Opening hours, minimum sample,
  repeats and a no-data rule.
"""
import base64
import datetime
import hashlib
import hmac
import json
import os
import time
from zoneinfo import ZoneInfo

from harness import (Checks, Daemon, Postgres, Receiver, get_kpis, http, post_events,
                     wait_until, write_config)

c = Checks("alerts")
pg = Postgres()
receiver = Receiver()
CONFIG = write_config("alert_evaluate_interval_s = 1\nwebhook_retry_base_s = 1\n"
                      "webhook_timeout_s = 2\nwebhook_allow = 127.0.0.1\n"
                      "public_url = https://ccm.example.gov.uk/\n")
daemon = Daemon(database=pg.dsn, extra=["--config", CONFIG])
token = daemon.token("council", "ingest,read,admin")
URL = daemon.url
NOW = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
SECRET = "whsec_" + base64.b64encode(b"a test secret of 32 bytes, fixed").decode()


def iso(t):
    return t.isoformat(timespec="milliseconds").replace("+00:00", "Z")


MIDNIGHT = datetime.datetime.now(ZoneInfo("Europe/London")).replace(
    hour=0, minute=0, second=0, microsecond=0).astimezone(datetime.timezone.utc)


def calls(prefix, queue, answered, abandoned, minutes_ago=5, wait=20):
    """Calls offered `minutes_ago` minutes ago, 10 ms apart; today's, also when the test
    runs just after local midnight."""
    out = []
    start = max(datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=minutes_ago),
                MIDNIGHT + datetime.timedelta(seconds=1))
    for n in range(answered + abandoned):
        t = start + datetime.timedelta(milliseconds=10 * n)
        e = {"id": f"{prefix}-{n}", "queue": queue, "offered_at": iso(t),
             "outcome": "answered" if n < answered else "abandoned",
             "ended_at": iso(t + datetime.timedelta(seconds=wait + 60))}
        if n < answered:
            e["answered_at"] = iso(t + datetime.timedelta(seconds=wait))
        out.append(e)
    return out


def post(events):
    status, body, _ = post_events(URL, token, events)
    c.equal(status, 200, f"posted {len(events)} events ({body})")


def endpoint(url, fmt="generic", secret=None, tok=None, base=None):
    body = {"url": url, "format": fmt}
    if secret:
        body["secret"] = secret
    status, answer, _ = http("POST", (base or URL) + "/v1/alert-endpoints", tok or token, body)
    c.equal(status, 201, f"endpoint {fmt} created ({answer})")
    return answer


def rule(body, base=None, tok=None):
    status, answer, _ = http("POST", (base or URL) + "/v1/alert-rules", tok or token, body)
    c.equal(status, 201, f"rule created ({answer})")
    return answer.get("id")


def alerts(base=None, tok=None):
    return {a["rule"]: a for a in http("GET", (base or URL) + "/v1/alerts", tok or token)[1]["alerts"]}


def arrived(path, kind=None):
    return [r for r in receiver.requests(path)
            if kind is None or json.loads(r["body"]).get("type") == kind]


def verify(request, secret):
    """Standard Webhooks: v1,base64(HMAC-SHA256(key, id.timestamp.body))."""
    h = {k.lower(): v for k, v in request["headers"].items()}
    key = base64.b64decode(secret[6:]) if secret.startswith("whsec_") else secret.encode()
    signed = f"{h['webhook-id']}.{h['webhook-timestamp']}.{request['body']}".encode()
    want = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return h.get("webhook-signature") == want and abs(int(h["webhook-timestamp"]) - time.time()) < 300


# ---- validation of the admin API
for body, why in [({"url": "ftp://x.example/"}, "http or https"),
                  ({"url": "not a url"}, "absolute"),
                  ({"url": "https://x.example/", "format": "email"}, "generic, slack or teams"),
                  ({"url": "https://x.example/", "secret": "whsec_!!"}, "base64"),
                  ({"url": "https://x.example/", "colour": "red"}, "unknown key")]:
    status, answer, _ = http("POST", URL + "/v1/alert-endpoints", token, body)
    c.equal(status, 422, f"endpoint {body} refused")
    c.check(why in answer.get("error", {}).get("message", ""), f"... because {why}: {answer}")
status, answer, _ = http("POST", URL + "/v1/alert-rules", token,
                         {"scope": "queue:bins", "kpi": "abandoned_pct", "endpoints": ["ep_nope"]})
c.equal(status, 422, f"a rule naming an unknown endpoint is refused ({answer})")
status, answer, _ = http("POST", URL + "/v1/alert-rules", token, {"scope": "queue:bins", "kpi": "offered"})
c.equal(status, 422, f"a count is not alertable ({answer})")
reader = daemon.token("council", "read")
c.equal(http("GET", URL + "/v1/alerts", reader)[0], 403, "alerts need the admin scope")

# ---- A: fire, resolve, signature, body
generic = endpoint(receiver.url + "/generic", secret=SECRET)
c.equal(generic.get("secret"), SECRET, "the secret is in the creating answer")
generated = endpoint(receiver.url + "/generated")
c.check(generated.get("secret", "").startswith("whsec_") and len(generated["secret"]) == 50,
        f"a secret is generated when none is given ({generated.get('secret')})")
listed = http("GET", URL + "/v1/alert-endpoints", token)[1]
c.check(all("secret" not in e for e in listed["endpoints"]), "secrets are never listed")
rule_a = rule({"name": "Bins abandons", "scope": "queue:bins", "kpi": "abandoned_pct",
               "threshold": 10, "recover_margin": 2, "min_sample": 5,
               "endpoints": [generic["id"]]})
post(calls("a1", "bins", answered=3, abandoned=1))  # 25% but only 4 calls: below min_sample
time.sleep(2.5)
c.equal(arrived("/generic"), [], "no alert on 4 calls (min_sample 5)")
c.equal(alerts()[rule_a]["state"], "ok", "still ok under the minimum sample")
post(calls("a2", "bins", answered=3, abandoned=2))  # 9 calls, 3 abandoned: 33.3%
c.check(wait_until(lambda: arrived("/generic", "alert.firing"), 10), "the breach fires")
fired = arrived("/generic", "alert.firing")
c.equal(len(fired), 1, "one firing notification")
if fired:
    request = fired[0]
    body = json.loads(request["body"])
    api = get_kpis(URL, token, "queue:bins", "today")[1]["kpis"]["abandoned_pct"]
    c.check(verify(request, SECRET), f"signature verified with Python's hmac ({request['headers']})")
    c.equal(request["headers"].get("Content-Type"), "application/json", "content type")
    c.equal(body["type"], "alert.firing", "type")
    c.equal(sorted(body), ["data", "timestamp", "type"], "body: type, timestamp, data")
    data = body["data"]
    c.equal((data["rule"], data["scope"], data["kpi"], data["window"], data["state"]),
            (rule_a, "queue:bins", "abandoned_pct", "today", "firing"), "data fields")
    c.near(data["value"], api["value"], "the figure is the API's")
    c.equal(data["target"], 10.0, "the threshold")
    c.equal(data["link"], "https://ccm.example.gov.uk/?scope=queue%3Abins",
            "a link to the wallboard of the scope (public_url)")
state = alerts()[rule_a]
c.equal(state["state"], "firing", "GET /v1/alerts: firing")
post(calls("a3", "bins", answered=28, abandoned=0))  # 3/37 = 8.1%: under 10, not under 8
time.sleep(2.5)
c.equal(len(arrived("/generic", "alert.resolved")), 0, "back under the target but inside the margin: no resolve")
c.equal(alerts()[rule_a]["state"], "firing", "still firing inside the margin")
post(calls("a4", "bins", answered=10, abandoned=0))  # 3/47 = 6.4%
c.check(wait_until(lambda: arrived("/generic", "alert.resolved"), 10), "past the margin it resolves")
resolved = arrived("/generic", "alert.resolved")
c.equal(len(resolved), 1, "one resolve")
if resolved:
    c.check(verify(resolved[0], SECRET), "the resolve is signed too")
    c.equal(json.loads(resolved[0]["body"])["data"]["state"], "resolved", "state resolved")
c.equal(alerts()[rule_a]["state"], "ok", "GET /v1/alerts: ok again")
c.check(alerts()[rule_a]["last_resolved_at"] is not None, "the resolve time is kept")
ids = [r["headers"]["webhook-id"] for r in arrived("/generic")]
c.equal(len(set(ids)), len(ids), "each notification has its own webhook-id")

# Set up now, checked at the end (they need a minute): a repeat and a no-data rule.
rule_repeat = rule({"scope": "queue:stuck", "kpi": "asa_s", "threshold": 5, "min_sample": 1,
                    "repeat_s": 60, "endpoints": [generic["id"]]})
post(calls("stuck", "stuck", answered=3, abandoned=0, wait=30))
rule_quiet = rule({"name": "Reception line silent", "scope": "queue:quiet", "no_data_minutes": 1,
                   "endpoints": [generic["id"]]})

# ---- B: Slack and Teams shapes; the test call
slack = endpoint(receiver.url + "/slack", "slack")
teams = endpoint(receiver.url + "/teams", "teams")
rule({"name": "Tax answered", "scope": "queue:tax", "kpi": "answered_pct", "threshold": 90,
      "min_sample": 5, "endpoints": [slack["id"], teams["id"]]})
post(calls("b1", "tax", answered=5, abandoned=5))
c.check(wait_until(lambda: arrived("/slack") and arrived("/teams"), 10), "Slack and Teams get it")
if arrived("/slack"):
    message = json.loads(arrived("/slack")[0]["body"])
    c.check(message["text"].startswith("Firing: Tax answered: answered_pct 50.0% (threshold 90.0%)"),
            f"Slack: a text fallback ({message['text']})")
    blocks = message.get("blocks", [])
    c.equal([b["type"] for b in blocks], ["section", "context"], "Slack: Block Kit blocks")
    c.equal(blocks[0]["text"]["type"], "mrkdwn", "Slack: mrkdwn section")
    c.check("<https://ccm.example.gov.uk/?scope=queue%3Atax|Open the dashboard>" in blocks[0]["text"]["text"],
            "Slack: a link to the dashboard")
if arrived("/teams"):
    message = json.loads(arrived("/teams")[0]["body"])
    c.equal(message["type"], "message", "Teams: a message")
    attachment = message["attachments"][0]
    c.equal(attachment["contentType"], "application/vnd.microsoft.card.adaptive", "Teams: an Adaptive Card")
    card = attachment["content"]
    c.equal((card["type"], card["version"]), ("AdaptiveCard", "1.4"), "Teams: card type and version")
    c.equal([b["type"] for b in card["body"]], ["TextBlock", "FactSet"], "Teams: text and facts")
    facts = {f["title"]: f["value"] for f in card["body"][1]["facts"]}
    c.equal((facts["Scope"], facts["Figure"], facts["Threshold"]), ("queue:tax", "50.0%", "90.0%"), "Teams: facts")
    c.equal(card["actions"][0]["type"], "Action.OpenUrl", "Teams: a button to the dashboard")
status, answer, _ = http("POST", URL + f"/v1/alert-endpoints/{generic['id']}/test", token)
c.equal(status, 202, f"test call queued ({answer})")
c.check(wait_until(lambda: arrived("/generic", "alert.test"), 10), "the test call sends a sample")
if arrived("/generic", "alert.test"):
    sample = arrived("/generic", "alert.test")[0]
    c.check(verify(sample, SECRET), "the sample is signed")
    c.equal(sample["headers"]["webhook-id"], answer.get("webhook_id"), "with the webhook id the API gave")

# ---- C: receiver down, then up: everything arrives, each id once, in order
def outbox(endpoint_id):
    """(webhook id, type, rule, delivered) of an endpoint's notifications, in order."""
    return pg.psql(f"SELECT webhook_id, type, rule_id, delivered_at IS NOT NULL FROM alert_outbox "
                   f"WHERE endpoint_id = '{endpoint_id}' ORDER BY id")



receiver.stop()
rules_c = [rule({"scope": f"queue:c{i}", "kpi": "abandoned_pct", "threshold": 10, "min_sample": 2,
                 "endpoints": [generic["id"]]}) for i in range(3)]
for i, rule_id in enumerate(rules_c):
    post(calls(f"c{i}-breach", f"c{i}", answered=2, abandoned=2))
    c.check(wait_until(lambda: alerts()[rule_id]["state"] == "firing", 10), f"c{i} fires while the receiver is down")
    if i < 2:
        post(calls(f"c{i}-fine", f"c{i}", answered=40, abandoned=0))
        c.check(wait_until(lambda: alerts()[rule_id]["state"] == "ok", 10), f"c{i} resolves while it is down")
time.sleep(3)
log = http("GET", URL + f"/v1/alert-endpoints/{generic['id']}/deliveries", token)[1]["deliveries"]
failed = [d for d in log if not d["delivered"]]
c.check(len(failed) >= 2 and all(d["retry_at"] and d["error"] for d in failed),
        f"failed attempts are logged with the reason and the next try ({failed[:2]})")
endpoint_now = http("GET", URL + f"/v1/alert-endpoints/{generic['id']}", token)[1]
c.check(endpoint_now["failing_since"] is not None and endpoint_now["pending"] >= 5,
        f"the endpoint says it is failing, with what waits ({endpoint_now})")
receiver.start()
c.check(wait_until(lambda: all(row[3] == "t" for row in outbox(generic["id"])), 60),
        "after the receiver is back every notification is delivered")
stored = outbox(generic["id"])
got = [r["headers"]["webhook-id"] for r in arrived("/generic") if r["status"] == 204]
c.equal(sorted(set(got)), sorted(row[0] for row in stored), "each notification arrived (ids after dedupe)")
c_ids = [row[0] for row in stored if row[2] in rules_c]
c_order = [i for i in got if i in c_ids]
c.equal(c_order, c_ids, "in the order they were made (firing before its resolve)")
c.equal(len(c_ids), 5, "three firings and two resolves")

# ---- D: the daemon killed while a delivery waits for its retry, and while one is in flight
receiver.mode("fail", "/generated")
rule_d = rule({"scope": "queue:d", "kpi": "abandoned_pct", "threshold": 10, "min_sample": 2,
               "endpoints": [generated["id"]]})
post(calls("d1", "d", answered=2, abandoned=2))
c.check(wait_until(lambda: len(arrived("/generated")) >= 2, 15), "deliveries fail and are retried")
daemon.kill()  # SIGKILL, mid-retry
receiver.mode("slow 1.5", "/generated")
daemon = Daemon(database=pg.dsn, extra=["--config", CONFIG])
URL = daemon.url
c.check(wait_until(lambda: len(receiver.arrivals("/generated")) > len(arrived("/generated")), 20),
        "the new daemon retries it")
daemon.kill()  # SIGKILL while that delivery is in flight
receiver.mode("ok", "/generated")
time.sleep(1.6)
daemon = Daemon(database=pg.dsn, extra=["--config", CONFIG])
URL = daemon.url
c.check(wait_until(lambda: all(row[3] == "t" for row in outbox(generated["id"])), 30),
        "a third daemon delivers it once the lease of the killed one has run out")
d_ids = {r["headers"]["webhook-id"] for r in arrived("/generated")}
c.equal(len(d_ids), 1, f"every attempt carried the same webhook-id ({d_ids})")
c.check(any(r["status"] == 204 for r in arrived("/generated")), "and one was answered 2xx")
c.check(all(verify(r, generated["secret"]) for r in arrived("/generated")),
        "each attempt signed with the generated secret, at its own timestamp")

# ---- E: Retry-After, 410, redirects
busy = endpoint(receiver.url + "/busy", secret="plain text secret")
receiver.mode("busy 3", "/busy")
http("POST", URL + f"/v1/alert-endpoints/{busy['id']}/test", token)
c.check(wait_until(lambda: arrived("/busy"), 10), "a 429 answer")
receiver.mode("ok", "/busy")
c.check(wait_until(lambda: any(r["status"] == 204 for r in arrived("/busy")), 15), "then delivered")
busy_log = arrived("/busy")
if len(busy_log) >= 2:
    c.check(busy_log[1]["at"] - busy_log[0]["at"] >= 2.9,
            f"not before Retry-After: 3 s ({busy_log[1]['at'] - busy_log[0]['at']:.2f} s)")
    c.check(verify(busy_log[1], "plain text secret"), "a secret without whsec_ signs with its own bytes")
gone = endpoint(receiver.url + "/gone")
receiver.mode("gone", "/gone")
http("POST", URL + f"/v1/alert-endpoints/{gone['id']}/test", token)
c.check(wait_until(lambda: not http("GET", URL + f"/v1/alert-endpoints/{gone['id']}", token)[1]["enabled"], 10),
        "410 Gone disables the endpoint")
gone_now = http("GET", URL + f"/v1/alert-endpoints/{gone['id']}", token)[1]
c.check("410" in (gone_now.get("disabled_reason") or ""), f"and says why ({gone_now})")
c.equal(gone_now["pending"], 1, "the notification waits, not lost")
time.sleep(2)
c.equal(len(arrived("/gone")), 1, "nothing is sent to a disabled endpoint")
receiver.mode("ok", "/gone")
c.equal(http("PATCH", URL + f"/v1/alert-endpoints/{gone['id']}", token, {"enabled": True})[0], 200, "re-enabled")
c.check(wait_until(lambda: any(r["status"] == 204 for r in arrived("/gone")), 10), "what waited is sent")
moved = endpoint(receiver.url + "/moved")
receiver.mode(f"redirect {receiver.url}/elsewhere", "/moved")
http("POST", URL + f"/v1/alert-endpoints/{moved['id']}/test", token)
c.check(wait_until(lambda: arrived("/moved"), 10), "a 302 answer")
time.sleep(1)
c.equal(arrived("/elsewhere"), [], "the redirect is not followed")
moved_log = http("GET", URL + f"/v1/alert-endpoints/{moved['id']}/deliveries", token)[1]["deliveries"]
c.check(moved_log and moved_log[-1]["status"] == 302 and not moved_log[-1]["delivered"],
        f"a redirect is a failure, logged ({moved_log[-1:]})")
http("DELETE", URL + f"/v1/alert-endpoints/{moved['id']}", token)

# ---- F: a figure oscillating around its target through an hour of traffic
osc_rule = rule({"scope": "queue:osc", "kpi": "abandoned_pct", "window": "rolling-1h", "threshold": 10,
                 "recover_margin": 2, "min_sample": 20, "endpoints": [slack["id"]]})
abandoned_total = handled_total = 0
path, expected_state, expected = [], "ok", {"fire": 0, "resolve": 0}
hour_start = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=50)
import math
for step in range(45):
    goal = 10 + 1.4 * math.sin(step * 2 * math.pi / 5) if step < 40 else 6.0
    batch = 20 if step < 40 else 60
    best = min(range(batch + 1), key=lambda a: abs(100 * (abandoned_total + a) / (handled_total + batch) - goal))
    events = []
    for n in range(batch):
        t = hour_start + datetime.timedelta(minutes=step, seconds=n)
        e = {"id": f"osc-{step}-{n}", "queue": "osc", "offered_at": iso(t),
             "outcome": "abandoned" if n < best else "answered", "ended_at": iso(t + datetime.timedelta(seconds=50))}
        if n >= best:
            e["answered_at"] = iso(t + datetime.timedelta(seconds=10))
        events.append(e)
    post(events)
    abandoned_total += best
    handled_total += batch
    figure = 100 * abandoned_total / handled_total
    path.append(figure)
    # the rule's hysteresis, computed independently of lib/alert.c
    if expected_state == "ok" and figure > 10:
        expected_state, expected["fire"] = "firing", expected["fire"] + 1
    elif expected_state == "firing" and figure <= 8:
        expected_state, expected["resolve"] = "ok", expected["resolve"] + 1
    c.check(wait_until(lambda: alerts()[osc_rule].get("sample") == handled_total, 10),
            f"step {step} evaluated ({alerts()[osc_rule]})")
crossings = sum((a > 10) != (b > 10) for a, b in zip(path, path[1:]))
c.check(crossings >= 10, f"the figure crossed its target {crossings} times")
time.sleep(1.5)
osc = [json.loads(r["body"]) for r in arrived("/slack") if "queue:osc" in r["body"]]
fires = sum(1 for m in osc if m["text"].startswith("Firing"))
resolves = sum(1 for m in osc if m["text"].startswith("Resolved"))
c.equal((fires, resolves), (expected["fire"], expected["resolve"]),
        f"fires and resolves as the hysteresis says (path {[round(p, 1) for p in path]})")
c.equal(expected, {"fire": 1, "resolve": 1}, "one firing, one resolve, for an hour of crossings")

# ---- G: opening hours
closed_day = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][
    (datetime.datetime.now(ZoneInfo("Europe/London")).weekday() + 3) % 7]
closed = rule({"scope": "queue:closed", "kpi": "abandoned_pct", "threshold": 10, "min_sample": 1,
               "opening_hours": {closed_day: "00:00-24:00"}, "endpoints": [generic["id"]]})
post(calls("closed", "closed", answered=1, abandoned=3))
c.check(wait_until(lambda: alerts()[closed].get("sample") == 4, 10), "evaluated")
c.equal((alerts()[closed]["state"], alerts()[closed]["open"]), ("ok", False),
        "no alert while the line is closed")

# ---- H: two daemons on one database: each notification once; the other takes over
second = Daemon(database=pg.dsn, extra=["--config", CONFIG])
two = endpoint(receiver.url + "/two")
rule_h = rule({"scope": "queue:h", "kpi": "abandoned_pct", "threshold": 10, "min_sample": 2,
               "endpoints": [two["id"]]}, base=second.url)
post(calls("h1", "h", answered=2, abandoned=2))
c.check(wait_until(lambda: arrived("/two"), 10), "the breach fires")
time.sleep(3)
c.equal(len(arrived("/two")), 1, "once, with two daemons evaluating")
c.equal(alerts(base=second.url)[rule_h]["state"], alerts()[rule_h]["state"], "both daemons report the same state")
daemon.kill()
URL = second.url
post(calls("h2", "h", answered=40, abandoned=0))
c.check(wait_until(lambda: arrived("/two", "alert.resolved"), 15), "the other daemon takes over and resolves it")
time.sleep(2)
c.equal(len(arrived("/two")), 2, "firing and resolve, each once")
c.check(any("event=alert.evaluating" in line for line in second.log_lines),
        "the second daemon logged that it took over")

# ---- repeat and no-data, checked now that a minute has passed
c.check(wait_until(lambda: any(json.loads(r["body"])["data"]["repeat"] for r in arrived("/generic", "alert.firing")
                               if json.loads(r["body"])["data"]["rule"] == rule_repeat), 70),
        "a breach that lasts is notified again after repeat_s")
quiet = [json.loads(r["body"]) for r in arrived("/generic") if json.loads(r["body"])["data"]["rule"] == rule_quiet]
c.check(quiet and quiet[0]["type"] == "alert.firing" and quiet[0]["data"]["kpi"] == "no_data",
        f"a queue with no contacts for no_data_minutes fires ({quiet[:1]})")
post(calls("quiet", "quiet", answered=1, abandoned=0, minutes_ago=0))
c.check(wait_until(lambda: alerts(base=URL)[rule_quiet]["state"] == "ok", 10), "a contact resolves it")

# ---- secrets: never returned after creation, never logged
logs = "\n".join(daemon.log_lines + second.log_lines)
for secret in (SECRET, generated["secret"], "plain text secret"):
    c.check(secret not in logs, "a secret is not in the logs")
listed = json.dumps(http("GET", URL + "/v1/alert-endpoints", token)[1])
c.check(SECRET not in listed and generated["secret"] not in listed, "nor in any listing")

c.equal(second.stop(), 0, "daemon exit code")

# ---- I: without webhook_allow, loopback is refused on the address connected to; an
# endpoint failing for longer than webhook_disable_after_s is disabled and says why.
strict_pg = Postgres()
strict = Daemon(database=strict_pg.dsn, extra=["--config", write_config(
    "alert_evaluate_interval_s = 1\nwebhook_retry_base_s = 1\nwebhook_disable_after_s = 3\n")])
strict_token = strict.token("council", "ingest,read,admin")
for host in ("127.0.0.1", "localhost", "[::1]"):
    inside = endpoint(f"http://{host}:{receiver.port}/inside", tok=strict_token, base=strict.url)
    http("POST", strict.url + f"/v1/alert-endpoints/{inside['id']}/test", strict_token)
    c.check(wait_until(lambda: http("GET", strict.url + f"/v1/alert-endpoints/{inside['id']}/deliveries",
                                    strict_token)[1]["deliveries"], 10), f"{host}: an attempt is logged")
    attempt = http("GET", strict.url + f"/v1/alert-endpoints/{inside['id']}/deliveries",
                   strict_token)[1]["deliveries"][-1]
    c.check("loopback address" in (attempt["error"] or "") and attempt["status"] is None,
            f"{host}: refused on the address it resolves to ({attempt['error']})")
    c.check(wait_until(lambda: not http("GET", strict.url + f"/v1/alert-endpoints/{inside['id']}",
                                        strict_token)[1]["enabled"], 15),
            f"{host}: failing past webhook_disable_after_s disables it")
    reason = http("GET", strict.url + f"/v1/alert-endpoints/{inside['id']}", strict_token)[1]["disabled_reason"]
    c.check(reason and reason.startswith("failing since") and "loopback" in reason, f"and says why ({reason})")
c.equal(receiver.arrivals("/inside"), [], "nothing reached the receiver")
c.equal(strict.stop(), 0, "daemon exit code")
strict_pg.stop()
pg.stop()
c.finish()
