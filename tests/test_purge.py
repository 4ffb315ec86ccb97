"""Deleting removes every copy; old log rows expire; `forget --all` erases one user's data only."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from visapath.cli import main
from visapath.config import get_settings
from sqlalchemy import text

from visapath.conversations import REDACTED, ConversationStore, Exchange
from visapath.database import open_database
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


def _count(a: Assistant, sql: str, **args) -> int:
    with a.database.begin() as conn:
        return conn.execute(text(sql), args).scalar()


def _holding(a: Assistant, needle: str) -> list[str]:
    """Files of the data dir holding `needle`, and the tables holding it when the store is a server."""
    found = _files_holding(a.settings.data_dir, needle)
    if a.database.dialect == "postgresql":
        for table, column in (("messages", "content"), ("messages", "answer_json"), ("responses", "answer"),
                              ("responses", "question"), ("postings", "text"), ("profiles", "data")):
            if _count(a, f"SELECT count(*) FROM {table} WHERE {column} LIKE :n", n=f"%{needle}%"):
                found.append(f"{table}.{column}")
    return found


@pytest.fixture
def ana(settings_factory, corpus, database_url) -> Assistant:
    """Ana's assistant with the app database on SQLite and on PostgreSQL."""
    a = Assistant(settings_factory(knowledge_dir=corpus, user="ana", database_url=database_url))
    a.ensure_index()
    return a


def test_deleting_a_conversation_removes_its_log_rows(ana: Assistant):
    conv = ana.conversations.create()
    ana.ask(f"Does the {MARKER} lottery apply when changing H-1B employers?", conversation_id=conv.id)
    logged = "SELECT count(*) FROM responses WHERE conversation_id = :c"
    assert _count(ana, logged, c=conv.id) == 1 and _holding(ana, MARKER)
    ana.conversations.delete(conv.id)
    assert _count(ana, logged, c=conv.id) == 0
    assert _holding(ana, MARKER) == []


def test_deleting_a_posting_removes_the_answers_that_quoted_it(ana: Assistant):
    saved = ana.paste_posting(POSTING).saved
    conv = ana.conversations.create()
    answer = ana.ask(QUESTION, conversation_id=conv.id)
    assert saved.source in {c.source for c in answer.citations}, "the answer should quote the posting"
    ana.ask("What is the STEM OPT training plan form?", conversation_id=conv.id)  # an unrelated turn stays
    assert _holding(ana, MARKER)

    assert ana.postings.delete(saved.id)
    assert _holding(ana, MARKER) == []  # index, rows, messages, log: all gone
    messages = ana.conversations.get(conv.id).messages
    assert [m.content for m in messages if m.role == "user"] == [QUESTION, "What is the STEM OPT training plan form?"]
    assert messages[1].content == REDACTED and messages[3].content != REDACTED
    logged = ana.conversations.responses()
    assert len(logged) == 1 and logged[0]["question"].startswith("What is the STEM OPT")



def test_retention_drops_old_log_rows(database_url: str):
    path = open_database(database_url)
    store = ConversationStore(path, owner="ana")
    for question in ("old question", "new question"):
        store.log(Exchange(question, Answer(answer="a", declined=False), None, 5))
    old = (datetime.now(timezone.utc) - timedelta(days=40)).isoformat(timespec="milliseconds")
    with path.begin() as db:  # age one row, as 40 days passing would
        db.execute(text("UPDATE responses SET created = :old WHERE question = 'old question'"), {"old": old})
    assert len(ConversationStore(path, owner="ana").responses()) == 2  # no retention set: kept
    kept = ConversationStore(path, owner="ana", retention_days=30).responses()
    assert [r["question"] for r in kept] == ["new question"]


# The schema an early version created before migrations were recorded (its own SQL, kept here).
FIRST_SCHEMA = """
CREATE TABLE conversations (id TEXT PRIMARY KEY, owner TEXT NOT NULL DEFAULT '', title TEXT NOT NULL,
    created TEXT NOT NULL, updated TEXT NOT NULL);
CREATE TABLE messages (id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('user', 'assistant')), content TEXT NOT NULL, answer_json TEXT,
    created TEXT NOT NULL);
CREATE TABLE responses (id INTEGER PRIMARY KEY AUTOINCREMENT, conversation_id TEXT, owner TEXT NOT NULL DEFAULT '',
    question TEXT NOT NULL, query TEXT NOT NULL, rewrite_method TEXT NOT NULL DEFAULT 'none', answer TEXT NOT NULL,
    backend TEXT NOT NULL, model TEXT, declined INTEGER NOT NULL, citation_precision REAL, notice TEXT,
    duration_ms INTEGER NOT NULL, created TEXT NOT NULL);
"""


def test_an_old_database_is_migrated_in_place(tmp_path: Path):
    path = tmp_path / "v.sqlite3"
    with sqlite3.connect(path) as db:  # the schema before migrations were recorded
        db.executescript(FIRST_SCHEMA)
        db.execute("INSERT INTO responses (owner, question, query, answer, backend, declined, duration_ms, created) "
                   "VALUES ('ana', 'q', 'q', 'a', 'grounded', 0, 1, '2026-11-01T00:00:00.000+00:00')")
    store = ConversationStore(path, owner="ana")
    with store.db.begin() as conn:
        assert applied_migrations(conn) == [name for name, _ in MIGRATIONS]
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
    assert not (cli_data / "workspace" / "ana").exists()
    assert main(["profile", "--json"]) == 0 and json.loads(capsys.readouterr().out)["name"] == ""
    assert main(["postings", "list", "--json"]) == 0 and json.loads(capsys.readouterr().out) == []
    assert main(["conversations", "list", "--json"]) == 0 and json.loads(capsys.readouterr().out) == []

    _as("bob", monkeypatch)  # bob's data is untouched
    assert _files_holding(cli_data, "Bobcatwharf")
    assert main(["postings", "list", "--json"]) == 0 and len(json.loads(capsys.readouterr().out)) == 1
    assert main(["conversations", "list", "--json"]) == 0 and len(json.loads(capsys.readouterr().out)) == 1
    assert main(["profile", "--json"]) == 0 and json.loads(capsys.readouterr().out)["name"] == "bob tester"
