"""POST /v1/events against a real ccmetricsd on a real PostgreSQL: body forms,
idempotency, atomic rejection with per-item details, the validation rules of the
API contract, body size limit, authentication and scopes, and concurrent
ingest through the group commit (every call counted exactly once)."""
import datetime
import json
import threading
import time

from harness import (Checks, Daemon, Postgres, get_kpis, http, post_events, url_with,
                     write_config)

c = Checks("ingest")
started = time.time()
pg = Postgres()
daemon = Daemon(database=pg.dsn)
full = daemon.token("ing", "ingest,read,admin")
read_only = daemon.token("ing", "read")
ingest_only = daemon.token("ing", "ingest")
admin_only = daemon.token("ing", "admin")
URL = daemon.url
MONTH = "2026-02"


def ts(day, h, m, s=0.0):
    """2026-02-DD HH:MM:SS(.ffffff)Z (February: GMT, local = UTC)."""
    whole = int(s)
    micro = round((s - whole) * 1e6)
    text = f"2026-02-{day:02d}T{h:02d}:{m:02d}:{whole:02d}"
    return text + (f".{micro:06d}" if micro else "") + "Z"


def add_s(text, seconds):
    """An instant `seconds` after `text` (same format)."""
    t = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    t += datetime.timedelta(seconds=seconds)
    micro = t.microsecond
    out = t.strftime("%Y-%m-%dT%H:%M:%S")
    return out + (f".{micro:06d}" if micro else "") + "Z"


def call(id_, queue, offered, outcome="answered", wait=10.0, handle=None, fcr=None, **extra):
    e = {"id": id_, "queue": queue, "offered_at": offered, "outcome": outcome}
    if outcome == "answered":
        e["answered_at"] = add_s(offered, wait)
        e["ended_at"] = add_s(offered, wait + (handle or 60))
    elif outcome in ("abandoned", "timeout"):
        e["ended_at"] = add_s(offered, wait)
    if handle is not None:
        e["handle_s"] = handle
    if fcr is not None:
        e["first_contact_resolved"] = fcr
    e.update(extra)
    return e


def kpis(scope, token=None, period=MONTH):
    status, body, _ = get_kpis(URL, token or full, scope, period)
    if not c.equal(status, 200, f"GET /v1/kpis scope={scope} period={period} status"):
        return {}
    return body.get("kpis", {})


def value(k, key):
    return (k.get(key) or {}).get("value", "<missing>")


def expect(scope, want, what):
    k = kpis(scope)
    for key, v in want.items():
        got = value(k, key)
        if isinstance(v, float):
            c.near(got if isinstance(got, (int, float)) else None, v, f"{what}: {scope} {key}")
        else:
            c.check(got == v and type(got) is type(v),
                    f"{what}: {scope} {key}: got {got!r}, want {v!r}")


def count_rows(where="true"):
    return int(pg.psql(f"SELECT count(*) FROM contacts WHERE {where}")[0][0])


def is_error_shape(body, status, what):
    ok = (isinstance(body, dict) and isinstance(body.get("error"), dict)
          and isinstance(body["error"].get("code"), str) and body["error"]["code"] != ""
          and isinstance(body["error"].get("message"), str) and body["error"]["message"] != "")
    return c.check(ok, f"{what}: status {status} must carry a JSON error "
                       f"{{\"error\":{{\"code\",\"message\"}}}}, got {body!r:.300}")


def post_ok(events, want_accepted, want_dup, what, ndjson=False, token=None):
    status, body, _ = post_events(URL, token or full, events, ndjson=ndjson)
    c.equal(status, 200, f"{what}: status")
    c.equal(body, {"accepted": want_accepted, "duplicates": want_dup}, f"{what}: answer")
    return body


# ---- body forms: object, array, NDJSON -------------------------------------------------
obj = call("obj-1", "obj", ts(2, 9, 0), wait=30, handle=270, fcr=True, caller="+441234567890",
           reason="council tax bill", agent="a-17")
post_ok(obj, 1, 0, "one JSON object")
expect("queue:obj", {"offered": 1, "answered": 1, "abandoned": 0, "handled_denominator": 1,
                     "asa_s": 30.0, "aht_s": 270.0, "fcr_pct": 100.0, "longest_wait_s": 30.0,
                     "answered_pct": 100.0, "service_level_pct": 100.0}, "object body")
