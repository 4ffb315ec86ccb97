"""`visapath explain` (read a posting) and `visapath postings` (the saved ones)."""

from __future__ import annotations

import argparse
import sys

from ingest.loaders import LoadError
from visapath.budget import WorkStopped
from visapath.cli.common import assistant, print_disclaimer, print_json, read_posting, ready_assistant
from visapath.explain import Explanation


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("explain", help="explain what a job posting says about sponsorship and requirements")
    p.add_argument("files", nargs="+", help="posting files (PDF, DOCX, HTML, Markdown, text) or '-' for stdin")
    p.add_argument("--status", help="your status token (e.g. h1b, f1-stem-opt) for personal notes; default: profile")
    p.add_argument("--json", action="store_true")
    p.add_argument("--save", action="store_true", help="keep the posting in your workspace so chat can cite it")
    p.set_defaults(func=run_explain)

    p = sub.add_parser("postings", help="list or delete saved postings")
    p.add_argument("action", choices=["list", "delete"], nargs="?", default="list")
    p.add_argument("ids", nargs="*")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run_postings)


def _status(args: argparse.Namespace) -> str | None:
    if args.status:
        return args.status
    try:
        return assistant().profiles.load().status
    except Exception:  # no profile saved yet, or profile support unavailable: no personal notes
        return None


def run_explain(args: argparse.Namespace) -> int:
    a = ready_assistant(progress=False)
    status = _status(args)
    results: list[dict] = []
    failures = 0
    for name in args.files:
        try:
            with a.analysis_step(f"Analyzing {name}"):  # reading stdin or the file is part of the step
                doc = read_posting(a, name)
                explanation = a.explain(doc, status, save=args.save)
            explanation.file = name
        except (LoadError, WorkStopped) as exc:
            failures += 1
            print(f"error: {exc}", file=sys.stderr)
            if len(args.files) > 1 and args.json:
                results.append({"file": name, "error": str(exc)})
            continue
        if args.json:
            results.append(explanation.to_json())
        else:
            print_explanation(explanation)
    if args.json:
        if len(args.files) == 1 and results and "error" not in results[0]:
            single = dict(results[0])
            single.pop("file", None)
            print_json(single)
        elif len(args.files) > 1:
            print_json(results)
    else:
        print_disclaimer()
    return 2 if failures == len(args.files) else (1 if failures else 0)


def print_explanation(e: Explanation) -> None:
    a = e.analysis
    s = a.sponsorship
    print(f"== {e.file or 'posting'}")
    for warning in e.warnings:
        print(f"   note: {warning}")
    print(f"Sponsorship: {s.verdict} (confidence {s.confidence:.2f})"
          + ("  ** contradictory statements **" if s.contradiction else ""))
    if s.reason:
        print(f"  Why: {s.reason}")
    for ev in s.evidence:
        print(f"  - [{ev.label}] \"{ev.sentence}\"")
    if s.jurisdictions:
        print(f"  jurisdictions mentioned: {', '.join(s.jurisdictions)}")
    fields = {
        "Title": a.title, "Company": a.company, "Minimum degree": a.min_degree,
        "Minimum experience": f"{a.min_years_experience:g} years" if a.min_years_experience is not None else None,
        "Salary": (f"${a.salary.annual_min:,.0f} - ${a.salary.annual_max:,.0f} a year ({a.salary.period} rate)"
                   if a.salary else None),
        "Remote": f"{a.remote} ({a.remote_scope})" if a.remote and a.remote_scope else a.remote,
        "Roles": "; ".join(a.roles) or None,
        "Clearance required": "yes" if a.clearance_required else "no",
    }
    for key, value in fields.items():
        print(f"{key:>20}: {value if value is not None else '-'}")
    for flag in a.flags:
        print(f"  flag [{flag.kind}]: {flag.text}")
    if e.notes:
        print("What this means for you:")
        for note in e.notes:
            refs = " ".join(f"[{c.n}]" for c in note.citations)
            print(f"  * {note.text} {refs}")
            for c in note.citations:
                print(f"      [{c.n}] {c.title} > {c.section or ''} ({c.source})")
    if e.filings and e.filings.get("text"):
        print("Employer filing data (public DOL/USCIS files you imported):")
        for line in e.filings["text"]:
            print(f"  {line}")
    if e.saved:
        print(f"Saved as posting {e.saved.id}.")


def run_postings(args: argparse.Namespace) -> int:
    a = assistant()
    if args.action == "delete":
        from visapath.identifiers import posting_id

        for pid in args.ids:  # every id is checked before anything is deleted
            posting_id(pid)
        missing = [pid for pid in args.ids if not a.postings.delete(pid)]
        for pid in missing:
            print(f"error: no saved posting {pid}", file=sys.stderr)
        return 1 if missing else 0
    items = a.postings.list()
    if args.json:
        print_json([{"id": p.id, "title": p.title, "verdict": p.verdict, "created": p.created, "file": p.filename}
                    for p in items])
        return 0
    if not items:
        print("No saved postings. Use `visapath explain FILE --save` or upload one in the app.")
    for p in items:
        print(f"{p.id}  {p.verdict:<24} {p.title}  ({p.filename}, {p.created})")
    return 0
