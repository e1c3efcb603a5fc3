"""Integration-test harness: real PostgreSQL servers, real ccmetricsd processes,
real HTTP. No mocks. Used by every tests/integration/test_*.py.

- Postgres(): initdb in a fresh temp dir and a server on a unix socket only (as
  the unprivileged user `ccmetrics` when the tests run as root, since initdb
  refuses root), stopped at exit.
- Daemon(...): ccmetricsd with --listen 127.0.0.1:0 on a DSN or the embedded
  default; waits for the readiness line and reads the bound port from it.
- http(): JSON over urllib; returns (status, parsed body, headers).
"""
import atexit
from decimal import ROUND_HALF_UP, Decimal
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

BUILD = os.environ.get("CCM_BUILD_DIR") or os.path.join(os.path.dirname(__file__), "../../build")
SOURCE = os.environ.get("CCM_SOURCE_DIR") or os.path.join(os.path.dirname(__file__), "../..")
DAEMON = os.path.join(BUILD, "daemon", "ccmetricsd")
SHARED = os.path.abspath(os.path.join(SOURCE, "..", "shared"))
IS_ROOT = os.geteuid() == 0
RUN_AS = "ccmetrics"


def pg_bindir():
    base = "/usr/lib/postgresql"
    versions = sorted((d for d in os.listdir(base) if d.isdigit()), key=int)
    return os.path.join(base, versions[-1], "bin")


def temp_dir(prefix):
    """A temp dir the unprivileged server user can traverse (0755, under /tmp)."""
    path = tempfile.mkdtemp(prefix=prefix, dir="/tmp")
    os.chmod(path, 0o755)
    atexit.register(shutil.rmtree, path, True)
    return path


def _as_server_user(argv):
    if IS_ROOT:
        return ["runuser", "-u", RUN_AS, "--"] + argv
    return argv


class Postgres:
    """A throwaway PostgreSQL server on a unix socket in a temp dir."""

    def __init__(self, netns=None, address=None, directory=None, initdb_args=(), options=""):
        """netns/address: run inside that network namespace, listening on that address
        too (TCP, trust for 10.0.0.0/8), for tests that cut the network. directory: where
        (e.g. a small file system); initdb_args, options: more for initdb and the server."""
        self.netns, self.address, self.options = netns, address, options
        self.dir = directory or temp_dir("ccm-pg-")
        self.data = os.path.join(self.dir, "data")
        self.socket_dir = self.dir
        if IS_ROOT:
            user = pwd.getpwnam(RUN_AS)
            os.chown(self.dir, user.pw_uid, user.pw_gid)
        bindir = pg_bindir()
        subprocess.run(_as_server_user([os.path.join(bindir, "initdb"), "-D", self.data, "-U",
                                        "postgres", "-A", "trust", "-E", "UTF8", "--locale=C",
                                        "--no-instructions"] + list(initdb_args)),
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.log = os.path.join(self.dir, "server.log")
        if address:
            with open(os.path.join(self.data, "pg_hba.conf"), "a") as f:
                f.write("host all all 10.0.0.0/8 trust\n")
        self.start()
        atexit.register(self.stop)
        self.psql("CREATE DATABASE ccmetrics", database="postgres")
        self.dsn = f"host={self.socket_dir} dbname=ccmetrics user=postgres"
        if address:
            self.tcp_dsn = f"host={address} port=5432 dbname=ccmetrics user=postgres"

    def start(self):
        argv = _as_server_user([os.path.join(pg_bindir(), "pg_ctl"), "-D", self.data, "-l",
                                self.log, "-w", "-o",
                                f"-k {self.socket_dir} -c listen_addresses='{self.address or ''}' "
                                f"-c fsync=on {self.options}", "start"])
        if self.netns:
            argv = ["ip", "netns", "exec", self.netns] + argv
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def kill(self):
        """SIGKILL the postmaster and every backend (a crash), as a failing machine would."""
        with open(os.path.join(self.data, "postmaster.pid")) as f:
            pid = int(f.readline())
        os.kill(pid, signal.SIGKILL)
        for proc in os.listdir("/proc"):
            try:
                if proc.isdigit() and open(f"/proc/{proc}/stat").read().split(") ")[1].split()[1] == str(pid):
                    os.kill(int(proc), signal.SIGKILL)
            except (OSError, IndexError):
                pass
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                os.kill(pid, 0)
                time.sleep(0.05)
            except OSError:
                break

    def stop(self):
        subprocess.run(_as_server_user([os.path.join(pg_bindir(), "pg_ctl"), "-D", self.data,
                                        "-m", "fast", "-w", "stop"]),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def psql(self, sql, database="ccmetrics"):
        """Run SQL; return rows as lists of strings (unaligned, tab-separated)."""
        out = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1",
                              "-h", self.socket_dir, "-U", "postgres", "-d", database, "-c", sql],
                             check=True, capture_output=True, text=True)
        return [line.split("\t") for line in out.stdout.splitlines() if line != ""]