stored_caller = pg.psql("SELECT coalesce(caller_hash, '') FROM contacts WHERE id = 'obj-1'")
c.check(stored_caller and stored_caller[0][0] not in ("", "+441234567890")
        and "441234567890" not in stored_caller[0][0],
        f"caller must be stored pseudonymised (keyed hash), got {stored_caller!r}")

status, body, _ = http("POST", URL + "/v1/events", full,
                       call("obj-2", "obj", ts(2, 9, 30), wait=50, handle=130, fcr=False),
                       ctype="application/json; charset=utf-8")
c.equal((status, body), (200, {"accepted": 1, "duplicates": 0}),
        "object with Content-Type application/json; charset=utf-8")

arr = [call("arr-1", "arr", ts(3, 10, 0), wait=20, handle=100),
       call("arr-2", "arr", ts(3, 10, 5), "abandoned", wait=40),
       call("arr-3", "arr", ts(3, 10, 10), "timeout", wait=200)]
post_ok(arr, 3, 0, "JSON array of 3")
expect("queue:arr", {"offered": 3, "answered": 1, "abandoned": 1, "timed_out": 1, "refused": 0,
                     "short_abandoned": 0, "handled_denominator": 3,
                     "answered_pct": 100 / 3, "abandoned_pct": 100 / 3, "asa_s": 20.0,
                     "service_level_pct": 100 / 3, "aht_s": 100.0, "fcr_pct": None,
                     "longest_wait_s": 200.0}, "array body")

nd = [call("nd-1", "nd", ts(4, 11, 0, 0.25), wait=80),            # exactly T: within
      call("nd-2", "nd", ts(4, 11, 1), wait=81),                   # just over T
      {"id": "nd-3", "queue": "nd", "offered_at": ts(4, 11, 2), "outcome": "refused",
       "channel": "phone"}]
post_ok(nd, 3, 0, "NDJSON of 3 lines", ndjson=True)
expect("queue:nd", {"offered": 3, "answered": 2, "refused": 1, "handled_denominator": 2,
                    "answered_pct": 100.0, "service_level_pct": 50.0, "asa_s": 80.5,
                    "longest_wait_s": 81.0, "aht_s": None}, "NDJSON body")
expect("tenant", {"offered": 8, "answered": 5, "abandoned": 1, "timed_out": 1, "refused": 1},
       "tenant after the three forms")

# ---- re-sending: duplicates that change nothing ----------------------------------------
before = {s: kpis(s) for s in ("tenant", "queue:obj", "queue:arr", "queue:nd")}
rows_before = count_rows()
post_ok(arr, 0, 3, "re-sent array")
post_ok(nd, 0, 3, "re-sent NDJSON", ndjson=True)
changed = dict(obj, outcome="abandoned", queue="arr")
changed.pop("answered_at")
post_ok(changed, 0, 1, "re-sent id with different content")
for s, k in before.items():
    c.equal(kpis(s), k, f"KPIs of {s} after re-sending duplicates")
c.equal(count_rows(), rows_before, "contacts rows after re-sending duplicates")
c.equal(pg.psql("SELECT queue, outcome FROM contacts WHERE id = 'obj-1'"), [["obj", "1"]],
        "stored obj-1 unchanged by a re-send with other content")

# ---- duplicates within one body --------------------------------------------------------
d1 = call("dup-1", "dup", ts(5, 12, 0), wait=5)
post_ok([d1, call("dup-2", "dup", ts(5, 12, 1), wait=7), dict(d1)], 2, 1,
        "array with the same id twice")
post_ok([call("dup-3", "dup", ts(5, 12, 2), wait=9)] * 3, 1, 2, "NDJSON with one id 3 times",
        ndjson=True)
expect("queue:dup", {"offered": 3, "answered": 3, "asa_s": 7.0}, "duplicates within a body")
c.equal(count_rows("queue = 'dup'"), 3, "contacts rows of queue dup")

