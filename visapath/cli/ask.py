"""`visapath ask`: one question, or a batch, answered with citations."""

from __future__ import annotations

import argparse
import sys

from visapath.cli.common import print_disclaimer, print_json, ready_assistant
from visapath.models import Answer


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ask", help="answer a question with cited sources")
    p.add_argument("question", nargs="?", help="the question (omit with --batch)")
    p.add_argument("--json", action="store_true", help="print the answer as JSON")
    p.add_argument("--batch", metavar="FILE", help="one question per line ('-' for stdin); prints JSON lines")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.batch:
        return run_batch(args.batch)
    if not args.question:
        print("error: give a question, or --batch FILE", file=sys.stderr)
        return 2
    answer = ready_assistant(progress=not args.json).ask(args.question)
    if args.json:
        print_json(answer.to_json())
    else:
        print_answer(answer)
    return 0


def run_batch(path: str) -> int:
    stream = sys.stdin if path == "-" else open(path, encoding="utf-8")
    with stream:
        questions = [line.strip() for line in stream if line.strip()]
    assistant = ready_assistant(progress=False)
    for question in questions:
        print_json(assistant.ask(question).to_json())
    return 0


def print_answer(answer: Answer) -> None:
    print(answer.answer)
    if answer.citations:
        print("\nSources:")
        for c in answer.citations:
            where = " > ".join(p for p in (c.title, c.section) if p)
            page = f", page {c.page}" if c.page else ""
            print(f"  [{c.n}] {where} ({c.source}{page}; relevance {c.score:.2f})")
            print(f"      \"{c.quote if len(c.quote) < 240 else c.quote[:237] + '...'}\"")
    print_disclaimer()
