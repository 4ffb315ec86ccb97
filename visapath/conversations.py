"""Conversations and the exchange log, persisted in the app database (`visapath.database`).

Conversations survive restarts and belong to one user. Every answered question, in a
conversation or not, is also logged (in the spirit of simonw/llm's `responses` table) with
the backend, model, standalone query and timing, so answers can be audited later.
A transaction per operation keeps this safe under Streamlit's threads and several processes.
"""

from __future__ import annotations

import json
import uuid
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, RowMapping, text

from visapath import identifiers
from visapath.database import Database, open_database, sqlite_url
from visapath.models import Answer

TITLE_CHARS = 80



class ConversationNotFound(LookupError):
    """No such conversation for this user; the message is fit to show."""


@dataclass
class Message:
    role: str  # user | assistant
    content: str
    created: str
    answer: dict[str, Any] | None = None  # the assistant turn's stored Answer (citations, query, chunk ids)

    @property
    def query(self) -> str | None:
        return (self.answer or {}).get("query")

    @property
    def chunk_ids(self) -> list[str]:
        return list((self.answer or {}).get("chunk_ids", []))


@dataclass
class Conversation:
    id: str
    title: str
    created: str
    updated: str
    messages: list[Message] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "title": self.title, "created": self.created, "updated": self.updated,
            "messages": [{"role": m.role, "content": m.content, "created": m.created, "answer": m.answer}
                         for m in self.messages],
        }


@dataclass
class Exchange:
    """One logged question/answer with how it was produced."""

    question: str
    answer: Answer
    model: str | None
    duration_ms: int
    rewrite_method: str = "none"
    conversation_id: str | None = None


