"""Two users on one data directory and one database: neither reaches the other's data.

Real components throughout: the embedding model, an embedded Chroma index in a temp dir, the
app database on SQLite and on the real PostgreSQL (`database_url`), the back end the app calls,
and the CLI as `VISAPATH_USER` selects a user. Ben tries everything the product lets a user do
with an id of Ana's: read, cite (chat citations, both search views), rename, delete, rate,
continue, draft from it, and erase "all his data". Ana's data must come through untouched.
(Two signed-in browser sessions of the real app are in tests/test_app.py.)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from visapath.cli import common, main
from visapath.config import get_settings
from visapath.conversations import ConversationNotFound
from visapath.drafts import DraftError
from visapath.profile import Profile
from visapath.retrieval import Scope
from visapath.service import Assistant
from visapath.workspace import PostingNotFound

MARKER = "Zephyrquill"
POSTING = (f"{MARKER} Robotics is hiring a motion planning engineer in Pittsburgh. "
           "We sponsor H-1B visas for this motion planning engineer role.\n")
QUESTION = "Which robotics company here sponsors H-1B visas for the motion planning engineer role?"


@pytest.fixture
def ana_and_ben(settings_factory, corpus, database_url) -> tuple[Assistant, Assistant]:
    ana = Assistant(settings_factory(knowledge_dir=corpus, user="ana", database_url=database_url))
    ana.ensure_index()
    ben = Assistant(settings_factory(knowledge_dir=corpus, user="ben", database_url=database_url))
    ben.ensure_index()
    return ana, ben


def _ana_has_everything(ana: Assistant, pid: str, conv_id: str) -> None:
    assert ana.profile.name == "Ana Lima" and [p.id for p in ana.postings.list()] == [pid]
    assert f"posting:{pid}" in {c.source for c in ana.ask(QUESTION).citations}
    conv = ana.conversations.get(conv_id)
    assert conv.title == "Ana's search" and len(conv.messages) == 2 and conv.messages[1].answer["feedback"] == 1
    assert ana.conversations.responses() and ana.conversations.feedback_counts()["helpful"] == 1


def test_the_back_end_keeps_two_users_apart(ana_and_ben: tuple[Assistant, Assistant]):
    ana, ben = ana_and_ben
    ana.profiles.update(name="Ana Lima", status="f1-stem-opt")
    pid = ana.paste_posting(POSTING).saved.id
    conv = ana.conversations.create("Ana's search")
    assert f"posting:{pid}" in {c.source for c in ana.ask(QUESTION, conversation_id=conv.id).citations}
    ana.conversations.set_feedback(conv.id, 0, 1)

    # read
    assert ben.profile == Profile() and ben.postings.list() == []
    with pytest.raises(PostingNotFound):
        ben.postings.get(pid)
    assert ben.conversations.list() == [] and ben.conversations.responses() == []
    assert ben.conversations.feedback_counts() == {"helpful": 0, "not_helpful": 0}
    assert ben.references(f"posting:{pid}").company == ""  # a source card shows nothing of Ana's
    # cite: chat, and each search view (BM25, vectors, hybrid) over his scope
    answer = ben.ask(QUESTION)
    assert not [c for c in answer.citations if c.kind == "posting"] and MARKER not in answer.answer
    ana_chunks = {i for i, m in ana.store.metadatas_where({"kind": "posting"}) if m.get("owner") == "ana"}
    assert ana_chunks
    for mode in ("bm25", "vector", "hybrid"):
        hits = ben.retriever.search(QUESTION, k=20, scope=ben.chat_scope(), mode=mode)
        assert not {h.chunk.id for h in hits} & ana_chunks, mode
    assert not ben.retriever.search(MARKER, k=20, scope=Scope(kinds=("posting",), owner="ben"), mode="bm25")
    with pytest.raises(DraftError):  # a draft from Ana's saved posting
        ben.draft(posting_id=pid, status="h1b", name="Ben")
    # rename, continue, rate, delete
    for attempt in (lambda: ben.conversations.rename(conv.id, "mine"), lambda: ben.conversations.delete(conv.id),
                    lambda: ben.conversations.set_feedback(conv.id, 0, 0), lambda: ben.ask("and OPT?", conversation_id=conv.id),
                    lambda: ben.conversations.get(conv.id)):
        with pytest.raises(ConversationNotFound):
            attempt()
    assert ben.postings.delete(pid) is False
    # erase all of his data: only the one question he asked himself is his
    assert ben.forget_all() == {"posting_chunks": 0, "conversation_rows": 1, "profile": 0}
    _ana_has_everything(ana, pid, conv.id)


def test_the_same_posting_saved_by_both_stays_two_postings(ana_and_ben: tuple[Assistant, Assistant]):
    """One text, one id, two owners: two rows and two sets of chunks; deleting one leaves the other."""
    ana, ben = ana_and_ben
    mine, theirs = ana.paste_posting(POSTING).saved, ben.paste_posting(POSTING).saved
    assert mine.id == theirs.id
    owners = sorted(m.get("owner") for _, m in ana.store.metadatas_where({"source": f"posting:{mine.id}"}))
    assert set(owners) == {"ana", "ben"} and owners.count("ana") == owners.count("ben")
    assert ben.postings.delete(theirs.id)
    assert ben.postings.list() == [] and [p.id for p in ana.postings.list()] == [mine.id]
    assert f"posting:{mine.id}" in {c.source for c in ana.ask(QUESTION).citations}
    assert not [c for c in ben.ask(QUESTION).citations if c.kind == "posting"]


def _as(user: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VISAPATH_USER", user)
    get_settings.cache_clear()
    monkeypatch.setattr(common, "_assistant", None)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_cli_keeps_two_users_apart(cli_data: Path, corpus: Path, database_url: str, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    monkeypatch.setenv("VISAPATH_KNOWLEDGE_DIR", str(corpus))
    monkeypatch.setenv("VISAPATH_DATABASE_URL", database_url)
    posting = tmp_path / "posting.txt"
    posting.write_text(POSTING, encoding="utf-8")
    _as("ana", monkeypatch)
    assert _run(capsys, "profile", "--name", "Ana Lima", "--status", "h1b")[0] == 0
    code, out, _ = _run(capsys, "explain", str(posting), "--save", "--json")
    pid = json.loads(out).get("posting_id") if code == 0 else None
    assert pid
    code, out, err = _run(capsys, "ask", "--json", "--conversation", "new", QUESTION)
    conv = err.split("conversation: ")[1].split()[0]
    assert code == 0 and f"posting:{pid}" in {c["source"] for c in json.loads(out)["citations"]}

    _as("ben", monkeypatch)
    assert json.loads(_run(capsys, "profile", "--json")[1])["name"] == ""
    assert _run(capsys, "postings", "list", "--json")[1].strip() == "[]"
    assert _run(capsys, "conversations", "list", "--json")[1].strip() == "[]"
    code, out, _ = _run(capsys, "ask", "--json", QUESTION)
    assert code == 0 and not [c for c in json.loads(out)["citations"] if c["source"].startswith("posting:")]
    for argv in (("conversations", "show", conv), ("conversations", "rename", conv, "mine"),
                 ("conversations", "delete", conv), ("ask", "--conversation", conv, "and OPT?"),
                 ("draft", "--posting-id", pid, "--status", "h1b", "--name", "Ben", "--no-citations")):
        code, out, err = _run(capsys, *argv)
        assert code == 2 and MARKER not in out + err and "Traceback" not in err, argv
    code, _, err = _run(capsys, "postings", "delete", pid)
    assert code == 1 and "no saved posting" in err
    assert _run(capsys, "forget", "--all", "--yes", "--json")[0] == 0

    _as("ana", monkeypatch)
    assert json.loads(_run(capsys, "profile", "--json")[1])["name"] == "Ana Lima"
    assert [p["id"] for p in json.loads(_run(capsys, "postings", "list", "--json")[1])] == [pid]
    shown = json.loads(_run(capsys, "conversations", "show", conv, "--json")[1])
    assert [m["content"] for m in shown["messages"]][0] == QUESTION and len(shown["messages"]) == 2
    assert shown["title"] != "mine" and shown["title"].startswith(QUESTION[:60])  # not renamed
    code, out, _ = _run(capsys, "ask", "--json", QUESTION)
    assert f"posting:{pid}" in {c["source"] for c in json.loads(out)["citations"]}
