"""`visapath db`: where the app database is, its migrations, and moving an embedded one to a server."""

from __future__ import annotations

import argparse
from pathlib import Path

from visapath.cli.common import assistant, print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("db", help="the app database: status, or copy an embedded one into VISAPATH_DATABASE_URL")
    p.add_argument("action", choices=["status", "copy"], nargs="?", default="status")
    p.add_argument("source", nargs="?", metavar="FROM",
                   help="copy: an SQLite file (e.g. data/visapath.sqlite3) or a database URL to copy from")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run_db)


def run_db(args: argparse.Namespace) -> int:
    from visapath.database import DatabaseError, copy_database, open_database, sqlite_url, table_counts
    from visapath.migrations import applied_migrations

    target = assistant().database
    if args.action == "copy":
        if not args.source:
            raise DatabaseError("Name the database to copy from: an SQLite file or a database URL.")
        url = args.source if "://" in args.source else sqlite_url(Path(args.source).resolve())
        if not Path(args.source).exists() and "://" not in args.source:
            raise DatabaseError(f"There is no database file {args.source}.")
        source = open_database(url)
        if source.url == target.url:
            raise DatabaseError("The source is the configured database itself; set VISAPATH_DATABASE_URL "
                                "to the server to copy into.")
        copied = copy_database(source, target)
        if args.json:
            print_json({"from": source.describe(), "to": target.describe(), "copied": copied})
        else:
            print(f"Copied from {source.describe()} to {target.describe()}: "
                  + ", ".join(f"{n} {table}" for table, n in copied.items()) + ".")
        return 0
    with target.begin() as conn:
        migrations = applied_migrations(conn)
    status = {"database": target.describe(), "dialect": target.dialect, "migrations": migrations,
              "rows": table_counts(target)}
    if args.json:
        print_json(status)
    else:
        print(f"database: {status['database']} ({status['dialect']})")
        print(f"migrations: {', '.join(migrations)}")
        print("rows: " + ", ".join(f"{table} {n}" for table, n in status["rows"].items()))
    return 0
