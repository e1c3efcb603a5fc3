"""The install a council's IT team does (issue 7 point 1): `cmake --install --prefix /usr`
into a staging root puts the binary, the systemd unit, the sysusers and tmpfiles
snippets, the example configuration, the SQL, the pages and the docs where Debian
expects them; `systemd-analyze verify` accepts the unit (pointed at the staged binary);
`systemd-analyze security` rates its sandbox; systemd-sysusers and systemd-tmpfiles
create the user and the state directory from the snippets; the installed binary runs
with the installed configuration and answers /healthz."""
import os
import re
import shutil
import subprocess

from harness import BUILD, Checks, Daemon, Postgres, http, temp_dir

c = Checks("systemd")
root = temp_dir("ccm-install-")
out = subprocess.run(["cmake", "--install", BUILD, "--prefix", "/usr"], capture_output=True, text=True,
                     env=dict(os.environ, DESTDIR=root))
c.equal(out.returncode, 0, f"cmake --install ({out.stderr[-400:]})")
for path in ("usr/sbin/ccmetricsd", "lib/systemd/system/ccmetricsd.service", "lib/sysusers.d/ccmetrics.conf",
             "lib/tmpfiles.d/ccmetrics.conf", "etc/ccmetrics/ccmetricsd.conf",
             "usr/share/ccmetrics/sql/001_core.sql", "usr/share/ccmetrics/dashboards/index.html",
             "usr/share/ccmetrics/dashboards/vendor/uPlot.iife.min.js",
             "usr/share/ccmetrics/grafana/dashboards/ccmetrics-kpis.json", "usr/share/doc/ccmetrics/README.md",
             "usr/share/doc/ccmetrics/alerts.md"):
    c.check(os.path.exists(os.path.join(root, path)), f"installed: /{path}")

unit_path = os.path.join(root, "lib/systemd/system/ccmetricsd.service")
unit = open(unit_path).read()
for line in ("Type=notify", "ExecReload=/bin/kill -HUP $MAINPID", "User=ccmetrics", "WatchdogSec=",
             "ProtectSystem=strict", "PrivateTmp=yes", "NoNewPrivileges=yes",
             "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6", "SystemCallFilter=@system-service",
             "StateDirectory=ccmetrics", "RuntimeDirectory=ccmetrics"):
    c.check(line in unit, f"unit: {line}")
staged = os.path.join(temp_dir("ccm-unit-"), "ccmetricsd.service")
with open(staged, "w") as f:
    f.write(unit.replace("/usr/sbin/ccmetricsd", os.path.join(root, "usr/sbin/ccmetricsd")))
verify = subprocess.run(["systemd-analyze", "verify", staged], capture_output=True, text=True)
c.equal((verify.returncode, verify.stderr.strip()), (0, ""), "systemd-analyze verify: no complaint")
security = subprocess.run(["systemd-analyze", "security", "--offline=yes", staged], capture_output=True,
                          text=True)
level = re.search(r"Overall exposure level for ccmetricsd.service: ([\d.]+)", security.stdout)
c.check(level and float(level.group(1)) <= 2.0, f"sandboxed (exposure {level and level.group(1)} of 10)")
print(f"  systemd-analyze security: exposure {level and level.group(1)}", flush=True)

sysusers = subprocess.run(["systemd-sysusers", f"--root={root}"], capture_output=True, text=True)
passwd = open(os.path.join(root, "etc/passwd")).read() if os.path.exists(os.path.join(root, "etc/passwd")) else ""
c.check(sysusers.returncode == 0 and re.search(r"^ccmetrics:x:\d+:\d+:.*:/var/lib/ccmetrics:/usr/sbin/nologin$",
                                                passwd, re.M), f"sysusers creates the user ({sysusers.stderr})")
if os.geteuid() == 0:
    tmpfiles = subprocess.run(["systemd-tmpfiles", f"--root={root}", "--create"], capture_output=True, text=True)
    state = os.path.join(root, "var/lib/ccmetrics")
    c.check(tmpfiles.returncode == 0 and os.path.isdir(state) and oct(os.stat(state).st_mode & 0o777) == "0o750",
            f"tmpfiles creates /var/lib/ccmetrics 0750 ({tmpfiles.stderr})")

# The installed binary with the installed configuration (its database and data dir given).
pg = Postgres()
config = os.path.join(root, "etc/ccmetrics/ccmetricsd.conf")
c.check(re.search(r"^listen = 127\.0\.0\.1:8080$", open(config).read(), re.M), "the example config listens locally")
binary = os.path.join(root, "usr/sbin/ccmetricsd")
import harness  # noqa: E402
harness.DAEMON = binary
daemon = Daemon(database=pg.dsn, extra=["--config", config, "--listen", "127.0.0.1:0"])
c.equal(http("GET", daemon.url + "/healthz")[0], 200, "the installed daemon serves")
c.equal(daemon.stop(), 0, "daemon exit code")
pg.stop()
shutil.rmtree(root, ignore_errors=True)
c.finish()
