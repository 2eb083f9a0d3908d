"""`alliancesim serve` (issue 24): loopback by default and says where; any other host needs a
token, generated and printed or given; a taken port or --no-store refused in one line."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from alliancesim.web.settings import is_loopback

SRC = str(Path(__file__).resolve().parents[1] / "src")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": SRC, "ALLIANCESIM_STORE": str(tmp_path / "r.duckdb")}
    return subprocess.Popen([sys.executable, "-m", "alliancesim", "serve", *args],
                            stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)


def read_until(proc: subprocess.Popen[str], marker: str, timeout: float = 30) -> str:
    assert proc.stderr is not None
    lines, end = "", time.monotonic() + timeout
    while marker not in lines and time.monotonic() < end:
        line = proc.stderr.readline()
        if not line:
            break
        lines += line
    return lines


@pytest.mark.parametrize(("host", "loop"), [("127.0.0.1", True), ("127.0.0.2", True),
                                            ("::1", True), ("localhost", True),
                                            ("0.0.0.0", False), ("192.168.1.5", False),
                                            ("::", False), ("example.org", False)])
def test_which_hosts_need_a_token(host: str, loop: bool) -> None:
    assert is_loopback(host) is loop


def test_serve_on_loopback_prints_the_address_and_answers(tmp_path: Path) -> None:
    port = free_port()
    proc = start(tmp_path, "--port", str(port))
    try:
        said = read_until(proc, "results store:")
        assert f"on http://127.0.0.1:{port}/" in said and "token" not in said
        body = b""
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/scenarios",
                                            timeout=2) as r:
                    body = r.read()
                break
            except OSError:
                time.sleep(0.05)
        assert b"csto-2021-autumn" in body
        # the port is taken now: a second server is refused in one line, exit 2
        second = subprocess.run([sys.executable, "-m", "alliancesim", "serve", "--port",
                                 str(port)], capture_output=True, text=True,
                                env={**os.environ, "PYTHONPATH": SRC,
                                     "ALLIANCESIM_STORE": str(tmp_path / "r.duckdb")})
        assert second.returncode == 2
        assert second.stderr.startswith(f"error: --port {port}: cannot listen there")
    finally:
        proc.send_signal(signal.SIGINT)
        rest = proc.communicate(timeout=20)[1]
    assert proc.returncode == 130
    assert rest.strip() == ("interrupted (Ctrl-C): stopped; every finished run is kept in the "
                            "results store, a run in progress is not")


def test_another_host_needs_a_token_and_says_so(tmp_path: Path) -> None:
    port = free_port()
    proc = start(tmp_path, "--host", "0.0.0.0", "--port", str(port))
    try:
        said = read_until(proc, "results store:")
        assert "every request needs the access token (generated for this session)" in said
        token = said.split("access token: ")[1].split()[0]
        assert len(token) >= 24
        url = f"http://127.0.0.1:{port}/api/v1/scenarios"
        for _ in range(100):
            try:
                urllib.request.urlopen(url, timeout=2)
            except urllib.error.HTTPError as exc:
                assert exc.code == 401
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise AssertionError("no answer")
        req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(req, timeout=2) as r:
            assert r.status == 200
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)


def test_serve_refuses_no_store_and_a_short_token() -> None:
    env = {**os.environ, "PYTHONPATH": SRC}
    out = subprocess.run([sys.executable, "-m", "alliancesim", "--no-store", "serve"],
                         capture_output=True, text=True, env=env)
    assert out.returncode == 2 and "drop --no-store" in out.stderr
    out = subprocess.run([sys.executable, "-m", "alliancesim", "serve", "--token", "abc"],
                         capture_output=True, text=True, env=env)
    assert out.returncode == 2 and out.stderr.startswith("error: --token ***: at least 8")
