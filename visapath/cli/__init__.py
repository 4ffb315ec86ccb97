"""`visapath` command line: each subcommand lives in its own module and registers itself."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from visapath.cli import ask, core, db, draft, employers, evaluate, explain, train, privacy, serve

COMMANDS = (ask, core, explain, draft, evaluate, employers, train, privacy, serve, db)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="visapath",
        description="Offline job-search assistant for people who need a US work visa. "
        "General information, not legal advice.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for module in COMMANDS:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from pydantic import ValidationError

    from ingest.loaders import LoadError
    from visapath.budget import WorkStopped
    from visapath.database import DatabaseError
    from visapath.datadir import DataDirError, unwritable
    from visapath.embeddings import EmbeddingError
    from visapath.employers.errors import EmployerDataError, WageLookupError
    from visapath.identifiers import InvalidIdentifier
    from visapath.store import StoreError

    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (StoreError, LoadError, InvalidIdentifier, EmployerDataError, WageLookupError,
            DataDirError, DatabaseError, EmbeddingError, WorkStopped) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except PermissionError as exc:  # a file inside the data folder that this user may not touch
        print(f"error: {unwritable(Path(exc.filename or '.'), exc)}", file=sys.stderr)
        return 2
    except ValidationError as exc:  # a VISAPATH_* setting of the wrong shape
        print(f"error: configuration: {settings_problem(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def settings_problem(exc: "ValidationError") -> str:
    """One line per bad setting, named by its environment variable."""
    parts = []
    for err in exc.errors():
        name = "VISAPATH_" + "_".join(str(p) for p in err.get("loc", ())).upper()
        cause = err.get("ctx", {}).get("error")
        parts.append(f"{name}: {cause if cause else err.get('msg', 'invalid value')}")
    return "; ".join(parts)


if __name__ == "__main__":
    sys.exit(main())
