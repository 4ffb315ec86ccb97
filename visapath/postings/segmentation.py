"""Posting text into sentences: HTML leftovers blanked, hard wraps re-joined, list items told
apart from headings. Every span indexes the original text.
"""

from __future__ import annotations

import re
from bisect import bisect_left
import time
from typing import Iterable

from visapath.text import STOPWORDS, Span, split_sentences
from visapath.postings.lexicon import Lexicon, load_lexicon
from visapath.postings.sentence import _ITEM_MARK, _LIST_MARK, is_heading

# ---------------------------------------------------------------------------------------
# Posting-level


_CONTINUATION_START = re.compile(r"^[a-z(]")
_SENTENCE_END = re.compile(r"[.!?:;]\s*$")


_BLOCK_TAG = re.compile(r"</?(?:p|br|li|ul|ol|div|h[1-6]|tr|td|th|table|section|article|header|footer)\b[^>]{0,200}>", re.I)
_INLINE_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*\b[^<>]{0,200}>|<!--.*?-->", re.S)
_ENTITY = re.compile(r"&(?:[a-zA-Z]{2,8}|#\d{2,5}|#x[0-9a-fA-F]{2,4});")
_ODD_SPACE = re.compile(r"[\u00a0\u2000-\u200b\u202f\u205f\u3000\ufeff]")


def normalize_for_analysis(text: str) -> str:
    """HTML-to-text leftovers blanked out WITHOUT changing length, so every offset found on the
    result indexes the original text: block tags become a line break, inline tags, entities and
    odd spaces become spaces ("We&nbsp;sponsor<b>visas</b>" reads as "We sponsor visas")."""
    if "<" not in text and "&" not in text and not _ODD_SPACE.search(text):
        return text
    def blank(m: re.Match[str], first: str = " ") -> str:
        return first + " " * (len(m.group(0)) - 1)
    out = _BLOCK_TAG.sub(lambda m: blank(m, "\n"), text)
    out = _INLINE_TAG.sub(blank, out)
    out = _ENTITY.sub(lambda m: "&" + " " * (len(m.group(0)) - 1) if m.group(0) == "&amp;" else blank(m), out)
    return _ODD_SPACE.sub(" ", out)


def posting_sentences(text: str, lexicon: Lexicon | None = None) -> list[Span]:
    """Shared splitter, then re-join hard-wrapped lines ("unable to sponsor\\nvisas at this time.")
    and field labels with their answer on the next line ("Visa sponsorship:\\nNot available").

    Two spans separated by exactly one newline (no bullet) are one sentence when the first has
    no closing punctuation and either the second starts in lowercase, the first ends on a
    function word ("... unable to\\nsponsor"), or the first is a long prose line (a wrap, not a
    header). The merged span still indexes the original text.
    """
    lex = lexicon or load_lexicon()
    out: list[Span] = []
    for sp in split_sentences(text):
        if out and (_wrapped(text, out[-1], sp) or _label_value(text, out[-1], sp, lex)):
            prev = out[-1]
            out[-1] = Span(prev.start, sp.end, text[prev.start : sp.end])
        else:
            out.append(sp)
    return out


def _label_value(text: str, prev: Span, nxt: Span, lex: Lexicon) -> bool:
    """A label on one line ("Visa sponsorship:", "VISA SPONSORSHIP") and a short answer on the
    next ("No", "Not available for this position."): one statement."""
    gap = text[prev.end : nxt.start]
    bulleted = bool(_ITEM_MARK.fullmatch(text[_line_start(text, prev.start) : prev.start]))
    return (gap.count("\n") <= 1 and gap.strip() in {"", "-", "*", "•"} and "\n" not in prev.text and not bulleted
            and is_heading(prev.text, lex, list_item=False) and bool(lex.heading_value.match(nxt.text)))


def _wrapped(text: str, prev: Span, nxt: Span) -> bool:
    gap = text[prev.end : nxt.start]
    if gap.count("\n") != 1 or gap.strip() or _SENTENCE_END.search(prev.text):
        return False
    last = prev.text.rsplit(None, 1)[-1].lower()
    long_prose = len(prev.text) >= 60 and "|" not in prev.text and nxt.text[:1].isalnum()
    return bool(_CONTINUATION_START.match(nxt.text)) or last in STOPWORDS or long_prose


LINE_REACH = 4000  # how far line-context checks look: a list marker or a short line is never further away
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def _line_start(text: str, pos: int) -> int:
    """Start of the line holding `pos`, looking back at most LINE_REACH characters."""
    lo = max(0, pos - LINE_REACH)
    return text.rfind("\n", lo, pos) + 1 or lo


def paragraph_ends(text: str) -> list[int]:
    """Where each paragraph ends (blank-line breaks), found once per text; ends with len(text)."""
    return [m.start() for m in _PARAGRAPH_BREAK.finditer(text)] + [len(text)]


def _paragraph_end(text: str, pos: int, ends: list[int] | None = None) -> int:
    ends = ends if ends is not None else paragraph_ends(text)
    return ends[bisect_left(ends, pos)]


def _blank(text: str, spans: Iterable[Span]) -> str:
    """The text with these spans replaced by spaces (same length, offsets unchanged)."""
    chars = list(text)
    for sp in spans:
        chars[sp.start : sp.end] = " " * (sp.end - sp.start)
    return "".join(chars)


def _line_role(text: str, sp: Span) -> bool | None:
    """Where a line sits: True for a list item (bulleted, or a short line right after a short line
    and before another or the end of the block: "Benefits / Health insurance / Visa sponsorship /
    401(k) match"), False for a heading (prose follows it), None when nothing tells."""
    ls = _line_start(text, sp.start)
    if _ITEM_MARK.fullmatch(text[ls : sp.start]):
        return True
    prev = text[_line_start(text, ls - 1) : ls - 1] if ls else ""
    le = text.find("\n", sp.end, sp.end + LINE_REACH)
    after = [] if le < 0 else text[le + 1 : le + 1 + LINE_REACH].split("\n", 8)[:8]
    nxt = after[0] if after else ""
    if _short_item(prev) and (not nxt.strip() or (_short_item(nxt) and not nxt.rstrip().endswith(":"))):
        return True
    following = next((line for line in after if line.strip()), "")
    return False if following and not _short_item(following) else None


def _short_item(line: str) -> bool:
    line = _LIST_MARK.sub("", line).strip()
    return bool(line) and len(line.split()) <= 6 and not line.endswith((".", "!", "?"))
