"""`visapath ingest` and `visapath info`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from visapath.cli.common import assistant, print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ingest", help="index files or folders (a folder is synced: removed files leave the index)")
    p.add_argument("paths", nargs="*", type=Path, help="files or folders (default: the knowledge folder)")
    p.add_argument("--rebuild", action="store_true", help="drop the index first (after a model or chunking change)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=run_ingest)

    p = sub.add_parser("info", help="index statistics, stale documents and active configuration")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run_info)


def run_ingest(args: argparse.Namespace) -> int:
    a = assistant()
    paths = args.paths or [a.settings.knowledge_dir]
    report = a.ingest(paths, progress=not args.quiet, rebuild=args.rebuild)
    print("\n".join([*report.lines(), report.summary()]))
    return 1 if report.failed else 0


def run_info(args: argparse.Namespace) -> int:
    info = assistant().info()
    if args.json:
        print_json(info)
        return 0
    for key, value in info.items():
        if key == "documents":
            continue
        if key == "stale_documents":
            value = ", ".join(value) if value else "none"
        print(f"{key:>22}: {value}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run_info(argparse.Namespace(json=False)))
