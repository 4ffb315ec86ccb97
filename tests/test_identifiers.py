"""Hostile ids and user names never reach the file system (through the CLI and the back end)."""

from __future__ import annotations

from pathlib import Path

import pytest

from visapath import identifiers
from visapath.cli import main
from visapath.config import Settings, get_settings
from visapath.service import Assistant

HOSTILE = ["../../../profiles/local", "../../../../outside", "/etc/passwd", "..", "", " ", "a/b",
           "0123456789ab/../x", "0123456789AB", "0123456789abc", "0123456789a\n", "%2e%2e%2fx"]


def _save_profile(name: str = "Ana Lima") -> None:
    assert main(["profile", "--status", "h1b", "--name", name, "--json"]) == 0


def _profile_name() -> str:
    return Assistant(get_settings()).profile.name


@pytest.mark.parametrize("hostile", HOSTILE)
def test_posting_delete_refuses_hostile_ids(cli_data: Path, capsys: pytest.CaptureFixture[str], hostile: str):
    _save_profile()
    outside = cli_data.parent / "outside.json"
    outside.write_text("{}", encoding="utf-8")
    capsys.readouterr()

    assert main(["postings", "delete", hostile]) == 2
    err = capsys.readouterr().err
    assert "is not a valid posting id" in err and "Traceback" not in err
    assert _profile_name() == "Ana Lima" and (cli_data / "visapath.sqlite3").exists()
    assert outside.exists()


def test_one_hostile_id_stops_the_whole_delete(cli_data: Path, capsys: pytest.CaptureFixture[str]):
    """`postings delete GOOD BAD` deletes nothing: ids are all checked before any is used."""
    _save_profile()
    postings = cli_data / "workspace" / "local" / "postings"
    postings.mkdir(parents=True)
    kept = postings / "0123456789ab.json"
    kept.write_text("{}", encoding="utf-8")
    assert main(["postings", "delete", "0123456789ab", "../../../profiles/local"]) == 2
    assert kept.exists() and _profile_name() == "Ana Lima"


@pytest.mark.parametrize("action", ["show", "delete", "rename"])
@pytest.mark.parametrize("hostile", ["../../x", "' OR 1=1 --", "0123456789ab; DROP TABLE messages"])
def test_conversation_commands_refuse_hostile_ids(cli_data: Path, capsys: pytest.CaptureFixture[str],
                                                  action: str, hostile: str):
    args = ["conversations", action, hostile] + (["new title"] if action == "rename" else [])
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "is not a valid conversation id" in err and "Traceback" not in err


@pytest.mark.parametrize("hostile", ["../evil", "../../profiles/local", "a/b", "..", ".hidden", "x" * 200,
                                     "ana\x01", "ana lima", "C:\\users"])
def test_hostile_user_names_are_refused(cli_data: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str], hostile: str):
    monkeypatch.setenv("VISAPATH_USER", hostile)
    get_settings.cache_clear()
    assert main(["profile", "--name", "Eve", "--json"]) == 2
    err = capsys.readouterr().err
    assert "VISAPATH_USER" in err and "user name" in err and "Traceback" not in err
    written = [p for p in cli_data.parent.rglob("*") if p.is_file()] if cli_data.parent.exists() else []
    assert not [p for p in written if "Eve" in p.read_text(errors="ignore")]


def test_user_names_fold_case_so_one_person_has_one_folder(cli_data: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("VISAPATH_USER", "Ana.Lima@Example.com")
    get_settings.cache_clear()
    _save_profile()
    monkeypatch.setenv("VISAPATH_USER", "ana.lima@example.com")
    get_settings.cache_clear()
    assert _profile_name() == "Ana Lima"
    assert get_settings().workspace_dir == cli_data / "workspace" / "ana.lima@example.com"


def test_back_end_checks_ids_too(settings_factory):
    """The app calls the workspace directly, so the check lives there, not only in the CLI."""
    from visapath.workspace import PostingWorkspace

    ws = PostingWorkspace(settings_factory(), indexer=None)  # the id check runs before any index call
    with pytest.raises(identifiers.InvalidIdentifier):
        ws.delete("../../../profiles/local")
    with pytest.raises(identifiers.InvalidIdentifier):
        ws.get("../x")
    with pytest.raises(ValueError):
        Settings(_env_file=None, user="../x")
    assert Settings(_env_file=None, user="").user == "local"
