"""Asterisk queue_log against a real ccmetricsd on a real PostgreSQL: lines
written from the documented format (epoch|callid|queue|agent|event|data...)
posted over HTTP and followed from a real file: every event the issue lists,
queue-to-queue transfers, malformed lines skipped and reported with their line
number, rotation, truncation, restarts (also a rotation while the daemon is
down): every call counted exactly once."""
import os
import signal
import time

from harness import (Checks, Daemon, Postgres, get_kpis, http, temp_dir, wait_until,
                     write_config)

c = Checks("queue_log")
pg = Postgres()
T0 = 1770800000  # 2026-02-11T08:53:20Z


def line(dt, callid, queue, agent, event, *data):
    return "|".join([str(T0 + dt), callid, queue, agent, event] + [str(d) for d in data])


# One call of each kind, as app_queue writes them.
CALLS = [
    # answered, completed by the caller: wait 12 s, talk 180 s
    line(0, "1001.1", "bins", "NONE", "ENTERQUEUE", "", "01632960001", "1"),
    line(5, "1001.1", "bins", "PJSIP/201", "RINGNOANSWER", "15000"),
    line(12, "1001.1", "bins", "PJSIP/202", "CONNECT", "12", "1001.9", "3"),
    line(192, "1001.1", "bins", "PJSIP/202", "COMPLETECALLER", "12", "180", "1"),
    # answered, completed by the agent
    line(20, "1002.1", "bins", "NONE", "ENTERQUEUE", "", "01632960002", "1"),
    line(50, "1002.1", "bins", "PJSIP/203", "CONNECT", "30", "1002.9", "2"),
    line(110, "1002.1", "bins", "PJSIP/203", "COMPLETEAGENT", "30", "60", "1"),
    # abandoned after 40 s
    line(30, "1003.1", "bins", "NONE", "ENTERQUEUE", "", "01632960003", "2"),
    line(70, "1003.1", "bins", "NONE", "ABANDON", "2", "2", "40"),
    # queue time-out, empty queue, key press: timeout
    line(40, "1004.1", "bins", "NONE", "ENTERQUEUE", "", "", "3"),
    line(340, "1004.1", "bins", "NONE", "EXITWITHTIMEOUT", "1", "3", "300"),
    line(45, "1005.1", "bins", "NONE", "ENTERQUEUE", "", "01632960005", "1"),
    line(46, "1005.1", "bins", "NONE", "EXITEMPTY", "1", "1", "1"),
    line(50, "1006.1", "bins", "NONE", "ENTERQUEUE", "", "01632960006", "1"),
    line(80, "1006.1", "bins", "NONE", "EXITWITHKEY", "1", "1", "1", "30"),
    # answered, then blind- and attended-transferred
    line(60, "1007.1", "bins", "NONE", "ENTERQUEUE", "", "01632960007", "1"),
    line(64, "1007.1", "bins", "PJSIP/204", "CONNECT", "4", "1007.9", "1"),
    line(124, "1007.1", "bins", "PJSIP/204", "BLINDTRANSFER", "2000", "from-internal", "4", "60",
         "1"),
    line(70, "1008.1", "bins", "NONE", "ENTERQUEUE", "", "01632960008", "1"),
    line(78, "1008.1", "bins", "PJSIP/205", "CONNECT", "8", "1008.9", "1"),
    line(178, "1008.1", "bins", "PJSIP/205", "ATTENDEDTRANSFER", "BRIDGE", "abc-123", "8", "100",
         "1"),
    # queue-to-queue: bins (abandoned by exit... transferred out) then housing, answered
    line(90, "1009.1", "bins", "NONE", "ENTERQUEUE", "", "01632960009", "1"),
    line(95, "1009.1", "bins", "NONE", "EXITWITHTIMEOUT", "1", "1", "5"),
    line(95, "1009.1", "housing", "NONE", "ENTERQUEUE", "", "01632960009", "1"),
    line(105, "1009.1", "housing", "PJSIP/301", "CONNECT", "10", "1009.9", "2"),
    line(165, "1009.1", "housing", "PJSIP/301", "COMPLETECALLER", "10", "60", "1"),
    # not about a contact
    line(0, "NONE", "NONE", "NONE", "QUEUESTART", ""),
    line(1, "NONE", "bins", "PJSIP/201", "ADDMEMBER", ""),
    line(2, "1010.1", "bins", "NONE", "MYCUSTOMEVENT", "x", "y"),
]
WANT = {  # contact id -> (outcome, wait s, handle s or None)
    "1001.1@bins": ("1", "12", "180000"), "1002.1@bins": ("1", "30", "60000"),
    "1003.1@bins": ("2", "40", None), "1004.1@bins": ("3", "300", None),
    "1005.1@bins": ("3", "1", None), "1006.1@bins": ("3", "30", None),
    "1007.1@bins": ("1", "4", "60000"), "1008.1@bins": ("1", "8", "100000"),
    "1009.1@bins": ("3", "5", None), "1009.1@housing": ("1", "10", "60000"),
}


def contacts(where="true"):
    rows = pg.psql("SELECT id, outcome, extract(epoch FROM coalesce(answered_at, ended_at)"
                   f" - offered_at)::int, handle_ms FROM contacts WHERE {where} ORDER BY id")
    return {r[0]: (r[1], r[2], r[3] or None) for r in rows}


# ---- over HTTP ---------------------------------------------------------------------------------
daemon = Daemon(database=pg.dsn)
token = daemon.token("ql", "ingest,read,admin")
URL = daemon.url
body = ("\n".join(CALLS[:10]) + "\nthis is not a queue_log line\n" +
        line(1, "1011.1", "bins", "NONE", "ABANDON", "1", "1", "soon") + "\r\n" +
        "\n".join(CALLS[10:]) + "\n").encode()
