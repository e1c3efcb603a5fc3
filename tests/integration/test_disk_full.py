"""The database's disk full (issue 7 point 4): PostgreSQL on a small tmpfs that is then
filled to the last byte while clients keep posting. The daemon answers errors (5xx),
never a 2xx for something not stored; once space is freed (and PostgreSQL started again
if it had to stop), clients that retry every non-2xx end with every event stored exactly
once, every acknowledged one included. Needs root (mount): otherwise skipped (77)."""
import os
import subprocess
import sys
import time

from harness import Checks, Daemon, IngestLoad, Postgres, temp_dir

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
    load = IngestLoad(daemon.url, token, "d", clients=2, batch=200,
                      extra={"agent": "agent-" + "a" * 100})
    log, sent, acked = load.log, load.sent, load.acked
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
    during = [(s, status) for s, _, status, _ in log if s > full_at + 1]
    c.check(during and any(status != 200 for _, status in during), f"errors while the disk is full ({len(during)} answers)")
    c.check({status for _, status in during} <= {200, 503, None},
            f"503 (retryable), nothing else ({ {st for _, st in during} })")
    c.check(all(retry for s, _, status, retry in log if s > full_at + 1 and status == 503),
            "every 503 says Retry-After")
    load.more.clear()  # no new batches: the ones waiting are retried until stored
    os.remove(filler)
    freed_at = time.time()
    time.sleep(2)
    if subprocess.run(["psql", "-X", "-q", "-h", pg.socket_dir, "-U", "postgres", "-d", "ccmetrics", "-c", "SELECT 1"],
                      capture_output=True).returncode != 0:
        pg.start()  # it stopped on the full disk (a PANIC writing WAL): an operator starts it again
    c.check(load.finish(), "every client finished")
    stored = {row[0] for row in pg.psql("SELECT id FROM contacts WHERE id LIKE 'd-%'")}
    c.check(acked <= stored, f"every acknowledged event is stored: no false 2xx ({len(acked - stored)} missing)")
    c.equal(len(stored), len(sent), "in the end every event is stored")
    count = int(pg.psql("SELECT count(*) FROM contacts WHERE id LIKE 'd-%'")[0][0])
    c.equal(count, len(sent), "each once")
    errors = sum(1 for s, _, status, _ in log if status != 200 and full_at < s < freed_at)
    print(f"  disk full for {freed_at - full_at:.1f} s: {errors} error answers, no false 2xx;"
          f" {len(sent)} events stored once", flush=True)
    c.equal(daemon.stop(), 0, "daemon exit code")
    pg.stop()
finally:
    subprocess.run(["umount", "-l", mount], capture_output=True)
c.finish()
