"""Split a Document into citeable chunks that remember their heading path, page and offsets.

A chunk is a whole heading section when it fits, otherwise a run of whole sentences, so the
quoted passage in a citation is always verbatim text that starts and ends cleanly.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from dataclasses import dataclass

from visapath.models import Chunk, Document
from visapath.text import split_sentences

CHUNKER_VERSION = "2"
# `[ \t]+(.*)$` with the closing #s stripped in code: `\s+(.+?)\s*#*\s*$` backtracks cubically
# on a heading line holding a long run of spaces.
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*\S)[ \t]*$", re.MULTILINE)


@dataclass(frozen=True)
class ChunkSettings:
    max_chars: int = 900
    overlap_sentences: int = 1

    @property
    def signature(self) -> str:
        """Recorded on the collection so a settings change is detected as 're-index needed'."""
        return f"v{CHUNKER_VERSION}:max{self.max_chars}:ovl{self.overlap_sentences}"


@dataclass(frozen=True)
class Section:
    path: str | None
    start: int
    end: int
    asks: tuple[str, ...] = ()  # the heading's question variants (guidance Markdown only)


def sections(doc: Document) -> list[Section]:
    """Heading-delimited body ranges for Markdown; the whole text otherwise."""
    if doc.format != "markdown":
        return [Section(None, 0, len(doc.text))]
    found: list[Section] = []
    stack: list[tuple[int, str]] = []
    cursor, current, asks = 0, None, ()
    pending = list(doc.asks)  # in document order, so a repeated heading gets its own variants
    for match in _HEADING.finditer(doc.text):
        found.append(Section(current, cursor, match.start(), asks))
        level, heading = len(match.group(1)), match.group(2).strip().rstrip("#").strip() or match.group(2).strip()
        stack = [(lvl, h) for lvl, h in stack if lvl < level] + [(level, heading)]
        current = " > ".join(h for lvl, h in stack if lvl > 1) or None  # H1 repeats the title
        asks = pending.pop(0)[1] if pending and pending[0][0] == heading else ()
        cursor = match.end()
    found.append(Section(current, cursor, len(doc.text), asks))
    return [s for s in found if doc.text[s.start:s.end].strip()]


def chunk_document(doc: Document, settings: ChunkSettings) -> list[Chunk]:
    chunks: list[Chunk] = []
    seen: dict[tuple[str | None, str], int] = {}
    for section in sections(doc):
        for start, end in _windows(doc.text, section, settings):
            key = (section.path, doc.text[start:end])
            seen[key] = seen.get(key, -1) + 1  # identical passages in one section stay distinct
            chunks.append(_make_chunk(doc, section.path, start, end, settings, seen[key], section.asks))
    return chunks


def _windows(text: str, section: Section, settings: ChunkSettings) -> list[tuple[int, int]]:
    """Sentence-aligned (start, end) ranges no longer than max_chars (unless one sentence is)."""
    body = text[section.start:section.end]
    spans = [(section.start + s.start, section.start + s.end) for s in split_sentences(body)]
    if not spans:
        return []
    if spans[-1][1] - spans[0][0] <= settings.max_chars:
        return [(spans[0][0], spans[-1][1])]
    windows: list[tuple[int, int]] = []
    i = 0
    while i < len(spans):
        j = i
        while j + 1 < len(spans) and spans[j + 1][1] - spans[i][0] <= settings.max_chars:
            j += 1
        windows.append((spans[i][0], spans[j][1]))
        if j + 1 >= len(spans):
            break
        i = max(i + 1, j + 1 - settings.overlap_sentences)
    return windows


def _make_chunk(doc: Document, section: str | None, start: int, end: int, settings: ChunkSettings,
                occurrence: int = 0, asks: tuple[str, ...] = ()) -> Chunk:
    """The id hashes content, not position: an edit elsewhere in the file keeps this id (no re-embedding).
    The question variants are part of what is embedded, so they are part of the id too."""
    text = doc.text[start:end]
    parts = [doc.source, doc.owner, doc.kind, doc.title, section or "", text, settings.signature, str(occurrence)]
    digest = hashlib.sha256("\x1f".join(parts + (["\x1e".join(asks)] if asks else [])).encode()).hexdigest()[:24]
    return Chunk(
        id=digest, text=text, source=doc.source, title=doc.title, section=section, page=page_for(doc, start),
        start=start, end=end, kind=doc.kind, owner=doc.owner, topic=doc.topic, last_reviewed=doc.last_reviewed,
        asks=asks,
    )


def page_for(doc: Document, offset: int) -> int | None:
    if not doc.pages:
        return None
    starts = [start for _, start in doc.pages]
    index = max(0, bisect.bisect_right(starts, offset) - 1)
    return doc.pages[index][0]


def embedding_text(chunk: Chunk, with_asks: bool = True) -> str:
    """What is embedded and BM25-indexed: the passage with its title, heading path and the ways people
    ask the section's question as context. The variants come before the passage because a long
    passage's tail is what the encoder's length limit cuts, and the variants carry the askers' words
    (BM25 sees all of it); the quoted text stays `chunk.text`."""
    context = " > ".join(p for p in (chunk.title, chunk.section) if p)
    return "\n".join(p for p in (context, *(chunk.asks if with_asks else ()), chunk.text) if p)
