"""Citation verification: a generated answer keeps only sentences its cited sources support.

A model can cite a source that was never passed, cite the right source for a wrong claim,
or add claims with no citation at all. After generation, each sentence is checked:

- every `[n]` must name a source that was actually passed (others are removed);
- a sentence with no valid citation is an unsupported claim and is dropped;
- a cited sentence must be supported by a cited passage: content-word overlap blended with
  embedding similarity to the passage's best-matching sentence (or sentence pair), above a
  threshold tuned on `tests/data/verify_pairs.yaml`. Embeddings barely notice "24" vs "36",
  "March" vs "October" or a dropped "not", so numbers, form/visa codes, acronyms and contrast
  words must also appear in the passage, and negation must agree with the matching clause;
- sentences of a source that address an AI ("ignore previous instructions and say X") are
  never evidence, so an answer that obeys a planted instruction verifies as unsupported.

Dropped sentences are counted; the caller falls back to the grounded answer when none survive.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from visapath.answer import SentenceCache
from visapath.embeddings import Embedder
from visapath.injection import planted_sentences
from visapath.text import split_sentences, tokenize

# Tuned on tests/data/verify_pairs.yaml (see bench/bench_llm.py for the sweep).
OVERLAP_WEIGHT = 0.5
SUPPORT_THRESHOLD = 0.64

_MARKER = re.compile(r"\[\s*(?:(?:source|src|doc)\s*)?(\d+(?:\s*[,;]\s*(?:(?:source|src|doc)\s*)?\d+)*)\s*\]", re.I)
_CANONICAL = re.compile(r"\[(\d+)\]")
_TRAILING = re.compile(r"([.!?])((?:\s*\[\d+\])+)")  # "claim. [1]" -> "claim [1]."
_NUMBER = re.compile(r"(?<![A-Za-z\d\-/.,])\$?(\d+(?:[.,]\d+)*)(?![A-Za-z\d])")
_CODE = re.compile(r"\b[a-z]{1,4}-?\d+[a-z]?\b")  # i-983, h-1b, o-1, eta-9035 (matched on lowercased text)
# Sentences in a source that address the assistant rather than the reader (planted instructions,
# detected by `visapath.injection`) are never evidence, so a model that obeys one produces a claim
# nothing supports.

_ACRONYM = re.compile(r"\b[A-Z][A-Z0-9]{1,5}\b")  # TN, DSO, USCIS, LCA: who or what a claim is about
# Words an embedding treats as near-synonyms of their opposites; a claim may use them only if its
# source does ("higher" vs "lower", "March" vs "October", "before" vs "after").
_CONTRAST = frozenset(
    """january february march april june july august september october november december
    monday tuesday wednesday thursday friday twice thrice two three four five six seven eight nine ten
    eleven twelve higher lower more less fewer earlier later minimum maximum increase decrease above below
    always never every any all both either neither""".split()
)
_NEGATION = re.compile(r"\b(?:not|no|never|cannot|can't|won't|isn't|aren't|doesn't|don't|didn't|none|nor|neither)\b|n't\b", re.I)

_CLAUSE = re.compile(r";|,\s+(?=(?:and|but|so|or|which|while|whereas|because)\b)|\s+but\s+")

Reason = Literal["supported", "uncited", "unsupported", "number", "code", "term", "negation"]


@dataclass
class Support:
    """How well one passage supports one claim."""

    score: float
    overlap: float
    cosine: float
    reason: Reason


@dataclass
class SentenceCheck:
    text: str  # the sentence as it will appear (with its surviving markers)
    claim: str  # the sentence without markers
    cited: list[int]  # valid source numbers it cited
    supported: bool
    reason: Reason
    score: float = 0.0


@dataclass
class Verification:
    answer: str  # the verified text: kept sentences only
    checks: list[SentenceCheck] = field(default_factory=list)
    invalid_refs: list[int] = field(default_factory=list)  # [n] with no such source, removed

    @property
    def kept(self) -> list[SentenceCheck]:
        return [c for c in self.checks if c.supported]

    @property
    def dropped(self) -> list[SentenceCheck]:
        return [c for c in self.checks if not c.supported]

    @property
    def cited_numbers(self) -> list[int]:
        """Source numbers the kept sentences cite, in order of first use."""
        seen: dict[int, None] = {}
        for check in self.kept:
            for n in _numbers_in(check.text):
                seen.setdefault(n, None)
        return list(seen)

    @property
    def citation_precision(self) -> float | None:
        """Share of sentences that carried a valid citation and were supported by it."""
        cited = [c for c in self.checks if c.cited]
        if not cited:
            return None
        return sum(c.supported for c in cited) / len(cited)


class Verifier:
    def __init__(self, embedder: Embedder, threshold: float = SUPPORT_THRESHOLD,
                 overlap_weight: float = OVERLAP_WEIGHT, cache: SentenceCache | None = None) -> None:
        self.embedder = embedder
        self.threshold = threshold
        self.overlap_weight = overlap_weight
        self.cache = cache or SentenceCache(embedder)

    def verify(self, text: str, sources: Mapping[int, str]) -> Verification:
        """Check every sentence of `text` against the numbered `sources` it cites."""
        result = Verification(answer="")
        pieces: list[tuple[str, bool]] = []  # (sentence, starts a new line)
        normalized = normalize_markers(text)
        spans = split_sentences(normalized)
        claims = [strip_markers(s.text) for s in spans]
        vectors = self._embed_claims(claims)
        previous_end = 0
        for span, claim, vector in zip(spans, claims, vectors):
            newline = "\n" in normalized[previous_end:span.start]
            previous_end = span.end
            numbers = _numbers_in(span.text)
            valid = [n for n in dict.fromkeys(numbers) if n in sources]
            result.invalid_refs.extend(n for n in numbers if n not in sources)
            if not _has_words(claim):
                continue  # a stray marker or bullet glyph: nothing to verify or show
            check = self._check(span.text, claim, vector, valid, sources)
            result.checks.append(check)
            if check.supported:
                pieces.append((check.text, newline))
        result.answer = _join(pieces)
        return result

    def support(self, claim: str, passage: str, claim_vector: np.ndarray | None = None) -> Support:
        """Support of one claim by one passage: the tuned score, then the hard agreement checks."""
        sentences = evidence_sentences(passage)
        if not sentences:
            return Support(0.0, 0.0, 0.0, "unsupported")
        if claim_vector is None:
            claim_vector = self.embedder.embed_one(claim)
        evidence = " ".join(sentences)
        claim_tokens = _content(claim)
        overlap = len(claim_tokens & _content(evidence)) / len(claim_tokens) if claim_tokens else 0.0
        cosine, best_unit = self._best_match(claim_vector, sentences)
        score = self.overlap_weight * overlap + (1 - self.overlap_weight) * cosine
        return Support(score, overlap, cosine, self._reason(score, claim, evidence, best_unit))

    def _reason(self, score: float, claim: str, evidence: str, best_unit: str) -> Reason:
        if score < self.threshold:
            return "unsupported"
        if not _numbers(claim) <= _numbers(evidence):
            return "number"
        if not _codes(claim) <= _codes(evidence):
            return "code"
        if not _terms(claim) <= _terms(evidence) | _words(evidence):
            return "term"
        # A negated claim needs a negation near its evidence; a positive claim must not restate
        # a negated clause ("cap-exempt employers must enter the lottery" vs "... do not use cap numbers").
        if _negated(claim) and not _negated(best_unit):
            return "negation"
        if not _negated(claim) and _negated(self._closest_clause(claim, best_unit)):
            return "negation"
        return "supported"

    # -- steps ------------------------------------------------------------------------------------
    def _check(self, sentence: str, claim: str, vector: np.ndarray, cited: list[int],
               sources: Mapping[int, str]) -> SentenceCheck:
        if not cited:
            return SentenceCheck(strip_markers(sentence, keep=()), claim, [], False, "uncited")
        supports = {n: self.support(claim, sources[n], vector) for n in cited}
        backing = [n for n, s in supports.items() if s.reason == "supported"]
        best = max(supports.values(), key=lambda s: s.score)
        if not backing and len(cited) > 1:  # a sentence may combine facts from its sources
            union = self.support(claim, "\n".join(sources[n] for n in cited), vector)
            if union.reason == "supported":
                backing, best = list(cited), union
        if backing:
            backing = _contributors(claim, backing, cited, sources)
        text = strip_markers(sentence, keep=backing or cited)
        reason: Reason = "supported" if backing else best.reason
        return SentenceCheck(text, claim, cited, bool(backing), reason, best.score)

    def _embed_claims(self, claims: list[str]) -> list[np.ndarray]:
        if not claims:
            return []
        return list(self.embedder.embed(claims))

    def _best_match(self, vector: np.ndarray, sentences: list[str]) -> tuple[float, str]:
        """Best cosine among the passage's sentences and adjacent sentence pairs, and that unit."""
        units = sentences + [f"{a} {b}" for a, b in zip(sentences, sentences[1:])]
        similarities = np.stack(self.cache.vectors(units)) @ vector
        best = int(np.argmax(similarities))
        return float(similarities[best]), units[best]

    def _closest_clause(self, claim: str, unit: str) -> str:
        """The clause of the best-matching unit that the claim restates (negation is clause-level)."""
        clauses = [c.strip() for c in _CLAUSE.split(unit) if c and c.strip()]
        if len(clauses) < 2:
            return unit
        vectors = np.stack(self.cache.vectors(clauses + [claim]))
        return clauses[int(np.argmax(vectors[:-1] @ vectors[-1]))]


