"""Faults with a real PostgreSQL (issue 7 point 4), under sustained ingest from client
threads that retry every non-2xx as the daemon asks (Retry-After):

- PostgreSQL killed with SIGKILL (postmaster and backends) and started again: while it is
  down the daemon answers 503 with Retry-After, never 2xx; it reconnects by itself; in the
  end every event is stored exactly once, and every acknowledged one is there.
- SIGTERM under load: the daemon exits within a bounded time with code 0; every request
  it acknowledged is stored; the others got an error or a closed connection, never a
  hang. The figures (reconnect time, exit time) are printed."""
import signal
import time

from harness import Checks, Daemon, IngestLoad, Postgres

c = Checks("faults")
pg = Postgres()
daemon = Daemon(database=pg.dsn)
token = daemon.token("council", "ingest,read,admin")
def stored(prefix):
    return {row[0] for row in pg.psql(f"SELECT id FROM contacts WHERE id LIKE '{prefix}-%'")}


# ---- PostgreSQL killed and restarted during sustained ingest
load = IngestLoad(daemon.url, token, "kill", clients=4)
log, sent, acked = load.log, load.sent, load.acked
time.sleep(1.0)
pg.kill()
down_at = time.time()
time.sleep(3)
up_at = time.time()  # restarting: answers until here were while it was down
pg.start()           # crash recovery, then accepting connections
back_at = time.time()
time.sleep(2)
c.check(load.finish(), "every client finished")
statuses = {status for _, _, status, _ in log}
c.check(statuses <= {200, 503}, f"only 200 and 503 ({statuses})")
c.check(all(retry for _, _, status, retry in log if status == 503), "every 503 says Retry-After")
during = [(s, e, status) for s, e, status, _ in log if s > down_at + 0.05 and e < up_at]
c.check(during and all(status == 503 for _, _, status in during),
        f"while PostgreSQL is down: 503, never 2xx ({len(during)} answers)")
after = [e for s, e, status, _ in log if status == 200 and e >= back_at]
reconnect = min(after) - back_at if after else None
c.check(reconnect is not None and reconnect < 10, f"reconnected by itself ({reconnect} s after the restart)")
have = stored("kill")
c.check(len(sent) > 1000, f"sustained load ({len(sent)} events)")
c.equal(len(have), len(sent), "every event stored")
c.check(have == sent and acked == sent, "exactly the events sent, each once, all acknowledged")
count = int(pg.psql("SELECT count(*) FROM contacts WHERE id LIKE 'kill-%'")[0][0])
c.equal(count, len(sent), "no event twice")
print(f"  PostgreSQL down {up_at - down_at:.1f} s: {len(during)} answers, all 503; crash recovery"
      f" {back_at - up_at:.2f} s; first 2xx {reconnect and round(reconnect, 2)} s after it accepted"
      f" connections; {len(sent)} events, each stored once", flush=True)

# ---- SIGTERM under load
load = IngestLoad(daemon.url, token, "term", clients=4)
log, sent, acked = load.log, load.sent, load.acked
time.sleep(1.0)
term_at = time.time()
daemon.proc.send_signal(signal.SIGTERM)
code = daemon.proc.wait(60)
exit_s = time.time() - term_at
c.equal(code, 0, "exit code 0 after SIGTERM")
c.check(exit_s < 15, f"exits within a bounded time ({exit_s:.2f} s)")
c.check(load.abandon(), "no client left hanging")
have = stored("term")
c.check(acked <= have, f"every acknowledged event is stored ({len(acked)} acknowledged, {len(have)} stored)")
c.check(len(acked) > 0, "the load ran")
late = {status for s, e, status, _ in log if s > term_at}
c.check(late <= {503, None, 200}, f"after SIGTERM: 200 (in flight), 503 or a closed connection ({late})")
print(f"  SIGTERM under load: exit in {exit_s:.2f} s, {len(acked)} acknowledged events all stored", flush=True)

pg.stop()
c.finish()