class ConversationStore:
    """One user's conversations and exchange log; every query is filtered by `owner`.

    `retention_days` drops exchange-log rows older than that many days (for every user: it is
    the operator's policy) whenever the store is opened or a new exchange is logged.
    """

    def __init__(self, database: Database | Path, owner: str = "", retention_days: int | None = None) -> None:
        """`database` is the app database, or the path of an SQLite file to open as one."""
        self.db = database if isinstance(database, Database) else open_database(sqlite_url(Path(database)))
        self.owner = owner
        self.retention_days = retention_days
        self.apply_retention()

    def _connect(self) -> AbstractContextManager[Connection]:
        """One reading transaction (see `Database.begin`)."""
        return self.db.begin()

    def _write(self) -> AbstractContextManager[Connection]:
        """One writing transaction: SQLite's write lock is taken first, so a read-then-write step
        waits for another writer instead of failing on a lock upgrade."""
        return self.db.begin(immediate=True)

    # -- conversations ---------------------------------------------------------------------------
    def create(self, title: str = "New conversation") -> Conversation:
        now = _now()
        conv = Conversation(uuid.uuid4().hex[:12], _title(title), now, now)
        with self._write() as db:
            db.execute(text("INSERT INTO conversations (id, owner, title, created, updated) "
                            "VALUES (:id, :owner, :title, :now, :now)"),
                       {"id": conv.id, "owner": self.owner, "title": conv.title, "now": now})
        return conv

    def list(self) -> list[Conversation]:
        """This user's conversations, most recently updated first (without messages)."""
        with self._connect() as db:
            rows = _rows(db, "SELECT id, title, created, updated FROM conversations WHERE owner = :owner "
                             "ORDER BY updated DESC, created DESC, id DESC", owner=self.owner)
        return [Conversation(r["id"], r["title"], r["created"], r["updated"]) for r in rows]

    def get(self, conversation_id: str) -> Conversation:
        with self._connect() as db:
            row = self._row(db, conversation_id)
            msgs = _rows(db, "SELECT role, content, answer_json, created FROM messages WHERE conversation_id = :c "
                             "ORDER BY id", c=conversation_id)
        conv = Conversation(row["id"], row["title"], row["created"], row["updated"])
        conv.messages = [Message(m["role"], m["content"], m["created"],
                                 json.loads(m["answer_json"]) if m["answer_json"] else None) for m in msgs]
        return conv

    def rename(self, conversation_id: str, title: str) -> Conversation:
        title = _title(title)
        if not title:
            raise ValueError("A conversation title cannot be empty.")
        with self._write() as db:
            self._row(db, conversation_id)
            db.execute(text("UPDATE conversations SET title = :title, updated = :now WHERE id = :c AND owner = :owner"),
                       {"title": title, "now": _now(), "c": conversation_id, "owner": self.owner})
        return self.get(conversation_id)

    def delete(self, conversation_id: str) -> None:
        """Delete the conversation with every copy of it: its messages and its exchange-log rows."""
        with self._write() as db:
            self._row(db, conversation_id)
            args = {"c": conversation_id, "owner": self.owner}
            db.execute(text("DELETE FROM messages WHERE conversation_id = :c"), args)
            db.execute(text("DELETE FROM responses WHERE conversation_id = :c AND owner = :owner"), args)
            db.execute(text("DELETE FROM conversations WHERE id = :c AND owner = :owner"), args)

    # -- purge and retention -----------------------------------------------------------------------
    def forget_source(self, source: str) -> int:
        """Remove what this user's stored answers quoted from `source` (a deleted posting).

        Answers citing it are replaced by a note (the question stays, so the conversation still
        reads in order) and logged exchanges citing it are deleted. Returns the rows changed.
        """
        changed = 0
        needle = f'%"source": "{_like_escape(source)}"%'
        with self._write() as db:
            rows = _rows(db, "SELECT m.id, m.answer_json FROM messages m JOIN conversations c ON c.id = m.conversation_id "
                             "WHERE c.owner = :owner AND m.role = 'assistant' AND m.answer_json LIKE :needle ESCAPE '\\'",
                         owner=self.owner, needle=needle)
            for row in rows:
                record = json.loads(row["answer_json"] or "{}")
                if not any(c.get("source") == source for c in record.get("citations", [])):
                    continue
                kept = {"query": record.get("query"), "chunk_ids": [], "redacted": True,
                        "feedback": record.get("feedback")}
                db.execute(text("UPDATE messages SET content = :content, answer_json = :record WHERE id = :id"),
                           {"content": REDACTED, "record": json.dumps(kept), "id": row["id"]})
                changed += 1
            changed += db.execute(text("DELETE FROM responses WHERE owner = :owner AND sources LIKE :needle ESCAPE '\\'"),
                                  {"owner": self.owner, "needle": f'%"{_like_escape(source)}"%'}).rowcount
        return changed

    def forget_all(self) -> int:
        """Delete every conversation, message and logged exchange of this user; returns rows deleted."""
        args = {"owner": self.owner}
        with self._write() as db:
            deleted = db.execute(text("DELETE FROM messages WHERE conversation_id IN "
                                      "(SELECT id FROM conversations WHERE owner = :owner)"), args).rowcount
            deleted += db.execute(text("DELETE FROM conversations WHERE owner = :owner"), args).rowcount
            deleted += db.execute(text("DELETE FROM responses WHERE owner = :owner"), args).rowcount
        return deleted

    def apply_retention(self) -> int:
        """Drop exchange-log rows older than `retention_days`; returns how many went."""
        if self.retention_days is None:
            return 0
        cutoff = (datetime.now(timezone.utc) - timedelta(days=self.retention_days)).isoformat(timespec="milliseconds")
        with self._write() as db:
            return db.execute(text("DELETE FROM responses WHERE created < :cutoff"), {"cutoff": cutoff}).rowcount

    def append_turn(self, conversation_id: str, question: str, answer: Answer) -> None:
        """Store a question and its answer; the first question titles an untitled conversation."""
        now = _now()
        insert = text("INSERT INTO messages (conversation_id, role, content, answer_json, created) "
                      "VALUES (:c, :role, :content, :record, :now)")
        with self._write() as db:
            row = self._row(db, conversation_id)
            db.execute(insert, {"c": conversation_id, "role": "user", "content": question, "record": None, "now": now})
            db.execute(insert, {"c": conversation_id, "role": "assistant", "content": answer.answer,
                                "record": json.dumps(answer_record(answer)), "now": now})
            title = row["title"] if row["title"] != "New conversation" else _title(question)
            db.execute(text("UPDATE conversations SET updated = :now, title = :title WHERE id = :c AND owner = :owner"),
                       {"now": now, "title": title, "c": conversation_id, "owner": self.owner})

    def pop_last_turn(self, conversation_id: str) -> None:
        """Remove the last question and its answer (regenerate, edit-and-resend replace them)."""
        with self._write() as db:
            self._row(db, conversation_id)
            ids = [r["id"] for r in _rows(db, "SELECT id FROM messages WHERE conversation_id = :c "
                                              "ORDER BY id DESC LIMIT 2", c=conversation_id)]
            for message_id in ids:
                db.execute(text("DELETE FROM messages WHERE id = :id"), {"id": message_id})

    def set_feedback(self, conversation_id: str, turn: int, value: int | None) -> None:
        """Thumbs up (1), down (0) or none on the answer of turn `turn` (0-based), kept with it."""
        if value not in (0, 1, None):
            raise ValueError("Feedback is 1 (helpful), 0 (not helpful) or None.")
        with self._write() as db:
            self._row(db, conversation_id)
            rows = _rows(db, "SELECT id, answer_json FROM messages WHERE conversation_id = :c AND role = 'assistant' "
                             "ORDER BY id", c=conversation_id)
            if not 0 <= turn < len(rows):
                raise ConversationNotFound(f"Conversation '{conversation_id}' has no answer {turn + 1}.")
            record = json.loads(rows[turn]["answer_json"] or "{}")
            record["feedback"] = value
            db.execute(text("UPDATE messages SET answer_json = :record WHERE id = :id"),
                       {"record": json.dumps(record), "id": rows[turn]["id"]})

    def feedback_counts(self) -> dict[str, int]:
        """How this user rated answers: {"helpful": n, "not_helpful": m}."""
        with self._connect() as db:
            rows = _rows(db, "SELECT m.answer_json FROM messages m JOIN conversations c ON c.id = m.conversation_id "
                             "WHERE c.owner = :owner AND m.role = 'assistant' AND m.answer_json LIKE '%\"feedback\"%'",
                         owner=self.owner)
        values = [json.loads(r["answer_json"]).get("feedback") for r in rows]
        return {"helpful": values.count(1), "not_helpful": values.count(0)}

    def history(self, conversation_id: str) -> tuple[list[str], list[str], list[str]]:
        """Earlier user questions, their standalone queries, and the chunk ids the last answer cited."""
        conv = self.get(conversation_id)
        questions = [m.content for m in conv.messages if m.role == "user"]
        answers = [m for m in conv.messages if m.role == "assistant"]
        queries = [a.query or q for q, a in zip(questions, answers)]
        last_ids = answers[-1].chunk_ids if answers else []
        return questions, queries, last_ids

    # -- exchange log ------------------------------------------------------------------------------
    def log(self, exchange: Exchange) -> None:
        a = exchange.answer
        with self._write() as db:
            db.execute(text(
                "INSERT INTO responses (conversation_id, owner, question, query, rewrite_method, answer, backend, "
                "model, declined, citation_precision, notice, duration_ms, created, sources) "
                "VALUES (:c, :owner, :question, :query, :rewrite, :answer, :backend, :model, :declined, :precision, "
                ":notice, :ms, :now, :sources)"),
                {"c": exchange.conversation_id, "owner": self.owner, "question": exchange.question,
                 "query": a.query or exchange.question, "rewrite": exchange.rewrite_method, "answer": a.answer,
                 "backend": a.backend, "model": exchange.model, "declined": int(a.declined),
                 "precision": a.citation_precision, "notice": a.notice, "ms": exchange.duration_ms, "now": _now(),
                 "sources": json.dumps(sorted({c.source for c in a.citations}))},
            )
        self.apply_retention()

    def responses(self, limit: int = 50) -> list[dict[str, Any]]:
        """The latest logged exchanges of this user, newest first."""
        with self._connect() as db:
            rows = _rows(db, "SELECT * FROM responses WHERE owner = :owner ORDER BY id DESC LIMIT :limit",
                         owner=self.owner, limit=limit)
        return [dict(r) for r in rows]

    def _row(self, db: Connection, conversation_id: str) -> RowMapping:
        try:
            identifiers.conversation_id(conversation_id)
        except identifiers.InvalidIdentifier as exc:
            raise ConversationNotFound(f"There is no conversation '{conversation_id}': {exc}") from None
        row = db.execute(text("SELECT * FROM conversations WHERE id = :c AND owner = :owner"),
                         {"c": conversation_id, "owner": self.owner}).mappings().first()
        if row is None:
            raise ConversationNotFound(f"There is no conversation '{conversation_id}'. "
                                       "List conversations to see the ids you can continue.")
        return row


def _rows(db: Connection, sql: str, **params: Any) -> list[RowMapping]:
    return list(db.execute(text(sql), params).mappings())


def answer_record(answer: Answer) -> dict[str, Any]:
    """What a stored turn keeps: the extended JSON plus the standalone query and cited chunk ids."""
    record = answer.to_json(extended=True)
    record["query"] = answer.query
    record["chunk_ids"] = [c.chunk_id for c in answer.citations if c.chunk_id]
    return record


REDACTED = "(This answer quoted a posting that has since been deleted, so it was removed.)"


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _title(text: str) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= TITLE_CHARS else text[: TITLE_CHARS - 1].rstrip() + "…"


def _now() -> str:
    """Microseconds, so two changes in one millisecond still sort (no row order to fall back on)."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")