# ---- a bad item refuses the whole request ------------------------------------------------
tenant_before = kpis("tenant")
rows_before = count_rows()
good_a = call("atom-a", "atom", ts(6, 9, 0), wait=12)
good_b = call("atom-b", "atom", ts(6, 9, 1), wait=14)
bad_outcome = dict(call("atom-x", "atom", ts(6, 9, 2)), outcome="hung_up")
bad_queue = call("atom-y", "atom", ts(6, 9, 3))
del bad_queue["queue"]
status, body, _ = post_events(URL, full, [good_a, bad_outcome, good_b, bad_queue])
c.equal(status, 422, "array with bad items 1 and 3: status")
details = (body.get("error") or {}).get("details") if isinstance(body, dict) else None
is_error_shape(body, status, "array with bad items")
c.equal([(d.get("index"), d.get("field")) for d in details or []], [(1, "outcome"), (3, "queue")],
        "details (index, field) of an array with bad items 1 and 3")
c.check(all(isinstance(d.get("message"), str) and d["message"] for d in details or []),
        f"every details entry has a message: {details!r}")
c.equal(kpis("tenant"), tenant_before, "tenant KPIs after a refused request")
c.equal(count_rows(), rows_before, "contacts rows after a refused request")

lines = [call("atomnd-1", "atom", ts(6, 10, 0)), dict(call("atomnd-2", "atom", ts(6, 10, 1)),
                                                     offered_at="2026-02-06T10:01:00"),
         call("atomnd-3", "atom", ts(6, 10, 2)), dict(call("atomnd-4", "atom", ts(6, 10, 3)),
                                                     id="x" * 129)]
status, body, _ = post_events(URL, full, lines, ndjson=True)
c.equal(status, 422, "NDJSON with bad lines 2 and 4: status")
details = (body.get("error") or {}).get("details") if isinstance(body, dict) else None
c.equal([(d.get("line"), d.get("field")) for d in details or []],
        [(2, "offered_at"), (4, "id")], "details (line, field) of NDJSON with bad lines 2 and 4")
c.check(all("index" not in d for d in details or []), f"NDJSON details use line, not index: {details}")
c.equal(kpis("tenant"), tenant_before, "tenant KPIs after a refused NDJSON request")
c.equal(count_rows(), rows_before, "contacts rows after a refused NDJSON request")
post_ok([good_a, good_b], 2, 0, "the good items of the refused request were not stored")
post_ok([lines[0], lines[2]], 2, 0, "the good lines of the refused NDJSON were not stored",
        ndjson=True)

# ---- the validation rules of the contract, one bad item each ----------------------------
base = call("val", "val", ts(7, 9, 0), wait=20)


def variant(**changes):
    e = dict(base)
    for k, v in changes.items():
        if v is KeyError:
            e.pop(k, None)
        else:
            e[k] = v
    return e


cases = [
    ("unknown outcome", variant(outcome="hung_up"), "outcome"),
    ("missing outcome", variant(outcome=KeyError), "outcome"),
    ("missing offered_at", variant(offered_at=KeyError), "offered_at"),
    ("offered_at without offset", variant(offered_at="2026-02-07T09:00:00"), "offered_at"),
    ("offered_at with fraction, no offset", variant(offered_at="2026-02-07T09:00:00.5"),
     "offered_at"),
    ("offered_at a date only", variant(offered_at="2026-02-07"), "offered_at"),
    ("offered_at an impossible date", variant(offered_at="2026-02-30T09:00:00Z"), "offered_at"),
    ("offered_at a number", variant(offered_at=1770454800), "offered_at"),
    ("answered_at without offset", variant(answered_at="2026-02-07T09:00:20"), "answered_at"),
    ("answered_at not a time", variant(answered_at="soon"), "answered_at"),
    ("answered_at before offered_at", variant(answered_at=ts(7, 8, 59, 59.5)), "answered_at"),
    ("answered without answered_at", variant(answered_at=KeyError), "answered_at"),
    ("id of 129 characters", variant(id="i" * 129), "id"),
    ("id of 129 two-byte characters", variant(id="\u00e9" * 129), "id"),
    ("empty id", variant(id=""), "id"),
    ("missing id", variant(id=KeyError), "id"),
    ("id a number", variant(id=123), "id"),
    ("queue a number", variant(queue=5), "queue"),
    ("missing queue", variant(queue=KeyError), "queue"),
    ("outcome a number", variant(outcome=1), "outcome"),
    ("handle_s a string", variant(handle_s="300"), "handle_s"),
    ("handle_s negative", variant(handle_s=-1), "handle_s"),
    ("first_contact_resolved a string", variant(first_contact_resolved="yes"),
     "first_contact_resolved"),
    ("unknown channel", variant(channel="fax"), "channel"),
]
rows_before = count_rows()
for name, item, field in cases:
    status, body, _ = post_events(URL, full, item)
    details = (body.get("error") or {}).get("details") if isinstance(body, dict) else None
    c.equal(status, 422, f"{name}: status")
    is_error_shape(body, status, name)
    c.check(isinstance(details, list) and len(details) == 1
            and details[0].get("index") == 0 and details[0].get("field") == field
            and isinstance(details[0].get("message"), str) and details[0]["message"],
            f"{name}: want one details entry {{index: 0, field: {field!r}, message}}, "
            f"got {details!r}")
