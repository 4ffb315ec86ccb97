"""Shared fixtures: real settings in temp dirs, the real model, a real knowledge index."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from visapath.cli import common  # noqa: E402
from visapath.config import PROJECT_ROOT, SHARED_DIR, Settings, get_settings  # noqa: E402
from visapath.service import Assistant  # noqa: E402

SHARED = SHARED_DIR
DEV_SET = SHARED / "eval" / "dev"


@pytest.fixture
def settings_factory(tmp_path: Path) -> Callable[..., Settings]:
    """Settings isolated in a temp data dir; keyword arguments override fields."""

    def make(**overrides) -> Settings:
        values = {"data_dir": tmp_path / "data", "_env_file": None, "llm_backend": "none"}
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture(scope="session")
def kb_assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    """An Assistant over the real knowledge/ base, indexed once per test session."""
    data = tmp_path_factory.mktemp("kb-data")
    assistant = Assistant(Settings(data_dir=data, _env_file=None, llm_backend="none"))
    assistant.ensure_index()
    return assistant


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A small guidance folder written by the test (copied facts, own structure)."""
    root = tmp_path / "kb"
    (root / "visas").mkdir(parents=True)
    (root / "visas" / "stem-opt.md").write_text(
        "---\ntitle: STEM OPT extension\ntopic: opt\nlast_reviewed: 2026-11\nsources:\n"
        "  - title: STEM OPT Hub\n    url: https://studyinthestates.dhs.gov/stem-opt-hub\n---\n\n"
        "## Who qualifies for the STEM OPT extension?\n"
        "F-1 students with a qualifying STEM degree can extend OPT by 24 months. "
        "The employer must be enrolled in E-Verify.\n\n"
        "## What is the training plan form?\n"
        "The student and the employer complete Form I-983, a training plan that lists learning goals. "
        "Students report changes to their designated school official.\n",
        encoding="utf-8",
    )
    (root / "visas" / "h1b-transfer.md").write_text(
        "---\ntitle: Changing H-1B employers\ntopic: h1b\nlast_reviewed: 2026-11\nsources:\n"
        "  - title: INA 214(n)\n    url: https://uscode.house.gov\n---\n\n"
        "## When can work for the new employer begin?\n"
        "An H-1B worker can begin working for a new employer once that employer files a non-frivolous petition. "
        "No minimum period in status is required before changing employers.\n\n"
        "## Does a transfer go through the lottery again?\n"
        "Someone already counted against the cap is not selected again when changing employers.\n",
        encoding="utf-8",
    )
    return root


@pytest.fixture
def cli_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`visapath` commands run against a temp data dir, with a fresh assistant."""
    data = tmp_path / "cli-data"
    monkeypatch.setenv("VISAPATH_DATA_DIR", str(data))
    monkeypatch.delenv("VISAPATH_USER", raising=False)
    get_settings.cache_clear()
    monkeypatch.setattr(common, "_assistant", None)
    yield data
    get_settings.cache_clear()


# -- storage: the app database on embedded SQLite and on a real PostgreSQL (tests/databases.py) ----
@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path):
    """A fresh, empty app database URL: an SQLite file, then a new database on the test server."""
    from tests.databases import fresh_postgres
    from visapath.database import forget_engine, sqlite_url

    if request.param == "sqlite":
        url = sqlite_url(tmp_path / "data" / "visapath.sqlite3")  # where settings_factory's default puts it
        yield url
        forget_engine(url)
        return
    with fresh_postgres() as url:
        yield url
