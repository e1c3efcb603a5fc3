"""The embedded default (no --database): ccmetricsd initialises and runs its own
PostgreSQL under the data directory, on a unix socket only; migrations are
applied once; data survives restarts; SIGTERM stops both; a killed server is
restarted; a killed daemon does not leave its server running."""
import glob
import os
import signal
import threading
import time

from harness import (SOURCE, Checks, Daemon, get_kpis, http, post_events, processes_using,
                     psql_at, temp_dir, wait_until)

c = Checks("embedded")
started = time.time()
data_dir = temp_dir("ccm-emb-")
cluster = os.path.join(data_dir, "postgresql")
socket_dir = os.path.join(data_dir, "run")
MONTH = "2026-06"


def sql(query):
    return psql_at(socket_dir, query)


def call(n, prefix="e"):
    return {"id": f"{prefix}-{n}", "queue": "emb", "offered_at": f"2026-06-10T09:{n % 60:02d}:00Z",
            "answered_at": f"2026-06-10T09:{n % 60:02d}:30Z", "outcome": "answered"}


def offered(token):
    status, body, _ = get_kpis(daemon.url, token, "queue:emb", MONTH)
    if status != 200:
        return f"status {status}"
    return (body.get("kpis", {}).get("offered") or {}).get("value")


def postmaster_pid():
    try:
        with open(os.path.join(cluster, "postmaster.pid")) as f:
            return int(f.readline())
    except (OSError, ValueError):
        return None


def listening_tcp_inodes():
    inodes = set()
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                next(f)
                for line in f:
                    parts = line.split()
                    if parts[3] == "0A":  # LISTEN
                        inodes.add(parts[9])
        except OSError:
            pass
    return inodes


def tcp_listeners_of(pids):
    listening = listening_tcp_inodes()
    found = []
    for pid in pids:
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith("socket:[") and target[8:-1] in listening:
                    found.append((pid, target))
        except OSError:
            pass
    return found


def stop_and_check(d, what):
    t0 = time.time()
    try:
        code = d.stop(signal.SIGTERM, timeout=30)
    except RuntimeError as e:
        code = str(e)
    c.equal(code, 0, f"{what}: daemon exit code after SIGTERM")
    left = wait_until(lambda: not processes_using(cluster), 30 - min(30, time.time() - t0))
    c.check(left, f"{what}: PostgreSQL processes of the data dir still running "
                  f"{time.time() - t0:.1f}s after SIGTERM: {processes_using(cluster)}")
    c.check(time.time() - t0 <= 30, f"{what}: stopping took {time.time() - t0:.1f}s (limit 30 s)")


# ---- as root, a data dir the server user cannot reach is refused clearly ---------------------
if os.geteuid() == 0:
    import subprocess  # noqa: E402
    from harness import DAEMON  # noqa: E402
    locked = temp_dir("ccm-locked-")
    os.chmod(locked, 0o700)
    out = subprocess.run([DAEMON, "--data-dir", os.path.join(locked, "data"), "--listen",
                          "127.0.0.1:0"], capture_output=True, text=True, timeout=120)
    c.check(out.returncode != 0 and "cannot enter" in out.stderr and locked in out.stderr,
            f"a data dir under a 0700 directory: exit {out.returncode}, a message naming it "
            f"({out.stderr.strip()[-300:]!r})")

# ---- first start: a fresh data dir is initialised ------------------------------------------
daemon = Daemon(data_dir=data_dir)
c.check(os.path.isfile(os.path.join(cluster, "PG_VERSION")),
        f"{cluster}/PG_VERSION exists after the first start")
c.check(os.path.exists(os.path.join(socket_dir, ".s.PGSQL.5432")),
        f"{socket_dir}/.s.PGSQL.5432 (the server's unix socket) exists")
c.equal(sql("SELECT quote_literal(current_setting('listen_addresses'))"), [["''"]],
        "the running server's listen_addresses")