# All of them in one array, between good items: one entry per bad item, in order.
mixed, want = [], []
for n, (name, item, field) in enumerate(cases):
    mixed.append(call(f"mix-good-{n}", "val", ts(7, 10, n % 60), wait=3))
    mixed.append(dict(item, id=f"mix-bad-{n}") if field != "id" else item)
    want.append((2 * n + 1, field))
status, body, _ = post_events(URL, full, mixed)
details = (body.get("error") or {}).get("details") if isinstance(body, dict) else None
c.equal(status, 422, "array of all bad cases between good items: status")
c.equal([(d.get("index"), d.get("field")) for d in details or []], want,
        "array of all bad cases: one (index, field) per bad item")
status, body, _ = post_events(URL, full, [base, 5, "text"])
details = (body.get("error") or {}).get("details") if isinstance(body, dict) else None
c.equal((status, [d.get("index") for d in details or []]), (422, [1, 2]),
        "array with non-object items 1 and 2: status and indexes")
c.equal(count_rows(), rows_before, "contacts rows after the refused validation requests")
# The accepted edges of the same rules.
post_ok([variant(id="i" * 128), variant(id="\u00e9" * 128),
         variant(id="val-offset", offered_at="2026-02-07T10:00:00+01:00",
                 answered_at="2026-02-07T09:00:20.000001Z", ended_at="2026-02-07T09:30:00Z"),
         variant(id="val-null-optionals", handle_s=None, first_contact_resolved=None,
                 caller=None, channel=None)],
        4, 0, "ids of exactly 128 characters, an offset other than Z, null optionals")
expect("queue:val", {"offered": 4, "answered": 4, "asa_s": (20 * 3 + 20.000001) / 4},
       "edge cases accepted")

# ---- bodies that are not JSON: 400, nothing stored ---------------------------------------
rows_before = count_rows()
for name, raw, ctype in [
        ("truncated object", b'{"id": "bad-json-1", "queue": "q",', "application/json"),
        ("not JSON", b"id=1&queue=q", "application/json"),
        ("truncated array",
         b'[{"id":"bad-json-2","queue":"q","offered_at":"2026-02-08T09:00:00Z",'
         b'"outcome":"refused"}, {"id":', "application/json"),
        ("NDJSON with a syntax error on line 2",
         b'{"id":"bad-json-3","queue":"q","offered_at":"2026-02-08T09:00:00Z",'
         b'"outcome":"refused"}\n{"id": "bad-json-4", \n', "application/x-ndjson"),
        ("two objects without array or NDJSON",
         b'{"id":"bad-json-5","queue":"q","offered_at":"2026-02-08T09:00:00Z",'
         b'"outcome":"refused"}\n{"id":"bad-json-6","queue":"q",'
         b'"offered_at":"2026-02-08T09:00:00Z","outcome":"refused"}', "application/json")]:
    status, body, _ = http("POST", URL + "/v1/events", full, raw, ctype=ctype)
    c.equal(status, 400, f"{name}: status")
    is_error_shape(body, status, name)
