"""The app database on embedded SQLite and on a real PostgreSQL: migrations, keys, old data moved in.

Every test here takes the `database_url` fixture, so it runs twice: on an SQLite file and on a
fresh database of the PostgreSQL server that scripts/test.sh starts (in CI a missing server fails).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import text

from visapath.cli import common, main
from visapath.config import PROJECT_ROOT, get_settings
from visapath.conversations import ConversationNotFound, ConversationStore, Exchange
from visapath.database import Database, DatabaseError, forget_engine, open_database
from visapath.migrations import MIGRATIONS, applied_migrations, migrate
from visapath.models import Answer, Citation
from visapath.profile import Profile, ProfileStore, make_profile
from visapath.service import Assistant

POSTING = ("Quillonbrook Labs is hiring a computer vision engineer in Austin. "
           "We sponsor H-1B visas for this computer vision engineer role.\n")


def _answer(text: str = "An answer [1].", source: str = "visas/x.md") -> Answer:
    cite = Citation(1, source, "X", None, None, "quote", 0.8, chunk_id="c1")
    return Answer(answer=text, declined=False, citations=[cite], backend="grounded", citation_precision=1.0)


def test_a_new_database_gets_every_migration_once(database_url: str):
    db = open_database(database_url)
    with db.begin() as conn:
        assert applied_migrations(conn) == [name for name, _ in MIGRATIONS]
        tables = {"conversations", "messages", "responses", "profiles", "postings"}
        assert all(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar() == 0 for t in tables)
    forget_engine(database_url)  # a restart: the same steps find nothing left to do
    again = open_database(database_url)
    assert again is not db
    with again.begin(immediate=True) as conn:
        assert migrate(conn) == []
        assert conn.execute(text("SELECT count(*) FROM _migrations")).scalar() == len(MIGRATIONS)


OPENER = textwrap.dedent("""
    import sys, time
    from visapath.database import open_database
    time.sleep(max(0.0, float(sys.argv[2]) - time.time()))  # start together
    db = open_database(sys.argv[1])
    print(db.dialect)