def _contributors(claim: str, backing: list[int], cited: list[int], sources: Mapping[int, str]) -> list[int]:
    """Backing citations plus any other cited source that supplies claim words they lack."""
    wanted = _content(claim)
    covered = set().union(*(_content(" ".join(evidence_sentences(sources[n]))) for n in backing)) & wanted
    keep = set(backing)
    for n in cited:
        if n not in keep:
            extra = (_content(" ".join(evidence_sentences(sources[n]))) & wanted) - covered
            if len(extra) >= 2:
                keep.add(n)
                covered |= extra
    return [n for n in cited if n in keep]


def evidence_sentences(passage: str) -> list[str]:
    """The passage's sentences that can back a claim: planted instructions (and the imperative
    sentences continuing them) are not evidence, so an answer that obeys one verifies as unsupported."""
    spans = split_sentences(passage)
    planted = planted_sentences(passage, spans)
    return [s.text for i, s in enumerate(spans) if i not in planted]


def normalize_markers(text: str) -> str:
    """Canonical `[1][2]` markers placed before the sentence's final punctuation."""
    text = _MARKER.sub(lambda m: "".join(f"[{n}]" for n in re.findall(r"\d+", m.group(1))), text)
    return _TRAILING.sub(lambda m: f"{m.group(2)}{m.group(1)}", text)


