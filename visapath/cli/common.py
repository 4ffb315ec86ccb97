"""Helpers shared by subcommands: building the assistant and printing results."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from visapath.config import get_settings
from visapath.models import Document
from visapath.prompts import disclaimer
from visapath.service import Assistant

_assistant: Assistant | None = None


def assistant() -> Assistant:
    """One assistant (and one loaded model) per process."""
    global _assistant
    if _assistant is None:
        _assistant = Assistant(get_settings())
    return _assistant


def ready_assistant(progress: bool = True) -> Assistant:
    """The assistant with the guidance index built (first run) or synced (later runs)."""
    a = assistant()
    if a.store.count() == 0:
        print("Building the knowledge index (first run)...", file=sys.stderr)
        report = a.ensure_index(progress=progress)
        print(report.summary(), file=sys.stderr)
    elif a.index_outdated():
        print("The index was built with another encoder: embedding it again...", file=sys.stderr)
        print(a.reembed(progress=progress).summary(), file=sys.stderr)
    return a


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def print_disclaimer() -> None:
    print(f"\n{disclaimer()}", file=sys.stderr)


def read_posting(a: Assistant, name: str) -> Document:
    """A posting named on the command line ('-' reads stdin), held to the same limits as an upload."""
    from ingest.loaders import load_path, load_text, read_limited

    limits = a.posting_limits
    if name == "-":
        text = read_limited(sys.stdin.buffer, limits, "The text on stdin")
        return load_text(text, title="stdin", owner=a.settings.user, source="stdin.txt", limits=limits)
    return load_path(Path(name), kind="posting", owner=a.settings.user, limits=limits)
