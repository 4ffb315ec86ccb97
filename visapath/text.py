"""Sentence splitting with character offsets, shared by chunking, answers and posting analysis.

Offsets always index the original string, so a citation or a posting finding can point at
the exact characters it came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Abbreviations that end in a period but rarely end a sentence in postings and guidance.
_ABBREVIATIONS = {
    "u.s", "u.s.a", "e.g", "i.e", "etc", "inc", "ltd", "co", "corp", "llc", "dr", "mr", "mrs", "ms",
    "jr", "sr", "st", "no", "vs", "approx", "dept", "sec", "fig", "min", "max", "yrs", "yr", "mo",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "ph.d", "m.s",
    "b.s", "b.a", "m.a", "m.sc", "b.sc", "a.m", "p.m", "cf", "al", "approx", "esp", "incl", "u.k", "n.a",
}

_COUNTRY_ABBREVIATIONS = {"u.s", "u.s.a", "u.k"}
# Words that start a new sentence after "U.S." rather than continuing a name ("U.S. Citizens").
_SENTENCE_STARTERS = {
    "we", "you", "our", "your", "the", "this", "that", "these", "those", "all", "any", "no", "please", "if",
    "it", "they", "there", "in", "for", "applicants", "candidates", "sponsorship", "visa", "visas", "must",
    "will", "do", "does", "are", "is", "unfortunately", "however", "currently", "at", "as", "a", "an",
}
# A boundary starts only at the first mark of a run of .!? (the lookbehind): without it a long
# run of dots is retried from every dot, which is quadratic.
_BOUNDARY = re.compile(r"(?<![.!?])[.!?]+[\"')\]]*\s+|\n\s*\n|\n(?=\s*(?:[-*•·▪◦‣●]|\d+[.)])\s)|\n")
_BULLET = re.compile(r"^\s*(?:[-*•·▪◦‣●]|\d+[.)])\s+")


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str


def _is_false_boundary(text: str, cut: int, match: re.Match[str]) -> bool:
    """True when a period ends an abbreviation or initial rather than a sentence."""
    piece = match.group(0)
    if "\n" in piece or piece[0] != ".":
        return False
    before = text[max(0, match.start() - 16) : match.start()]
    token = re.split(r"[\s(\[\"']", before)[-1].lower()
    nxt_word = re.match(r"\s*([A-Za-z]+)", text[cut - 1 : cut + 20])
    if (token in _COUNTRY_ABBREVIATIONS and nxt_word and nxt_word.group(1)[0].isupper()
            and nxt_word.group(1).lower() in _SENTENCE_STARTERS):
        return False  # "...work in the U.S. We do not sponsor." ends a sentence
    if token in _ABBREVIATIONS or (len(token) == 1 and token.isalpha()):
        return True  # "U.S.", "e.g.", "Dr.", an initial like "J."
    nxt = text[cut : cut + 1]
    # A lowercase continuation almost never starts a new sentence.
    return bool(nxt) and nxt.islower()


def split_sentences(text: str, min_chars: int = 2) -> list[Span]:
    """Split into sentences and list items, trimming whitespace and bullet markers."""
    spans: list[Span] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        cut = match.end()
        if _is_false_boundary(text, cut, match):
            continue
        _append(text, start, match.start() + len(match.group(0).rstrip()), spans, min_chars)
        start = cut
    _append(text, start, len(text), spans, min_chars)
    return spans


def _append(text: str, start: int, end: int, spans: list[Span], min_chars: int) -> None:
    piece = text[start:end]
    bullet = _BULLET.match(piece)
    if bullet:
        start += bullet.end()
        piece = text[start:end]
    left = len(piece) - len(piece.lstrip())
    right = len(piece.rstrip())
    s, e = start + left, start + right
    if e - s >= min_chars and re.search(r"\w", text[s:e]):
        spans.append(Span(s, e, text[s:e]))


_TOKEN = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
STOPWORDS = frozenset(
    """a an the and or but if of to in on at by for with from as is are was were be been being it its
    this that these those i me my we our you your he she they them their do does did can could would should
    will shall may might must not no so than then there here what which who whom how when where why about
    into over under up down out any all some such only own same too very just also more most other
    have has had having get got one""".split()
)


def tokenize(text: str, drop_stopwords: bool = True) -> list[str]:
    """Lowercase word tokens; keeps hyphenated codes like 'i-983' and 'h-1b' whole."""
    tokens = _TOKEN.findall(text.lower())
    return [t for t in tokens if t not in STOPWORDS] if drop_stopwords else tokens


_VISA_CLASS = re.compile(r"(?:h|l|o|e|f|j|m|p|eb)-\d[a-z0-9]*")
_FORM = re.compile(r"(?:i|ds|eta)-\d+[a-z]?")


def visa_classes(text: str) -> set[str]:
    """Visa classes named in a text ('h-1b', 'h-1b1', 'o-1a', 'eb-2'); form numbers are not classes."""
    return {t for t in tokenize(text) if _VISA_CLASS.fullmatch(t)}


def codes(text: str) -> set[str]:
    """Visa classes and form numbers ('i-485', 'eta-9035') named in a text."""
    return {t for t in tokenize(text) if _VISA_CLASS.fullmatch(t) or _FORM.fullmatch(t)}


def same_class_family(a: str, b: str) -> bool:
    """'o-1' and 'o-1a' (or 'l-1' and 'l-1b') name one family; 'h-1b' and 'h-1b1' do not."""
    short, long = sorted((a, b), key=len)
    return a == b or (long.startswith(short) and long[len(short):].isalpha())
