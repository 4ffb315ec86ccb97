"""A damaged or empty embedded index is detected at start, in a real process: a clear message
(never a segfault, hang or silently empty index), and `ingest --rebuild` recovers every posting."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from visapath.config import PROJECT_ROOT, Settings
from visapath.service import Assistant

POSTING = "Harrowgate Metrics is hiring a data scientist in Tulsa. We sponsor H-1B visas for this role.\n"


def _segment(chroma: Path) -> Path:
    (header,) = [p for p in chroma.glob("*/header.bin")][:1]
    return header.parent


def _zero_sqlite(chroma: Path) -> None:
    (chroma / "chroma.sqlite3").write_bytes(b"")


def _garble_sqlite(chroma: Path) -> None:
    data = bytearray((chroma / "chroma.sqlite3").read_bytes())
    data[:16] = b"\x00garbage-header!"
    (chroma / "chroma.sqlite3").write_bytes(bytes(data))


def _truncate_header(chroma: Path) -> None:
    path = _segment(chroma) / "header.bin"
    path.write_bytes(path.read_bytes()[:40])


def _damage_vectors(chroma: Path) -> None:
    path = _segment(chroma) / "data_level0.bin"
    path.write_bytes(path.read_bytes()[:1000])


def _garble_lengths(chroma: Path) -> None:
    path = _segment(chroma) / "length.bin"
    path.write_bytes(path.read_bytes() + b"\x07\x00\x00\x00")


DAMAGE: dict[str, Callable[[Path], None]] = {
    "zero-byte sqlite": _zero_sqlite,
    "garbled sqlite header": _garble_sqlite,
    "truncated segment header": _truncate_header,
    "damaged vector file": _damage_vectors,
    "garbled length file": _garble_lengths,
}


def _cli(data: Path, kb: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "VISAPATH_DATA_DIR": str(data),
           "VISAPATH_KNOWLEDGE_DIR": str(kb)}
    env.pop("VISAPATH_USER", None)
    return subprocess.run([sys.executable, "-m", "visapath.cli", *args], env=env, capture_output=True, text=True,
                          timeout=300)  # a hang fails the test here


@pytest.fixture
def indexed(tmp_path: Path, corpus: Path) -> Settings:
    settings = Settings(data_dir=tmp_path / "data", knowledge_dir=corpus, _env_file=None, llm_backend="none")
    a = Assistant(settings)
    a.ensure_index()
    a.paste_posting(POSTING)
    assert list(settings.chroma_path.glob("*/header.bin"))
    return settings


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damage_is_detected_at_start_with_a_way_out(indexed: Settings, corpus: Path, damage: str):
    DAMAGE[damage](indexed.chroma_path)
    done = _cli(indexed.data_dir, corpus, "ask", "--json", "Who qualifies for the STEM OPT extension?")
    assert done.returncode == 2, (done.returncode, done.stderr[-2000:])  # not -11 (segfault), not 0 (empty index)
    assert "is damaged" in done.stderr and "visapath ingest --rebuild" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("damage", ["zero-byte sqlite", "truncated segment header"])
def test_rebuild_recovers_guidance_and_postings(indexed: Settings, corpus: Path, damage: str):
    DAMAGE[damage](indexed.chroma_path)
    rebuilt = _cli(indexed.data_dir, corpus, "ingest", "--rebuild", "--quiet", str(corpus))
    assert rebuilt.returncode == 0, rebuilt.stderr[-2000:]
    listed = _cli(indexed.data_dir, corpus, "postings", "list", "--json")
    assert len(json.loads(listed.stdout)) == 1
    asked = _cli(indexed.data_dir, corpus, "ask", "--json", "Which company in Tulsa sponsors H-1B visas for data scientists?")
    assert asked.returncode == 0, asked.stderr[-2000:]
    assert any(c["source"].startswith("posting:") for c in json.loads(asked.stdout)["citations"])
