"""The employer data's shipped lexicon files (brand aliases, title-to-SOC rules, places), read once.

Lookups run many times a second in the app and in chat; parsing YAML on each would cost more than
the query itself, so each file is parsed once per modification time.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml


@functools.lru_cache(maxsize=32)
def _parse(path: str, mtime_ns: int) -> dict[str, Any]:
    return yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}


def read_yaml(path: Path) -> dict[str, Any]:
    """The mapping in a YAML file ({} when the file is absent). Callers must not modify it."""
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return {}
    return _parse(str(path), mtime)
