"""Typed records that cross module boundaries (ingest -> index -> retrieve -> answer -> UI)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

SourceKind = Literal["guidance", "posting"]


@dataclass(frozen=True)
class Document:
    """One loaded file, before chunking. `text` is the exact extracted text that offsets index."""

    source: str  # stable identifier: path relative to its root, or "posting:<id>"
    title: str
    text: str
    kind: SourceKind = "guidance"
    owner: str = ""  # "" for shared guidance; the user's id for their postings
    topic: str = ""
    last_reviewed: str = ""
    sources: tuple[dict[str, str], ...] = ()  # official references named in front matter
    applies_to: tuple[str, ...] = ()
    pages: tuple[tuple[int, int], ...] = ()  # (page_number, start_offset) for paged formats
    format: str = "text"  # "markdown" enables heading-aware chunking
    warnings: tuple[str, ...] = ()  # e.g. a mislabeled file that was read by its content
    # Guidance only: for each heading (its text as written), the ways people ask the question the
    # section answers. Kept out of `text`, so they are searched but never quoted.
    asks: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class Chunk:
    """A passage of a Document that is embedded and cited as a unit."""

    id: str
    text: str
    source: str
    title: str
    section: str | None
    page: int | None
    start: int
    end: int
    kind: SourceKind = "guidance"
    owner: str = ""
    topic: str = ""
    last_reviewed: str = ""
    asks: tuple[str, ...] = ()  # question variants of the section: searched, never quoted

    def metadata(self) -> dict[str, Any]:
        """Chroma metadata (no None values allowed there)."""
        return {
            "source": self.source,
            "title": self.title,
            "section": self.section or "",
            "page": self.page if self.page is not None else -1,
            "start": self.start,
            "end": self.end,
            "kind": self.kind,
            "owner": self.owner,
            "topic": self.topic,
            "last_reviewed": self.last_reviewed,
            "asks": "\n".join(self.asks),
        }

    @classmethod
    def from_record(cls, id: str, text: str, meta: dict[str, Any]) -> "Chunk":
        page = meta.get("page", -1)
        return cls(
            id=id,
            text=text,
            source=str(meta.get("source", "")),
            title=str(meta.get("title", "")),
            section=meta.get("section") or None,
            page=None if page is None or int(page) < 0 else int(page),
            start=int(meta.get("start", 0)),
            end=int(meta.get("end", 0)),
            kind=meta.get("kind", "guidance"),
            owner=str(meta.get("owner", "")),
            topic=str(meta.get("topic", "")),
            last_reviewed=str(meta.get("last_reviewed", "")),
            asks=tuple(a for a in str(meta.get("asks") or "").split("\n") if a),
        )


@dataclass
class Hit:
    """A retrieved chunk with its scores. `score` is the relevance used for the floor (0..1)."""

    chunk: Chunk
    score: float
    vector_score: float | None = None
    bm25_score: float | None = None
    rank: int = 0


@dataclass
class Citation:
    """What an answer shows for one `[n]`: the exact quoted passage and where it lives."""

    n: int
    source: str
    title: str
    section: str | None
    page: int | None
    quote: str
    score: float
    kind: str = "guidance"
    chunk_id: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "source": self.source,
            "title": self.title,
            "section": self.section,
            "page": self.page,
            "quote": self.quote,
            "score": round(float(self.score), 4),
            "kind": self.kind,
        }


@dataclass
class Answer:
    answer: str
    declined: bool
    citations: list[Citation] = field(default_factory=list)
    backend: str = "grounded"
    citation_precision: float | None = None
    notice: str | None = None  # e.g. "LLM endpoint unreachable; showing the grounded answer"
    query: str = ""  # the standalone query actually retrieved with
    context: list[str] = field(default_factory=list, repr=False)  # passages composed from (evaluation; not shown)

    def to_json(self, extended: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "answer": self.answer,
            "declined": self.declined,
            "citations": [c.to_json() for c in self.citations],
        }
        if extended:
            out["backend"] = self.backend
            out["citation_precision"] = self.citation_precision
            if self.notice:
                out["notice"] = self.notice
        return out


def as_dict(obj: Any) -> dict[str, Any]:
    return asdict(obj)
