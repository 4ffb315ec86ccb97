"""Start the real Streamlit app on a free local port for browser tests and the app benchmark."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
E2E = Path(__file__).resolve().parent
CHROMIUM = Path("/usr/bin/chromium")


def browser_missing() -> str | None:
    """Why the browser flow cannot run here (scripts/test.sh installs both), or None."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (scripts/test.sh installs Debian chromium)"
    if not (E2E / "node_modules" / "playwright-core").is_dir():
        return "playwright-core is missing (scripts/test.sh runs npm install in tests/e2e)"
    if shutil.which("node") is None:
        return "node is missing"
    return None


def bench_preflight() -> bool:
    """For a benchmark script: say why the browser flow cannot run (False), or set the offline
    environment the app server inherits (True)."""
    reason = browser_missing()
    if reason:
        print(f"cannot run: {reason}", file=sys.stderr)
        return False
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    return True


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class AppServer:
    """`streamlit run app.py` with its own data dir; a context manager that stops only its process."""

    data_dir: Path
    log_path: Path
    port: int = field(default_factory=free_port)
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None
    started_at: float = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> "AppServer":
        env = {**os.environ, "VISAPATH_DATA_DIR": str(self.data_dir), "HF_HUB_OFFLINE": "1",
               "ANONYMIZED_TELEMETRY": "False", **self.env}
        cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(self.port),
               "--server.address", "127.0.0.1", "--server.headless", "true",
               "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("wb")
        self.started_at = time.time()
        self.process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.process.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"streamlit did not answer on {self.url} within {timeout:.0f}s; see {self.log_path}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)  # its own session: only this server and its children
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)

    def __enter__(self) -> "AppServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run_node(script: str, env: dict[str, str], timeout: float = 600.0) -> subprocess.CompletedProcess[str]:
    """Run one of the Node scripts in tests/e2e with extra environment variables."""
    return subprocess.run(["node", str(E2E / script)], cwd=ROOT, env={**os.environ, **env}, capture_output=True,
                          text=True, timeout=timeout)