pids = processes_using(cluster)
c.check(pids, "PostgreSQL processes of the data dir are found while the daemon runs")
c.equal(tcp_listeners_of(pids), [], "TCP sockets listened on by the embedded server")
if os.geteuid() == 0:
    owners = {os.stat(f"/proc/{p}").st_uid for p in pids if os.path.exists(f"/proc/{p}")}
    c.check(0 not in owners, f"the embedded server does not run as root (uids {owners})")

token = daemon.token("emb")  # while the daemon runs
c.check(token and " " not in token, f"token create printed a token as its last line: {token!r}")
status, body, _ = post_events(daemon.url, token, [call(n) for n in range(5)])
c.equal((status, body), (200, {"accepted": 5, "duplicates": 0}), "POST 5 events")
c.equal(offered(token), 5, "offered after the first POST")
# Only the token's SHA-256 is stored; the token itself appears nowhere in the table.
import hashlib  # noqa: E402
stored = sql("SELECT encode(token_hash, 'hex'), api_tokens::text FROM api_tokens")
c.check([hashlib.sha256(token.encode()).hexdigest()] in [[row[0]] for row in stored],
        "api_tokens holds the SHA-256 of the token")
c.check(all(token not in row[1] for row in stored), "the token itself is not stored")
# Callers are pseudonymised before storage (keyed hash), never stored in clear.
status, _, _ = post_events(daemon.url, token, [dict(call(900), caller="+447700900123", queue="emb-caller")])
c.equal(status, 200, "POST a call with a caller")
row = sql("SELECT caller_hash FROM contacts WHERE id = 'e-900'")
c.check(row and len(row[0][0]) == 64 and "447700900123" not in row[0][0],
        f"the caller is stored as a 64-hex-digit keyed hash ({row})")
c.check(not sql("SELECT 1 FROM contacts WHERE contacts::text LIKE '%447700900123%'"),
        "the caller's number appears nowhere in contacts")
import hmac  # noqa: E402
key = bytes.fromhex(sql("SELECT encode(caller_key, 'hex') FROM tenants WHERE name = 'emb'")[0][0])
c.equal(row[0][0] if row else None,
        hmac.new(key, b"+447700900123", hashlib.sha256).hexdigest(),
        "the pseudonym is HMAC-SHA256 of the caller with the tenant's key (Python's hmac)")

n_migrations = len(glob.glob(os.path.join(SOURCE, "sql", "*.sql")))
migrations = sql("SELECT version, name, applied_at FROM schema_migrations ORDER BY version")
c.equal(len(migrations), n_migrations, f"schema_migrations rows ({migrations})")
c.equal(len({m[0] for m in migrations}), len(migrations), "schema_migrations versions distinct")

stop_and_check(daemon, "first stop")

# ---- two restarts: same data, migrations not re-applied -------------------------------------
for restart in (1, 2):
    daemon = Daemon(data_dir=data_dir)
    c.equal(offered(token), 5 if restart == 1 else 8, f"restart {restart}: offered (data survived)")
    c.equal(sql("SELECT version, name, applied_at FROM schema_migrations ORDER BY version"),
            migrations, f"restart {restart}: schema_migrations unchanged")
    if restart == 1:
        status, body, _ = post_events(daemon.url, token, [call(n) for n in range(3, 8)])
        c.equal((status, body), (200, {"accepted": 3, "duplicates": 2}),
                "restart 1: POST 5 events of which 2 are stored already")
        stop_and_check(daemon, "restart 1 stop")

# ---- the server is killed: the daemon restarts it ------------------------------------------
old_pid = postmaster_pid()
c.check(old_pid and old_pid in processes_using(cluster), f"postmaster pid {old_pid} is running")
# Posters keep ingesting (batches of 10) while the server is killed and restarted.
answers, lock, stop = [], threading.Lock(), threading.Event()
killed_at = None


def poster(t):
    n = 0
    while not stop.is_set():
        n += 1
        ids = [f"k-{t}-{n}-{i}" for i in range(10)]
        batch = [dict(call(i), id=x) for i, x in enumerate(ids)]
        try:
            status, body, headers = post_events(daemon.url, token, batch, timeout=15)
        except Exception as e:  # the daemon must keep answering
            status, body, headers = None, repr(e), {}
        with lock:
            answers.append((ids, status, body, headers,
                            None if killed_at is None else round(time.time() - killed_at, 2)))
        time.sleep(0.1)


