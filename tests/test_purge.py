"""Deleting removes every copy; old log rows expire; `forget --all` erases one user's data only."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from visapath.cli import main
from visapath.config import get_settings
from visapath.conversations import REDACTED, ConversationStore, Exchange
from visapath.migrations import MIGRATIONS, applied_migrations
from visapath.models import Answer
from visapath.service import Assistant

MARKER = "Quokkaveil"
POSTING = (f"{MARKER} Robotics is hiring a perception engineer in Denver. "
           "We sponsor H-1B visas for this perception engineer role.\n")
QUESTION = "Which robotics company here sponsors H-1B visas for the perception engineer role?"


def _files_holding(root: Path, needle: str) -> list[str]:
    data = needle.encode()
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and data in p.read_bytes())


def _rows(path: Path, sql: str, *args) -> list[tuple]:
    with sqlite3.connect(path) as db:
        return db.execute(sql, args).fetchall()


@pytest.fixture
def ana(settings_factory, corpus) -> Assistant:
    a = Assistant(settings_factory(knowledge_dir=corpus, user="ana"))
    a.ensure_index()
    return a


def test_deleting_a_conversation_removes_its_log_rows(ana: Assistant):
    conv = ana.conversations.create()
    ana.ask(f"Does the {MARKER} lottery apply when changing H-1B employers?", conversation_id=conv.id)
    db = ana.settings.sqlite_path
    assert _rows(db, "SELECT count(*) FROM responses WHERE conversation_id = ?", conv.id) == [(1,)]
    ana.conversations.delete(conv.id)
    assert _rows(db, "SELECT count(*) FROM responses WHERE conversation_id = ?", conv.id) == [(0,)]
    assert MARKER.encode() not in db.read_bytes()


def test_deleting_a_posting_removes_the_answers_that_quoted_it(ana: Assistant):
    saved = ana.paste_posting(POSTING).saved
    conv = ana.conversations.create()
    answer = ana.ask(QUESTION, conversation_id=conv.id)
    assert saved.source in {c.source for c in answer.citations}, "the answer should quote the posting"
    ana.ask("What is the STEM OPT training plan form?", conversation_id=conv.id)  # an unrelated turn stays
    assert _files_holding(ana.settings.data_dir, MARKER)

    assert ana.postings.delete(saved.id)
    assert _files_holding(ana.settings.data_dir, MARKER) == []  # index, files, messages, log: all gone
    messages = ana.conversations.get(conv.id).messages
    assert [m.content for m in messages if m.role == "user"] == [QUESTION, "What is the STEM OPT training plan form?"]
    assert messages[1].content == REDACTED and messages[3].content != REDACTED
    logged = ana.conversations.responses()
    assert len(logged) == 1 and logged[0]["question"].startswith("What is the STEM OPT")



def test_retention_drops_old_log_rows(tmp_path: Path):
    path = tmp_path / "v.sqlite3"
    store = ConversationStore(path, owner="ana")
    for question in ("old question", "new question"):
        store.log(Exchange(question, Answer(answer="a", declined=False), None, 5))
    old = (datetime.now(timezone.utc) - timedelta(days=40)).isoformat(timespec="milliseconds")
    with sqlite3.connect(path) as db:  # age one row, as 40 days passing would
        db.execute("UPDATE responses SET created = ? WHERE question = 'old question'", (old,))
    assert len(ConversationStore(path, owner="ana").responses()) == 2  # no retention set: kept
    kept = ConversationStore(path, owner="ana", retention_days=30).responses()
    assert [r["question"] for r in kept] == ["new question"]


def test_an_old_database_is_migrated_in_place(tmp_path: Path):
    path = tmp_path / "v.sqlite3"
    with sqlite3.connect(path) as db:  # the schema before migrations were recorded
        db.executescript(MIGRATIONS[0][1])
        db.execute("INSERT INTO responses (owner, question, query, answer, backend, declined, duration_ms, created) "
                   "VALUES ('ana', 'q', 'q', 'a', 'grounded', 0, 1, '2026-11-01T00:00:00.000+00:00')")
    store = ConversationStore(path, owner="ana")
    with sqlite3.connect(path) as db:
        assert applied_migrations(db) == [name for name, _ in MIGRATIONS]
    assert store.responses()[0]["sources"] == "[]" and store.responses()[0]["question"] == "q"


def _as(user: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VISAPATH_USER", user)
    get_settings.cache_clear()
    from visapath.cli import common

    monkeypatch.setattr(common, "_assistant", None)


def test_forget_all_erases_one_user_and_leaves_the_other(cli_data: Path, corpus: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]):
    monkeypatch.setenv("VISAPATH_KNOWLEDGE_DIR", str(corpus))
    posting = tmp_path / "posting.txt"
    for user, marker in (("ana", MARKER), ("bob", "Bobcatwharf")):
        _as(user, monkeypatch)
        posting.write_text(POSTING.replace(MARKER, marker), encoding="utf-8")
        assert main(["profile", "--status", "h1b", "--name", f"{user} tester"]) == 0
        assert main(["explain", str(posting), "--save", "--json"]) == 0
        assert main(["ask", "--conversation", "new", QUESTION]) == 0
    capsys.readouterr()

    _as("ana", monkeypatch)
    assert main(["forget", "--all"]) == 2  # no terminal to confirm on: refused without --yes
    assert "--yes" in capsys.readouterr().err
    assert main(["forget", "--all", "--yes", "--json"]) == 0
    erased = json.loads(capsys.readouterr().out)
    assert erased["user"] == "ana" and erased["posting_chunks"] >= 1 and erased["profile"] == 1

    assert _files_holding(cli_data, MARKER) == []
    assert not (cli_data / "profiles" / "ana.json").exists() and not (cli_data / "workspace" / "ana").exists()
    assert main(["postings", "list", "--json"]) == 0 and json.loads(capsys.readouterr().out) == []
    assert main(["conversations", "list", "--json"]) == 0 and json.loads(capsys.readouterr().out) == []

    _as("bob", monkeypatch)  # bob's data is untouched
    assert _files_holding(cli_data, "Bobcatwharf")
    assert main(["postings", "list", "--json"]) == 0 and len(json.loads(capsys.readouterr().out)) == 1
    assert main(["conversations", "list", "--json"]) == 0 and len(json.loads(capsys.readouterr().out)) == 1
    assert (cli_data / "profiles" / "bob.json").exists()