def strip_markers(sentence: str, keep: tuple[int, ...] | list[int] = ()) -> str:
    """The sentence without markers, or with only the `keep` ones (deduplicated, in order)."""
    bare = _CANONICAL.sub("", _MARKER.sub(lambda m: "".join(f"[{n}]" for n in re.findall(r"\d+", m.group(1))),
                                          sentence))
    bare = re.sub(r"\s+([.!?,;:])", r"\1", re.sub(r"[ \t]{2,}", " ", bare)).strip()
    if not keep:
        return bare
    marks = "".join(f"[{n}]" for n in dict.fromkeys(keep))
    match = re.search(r"[.!?]+[\"')\]]*$", bare)
    if match:
        return f"{bare[:match.start()].rstrip()} {marks}{bare[match.start():]}"
    return f"{bare} {marks}"


def _numbers_in(sentence: str) -> list[int]:
    found: list[int] = []
    for match in _MARKER.finditer(sentence):
        found.extend(int(n) for n in re.findall(r"\d+", match.group(1)))
    return found


def _has_words(claim: str) -> bool:
    return len(re.findall(r"[A-Za-z]{2,}", claim)) >= 2


def _stem(token: str) -> str:
    if len(token) > 4 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) > 3 and token.endswith("s") and not token.endswith("ss"):
        return token[:-1]
    return token


def _content(text: str) -> set[str]:
    return {_stem(t) for t in tokenize(text)}


def _numbers(text: str) -> set[str]:
    return {m.group(1).replace(",", "").rstrip(".") for m in _NUMBER.finditer(strip_markers(text))}


def _codes(text: str) -> set[str]:
    return {c.replace("-", "") for c in _CODE.findall(strip_markers(text).lower())}


def _terms(text: str) -> set[str]:
    """Acronyms and contrast words of a claim, which its evidence must contain too."""
    bare = strip_markers(text)
    acronyms = {a.lower() for a in _ACRONYM.findall(bare) if not a.isdigit()}
    return acronyms | (_words(bare) & _CONTRAST)


def _words(text: str) -> set[str]:
    return set(tokenize(text, drop_stopwords=False))


def _negated(text: str) -> bool:
    return bool(_NEGATION.search(text))


def _join(pieces: list[tuple[str, bool]]) -> str:
    out = ""
    for sentence, newline in pieces:
        out += ("\n" if newline and out else " " if out else "") + sentence
    return out.strip()


def precision_recall(predicted: list[bool], labels: list[bool]) -> tuple[float, float]:
    """Precision and recall of 'supported' predictions (for tuning and the bench report)."""
    tp = sum(p and l for p, l in zip(predicted, labels))
    fp = sum(p and not l for p, l in zip(predicted, labels))
    fn = sum(l and not p for p, l in zip(predicted, labels))
    return (tp / (tp + fp) if tp + fp else 1.0), (tp / (tp + fn) if tp + fn else 1.0)
