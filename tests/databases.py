"""A fresh app database per test, on SQLite and on the real PostgreSQL that scripts/test.sh starts.

CI exports `VISAPATH_TEST_DATABASE_URL` (a throwaway cluster on 127.0.0.1, see scripts/postgres.sh);
each PostgreSQL test gets a database of its own, dropped afterwards. In CI a missing or dead server
fails the tests; elsewhere they are skipped with the command that runs them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from visapath import database

SERVER_ENV = "VISAPATH_TEST_DATABASE_URL"


def server_url() -> str:
    """The PostgreSQL server's URL; fails in CI and skips elsewhere when there is none."""
    url = os.environ.get(SERVER_ENV)
    problem = None if url else f"{SERVER_ENV} is not set (scripts/test.sh starts PostgreSQL and sets it)"
    if url:
        try:
            with _admin(url) as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:  # noqa: BLE001 - any failure to reach it is reported the same way
            problem = f"PostgreSQL at {database.shown_url(url)} can't be reached: {exc}"
    if problem:
        if os.environ.get("CI"):
            pytest.fail(problem)
        pytest.skip(problem + "; run `bash scripts/test.sh tests/test_storage.py` for the PostgreSQL runs")
    return url  # type: ignore[return-value]


@contextmanager
def _admin(url: str):
    engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


@contextmanager
def fresh_postgres() -> Iterator[str]:
    """A new, empty database on the test server; its URL (dropped with its connections afterwards)."""
    server = server_url()
    name = f"visapath_test_{uuid.uuid4().hex[:12]}"
    with _admin(server) as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        database.forget_engine(url)
        with _admin(server) as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