class Daemon:
    """A real ccmetricsd process."""

    def __init__(self, database=None, data_dir=None, extra=(), env=None, wait_ready=True):
        self.data_dir = data_dir or temp_dir("ccm-data-")
        self.database = database
        args = [DAEMON, "--listen", "127.0.0.1:0", "--data-dir", self.data_dir, "--log-level", "info"]
        if database:
            args += ["--database", database]
        args += list(extra)
        self.log_lines = []
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True, env=env)
        self.port = None
        ready = threading.Event()

        def reader():
            for line in self.proc.stderr:
                self.log_lines.append(line.rstrip("\n"))
                if os.environ.get("CCM_TEST_VERBOSE"):
                    sys.stderr.write("  daemon| " + line)
                m = re.search(r"event=daemon\.ready .*port=(\d+)", line)
                if m:
                    self.port = int(m.group(1))
                    ready.set()
            ready.set()

        self.reader = threading.Thread(target=reader, daemon=True)
        self.reader.start()
        if not ready.wait(180) or self.port is None:
            self.kill()
            raise RuntimeError("ccmetricsd did not become ready:\n" + "\n".join(self.log_lines[-40:]))
        self.url = f"http://127.0.0.1:{self.port}"
        atexit.register(self.kill)
        if wait_ready:
            self.wait_ready()

    def wait_ready(self, timeout=60):
        """Poll GET /readyz until 200 (the readiness line may come before the database
        connections are up); returns True when ready."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if http("GET", self.url + "/readyz", timeout=10)[0] == 200:
                    return True
            except Exception:
                pass
            if self.proc.poll() is not None:
                return False
            time.sleep(0.1)
        return False

    def token(self, tenant, scopes="ingest,read,admin", extra=()):
        args = [DAEMON, "token", "create", "--data-dir", self.data_dir, "--tenant", tenant,
                "--scopes", scopes] + list(extra)
        if self.database:
            args += ["--database", self.database]
        out = subprocess.run(args, capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            raise RuntimeError("token create failed: " + out.stderr)
        return out.stdout.strip().splitlines()[-1]

    def token_command(self):
        """A shell command for conformance/run.py's --token-cmd."""
        cmd = f"{DAEMON} token create --data-dir {self.data_dir} --tenant {{tenant}} --scopes ingest,read,admin"
        if self.database:
            cmd += f" --database '{self.database}'"
        return cmd

    def stop(self, sig=signal.SIGTERM, timeout=60):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise RuntimeError("ccmetricsd did not stop within %ss" % timeout)
        self.reader.join(10)
        return self.proc.returncode

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def fetch(url, token, timeout=60):
    """GET the bytes of a non-JSON answer (CSV, HTML, a workbook): (status, headers, bytes)."""
    req = urllib.request.Request(url, headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.status, dict(r.headers), r.read()


def http(method, url, token=None, body=None, ctype="application/json", timeout=60, headers=None):
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    if data is not None:
        req.add_header("Content-Type", ctype)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw = r.read()
            return r.status, (json.loads(raw) if raw.strip() else None), dict(r.headers)
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw), dict(e.headers)
        except ValueError:
            return e.code, raw.decode(errors="replace"), dict(e.headers)


class Checks:
    """Counts checks; prints failures; ends with 'N passed, M failed'."""

    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0

    def check(self, cond, what):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL {self.name}: {what}", flush=True)
        return cond

    def equal(self, got, want, what):
        return self.check(got == want, f"{what}: got {got!r}, want {want!r}")

    def near(self, got, want, what, rel=1e-9):
        ok = (got is None and want is None) or (
            got is not None and want is not None and abs(got - want) <= rel * max(1.0, abs(want)))
        return self.check(ok, f"{what}: got {got!r}, want {want!r}")

    def finish(self):
        print(f"{self.name}: {self.passed} passed, {self.failed} failed", flush=True)
        sys.exit(1 if self.failed or not self.passed else 0)


