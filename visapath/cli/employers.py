"""`visapath employers import|search|show|alias|info` and `visapath wage-level`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from visapath.cli.common import print_json
from visapath.config import get_settings


def data():
    from visapath.employers.data import EmployerData

    return EmployerData(get_settings())


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("employers", help="public employer filing data: import, search, history")
    esub = p.add_subparsers(dest="employers_command", required=True)

    i = esub.add_parser("import", help="import DOL LCA, USCIS H-1B Data Hub or OFLC wage files (files, folders, zips)")
    i.add_argument("paths", nargs="+", type=Path)
    i.add_argument("--quiet", action="store_true", help="no progress bar")
    i.add_argument("--json", action="store_true")
    i.set_defaults(func=run_import)

    s = esub.add_parser("search", help="employer entities matching a name, with filing counts and match scores")
    s.add_argument("name")
    s.add_argument("--limit", type=int, default=10)
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=run_search)

    sh = esub.add_parser("show", help="per-year LCA history (and USCIS decisions) for an employer")
    sh.add_argument("name")
    sh.add_argument("--title", help="job-title words, e.g. 'ML engineer'")
    sh.add_argument("--soc", help="SOC code or prefix, e.g. 15-1252")
    sh.add_argument("--state", help="worksite state, e.g. MN")
    sh.add_argument("--years", type=int, help="only the last N fiscal years in the data")
    sh.add_argument("--exact", action="store_true", help="no 'name starts with' matching")
    sh.add_argument("--json", action="store_true")
    sh.set_defaults(func=run_show)

    a = esub.add_parser("alias", help="brand names that mean an employer's legal name (editable)")
    a.add_argument("action", choices=("add", "remove", "list"))
    a.add_argument("alias", nargs="?")
    a.add_argument("employer", nargs="?")
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=run_alias)

    n = esub.add_parser("info", help="imported files and their vintage")
    n.add_argument("--json", action="store_true")
    n.set_defaults(func=run_info)

    w = sub.add_parser("wage-level", help="prevailing-wage level of a salary and its H-1B selection weight")
    w.add_argument("--soc", required=True, help="SOC code, e.g. 15-2051")
    w.add_argument("--area", help="OFLC wage area code (e.g. 42660) or a place in its name (e.g. Seattle)")
    w.add_argument("--county", help="county name, with --state")
    w.add_argument("--state", help="state abbreviation")
    w.add_argument("--salary", type=float, action="append", required=True,
                   help="offered salary; repeat for several employers registering the same person")
    w.add_argument("--unit", choices=("year", "hour"), default="year")
    w.add_argument("--json", action="store_true")
    w.set_defaults(func=run_wage_level)


class _Bars:
    """One tqdm bar per file: percent for CSV (DuckDB's own progress), rows for xlsx."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty() or enabled == "always"
        self.bar: Any = None
        self.source: str | None = None

    def __call__(self, source: str, fraction: float | None, message: str) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        if source != self.source:
            self.close()
            self.source = source
            self.bar = tqdm(total=100, desc=Path(source.split("!")[-1]).name[:40], unit="%", file=sys.stderr,
                            bar_format="{desc}: {percentage:3.0f}%|{bar}| {postfix}")
        if fraction is not None:
            self.bar.n = int(fraction * 100)
        self.bar.set_postfix_str(message)
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.n = 100
            self.bar.close()
            self.bar = None


def run_import(args: argparse.Namespace) -> int:
    bars = _Bars(not args.quiet and not args.json)
    try:
        summaries = data().import_paths(args.paths, progress=bars)
    finally:
        bars.close()
    if args.json:
        print_json([s.to_json() for s in summaries])
    else:
        for s in summaries:
            print(format_summary(s))
    return 1 if any(s.status == "failed" for s in summaries) else 0


def format_summary(s) -> str:
    if s.status == "failed":
        return f"  failed  {s.source}\n          {s.error}"
    head = f"{s.status:>9}  {s.source}  [{s.label}]"
    if s.status == "unchanged":
        return head + "\n          already imported (same content); nothing changed" + (
            f"\n          vintage: {s.vintage()}" if s.vintage() else "")
    lines = [head, f"          rows read {s.rows_read:,}; blank {s.blank:,}; duplicate {s.duplicate:,}; "
                   f"rejected {s.rejected:,}; kept {s.kept:,}" + (f"; replaced {s.replaced:,} earlier rows" if s.replaced else "")
                   + f"  ({s.seconds:.1f} s)"]
    for reason, n in s.rejects.items():
        lines.append(f"          rejected {n:,}: {reason}")
    if s.vintage():
        lines.append(f"          vintage: {s.vintage()}")
    return "\n".join(lines)


def run_search(args: argparse.Namespace) -> int:
    from visapath.employers.history import NO_MATCH, NO_MATCH_NOTE

    cands = data().search(args.name, args.limit)
    if args.json:
        print_json({"query": args.name, "candidates": [c.to_json() for c in cands]})
        return 0
    confident = [c for c in cands if c.match not in ("fuzzy", "prefix")]
    if not confident and not [c for c in cands if c.match == "prefix"]:
        print(f"{NO_MATCH}: '{args.name}'. {NO_MATCH_NOTE}")
        if cands:
            print("Nearest names:")
    for c in cands:
        fein = f"  FEIN {c.fein}" if c.fein else ""
        hub = f", {c.uscis_rows:,} USCIS rows" if c.uscis_rows else ""
        print(f"  {c.score:5.1f}  {c.match:<9} {c.name}{fein}  ({c.filings:,} LCAs{hub})")
    return 0


def run_show(args: argparse.Namespace) -> int:
    from visapath.employers.views import history_text

    result = data().show(args.name, args.title, args.soc, args.state, args.years, exact=args.exact)
    if args.json:
        print_json(result)
    else:
        print(history_text(result))
    return 0


def run_alias(args: argparse.Namespace) -> int:
    d = data()
    if args.action == "list":
        rows = d.aliases()
        if args.json:
            print_json(rows)
        else:
            for r in rows:
                print(f"  {r['alias']} -> {r['employer']}")
            if not rows:
                print("no aliases of your own yet (the shipped brand list still applies)")
        return 0
    if not args.alias or (args.action == "add" and not args.employer):
        print("error: give the alias and, to add, the employer's legal name", file=sys.stderr)
        return 2
    if args.action == "add":
        d.add_alias(args.alias, args.employer)
        print(f"alias added: {args.alias} -> {args.employer}")
    else:
        n = d.remove_alias(args.alias, args.employer)
        print(f"removed {n} alias(es) for {args.alias}")
    return 0


def run_info(args: argparse.Namespace) -> int:
    d = data()
    files, counts = d.vintage(), d.counts()
    if args.json:
        print_json({"database": str(d.path), "counts": counts, "files": files})
        return 0
    print(f"database: {d.path}")
    print("rows: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    for f in files:
        state = f"  (superseded by file {f['superseded_by']})" if f["superseded_by"] else ""
        cover = ", ".join(f["quarters"]) or ", ".join(str(y) for y in f["fiscal_years"])
        dates = f"; decisions {f['decision_min']} to {f['decision_max']}" if f["decision_min"] else ""
        cover = f"; {cover}" if cover else ""
        print(f"  [{f['file_id']}] {f['name']} — {f['label']}; {f['kept']:,} rows kept{cover}{dates}; "
              f"imported {f['imported_at']}{state}")
    return 0


def run_wage_level(args: argparse.Namespace) -> int:
    from visapath.employers.views import wage_text

    if not args.area and not args.county:
        print("error: give --area (code or name) or --county with --state", file=sys.stderr)
        return 2
    result = data().wage_level(args.soc, args.salary, args.unit, args.area, args.county, args.state)
    if args.json:
        print_json(result)
    else:
        print(wage_text(result))
    return 0