""")


def test_several_processes_opening_a_new_database_at_once_migrate_it_once(database_url: str):
    """Several app processes starting together on one new database: one migrates, the others wait."""
    import time

    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    start = f"{time.time() + 3:.3f}"
    children = [subprocess.Popen([sys.executable, "-c", OPENER, database_url, start], env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outcomes = [(child.wait(timeout=120), child.stdout.read(), child.stderr.read()) for child in children]
    assert all(code == 0 for code, _, _ in outcomes), outcomes
    with open_database(database_url).begin() as conn:
        names = list(conn.execute(text("SELECT name FROM _migrations ORDER BY name")).scalars())
    assert names == sorted(name for name, _ in MIGRATIONS)


def test_conversations_round_trip_text_that_looks_like_sql_or_placeholders(database_url: str):
    db = open_database(database_url)
    ana = ConversationStore(db, owner="ana")
    question = "Is 100% of :salary %(x)s counted? ' OR 1=1 -- \\ _%"
    conv = ana.create(question)
    ana.append_turn(conv.id, question, _answer("It's 50% [1].", source="posting:0123456789ab"))
    ana.set_feedback(conv.id, 0, 1)
    ana.log(Exchange(question, _answer(), "m", 12, conversation_id=conv.id))
    got = ana.get(conv.id)
    assert [m.content for m in got.messages] == [question, "It's 50% [1]."] and got.title == question
    assert ana.feedback_counts() == {"helpful": 1, "not_helpful": 0}
    assert ana.responses()[0]["question"] == question
    assert ana.forget_source("posting:0123456789ab") == 1  # the LIKE patterns escape % and _ on both
    assert ana.get(conv.id).messages[1].answer["redacted"] is True


def test_every_row_is_keyed_by_its_user(database_url: str):
    db = open_database(database_url)
    ana, ben = ConversationStore(db, owner="ana"), ConversationStore(db, owner="ben")
    conv = ana.create("Ana's offer")
    ana.append_turn(conv.id, "What is OPT?", _answer())
    ana.log(Exchange("What is OPT?", _answer(), None, 5, conversation_id=conv.id))
    for attempt in (lambda: ben.get(conv.id), lambda: ben.rename(conv.id, "mine"), lambda: ben.delete(conv.id),
                    lambda: ben.set_feedback(conv.id, 0, 0), lambda: ben.append_turn(conv.id, "q", _answer()),
                    lambda: ben.pop_last_turn(conv.id)):
        with pytest.raises(ConversationNotFound):
            attempt()
    assert ben.list() == [] and ben.responses() == [] and ben.forget_all() == 0
    assert [c.title for c in ana.list()] == ["Ana's offer"] and len(ana.get(conv.id).messages) == 2
    assert len(ana.responses()) == 1


def test_profiles_are_one_row_per_user(database_url: str, settings_factory):
    ana = ProfileStore(settings_factory(user="ana", database_url=database_url))
    ben = ProfileStore(settings_factory(user="ben", database_url=database_url))
    ana.save(make_profile(name="Ana Lima", status="f1-stem-opt"))
    ana.update(degree="master")
    assert ben.load() == Profile() and not ben.delete()
    assert ana.load().name == "Ana Lima" and ana.load().degree == "master"
    assert ana.delete() and ana.load() == Profile()


def test_old_files_are_moved_into_the_configured_database(database_url: str, settings_factory, corpus: Path,
                                                           tmp_path: Path):
    """A data directory from the file-based version: profiles and postings land in the database
    (SQLite or PostgreSQL), keep their owner, stay citable, and the files are removed."""
    first = Assistant(settings_factory(knowledge_dir=corpus, user="ana",
                                       database_url=f"sqlite:///{tmp_path / 'unused.sqlite3'}"))
    first.ensure_index()
    data = first.settings.data_dir
    (data / "profiles").mkdir(parents=True)
    (data / "profiles" / "ana.json").write_text(json.dumps({"name": "Ana Lima", "status": "h1b"}), encoding="utf-8")
    folder = data / "workspace" / "ana" / "postings"
    folder.mkdir(parents=True)
    pid = "0123456789ab"
    record = {"posting": {"id": pid, "filename": "quillonbrook.txt", "title": "Quillonbrook Labs — CV engineer",
                          "company": "Quillonbrook Labs", "role": "CV engineer", "verdict": "sponsors",
                          "created": "2026-10-01T00:00:00+00:00", "chars": len(POSTING)},
              "analysis": {"sponsorship": {"verdict": "sponsors"}}, "pages": []}
    (folder / f"{pid}.json").write_text(json.dumps(record), encoding="utf-8")
    (folder / f"{pid}.txt").write_text(POSTING, encoding="utf-8")

    a = Assistant(settings_factory(knowledge_dir=corpus, user="ana", database_url=database_url))
    a.ensure_index()  # what the app and the CLI do at start
    assert a.profile.name == "Ana Lima" and [p.id for p in a.postings.list()] == [pid]
    assert a.postings.get(pid)[1] == POSTING and not folder.exists()
    assert not (data / "profiles" / "ana.json").exists()
    cited = a.ask("Which company here sponsors H-1B visas for the computer vision engineer role?").citations
    assert f"posting:{pid}" in {c.source for c in cited}
    ben = Assistant(settings_factory(knowledge_dir=corpus, user="ben", database_url=database_url))
    assert ben.postings.list() == [] and ben.profile == Profile()


def test_an_unreachable_server_is_a_clear_message(cli_data: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]):
    url = "postgresql://visapath:s3cret-pw@127.0.0.1:9/visapath"  # port 9: nothing listens there
    with pytest.raises(DatabaseError, match="can't use its database") as raised:
        Database(url)
    assert "s3cret-pw" not in str(raised.value) and "VISAPATH_DATABASE_URL" in str(raised.value)
    monkeypatch.setenv("VISAPATH_DATABASE_URL", url)
    get_settings.cache_clear()
    assert main(["profile", "--name", "Ana"]) == 2
    err = capsys.readouterr().err
    assert "can't use its database" in err and "Traceback" not in err and "s3cret-pw" not in err
    monkeypatch.setenv("VISAPATH_DATABASE_URL", "mysql://x@127.0.0.1/db")
    get_settings.cache_clear()
    monkeypatch.setattr(common, "_assistant", None)
    assert main(["profile", "--name", "Ana"]) == 2
    assert "SQLite or PostgreSQL" in capsys.readouterr().err


def test_an_embedded_database_is_copied_to_a_server_once(cli_data: Path, corpus: Path, database_url: str,
                                                          tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]):
    """`visapath db copy data/visapath.sqlite3` moves a local user's data into the configured server."""
    monkeypatch.setenv("VISAPATH_KNOWLEDGE_DIR", str(corpus))
    monkeypatch.setenv("VISAPATH_USER", "ana")
    get_settings.cache_clear()
    local = Assistant(get_settings())  # the embedded store in the data folder
    local.profiles.update(name="Ana Lima", status="h1b")
    pid = local.paste_posting(POSTING).saved.id
    conv = local.conversations.create("Offers")
    local.ask("Which company here sponsors H-1B visas for the computer vision engineer role?", conversation_id=conv.id)
    embedded = get_settings().sqlite_path
    target = database_url if "postgresql" in database_url else f"sqlite:///{tmp_path / 'server.sqlite3'}"

    monkeypatch.setenv("VISAPATH_DATABASE_URL", target)
    get_settings.cache_clear()
    monkeypatch.setattr(common, "_assistant", None)
    assert main(["db", "copy", str(embedded), "--json"]) == 0
    copied = json.loads(capsys.readouterr().out)["copied"]
    assert copied == {"profiles": 1, "postings": 1, "conversations": 1, "messages": 2, "responses": 1}
    assert main(["db", "copy", str(embedded), "--json"]) == 0  # again: nothing copied twice
    assert set(json.loads(capsys.readouterr().out)["copied"].values()) == {0}
    assert main(["db", "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["migrations"] == [name for name, _ in MIGRATIONS] and status["rows"]["messages"] == 2

    hosted = Assistant(get_settings())
    hosted.ensure_index()
    assert hosted.profile.name == "Ana Lima" and [p.id for p in hosted.postings.list()] == [pid]
    assert [m.role for m in hosted.conversations.get(conv.id).messages] == ["user", "assistant"]
    assert main(["db", "copy", str(tmp_path / "missing.sqlite3")]) == 2
    assert "no database file" in capsys.readouterr().err


WRITER = textwrap.dedent("""
    import sys, time
    from visapath.conversations import ConversationStore, Exchange
    from visapath.database import open_database
    from visapath.models import Answer
    url, user, start = sys.argv[1], sys.argv[2], float(sys.argv[3])
    time.sleep(max(0.0, start - time.time()))
    store = ConversationStore(open_database(url), owner=user)
    conv = store.create(f"{user}'s questions")
    for i in range(25):
        answer = Answer(answer=f"{user} answer {i}", declined=False, backend="grounded")
        store.append_turn(conv.id, f"{user} question {i}", answer)
        store.log(Exchange(f"{user} question {i}", answer, None, 1, conversation_id=conv.id))
    print(conv.id)
""")


def test_several_processes_writing_at_once_keep_every_row_and_its_owner(database_url: str):
    """App processes (and the CLI) writing to one database at the same moment: nothing lost or mixed."""
    import time

    open_database(database_url)  # migrated first, as the first app process would
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    start = f"{time.time() + 3:.3f}"
    users = ("ana", "ben", "cai")
    children = {u: subprocess.Popen([sys.executable, "-c", WRITER, database_url, u, start], env=env,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for u in users}
    done = {u: (c.wait(timeout=180), c.stdout.read().strip(), c.stderr.read()) for u, c in children.items()}
    assert all(code == 0 for code, _, _ in done.values()), done
    db = open_database(database_url)
    for user, (_, conv_id, _) in done.items():
        store = ConversationStore(db, owner=user)
        messages = store.get(conv_id).messages
        assert [m.content for m in messages if m.role == "user"] == [f"{user} question {i}" for i in range(25)]
        assert len(store.responses(limit=100)) == 25 and {r["owner"] for r in store.responses(limit=100)} == {user}
        assert [c.id for c in store.list()] == [conv_id]


def test_a_nul_character_is_stored_as_a_replacement_on_both(database_url: str):
    """PostgreSQL text can't hold NUL; a question or title with one is saved, the same on both."""
    store = ConversationStore(open_database(database_url), owner="ana")
    conv = store.create("Offer\x00 from Acme")
    store.append_turn(conv.id, "Is\x00 this OK?", _answer("Yes\x00 [1]."))
    got = store.get(conv.id)
    assert got.title == "Offer\ufffd from Acme"
    assert [m.content for m in got.messages] == ["Is\ufffd this OK?", "Yes\ufffd [1]."]
