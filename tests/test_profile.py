"""The saved user profile: status tokens, validation, atomic persistence, and `visapath profile`."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from visapath import profile as profile_module
from visapath.cli import main
from visapath.config import get_settings
from visapath.profile import (
    NO_SPONSORSHIP_NEEDED,
    STATUSES,
    Profile,
    ProfileError,
    ProfileStore,
    make_profile,
    needs_sponsorship,
    normalize_status,
)
from visapath.service import Assistant

TOKENS = ["none", "f1", "f1-opt", "f1-stem-opt", "h1b", "h4-ead", "l1", "o1", "tn", "e3", "h1b1",
          "green-card", "citizen"]


@pytest.fixture
def store(settings_factory, database_url) -> ProfileStore:
    """The profile store on SQLite and on PostgreSQL."""
    return ProfileStore(settings_factory(database_url=database_url))


def test_statuses_cover_every_token_with_a_label():
    assert list(STATUSES) == TOKENS
    assert all(label.strip() for label in STATUSES.values())
    assert NO_SPONSORSHIP_NEEDED == {"green-card", "citizen"}
    assert [t for t in TOKENS if not needs_sponsorship(t)] == ["green-card", "citizen"]


@pytest.mark.parametrize("typed, token", [
    ("H-1B", "h1b"), ("stem opt", "f1-stem-opt"), ("OPT", "f1-opt"), ("F-1", "f1"), ("GC", "green-card"),
    ("H4 EAD", "h4-ead"), ("O-1A", "o1"), ("E-3", "e3"), ("h-1b1", "h1b1"), ("us citizen", "citizen"),
])
def test_common_spellings_map_to_tokens(typed: str, token: str):
    assert normalize_status(typed) == token
    assert Profile(status=typed).status == token


def test_unknown_status_is_a_clear_error_listing_the_tokens():
    with pytest.raises(ProfileError) as info:
        make_profile(status="h1")
    message = str(info.value)
    assert "Unknown status 'h1'" in message
    assert "f1-stem-opt" in message and "green-card" in message


@pytest.mark.parametrize("field, value, expected", [
    ("name", "[Your Name]", "can't contain"),
    ("name", "x" * 81, "too long"),
    ("target_role", "<role>", "can't contain"),
    ("degree", "associate", "Unknown degree"),
])
def test_invalid_values_are_rejected_with_a_readable_message(field: str, value: str, expected: str):
    with pytest.raises(ProfileError, match=expected):
        make_profile(**{field: value})


def test_degree_spellings_and_whitespace_are_normalised():
    p = make_profile(name="  Ana   Lima ", degree="Master's", target_role=" ML  Engineer ")
    assert (p.name, p.degree, p.target_role) == ("Ana Lima", "master", "ML Engineer")
    assert make_profile(degree="PhD").degree == "phd"


def test_round_trip_under_the_users_key(store: ProfileStore):
    assert store.load() == Profile()  # nothing saved yet: an empty profile, not an error
    profile = make_profile(name="Ana Lima", status="f1-stem-opt", degree="master", us_degree=True,
                           stem_degree=True, target_role="ML Engineer", work_authorization_end="2027-06-30")
    store.save(profile)
    assert store.load() == profile and store.exists()
    saved = json.loads(_stored(store, "local"))
    assert saved["status"] == "f1-stem-opt" and saved["work_authorization_end"] == "2027-06-30"
    assert not (store.settings.data_dir / "profiles").exists()  # no per-user files any more
    assert not store.settings.sqlite_path.exists() or store.db.dialect == "sqlite"


def _stored(store: ProfileStore, owner: str) -> str | None:
    with store.db.begin() as conn:
        return conn.execute(text("SELECT data FROM profiles WHERE owner = :o"), {"o": owner}).scalar()


def test_each_user_has_their_own_row_and_names_cannot_escape(settings_factory, database_url):
    alice = ProfileStore(settings_factory(user="alice", database_url=database_url))
    alice.save(make_profile(status="h1b"))
    bob = ProfileStore(settings_factory(user="bob", database_url=database_url))
    assert bob.db is alice.db  # one database for everyone, keyed by user
    assert bob.load() == Profile() and not bob.exists()
    assert json.loads(_stored(alice, "alice"))["status"] == "h1b" and _stored(alice, "bob") is None
    with pytest.raises(ValueError, match="not a valid user name"):  # refused, not rewritten
        settings_factory(user="../../etc/passwd")


def test_update_merges_and_clears(store: ProfileStore):
    store.update(status="opt", name="Ana", work_authorization_end=date(2027, 1, 31))
    updated = store.update(status="f1-stem-opt", degree="master")
    assert (updated.status, updated.name, updated.degree) == ("f1-stem-opt", "Ana", "master")
    assert updated.work_authorization_end == date(2027, 1, 31)
    cleared = store.update(clear=("work_authorization_end",))
    assert cleared.work_authorization_end is None and cleared.name == "Ana"
    assert store.load() == cleared


def test_invalid_update_saves_nothing(store: ProfileStore):
    store.update(status="h1b", name="Ana")
    before = _stored(store, "local")
    with pytest.raises(ProfileError):
        store.update(status="h1b", degree="bootcamp")
    assert _stored(store, "local") == before


def test_failed_write_keeps_the_previous_profile(store: ProfileStore, monkeypatch: pytest.MonkeyPatch):
    store.save(make_profile(status="h1b", name="Ana"))

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(profile_module, "_upsert_profile", disk_full)
    with pytest.raises(OSError):
        store.save(make_profile(status="citizen", name="Someone Else"))
    monkeypatch.undo()
    assert store.load().status == "h1b"


def test_an_old_profile_file_is_moved_into_the_database(settings_factory, database_url):
    settings = settings_factory(user="ana", database_url=database_url)
    old = settings.data_dir / "profiles" / "ana.json"
    old.parent.mkdir(parents=True)
    old.write_text(json.dumps({"name": "Ana Lima", "status": "h1b", "h1b_start": "2024-10-01"}), encoding="utf-8")
    store = ProfileStore(settings)
    assert store.load() == make_profile(name="Ana Lima", status="h1b", h1b_start="2024-10-01")
    assert not old.exists() and json.loads(_stored(store, "ana"))["name"] == "Ana Lima"
    assert ProfileStore(settings_factory(user="bob", database_url=database_url)).load() == Profile()


def test_damaged_file_is_reported_and_left_alone(store: ProfileStore):
    old = store.legacy_path
    old.parent.mkdir(parents=True)
    old.write_text("{not json", encoding="utf-8")
    with pytest.raises(ProfileError, match="can't be read"):
        store.load()
    assert old.read_text(encoding="utf-8") == "{not json" and _stored(store, "local") is None


def test_months_left_counts_whole_months():
    p = make_profile(work_authorization_end=date(2027, 6, 30))
    assert p.months_left(date(2026, 11, 22)) == 7
    assert p.months_left(date(2027, 6, 30)) == 0
    assert p.months_left(date(2027, 8, 1)) < 0
    assert Profile().months_left(date(2026, 11, 22)) is None


def test_to_json_carries_the_label():
    data = make_profile(status="tn", name="Luc").to_json()
    assert data["status"] == "tn" and data["status_label"] == STATUSES["tn"]


# -- CLI -------------------------------------------------------------------------------------

def test_cli_profile_saves_and_shows(cli_data: Path, capsys: pytest.CaptureFixture[str]):
    code = main(["profile", "--status", "STEM OPT", "--name", "Ana Lima", "--degree", "master", "--us-degree",
                 "--stem-degree", "--role", "ML Engineer", "--auth-end", "2027-06-30", "--json"])
    assert code == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["status"] == "f1-stem-opt" and shown["us_degree"] is True
    assert Assistant(get_settings()).profile.name == "Ana Lima"

    assert main(["profile", "--no-us-degree", "--auth-end", "none", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["us_degree"] is False and shown["work_authorization_end"] is None
    assert shown["name"] == "Ana Lima"  # untouched fields are kept

    assert main(["profile"]) == 0
    text = capsys.readouterr().out
    assert "F-1 STEM OPT extension (f1-stem-opt)" in text and "Ana Lima" in text


def test_cli_profile_lists_statuses_when_unset(cli_data: Path, capsys: pytest.CaptureFixture[str]):
    assert main(["profile"]) == 0
    out = capsys.readouterr().out
    assert all(token in out for token in TOKENS)


@pytest.mark.parametrize("argv, message", [
    (["profile", "--status", "h1"], "Unknown status 'h1'"),
    (["profile", "--auth-end", "next june"], "use YYYY-MM-DD"),
])
def test_cli_profile_bad_input_exits_2_with_a_message(cli_data: Path, capsys: pytest.CaptureFixture[str],
                                                      argv: list[str], message: str):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (cli_data / "profiles").exists()


def test_cli_profile_damaged_file(cli_data: Path, capsys: pytest.CaptureFixture[str]):
    path = cli_data / "profiles" / "local.json"
    path.parent.mkdir(parents=True)
    path.write_text("[1, 2", encoding="utf-8")
    assert main(["profile", "--name", "Ana"]) == 2
    assert "can't be read" in capsys.readouterr().err
    assert path.read_text(encoding="utf-8") == "[1, 2"

