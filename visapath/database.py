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

from sqlalchemy import Connection, Engine, create_engine, event, exc
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
