"""Saved postings as chat sources: which of the user's postings a question is about, and what they say.

"Does the Brightloop posting sponsor H-1B?" and "which of my saved postings take transfers?" are
answered from the user's own postings, not from general guidance. The posting reader has already
judged each posting's sponsorship stance and kept the sentences behind that verdict, so a
sponsorship ask is answered from the verdict (yes, no, transfers only, not said), followed by the
posting's own sentences, quoted and cited with kind `posting`. With a status in the profile, the
note on what that verdict means for the user (`prompts/notes/rules.yaml`) follows, citing the
guidance passage behind it. Other asks about a posting (salary, remote, degree) quote the
posting's passages closest to the ask. The words around the quotes are data
(`prompts/answer/grounded/postings.yaml`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from visapath.advice import supported_notes
from visapath.compose import PartAnswer, Piece
from visapath.config import Settings
from visapath.injection import is_instruction, quotes_planted
from visapath.models import Hit
from visapath.profile import status_label
from visapath.question import Part
from visapath.retrieval import Retriever, Scope
from visapath.text import tokenize
from visapath.units import Unit, units
from visapath.workspace import PostingWorkspace, SavedPosting

_SINGULAR = r"(?:posting|job\s+ad|job\s+post|ad|listing|job\s+description|jd|opening)"
_PLURAL = r"(?:postings|job\s+ads|job\s+posts|ads|listings|job\s+descriptions|jds|openings)"
# The saved postings as a set: "my postings", "which of my saved postings", "jobs I saved".
LISTING = re.compile(
    rf"\b(?:my|these|those|all|any|which|each|both)\s+(?:of\s+(?:my|the|these|those)\s+)?(?:saved\s+|uploaded\s+)?"
    rf"{_PLURAL}\b|\b(?:saved|uploaded)\s+(?:jobs|roles|positions|{_PLURAL})\b"
    rf"|\b(?:jobs|roles|positions|{_PLURAL})\s+(?:that\s+)?i(?:'ve|\s+have)?\s+(?:saved|uploaded)\b", re.I)
# One posting without its name: "this posting", "the job ad", "that role".
SINGLE = re.compile(rf"\b(?:this|that|the|my)\s+(?:saved\s+|uploaded\s+)?{_SINGULAR}\b|\b(?:this|that)\s+(?:job|role|position)\b",
                    re.I)
_QUOTE = re.compile(r"[\"“]([^\"”]{6,})[\"”]")  # double quotes only: apostrophes are not quotes
POSTING_NOUN = re.compile(rf"\b(?:{_SINGULAR}|{_PLURAL}|job|role|position)\b", re.I)
# What a sponsorship ask is about, checked in this order; anything else is an "other" ask.
ASPECTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("transfer", re.compile(r"\btransfer\w*|\btake over\b.*\b(?:visa|h-?1b|sponsorship)", re.I)),
    ("citizenship", re.compile(r"\b(?:citizen\w*|clearances?|us persons?|itar|export control\w*)\b", re.I)),
    ("sponsor", re.compile(r"\b(?:sponsor\w*|visas?|h-?1b\w*|work authori[sz]\w*|immigration|petitions?|opt|"
                           r"green[- ]cards?|international (?:students?|candidates?))\b", re.I)),
)
OTHER_FLOOR = 0.3  # an "other" ask quotes a posting passage only this close to it (cosine + word overlap)
OTHER_MARGIN = 0.08  # ...and only passages nearly as close as the best one
OVERLAP_WEIGHT = 0.25  # short posting lines ("Remote, US") embed weakly; the ask's own words count too
_ASK_FRAME = frozenset("job role position posting company employer offer offers say says mention mentions".split())
MAX_EVIDENCE = 2


@dataclass(frozen=True)
class PostingAsk:
    """An ask about saved postings: which ones, whether it asks across them, and about what."""

    targets: tuple[SavedPosting, ...]
    listing: bool  # "which of my saved postings ...": every posting, the matching ones named first
    aspect: str  # sponsor | transfer | citizenship | other
    named: bool = True  # False: "this posting", taken to be the newest saved one


@lru_cache(maxsize=4)
def posting_words(prompts_dir: Path) -> dict[str, Any]:
    return yaml.safe_load((prompts_dir / "answer" / "grounded" / "postings.yaml").read_text(encoding="utf-8"))


def aspect_of(ask: str) -> str:
    return next((name for name, pattern in ASPECTS if pattern.search(ask)), "other")


def display_name(saved: SavedPosting) -> str:
    return saved.company or saved.title or "saved"


def names_of(saved: SavedPosting, generic: frozenset[str]) -> tuple[list[str], list[str]]:
    """(names that identify the posting on their own, names that need a posting word beside them):
    the company (and its first word, "Acme" for "Acme Robotics") and a typed title identify it;
    a role ("Data Scientist") is too common to, unless the ask says "the Data Scientist posting"."""
    strong: list[str] = []
    if saved.company:
        strong.append(saved.company)
        first = saved.company.split()[0]
        if len(first) >= 4 and first.lower() not in generic:
            strong.append(first)
    if saved.title and saved.title != saved.company and saved.title.lower() not in generic \
            and not saved.title.lower().startswith("pasted posting") and len(saved.title) >= 4:
        strong.append(saved.title)
    weak = [saved.role] if saved.role and len(saved.role) >= 4 else []
    return strong, weak


def mentions(text: str, name: str) -> bool:
    return bool(re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.I))


def resolve(ask: str, postings: list[SavedPosting], generic: frozenset[str] = frozenset()) -> PostingAsk | None:
    """Which saved postings the ask is about: those it names, every one ("my postings"), or the
    most recently saved one ("this posting"); None when it is not about the user's postings."""
    if not postings:
        return None
    has_noun = bool(POSTING_NOUN.search(ask))
    named = []
    for saved in postings:
        strong, weak = names_of(saved, generic)
        if any(mentions(ask, n) for n in strong) or (has_noun and any(mentions(ask, n) for n in weak)):
            named.append(saved)
    aspect = aspect_of(_QUOTE.sub(" ", ask))  # what is asked, not what a quoted phrase says
    if named:
        return PostingAsk(tuple(named), len(named) > 1, aspect)
    if LISTING.search(ask):
        return PostingAsk(tuple(postings), True, aspect)
    if SINGLE.search(ask):
        newest = max(postings, key=lambda p: p.created)
        return PostingAsk((newest,), False, aspect, named=False)
    return None