status, body, _ = http("POST", URL + "/v1/events", full, b"", ctype="application/json")
c.check(400 <= status < 500, f"empty body: want a 4xx, got {status}")
is_error_shape(body, status, "empty body")
c.equal(count_rows(), rows_before, "contacts rows after bodies that are not JSON")

# ---- body size limit: 413 JSON, nothing stored ------------------------------------------
conf = write_config("# small limit for the test\nmax_body_bytes = 2048\n")
# No wait for /readyz here: the first request comes right after the readiness line.
small = Daemon(database=pg.dsn, extra=("--config", conf), wait_ready=False)


def json_dumps(v):
    return json.dumps(v)


def sized(prefix, target_bytes):
    items, n = [], 0
    while len(json_dumps(items)) < target_bytes:
        items.append(call(f"{prefix}-{n}", "big", ts(9, 9, n % 60), wait=4))
        n += 1
    return items


under = sized("under", 1500)
while len(json_dumps(under)) > 2000:
    under.pop()
status, body, _ = http("GET", small.url + "/readyz")
c.equal(status, 200, f"GET /readyz right after the readiness line ({body!r:.150})")
status, body, _ = post_events(small.url, full, under)
c.equal((status, body), (200, {"accepted": len(under), "duplicates": 0}),
        f"first POST right after the readiness line (a body of {len(json_dumps(under))} "
        f"bytes under a 2048-byte limit)")
if status != 200:
    c.check(small.wait_ready(), "GET /readyz answers 200 within 60 s of the readiness line")
    status, body, _ = post_events(small.url, full, under)
    c.equal((status, body), (200, {"accepted": len(under), "duplicates": 0}),
            f"body of {len(json_dumps(under))} bytes under a 2048-byte limit, once ready")
for size in (2600, 3900, 6000, 50000):
    items = sized(f"over{size}", size)
    n_bytes = len(json_dumps(items))
    try:
        status, body, _ = post_events(small.url, full, items)
    except Exception as e:  # a reset connection is no answer
        status, body = None, repr(e)
    c.equal(status, 413, f"array body of {n_bytes} bytes over a 2048-byte limit: status")
    if n_bytes <= 2 * 2048:
        is_error_shape(body, status, f"413 for {n_bytes} bytes")
    # Beyond twice the limit the daemon stops reading the body: libevent 2.1
    # answers the 413 itself (no hook for its error body), documented in the
    # README. The status and "nothing stored" still hold.
    c.equal(count_rows(f"id LIKE 'over{size}-%'"), 0, f"rows stored from the {n_bytes}-byte body")
items = sized("overnd", 3000)
status, body, _ = post_events(small.url, full, items, ndjson=True)
c.equal(status, 413, "NDJSON body over the limit: status")
is_error_shape(body, status, "413 for NDJSON")
c.equal(count_rows("id LIKE 'overnd-%'"), 0, "rows stored from the NDJSON body over the limit")
c.equal(small.stop(), 0, "small-limit daemon exit code after SIGTERM")

# ---- authentication and scopes ------------------------------------------------------------
rows_before = count_rows()
probe = call("auth-1", "auth", ts(10, 9, 0))
for name, headers, token in [("no Authorization", {}, None),
                             ("a wrong token", {}, "ccm_" + "x" * 43),
                             ("Basic instead of Bearer", {"Authorization": "Basic dXNlcjpwdw=="},
                              None),
                             ("an empty Bearer token", {"Authorization": "Bearer "}, None)]:
    status, body, _ = http("POST", URL + "/v1/events", token, probe, headers=headers)
    c.equal(status, 401, f"POST /v1/events with {name}: status")
    is_error_shape(body, status, f"401 with {name}")
    status, body, _ = http("GET", url_with(URL, "/v1/kpis", scope="tenant", period=MONTH), token,
                           headers=headers)
    c.equal(status, 401, f"GET /v1/kpis with {name}: status")