# ---- helpers shared by the integration tests (additions; the API above is unchanged) ----


def write_config(text):
    """A config file (`key = value` lines) in a temp dir; returns its path."""
    path = os.path.join(temp_dir("ccm-conf-"), "ccmetricsd.conf")
    with open(path, "w") as f:
        f.write(text)
    return path


def half_away(value, decimals):
    """The KPI definitions' display rounding: half away from zero on the decimal figure, so
    a tie stored just under it in binary (12.35 is 12.3499... as a double) rounds as the
    tie it stands for (lib/kpi.c kpi_round_half_away)."""
    exact = Decimal(value).quantize(Decimal(1).scaleb(-decimals - 9), ROUND_HALF_UP)
    return exact.quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)


def shown_places(value, decimals):
    """A figure as exports show it, to `decimals` places (half_away)."""
    return str(half_away(value, decimals))


def url_with(base, path, **params):
    """base + path + ?query, every value percent-encoded ('+' in offsets too); a list
    value repeats its key."""
    query = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None}, doseq=True)
    return base + path + ("?" + query if query else "")


def post_events(url, token, events, ndjson=False, timeout=120):
    """POST /v1/events: a dict (one object), a list (array) or, with ndjson, NDJSON lines."""
    if ndjson:
        body = "".join(json.dumps(e) + "\n" for e in events).encode()
        return http("POST", url + "/v1/events", token, body, ctype="application/x-ndjson",
                    timeout=timeout)
    return http("POST", url + "/v1/events", token, events, timeout=timeout)


def get_kpis(url, token, scope, period=None, channel=None, **params):
    return http("GET", url_with(url, "/v1/kpis", scope=scope, period=period, channel=channel,
                                **params), token)


def run_cli(args, timeout=300):
    """Run `ccmetricsd ARGS`; returns the CompletedProcess (text)."""
    return subprocess.run([DAEMON] + list(args), capture_output=True, text=True, timeout=timeout)


def psql_at(socket_dir, sql, user="ccmetrics", database="ccmetrics", port=5432):
    """Run SQL on a server listening on a unix socket in socket_dir (e.g. the embedded
    server's DATA_DIR/run); rows as lists of strings."""
    out = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1",
                          "-h", socket_dir, "-p", str(port), "-U", user, "-d", database,
                          "-c", sql], check=True, capture_output=True, text=True, timeout=60)
    return [line.split("\t") for line in out.stdout.splitlines() if line != ""]


def processes_using(directory):
    """PIDs whose command line names `directory` or whose working directory is inside it
    (PostgreSQL backends rewrite their command line but keep the data dir as cwd)."""
    real = os.path.realpath(directory)
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    continue  # a zombie holds nothing
        except (OSError, IndexError):
            continue
        cwd = ""
        try:
            cwd = os.readlink(f"/proc/{entry}/cwd")
        except OSError:
            pass
        if real in cmdline or directory in cmdline or cwd == real or cwd.startswith(real + "/"):
            found.append(int(entry))
    return found


def wait_until(predicate, timeout, step=0.2):
    """Poll predicate() until it is truthy or timeout seconds pass; returns its last value."""
    deadline = time.time() + timeout
    while True:
        value = predicate()
        if value or time.time() >= deadline:
            return value
        time.sleep(step)


