"""Composition: which passages answer each part of a question, and how the answer reads.

The guidance is written as sections that each answer one question, first sentence first. So
the best answer to an ask is usually the section whose heading (or one of its question
variants) is that ask, quoted whole: its first sentence answers, the rest keeps the conditions.
Other sections that score nearly as well add their opening unit, cited separately. A section
about another visa class or form than the one asked is left out unless nothing else answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from visapath.injection import quotes_planted
from visapath.models import Citation, Hit
from visapath.personal import Personal, about_getting_held_status
from visapath.question import Part
from visapath.text import codes, same_class_family
from visapath.units import Unit, units

HEADING_WEIGHT = 0.35  # how much a heading/variant match adds to a passage's relevance
RANK_WEIGHT = 0.02  # a nudge for retrieval order (hybrid rank carries BM25 evidence)
OTHER_CLASS_PENALTY = 0.1
ANSWERS_THE_ASK = 0.7  # heading/variant cosine at which a section answers the ask whatever class it names
PROFILE_BOOST = 0.03  # a section on the user's own status, when the ask names no class
APPLY_PENALTY = 0.08  # "how do I apply for X" when the user already holds X and did not ask that
DEFINITION_PENALTY = 0.06  # a "What is X?" section when the ask is not for a definition
STUB_WORDS = 8  # a section opening this short that only says yes or no
REPEAT_PENALTY = 0.1  # a section the previous turn quoted, when a follow-up asks about something new
_DEFINITION = re.compile(r"^\s*(?:what (?:is|are)|what does .+ mean)\b", re.I)
_ASKS_DEFINITION = re.compile(r"^\s*(?:(?:and|so|but)\s+)?(?:what (?:is|are|does)|what's|explain|define|tell me about)\b|"
                              r"\bwhat (?:is|are|does) (?:an? |the )?[\w-]+(?: [\w-]+)?(?: mean)?\??$", re.I)
_YES_NO_OPENING = re.compile(r"^(?:[Yy]es|[Nn]o)\b[,.;:]?\s+(?=[A-Z0-9])")


@dataclass
class Scored:
    hit: Hit
    score: float
    heading: float  # best cosine of the ask with the section heading or a question variant


@dataclass
class Piece:
    """A quoted unit and the passage it cites; `label` is our own lead-in (a posting's name).

    Without a unit, the label is our own sentence that the passage supports (a note on what a
    posting's verdict means for the user's status), cited like a quote."""

    hit: Hit
    unit: Unit | None
    label: str = ""


@dataclass
class PartAnswer:
    part: Part
    pieces: list[Piece] = field(default_factory=list)
    gap: str = ""  # what the sources do not cover, said before the nearest covered facts
    lead: str = ""  # our own first sentence that answers the ask (a posting's verdict), before the quotes
    note: str = ""  # our own remark after the quotes (a sample date that is not the user's)


def heading_texts(hit: Hit) -> list[str]:
    """The ways the section's question is put: its own heading, then its question variants."""
    chunk = hit.chunk
    head = (chunk.section or "").split(" > ")[-1].strip()
    return [t for t in (head, *getattr(chunk, "asks", ())) if t]


def subject_codes(hit: Hit) -> set[str]:
    return codes(f"{hit.chunk.title} {hit.chunk.section or ''}")


def about_other_class(asked: set[str], hit: Hit) -> bool:
    """The ask names classes/forms and the section's title and headings name only others."""
    subject = subject_codes(hit)
    return bool(asked and subject) and not any(same_class_family(a, s) for a in asked for s in subject)


def rank(hits: list[Hit], heading_scores: dict[str, float], asked: set[str], ask: str,
         personal: Personal = Personal(), repeated: frozenset[str] = frozenset()) -> list[Scored]:
    """Passages in the order they answer the ask: relevance, heading match, retrieval rank, the
    user's status (a nudge toward their own topic; away from applying for what they hold), and,
    for a follow-up on a new subject, away from what the last answer already quoted."""
    out = []
    for i, hit in enumerate(hits):
        head = heading_scores.get(hit.chunk.id, 0.0)
        score = hit.score + HEADING_WEIGHT * max(head, 0.0) + RANK_WEIGHT / (i + 1)
        if demoted(asked, hit, head):
            score -= OTHER_CLASS_PENALTY
        if _DEFINITION.match(heading_texts(hit)[0] if heading_texts(hit) else "") and not _ASKS_DEFINITION.search(ask):
            score -= DEFINITION_PENALTY
        if personal.topics and hit.chunk.topic in personal.topics and not asked:
            score += PROFILE_BOOST
        if about_getting_held_status(personal, hit, ask):
            score -= APPLY_PENALTY
        if hit.chunk.id in repeated:
            score -= REPEAT_PENALTY
        out.append(Scored(hit, score, head))
    # A section on the class asked about comes before any section on another class.
    out.sort(key=lambda s: (demoted(asked, s.hit, s.heading), -s.score))
    return out


def demoted(asked: set[str], hit: Hit, heading: float) -> bool:
    """A section on another class than the one asked goes last, unless its heading (or a question
    variant) is nearly the ask itself: then it is the answer ("can a widow continue the green card
    case?" for a question naming only the I-140)."""
    return about_other_class(asked, hit) and heading < ANSWERS_THE_ASK


def lead_units(hit: Hit, limit: int) -> list[Unit]:
    """The first `limit` units of a passage (the answer, then its conditions). A unit with text
    addressed to an AI model (a planted instruction in a posting) is never quoted."""
    return [u for u in units(hit.chunk.text) if not quotes_planted(u.sentences, hit.chunk.text)][:limit]


def section_opening(hit: Hit, kind: str) -> list[Unit]:
    """The one unit another section adds to an answer. Its "Yes, to start H-1B status." answers its
    own heading; for an ask that is not yes/no such a stub says nothing, so the next unit is quoted."""
    first = lead_units(hit, 2)
    if kind != "yesno" and len(first) > 1 and first[0].words < STUB_WORDS \
            and re.match(r"(?:yes|no)\b", first[0].text, re.I):
        return first[1:]
    return first[:1]


def without_yes_no(unit: Unit) -> Unit:
    """A section's opening "Yes, ..." / "No. ..." answers its own heading's question; for an ask
    that is not a yes/no question it misleads, so the unit starts after it (still verbatim)."""
    match = _YES_NO_OPENING.match(unit.text)
    if not match:
        return unit
    cut = match.end()
    first, *rest = unit.sentences
    sentences = tuple(s for s in ((first[cut:].strip() if len(first) > cut else ""), *rest) if s)
    return Unit(unit.start + cut, unit.end, unit.text[cut:], sentences) if sentences else unit


_OFFICE = r"(?:port of entry|port|consulate|embassy|airport|border crossing|preclearance|service cent(?:er|re)|field office)"
_NAME = r"[A-Z][\w.'-]*(?:\s+[A-Z][\w.'-]*){0,2}"
# One named office: "at the Blaine port of entry", "the consulate in Mumbai" (timings and practice
# at a single office are what general guidance never covers).
_NAMED_OFFICE = re.compile(rf"\b(?P<a>{_NAME})\s+{_OFFICE}\b|\b{_OFFICE}\s+(?:in|at|of)\s+(?P<b>{_NAME})")


def uncovered_offices(ask: str, hits: list[Hit]) -> list[str]:
    """Named offices the ask is about ("the Blaine port of entry") that no passage names."""
    text = " ".join(f"{h.chunk.title} {h.chunk.text}" for h in hits).lower()
    out = []
    for match in _NAMED_OFFICE.finditer(ask):
        name = match.group("a") or match.group("b")
        words = [w for w in name.split() if w.lower() not in {"the", "us", "u.s.", "a", "an"}]
        if words and not any(w.lower() in text for w in words):
            out.append(match.group(0))
    return out


def uncovered_codes(asked: set[str], hits: list[Hit]) -> list[str]:
    """Classes and forms the ask names that no passage mentions: the sources don't cover them."""
    text = " ".join(f"{h.chunk.title} {h.chunk.section or ''} {h.chunk.text}" for h in hits)
    present = codes(text)
    return sorted(c for c in asked if not any(same_class_family(c, p) for p in present))


def render(parts: list[PartAnswer], notes: list[str] = ()) -> tuple[str, dict[str, int]]:
    """Answer text with a `[n]` after every quoted sentence (after a list as a whole), parts in
    order and separated by a blank line; returns the text and the citation number of each chunk."""
    numbers: dict[str, int] = {}
    blocks: list[str] = []
    for answer in parts:
        pieces: list[str] = [t for t in (answer.lead, answer.gap) if t]
        for piece in answer.pieces:
            n = numbers.setdefault(piece.hit.chunk.id, len(numbers) + 1)
            if piece.unit is None:
                body = f"[{n}]"
            elif piece.hit.chunk.kind == "posting":  # the posting's own words, quoted as such
                body = f"\u201c{piece.unit.text}\u201d [{n}]"
            elif piece.unit.is_list:
                body = f"{piece.unit.text} [{n}]"
            else:
                body = " ".join(f"{s} [{n}]" for s in piece.unit.sentences)
            pieces.append(f"{piece.label} {body}" if piece.label else body)
        if answer.note:
            pieces.append(answer.note)
        if pieces:
            blocks.append(" ".join(pieces))
    blocks.extend(notes)
    return "\n\n".join(blocks), numbers


def citations_for(numbers: dict[str, int], parts: list[PartAnswer]) -> list[Citation]:
    """One citation per number, from the passage its pieces quote."""
    by_id: dict[str, Hit] = {}
    for answer in parts:
        for piece in answer.pieces:
            by_id.setdefault(piece.hit.chunk.id, piece.hit)
    return sorted((to_citation(by_id[cid], n) for cid, n in numbers.items() if cid in by_id), key=lambda c: c.n)


def to_citation(hit: Hit, n: int) -> Citation:
    """What `[n]` shows: the whole passage quoted, where it lives, and whose it is (`kind`)."""
    chunk = hit.chunk
    return Citation(n=n, source=chunk.source, title=chunk.title, section=chunk.section, page=chunk.page,
                    quote=chunk.text, score=hit.score, kind=chunk.kind, chunk_id=chunk.id)