for name, method, path, token, payload in [
        ("read-only token posting events", "POST", "/v1/events", read_only, probe),
        ("admin-only token posting events", "POST", "/v1/events", admin_only, probe),
        ("ingest-only token reading KPIs", "GET",
         url_with("", "/v1/kpis", scope="tenant", period=MONTH), ingest_only, None),
        ("ingest-only token reading a series", "GET",
         url_with("", "/v1/kpis/series", scope="tenant", **{"from": "2026-01", "to": "2026-02"}),
         ingest_only, None),
        ("ingest-only token PUTting a target", "PUT", "/v1/targets", ingest_only,
         {"scope": "queue:auth", "kpi": "asa_s", "value": 11, "effective_from": "2026-01-01"}),
        ("read-only token PUTting a target", "PUT", "/v1/targets", read_only,
         {"scope": "queue:auth", "kpi": "asa_s", "value": 12, "effective_from": "2026-01-01"}),
        ("ingest-only token PUTting queue settings", "PUT", "/v1/queues/auth", ingest_only,
         {"service": "svc-forbidden"}),
        ("read-only token PUTting queue settings", "PUT", "/v1/queues/auth", read_only,
         {"service": "svc-forbidden"})]:
    status, body, _ = http(method, URL + path, token, payload)
    c.equal(status, 403, f"{name}: status")
    is_error_shape(body, status, name)
c.equal(count_rows(), rows_before, "contacts rows after refused (401/403) posts")
status, body, _ = http("GET", url_with(URL, "/v1/targets", scope="queue:auth"), full)
c.equal((status, (body or {}).get("targets")), (200, []),
        "no target stored by the refused PUT /v1/targets")
status, body, _ = http("GET", URL + "/v1/queues/auth", full)
c.check(status == 404 or (status == 200 and not any(
    v.get("service") == "svc-forbidden" for v in (body or {}).get("versions", []))),
    f"no queue settings stored by the refused PUTs: {status} {body!r:.200}")
# The right scopes work.
post_ok(probe, 1, 0, "ingest-only token posting events", token=ingest_only)
c.equal(get_kpis(URL, read_only, "queue:auth", MONTH)[0], 200, "read-only token reading KPIs")
status, _, _ = http("PUT", URL + "/v1/targets", admin_only,
                    {"scope": "queue:auth", "kpi": "asa_s", "value": 13})
c.equal(status, 200, "admin-only token PUTting a target")

# ---- instants at the edge of the representable range: 200 or 422, never a 5xx ----------------
EDGES = [("year 0000", "0000-01-01T00:00:00Z"),
         ("year 0000 in UTC after the offset", "0001-01-01T00:30:00+01:00"),
         ("year 10000 in UTC after the offset", "9999-12-31T23:59:59-12:00")]
for n, (name, offered) in enumerate(EDGES):
    item = {"id": f"edge-{n}", "queue": "edge", "offered_at": offered, "outcome": "refused"}
    status, body, _ = post_events(URL, full, item)
    details = (body.get("error") or {}).get("details") if isinstance(body, dict) else None
    stored = count_rows(f"id = 'edge-{n}'")
    c.check((status == 200 and body == {"accepted": 1, "duplicates": 0} and stored == 1)
            or (status == 422 and stored == 0 and isinstance(details, list)
                and [(d.get("index"), d.get("field")) for d in details] == [(0, "offered_at")]),
            f"offered_at {offered} ({name}): want 200 and stored, or 422 with a details entry "
            f"for offered_at; got {status} {body!r:.200} (stored rows: {stored})")

# A request that is valid is never failed by another request's item in the same group commit.
GOOD_THREADS, GOOD_PER = 16, 20
good_answers, go = [], threading.Barrier(GOOD_THREADS + 1)


def good_poster(t):
    go.wait()
    for i in range(GOOD_PER):
        try:
            good_answers.append(post_events(URL, full, call(f"inno-{t}-{i}", "inno",
                                                            ts(13, 9, i, t / 100.0)))[:2])
        except Exception as exc:
            good_answers.append((None, repr(exc)))


def edge_poster():
    go.wait()
    for i in range(GOOD_PER * 2):
        name, offered = EDGES[i % len(EDGES)]
        post_events(URL, full, {"id": f"edge-x{i}", "queue": "edge", "offered_at": offered,
                                "outcome": "refused"})


threads = [threading.Thread(target=good_poster, args=(t,)) for t in range(GOOD_THREADS)]
threads.append(threading.Thread(target=edge_poster))
for th in threads:
    th.start()
