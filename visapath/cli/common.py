"""Helpers shared by subcommands: building the assistant and printing results."""

from __future__ import annotations

import json
import sys
from typing import Any

from visapath.config import get_settings
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
