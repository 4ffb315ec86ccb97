"""Prompt and message templates, loaded from files in `prompts/` and rendered with Jinja2."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from visapath.resources import resource_path


@lru_cache(maxsize=4)
def _environment(root: str) -> Environment:
    return Environment(
        loader=FileSystemLoader(root), undefined=StrictUndefined, keep_trailing_newline=False,
        trim_blocks=True, lstrip_blocks=True, autoescape=False,
    )


def render(name: str, root: Path | None = None, **values: Any) -> str:
    """Render `prompts/<name>` (e.g. 'messages/disclaimer.txt'); missing variables are errors."""
    template = _environment(str(root or resource_path("prompts"))).get_template(name)
    return template.render(**values).strip()


def disclaimer() -> str:
    return render("messages/disclaimer.txt")
