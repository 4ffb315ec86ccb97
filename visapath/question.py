"""Question analysis: what a chat message asks, in how many parts, and about which subject.

Real messages mix background ("I was laid off a month ago.") with one or more asks ("How long
do I have, and can I start once they file?"). Each ask is answered on its own, in order, so a
compound message gets every part answered. Background carries the subject (visa class, form,
situation) that a short ask leaves out, so it is added to the ask's retrieval query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from visapath.followup import looks_like_followup, subject_terms
from visapath.text import codes, split_sentences, tokenize

MAX_PARTS = 3
MIN_PART_WORDS = 3

_ASK_START = (r"(?:can|could|do|does|did|is|are|was|were|will|would|should|shall|must|may|might|am|has|have|"
              r"how|what|what's|whats|when|where|which|who|whom|whose|why)")
_ASK_OPENING = re.compile(rf"^\s*(?:(?:and|but|also|so|then|or|plus|if so|if not|otherwise)[,\s]+)?{_ASK_START}\b", re.I)
# "..., and can I start once they file?" / "...; what about ..." : a second ask inside one sentence.
_WH = r"(?:how|what|what's|whats|when|where|which|who|whom|whose|why)"
_AUX = (r"(?:can|could|do|does|did|is|are|was|were|will|would|should|shall|must|may|might|am|has|have)\s+"
        r"(?:i|we|my|you|they|it|he|she|the|there|this|that|our|your|their|a|an)")
_CLAUSE_SPLIT = re.compile(rf"(?:,|;)?\s+(?:and|but|also|plus)\s+(?=(?:{_WH}|{_AUX})\b)"
                           rf"|;\s+(?={_ASK_START}\b)|\s+-\s+(?={_ASK_START}\b)", re.I)
_YES_NO = re.compile(r"^\s*(?:and|but|also|so|then|or)?[,\s]*(?:can|could|do|does|did|is|are|was|were|will|would|"
                     r"should|shall|must|may|might|am|has|have)\b", re.I)
_NUMBER = re.compile(r"\bhow (?:long|many|much|soon|often|early|late)\b|\bwhat (?:is|are) the (?:fee|cost|limit|"
                     r"deadline|number)s?\b", re.I)
_WHEN = re.compile(r"^\s*(?:and\s+)?when\b|\bby when\b|\bwhat date\b", re.I)
_WHO = re.compile(r"^\s*(?:and\s+)?(?:who|which (?:employer|company|companies|agency))\b", re.I)
# References to the user's own saved postings ("my postings", "this job ad", "the saved role").
POSTING_REFERENCE = re.compile(
    r"\b(?:my|these|this|that|the|those|our|saved|uploaded)\s+(?:saved\s+|uploaded\s+)?(?:job\s+)?"
    r"(?:postings?|job\s+ads?|ads?|listings?|job\s+descriptions?|jds?|openings?)\b|\bsaved\s+(?:jobs?|roles?|positions?)\b",
    re.I)


@dataclass(frozen=True)
class Part:
    """One ask of a message: its words, the query retrieved with, and what kind of answer it wants."""

    text: str
    query: str
    kind: str = "other"  # yesno | number | when | who | other


@dataclass(frozen=True)
class Analysis:
    text: str
    parts: tuple[Part, ...]
    background: str = ""
    codes: frozenset[str] = frozenset()  # visa classes and forms named anywhere in the message
    about_postings: bool = False  # names the user's saved postings in general ("my postings")

    @property
    def compound(self) -> bool:
        return len(self.parts) > 1


# "If it is denied, can I keep working?" / "While on H-1B, may I invest?": a yes/no question after
# a leading condition.
_YES_NO_AFTER_CLAUSE = re.compile(rf"^\s*(?:if|while|since|when|after|before|once|as|because|given|assuming)\b[^?]*?,\s*"
                                  rf"(?:is it true (?:that )?)?{_AUX}\b", re.I)


def answer_kind(ask: str) -> str:
    if _NUMBER.search(ask):
        return "number"
    if _YES_NO_AFTER_CLAUSE.match(ask):
        return "yesno"
    if _WHEN.search(ask):
        return "when"
    if _WHO.search(ask):
        return "who"
    if _YES_NO.match(ask):
        return "yesno"
    return "other"


def is_ask(sentence: str) -> bool:
    return sentence.rstrip().endswith("?") or bool(_ASK_OPENING.match(sentence))


def split_asks(sentence: str) -> list[str]:
    """A sentence's separate asks: clauses joined by "and"/";" that each open like a question."""
    pieces = [p.strip(" ,;-") for p in _CLAUSE_SPLIT.split(sentence)]
    pieces = [p for p in pieces if p]
    if len(pieces) < 2 or any(len(p.split()) < MIN_PART_WORDS for p in pieces):
        return [sentence.strip()]
    return pieces


def analyze(message: str) -> Analysis:
    """Split a message into background and asks, and give each ask a standalone retrieval query."""
    text = " ".join(message.split())
    sentences = [s.text for s in split_sentences(text)] or [text]
    asks: list[str] = []
    background: list[str] = []
    for sentence in sentences:
        if is_ask(sentence):
            asks.extend(split_asks(sentence))
        else:
            background.append(sentence)
    named = frozenset(codes(text))
    about = bool(POSTING_REFERENCE.search(text))
    if len(asks) <= 1:
        # One ask: the whole message is the query, background included (it names the situation).
        ask = asks[0] if asks else text
        return Analysis(text, (Part(ask, text, answer_kind(ask)),), " ".join(background), named, about)
    asks = _merge_short(asks)[:MAX_PARTS]
    context = " ".join(background)
    parts: list[Part] = []
    for ask in asks:
        query = standalone(ask, context, named)
        if parts and looks_like_followup(ask):  # "Does it cover me?" leans on the ask before it
            carried = [t for t in subject_terms(parts[-1].text) if t.lower() not in query.lower()]
            query = f"{query} ({' '.join(carried)})" if carried else query
        parts.append(Part(ask, query, answer_kind(ask)))
    return Analysis(text, tuple(parts), context, named, about)


def standalone(ask: str, background: str, named: frozenset[str]) -> str:
    """The ask plus what it leaves to the rest of the message: the visa classes and forms named
    elsewhere, and a short background (the situation) when there is one."""
    present = set(codes(ask))
    missing = [c.upper() for c in sorted(named) if c not in present]
    if background and len(tokenize(background)) <= 14:
        extra = f"{background} {' '.join(missing)}".strip()
    else:  # a long story: its key terms (visa names, forms, topic words), not every word
        own = {t.lower() for t in tokenize(ask)}
        terms = [t for t in subject_terms(background) if t.lower() not in own] if background else []
        extra = " ".join(dict.fromkeys(missing + [t for t in terms if t.lower() not in {m.lower() for m in missing}]))
    return f"{ask} ({extra})" if extra else ask


def _merge_short(asks: list[str]) -> list[str]:
    """"Why?" or "Is that right?" is no ask of its own: it belongs to the ask before it."""
    merged: list[str] = []
    for ask in asks:
        if merged and len(tokenize(ask)) < 2:
            merged[-1] = f"{merged[-1]} {ask}"
        else:
            merged.append(ask)
    return merged
