"""The dashboard pages' static files, served by a real ccmetricsd on the API's origin:
content types, index.html for directories, HEAD, ETag revalidation (304), security
headers, and nothing outside the directory: no traversal (plain or percent-encoded), no
hidden names, no symlinks, no directories; /v1/ stays the API's (JSON 404)."""
import os
import socket

from harness import Checks, Daemon, Postgres, http, temp_dir, write_config

c = Checks("static_pages")
pages = temp_dir("ccm-pages-")
os.makedirs(os.path.join(pages, "assets"))
os.makedirs(os.path.join(pages, "empty"))
os.makedirs(os.path.join(pages, ".git"))
files = {"index.html": "<!doctype html><title>wallboard</title>",
         "month.html": "<!doctype html><title>month</title>",
         "assets/app.js": "console.log('x');", "assets/style.css": "body{}",
         "assets/index.html": "assets index", ".secret": "no", ".git/config": "no",
         "data.bin": "\x00\x01"}
for name, text in files.items():
    with open(os.path.join(pages, name), "w") as f:
        f.write(text)
outside = os.path.join(temp_dir("ccm-outside-"), "private.txt")
with open(outside, "w") as f:
    f.write("private")
os.symlink(outside, os.path.join(pages, "link.txt"))
os.chmod(pages, 0o755)
for root, dirs, names in os.walk(pages):
    for d in dirs:
        os.chmod(os.path.join(root, d), 0o755)
    for n in names:
        if not os.path.islink(os.path.join(root, n)):
            os.chmod(os.path.join(root, n), 0o644)

pg = Postgres()
daemon = Daemon(database=pg.dsn, extra=["--config", write_config(f"dashboards_dir = {pages}\n")])
URL = daemon.url


def raw(method, path, headers=""):
    """One request with the path as given (no client-side normalisation)."""
    with socket.create_connection(("127.0.0.1", daemon.port), timeout=10) as s:
        s.sendall(f"{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{headers}\r\n"
                  .encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    fields = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), fields, body


for path, name, ctype in [("/", "index.html", "text/html; charset=utf-8"),
                          ("/month.html", "month.html", "text/html; charset=utf-8"),
                          ("/assets/app.js", "assets/app.js", "text/javascript; charset=utf-8"),
                          ("/assets/style.css", "assets/style.css", "text/css; charset=utf-8"),
                          ("/assets/", "assets/index.html", "text/html; charset=utf-8"),
                          ("/data.bin", "data.bin", "application/octet-stream"),
                          ("/?scope=queue:bins", "index.html", "text/html; charset=utf-8")]:
    status, fields, body = raw("GET", path)
    c.equal((status, fields.get("content-type"), body.decode()), (200, ctype, files[name]),
            f"GET {path}")
status, fields, body = raw("GET", "/")
c.equal(fields.get("x-content-type-options"), "nosniff", "nosniff")
c.check("default-src 'self'" in fields.get("content-security-policy", ""), "a CSP")
c.equal(fields.get("cache-control"), "no-cache", "pages are revalidated")
etag = fields.get("etag")
c.check(etag, "an ETag")
status, fields, body = raw("GET", "/", f"If-None-Match: {etag}\r\n")
c.equal((status, body), (304, b""), "the same ETag: 304 without a body")
status, fields, body = raw("HEAD", "/month.html")
c.equal((status, body, fields.get("content-length")), (200, b"", str(len(files["month.html"]))),
        "HEAD: the length, no body")

for path in ["/../" + os.path.relpath(outside, "/"), "/%2e%2e/%2e%2e/etc/passwd",
             "/assets/../../etc/passwd", "/assets/..%2f..%2fetc%2fpasswd", "/.secret",
             "/.git/config", "/link.txt", "/empty", "/empty/", "/missing.html", "//etc/passwd",
             "/assets//app.js", "/a%00b", "/%5c..%5cetc", "/assets/app.js%20"]:
    status, fields, body = raw("GET", path)
    c.check(status in (400, 404) and b"private" not in body and b"root:" not in body,
            f"GET {path}: refused ({status})")
status, body, _ = http("GET", URL + "/v1/nothing")
c.equal((status, body.get("error", {}).get("code") if isinstance(body, dict) else None),
        (404, "not_found"), "/v1/ paths stay the API's")
status, fields, body = raw("POST", "/")
c.check(status in (404, 405), f"POST / is not a page ({status})")
status, body, _ = http("GET", URL + "/healthz")
c.equal(status, 200, "the API's public routes are unchanged")

c.equal(daemon.stop(), 0, "daemon exit code")
pg.stop()
c.finish()