status, answer, _ = http("POST", URL + "/v1/ingest/asterisk-queue-log", token, body,
                         ctype="text/plain")
c.equal(status, 200, f"POST queue_log lines: 200 ({answer})")
n_events = sum(1 for l in CALLS if l.split("|")[4] in (
    "ENTERQUEUE", "CONNECT", "COMPLETECALLER", "COMPLETEAGENT", "ABANDON", "EXITWITHTIMEOUT",
    "EXITEMPTY", "EXITWITHKEY", "BLINDTRANSFER", "ATTENDEDTRANSFER"))
c.equal((answer["accepted"], answer["duplicates"], answer["ignored"], answer["ring_no_answer"],
         answer["malformed"]), (n_events, 0, 3, 1, 2), "counts of the answer")
c.equal([e["line"] for e in answer["errors"]], [11, 12], "malformed lines named by number")
c.check("waittime" in answer["errors"][1]["message"], f"and why ({answer['errors'][1]})")
c.equal(contacts(), WANT, "every call assembled: outcome, wait and handle from the lines")
status, answer, _ = http("POST", URL + "/v1/ingest/asterisk-queue-log", token, body,
                         ctype="text/plain")
c.equal((status, answer["accepted"], answer["duplicates"]), (200, 0, n_events),
        "the same lines again: all duplicates")
status, answer, _ = http("POST", URL + "/v1/ingest/asterisk-queue-log", token,
                         b"garbage\nmore garbage\n", ctype="text/plain")
c.equal(status, 422, f"no valid line at all: 422 ({answer})")
status, kpis, _ = get_kpis(URL, token, "queue:bins", "2026-02")
k = {key: v.get("value") for key, v in kpis["kpis"].items()}
c.equal((k["offered"], k["answered"], k["abandoned"], k["timed_out"]), (9, 4, 1, 4),
        "bins in February from the queue_log")
daemon.stop()

# ---- following a file ---------------------------------------------------------------------------
pg.psql("TRUNCATE contacts, call_events, lifecycle_calls, contact_intervals")
folder = temp_dir("ccm-qlog-")
path = os.path.join(folder, "queue_log")
config = write_config(f"queue_log_path = {path}\nqueue_log_tenant = ql\n")


def append(target, lines):
    with open(target, "a") as f:
        f.write("".join(l + "\n" for l in lines))


def call_lines(n0, count, dt0=0):
    out = []
    for i in range(count):
        cid, t = f"{n0 + i}.7", dt0 + i * 10
        out += [line(t, cid, "bins", "NONE", "ENTERQUEUE", "", f"0163296{n0 + i:04d}", "1"),
                line(t + 3, cid, "bins", "PJSIP/201", "CONNECT", "3", cid + "9", "1"),
                line(t + 63, cid, "bins", "PJSIP/201", "COMPLETECALLER", "3", "60", "1")]
    return out


def count_calls():
    return int(pg.psql("SELECT count(*) FROM contacts WHERE id LIKE '%.7@bins'")[0][0])


def wait_calls(n, what):
    ok = wait_until(lambda: count_calls() == n, timeout=20)
    c.check(ok, f"{what}: {n} calls stored (got {count_calls()})")
    time.sleep(0.5)
    c.equal(count_calls(), n, f"{what}: still {n} (none twice)")


append(path, call_lines(2000, 50))
daemon = Daemon(database=pg.dsn, extra=["--config", config])
wait_calls(50, "first 50 lines' calls")
append(path, call_lines(2050, 10) + ["not|a|valid line"] + call_lines(2060, 10))
wait_calls(70, "appended while following, with a malformed line")
bad_line = 150 + 30 + 1
c.check(wait_until(lambda: any("queue_log.malformed_line" in l and f"line={bad_line}" in l
                               for l in daemon.log_lines), timeout=5),
        f"the malformed line is logged with its file and line number {bad_line}")

# rotation: the old file gets a few more lines before the new one appears
os.rename(path, path + ".1")
append(path + ".1", call_lines(2070, 5))
time.sleep(0.5)
append(path, call_lines(2075, 5))
wait_calls(80, "rotation (old file's last lines, then the new file)")

# truncation (copytruncate)
open(path, "w").close()
append(path, call_lines(2080, 3))
wait_calls(83, "truncation")

# restart: lines written while the daemon is down
daemon.stop()
append(path, call_lines(2083, 7))
daemon = Daemon(database=pg.dsn, extra=["--config", config])
wait_calls(90, "after a restart")

# rotation while the daemon is down
daemon.stop()
append(path, call_lines(2090, 4))
os.replace(path, path + ".1")
append(path, call_lines(2094, 6))
daemon = Daemon(database=pg.dsn, extra=["--config", config])
wait_calls(100, "rotated while down: the old file finished, then the new one")
c.equal(pg.psql("SELECT line FROM source_positions")[0][0], str(6 * 3),
        "the saved position is the new file's last line")

# SIGHUP with another queue_log_path: the new file is followed, the old one no more
other = os.path.join(folder, "queue_log.other")
append(other, call_lines(3000, 5))
with open(config, "w") as f:
    f.write(f"queue_log_path = {other}\nqueue_log_tenant = ql\n")
daemon.proc.send_signal(signal.SIGHUP)
wait_calls(105, "after a reload to another file, its lines")
append(path, call_lines(3005, 5))
append(other, call_lines(3010, 5))
wait_calls(110, "only the new file is followed")
c.check(any("event=queue_log.reloaded" in l for l in daemon.log_lines), "the reload is logged")
daemon.stop()

pg.stop()
c.finish()
