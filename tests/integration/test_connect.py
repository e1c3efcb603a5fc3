"""Amazon Connect contact trace records against a real ccmetricsd on a real
PostgreSQL: single, array and Firehose (NDJSON and back-to-back) bodies;
queue, offered, answered, abandoned and handle from the CTR fields; records
without a queue are not contacts; a newer LastUpdateTimestamp of a ContactId
replaces the stored contact and an older one changes nothing (counted once,
aggregates rebuilt); bad records reported, good ones stored."""
import json

from harness import Checks, Daemon, Postgres, get_kpis, http

c = Checks("connect")
pg = Postgres()
daemon = Daemon(database=pg.dsn)
token = daemon.token("ac", "ingest,read,admin")
URL = daemon.url


def ctr(cid, enqueued, connected=None, dequeued=None, disconnected=None, updated=None,
        queue="council-tax", channel="VOICE", caller="+447700900123", durations=(300, 30, 60)):
    record = {"ContactId": cid, "Channel": channel, "InitiationMethod": "INBOUND",
              "InitiationTimestamp": enqueued, "DisconnectTimestamp": disconnected,
              "LastUpdateTimestamp": updated or disconnected,
              "CustomerEndpoint": {"Type": "TELEPHONE_NUMBER", "Address": caller},
              "Queue": {"Name": queue, "EnqueueTimestamp": enqueued,
                        "DequeueTimestamp": dequeued} if queue else None,
              "Agent": None, "Attributes": {"service": "revenues"}}
    if connected:
        interaction, hold, acw = durations
        record["Agent"] = {"Username": "j.smith", "ConnectedToAgentTimestamp": connected,
                           "AgentInteractionDuration": interaction,
                           "CustomerHoldDuration": hold, "AfterContactWorkDuration": acw}
    return record


def t(h, m, s=0):
    return f"2026-03-02T{h:02d}:{m:02d}:{s:02d}Z"


def post(body, ctype="application/json"):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return http("POST", URL + "/v1/ingest/amazon-connect", token, data, ctype=ctype)


def contacts():
    # (psql shows NULL as "")
    rows = pg.psql("SELECT id, queue, channel, outcome, extract(epoch FROM coalesce(answered_at,"
                   " ended_at) - offered_at)::int, handle_ms, agent FROM contacts ORDER BY id")
    return {r[0]: tuple(r[1:]) for r in rows}


answered = ctr("A", t(9, 1, 10), connected=t(9, 1, 52), dequeued=t(9, 1, 52),
               disconnected=t(9, 8, 40), updated=t(9, 10, 5))
abandoned = ctr("B", t(9, 2), dequeued=t(9, 3), disconnected=t(9, 3), updated=t(9, 3, 5))
ivr_only = ctr("C", t(9, 4), disconnected=t(9, 5), queue=None)
chat = ctr("D", t(9, 6), connected=t(9, 6, 20), disconnected=t(9, 20), channel="CHAT",
           durations=(700, 0, 40), updated=t(9, 21))

status, body, _ = post(answered)
c.equal((status, body["accepted"]), (200, 1), f"one record ({body})")
firehose = (json.dumps(abandoned) + "\n" + json.dumps(ivr_only) + "\n").encode()
status, body, _ = post(firehose + json.dumps(chat).encode(), ctype="application/octet-stream")
c.equal((status, body["accepted"], body["not_contacts"]), (200, 2, 1),
        f"Firehose NDJSON: 2 contacts, 1 IVR-only record skipped ({body})")
c.equal(contacts(), {
    "A": ("council-tax", "0", "1", "42", "390000", "j.smith"),
    "B": ("council-tax", "0", "2", "60", "", ""),
    "D": ("council-tax", "2", "1", "20", "740000", "j.smith")},
    "contacts from the CTR fields (wait to the agent or the dequeue; handle = talk+hold+ACW)")

# A newer version of B (it was answered after all? no: a later update with a longer wait)
newer_b = ctr("B", t(9, 2), dequeued=t(9, 4), disconnected=t(9, 4), updated=t(9, 4, 10))
older_b = ctr("B", t(9, 2), dequeued=t(9, 2, 30), disconnected=t(9, 2, 30), updated=t(9, 2, 40))
status, body, _ = post([older_b])
c.equal((status, body["accepted"], body["unchanged"]), (200, 0, 1), "an older version: unchanged")
status, body, _ = post((json.dumps(newer_b) + json.dumps(older_b)).encode())
c.equal((status, body["accepted"], body["unchanged"]), (200, 1, 1),
        "back-to-back: the newer replaces, the older after it does not")
c.equal(contacts()["B"], ("council-tax", "0", "2", "120", "", ""), "B has the newer wait")
status, body, _ = post([answered, answered])
c.equal((body["accepted"], body["unchanged"]), (0, 2), "the same version again: unchanged")

# Bad records are reported; the good ones in the same body are stored.
bad = ctr("E", t(9, 7), connected=t(9, 6), disconnected=t(9, 9))  # answered before enqueued
good = ctr("F", t(9, 8), dequeued=t(9, 8, 30), disconnected=t(9, 8, 30))
status, body, _ = post([bad, good])
c.equal((status, body["accepted"], body["invalid"]), (200, 1, 1), f"bad + good ({body})")
c.equal(body["errors"][0]["index"], 0, "the bad record is named by its index")
c.check("ConnectedToAgentTimestamp" in body["errors"][0]["field"] +
        body["errors"][0]["message"], f"and its field ({body['errors'][0]})")
status, body, _ = post(b"<html>not json</html>")
c.equal(status, 400, "not JSON: 400")
status, body, _ = post([bad])
c.equal(status, 422, "only bad records: 422")

status, kpis, _ = get_kpis(URL, token, "queue:council-tax", "2026-03")
k = {key: v.get("value") for key, v in kpis["kpis"].items()}
c.equal((k["offered"], k["answered"], k["abandoned"]), (4, 2, 2),
        "KPIs: A, D answered; B (once), F abandoned")
c.near(k["longest_wait_s"], 120, "longest wait from B's newer version (aggregates rebuilt)")
rows = pg.psql("SELECT sum(offered), max(max_wait_us) FROM contact_intervals")
c.equal(rows, [["4", "120000000"]], "interval rows after the replacement")

daemon.stop()
pg.stop()
c.finish()
