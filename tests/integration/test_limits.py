"""Limits against abuse (issue 7 point 5) and reloading them (point 2), hammered on a
real ccmetricsd: a token over its rate gets 429 with Retry-After (another token is not
affected, and the first is served again after the wait); request bodies and headers over
their limits are refused without harm; SIGHUP applies new rate limits, keeps the old
configuration when the new one is invalid, and names what needs a restart."""
import json
import os
import signal
import socket
import time

from harness import Checks, Daemon, Postgres, http, wait_until, write_config

c = Checks("limits")
pg = Postgres()
config = write_config("rate_limit_per_s = 5\nrate_limit_burst = 10\nmax_body_bytes = 2048\n"
                      "max_header_bytes = 2048\n")
daemon = Daemon(database=pg.dsn, extra=["--config", config])
one = daemon.token("council", "ingest,read,admin")
two = daemon.token("council", "read")
URL = daemon.url


def hammer(token, count):
    return [http("GET", URL + "/v1/queues", token) for _ in range(count)]


answers = hammer(one, 30)
codes = [a[0] for a in answers]
first_refusal = codes.index(429) if 429 in codes else None
c.check(first_refusal is not None and 10 <= first_refusal <= 12, f"a burst of 10 goes, then 429 ({codes})")
refused = [a for a in answers if a[0] == 429]
c.check(all(a[1]["error"]["code"] == "rate_limited" for a in refused), "the error says rate_limited")
retry = [int(a[2]["Retry-After"]) for a in refused]
c.check(all(r >= 1 for r in retry), f"with Retry-After in seconds ({set(retry)})")
c.equal(http("GET", URL + "/v1/queues", two)[0], 200, "another token is not affected")
time.sleep(max(retry))
c.equal(http("GET", URL + "/v1/queues", one)[0], 200, "served again after Retry-After")
c.equal(http("GET", URL + "/healthz")[0], 200, "health is never limited")

# body and header limits
status, body, _ = http("POST", URL + "/v1/events", one, [{"id": "x" * 100}] * 25)
c.equal((status, isinstance(body, dict) and body.get("error", {}).get("code")), (413, "body_too_large"),
        f"a body over the limit: 413 in JSON ({str(body)[:80]})")
status, body, _ = http("POST", URL + "/v1/events", one, [{"id": "x" * 100}] * 60)
c.equal(status, 413, "a body over twice the limit: cut off by libevent, 413")


def raw(request):
    with socket.create_connection(("127.0.0.1", daemon.port), timeout=10) as s:
        s.sendall(request)
        try:
            return s.recv(4096)
        except (ConnectionResetError, socket.timeout):
            return b""


answer = raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"y" * 8192 + b"\r\n\r\n")
c.check(answer == b"" or answer.split(b" ")[1] in (b"400", b"413", b"431"),
        f"headers over the limit are refused ({answer[:40]!r})")
c.equal(http("GET", URL + "/healthz")[0], 200, "and the daemon serves on")

# reload: new limits apply, an invalid file keeps the old ones, restart-only settings named
with open(config, "w") as f:
    f.write("rate_limit_per_s = 1000\nrate_limit_burst = 1000\nmax_body_bytes = 2048\n"
            "max_header_bytes = 2048\nlisten = 127.0.0.1:1\n")
daemon.proc.send_signal(signal.SIGHUP)
c.check(wait_until(lambda: any("event=config.reloaded" in l for l in daemon.log_lines), 5), "reloaded")
line = next(l for l in daemon.log_lines if "event=config.reloaded" in l)
c.check("rate_limit_per_s=1000" in line and "restart_needed=listen" in line,
        f"the new limits apply; listen needs a restart ({line})")
c.check(all(a[0] == 200 for a in hammer(one, 40)), "40 requests at once now go")
# the token cache is emptied on reload: a token revoked in the database stops at once
c.equal(http("GET", URL + "/v1/queues", two)[0], 200, "the read token, cached")
pg.psql("UPDATE api_tokens SET revoked_at = now() WHERE scopes = ARRAY['read']")
c.equal(http("GET", URL + "/v1/queues", two)[0], 200, "a revoked token still cached")
daemon.proc.send_signal(signal.SIGHUP)
c.check(wait_until(lambda: http("GET", URL + "/v1/queues", two)[0] == 401, 5),
        "after SIGHUP the revoked token is refused")
with open(config, "w") as f:
    f.write("rate_limit_per_s = lots\n")
daemon.proc.send_signal(signal.SIGHUP)
c.check(wait_until(lambda: any("event=config.reload_failed" in l for l in daemon.log_lines), 5),
        "an invalid file is refused")
failed = next(l for l in daemon.log_lines if "event=config.reload_failed" in l)
c.check("rate_limit_per_s" in failed and "action=kept_old_config" in failed, f"and says why ({failed})")
c.check(all(a[0] == 200 for a in hammer(one, 40)), "the old (reloaded) limits stay")
c.equal(daemon.stop(), 0, "daemon exit code")

# The connection limit: over max_connections accepting pauses; connected clients are
# served on; when connections go, accepting resumes.
from http import client as http_client  # noqa: E402
daemon = Daemon(database=pg.dsn, extra=["--config", write_config("max_connections = 300\n")])
URL = daemon.url
kept = http_client.HTTPConnection("127.0.0.1", daemon.port, timeout=10)
kept.request("GET", "/healthz")
kept.getresponse().read()
idle = []
for _ in range(10):
    for _ in range(100):
        idle.append(socket.create_connection(("127.0.0.1", daemon.port)))
    time.sleep(0.3)
descriptors = len(os.listdir(f"/proc/{daemon.proc.pid}/fd"))
c.check(descriptors <= 300 + 100 + 20, f"descriptors bounded near max_connections ({descriptors} for 1,000 clients)")
kept.request("GET", "/metrics")
metrics = kept.getresponse().read().decode()
c.check("ccmetrics_accept_paused 1" in metrics, "a client already connected is served, and sees the pause")
c.check(any("event=http.accept_paused" in l for l in daemon.log_lines), "the pause is logged")
for s in idle:
    s.close()
c.check(wait_until(lambda: http("GET", URL + "/healthz", timeout=5)[0] == 200, 10), "new clients served again")
c.check(any("event=http.accept_resumed" in l for l in daemon.log_lines), "the resume is logged")
c.equal(daemon.stop(), 0, "daemon exit code")
pg.stop()
c.finish()