def locate(sentence: str, hits: list[Hit]) -> Piece | None:
    """The posting's passage holding an evidence sentence, and the sentence as a quotable unit."""
    pattern = re.compile(r"\s+".join(re.escape(w) for w in sentence.split()))
    for hit in hits:
        match = pattern.search(hit.chunk.text)
        if match:
            return Piece(hit, Unit(match.start(), match.end(), match.group(0), (match.group(0),)))
    return None


class PostingAnswerer:
    """Answers the parts of a question that are about the user's saved postings."""

    def __init__(self, settings: Settings, retriever: Retriever,
                 workspace: Callable[[], PostingWorkspace | None],
                 vectors: Callable[[list[str]], list[np.ndarray]]) -> None:
        self.settings = settings
        self.retriever = retriever
        self.workspace = workspace
        self.vectors = vectors  # sentence vectors, cached by the grounded answerer

    @property
    def words(self) -> dict[str, Any]:
        return posting_words(self.settings.prompts_dir)

    def resolve(self, ask: str, scope: Scope) -> PostingAsk | None:
        """The ask's postings among those this scope may cite (never another user's)."""
        if "posting" not in scope.kinds:
            return None
        workspace = self.workspace()
        if workspace is None:
            return None
        saved = workspace.list()
        if not saved:
            return None
        lexical = self.retriever.lexical()  # one snapshot: which postings this scope may cite
        postings = [p for p in saved if any(scope.allows(lexical.chunks[i]) for i in lexical.by_source.get(p.source, ()))]
        found = resolve(ask, postings, frozenset(self.words.get("generic_names", ())))
        if found is not None and not found.named and not self._quotes_match(ask, found.targets[0], scope):
            return None  # "the posting says 'X'": words from some other posting, not the saved one
        return found

    def _quotes_match(self, ask: str, saved: SavedPosting, scope: Scope) -> bool:
        """Every phrase the ask quotes (three words or more) is in the posting's text."""
        quoted = [q for q in _QUOTE.findall(ask) if len(q.split()) >= 3]
        if not quoted:
            return True
        text = " ".join(" ".join(h.chunk.text.split()) for h in self.retriever.source_hits(saved.source, scope)).lower()
        return all(" ".join(q.split()).lower() in text for q in quoted)

    def answer(self, ask: PostingAsk, part: Part, scope: Scope, status: str | None) -> list[PartAnswer]:
        """The answer's paragraphs: the short answer first, then what each posting says."""
        subject = self._subject(part.text, ask)
        vector = self.retriever.embedder.embed_one(subject)
        if ask.aspect == "other":
            return self._other(ask, part, scope, vector, subject)
        if ask.listing:
            return self._listing(ask, part, scope, vector)
        return [self._one(saved, ask.aspect, part, scope, vector, status) for saved in ask.targets]

    def _subject(self, ask_text: str, ask: PostingAsk) -> str:
        """The ask without the words that only point at the posting ("the Brightloop posting"),
        so what is left (salary, remote, sponsorship) is what its passages are matched on."""
        generic = frozenset(self.words.get("generic_names", ()))
        text = ask_text
        for saved in ask.targets:
            strong, weak = names_of(saved, generic)
            for name in sorted(strong + weak, key=len, reverse=True):
                text = re.sub(rf"(?<!\w){re.escape(name)}(?:'s)?(?!\w)", " ", text, flags=re.I)
        text = re.sub(rf"\b(?:{_SINGULAR}|{_PLURAL})\b", " ", text, flags=re.I)
        return " ".join(text.split()) or ask_text

    # -- sponsorship asks --------------------------------------------------------------------------
    def _one(self, saved: SavedPosting, aspect: str, part: Part, scope: Scope, vector: np.ndarray,
             status: str | None) -> PartAnswer:
        w = self.words
        verdict = self._verdict(saved)
        word = w["words"][w["answers"][aspect].get(verdict, "unclear")]
        lead = w["one"].format(word=word, name=display_name(saved), verdict=w["verdicts"].get(verdict, verdict))
        pieces = self._evidence(saved, verdict, scope, vector)
        if pieces:
            pieces[0] = Piece(pieces[0].hit, pieces[0].unit, w["one_says"])
        if status:
            notes = supported_notes({"sponsorship": {"verdict": verdict}}, status, self.retriever,
                                    self.settings.prompts_dir / "notes" / "rules.yaml", self.settings.relevance_floor)
            if notes:
                text, hit = notes[0]
                pieces.append(Piece(hit, None, f"{w['for_you'].format(status=status_label(status))} {text}"))
        return PartAnswer(part, pieces, lead=lead)

    def _listing(self, ask: PostingAsk, part: Part, scope: Scope, vector: np.ndarray) -> list[PartAnswer]:
        w = self.words
        answers = w["answers"][ask.aspect]
        order = {"yes": 0, "likely": 1, "partly": 2, "unclear": 3, "no": 4}
        verdicts = {p.id: self._verdict(p) for p in ask.targets}
        ranked = sorted(ask.targets, key=lambda p: order.get(answers.get(verdicts[p.id], "unclear"), 3))
        matching = [display_name(p) for p in ranked if answers.get(verdicts[p.id]) in ("yes", "likely")]
        texts = w["listing"][ask.aspect]
        lead = (texts["some"].format(names=", ".join(matching), count=len(matching), total=len(ask.targets))
                if matching else texts["none"].format(total=len(ask.targets)))
        out = [PartAnswer(part, [], lead=lead)]
        for saved in ranked:
            verdict = verdicts[saved.id]
            said = w["verdicts"].get(verdict, verdict)
            pieces = self._evidence(saved, verdict, scope, vector)
            template = w["listing_item"] if pieces else w["listing_silent"]
            out.append(PartAnswer(part, pieces, lead=template.format(name=display_name(saved), verdict=said)))
        return out

    def _verdict(self, saved: SavedPosting) -> str:
        return saved.verdict or "not_mentioned"

    def _evidence(self, saved: SavedPosting, verdict: str, scope: Scope, vector: np.ndarray) -> list[Piece]:
        """The sentences behind the verdict (its own label first), located in the indexed posting."""
        workspace = self.workspace()
        try:
            analysis = workspace.get(saved.id)[2] if workspace is not None else {}
        except (OSError, ValueError, KeyError):
            return []
        evidence = [e for e in analysis.get("sponsorship", {}).get("evidence", [])
                    if e.get("label") != "unrelated" and e.get("sentence")]
        evidence.sort(key=lambda e: (e.get("label") != verdict, e.get("start", 0)))
        hits = self.retriever.source_hits(saved.source, scope, vector)
        pieces: list[Piece] = []
        for item in evidence:
            piece = locate(str(item["sentence"]), hits)
            if piece is not None and not is_instruction(piece.unit.text) \
                    and all(p.unit.text != piece.unit.text for p in pieces):
                pieces.append(piece)
            if len(pieces) >= MAX_EVIDENCE:
                break
        self._score(pieces, vector)
        return pieces

    def _score(self, pieces: list[Piece], vector: np.ndarray) -> None:
        """A cited posting passage's relevance is that of its closest quoted sentence to the ask
        (the whole posting, mostly about the job, says little about how well the quote fits)."""
        for piece, v in zip(pieces, self.vectors([p.unit.text for p in pieces if p.unit is not None])):
            piece.hit.score = max(piece.hit.score, float(v @ vector), 0.0)

    # -- anything else about a posting -------------------------------------------------------------
    def _other(self, ask: PostingAsk, part: Part, scope: Scope, vector: np.ndarray, subject: str) -> list[PartAnswer]:
        w = self.words
        out: list[PartAnswer] = []
        if ask.listing:
            out.append(PartAnswer(part, [], lead=w["other_listing"].format(total=len(ask.targets))))
        for saved in ask.targets:
            pieces = self._closest(self.retriever.source_hits(saved.source, scope, vector), vector, subject)
            name = display_name(saved)
            if not pieces:
                out.append(PartAnswer(part, [], lead=w["other_none"].format(name=name)))
                continue
            lead = (w["other_item"] if ask.listing else w["other_one"]).format(name=name)
            out.append(PartAnswer(part, pieces, lead=lead))
        return out

    def _closest(self, hits: list[Hit], vector: np.ndarray, subject: str, limit: int = 2) -> list[Piece]:
        """The posting's units nearest the ask (overlapping chunks repeat units: each once)."""
        candidates: dict[str, Piece] = {}
        for hit in hits:
            for unit in units(hit.chunk.text):
                if unit.text not in candidates and not quotes_planted(unit.sentences, hit.chunk.text):
                    candidates[unit.text] = Piece(hit, unit)
        if not candidates:
            return []
        pieces = list(candidates.values())
        words = {t for t in tokenize(subject) if t not in _ASK_FRAME}
        scores = [float(v @ vector) + OVERLAP_WEIGHT * _overlap(words, p.unit.text)
                  for v, p in zip(self.vectors([p.unit.text for p in pieces]), pieces)]
        best = max(scores)
        ranked = sorted(zip(scores, range(len(pieces))), key=lambda pair: -pair[0])
        kept = [pieces[i] for s, i in ranked if s >= OTHER_FLOOR and s >= best - OTHER_MARGIN][:limit]
        self._score(kept, vector)
        return sorted(kept, key=lambda p: (p.hit.chunk.start, p.unit.start))


def _overlap(words: set[str], text: str) -> float:
    """Share of the ask's content words (prefix match: "remote" ~ "remotely") found in the text."""
    if not words:
        return 0.0
    found = tokenize(text)
    return sum(any(t.startswith(w[:5]) for t in found) for w in words) / len(words)
