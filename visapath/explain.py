"""A posting explained for one user: the analysis, status-aware notes, and load warnings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from visapath.advice import Note
from visapath.workspace import SavedPosting

if TYPE_CHECKING:
    from visapath.postings import PostingAnalysis


@dataclass
class Explanation:
    analysis: "PostingAnalysis"
    notes: list[Note] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    file: str | None = None
    saved: SavedPosting | None = None
    filings: dict[str, Any] | None = None  # employer filing history and wage level (visapath.employers)

    def to_json(self) -> dict[str, Any]:
        out = self.analysis.to_json()
        out["notes"] = [n.to_json() for n in self.notes]
        if self.warnings:
            out["warnings"] = list(self.warnings)
        if self.file is not None:
            out = {"file": self.file, **out}
        if self.saved is not None:
            out["posting_id"] = self.saved.id
        if self.filings is not None:
            out["filings"] = self.filings
        return out