posters = [threading.Thread(target=poster, args=(t,)) for t in range(4)]
for th in posters:
    th.start()
time.sleep(1.0)
killed_at = time.time()
os.kill(old_pid, signal.SIGKILL)
while time.time() - killed_at < 30:
    time.sleep(0.2)
    pid = postmaster_pid()
    with lock:
        after = [a for a in answers if a[4] is not None]
    if (pid not in (None, old_pid) and pid in processes_using(cluster) and len(after) >= 6
            and all(a[1] == 200 for a in after[-6:])):
        break
stop.set()
for th in posters:
    th.join()
after = [a for a in answers if a[4] is not None]
# recovered: the first of the 200s that follow the last failed answer
last_bad = max([i for i, a in enumerate(after) if a[1] != 200], default=-1)
first_ok = after[last_bad + 1][4] if last_bad + 1 < len(after) else None
c.check(daemon.proc.poll() is None, "the daemon is still running after its server was killed")
c.check(first_ok is not None and first_ok <= 20,
        f"ingest works again within 20 s of SIGKILL to the server (first lasting 200 after "
        f"{first_ok!r} s; last answers {[(a[1], a[4]) for a in after[-5:]]})")
odd = [(a[1], a[2], a[4]) for a in answers
       if a[1] != 200 and not (a[1] == 503 and "Retry-After" in a[3])]
c.check(not odd, f"while the server was down: answers other than 200 or 503 with Retry-After: "
                 f"{odd[:4]}")
new_pid = postmaster_pid()
c.check(new_pid and new_pid != old_pid and new_pid in processes_using(cluster),
        f"a new postmaster runs (old {old_pid}, new {new_pid})")
ok_ids = [i for a in answers if a[1] == 200 for i in a[0]]
stored_k = {r[0] for r in sql("SELECT id FROM contacts WHERE id LIKE 'k-%'")}
missing = set(ok_ids) - stored_k
c.check(not missing, f"every event answered 200 is stored; {len(missing)} of {len(ok_ids)} "
                     f"missing, e.g. {sorted(missing)[:5]}")
count_k = len(stored_k)
status, _, _ = http("GET", daemon.url + "/readyz")
c.equal(status, 200, "GET /readyz after the server was restarted")
print(f"  server restarted; first lasting 200 after {first_ok} s; {len(answers)} posts, "
      f"statuses after the kill: {[a[1] for a in after]}", flush=True)

# ---- the daemon is killed: its server follows --------------------------------------------------
pids = processes_using(cluster)
daemon.proc.send_signal(signal.SIGKILL)
daemon.proc.wait()
t0 = time.time()
gone = wait_until(lambda: not processes_using(cluster), 30)
c.check(gone, f"PostgreSQL processes still running 30 s after SIGKILL to the daemon: "
              f"{processes_using(cluster)} (were {pids})")
print(f"  server gone {time.time() - t0:.1f}s after the daemon was killed", flush=True)

# ---- and a new daemon starts on the same data dir -------------------------------------------------
daemon = Daemon(data_dir=data_dir)
c.equal(offered(token), 8 + count_k, "after SIGKILL and restart: offered (data survived)")
stop_and_check(daemon, "final stop")

# ---- token create with no daemon running starts and stops the server itself -------------------
t0 = time.time()
try:
    late = daemon.token("emb-late", "read")
except Exception as e:
    late = None
    c.check(False, f"token create with the daemon stopped: {e}")
c.check(wait_until(lambda: not processes_using(cluster), 30),
        f"token create with the daemon stopped leaves no server running: {processes_using(cluster)}")
if late:
    daemon = Daemon(data_dir=data_dir)
    status, body, _ = get_kpis(daemon.url, late, "tenant", MONTH)
    c.equal(status, 200, "a token created while the daemon was stopped works")
    stop_and_check(daemon, "stop after the late token")
print(f"  ran in {time.time() - started:.1f}s", flush=True)
c.finish()
