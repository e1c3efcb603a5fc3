"""Runs ../shared/conformance/run.py (figures from an independent
implementation of the KPI definitions) against a real ccmetricsd on its
embedded PostgreSQL, as a council would run it."""
import os
import subprocess
import sys

from harness import SHARED, Daemon

run_py = os.path.join(SHARED, "conformance", "run.py")
if not os.path.exists(run_py):
    print(f"conformance suite not found at {run_py}: the repository must sit beside shared/")
    sys.exit(1)
daemon = Daemon()
result = subprocess.run([sys.executable, run_py, "--url", daemon.url, "--token-cmd",
                         daemon.token_command()], timeout=900)
code = daemon.stop()
if code != 0:
    print(f"ccmetricsd exited with {code} after SIGTERM")
    sys.exit(1)
sys.exit(result.returncode)
