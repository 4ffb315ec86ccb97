"""The server answers only to its own name: a real server process, raw WebSocket handshakes.

A web page on another site can make the browser connect to the app (DNS rebinding: the page's
own name resolves to the app's address), and then the browser sends that site's name as Host
and Origin. Such a handshake must be refused; one naming the server itself is accepted.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.appserver import AppServer, free_port
from visapath.cli import main
from visapath.cli.serve import ServeConfigError, allowed_hosts
from visapath.config import PROJECT_ROOT, Settings


def handshake(port: int, host: str, origin: str) -> int:
    """The HTTP status of a WebSocket upgrade to the app's stream (101: accepted)."""
    import socket

    key = base64.b64encode(os.urandom(16)).decode()
    request = (f"GET /_stcore/stream HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: {origin}\r\n\r\n")
    with socket.create_connection(("127.0.0.1", port), timeout=20) as conn:
        conn.sendall(request.encode())
        head = b""
        while b"\r\n" not in head:
            chunk = conn.recv(1024)
            if not chunk:
                break
            head += chunk
    return int(head.split(b" ", 2)[1])


def wait_healthy(port: int, process: subprocess.Popen, log: Path, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the server did not start: {log.read_text()[-2000:]}")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """`visapath serve` on loopback, told that its public name is visapath.test."""
    tmp = tmp_path_factory.mktemp("serve")
    port, log = free_port(), tmp / "serve.log"
    env = {**os.environ, "VISAPATH_DATA_DIR": str(tmp / "data"), "VISAPATH_PORT": str(port),
           "VISAPATH_ALLOWED_HOSTS": "visapath.test", "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False",
           "PYTHONPATH": str(PROJECT_ROOT)}
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "visapath.cli", "serve", "--", "--server.headless", "true",
                                    "--server.fileWatcherType", "none"], cwd=tmp, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_healthy(port, process, log)
        yield port
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=20)


def test_serve_accepts_its_own_names_and_refuses_other_sites(served: int) -> None:
    port = served
    assert handshake(port, f"visapath.test:{port}", f"http://visapath.test:{port}") == 101
    assert handshake(port, f"127.0.0.1:{port}", f"http://127.0.0.1:{port}") == 101
    assert handshake(port, f"localhost:{port}", f"http://localhost:{port}") == 101
    # DNS rebinding: the attacker's name as both Host and Origin (same-origin from the browser's view).
    assert handshake(port, f"rebind.attacker.example:{port}", f"http://rebind.attacker.example:{port}") == 403
    # Cross-site: our Host, but the connection was opened by a page on another site.
    assert handshake(port, f"visapath.test:{port}", "http://attacker.example") == 403


def test_local_app_refuses_a_foreign_host_by_default(tmp_path: Path) -> None:
    """`streamlit run app.py` without `visapath serve` reads .streamlit/config.toml: loopback names only."""
    with AppServer(tmp_path / "data", tmp_path / "app.log") as app:
        assert handshake(app.port, f"127.0.0.1:{app.port}", f"http://127.0.0.1:{app.port}") == 101
        assert handshake(app.port, f"rebind.attacker.example:{app.port}",
                         f"http://rebind.attacker.example:{app.port}") == 403


def test_a_wildcard_address_needs_the_public_names(capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ServeConfigError, match="VISAPATH_ALLOWED_HOSTS"):
        allowed_hosts(Settings(_env_file=None, serve_address="0.0.0.0"))
    hosts = allowed_hosts(Settings(_env_file=None, serve_address="0.0.0.0", allowed_hosts="Visapath.Example.org, 10.0.0.5"))
    assert hosts[:2] == ["visapath.example.org", "10.0.0.5"] and "0.0.0.0" not in hosts
    assert allowed_hosts(Settings(_env_file=None, serve_address="10.1.2.3"))[0] == "10.1.2.3"
    assert allowed_hosts(Settings(_env_file=None)) == ["127.0.0.1", "localhost", "::1"]

    monkeypatch.setenv("VISAPATH_SERVE_ADDRESS", "0.0.0.0")
    monkeypatch.delenv("VISAPATH_ALLOWED_HOSTS", raising=False)
    from visapath.config import get_settings

    get_settings.cache_clear()
    try:
        assert main(["serve", "--print-command"]) == 2  # refused before anything listens
    finally:
        get_settings.cache_clear()
    assert "VISAPATH_ALLOWED_HOSTS" in capsys.readouterr().err
