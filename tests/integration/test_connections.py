"""Slow clients and 10,000 idle connections (issue 7 point 4) against a real ccmetricsd:
while 10,000 connections sit idle, other clients are served (health within 100 ms,
ingest and reads as usual) and the daemon's memory grows by a bounded amount per
connection; a client sending its headers a byte a second (slowloris) and the idle
connections are closed by the daemon once http_timeout_s has passed, and the daemon
serves on."""
import datetime
import resource
import socket
import time

from harness import Checks, Daemon, Postgres, http, post_events, wait_until, write_config

IDLE = 10000
c = Checks("connections")
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
pg = Postgres()
daemon = Daemon(database=pg.dsn, extra=["--config", write_config("http_timeout_s = 8\n")])
token = daemon.token("council", "ingest,read,admin")


def rss_mib():
    status = open(f"/proc/{daemon.proc.pid}/status").read()
    return int(status.split("VmRSS:")[1].split()[0]) / 1024


def limit_of(pid):
    for line in open(f"/proc/{pid}/limits"):
        if line.startswith("Max open files"):
            return int(line.split()[3])
    return 0


wanted = min(IDLE, hard - 200)
c.check(limit_of(daemon.proc.pid) >= min(hard, wanted + 100),
        f"the daemon took the hard file limit ({limit_of(daemon.proc.pid)})")
before = rss_mib()
idle = []
started = time.time()
for _ in range(wanted):
    s = socket.socket()
    s.setblocking(True)
    s.connect(("127.0.0.1", daemon.port))
    idle.append(s)
opened_s = time.time() - started
time.sleep(1)
slowest = 0
for _ in range(20):
    t = time.time()
    c.equal(http("GET", daemon.url + "/healthz")[0], 200, "health while idle connections are open")
    slowest = max(slowest, time.time() - t)
c.check(slowest < 0.1, f"health within 100 ms ({slowest * 1000:.0f} ms)")
now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
events = [{"id": f"c-{n}", "queue": "bins", "offered_at": (now - datetime.timedelta(minutes=1)).isoformat(),
           "outcome": "answered", "answered_at": now.isoformat()} for n in range(100)]
c.equal(post_events(daemon.url, token, events)[0], 200, "ingest while idle connections are open")
c.equal(http("GET", daemon.url + "/v1/kpis?scope=tenant&period=today", token)[0], 200, "reads too")
after = rss_mib()
per_connection_kib = (after - before) * 1024 / wanted
c.check(per_connection_kib < 16, f"memory per idle connection {per_connection_kib:.1f} KiB "
        f"({before:.1f} -> {after:.1f} MiB for {wanted})")

# 100 slow clients: request headers a byte at a time (slowloris). Each costs the daemon
# a connection and no more: other clients are served as before.
slow = [socket.create_connection(("127.0.0.1", daemon.port)) for _ in range(100)]
request = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"y" * 40
slowest_meanwhile = 0
for i in range(25):
    for s in slow:
        s.send(request[i:i + 1])
    t = time.time()
    c.equal(http("GET", daemon.url + "/healthz")[0], 200, "health while slow clients trickle")
    slowest_meanwhile = max(slowest_meanwhile, time.time() - t)
    time.sleep(0.1)
c.check(slowest_meanwhile < 0.1, f"others served within 100 ms meanwhile ({slowest_meanwhile * 1000:.0f} ms)")
c.equal(post_events(daemon.url, token, [dict(e, id="s" + e["id"]) for e in events])[0], 200,
        "ingest meanwhile")
for s in slow:
    s.close()


def idle_closed():
    closed = 0
    for s in idle[:200]:
        s.setblocking(False)
        try:
            closed += s.recv(1) == b""
        except BlockingIOError:
            pass
        except OSError:
            closed += 1
    return closed == 200


c.check(wait_until(idle_closed, 15), "idle connections are closed after http_timeout_s")
for s in idle:
    s.close()
c.equal(http("GET", daemon.url + "/healthz")[0], 200, "the daemon serves on")
print(f"  {wanted} idle connections opened in {opened_s:.1f} s: RSS {before:.1f} -> {after:.1f} MiB"
      f" ({per_connection_kib:.1f} KiB each); health slowest {slowest * 1000:.0f} ms, with 100"
      f" slow clients {slowest_meanwhile * 1000:.0f} ms", flush=True)
c.equal(daemon.stop(), 0, "daemon exit code")
pg.stop()
c.finish()
