"""The database's disk full (issue 7 point 4): PostgreSQL on a small tmpfs that is then
filled to the last byte while clients keep posting. The daemon answers errors (5xx),
never a 2xx for something not stored; once space is freed (and PostgreSQL started again
if it had to stop), clients that retry every non-2xx end with every event stored exactly
once, every acknowledged one included. Needs root (mount): otherwise skipped (77)."""
import os
import subprocess
import sys
import threading
import time

from harness import Checks, Daemon, Postgres, post_events, temp_dir

mount = temp_dir("ccm-disk-")
if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=160m", "tmpfs", mount],
                                       capture_output=True).returncode != 0:
    print("SKIPPED: mounting a small file system needs root", flush=True)
    sys.exit(77)
try:
    os.chmod(mount, 0o755)
    c = Checks("disk_full")
    pg = Postgres(directory=mount, initdb_args=["--wal-segsize=1"],
                  options="-c min_wal_size=4MB -c max_wal_size=32MB")
    daemon = Daemon(database=pg.dsn)
    token = daemon.token("council", "ingest,read,admin")
    lock = threading.Lock()
    log, sent, acked = [], set(), set()
    more, stop = threading.Event(), threading.Event()
    more.set()

    def client(k):
        b = 0
        while more.is_set():
            events = [{"id": f"d-{k}-{b}-{n}", "queue": "bins", "outcome": "answered",
                       "offered_at": "2026-11-05T10:00:00Z", "answered_at": "2026-11-05T10:00:05Z",
                       "agent": "agent-" + "a" * 100} for n in range(200)]
            b += 1
            with lock:
                sent.update(e["id"] for e in events)
            while not stop.is_set():
                started = time.time()
                try:
                    status = post_events(daemon.url, token, events, timeout=60)[0]
                except Exception:
                    status = None
                with lock:
                    log.append((started, time.time(), status))
                if status == 200:
                    with lock:
                        acked.update(e["id"] for e in events)
                    break
                time.sleep(0.2)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    time.sleep(1.5)
    filler = os.path.join(mount, "filler")
    with open(filler, "wb") as f:  # every free byte
        try:
            while True:
                f.write(b"\0" * (1 << 20))
                f.flush()
        except OSError:
            pass
    full_at = time.time()
    time.sleep(6)
    during = [(s, status) for s, _, status in log if s > full_at + 1]
    c.check(during and any(status != 200 for _, status in during), f"errors while the disk is full ({len(during)} answers)")
    c.check({status for _, status in during} <= {200, 503, None},
            f"503 with Retry-After (retryable), nothing else ({ {st for _, st in during} })")
    more.clear()  # no new batches: the ones waiting are retried until stored
    os.remove(filler)
    freed_at = time.time()
    time.sleep(2)
    if subprocess.run(["psql", "-X", "-q", "-h", pg.socket_dir, "-U", "postgres", "-d", "ccmetrics", "-c", "SELECT 1"],
                      capture_output=True).returncode != 0:
        pg.start()  # it stopped on the full disk (a PANIC writing WAL): an operator starts it again
    for t in threads:
        t.join(120)
    stop.set()
    c.check(not any(t.is_alive() for t in threads), "every client finished")
    stored = {row[0] for row in pg.psql("SELECT id FROM contacts WHERE id LIKE 'd-%'")}
    c.check(acked <= stored, f"every acknowledged event is stored: no false 2xx ({len(acked - stored)} missing)")
    c.equal(len(stored), len(sent), "in the end every event is stored")
    count = int(pg.psql("SELECT count(*) FROM contacts WHERE id LIKE 'd-%'")[0][0])
    c.equal(count, len(sent), "each once")
    errors = sum(1 for s, _, status in log if status != 200 and full_at < s < freed_at)
    print(f"  disk full for {freed_at - full_at:.1f} s: {errors} error answers, no false 2xx;"
          f" {len(sent)} events stored once", flush=True)
    c.equal(daemon.stop(), 0, "daemon exit code")
    pg.stop()
finally:
    subprocess.run(["umount", "-l", mount], capture_output=True)
c.finish()
