"""Negation scope: which negator governs which cue.

A negator counts when it sits within `window_words` words before the cue in the same clause (or
after it, for noun-like cues such as "sponsorship is not available"). Clauses end at strong
breaks; a comma ends a clause unless the next segment continues a list.
"""

from __future__ import annotations

import re
from typing import Iterable

from visapath.postings.lexicon import Lexicon

_WORD = re.compile(r"[\w’'/+-]+")


def _mask(text: str, patterns: Iterable[re.Pattern[str]]) -> tuple[str, bool]:
    """Blank out matches (same length, so offsets stay valid); report whether any matched."""
    chars = list(text)
    hit = False
    for pat in patterns:
        for m in pat.finditer(text):
            hit = True
            for i in range(m.start(), m.end()):
                chars[i] = " "
    return "".join(chars), hit


_LIST_INSIDE = re.compile(r"\b(?:or|and|nor)\b|[/&]")
# Every look around a cue reads at most this many characters on each side, so reading a sentence
# stays linear in its length however many cues it holds (a negation window is eight words; a
# clause boundary further away than this changes nothing the window can see).
REACH = 400
_COMMA_OR_SPACE = re.compile(r"[,\s]")


def _left(text: str, start: int) -> str:
    """The text before `start`, at most REACH characters, cut at a comma or space so that no
    word or list item is split."""
    lo = max(0, start - REACH)
    if lo == 0:
        return text[:start]
    m = _COMMA_OR_SPACE.search(text, lo, start)
    return text[m.start() if m else start : start]


def _scope_before(masked: str, start: int, lex: Lexicon) -> str:
    """The clause text before a cue that a negator may govern (last `window` words)."""
    left = _left(masked, start)
    cut = max((m.end() for m in lex.breaks.finditer(left)), default=0)
    parts = _comma_scope(left[cut:].split(","), _list_tail(masked, start, lex), lex)
    return " ".join(_WORD.findall(",".join(parts))[-lex.window :])


def _list_tail(masked: str, start: int, lex: Lexicon) -> bool:
    """"No C2C, OPT or CPT": the cue's own item is a list, so a negated list head governs it,
    unless the item has its own positive predicate ("..., visa sponsorship and relocation provided")."""
    tail = re.split(r"[,;:.!?|()]", masked[start : start + REACH], maxsplit=1)[0]
    return bool(_LIST_INSIDE.search(tail)) and not lex.welcome.search(tail)


def _comma_scope(parts: list[str], list_tail: bool, lex: Lexicon) -> list[str]:
    """Walk back over comma segments while they continue one list or clause:
    "can't offer remote, relocation, or visa sponsorship" keeps the negation;
    "No remote work, visa sponsorship available" does not."""
    i = len(parts) - 1
    while i > 0:
        cur, prev = parts[i].strip(), parts[i - 1].strip()
        last = i == len(parts) - 1
        if not prev:  # a blanked hedge between commas is transparent
            parts[i - 1] += parts.pop(i)
        elif (last and not cur and list_tail and len(prev.split()) <= 5) \
                or (last and _ENDS_JOINER.search(cur) and 0 < len(prev.split()) <= 3) \
                or (last and _INFINITIVE.match(cur)) \
                or lex.list_joiners.search(cur) \
                or (not last and 0 < len(cur.split()) <= 3) \
                or (not cur and lex.continuations.search(prev)):
            pass
        else:
            break
        i -= 1
    return parts[i:]


_ASIDE = re.compile(r"\s*\([^()]{0,80}\)")
_INSIDE_ASIDE = re.compile(r"[^()]{0,80}\)")  # the cue sits inside a parenthesis: its clause goes on after it
_INFINITIVE = re.compile(r"to\b", re.I)  # "not in a position, now or later, to offer": the infinitive continues the clause
_ENDS_JOINER = re.compile(r"\b(?:or|and|nor|and/or)\s*$|&\s*$", re.I)  # "No OPT, CPT, STEM OPT or visa sponsorship"
_ASIDE_OPENER = re.compile(r"\s*(?:including|incl\.?|such as|e\.g\.?|i\.e\.?|for example|whether|either|of any kind|in any form|whatever)\b", re.I)  # an aside that may run long
_VERB_START = re.compile(r"\s*(?:is|are|was|will|would|can|cannot|can[’']?t|isn[’']?t|aren[’']?t|won[’']?t|has|have|may|might|should|must|does|do)\b", re.I)


def _predicate_part(parts: list[str]) -> int:
    """The comma segment holding the cue's predicate after an aside: "sponsorship, whether for
    students, interns, or temporary workers, is not offered". At most four aside segments of up
    to five words (twelve when one opens like an aside: "including ...", "whether ..."), so a
    list of perks is not read as one clause. 0 when there is none."""
    for k in range(1, min(6, len(parts))):
        if _VERB_START.match(parts[k]):
            return k
        if len(_WORD.findall(parts[k])) > (12 if _ASIDE_OPENER.match(parts[k]) else 5):
            return 0
    return 0


def _scope_after(masked: str, end: int, lex: Lexicon) -> str:
    """The clause text after a noun-like cue ("sponsorship is not available")."""
    right = masked[end : end + REACH]
    aside = _ASIDE.match(right) or _INSIDE_ASIDE.match(right)  # "visa sponsorship (including H-1B transfers) is not available"
    if aside:
        right = right[aside.end() :]
    m = lex.breaks.search(right)
    region = right[: m.start()] if m else right
    parts = region.split(",")
    # "Sponsorship, in any form, is not available" / "benefits, such as visa sponsorship, are not
    # available": an aside right after the cue does not end its clause; its predicate does.
    k = _predicate_part(parts) if len(parts) > 1 and not _WORD.findall(parts[0]) else 0
    if k:
        return " ".join(_WORD.findall(parts[k])[: lex.window])
    i = 0
    while i < min(2, len(parts) - 1) and len(_WORD.findall(parts[i])) == 0 and len(_WORD.findall(parts[i + 1])) <= 3:
        i += 1
    if i and len(parts) > i + 1 and not _WORD.findall(parts[0]):
        region = " ".join(parts[: i + 2])
    else:
        region = parts[0]
    return " ".join(_WORD.findall(region)[: lex.window])


def _clause_before(sentence: str, start: int, lex: Lexicon) -> str:
    """The sentence text from the last clause break up to `start`."""
    left = _left(sentence, start)
    return left[max((m.end() for m in lex.breaks.finditer(left)), default=0) :]


def _negated(masked: str, start: int, end: int, scope: str, lex: Lexicon) -> bool:
    before = _scope_before(masked, start, lex)
    if any(p.search(before) for p in lex.negators_pre):
        return True
    if scope == "both":
        after = _scope_after(masked, end, lex)
        return any(p.search(after) for p in lex.negators_post)
    return False


def _clause(masked: str, start: int, end: int, lex: Lexicon) -> str:
    return _scope_before(masked, start, lex) + " " + masked[start:end] + " " + _scope_after(masked, end, lex)


_SEGMENT_BREAK = re.compile(r";|\.\s|\|")


def _segment(sentence: str, start: int, end: int) -> str:
    """The ;-separated part of a sentence around a span (parentheses and commas kept):
    "Active DoD clearance (Secret or higher) is preferred" stays one segment."""
    lo = max(0, start - REACH)
    left = max((m.end() for m in _SEGMENT_BREAK.finditer(sentence, lo, start)), default=lo)
    m = _SEGMENT_BREAK.search(sentence, end, end + REACH)
    return sentence[left : m.start() if m else min(len(sentence), end + REACH)]
