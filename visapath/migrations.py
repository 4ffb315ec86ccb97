"""Named, ordered schema migrations for the app database, on SQLite and PostgreSQL alike.

As in simonw/llm: each migration has a name, runs once, and is recorded in `_migrations`, so an
old database is brought up to date in place when it is opened and a new one is built by the
same steps. Add a migration at the end; never edit one that has shipped.

Each step is SQLAlchemy Core DDL (tables declared as they were at that step) or SQL both
dialects accept, so one list serves the embedded file and a shared server. A hand-rolled list
rather than alembic: the schema is small, it is migrated in-process whenever a store opens (no
`alembic.ini`, environment script or revision folder to ship as package data), and the names
recorded by earlier versions carry over unchanged. Concurrent openers are serialized: SQLite's
write lock (`BEGIN IMMEDIATE`) or a PostgreSQL advisory lock held for the transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

from sqlalchemy import (CheckConstraint, Column, Connection, Float, ForeignKey, Index, Integer, MetaData,
                        PrimaryKeyConstraint, String, Table, Text, text)

MIGRATIONS_LOCK = 7_316_001  # PostgreSQL advisory lock key: one migrator at a time


def _m001_initial(conn: Connection) -> None:
    """Conversations, their messages and the exchange log (the first shipped schema)."""
    meta = MetaData()
    Table("conversations", meta,
          Column("id", Text, primary_key=True),
          Column("owner", Text, nullable=False, server_default=""),
          Column("title", Text, nullable=False),
          Column("created", Text, nullable=False),
          Column("updated", Text, nullable=False))
    Table("messages", meta,
          Column("id", Integer, primary_key=True, autoincrement=True),
          Column("conversation_id", Text, ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False),
          Column("role", Text, CheckConstraint("role IN ('user', 'assistant')"), nullable=False),
          Column("content", Text, nullable=False),
          Column("answer_json", Text),
          Column("created", Text, nullable=False),
          Index("messages_by_conversation", "conversation_id", "id"),
          sqlite_autoincrement=True)
    Table("responses", meta,
          Column("id", Integer, primary_key=True, autoincrement=True),
          Column("conversation_id", Text),
          Column("owner", Text, nullable=False, server_default=""),
          Column("question", Text, nullable=False),
          Column("query", Text, nullable=False),
          Column("rewrite_method", Text, nullable=False, server_default="none"),
          Column("answer", Text, nullable=False),
          Column("backend", Text, nullable=False),
          Column("model", Text),
          Column("declined", Integer, nullable=False),
          Column("citation_precision", Float),
          Column("notice", Text),
          Column("duration_ms", Integer, nullable=False),
          Column("created", Text, nullable=False),
          sqlite_autoincrement=True)
    meta.create_all(conn, checkfirst=True)


def _m002_response_sources(conn: Connection) -> None:
    """The sources a logged answer cited, so deleting a posting can delete the log rows quoting it."""
    for statement in (
        "ALTER TABLE responses ADD COLUMN sources TEXT NOT NULL DEFAULT '[]'",
        "CREATE INDEX IF NOT EXISTS responses_by_owner ON responses(owner, id)",
        "CREATE INDEX IF NOT EXISTS responses_by_created ON responses(created)",
        "CREATE INDEX IF NOT EXISTS conversations_by_owner ON conversations(owner, updated)",
    ):
        conn.execute(text(statement))


def _m003_profiles_and_postings(conn: Connection) -> None:
    """Profiles and saved postings move from per-user files into the database (one store for all)."""
    meta = MetaData()
    Table("profiles", meta,
          Column("owner", Text, primary_key=True),
          Column("data", Text, nullable=False),  # the Profile as JSON
          Column("updated", Text, nullable=False))
    Table("postings", meta,
          Column("owner", Text, nullable=False),
          Column("id", String(12), nullable=False),
          Column("record", Text, nullable=False),  # the SavedPosting fields as JSON
          Column("analysis", Text, nullable=False),
          Column("pages", Text, nullable=False, server_default="[]"),
          Column("text", Text, nullable=False),
          Column("created", Text, nullable=False),
          PrimaryKeyConstraint("owner", "id"),
          Index("postings_by_owner", "owner", "created"))
    meta.create_all(conn, checkfirst=True)


MIGRATIONS: list[tuple[str, Callable[[Connection], None]]] = [
    ("m001_initial", _m001_initial),
    ("m002_response_sources", _m002_response_sources),
    ("m003_profiles_and_postings", _m003_profiles_and_postings),
]


def migrate(conn: Connection) -> list[str]:
    """Apply the migrations this database lacks, in order, in the caller's transaction; returns
    the names applied. The caller holds SQLite's write lock (see `Database`); on PostgreSQL an
    advisory lock makes a second process wait and then find nothing left to do."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATIONS_LOCK})
    conn.execute(text("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied TEXT NOT NULL)"))
    done = set(conn.execute(text("SELECT name FROM _migrations")).scalars())
    applied = []
    for name, step in MIGRATIONS:
        if name in done:
            continue
        step(conn)
        conn.execute(text("INSERT INTO _migrations (name, applied) VALUES (:name, :applied)"),
                     {"name": name, "applied": datetime.now(timezone.utc).isoformat(timespec="seconds")})
        applied.append(name)
    return applied


def applied_migrations(conn: Connection) -> list[str]:
    """The recorded migrations, in the order they are defined."""
    done = set(conn.execute(text("SELECT name FROM _migrations")).scalars())
    return [name for name, _ in MIGRATIONS if name in done]
