"""Named, ordered schema migrations for the app database (conversations and the exchange log).

As in simonw/llm: each migration has a name, runs once, and is recorded in `_migrations`, so an
old database is brought up to date in place when it is opened and a new one is built by the
same steps. Add a migration at the end; never edit one that has shipped.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone

M001_INITIAL = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL DEFAULT '',
    title TEXT NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
    content TEXT NOT NULL,
    answer_json TEXT,
    created TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_by_conversation ON messages(conversation_id, id);
CREATE TABLE IF NOT EXISTS responses (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT,
    owner TEXT NOT NULL DEFAULT '',
    question TEXT NOT NULL,
    query TEXT NOT NULL,
    rewrite_method TEXT NOT NULL DEFAULT 'none',
    answer TEXT NOT NULL,
    backend TEXT NOT NULL,
    model TEXT,
    declined INTEGER NOT NULL,
    citation_precision REAL,
    notice TEXT,
    duration_ms INTEGER NOT NULL,
    created TEXT NOT NULL
);
"""

M002_RESPONSE_SOURCES = """
ALTER TABLE responses ADD COLUMN sources TEXT NOT NULL DEFAULT '[]';
CREATE INDEX IF NOT EXISTS responses_by_owner ON responses(owner, id);
CREATE INDEX IF NOT EXISTS responses_by_created ON responses(created);
CREATE INDEX IF NOT EXISTS conversations_by_owner ON conversations(owner, updated);
"""

MIGRATIONS: list[tuple[str, str]] = [
    ("m001_initial", M001_INITIAL),
    # The sources a logged answer cited, so deleting a posting can delete the log rows quoting it.
    ("m002_response_sources", M002_RESPONSE_SOURCES),
]


def migrate(db: sqlite3.Connection) -> list[str]:
    """Apply the migrations this database lacks, in order; returns the names applied."""
    db.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied TEXT NOT NULL)")
    done = {row[0] for row in db.execute("SELECT name FROM _migrations")}
    applied = []
    for name, script in MIGRATIONS:
        if name in done:
            continue
        db.executescript(f"BEGIN;\n{script}\nINSERT INTO _migrations (name, applied) VALUES "
                         f"('{name}', '{datetime.now(timezone.utc).isoformat(timespec='seconds')}');\nCOMMIT;")
        applied.append(name)
    return applied


def applied_migrations(db: sqlite3.Connection) -> list[str]:
    return [row[0] for row in db.execute("SELECT name FROM _migrations ORDER BY rowid")]
