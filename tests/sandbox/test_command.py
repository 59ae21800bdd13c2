"""python manage.py wecom_sandbox starts a sandbox that answers with the settings' credentials."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url, process, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the command exited: {process.communicate()}")
        try:
            return requests.get(url, timeout=1)
        except requests.ConnectionError:
            time.sleep(0.1)
    raise AssertionError(f"nothing answered at {url}")


def test_it_serves_the_sandbox_from_the_management_command(tmp_path):
    port = free_port()
    state = tmp_path / "sandbox.json"
    env = {
        **os.environ,
        "VAR_DIR": str(tmp_path / "var"),
        "WECOM_CORP_ID": "wwcommand",
        "WECOM_SECRET": "command-secret",
        "PYTHONUNBUFFERED": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "manage.py", "wecom_sandbox", "--port", str(port), "--state", str(state)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # CONTROL-C as at a terminal, however the tests were started: a shell's background
        # job ignores SIGINT, and its children would inherit that.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        url = f"http://127.0.0.1:{port}/cgi-bin/gettoken?corpid=wwcommand&corpsecret=command-secret"
        answer = wait_for(url, process).json()
        assert answer["errcode"] == 0
        wrong = requests.get(
            f"http://127.0.0.1:{port}/cgi-bin/gettoken",
            params={"corpid": "wwsandbox", "corpsecret": "sandbox-secret"},
            timeout=5,
        ).json()
        assert wrong["errcode"] == 40013
        process.send_signal(signal.SIGINT)
        stdout, _ = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert f"http://127.0.0.1:{port}" in stdout
    assert "stopped" in stdout
