"""visapath as a Python package: the built wheel runs the user flows from any directory.

The wheel is built from this checkout (sdist first, so MANIFEST.in is exercised too), installed
into a fresh virtualenv with torch pinned to the CPU build, and driven through its console
script from a directory that is not the checkout, with the data directory left to its default
(the platform user data dir, pointed into the temp dir through XDG_DATA_HOME).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from visapath import resources
from visapath.config import PROJECT_ROOT, Settings

# Installing torch and the rest into a fresh virtualenv takes minutes; more on a loaded machine.
pytestmark = pytest.mark.timeout(1800)

QUESTION = "Can I start working for a new employer before my H-1B transfer is approved?"
POSTING = (
    "Senior ML Engineer at Example Labs.\n"
    "We are unable to sponsor or take over sponsorship of an employment visa for this role.\n"
    "Salary: $150,000 - $180,000 per year. This role is fully remote.\n"
)


def test_checkout_reads_top_level_folders_and_local_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VISAPATH_DATA_DIR", raising=False)
    assert resources.in_checkout()
    settings = Settings(_env_file=None)
    assert settings.knowledge_dir == PROJECT_ROOT / "knowledge"
    assert settings.prompts_dir == PROJECT_ROOT / "prompts"
    assert settings.data_dir == PROJECT_ROOT / "data"
    assert (settings.lexicon_path).is_file()


def test_data_dir_variable_always_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VISAPATH_DATA_DIR", str(tmp_path / "mine"))
    assert Settings(_env_file=None).data_dir == tmp_path / "mine"


def _clean_env(**extra: str) -> dict[str, str]:
    """The caller's environment without anything that would point back at this checkout."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("VISAPATH_") and k not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"}}
    env.update(HF_HUB_OFFLINE="1", ANONYMIZED_TELEMETRY="False", **extra)
    return env


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float = 900) -> subprocess.CompletedProcess:
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(cmd)} exited {done.returncode}\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with the wheel built from this checkout; returns its bin dir."""
    root = tmp_path_factory.mktemp("wheel")
    env = _clean_env()
    _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(root / "dist"), str(PROJECT_ROOT)],
         cwd=root, env=env)
    wheels = sorted((root / "dist").glob("visapath-*.whl"))
    assert len(wheels) == 1
    _run([sys.executable, "-m", "venv", str(root / "venv")], cwd=root, env=env)
    pip = [str(root / "venv" / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-compile",
           "--disable-pip-version-check"]
    _run([*pip, "torch==2.13.0"], cwd=root, env=env)  # the CPU build, pinned: never an unpinned torch
    _run([*pip, str(wheels[0])], cwd=root, env=env)
    return root / "venv" / "bin"


def test_wheel_runs_ingest_ask_and_explain_from_another_directory(installed: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = _clean_env(XDG_DATA_HOME=str(tmp_path / "xdg"), HOME=str(home))
    visapath = str(installed / "visapath")

    # The installed package reads its own copy of the guidance, not this checkout.
    where = _run([str(installed / "python"), "-c",
                  "from visapath.config import Settings; s = Settings(); print(s.knowledge_dir); print(s.data_dir)"],
                 cwd=home, env=env).stdout.split()
    assert "site-packages" in where[0] and not where[0].startswith(str(PROJECT_ROOT))
    assert where[1] == str(tmp_path / "xdg" / "visapath")

    ingest = _run([visapath, "ingest", "--quiet"], cwd=home, env=env)
    assert " added" in ingest.stdout and "failed" not in ingest.stdout, ingest.stdout
    assert (tmp_path / "xdg" / "visapath" / "chroma").is_dir()
    assert not (home / "data").exists()  # nothing written under the working directory

    asked = json.loads(_run([visapath, "ask", "--json", QUESTION], cwd=home, env=env).stdout)
    assert not asked["declined"]
    assert asked["citations"], asked
    assert any("h1b" in c["source"] for c in asked["citations"]), asked["citations"]
    assert "[1]" in asked["answer"]

    posting = home / "posting.txt"
    posting.write_text(POSTING, encoding="utf-8")
    explained = json.loads(_run([visapath, "explain", "--json", str(posting)], cwd=home, env=env).stdout)
    explained = explained[0] if isinstance(explained, list) else explained
    assert "no_sponsorship" in json.dumps(explained["sponsorship"]), explained["sponsorship"]


def test_python_m_ingest_indexes_a_folder_without_the_cli(tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "cap-gap.md").write_text(
        "# Cap-gap\n\nCap-gap extension keeps F-1 status and work authorization until October 1 "
        "when a timely H-1B change-of-status petition is pending.\n", encoding="utf-8")
    env = _clean_env(VISAPATH_DATA_DIR=str(tmp_path / "data"), PYTHONPATH=str(PROJECT_ROOT))
    done = _run([sys.executable, "-m", "ingest", str(folder), "--quiet"], cwd=tmp_path, env=env, timeout=300)
    assert "added  cap-gap.md" in done.stdout, done.stdout
    assert "1 files (1 added)" in done.stdout