for th in threads:
    th.join()
failed = [a for a in good_answers if a != (200, {"accepted": 1, "duplicates": 0})]
c.check(not failed, f"valid requests posted alongside edge-of-range timestamps: {len(failed)} of "
                    f"{len(good_answers)} not accepted, e.g. {failed[:2]!r}")
c.equal(count_rows("queue = 'inno'"), GOOD_THREADS * GOOD_PER,
        "contacts rows of the valid requests posted alongside edge-of-range timestamps")

# ---- concurrency: group commit counts every call exactly once ---------------------------
THREADS, PER = 32, 50
tenant_offered = value(kpis("tenant"), "offered")
results = [[] for _ in range(THREADS)]
barrier = threading.Barrier(THREADS)


def hammer(t):
    barrier.wait()
    for i in range(PER):
        e = call(f"conc-{t}-{i}", "conc", ts(11, t % 24, i % 60, (t * PER + i) / 1000.0),
                 wait=1 + (i % 90))
        try:
            results[t].append(post_events(URL, full, e)[:2])
        except Exception as exc:  # count it as a failure, not a crash
            results[t].append((None, repr(exc)))


t0 = time.time()
threads = [threading.Thread(target=hammer, args=(t,)) for t in range(THREADS)]
for th in threads:
    th.start()
for th in threads:
    th.join()
flat = [r for rs in results for r in rs]
bad = [r for r in flat if r != (200, {"accepted": 1, "duplicates": 0})]
c.check(len(flat) == THREADS * PER and not bad,
        f"{THREADS}x{PER} concurrent single-call posts: {len(bad)} answers other than 200 "
        f"{{accepted 1, duplicates 0}}, e.g. {bad[:3]!r}")
expect("queue:conc", {"offered": THREADS * PER}, "after concurrent posts")
c.equal(value(kpis("tenant"), "offered"), tenant_offered + THREADS * PER,
        "tenant offered after concurrent posts")
c.equal(count_rows("queue = 'conc'"), THREADS * PER, "contacts rows of queue conc")
sums = pg.psql("SELECT sum(offered) FROM contact_intervals WHERE queue = 'conc'")
c.equal(sums, [[str(THREADS * PER)]], "contact_intervals offered of queue conc")
print(f"  concurrent ingest: {THREADS * PER} requests in {time.time() - t0:.1f}s", flush=True)

# Two threads post the same id at once (with one unique id each), 100 times.
ROUNDS = 100
pair_barrier = threading.Barrier(2)
answers = [[None] * ROUNDS for _ in range(2)]


def racer(t):
    for r in range(ROUNDS):
        body = [call(f"race-{r}", "race", ts(12, 9, r % 60, r / 100.0), wait=2),
                call(f"race-{r}-own{t}", "race", ts(12, 10, r % 60), wait=3)]
        pair_barrier.wait()
        try:
            answers[t][r] = post_events(URL, full, body)[:2]
        except Exception as exc:
            answers[t][r] = (None, repr(exc))


racers = [threading.Thread(target=racer, args=(t,)) for t in range(2)]
for th in racers:
    th.start()
for th in racers:
    th.join()
wrong = []
for r in range(ROUNDS):
    a, b = answers[0][r], answers[1][r]
    ok = (a[0] == 200 and b[0] == 200
          and a[1]["accepted"] + b[1]["accepted"] == 3 and a[1]["duplicates"] + b[1]["duplicates"] == 1
          and a[1]["accepted"] >= 1 and b[1]["accepted"] >= 1)
    if not ok:
        wrong.append((r, a, b))
c.check(not wrong, f"same id posted by two threads at once: {len(wrong)} of {ROUNDS} rounds "
                   f"not accepted exactly once in total, e.g. {wrong[:2]!r}")
c.equal(count_rows("queue = 'race'"), 3 * ROUNDS, "contacts rows of queue race")
expect("queue:race", {"offered": 3 * ROUNDS}, "after the duplicate race")

c.equal(daemon.stop(), 0, "daemon exit code after SIGTERM")
print(f"  ran in {time.time() - started:.1f}s", flush=True)
c.finish()
