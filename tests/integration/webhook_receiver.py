"""A webhook receiver for the alert tests: a real HTTP server process on loopback.
Usage: python3 webhook_receiver.py PORT LOG_FILE MODE_FILE
Every request is appended to LOG_FILE as one JSON line (path, headers, body, and the
status answered) once answered; LOG_FILE.arrivals gets a line as soon as it arrives.
MODE_FILE is JSON {path or "*": mode}, re-read on every request: "ok" (204), "fail"
(503), "gone" (410), "busy N" (429 with Retry-After: N), "redirect URL" (302), "slow N"
(sleep N seconds, then 204). Prints "listening" once it accepts."""
import http.server
import json
import sys
import time

port, log_file, mode_file = int(sys.argv[1]), sys.argv[2], sys.argv[3]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(log_file + ".arrivals", "a") as f:
            f.write(json.dumps({"path": self.path, "webhook_id": self.headers.get("webhook-id"),
                                "at": time.time()}) + "\n")
        try:
            with open(mode_file) as f:
                modes = json.load(f)
        except (OSError, ValueError):
            modes = {}
        mode = modes.get(self.path, modes.get("*", "ok")).split()
        status, extra = 204, {}
        if mode and mode[0] == "fail":
            status = 503
        elif mode and mode[0] == "gone":
            status = 410
        elif mode and mode[0] == "busy":
            status, extra = 429, {"Retry-After": mode[1]}
        elif mode and mode[0] == "redirect":
            status, extra = 302, {"Location": mode[1]}
        elif mode and mode[0] == "slow":
            time.sleep(float(mode[1]))
        with open(log_file, "a") as f:
            f.write(json.dumps({"path": self.path, "headers": dict(self.headers.items()),
                                "body": body.decode(), "status": status, "at": time.time()}) + "\n")
        self.send_response(status)
        for key, value in extra.items():
            self.send_header(key, value)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
print("listening", flush=True)
server.serve_forever()