class SseStream:
    """A Server-Sent Events client on a plain socket."""

    def __init__(self, port, scope, tok, read=True, channel=None):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        path = url_with("", "/v1/live/stream", scope=scope, channel=channel)
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n"
                           f"Authorization: Bearer {tok}\r\n\r\n").encode())
        self.buffer = b""
        self.status = None
        if read:
            self._read_headers()

    def _fill(self, deadline):
        self.sock.settimeout(max(0.01, deadline - time.time()))
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return False
        if not data:
            raise EOFError("stream closed")
        self.buffer += data
        return True

    def _read_headers(self):
        deadline = time.time() + 10
        while b"\r\n\r\n" not in self.buffer and time.time() < deadline:
            self._fill(deadline)
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        self.status = int(head.split(b" ")[1])
        self.headers = head.decode()

    def next_snapshot(self, timeout=5):
        """The data of the next `event: live` (chunked framing stripped), or None."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            text = self.buffer.decode(errors="replace")
            start = text.find("event: live\ndata: ")
            if start >= 0:
                end = text.find("\n\n", start)
                if end >= 0:
                    data = text[start + len("event: live\ndata: "):end]
                    self.buffer = text[end + 2:].encode()
                    return json.loads(data)
            if not self._fill(deadline):
                break
        return None

    def wait_for(self, predicate, timeout=5):
        deadline = time.time() + timeout
        while time.time() < deadline:
            snap = self.next_snapshot(deadline - time.time())
            if snap is not None and predicate(snap):
                return snap, time.time()
        return None, time.time()

    def close(self):
        self.sock.close()


def free_port():
    """A TCP port nobody listens on now (for a process that must bind it later)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver:
    """A real webhook receiver process on loopback (webhook_receiver.py): every request
    it gets is a JSON line in its log; how it answers is set with mode()."""

    def __init__(self, port=None):
        self.dir = temp_dir("ccm-receiver-")
        os.chmod(self.dir, 0o755)
        self.port = port or free_port()
        self.log = os.path.join(self.dir, "requests.jsonl")
        self.mode_file = os.path.join(self.dir, "mode")
        self.modes = {}
        self.mode("ok")
        self.proc = None
        self.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "webhook_receiver.py")
        self.proc = subprocess.Popen([sys.executable, script, str(self.port), self.log,
                                      self.mode_file], stdout=subprocess.PIPE, text=True)
        self.proc.stdout.readline()  # "listening"
        atexit.register(self.stop)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def mode(self, text, path="*"):
        """How to answer requests for `path` (all others: the "*" mode)."""
        self.modes[path] = text
        with open(self.mode_file + ".new", "w") as f:
            json.dump(self.modes, f)
        os.replace(self.mode_file + ".new", self.mode_file)

    def arrivals(self, path=None):
        try:
            with open(self.log + ".arrivals") as f:
                found = [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            return []
        return [r for r in found if path is None or r["path"] == path]

    def requests(self, path=None):
        try:
            with open(self.log) as f:
                found = [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            return []
        return [r for r in found if path is None or r["path"] == path]


class IngestLoad:
    """Client threads that post batches of new calls while running, each batch retried
    (every non-2xx, and on a refused or dropped connection) until it is stored or the
    load is stopped: the client the fault tests need. `log` has (started, ended,
    status, Retry-After) per answer; `sent` every id posted, `acked` every id in a 2xx."""

    def __init__(self, url, token, prefix, clients=2, batch=20, extra=None, timeout=60):
        self.url, self.token, self.prefix = url, token, prefix
        self.batch, self.extra, self.timeout = batch, extra or {}, timeout
        self.log, self.sent, self.acked = [], set(), set()
        self.lock = threading.Lock()
        self.more, self.stop = threading.Event(), threading.Event()
        self.more.set()
        self.threads = [threading.Thread(target=self._client, args=(k,)) for k in range(clients)]
        for t in self.threads:
            t.start()

    def _client(self, k):
        b = 0
        while self.more.is_set():
            events = [dict({"id": f"{self.prefix}-{k}-{b}-{n}", "queue": "bins", "outcome": "answered",
                            "offered_at": "2026-11-03T10:00:00Z", "answered_at": "2026-11-03T10:00:09Z"},
                           **self.extra) for n in range(self.batch)]
            b += 1
            with self.lock:
                self.sent.update(e["id"] for e in events)
            while not self.stop.is_set():
                started = time.time()
                try:
                    status, _, headers = post_events(self.url, self.token, events, timeout=self.timeout)
                    retry = headers.get("Retry-After")
                except Exception:  # refused or dropped: the daemon or its database is away
                    status, retry = None, None
                with self.lock:
                    self.log.append((started, time.time(), status, retry))
                if status == 200:
                    with self.lock:
                        self.acked.update(e["id"] for e in events)
                    break
                time.sleep(0.1 if retry is None else min(float(retry), 1) / 4)

    def finish(self, timeout=120):
        """No new batches; wait for the ones started. True when every client ended."""
        self.more.clear()
        for t in self.threads:
            t.join(timeout)
        return not any(t.is_alive() for t in self.threads)

    def abandon(self, timeout=60):
        """Stop retrying as well (the daemon is gone for good)."""
        self.more.clear()
        self.stop.set()
        for t in self.threads:
            t.join(timeout)
        return not any(t.is_alive() for t in self.threads)
