"""The data folder is private (0700/0600), deleted text leaves the files, and unusable folders
give one clear message instead of a traceback."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from visapath.config import PROJECT_ROOT
from visapath.conversations import ConversationStore
from visapath.models import Answer
from visapath.service import Assistant

MARKER = "Zanzibarquokka"
POSTING = (
    f"{MARKER} Labs is hiring a Machine Learning Engineer in Austin, TX.\n"
    "We sponsor H-1B visas for this role. A master's degree and 3 years of experience are required.\n"
)


def _loose(root: Path) -> list[str]:
    """Every path under root that group or others can access."""
    found = []
    for path in [root, *root.rglob("*")]:
        mode = path.lstat().st_mode
        if not stat.S_ISLNK(mode) and mode & 0o077:
            found.append(f"{path.relative_to(root)} {oct(mode & 0o777)}")
    return found


def _holding(root: Path, needle: str) -> list[str]:
    data = needle.encode()
    return [str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and data in p.read_bytes()]


@pytest.fixture
def used(settings_factory, corpus) -> Assistant:
    """An assistant that has indexed guidance, saved a profile, a posting and a conversation."""
    a = Assistant(settings_factory(knowledge_dir=corpus))
    a.ensure_index()
    a.profiles.update(status="h1b", name="Ana Lima")
    a.paste_posting(POSTING)
    conv = a.conversations.create()
    a.ask("Can an H-1B worker start at a new employer before approval?", conversation_id=conv.id)
    return a


def test_everything_written_is_owner_only(used: Assistant):
    data = used.settings.data_dir
    assert (data / "chroma" / "chroma.sqlite3").exists() and used.settings.sqlite_path.exists()
    assert _loose(data) == []


def test_an_old_readable_tree_is_tightened_on_open(settings_factory, tmp_path: Path):
    data = tmp_path / "data"
    (data / "profiles").mkdir(parents=True)
    (data / "profiles" / "local.json").write_text("{}")
    os.chmod(data, 0o755)
    os.chmod(data / "profiles", 0o755)
    os.chmod(data / "profiles" / "local.json", 0o644)
    Assistant(settings_factory())
    assert _loose(data) == []


def test_deleted_posting_text_leaves_every_file(used: Assistant):
    data = used.settings.data_dir
    assert _holding(data, MARKER), "the posting should be stored before it is deleted"
    (saved,) = used.postings.list()
    assert used.postings.delete(saved.id)
    assert _holding(data, MARKER) == []
    # the index still works after the erase, in this process and in a new one
    assert used.ask("Does a transfer go through the lottery again?").citations
    again = Assistant(used.settings)
    assert again.store.count() == used.store.count() and again.ask("What is Form I-983?").citations


def test_deleted_conversation_text_leaves_the_database(tmp_path: Path):
    store = ConversationStore(tmp_path / "v.sqlite3", owner="ana")
    conv = store.create()
    store.append_turn(conv.id, f"Is {MARKER} a sponsor?", Answer(answer=f"{MARKER} answer", declined=False, backend="grounded"))
    assert MARKER.encode() in (tmp_path / "v.sqlite3").read_bytes()
    store.delete(conv.id)
    assert MARKER.encode() not in (tmp_path / "v.sqlite3").read_bytes()


def _cli_without_root_powers(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI with file-permission checks enforced even for root (CI runs as root)."""
    env = {**os.environ, "VISAPATH_DATA_DIR": str(data), "PYTHONPATH": str(PROJECT_ROOT)}
    env.pop("VISAPATH_USER", None)
    prefix = ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner"] if os.geteuid() == 0 else []
    return subprocess.run([*prefix, sys.executable, "-m", "visapath.cli", *args], env=env, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.skipif(sys.platform != "linux", reason="uses setpriv to drop root's permission override")
@pytest.mark.parametrize("locked", ["data", "database", "database-for-profile"])
def test_permission_errors_are_a_clear_message(tmp_path: Path, locked: str):
    data = tmp_path / "data"
    (data / "profiles").mkdir(parents=True)
    ConversationStore(data / "visapath.sqlite3")
    target = data if locked == "data" else data / "visapath.sqlite3"
    args = ["conversations", "list"] if locked == "database" else ["profile", "--name", "Ana"]
    if locked != "data":
        os.chmod(target, 0o000)
    else:
        os.chmod(target, 0o500)
    try:
        done = _cli_without_root_powers(data, *args)
    finally:
        os.chmod(target, 0o700)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "can't write to its data folder" in done.stderr and "VISAPATH_DATA_DIR" in done.stderr


def test_a_missing_model_package_is_a_clear_message(tmp_path: Path):
    env = {**os.environ, "VISAPATH_DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": str(PROJECT_ROOT),
           "VISAPATH_EMBEDDING_MODEL": "no-such-model-package"}
    done = subprocess.run([sys.executable, "-m", "visapath.cli", "ask", "What is OPT?"], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "no-such-model-package" in done.stderr and "VISAPATH_EMBEDDING_MODEL" in done.stderr
