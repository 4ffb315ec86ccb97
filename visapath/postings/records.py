"""The posting reader's public records: evidence, verdict, salary, flags and the whole analysis.

Labels, verdicts and their priority are defined here once so every module agrees on them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal


LABELS = ("sponsors", "transfer_only", "no_sponsorship", "citizenship_or_clearance", "authorization_ambiguous", "unrelated")
VERDICTS = ("sponsors", "transfer_only", "no_sponsorship", "citizenship_or_clearance", "authorization_ambiguous", "not_mentioned")
PRIORITY = ("citizenship_or_clearance", "no_sponsorship", "transfer_only", "sponsors", "authorization_ambiguous")
POSITIVE = frozenset({"sponsors", "transfer_only"})
NEGATIVE = frozenset({"no_sponsorship", "citizenship_or_clearance"})
Degree = Literal["bachelor", "master", "phd"]
RemoteMode = Literal["remote", "hybrid", "onsite", "remote_us_only"]
DEGREE_ORDER = ("bachelor", "master", "phd")
# Cue families interpreted by `_interpret`, listed in overlap precedence: where two cues overlap,
# the earlier family wins ("require visa sponsorship" is a need, not an offer).
CUE_FAMILIES = ("refusal", "transfer", "need", "citizenship", "clearance", "offer", "authorization", "visa_mention", "mention")
PERIOD_FACTOR = {"hour": 2080.0, "day": 260.0, "week": 52.0, "month": 12.0, "year": 1.0}

# ---------------------------------------------------------------------------------------
# Public records


@dataclass
class Evidence:
    """One sentence that bears on work authorization. Offsets index `PostingAnalysis.text`."""

    sentence: str
    label: str
    start: int
    end: int
    cue: str
    cue_start: int = 0
    cue_end: int = 0
    confidence: float = 0.0
    jurisdiction: str = "US"
    jurisdiction_explicit: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "sentence": self.sentence, "label": self.label, "start": self.start, "end": self.end,
            "cue": self.cue, "cue_start": self.cue_start, "cue_end": self.cue_end,
            "confidence": round(self.confidence, 3), "jurisdiction": self.jurisdiction,
        }


@dataclass
class Sponsorship:
    verdict: str
    confidence: float
    evidence: list[Evidence]
    contradiction: bool
    jurisdictions: list[str]
    ignored: list[Evidence] = field(default_factory=list)  # visa words that are not a hiring condition
    reason: str = ""  # why this verdict, quoting the sentence(s) it rests on

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict, "confidence": round(self.confidence, 3), "reason": self.reason,
            "evidence": [e.to_json() for e in self.evidence], "contradiction": self.contradiction,
            "jurisdictions": list(self.jurisdictions), "ignored": [e.to_json() for e in self.ignored],
        }


@dataclass
class Salary:
    min: float
    max: float
    period: str
    annual_min: float
    annual_max: float
    currency: str = "USD"
    text: str = ""
    start: int | None = None
    end: int | None = None


@dataclass
class Flag:
    kind: str
    text: str
    start: int | None
    end: int | None
    cue: str = ""


@dataclass
class PostingAnalysis:
    text: str
    sponsorship: Sponsorship
    title: str | None
    company: str | None
    location: str | None
    min_degree: Degree | None
    min_years_experience: float | None
    salary: Salary | None
    remote: RemoteMode | None
    clearance_required: bool
    flags: list[Flag]
    elapsed_ms: float = 0.0
    remote_scope: str | None = None  # "anywhere in the US", "US states: CA, NY", "hybrid, 3 days a week (Austin, TX)"
    roles: list[str] = field(default_factory=list)  # the role titles of a posting that lists several

    def to_json(self) -> dict[str, Any]:
        """The issue's schema (minus "notes"), plus a few extra keys (cue, location, currency)."""
        sal = None
        if self.salary is not None:
            s = self.salary
            sal = {"min": s.min, "max": s.max, "period": s.period, "annual_min": s.annual_min,
                   "annual_max": s.annual_max, "currency": s.currency}
        return {
            "sponsorship": self.sponsorship.to_json(),
            "title": self.title,
            "company": self.company,
            "location": self.location,
            "min_degree": self.min_degree,
            "min_years_experience": self.min_years_experience,
            "salary": sal,
            "remote": self.remote,
            "remote_scope": self.remote_scope,
            "roles": list(self.roles),
            "clearance_required": self.clearance_required,
            "flags": [{"kind": f.kind, "text": f.text, "start": f.start, "end": f.end, "cue": f.cue} for f in self.flags],
        }

@dataclass(frozen=True)
class Finding:
    """A label for one sentence with the span (sentence-relative) that caused it."""

    label: str
    cue_start: int
    cue_end: int
    confidence: float
    family: str = ""
    restrictive: bool = False  # a transfer statement that excludes new petitions
    specific: bool = False  # a refusal of one visa category only ("no OPT/CPT"), not a blanket refusal
    clearance_preferred: bool = False
