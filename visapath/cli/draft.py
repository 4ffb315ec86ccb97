"""`visapath draft` (a recruiter message about sponsorship) and `visapath profile` (status, degree, name)."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import Any

from visapath.cli.common import assistant, print_disclaimer, print_json, ready_assistant
from visapath.drafts import CHANNELS, VARIANTS, Draft, DraftError
from visapath.profile import DEGREES, STATUSES, Profile, ProfileError, normalize_status

_CLEAR = "none"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("draft", help="draft a recruiter message about sponsorship for your status")
    p.add_argument("--status", type=_status, help=f"your status (default: profile): {', '.join(STATUSES)}")
    p.add_argument("--channel", choices=list(CHANNELS), default="linkedin-message")
    p.add_argument("--posting", metavar="FILE", help="a posting file (PDF, DOCX, HTML, Markdown, text; '-' for stdin)")
    p.add_argument("--posting-id", metavar="ID", help="a saved posting (see `visapath postings`)")
    p.add_argument("--name", help="your name for the signature (default: profile)")
    p.add_argument("--role", help="the role, when the posting has no title (default: your profile's target role)")
    p.add_argument("--to", metavar="NAME", help="the recipient's name for the greeting")
    p.add_argument("--variant", choices=list(VARIANTS), default="auto",
                   help="check-only: only ask whether a posting's restriction is firm (auto picks it when needed)")
    p.add_argument("--save-profile", action="store_true", help="save the given --status/--name/--role to your profile")
    p.add_argument("--no-citations", action="store_true", help="skip the guidance look-up (no index needed)")
    p.add_argument("--polish", action="store_true", help="let the configured LLM polish the wording (checked)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run_draft)

    p = sub.add_parser("profile", help="show or update your profile (status, degree, target role, name)")
    p.add_argument("--status", type=_status, help=f"one of: {', '.join(STATUSES)}")
    p.add_argument("--name")
    p.add_argument("--degree", choices=list(DEGREES))
    p.add_argument("--us-degree", action=argparse.BooleanOptionalAction, default=None,
                   help="the highest degree is from a US school")
    p.add_argument("--stem-degree", action=argparse.BooleanOptionalAction, default=None,
                   help="the degree is on the DHS STEM list (for OPT drafts)")
    p.add_argument("--role", help="target role, e.g. 'Machine Learning Engineer'")
    p.add_argument("--auth-end", type=_auth_end, metavar="YYYY-MM-DD",
                   help="when your OPT / STEM OPT / EAD ends ('none' to clear)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run_profile)


def _status(value: str) -> str:
    try:
        return normalize_status(value)
    except ProfileError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _auth_end(value: str) -> date | str:
    if value.strip().lower() in (_CLEAR, ""):
        return _CLEAR
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a date; use YYYY-MM-DD, or 'none' to clear.") from None


# -- draft -------------------------------------------------------------------------------------

def run_draft(args: argparse.Namespace) -> int:
    a = assistant()
    try:
        if args.save_profile:
            a.profiles.update(status=args.status, name=args.name, target_role=args.role)
        if not (args.status or a.profile.status):
            raise DraftError("Your status is not set. Pass --status (e.g. h1b, f1-stem-opt) or save it with "
                             "`visapath profile --status ...`.")
        posting, load_warnings = _posting(args, a) if args.posting else (None, [])
        if not args.no_citations:
            a = ready_assistant(progress=False)
        draft = a.draft(args.channel, status=args.status, name=args.name, role=args.role, recipient=args.to,
                        posting=posting, posting_id=args.posting_id, variant=args.variant,
                        cite=not args.no_citations, polish=args.polish)
    except (ProfileError, DraftError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    draft.warnings[:0] = load_warnings
    if args.json:
        print_json(draft.to_json())
    else:
        print_draft(draft)
    return 0


def _posting(args: argparse.Namespace, a: Any) -> tuple[Any, list[str]]:
    """Read and analyse the posting file; LoadError reaches `main`, which prints it and exits 2."""
    from visapath.cli.common import read_posting
    from visapath.postings import analyze_posting

    doc = read_posting(a, args.posting)
    return analyze_posting(doc.text), list(doc.warnings)


def print_draft(draft: Draft) -> None:
    spec = CHANNELS[draft.channel]
    if draft.subject:
        print(f"Subject: {draft.subject}\n")
    print(draft.body)
    print(f"\n({draft.chars} characters; {spec.label}, limit {spec.limit})", file=sys.stderr)
    for warning in draft.warnings:
        print(f"  ! {warning}", file=sys.stderr)
    if draft.citations:
        print("\nThe visa facts above rest on:", file=sys.stderr)
        for c in draft.citations:
            where = " > ".join(part for part in (c.title, c.section) if part)
            print(f"  [{c.n}] {where} ({c.source}; relevance {c.score:.2f})", file=sys.stderr)
            quote = c.quote if len(c.quote) < 240 else c.quote[:237] + "..."
            print(f"      \"{quote}\"", file=sys.stderr)
    print_disclaimer()


# -- profile -----------------------------------------------------------------------------------

def run_profile(args: argparse.Namespace) -> int:
    store = assistant().profiles
    changes = {"status": args.status, "name": args.name, "degree": args.degree, "us_degree": args.us_degree,
               "stem_degree": args.stem_degree, "target_role": args.role,
               "work_authorization_end": None if args.auth_end == _CLEAR else args.auth_end}
    clear = ("work_authorization_end",) if args.auth_end == _CLEAR else ()
    try:
        if any(v is not None for v in changes.values()) or clear:
            profile = store.update(clear, **changes)
            if not args.json:
                print(f"Saved to {store.db.describe()}.", file=sys.stderr)
        else:
            profile = store.load()
    except ProfileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print_json(profile.to_json())
    else:
        print_profile(profile)
    return 0


def print_profile(profile: Profile) -> None:
    degree = DEGREES.get(profile.degree or "", "not set")
    if profile.degree and profile.us_degree is not None:
        degree += " (US school)" if profile.us_degree else " (non-US school)"
    if profile.stem_degree:
        degree += ", STEM"
    end = profile.work_authorization_end
    rows = {
        "Name": profile.name or "not set",
        "Status": f"{profile.status_label} ({profile.status})" if profile.status else "not set",
        "Highest degree": degree,
        "Target role": profile.target_role or "not set",
        "Authorization ends": end.isoformat() if end else "not set",
    }
    for key, value in rows.items():
        print(f"{key:>19}: {value}")
    if not profile.status:
        print("\nSet your status with `visapath profile --status TOKEN`, one of:")
        for token, label in STATUSES.items():
            print(f"  {token:<12} {label}")
