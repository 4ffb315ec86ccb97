"""`visapath forget`: erase what visapath stores about the current user."""

from __future__ import annotations

import argparse
import sys

from visapath.cli.common import assistant, print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("forget", help="erase your data: saved postings, conversations, the answer log and profile")
    p.add_argument("--all", action="store_true", required=True,
                   help="everything stored for this user (VISAPATH_USER); guidance and other users are untouched")
    p.add_argument("--yes", action="store_true", help="don't ask for confirmation")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run_forget)


def run_forget(args: argparse.Namespace) -> int:
    a = assistant()
    user = a.settings.user
    if not args.yes:
        if not sys.stdin.isatty():
            print("error: `forget --all` erases your data for good; add --yes to confirm.", file=sys.stderr)
            return 2
        reply = input(f"Erase all saved postings, conversations, the answer log and the profile of '{user}'? [y/N] ")
        if reply.strip().lower() not in ("y", "yes"):
            print("Nothing erased.", file=sys.stderr)
            return 1
    erased = a.forget_all()
    if args.json:
        print_json({"user": user, **erased})
    else:
        print(f"Erased the data of '{user}': {erased['posting_chunks']} posting passages, "
              f"{erased['conversation_rows']} conversation and log rows, "
              f"{'the profile' if erased['profile'] else 'no profile'}.")
    return 0
