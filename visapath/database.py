"""The app database: profiles, saved postings, conversations, feedback and the exchange log.

One schema behind SQLAlchemy Core serves two deployments: an embedded SQLite file in the data
directory (the default; nothing to run) and PostgreSQL for hosted use, where several app
processes share one database (`VISAPATH_DATABASE_URL=postgresql://...`). Every row carries the
user key it belongs to and every store filters on it, so no query can reach another user's data.

SQLite connections overwrite deleted rows (`secure_delete`) and run real transactions (the
driver's implicit ones skip DDL), so a migration or a saved posting is all there or not at all.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, exc, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from visapath.datadir import DataDirError, unwritable


class DatabaseError(RuntimeError):
    """The configured database can't be reached or used; the message says what to check."""


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{Path(path)}"


def shown_url(url: str) -> str:
    """The URL without its password, for messages and `visapath info`."""
    return make_url(url).render_as_string(hide_password=True)


class Database:
    """A handle on the app database; `begin()` yields a connection inside one transaction.

    Opening it brings the schema up to date (`visapath.migrations`), so every store built on it
    can assume the current tables.
    """

    def __init__(self, url: str) -> None:
        from visapath.migrations import migrate

        self.url = url
        self.engine = _engine(url)
        if self.sqlite_path is not None:
            try:
                self.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise DataDirError(unwritable(self.sqlite_path.parent, error)) from None
        with self.begin(immediate=True) as conn:
            migrate(conn)

    @property
    def dialect(self) -> str:
        """'sqlite' or 'postgresql'."""
        return self.engine.dialect.name

    @property
    def sqlite_path(self) -> Path | None:
        """The database file when embedded, else None."""
        database = make_url(self.url).database
        return Path(database) if self.dialect == "sqlite" and database else None

    def describe(self) -> str:
        return str(self.sqlite_path) if self.sqlite_path else shown_url(self.url)

    @contextmanager
    def begin(self, immediate: bool = False) -> Iterator[Connection]:
        """One transaction: committed when the block ends, rolled back on an error.

        `immediate` takes SQLite's write lock up front (migrations, read-then-write steps) so two
        processes can't both decide to make the same change.
        """
        try:
            conn = self.engine.connect()
        except exc.OperationalError as error:
            raise self._unusable(error) from None
        try:
            if immediate and self.dialect == "sqlite":
                conn = conn.execution_options(sqlite_begin="BEGIN IMMEDIATE")
            with conn.begin():
                yield conn
        except exc.OperationalError as error:
            raise self._unusable(error) from None
        finally:
            conn.close()

    def _unusable(self, error: exc.OperationalError) -> Exception:
        if self.sqlite_path is not None:
            return DataDirError(unwritable(self.sqlite_path, error.orig or error))
        return DatabaseError(f"visapath can't use its database {shown_url(self.url)} ({_first_line(error)}). "
                             "Check that the server runs and VISAPATH_DATABASE_URL names it.")


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _engine(url: str) -> Engine:
    """One engine per URL and process (PostgreSQL keeps a small connection pool)."""
    with _LOCK:
        if url not in _ENGINES:
            _ENGINES[url] = _new_engine(url)
        return _ENGINES[url]


def _new_engine(url: str) -> Engine:
    engine = _dialect_engine(url)
    event.listen(engine, "before_cursor_execute", _storable_parameters, retval=True)
    return engine


def _dialect_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")  # psycopg 3, not the psycopg2 default
    if parsed.get_backend_name() == "sqlite":
        # A connection per operation, as Streamlit's threads and several processes need.
        engine = create_engine(parsed, poolclass=NullPool, connect_args={"timeout": 15})
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if parsed.get_backend_name() != "postgresql":
        raise DatabaseError(f"VISAPATH_DATABASE_URL must name SQLite or PostgreSQL, not {parsed.drivername}.")
    return create_engine(parsed, pool_pre_ping=True, pool_size=5, max_overflow=5)


def _storable_parameters(_conn: Connection, _cursor: Any, statement: str, parameters: Any, _context: Any,
                         _executemany: bool) -> tuple[str, Any]:
    """NUL characters become U+FFFD in every value written, on both dialects: PostgreSQL text can't
    hold them (a question or title with one would fail to save), and the two stores must agree."""
    return statement, _scrub(parameters)


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd") if "\x00" in value else value
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_scrub(v) for v in value)
    return value


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (see _sqlite_begin)
    dbapi_connection.execute("PRAGMA secure_delete = ON")  # deleted text leaves the file
    dbapi_connection.execute("PRAGMA foreign_keys = ON")


