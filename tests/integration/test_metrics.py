"""GET /metrics of a real ccmetricsd in the Prometheus text format (issue 7 point 3):
every line parses (HELP and TYPE before samples, histogram buckets cumulative and
ending in +Inf = _count), and the numbers follow what happened: contacts accepted and
duplicated, rejected requests, request durations per route, database pools up with
their latency, SSE clients while a stream is open, webhook outcomes, the outbox backlog,
build info."""
import re
import time
import urllib.request

from harness import Checks, Daemon, Postgres, Receiver, SseStream, http, post_events, wait_until, write_config

c = Checks("metrics")
pg = Postgres()
receiver = Receiver()
daemon = Daemon(database=pg.dsn, extra=["--config", write_config("webhook_allow = 127.0.0.1\n")])
token = daemon.token("council", "ingest,read,admin")
URL = daemon.url
LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*"'
                  r'(,[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*")*)\})? (-?[0-9.e+-]+|\+Inf|NaN)$')


def scrape():
    with urllib.request.urlopen(URL + "/metrics") as response:
        c.equal(response.headers["Content-Type"], "text/plain; version=0.0.4; charset=utf-8", "content type")
        text = response.read().decode()
    samples, types, bad = {}, {}, []
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            types[name] = kind
            continue
        m = LINE.match(line)
        if not m:
            bad.append(line)
            continue
        name = m.group(1)
        family = re.sub(r"_(bucket|sum|count)$", "", name) if name not in types else name
        if family not in types:
            bad.append("no TYPE before " + line)
        samples[(name, m.group(3) or "")] = float(m.group(7))
    c.equal(bad, [], "every line is the Prometheus text format")
    return samples, types


def value(samples, name, labels=""):
    return samples.get((name, labels))


events = [{"id": f"m-{n}", "queue": "bins", "offered_at": "2026-11-02T10:00:00Z", "outcome": "answered",
           "answered_at": "2026-11-02T10:00:10Z"} for n in range(5)]
c.equal(post_events(URL, token, events)[0], 200, "five calls")
c.equal(post_events(URL, token, events[:2])[0], 200, "two again (duplicates)")
c.equal(post_events(URL, token, [{"id": "bad"}])[0], 422, "a bad request")
stream = SseStream(daemon.port, "queue:bins", token)
stream.next_snapshot()
ep = http("POST", URL + "/v1/alert-endpoints", token, {"url": receiver.url + "/m"})[1]
http("POST", URL + f"/v1/alert-endpoints/{ep['id']}/test", token)
c.check(wait_until(lambda: receiver.requests("/m"), 10), "a webhook delivered")
time.sleep(0.3)
samples, types = scrape()
c.equal(value(samples, "ccmetrics_build_info", 'version="0.1.0"'), 1.0, "build info")
c.equal(value(samples, "ccmetrics_ingested_events_total", 'result="accepted"'), 5.0, "accepted")
c.equal(value(samples, "ccmetrics_ingested_events_total", 'result="duplicate"'), 2.0, "duplicates")
c.equal(value(samples, "ccmetrics_ingest_requests_total", 'result="rejected"'), 1.0, "rejected requests")
c.equal(types.get("ccmetrics_http_request_duration_seconds"), "histogram", "request durations: a histogram")
route = 'route="POST /v1/events"'
c.equal(value(samples, "ccmetrics_http_request_duration_seconds_count", route), 3.0, "three POST /v1/events")
c.equal(value(samples, "ccmetrics_http_request_duration_seconds_bucket", route + ',le="+Inf"'), 3.0,
        "+Inf bucket = count")
buckets = sorted((float(k[1].split('le="')[1][:-1]) if "+Inf" not in k[1] else float("inf"), v)
                 for k, v in samples.items()
                 if k[0] == "ccmetrics_http_request_duration_seconds_bucket" and k[1].startswith(route))
c.check(all(a[1] <= b[1] for a, b in zip(buckets, buckets[1:])), "buckets are cumulative")
c.equal(value(samples, "ccmetrics_http_responses_total", route + ',code="4xx"'), 1.0, "one 4xx reply")
c.equal(value(samples, "ccmetrics_http_responses_total", route + ',code="2xx"'), 2.0, "two 2xx replies")
c.equal(value(samples, "ccmetrics_db_connections_up", 'pool="writer"'), 2.0, "writer pool up")
c.check((value(samples, "ccmetrics_db_connections_up", 'pool="readers"') or 0) >= 1, "readers up")
c.check((value(samples, "ccmetrics_db_request_duration_seconds_count", 'pool="writer"') or 0) >= 2 and
        (value(samples, "ccmetrics_db_request_duration_seconds_sum", 'pool="writer"') or 0) > 0,
        "writer latency observed (two transactions at least: the 422 never reached it)")
c.equal(value(samples, "ccmetrics_sse_clients"), 1.0, "one SSE client")
c.equal(value(samples, "ccmetrics_webhook_deliveries_total", 'outcome="delivered"'), 1.0, "a delivery")
c.equal(value(samples, "ccmetrics_outbox_backlog"), 0.0, "nothing waiting in the outbox")
c.equal(value(samples, "ccmetrics_database_up"), 1.0, "the database answers")
stream.close()
receiver.stop()
http("POST", URL + f"/v1/alert-endpoints/{ep['id']}/test", token)
c.check(wait_until(lambda: (value(scrape()[0], "ccmetrics_webhook_deliveries_total", 'outcome="failed"') or 0) >= 1, 10),
        "a failed delivery is counted")
c.check(wait_until(lambda: value(scrape()[0], "ccmetrics_sse_clients") == 0.0, 5), "the stream is gone")
c.equal(value(scrape()[0], "ccmetrics_outbox_backlog"), 1.0, "the backlog while the receiver is down")
c.equal(daemon.stop(), 0, "daemon exit code")
pg.stop()
c.finish()
