"""Where a cited passage comes from: the official pages named in a guidance document's front
matter and its review date, or, for a saved posting, its title, company and id.

The answer and index keep only the document's path; the UI asks here for what a source card
shows, so one `knowledge/` edit updates every card. Only http(s) links are returned, and only
files inside the knowledge folder are read.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from ingest.loaders import LoadError, load_path

POSTING_PREFIX = "posting:"


@dataclass(frozen=True)
class Link:
    title: str
    url: str

    @property
    def host(self) -> str:
        host = urlparse(self.url).hostname or ""
        return host.removeprefix("www.")


@dataclass(frozen=True)
class SourceInfo:
    """What a source card shows besides the quoted passage."""

    kind: str  # "guidance" | "posting"
    links: tuple[Link, ...] = ()
    last_reviewed: str = ""
    posting_id: str = ""
    company: str = ""


def safe_link(title: object, url: object) -> Link | None:
    """A link fit for a page: an absolute http(s) URL with a host; anything else is dropped."""
    text = str(url or "").strip()
    parsed = urlparse(text)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        return None
    return Link(" ".join(str(title or parsed.hostname).split()), text)


class GuidanceReferences:
    """Front-matter references of the guidance files, read once per file version."""

    def __init__(self, knowledge_dir: Path) -> None:
        self.root = Path(knowledge_dir).resolve()
        self._cache: dict[tuple[str, float], SourceInfo] = {}
        self._lock = threading.Lock()

    def get(self, source: str) -> SourceInfo:
        if source.startswith(POSTING_PREFIX):
            return SourceInfo("posting", posting_id=source[len(POSTING_PREFIX):])
        path = (self.root / source).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            return SourceInfo("guidance")
        key = (str(path), path.stat().st_mtime)
        with self._lock:
            if key not in self._cache:
                self._cache[key] = self._read(path)
            return self._cache[key]

    @staticmethod
    def _read(path: Path) -> SourceInfo:
        try:
            doc = load_path(path)
        except (LoadError, OSError):
            return SourceInfo("guidance")
        links = tuple(link for ref in doc.sources if isinstance(ref, dict)
                      if (link := safe_link(ref.get("title"), ref.get("url"))) is not None)
        return SourceInfo("guidance", links=links, last_reviewed=str(doc.last_reviewed or ""))