def _sqlite_begin(conn: Connection) -> None:
    conn.exec_driver_sql(conn.get_execution_options().get("sqlite_begin", "BEGIN"))


_LOCK = threading.RLock()
_ENGINES: dict[str, Engine] = {}
_DATABASES: dict[str, Database] = {}


def open_database(url: str) -> Database:
    """The database at `url`, migrated once per process (the stores of every user share it)."""
    with _LOCK:
        db = _DATABASES.get(url)
        if db is not None and db.sqlite_path is not None and not db.sqlite_path.exists():
            db = None  # the file was removed since: build it again
        if db is None:
            try:
                db = Database(url)
            except exc.ArgumentError as error:
                raise DatabaseError(f"VISAPATH_DATABASE_URL is not a database URL ({error}).") from None
            _DATABASES[url] = db
        return db


def forget_engine(url: str) -> None:
    """Close this process's connections to `url` and forget it (e.g. a dropped test database)."""
    with _LOCK:
        _DATABASES.pop(url, None)
        engine = _ENGINES.pop(url, None)
    if engine is not None:
        engine.dispose()


# -- moving to a shared server --------------------------------------------------------------------
def copy_database(source: Database, target: Database) -> dict[str, int]:
    """Copy every user's rows from `source` (e.g. the embedded file) into `target` (e.g. PostgreSQL).

    What the target already holds wins: a profile, posting or conversation with the same key is
    skipped, and a logged exchange already there (same user, time and question) is not copied
    again, so running it twice copies nothing twice. Row ids of messages and log rows are given
    by the target. Returns the rows copied per table. Postings copied to a deployment with another
    index are indexed again when their user's assistant starts (`PostingWorkspace.reconcile`).
    """
    copied = {"profiles": 0, "postings": 0, "conversations": 0, "messages": 0, "responses": 0}
    with source.begin() as src, target.begin(immediate=True) as dst:
        for row in src.execute(text("SELECT owner, data, updated FROM profiles")).mappings():
            copied["profiles"] += dst.execute(text(
                "INSERT INTO profiles (owner, data, updated) VALUES (:owner, :data, :updated) "
                "ON CONFLICT (owner) DO NOTHING"), dict(row)).rowcount
        for row in src.execute(text("SELECT owner, id, record, analysis, pages, text, created FROM postings")).mappings():
            copied["postings"] += dst.execute(text(
                "INSERT INTO postings (owner, id, record, analysis, pages, text, created) VALUES "
                "(:owner, :id, :record, :analysis, :pages, :text, :created) ON CONFLICT (owner, id) DO NOTHING"),
                dict(row)).rowcount
        for row in src.execute(text("SELECT id, owner, title, created, updated FROM conversations")).mappings():
            if not dst.execute(text("INSERT INTO conversations (id, owner, title, created, updated) VALUES "
                                    "(:id, :owner, :title, :created, :updated) ON CONFLICT (id) DO NOTHING"),
                               dict(row)).rowcount:
                continue
            copied["conversations"] += 1
            for message in src.execute(text("SELECT conversation_id, role, content, answer_json, created FROM messages "
                                            "WHERE conversation_id = :c ORDER BY id"), {"c": row["id"]}).mappings():
                dst.execute(text("INSERT INTO messages (conversation_id, role, content, answer_json, created) VALUES "
                                 "(:conversation_id, :role, :content, :answer_json, :created)"), dict(message))
                copied["messages"] += 1
        columns = ("conversation_id, owner, question, query, rewrite_method, answer, backend, model, declined, "
                   "citation_precision, notice, duration_ms, created, sources")
        for row in src.execute(text(f"SELECT {columns} FROM responses ORDER BY id")).mappings():
            present = dst.execute(text("SELECT 1 FROM responses WHERE owner = :owner AND created = :created "
                                       "AND question = :question"), dict(row)).first()
            if present is None:
                placeholders = ", ".join(f":{c.strip()}" for c in columns.split(","))
                dst.execute(text(f"INSERT INTO responses ({columns}) VALUES ({placeholders})"), dict(row))
                copied["responses"] += 1
    return copied


def table_counts(db: Database) -> dict[str, int]:
    """Rows per table (all users), for `visapath db status`."""
    with db.begin() as conn:
        return {table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                for table in ("profiles", "postings", "conversations", "messages", "responses")}
