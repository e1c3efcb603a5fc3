"""PostgreSQL unreachable without a reset (issue 7 point 4): PostgreSQL runs in its own
network namespace behind a veth pair and the daemon reaches it over TCP; a blackhole
route in the namespace then drops every packet back (no RST, no ICMP), as a failed
switch or firewall would. While ingest goes on, the daemon notices within 30 s
(kernel keepalives and tcp_user_timeout, which it sets by default) and answers 503 with
Retry-After instead of hanging; /healthz keeps answering within 100 ms throughout.
When the route goes, the daemon reconnects by itself (its connection attempts time out
after 10 s rather than the kernel's minutes) and every event ends stored exactly once.
Needs CAP_NET_ADMIN (network namespaces): without it, it says so and is skipped (77)."""
import http.client
import os
import subprocess
import sys
import threading
import time

from harness import Checks, Daemon, IngestLoad, Postgres

NS = f"ccm{os.getpid() % 100000}"
NET = 10 + os.getpid() % 200
HOST_IP, PG_IP = f"10.214.{NET}.1", f"10.214.{NET}.2"


def ip(*args, ns=False):
    return subprocess.run((["ip", "netns", "exec", NS] if ns else []) + ["ip"] + list(args),
                          capture_output=True, text=True)


if os.geteuid() != 0 or ip("netns", "add", NS).returncode != 0:
    print("SKIPPED: network namespaces need root with CAP_NET_ADMIN", flush=True)
    sys.exit(77)
try:
    for step in (("link", "add", f"{NS}h", "type", "veth", "peer", "name", f"{NS}n"),
                 ("link", "set", f"{NS}n", "netns", NS), ("addr", "add", f"{HOST_IP}/30", "dev", f"{NS}h"),
                 ("link", "set", f"{NS}h", "up")):
        assert ip(*step).returncode == 0, step
    for step in (("addr", "add", f"{PG_IP}/30", "dev", f"{NS}n"), ("link", "set", f"{NS}n", "up"),
                 ("link", "set", "lo", "up")):
        assert ip(*step, ns=True).returncode == 0, step

    c = Checks("partition")
    pg = Postgres(netns=NS, address=PG_IP)
    daemon = Daemon(database=pg.tcp_dsn)
    token = daemon.token("council", "ingest,read,admin")
    load = IngestLoad(daemon.url, token, "p", clients=2, batch=10, timeout=120)
    log, sent, acked = load.log, load.sent, load.acked
    stop = threading.Event()

    health = []

    def prober():
        """/healthz on one kept-alive connection (what a load balancer's checker does)."""
        connection = None
        while not stop.is_set():
            started = time.time()
            try:
                if connection is None:
                    connection = http.client.HTTPConnection("127.0.0.1", daemon.port, timeout=5)
                connection.request("GET", "/healthz")
                response = connection.getresponse()
                response.read()
                status = response.status
            except Exception:
                status, connection = None, None
            health.append((started, time.time() - started, status))
            time.sleep(0.2)

    probe = threading.Thread(target=prober)
    probe.start()
    time.sleep(2)
    c.check(len(acked) > 0, "ingest over TCP works")
    cut_at = time.time()
    c.equal(ip("route", "add", "blackhole", f"{HOST_IP}/32", ns=True).returncode, 0, "packets dropped")
    # Detected: a 503 for a request started after the cut, within 30 s of it.
    deadline = cut_at + 45
    while time.time() < deadline and not any(s > cut_at and status == 503 for s, _, status, _ in log):
        time.sleep(0.2)
    first_503 = min((e for s, e, status, _ in log if s > cut_at and status == 503), default=None)
    detected = first_503 - cut_at if first_503 else None
    c.check(detected is not None and detected <= 30, f"detected within 30 s ({detected and round(detected, 1)} s)")
    c.check(all(retry for _, _, status, retry in log if status == 503), "503s say Retry-After")
    c.check(not any(status == 200 for s, _, status, _ in log if s > cut_at + 0.5 and s < time.time() - 1),
            "no 2xx while PostgreSQL cannot answer")
    time.sleep(3)
    healed_at = time.time()
    c.equal(ip("route", "del", "blackhole", f"{HOST_IP}/32", ns=True).returncode, 0, "network back")
    deadline = healed_at + 60
    while time.time() < deadline and not any(s > healed_at and status == 200 for s, _, status, _ in log):
        time.sleep(0.2)
    back = min((e for s, e, status, _ in log if s > healed_at and status == 200), default=None)
    reconnect = back - healed_at if back else None
    c.check(reconnect is not None and reconnect <= 30, f"reconnected by itself ({reconnect and round(reconnect, 1)} s)")
    time.sleep(1)
    finished = load.finish(180)
    stop.set()
    probe.join(10)
    c.check(finished and not probe.is_alive(), "every client finished")
    slowest = max((d for s, d, _ in health), default=None)
    c.check(health and all(status == 200 for _, _, status in health), f"/healthz always 200 ({len(health)} probes)")
    c.check(slowest is not None and slowest < 0.1, f"/healthz within 100 ms throughout (slowest {slowest and round(slowest * 1000)} ms)")
    stored = {row[0] for row in pg.psql("SELECT id FROM contacts WHERE id LIKE 'p-%'")}
    c.equal(len(stored), len(sent), "every event stored")
    c.check(stored == sent == acked, "each exactly once, all acknowledged")
    print(f"  cut: 503 after {detected and round(detected, 1)} s; healed: 2xx after "
          f"{reconnect and round(reconnect, 1)} s; /healthz slowest {slowest and round(slowest * 1000)} ms"
          f" over {len(health)} probes; {len(sent)} events", flush=True)
    c.equal(daemon.stop(), 0, "daemon exit code")
    pg.stop()
finally:
    ip("link", "del", f"{NS}h")
    ip("netns", "del", NS)
c.finish()
