"""Client/server mode against a real `chroma run` on a loopback port."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ingest.chunking import chunk_document
from ingest.loaders import load_path
from ingest import pipeline
from visapath.service import Assistant
from visapath.store import StoreError

pytestmark = pytest.mark.server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ChromaServer:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.port = _free_port()
        self.proc: subprocess.Popen | None = None

    def start(self) -> "ChromaServer":
        chroma = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
        self.proc = subprocess.Popen(
            [chroma, "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("chroma run did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def server(tmp_path):
    srv = ChromaServer(tmp_path / "server-data").start()
    yield srv
    srv.stop()


def test_ingest_and_ask_through_a_chroma_server(server, settings_factory, corpus):
    a = Assistant(settings_factory(knowledge_dir=corpus, chroma_host="127.0.0.1", chroma_port=server.port))
    report = a.ingest([corpus])
    assert report.embedded == 4 and not report.failed
    assert "Chroma server at http://127.0.0.1" in a.store.where
    assert not (a.settings.data_dir / "chroma").exists()  # nothing embedded on local disk
    answer = a.ask("Which form is the STEM OPT training plan?")
    assert not answer.declined and "I-983" in answer.answer
    assert answer.citations[0].source == "visas/stem-opt.md"
    again = a.ingest([corpus])
    assert again.embedded == 0


def test_server_stopping_mid_run_gives_clear_error_and_no_partial_index(server, settings_factory, corpus, tmp_path,
                                                                         monkeypatch, capsys):
    for i in range(3):  # more files so the server can die between them
        (corpus / "visas" / f"extra-{i}.md").write_text(
            f"---\ntitle: Extra {i}\nsources: []\nlast_reviewed: 2026-11\n---\n"
            + "".join(f"## Part {j}\nDetail {j} of extra topic {i} about visa paperwork.\n\n" for j in range(5)))
    settings = settings_factory(knowledge_dir=corpus, chroma_host="127.0.0.1", chroma_port=server.port)
    a = Assistant(settings)
    a.store.count()  # connect while the server is up

    original_add = a.store.add
    calls = {"n": 0}

    def add_then_die(chunks, vectors, extra=None):
        calls["n"] += 1
        if calls["n"] == 2:
            server.stop()  # the server goes away while the second file is being written
        return original_add(chunks, vectors, extra)

    monkeypatch.setattr(a.store, "add", add_then_die)
    # Small write requests (a file never straddles two), so the server can die between files.
    monkeypatch.setattr(pipeline, "WRITE_BATCH", 4)
    with pytest.raises(StoreError, match="did not respond.*chroma run"):
        a.ingest([corpus])

    # The CLI turns the same failure into one clear line and exit code 2, no traceback.
    from visapath.cli import common, main

    monkeypatch.setattr(common, "_assistant", Assistant(settings))
    assert main(["ask", "--json", "What is Form I-983?"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: Could not") and "Traceback" not in err

    # Restart on the same data: every file is either fully indexed or absent.
    restarted = ChromaServer(server.path)
    restarted.port = server.port
    restarted.start()
    try:
        b = Assistant(settings)
        stored: dict[str, int] = {}
        for _, meta in b.store.metadatas_where():
            stored[meta["source"]] = stored.get(meta["source"], 0) + 1
        assert stored, "the first file should have been written before the server stopped"
        for source, n in stored.items():
            expected = len(chunk_document(load_path(corpus / source, source=source), b.chunking))
            assert n == expected, f"{source} is partially indexed"
        assert len(stored) < 5
        report = b.ingest([corpus])  # a re-run completes the rest
        assert not report.failed and b.store.count() == 4 + 15
    finally:
        restarted.stop()
